"""A SIM's data allowance in its billing period: computed from the tariff, the add-ons and the
network's hourly usage (`usage_hour`), never stored.

Units: bytes, and decimal gigabytes where a size is typed or printed: 1 GB = 10**9 bytes (the
way operators sell and meters count, not 2**30). Speeds are kbit/s (1 Mbit/s = 1000 kbit/s).

The period is the SIM's billing period (sims.tariff_changes.current_period with its billing day):
[start, end) in Moscow dates, from the billing day on or before today to the next one; its UTC
bounds are the Moscow midnights of those dates. The rules, for the period `now` falls in:

- allowance = the tariff's `data_gb` (None: unlimited) + the gigabytes of every data pack bought
  (started) inside the period, renewals included. A pack bought in the previous period does not
  carry over.
- used = every byte of the period's hours (= its Moscow days); counted = used minus the hours
  a night-unlimited add-on leaves out: an hour is free when its start lies inside the add-on's time
  [started_at, expires_at) and its Moscow hour of day inside [night_from_hour, night_to_hour)
  (1..7: 01:00-06:59; 23..6 crosses midnight).
- left = allowance - counted (never below 0); exhausted when counted >= allowance.
- speed: a speed booster active at `now` gives its speed; otherwise the tariff's
  `limited_speed_kbps` when exhausted, the tariff's speed when not. A SIM without a tariff has
  no allowance and speed 0.

`of_sims` answers for any number of SIMs with three queries per `CHUNK` SIMs, a fourth when
some have a night add-on: the SIMs with their tariffs; their data packs, boosters and night
add-ons; the bytes used, one aggregate over `usage_day` (the period's Moscow days, which the
ingest writes in the same transaction as the hours) through its primary key (sim_id, day); and
for the SIMs with a night add-on only, the free bytes from `usage_hour`, whose night rule is an
EXISTS per hour (about 2.5 ms a SIM with a month of hourly rows). `daily` and `monthly` are
aggregates over usage_hour's key for the charts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer as SqlInteger
from sqlalchemy import and_, case, cast, exists, func, or_, select
from sqlmodel import Session

from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_date, moscow_day_range
from paysim_app.models import AddonService, Sim, SimAddon, Tariff, UsageHour
from paysim_app.models.base import utcnow
from paysim_app.models.usage import UsageDay
from paysim_app.settings import get_settings
from paysim_app.sims.tariff_changes import current_period

GB = 10**9  # decimal gigabyte, in bytes
CHUNK = 5000  # SIMs per round of queries (bound parameters stay far below every driver's limit)
MAX_DAYS = 400  # the longest range `daily` answers
MAX_MONTHS = 24  # the most periods `monthly` answers


@dataclass(frozen=True)
class Allowance:
    sim_id: int
    period_start: date  # Moscow date, the first day of the period
    period_end: date  # Moscow date, the first day of the next period (exclusive)
    tariff_bytes: int | None  # the tariff's allowance; None: unlimited
    pack_bytes: int  # data packs bought in this period
    used_bytes: int  # everything the network counted in the period
    counted_bytes: int  # used minus the night-unlimited hours
    speed_kbps: int  # the speed the SIM gets now
    limited: bool  # speed_kbps is the tariff's reduced speed (exhausted, no booster)
    booster_until: datetime | None  # an active speed booster runs until then

    @property
    def unlimited(self) -> bool:
        return self.tariff_bytes is None

    @property
    def total_bytes(self) -> int | None:
        """The period's allowance: tariff + packs (None: unlimited)."""
        return None if self.tariff_bytes is None else self.tariff_bytes + self.pack_bytes

    @property
    def free_bytes(self) -> int:
        """The night-unlimited usage left out of the count."""
        return self.used_bytes - self.counted_bytes

    @property
    def left_bytes(self) -> int | None:
        total = self.total_bytes
        return None if total is None else max(total - self.counted_bytes, 0)

    @property
    def percent_used(self) -> float | None:
        """counted / allowance * 100 (may pass 100 a little: the network's figures lag); None
        when unlimited; 100 for an allowance of 0 (a SIM without a tariff)."""
        total = self.total_bytes
        if total is None:
            return None
        if total <= 0:
            return 100.0
        return self.counted_bytes * 100 / total

    @property
    def exhausted(self) -> bool:
        total = self.total_bytes
        return total is not None and self.counted_bytes >= total


# --------------------------------------------------------------------------- the pure rules
def period_of(billing_day: int, now: datetime) -> tuple[date, date]:
    """[start, end) Moscow dates of the billing period `now` falls in."""
    return current_period(billing_day, moscow_date(now))


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants of the Moscow midnights that open `start` and `end`."""
    return moscow_day_range(start)[0].astimezone(UTC), moscow_day_range(end)[0].astimezone(UTC)


def is_night_hour(moscow_hour: int, from_hour: int, to_hour: int) -> bool:
    """Whether a Moscow hour of day lies in [from_hour, to_hour), which may cross midnight."""
    if from_hour < to_hour:
        return from_hour <= moscow_hour < to_hour
    return moscow_hour >= from_hour or moscow_hour < to_hour


def effective_speed(
    tariff_speed_kbps: int, limited_speed_kbps: int, exhausted: bool, booster_kbps: int | None
) -> tuple[int, bool]:
    """(speed now, limited?): a booster lifts the limit; else the reduced speed once exhausted."""
    if booster_kbps is not None:
        return booster_kbps, False
    if exhausted:
        return limited_speed_kbps, True
    return tariff_speed_kbps, False


def pack_bytes_in(
    packs: list[tuple[datetime, int]], period_lo: datetime, period_hi: datetime
) -> int:
    """The bytes of the packs (started_at, data_gb) bought inside [period_lo, period_hi)."""
    return sum(gb * GB for started, gb in packs if period_lo <= started < period_hi)


def active_booster(
    boosters: list[tuple[datetime, datetime, int]], now: datetime
) -> tuple[int, datetime] | None:
    """(kbps, until) of the fastest booster (started_at, expires_at, mbps) running at `now`."""
    running = [(mbps * 1000, until) for start, until, mbps in boosters if start <= now < until]
    return max(running) if running else None


# --------------------------------------------------------------------------- queries
def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().paysim_timezone)


def _local_hour(session: Session, column, now: datetime):
    """The operator-time hour of day of a UTC timestamp column, in SQL. PostgreSQL converts
    with the zone's rules; SQLite (no zones) adds the zone's offset at `now` (Moscow keeps
    UTC+3 all year)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(
            func.extract("hour", func.timezone(get_settings().paysim_timezone, column)), SqlInteger
        )
    offset = int(now.astimezone(_tz()).utcoffset().total_seconds())
    return cast(func.strftime("%H", column, f"{offset:+d} seconds"), SqlInteger)


def _local_day(session: Session, column, now: datetime):
    """The operator-time calendar day of a UTC timestamp column, as 'YYYY-MM-DD' text."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(get_settings().paysim_timezone, column), "YYYY-MM-DD")
    offset = int(now.astimezone(_tz()).utcoffset().total_seconds())
    return func.strftime("%Y-%m-%d", column, f"{offset:+d} seconds")


def _night_free(session: Session, now: datetime):
    """EXISTS: a night-unlimited add-on of the usage row's SIM covers the row's hour."""
    hod = _local_hour(session, UsageHour.hour, now)
    f, t = AddonService.night_from_hour, AddonService.night_to_hour
    return exists(
        select(SimAddon.id)
        .join(AddonService, AddonService.id == SimAddon.addon_id)
        .where(
            SimAddon.sim_id == UsageHour.sim_id,
            AddonService.kind == "night_unlimited",
            SimAddon.started_at <= UsageHour.hour,
            SimAddon.expires_at > UsageHour.hour,
            or_(and_(f < t, hod >= f, hod < t), and_(f > t, or_(hod >= f, hod < t))),
        )
        .correlate(UsageHour)
    )


def _of_chunk(session: Session, sim_ids: list[int], now: datetime) -> dict[int, Allowance]:
    sims = session.execute(
        select(
            Sim.id,
            Sim.billing_day,
            Sim.tariff_id,
            Tariff.data_gb,
            Tariff.speed_mbps,
            Tariff.limited_speed_kbps,
        )
        .outerjoin(Tariff, Tariff.id == Sim.tariff_id)
        .where(Sim.id.in_(sim_ids))
    ).all()
    if not sims:
        return {}
    periods: dict[int, tuple[date, date, datetime, datetime]] = {}
    # the SIMs of each distinct period (at most one per billing day): (start, end, lo, hi)
    by_period: dict[tuple[date, date, datetime, datetime], list[int]] = defaultdict(list)
    for row in sims:
        start, end = period_of(row.billing_day, now)
        lo, hi = utc_bounds(start, end)
        periods[row.id] = (start, end, lo, hi)
        by_period[(start, end, lo, hi)].append(row.id)
    earliest = min(lo for _s, _e, lo, _h in periods.values())

    packs: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    boosters: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    night: set[int] = set()
    for sim_id, kind, started, expires, gb, mbps in session.execute(
        select(
            SimAddon.sim_id,
            AddonService.kind,
            SimAddon.started_at,
            SimAddon.expires_at,
            AddonService.data_gb,
            AddonService.speed_mbps,
        )
        .join(AddonService, AddonService.id == SimAddon.addon_id)
        .where(
            SimAddon.sim_id.in_(list(periods)),
            or_(
                and_(AddonService.kind == "data_pack", SimAddon.started_at >= earliest),
                and_(
                    AddonService.kind == "speed_booster",
                    SimAddon.started_at <= now,
                    SimAddon.expires_at > now,
                ),
                # only to know which SIMs have one: the free hours are summed in SQL below
                and_(AddonService.kind == "night_unlimited", SimAddon.expires_at > earliest),
            ),
        )
    ).all():
        if kind == "data_pack":
            packs[sim_id].append((started, gb))
        elif kind == "speed_booster":
            boosters[sim_id].append((started, expires, mbps))
        else:
            night.add(sim_id)

    # used: the period's Moscow days from usage_day (a SIM's period is at most 31 rows there,
    # against up to 744 hours on as many pages of usage_hour, a table far larger than memory at
    # a million SIMs); one term per distinct period, each a range of the key (sim_id, day)
    in_days = or_(
        *(
            and_(UsageDay.sim_id.in_(ids), UsageDay.day >= start, UsageDay.day < end)
            for (start, end, _lo, _hi), ids in by_period.items()
        )
    )
    used_of = {
        sim_id: int(used or 0)
        for sim_id, used in session.execute(
            select(UsageDay.sim_id, func.sum(UsageDay.bytes_up + UsageDay.bytes_down))
            .where(in_days)
            .group_by(UsageDay.sim_id)
        ).all()
    }
    # free: the night hours, from usage_hour, only for the SIMs that have a night add-on (the
    # night rule's EXISTS per hour was most of the cost when every SIM's hours were summed)
    free_of: dict[int, int] = {}
    if night:
        total = UsageHour.bytes_up + UsageHour.bytes_down
        in_hours = or_(
            *(
                and_(UsageHour.sim_id.in_(sorted(night & set(ids))), UsageHour.hour >= lo,
                     UsageHour.hour < hi)
                for (_start, _end, lo, hi), ids in by_period.items()
                if night & set(ids)
            )
        )  # fmt: skip
        free_of = {
            sim_id: int(free or 0)
            for sim_id, free in session.execute(
                select(
                    UsageHour.sim_id,
                    func.sum(case((_night_free(session, now), total), else_=0)),
                )
                .where(in_hours)
                .group_by(UsageHour.sim_id)
            ).all()
        }

    out: dict[int, Allowance] = {}
    for row in sims:
        start, end, lo, hi = periods[row.id]
        used, free = used_of.get(row.id, 0), free_of.get(row.id, 0)
        if row.tariff_id is None:
            tariff_bytes, speed, limited_speed = 0, 0, 0
        else:
            tariff_bytes = None if row.data_gb is None else row.data_gb * GB
            speed, limited_speed = row.speed_mbps * 1000, row.limited_speed_kbps
        packs_b = pack_bytes_in(packs[row.id], lo, hi)
        counted = used - free
        exhausted = tariff_bytes is not None and counted >= tariff_bytes + packs_b
        booster = active_booster(boosters[row.id], now) if row.tariff_id is not None else None
        kbps, limited = effective_speed(
            speed, limited_speed, exhausted, booster[0] if booster else None
        )
        out[row.id] = Allowance(
            sim_id=row.id,
            period_start=start,
            period_end=end,
            tariff_bytes=tariff_bytes,
            pack_bytes=packs_b,
            used_bytes=used,
            counted_bytes=counted,
            speed_kbps=kbps,
            limited=limited and row.tariff_id is not None,
            booster_until=booster[1] if booster else None,
        )
    return out


def _ids(sim_ids: object) -> list[int]:
    if not isinstance(sim_ids, list | tuple | set | frozenset):
        raise ValidationError("allowance.error.sim_ids")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in sim_ids):
        raise ValidationError("allowance.error.sim_ids")
    return sorted(set(sim_ids))


@verb
def of_sims(
    session: Session, sim_ids: list[int], now: datetime | None = None
) -> dict[int, Allowance]:
    """The allowance of each SIM (unknown ids are left out), three queries per CHUNK SIMs."""
    now = now or utcnow()
    ids = _ids(sim_ids)
    out: dict[int, Allowance] = {}
    for i in range(0, len(ids), CHUNK):
        out.update(_of_chunk(session, ids[i : i + CHUNK], now))
    return out


@verb
def of_sim(session: Session, sim_id: int, now: datetime | None = None) -> Allowance:
    """The allowance of one SIM in the period `now` (default: the clock) falls in."""
    if not isinstance(sim_id, int) or isinstance(sim_id, bool):
        raise NotFound()
    found = of_sims(session, [sim_id], now)
    if sim_id not in found:
        raise NotFound()
    return found[sim_id]


# --------------------------------------------------------------------------- charts
def _days_between(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def _bytes_by_day(
    session: Session, sim_id: int, since: date, until: date, now: datetime
) -> dict[date, int]:
    lo, hi = utc_bounds(since, until + timedelta(days=1))
    day = _local_day(session, UsageHour.hour, now)
    rows = session.execute(
        select(day, func.sum(UsageHour.bytes_up + UsageHour.bytes_down))
        .where(UsageHour.sim_id == sim_id, UsageHour.hour >= lo, UsageHour.hour < hi)
        .group_by(day)
    ).all()
    return {date.fromisoformat(d): int(b) for d, b in rows}


@verb
def daily(session: Session, sim_id: int, since: date, until: date) -> list[tuple[date, int]]:
    """Bytes used (all, night hours included) per Moscow day from `since` to `until`, both
    included, a zero for a day without usage; at most MAX_DAYS days."""
    if not isinstance(sim_id, int) or isinstance(sim_id, bool):
        raise NotFound()
    if (
        not (isinstance(since, date) and isinstance(until, date))
        or isinstance(since, datetime)
        or isinstance(until, datetime)
    ):
        raise ValidationError("allowance.error.range")
    if until < since or (until - since).days >= MAX_DAYS:
        raise ValidationError("allowance.error.range", max_days=MAX_DAYS)
    got = _bytes_by_day(session, sim_id, since, until, utcnow())
    return [(d, got.get(d, 0)) for d in _days_between(since, until)]


@dataclass(frozen=True)
class PeriodUsage:
    start: date  # Moscow date, first day
    end: date  # Moscow date, first day of the next period (exclusive)
    used_bytes: int


@verb
def monthly(
    session: Session, sim_id: int, months: int, now: datetime | None = None
) -> list[PeriodUsage]:
    """Bytes used per billing period of the SIM (its billing day, not calendar months: the
    figures then match the allowance the subscriber had), the last `months` periods oldest
    first, the current (unfinished) one last. One aggregate over the key by Moscow day."""
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= MAX_MONTHS:
        raise ValidationError("allowance.error.months", max_months=MAX_MONTHS)
    sim = session.get(Sim, sim_id) if isinstance(sim_id, int) else None
    if sim is None:
        raise NotFound()
    now = now or utcnow()
    periods = [period_of(sim.billing_day, now)]
    while len(periods) < months:
        periods.insert(0, current_period(sim.billing_day, periods[0][0] - timedelta(days=1)))
    by_day = _bytes_by_day(session, sim.id, periods[0][0], periods[-1][1] - timedelta(days=1), now)
    return [
        PeriodUsage(start, end, sum(b for d, b in by_day.items() if start <= d < end))
        for start, end in periods
    ]
