"""Data usage as the pages show it: the subscriber's dashboard card, a SIM's months, the partner's
totals per SIM, and the back office's traffic by tariff and by partner.

Every verb checks who asks. A subscriber reads only its own SIMs (core.permissions.owned_sim; an
admin with sims.view reads any); a partner reads only the totals of SIMs assigned to it (others
it names are left out, never reported); the traffic statistics need sims.view (by tariff) or
partners.view (by partner).

Sources: the period's numbers are sims.allowance.of_sim (tariff + packs - counted usage, the
speed limit); the charts and histories read usage_day (sims.usage_history), whose Moscow days
hold all bytes, night hours included.

The forecast ("runs out on"): the pace is the bytes of the last FORECAST_DAYS Moscow days of the
period (today so far included; fewer at the start of a period) divided by the time they cover
up to now (at least one day), scaled by the period's counted share (counted / used, so the
night-unlimited hours are left out at the rate they were so far). What is left divided by the
pace gives the moment it runs out; its Moscow date is the forecast when it falls inside the
period. No forecast when the allowance is unlimited, already used up (the card shows the limit
instead), nothing was used lately, or it lasts to the period's end.

A pack is offered (the cheapest data pack on sale, if the SIM can buy one now) when LOW_PERCENT
of the allowance is used, or it is used up, or it is forecast to run out within the period.

Sizes are bytes; i18n.formats.data_size prints them (decimal units: 1 GB = 10**9 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select, union_all
from sqlmodel import Session

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.permissions import Actor, owned_sim, require, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_date, moscow_day_range
from paysim_app.models import AddonService, Partner, Sim, Tariff
from paysim_app.models.base import utcnow
from paysim_app.models.usage import UsageDay, UsageMonth
from paysim_app.sims import allowance, usage_history, usage_months
from paysim_app.sims.usage_months import month_of, months_back

FORECAST_DAYS = 7  # the pace's window: the last week of the period
LOW_PERCENT = 80  # from here on the card offers a pack
HISTORY_MONTHS = 12  # the SIM page's and the admin card's months
TRAFFIC_MONTHS = 13  # the months the statistics offer (what usage_day keeps)
TRAFFIC_KINDS = ("tariff", "partner")
_TRAFFIC_PERMISSION = {"tariff": "sims.view", "partner": "partners.view"}


@dataclass(frozen=True)
class DayUsage:
    day: date  # Moscow calendar day
    bytes: int  # up + down, night hours included


@dataclass(frozen=True)
class PackOffer:
    addon_id: int
    name: str
    price_kop: int
    data_gb: int


@dataclass(frozen=True)
class UsageCard:
    """The dashboard's usage card for one SIM in its current billing period."""

    sim_id: int
    period_start: date  # Moscow date, the first day
    period_end: date  # Moscow date, the first day of the next period (exclusive)
    unlimited: bool
    used_bytes: int  # counted against the allowance (night-unlimited hours left out)
    free_bytes: int  # the night-unlimited hours' bytes, not counted
    allowance_bytes: int | None  # tariff + packs; None: unlimited
    left_bytes: int | None  # None: unlimited
    percent: float | None  # used / allowance * 100, at most 100; None: unlimited
    exhausted: bool
    limited: bool  # the speed is the tariff's reduced one
    speed_kbps: int
    days: list[DayUsage]  # the period's days up to today, zero-filled
    pace_bytes_per_day: int  # counted bytes per day at the current pace
    runs_out_on: date | None  # the forecast (see the module's docstring)
    offer_pack: bool
    pack: PackOffer | None  # the cheapest data pack on sale

    @property
    def last_day(self) -> date:
        """The period's last day (what "left until ..." names)."""
        return self.period_end - timedelta(days=1)


@dataclass(frozen=True)
class MonthUsage:
    month: date  # the first day of the Moscow calendar month
    bytes_up: int
    bytes_down: int

    @property
    def bytes(self) -> int:
        return self.bytes_up + self.bytes_down


@dataclass(frozen=True)
class TrafficRow:
    """One tariff's or partner's traffic in a month (None: SIMs without one)."""

    key_id: int | None
    name: str
    sims: int  # SIMs with any usage in the month
    bytes: int


# --------------------------------------------------------------------------- pure rules
def pace_per_day(window_bytes: int, window_start: datetime, now: datetime, share: float) -> float:
    """Counted bytes per day: the window's bytes over the days from its start to now (at least
    one), times the counted share (0..1)."""
    elapsed = max((now - window_start).total_seconds() / 86400, 1.0)
    return window_bytes * share / elapsed


def runs_out_on(
    left: int | None, pace: float, now: datetime, period_end: date, exhausted: bool
) -> date | None:
    """The Moscow date the allowance runs out at `pace`, if that is before `period_end`."""
    if left is None or exhausted or pace <= 0:
        return None
    when = moscow_date(now + timedelta(days=left / pace))
    return when if when < period_end else None


def should_offer(card_percent: float | None, exhausted: bool, forecast: date | None) -> bool:
    if card_percent is None:  # unlimited
        return False
    return exhausted or card_percent >= LOW_PERCENT or forecast is not None


def recent_months(today: date | None = None, n: int = TRAFFIC_MONTHS) -> list[str]:
    """'YYYY-MM' of the last `n` calendar months, the current one first."""
    today = today or moscow_date(utcnow())
    first = month_of(today)
    return [months_back(first, i).strftime("%Y-%m") for i in range(n)]


def parse_month(value: object) -> date:
    """'YYYY-MM' -> its first day; anything else is refused."""
    text = value if isinstance(value, str) else ""
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        first = date(int(text[:4]), int(text[5:7]), 1)
    except ValueError:
        raise ValidationError("data_usage.error.month") from None
    if not 2000 <= first.year <= 2100:
        raise ValidationError("data_usage.error.month")
    return first


def _month_end(first: date) -> date:
    """The last day of the month that begins on `first`."""
    return months_back(first, -1) - timedelta(days=1)


# --------------------------------------------------------------------------- queries
def _cheapest_pack(session: Session) -> PackOffer | None:
    row = session.execute(
        select(AddonService.id, AddonService.name, AddonService.price_kop, AddonService.data_gb)
        .where(AddonService.kind == "data_pack", AddonService.is_archived.is_(False))
        .order_by(AddonService.price_kop, AddonService.id)
        .limit(1)
    ).first()
    return PackOffer(row.id, row.name, row.price_kop, row.data_gb) if row else None


def _card(session: Session, sim: Sim, now: datetime) -> UsageCard:
    a = allowance.of_sim(session, sim.id, now)
    today = moscow_date(now)
    last = min(today, a.period_end - timedelta(days=1))
    days = [
        DayUsage(d, up + down)
        for d, up, down in usage_history.daily(session, sim.id, a.period_start, last)
    ]
    window_first = max(a.period_start, last - timedelta(days=FORECAST_DAYS - 1))
    window_bytes = sum(d.bytes for d in days if d.day >= window_first)
    share = a.counted_bytes / a.used_bytes if a.used_bytes > 0 else 1.0
    pace = pace_per_day(window_bytes, moscow_day_range(window_first)[0], now, share)
    total = a.total_bytes
    forecast = runs_out_on(a.left_bytes, pace, now, a.period_end, a.exhausted)
    percent = None if total is None else min(a.percent_used or 0.0, 100.0)
    pack = _cheapest_pack(session) if total is not None else None
    offer = (
        should_offer(percent, a.exhausted, forecast) and pack is not None and sim.status == "active"
    )
    return UsageCard(
        sim_id=sim.id,
        period_start=a.period_start,
        period_end=a.period_end,
        unlimited=total is None,
        used_bytes=a.counted_bytes,
        free_bytes=a.free_bytes,
        allowance_bytes=total,
        left_bytes=a.left_bytes,
        percent=percent,
        exhausted=a.exhausted,
        limited=a.limited,
        speed_kbps=a.speed_kbps,
        days=days,
        pace_bytes_per_day=int(pace),
        runs_out_on=forecast,
        offer_pack=offer,
        pack=pack if offer else None,
    )


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationError("usage.bad_period")
    return now.astimezone(UTC)


def _sim_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PermissionDenied()  # the same answer as a SIM of someone else's
    return value


@verb
def sim_usage(
    session: Session, actor: Actor, sim_id: int, now: datetime | None = None
) -> UsageCard:
    """The usage card of one SIM: its subscriber's, or any for an admin with sims.view."""
    sim = owned_sim(session, actor, _sim_id(sim_id), admin_permission="sims.view")
    return _card(session, sim, _now(now))


@verb
def sim_months(
    session: Session,
    actor: Actor,
    sim_id: int,
    months: int = HISTORY_MONTHS,
    today: date | None = None,
) -> list[MonthUsage]:
    """A SIM's usage per Moscow calendar month, the last `months` (the current one so far
    last), zeros for months without usage: its subscriber's, or any for sims.view."""
    sim = owned_sim(session, actor, _sim_id(sim_id), admin_permission="sims.view")
    return [
        MonthUsage(m, up, down)
        for m, up, down in usage_history.monthly(session, sim.id, months, today=today)
    ]


@verb
def partner_totals(
    session: Session, actor: Actor, sim_ids: list[int], today: date | None = None
) -> dict[int, tuple[int, int]]:
    """{sim_id: (bytes this month so far, bytes last month)} for the partner's own SIMs among
    `sim_ids` (a page of its list; at most usage_history.MAX_SIMS): one aggregate over usage_day
    joined to the SIM's partner. A SIM of another partner is left out; one without usage has
    zeros."""
    require_role(actor, "partner")
    if actor.partner_id is None:
        raise PermissionDenied()
    if not isinstance(sim_ids, list | tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in sim_ids
    ):
        raise ValidationError("allowance.error.sim_ids")
    wanted = sorted(set(sim_ids))
    if len(wanted) > usage_history.MAX_SIMS:
        raise ValidationError("usage.too_many_sims")
    if not wanted:
        return {}
    today = today or moscow_date(utcnow())
    this_first = month_of(today)
    last_first = months_back(this_first, 1)
    ud = UsageDay.__table__.c
    total = ud.bytes_up + ud.bytes_down
    own = set(
        session.execute(
            select(Sim.id).where(Sim.id.in_(wanted), Sim.partner_id == actor.partner_id)
        ).scalars()
    )
    out = dict.fromkeys(sorted(own), (0, 0))
    rows = session.execute(
        select(
            ud.sim_id,
            func.sum(case((ud.day >= this_first, total), else_=0)),
            func.sum(case((ud.day < this_first, total), else_=0)),
        )
        .join(Sim, Sim.id == ud.sim_id)
        .where(
            ud.sim_id.in_(wanted),
            Sim.partner_id == actor.partner_id,
            ud.day >= last_first,
            ud.day <= today,
        )
        .group_by(ud.sim_id)
    ).all()
    for sim_id, this_month, last_month in rows:
        out[sim_id] = (int(this_month or 0), int(last_month or 0))
    return out


@verb
def traffic(session: Session, actor: Actor, month: str, by: str) -> list[TrafficRow]:
    """The month's traffic per tariff (the SIMs' tariff now) or per partner, biggest first: one
    query over the month's rows (summed per SIM, then per tariff or partner), then the names.
    A month whose days are final reads usage_month (a row a SIM); the current one usage_day
    (~30 rows a SIM, some 30M at a million SIMs): the page loads it in the background."""
    if by not in TRAFFIC_KINDS:
        raise ValidationError("data_usage.error.kind")
    require(actor, _TRAFFIC_PERMISSION[by])
    first = parse_month(month)
    ud, um = UsageDay.__table__.c, UsageMonth.__table__.c
    # each SIM's month first (a hash aggregate over the month's rows), then one row per SIM
    # joined to its tariff or partner: no DISTINCT, and no index walk per SIM (measured in
    # bench/usage_traffic.py: the direct join with count(DISTINCT) took twice as long). The
    # month's final days come from usage_month (one row a SIM), the others from usage_day.
    rolled = usage_months.rolled_through(session)
    days_from = first
    parts = []
    if rolled is not None and rolled >= first:
        parts.append(
            select(um.sim_id.label("sim_id"), (um.bytes_up + um.bytes_down).label("b")).where(
                um.month == first
            )
        )
        days_from = rolled + timedelta(days=1)
    if days_from <= _month_end(first):
        parts.append(
            select(ud.sim_id.label("sim_id"), (ud.bytes_up + ud.bytes_down).label("b")).where(
                ud.day >= days_from, ud.day <= _month_end(first)
            )
        )
    if days_from > _month_end(first):
        per_sim = parts[0].subquery()  # a wholly final month: already one row a SIM
    else:
        part = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
        per_sim = (
            select(part.c.sim_id, func.sum(part.c.b).label("b")).group_by(part.c.sim_id).subquery()
        )
    key = Sim.tariff_id if by == "tariff" else Sim.partner_id
    rows = session.execute(
        select(key, func.count(), func.sum(per_sim.c.b))
        .select_from(per_sim)
        .join(Sim, Sim.id == per_sim.c.sim_id)
        .group_by(key)
    ).all()
    ids = [r[0] for r in rows if r[0] is not None]
    model = Tariff if by == "tariff" else Partner
    names = (
        dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
        if ids
        else {}
    )
    out = [
        TrafficRow(k, names.get(k, "") if k is not None else "", int(n), int(b or 0))
        for k, n, b in rows
    ]
    return sorted(out, key=lambda r: (-r.bytes, r.name))
