"""The demo's mobile data usage: six months of the network's hourly sums for every SIM that has
been in service, written straight into `usage_day` and `usage_hour` (a step of demo.seed_demo).

Shape (hours of day in the operator's time zone, Europe/Moscow): quiet from 2 to 7, rising from
8, the peak from 19 to 23; weekends sleep longer and use more in the daytime. A SIM's label picks
its habits: an office works on weekdays 9-18, a dacha lives at weekends, cameras upload all day
and night (uploads are most of their bytes; everyone else's are downloads). On top of that each
day has its own mood (and a few days away from home), each hour its own noise, and a
night-unlimited add-on moves heavy downloads into its free hours while it lasts.

Volume, per billing period (the SIM's billing day, as in sims.allowance): a tariff with an
allowance uses 30-80 % of it (packs bought in the period included), each SIM around a level of
its own; an unlimited tariff 20-150 GB. A part of a period (the first, the current one so far,
the last before the SIM stopped) gets its share of that by hours. A suspended SIM's usage stops
at the fee that left it in debt, a blocked or deactivated one's when it stopped.

The demo subscriber's stories (demo@paysim.demo, see demo.plan_sims), told in the current period:
- «Дом» (Оптимум, 50 GB): night unlimited since 9 days and a +10 GB pack bought 4 days ago;
  about 90 % of the 60 GB counted, and several gigabytes of night traffic left out of the count.
- «Камеры» (Старт, 15 GB, a static IP): the allowance ran out 2.5 days ago; since then the
  cameras push what the reduced speed lets through, so the SIM shows as limited at about 113 %.
Their billing days are chosen (`story_days_ago`) so that the period is at least 16-20 days old
on whatever day the demo is seeded, and the stories do not depend on the calendar.

Then sims.policy.refresh runs for those SIMs at the seed's clock: «Камеры» is limited for the
packet core too (GET /api/policy), and the subscriber has the 80 % notice for «Дом» and the
100 % one for «Камеры».

Tables, as sims.usage keeps them: `usage_day` (Moscow days) has the six months; `usage_hour`
only the hours the tidy job's sweep keeps (PAYSIM_USAGE_KEEP_HOURS_DAYS), and the days are the
sums of the same hours. The feed's `usage.ingest` is not used: it refuses records older than 35
days, by design. Deterministic: numpy's generator seeded with SEED, every time relative to the
seed's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import text, update
from sqlmodel import Session, select

from paysim_app.i18n.formats import moscow_date
from paysim_app.models import Notification, OutboxEmail, Sim, Tariff
from paysim_app.models.usage import UsageDay, UsageHour
from paysim_app.settings import get_settings
from paysim_app.sims import allowance, policy, usage, usage_months
from paysim_app.sims.tariff_changes import current_period

SEED = 2026_0719
GB = allowance.GB
HISTORY_DAYS = 184  # six months back from the seed's clock (the oldest SIMs began 181 days ago)
HOUR = timedelta(hours=1)
BATCH = 20_000  # rows per statement on PostgreSQL

# relative weight of each hour of the day (operator's time), weekday and weekend
_HOME = (
    (0.9, 0.5, 0.25, 0.15, 0.12, 0.12, 0.18, 0.35, 0.6, 0.8, 0.9, 0.95)
    + (1.0, 1.0, 0.95, 0.95, 1.05, 1.25, 1.6, 2.1, 2.5, 2.7, 2.4, 1.6),
    (1.2, 0.8, 0.4, 0.2, 0.12, 0.1, 0.12, 0.2, 0.4, 0.75, 1.1, 1.3)
    + (1.4, 1.4, 1.35, 1.3, 1.3, 1.4, 1.7, 2.1, 2.5, 2.7, 2.5, 1.9),
)
_OFFICE_DAY = (0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 1.2, 2.2, 2.5, 2.5) + (
    (2.0, 2.2, 2.5, 2.4, 2.2, 1.6, 0.7, 0.3, 0.2, 0.15, 0.1, 0.08)
)
_CAMERAS_DAY = (0.8,) * 7 + (1.1,) + (1.3,) * 12 + (1.1,) + (0.8,) * 3
PROFILES: dict[str, np.ndarray] = {
    "home": np.array(_HOME),
    "office": np.array((_OFFICE_DAY, tuple(w * 0.15 for w in _OFFICE_DAY))),
    "dacha": np.array((tuple(w * 0.35 for w in _HOME[0]), tuple(w * 1.6 for w in _HOME[1]))),
    "cameras": np.array((_CAMERAS_DAY, _CAMERAS_DAY)),
}
PERSONA_OF_LABEL = {"Офис": "office", "Дача": "dacha", "Камеры": "cameras"}

FRACTION = (0.30, 0.80)  # of the allowance used per period
UNLIMITED_GB = (20, 150)  # per period on an unlimited tariff
NIGHT_SHIFT = 6.0  # night-unlimited hours carry this many times their usual traffic
HOME_PERCENT = 0.90  # «Дом»: counted / allowance (tariff + pack) in the current period
CAMERAS_LIMITED_HOURS = 60  # «Камеры»: hours since the allowance ran out
CAMERAS_OVER = 1.003  # «Камеры»: counted / allowance when it ran out
NOTICE_KINDS = ("data_80", "data_100")  # what sims.policy sends at 80 % and 100 %


def story_days_ago(today: date, into_period: int, months: int = 5) -> int:
    """Days before `today` to activate a story SIM: `months` months and `into_period` days ago,
    on a day of the month that is at most 28 (the billing day is the activation's), so its
    current billing period began `into_period` days ago, or up to 3 days earlier when that day
    of the month is past 28. The stories then read the same on any seed day."""
    began = today - timedelta(days=into_period)
    index = began.year * 12 + began.month - 1 - months
    return (today - date(index // 12, index % 12 + 1, min(began.day, 28))).days


@dataclass
class _Timeline:
    """Every hour (UTC) from `begin` to `end`, with its hour of day and weekday in the operator's
    time zone and its Moscow day (usage_day's day)."""

    begin: datetime
    hours: list[datetime]
    epoch: np.ndarray  # seconds
    hod: np.ndarray  # hour of day, operator's time
    weekend: np.ndarray  # 0 weekday, 1 Saturday or Sunday
    day: np.ndarray  # index into `days`
    days: list[date]

    @classmethod
    def between(cls, begin: datetime, end: datetime, tz) -> _Timeline:
        n = int((end - begin) / HOUR)
        hours = [begin + i * HOUR for i in range(n)]
        hod, weekend, day, days = [], [], [], []
        for h in hours:
            local = h.astimezone(tz)
            hod.append(local.hour)
            weekend.append(1 if local.weekday() >= 5 else 0)
            d = usage.day_of(h)
            if not days or days[-1] != d:
                days.append(d)
            day.append(len(days) - 1)
        return cls(
            begin,
            hours,
            np.array([int(h.timestamp()) for h in hours], dtype=np.int64),
            np.array(hod, dtype=np.int64),
            np.array(weekend, dtype=np.int64),
            np.array(day, dtype=np.int64),
            days,
        )

    def index(self, moment: datetime, *, up: bool = False) -> int:
        """The hour `moment` falls in (or the next whole hour, `up`), within [0, len]."""
        seconds = (moment - self.begin).total_seconds()
        i = int(-(-seconds // 3600)) if up else int(seconds // 3600)
        return min(max(i, 0), len(self.hours))


def _stopped_at(plan) -> datetime | None:
    """When the SIM stopped moving data: the fee that left it in debt (suspended), its block or
    deactivation; None while it is in service."""
    if plan.status == "suspended":
        return max(e.at for e in plan.events if e.kind == "fee")
    if plan.status in ("blocked", "deactivated"):
        return plan.stop_at
    return None


def _night_mask(hod: np.ndarray, from_hour: int, to_hour: int) -> np.ndarray:
    if from_hour < to_hour:
        return (hod >= from_hour) & (hod < to_hour)
    return (hod >= from_hour) | (hod < to_hour)


class _Usage:
    def __init__(self, seeder):
        self.seeder = seeder
        self.rng = np.random.default_rng(SEED)
        now = seeder.now.astimezone(UTC)
        end = now.replace(minute=0, second=0, microsecond=0)  # the hours before it are over
        self.line = _Timeline.between(end - timedelta(days=HISTORY_DAYS), end, seeder.tz)
        keep = timedelta(days=get_settings().paysim_usage_keep_hours_days)
        self.keep_from = int((now - keep).timestamp())  # what usage.sweep would leave
        self.nights: dict[int, list] = {}
        self.packs: dict[int, list] = {}
        for plan, addon, event in seeder.addon_buys:
            until = event.at + timedelta(days=addon.period_days)
            if addon.kind == "night_unlimited":
                window = (event.at, until, addon.night_from_hour, addon.night_to_hour)
                self.nights.setdefault(id(plan), []).append(window)
            elif addon.kind == "data_pack":
                self.packs.setdefault(id(plan), []).append((event.at, addon.data_gb))
        self.hour_parts: list[tuple] = []  # (sim ids, hour indexes, bytes up, bytes down)
        self.day_parts: list[tuple] = []  # (sim ids, day indexes, bytes up, bytes down)

    # ---- one SIM

    def sim(self, plan) -> None:
        line, rng = self.line, self.rng
        i0 = line.index(plan.activated_at, up=True)
        stop = _stopped_at(plan)
        i1 = len(line.hours) if stop is None else line.index(stop)
        persona = PERSONA_OF_LABEL.get(plan.label, "home")
        # each SIM's own level and habits, drawn whether or not it has hours in the window
        level = rng.uniform(*FRACTION)
        level_gb = rng.uniform(*UNLIMITED_GB)
        up_share = rng.uniform(0.84, 0.9) if persona == "cameras" else rng.uniform(0.06, 0.15)
        mood = rng.lognormal(0.0, 0.3, len(line.days))
        away = rng.random(len(line.days)) < (0.005 if persona == "cameras" else 0.04)
        mood[away] *= 0.05
        if i1 <= i0:
            return
        n = i1 - i0
        hod, weekend = line.hod[i0:i1], line.weekend[i0:i1]
        raw = PROFILES[persona][weekend, hod] * mood[line.day[i0:i1]]
        raw *= rng.lognormal(0.0, 0.5, n)
        free = np.zeros(n, dtype=bool)
        epoch = line.epoch[i0:i1]
        for start, until, from_hour, to_hour in self.nights.get(id(plan), []):
            inside = (epoch >= int(start.timestamp())) & (epoch < int(until.timestamp()))
            free |= inside & _night_mask(hod, from_hour, to_hour)
        raw[free] *= NIGHT_SHIFT
        counted = np.where(free, 0.0, raw)

        volume = np.zeros(n)
        current = None
        on = moscow_date(line.hours[i0])
        while True:
            start, end = current_period(plan.billing_day, on)
            lo, hi = allowance.utc_bounds(start, end)
            a, b = line.index(lo) - i0, line.index(hi) - i0
            a, b = max(a, 0), min(b, n)
            if a >= n:
                break
            on = end
            if a >= b:
                continue
            tariff = plan.tariff
            if plan.switch_at is not None and hi <= plan.switch_at:
                tariff = plan.tariff_before
            packs = sum(gb for at, gb in self.packs.get(id(plan), []) if lo <= at < hi)
            share = (b - a) / ((hi - lo) / HOUR)
            if tariff.data_gb is None:
                target = np.clip(level_gb * rng.lognormal(0.0, 0.2), *UNLIMITED_GB) * GB
            else:
                fraction = np.clip(level + rng.normal(0.0, 0.08), *FRACTION)
                target = fraction * (tariff.data_gb + packs) * GB
            volume[a:b] = self._scaled(raw[a:b], counted[a:b], target * share)
            current = (a, b, tariff, packs)

        if current is not None and stop is None and plan is self.seeder.home:
            a, b, tariff, packs = current
            target = HOME_PERCENT * (tariff.data_gb + packs) * GB
            volume[a:b] = self._scaled(raw[a:b], counted[a:b], target)
        elif current is not None and stop is None and plan is self.seeder.cameras:
            a, b, tariff, packs = current
            x = max(a + (b - a) // 2, b - CAMERAS_LIMITED_HOURS)
            target = CAMERAS_OVER * (tariff.data_gb + packs) * GB
            volume[a:x] = self._scaled(raw[a:x], counted[a:x], target)
            per_hour = tariff.limited_speed_kbps * 1000 / 8 * 3600  # bytes at the reduced speed
            volume[x:b] = per_hour * rng.uniform(0.3, 0.8, b - x)

        total = np.floor(volume).astype(np.int64)
        up = np.floor(total * np.clip(up_share * rng.lognormal(0.0, 0.2, n), 0.0, 0.97))
        up = up.astype(np.int64)
        down = total - up
        self._rows(plan.id, i0, total, up, down)

    @staticmethod
    def _scaled(raw: np.ndarray, counted: np.ndarray, target: float) -> np.ndarray:
        """`raw` scaled so that its counted part sums to `target` bytes."""
        base = counted.sum()
        return raw * (target / base) if base > 0 else np.zeros_like(raw)

    def _rows(self, sim_id: int, i0: int, total, up, down) -> None:
        """Keep the SIM's hours inside the hourly retention and its days (hours and days
        without traffic have no row, as from the feed)."""
        line = self.line
        i1 = i0 + len(total)
        kept = np.flatnonzero((total > 0) & (line.epoch[i0:i1] >= self.keep_from))
        self.hour_parts.append((np.full(len(kept), sim_id), kept + i0, up[kept], down[kept]))
        day = line.day[i0:i1]
        starts = np.concatenate(([0], np.flatnonzero(np.diff(day)) + 1))
        ups, downs = np.add.reduceat(up, starts), np.add.reduceat(down, starts)
        moved = (ups + downs) > 0
        self.day_parts.append(
            (np.full(moved.sum(), sim_id), day[starts][moved], ups[moved], downs[moved])
        )

    # ---- all of them

    @staticmethod
    def _joined(parts: list[tuple]) -> tuple[np.ndarray, ...]:
        if not parts:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(4))
        return tuple(np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(4))

    def write(self, session: Session) -> None:
        """Insert the days and the hours."""
        days = self._joined(self.day_parts)
        hours = self._joined(self.hour_parts)  # in key order (SIM, hour)
        if session.get_bind().dialect.name == "postgresql":
            epoch_day = date(1970, 1, 1).toordinal()
            day_numbers = np.array([d.toordinal() - epoch_day for d in self.line.days])
            _pg_insert(session, _PG_DAYS, (days[0], day_numbers[days[1]], days[2], days[3]))
            _pg_insert(session, _PG_HOURS, (hours[0], self.line.epoch[hours[1]], *hours[2:]))
        else:
            # in time order: the index on hour grows at its end, the key at one end per SIM
            order = np.lexsort((hours[0], hours[1]))
            hours = tuple(column[order] for column in hours)
            _sqlite_insert(session, UsageDay.__table__.c.day, self.line.days, days)
            _sqlite_insert(session, UsageHour.__table__.c.hour, self.line.hours, hours)


_PG_DAYS = (
    "INSERT INTO usage_day (sim_id, day, bytes_up, bytes_down)"
    " SELECT k, DATE '1970-01-01' + a, u, d FROM unnest(CAST(:keys AS integer[]),"
    " CAST(:at AS integer[]), CAST(:up AS bigint[]), CAST(:down AS bigint[])) AS t(k, a, u, d)"
)
_PG_HOURS = (
    "INSERT INTO usage_hour (sim_id, hour, bytes_up, bytes_down)"
    " SELECT k, to_timestamp(a), u, d FROM unnest(CAST(:keys AS integer[]),"
    " CAST(:at AS bigint[]), CAST(:up AS bigint[]), CAST(:down AS bigint[])) AS t(k, a, u, d)"
)


def _array(values: np.ndarray) -> str:
    return "{" + ",".join(map(str, values.tolist())) + "}"


def _pg_insert(session: Session, statement: str, columns: tuple[np.ndarray, ...]) -> None:
    """PostgreSQL: BATCH rows a statement, each column one array literal (as sims.usage does)."""
    for i in range(0, len(columns[0]), BATCH):
        keys, at, up, down = (c[i : i + BATCH] for c in columns)
        params = {"keys": _array(keys), "at": _array(at), "up": _array(up), "down": _array(down)}
        session.execute(text(statement), params)


def _sqlite_insert(session: Session, column, moments: list, columns: tuple) -> None:
    """SQLite: one executemany with the time column as the column's type stores it (each
    distinct hour or day formatted once), not a type conversion per row."""
    connection = session.connection()
    dialect = connection.dialect
    bind = column.type.dialect_impl(dialect).bind_processor(dialect)
    stored = [bind(m) if bind else m for m in moments]
    keys, at, up, down = (c.tolist() for c in columns)
    rows = [(k, stored[a], u, d) for k, a, u, d in zip(keys, at, up, down, strict=True)]
    connection.exec_driver_sql(
        f"INSERT INTO {column.table.name} (sim_id, {column.name}, bytes_up, bytes_down)"
        " VALUES (?, ?, ?, ?)",
        rows,
    )


def seed_usage(seeder) -> None:
    """Write the usage of every SIM the seeder put in service (after its SIMs and add-ons are
    inserted: the rows need their ids), its final months rolled up, then the network policy
    those SIMs have with it."""
    work = _Usage(seeder)
    in_service = []
    for plan in [*seeder.sims, *_put_in_service_by_verbs(seeder)]:
        if plan.activated_at is not None:
            work.sim(plan)
            in_service.append(plan.id)
    work.write(seeder.s)
    # the months already final, as the tidy job would have rolled them (sims.usage_months)
    usage_months.roll_up(seeder.s, now=seeder.now, max_days=None)
    _refresh_policy(seeder.s, in_service, seeder.now)


@dataclass(eq=False)
class _LatePlan:
    """What the usage needs of a SIM the seeder did not plan but put in service through the
    verbs (a SIM order handed out and approved): it has used data since its activation."""

    id: int
    status: str
    tariff: object
    activated_at: datetime
    billing_day: int
    label: str = ""
    switch_at: datetime | None = None
    tariff_before: object = None
    stop_at: datetime | None = None
    events: list = field(default_factory=list)


def _put_in_service_by_verbs(seeder) -> list[_LatePlan]:
    # a stock SIM the seeder planned may have been sold since (its plan still says in stock)
    planned = {plan.id for plan in seeder.sims if plan.activated_at is not None}
    rows = seeder.s.exec(
        select(Sim).where(Sim.activated_at.is_not(None), Sim.status == "active").order_by(Sim.id)
    ).all()
    return [
        _LatePlan(
            id=sim.id,
            status=sim.status,
            tariff=seeder.s.get(Tariff, sim.tariff_id),
            activated_at=sim.activated_at.replace(tzinfo=sim.activated_at.tzinfo or UTC),
            billing_day=sim.billing_day,
        )
        for sim in rows
        if sim.id not in planned and sim.tariff_id is not None
    ]


def _refresh_policy(session: Session, sim_ids: list[int], now: datetime) -> None:
    """sims.policy.refresh at the seed's clock: «Камеры» is limited for the packet core too,
    and the owners get the 80 % / 100 % notices. The notices (and their e-mail copies, which
    wait in the outbox) carry the wall clock; the demo's history ends at its own clock, so they
    are dated by it."""
    policy.refresh(session, sim_ids, now=now)
    notices = Notification.kind.in_(NOTICE_KINDS)
    session.execute(update(Notification).where(notices).values(created_at=now))
    session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.kind.in_(NOTICE_KINDS))
        .values(created_at=now, next_attempt_at=now)
    )
