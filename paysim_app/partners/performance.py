"""Partner statistics: SIMs, subscribers, profit (commissions) and activations, for any period.

Every figure is one grouped SQL query (no Python loop over rows), shaped for the indexes:
profit, payments, activations and the comparison's SIM counts from the partners' takings by
hour (partners.takings: at most one row per partner and hour, so a year is ~8 800 rows however
many payments it had); a partner's SIMs by status from (partner_id, status) —
ix_sim_partner_status (partner_id, status, id).

Profit is the sum of the partner's commission rows: accruals are positive, a refund's reversal
carries the negative amount, so the sum is accruals minus reversals. A row counts in the Moscow
day (and month) of its created_at. A period is a range of Moscow calendar days, both included.

An admin with partners.view may ask about any partner; a partner's user about its own only.

Settlement (`settlement`, `settlements`): the cash a partner collected through its cash top-ups
(method "partner", what it kept: the amount less refunds and chargebacks), the commission it
earned on all its subscribers' payments (accruals less reversals), and what it owes the operator
for the period: cash - commission (negative: the operator owes the partner). Each is one query
over the takings, grouped by month (one partner) or by partner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from paysim_app.core import bulk
from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_day_range
from paysim_app.models import Partner, PartnerTakings, Sim, Subscriber
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.partners import takings
from paysim_app.settings import get_settings

MAX_MONTHS = 120  # the longest period a chart is drawn for


@dataclass(frozen=True)
class MonthPoint:
    month: str  # 'YYYY-MM'
    profit_kop: int
    activations: int


@dataclass(frozen=True)
class PartnerStats:
    partner_id: int
    partner_name: str
    date_from: date
    date_to: date
    sims_by_status: dict[str, int]  # every status, zeros included
    sims: int
    subscribers: int  # contracts the partner brought, active or not
    active_subscribers: int
    profit_total_kop: int  # all time
    profit_kop: int  # in the period
    payments_count: int  # succeeded payments of its subscribers in the period
    payments_kop: int
    activations: int  # its SIMs activated in the period
    months: list[MonthPoint] = field(default_factory=list)  # every month of the period


@dataclass(frozen=True)
class SettlementRow:
    """One month (`key` 'YYYY-MM') of one partner, or one partner (`key` its id) of a period."""

    key: str
    cash_kop: int  # cash collected through the partner's cash top-ups
    commission_kop: int  # commission earned (accruals less reversals)

    @property
    def owed_kop(self) -> int:
        """What the partner owes the operator (negative: what the operator owes it)."""
        return self.cash_kop - self.commission_kop


@dataclass(frozen=True)
class PartnerComparisonRow:
    partner_id: int
    code: str
    name: str
    is_active: bool
    sims: int
    subscribers: int
    active_subscribers: int
    activations: int
    payments_count: int
    payments_kop: int
    profit_kop: int


# --------------------------------------------------------------------------- helpers
@verb
def month_of(session: Session, column: ColumnElement) -> ColumnElement:
    """The month of a UTC timestamp column in the operator's time zone, in SQL, for GROUP BY;
    month_key() turns a value of it into 'YYYY-MM'.

    PostgreSQL: date_trunc of the local time, with the zone's rules. SQLite has no zones, so it
    shifts by the zone's current UTC offset (Moscow has had no daylight saving since 2014)."""
    tz = get_settings().paysim_timezone
    if bulk.is_postgres(session):
        return func.date_trunc("month", func.timezone(tz, column))
    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.strftime("%Y-%m", column, f"{minutes:+d} minutes")


def month_key(value: object) -> str:
    """A month_of() value as 'YYYY-MM'."""
    return value.strftime("%Y-%m") if isinstance(value, datetime | date) else str(value)[:7]


def months_between(date_from: date, date_to: date) -> list[str]:
    out, year, month = [], date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _bounds(date_from: object, date_to: object) -> tuple[datetime, datetime]:
    if not isinstance(date_from, date) or not isinstance(date_to, date):
        raise ValidationError("error.invalid", field="date_from")
    if isinstance(date_from, datetime) or isinstance(date_to, datetime):
        raise ValidationError("error.invalid", field="date_from")
    if date_from > date_to:
        raise ValidationError("admin_catalogue.error.date_range", field="date_to")
    if len(months_between(date_from, date_to)) > MAX_MONTHS:
        raise ValidationError(
            "admin_catalogue.error.range_too_long", field="date_from", months=MAX_MONTHS
        )
    return moscow_day_range(date_from)[0], moscow_day_range(date_to)[1]


def _may_view(actor: Actor | None, partner_id: object) -> None:
    """An admin with partners.view, or a user of that very partner."""
    if (
        actor is not None
        and actor.role == "partner"
        and actor.partner_id is not None
        and actor.partner_id == partner_id
    ):
        return
    require(actor, "partners.view")  # refuses any other partner, subscriber or admin


# --------------------------------------------------------------------------- one partner
@verb
def partner_stats(
    session: Session, actor: Actor, partner_id: int, date_from: date, date_to: date
) -> PartnerStats:
    """Everything the statistics page shows for one partner and a period of Moscow days."""
    _may_view(actor, partner_id)
    start, end = _bounds(date_from, date_to)
    partner = session.get(Partner, partner_id) if isinstance(partner_id, int) else None
    if partner is None:
        raise NotFound()
    pid = partner.id

    by_status = dict.fromkeys(SIM_STATUSES, 0)
    by_status.update(
        session.execute(
            select(Sim.status, func.count()).where(Sim.partner_id == pid).group_by(Sim.status)
        ).all()
    )
    subscribers, active_subscribers = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Subscriber.status == "active", 1), else_=0)), 0),
        ).where(Subscriber.partner_id == pid)
    ).one()
    profit_total = takings.sums(session, None, partner_id=pid)[None].profit_kop
    by_month = {
        month_key(month): figures
        for month, figures in takings.sums(
            session, month_of(session, PartnerTakings.hour), partner_id=pid, start=start, end=end
        ).items()
    }
    none = takings.Takings()
    months = [
        MonthPoint(m, by_month.get(m, none).profit_kop, by_month.get(m, none).activations)
        for m in months_between(date_from, date_to)
    ]
    return PartnerStats(
        partner_id=pid,
        partner_name=partner.name,
        date_from=date_from,
        date_to=date_to,
        sims_by_status=by_status,
        sims=sum(by_status.values()),
        subscribers=int(subscribers),
        active_subscribers=int(active_subscribers),
        profit_total_kop=profit_total,
        profit_kop=sum(p.profit_kop for p in months),
        payments_count=sum(f.payments for f in by_month.values()),
        payments_kop=sum(f.kept_kop for f in by_month.values()),
        activations=sum(p.activations for p in months),
        months=months,
    )


# --------------------------------------------------------------------------- all partners
@verb
def partners_comparison(
    session: Session, actor: Actor, date_from: date, date_to: date
) -> list[PartnerComparisonRow]:
    """Every partner side by side for one period, most profitable first: the contracts in one
    grouped query, the rest from the takings (never one query per partner). Admins only: a
    partner never sees the others."""
    require(actor, "partners.view")
    start, end = _bounds(date_from, date_to)

    subscribers = {
        partner_id: (contracts, active)
        for partner_id, contracts, active in session.execute(
            select(
                Subscriber.partner_id,
                func.count(),
                func.coalesce(func.sum(case((Subscriber.status == "active", 1), else_=0)), 0),
            )
            .where(Subscriber.partner_id.is_not(None))
            .group_by(Subscriber.partner_id)
        )
    }
    held = takings.held(session)
    taken = takings.sums(session, PartnerTakings.partner_id, start=start, end=end)
    none, rows = takings.Takings(), []
    for p in session.execute(select(Partner.id, Partner.code, Partner.name, Partner.is_active)):
        period, contracts = taken.get(p.id, none), subscribers.get(p.id, (0, 0))
        rows.append(
            PartnerComparisonRow(
                partner_id=p.id,
                code=p.code,
                name=p.name,
                is_active=p.is_active,
                sims=held.get(p.id, 0),
                subscribers=int(contracts[0]),
                active_subscribers=int(contracts[1]),
                activations=period.activations,
                payments_count=period.payments,
                payments_kop=period.kept_kop,
                profit_kop=period.profit_kop,
            )
        )
    rows.sort(key=lambda r: (-r.profit_kop, r.name, r.partner_id))
    return rows


# --------------------------------------------------------------------------- settlement
def _settlement_rows(session: Session, start: datetime, end: datetime, partner_id: int | None):
    """(group, cash, commission) rows from the takings: by month for one partner, by partner
    for all (a partner with neither in the period has no row)."""
    if partner_id is None:
        group = PartnerTakings.partner_id
    else:
        group = month_of(session, PartnerTakings.hour)
    found = takings.sums(session, group, partner_id=partner_id, start=start, end=end)
    return [
        (key, f.cash_kop, f.profit_kop) for key, f in found.items() if f.cash_kop or f.profit_kop
    ]


@verb
def settlement(
    session: Session, actor: Actor, partner_id: int, date_from: date, date_to: date
) -> list[SettlementRow]:
    """Every month of the period (zeros included) with the partner's cash, commission and what
    it owes; one query. The partner's own users and admins with partners.view."""
    _may_view(actor, partner_id)
    start, end = _bounds(date_from, date_to)
    if not isinstance(partner_id, int) or isinstance(partner_id, bool):
        raise NotFound()
    found = {
        month_key(grp): (int(cash), int(commission))
        for grp, cash, commission in _settlement_rows(session, start, end, partner_id)
    }
    return [SettlementRow(m, *found.get(m, (0, 0))) for m in months_between(date_from, date_to)]


@verb
def settlements(
    session: Session, actor: Actor, date_from: date, date_to: date
) -> dict[int, SettlementRow]:
    """Every partner with cash or commission in the period: {partner id: its totals}; one
    query. Admins only."""
    require(actor, "partners.view")
    start, end = _bounds(date_from, date_to)
    return {
        int(grp): SettlementRow(str(grp), int(cash), int(commission))
        for grp, cash, commission in _settlement_rows(session, start, end, None)
        if grp is not None
    }
