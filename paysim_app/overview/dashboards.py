"""The first page of each tree: what a subscriber, a partner and an admin see on arrival."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from paysim_app.billing import payments
from paysim_app.core import notify
from paysim_app.core.errors import PermissionDenied
from paysim_app.core.permissions import Actor, owned_sim, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.models import ActivationRequest, Partner, Payment, Sim, Subscriber, Tariff, Ticket
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.models.support import OPEN_TICKET_STATUSES
from paysim_app.settings import get_settings


@dataclass(frozen=True)
class SimSummary:
    id: int
    msisdn: str
    label: str
    status: str
    balance_kop: int
    tariff_name: str
    tariff_fee_kop: int


@dataclass(frozen=True)
class PartnerOverview:
    partner_name: str
    sims_by_status: dict[str, int]
    subscribers: int


@dataclass(frozen=True)
class AdminOverview:
    """None means the actor's role does not show that figure."""

    sims_by_status: dict[str, int] | None = None
    subscribers: int | None = None
    open_activations: int | None = None
    open_tickets: int | None = None
    payments_today_count: int | None = None
    payments_today_kop: int | None = None


def _summary(sim: Sim, tariff: Tariff | None) -> SimSummary:
    return SimSummary(
        id=sim.id,
        msisdn=sim.msisdn,
        label=sim.label,
        status=sim.status,
        balance_kop=sim.balance_kop,
        tariff_name=tariff.name if tariff else "",
        tariff_fee_kop=tariff.monthly_fee_kop if tariff else 0,
    )


@verb
def subscriber_sims(session: Session, actor: Actor) -> list[SimSummary]:
    require_role(actor, "subscriber")
    if actor.subscriber_id is None:  # would otherwise become "subscriber_id IS NULL": stock SIMs
        return []
    rows = session.exec(
        select(Sim, Tariff)
        .join(Tariff, Tariff.id == Sim.tariff_id, isouter=True)
        .where(Sim.subscriber_id == actor.subscriber_id)
        .order_by(Sim.id)
    ).all()
    return [_summary(sim, tariff) for sim, tariff in rows]


@verb
def subscriber_sim(session: Session, actor: Actor, sim_id: int) -> SimSummary:
    """One SIM of the subscriber's contract; someone else's SIM is refused like a missing one."""
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="sims.view")
    return _summary(sim, session.get(Tariff, sim.tariff_id) if sim.tariff_id else None)


def _by_status(session: Session, *where) -> dict[str, int]:
    counts = dict.fromkeys(SIM_STATUSES, 0)
    for status, n in session.exec(
        select(Sim.status, func.count()).where(*where).group_by(Sim.status)
    ):
        counts[status] = n
    return counts


@verb
def partner_overview(session: Session, actor: Actor) -> PartnerOverview:
    require_role(actor, "partner")
    partner = session.get(Partner, actor.partner_id) if actor.partner_id is not None else None
    if partner is None:
        raise PermissionDenied()
    subscribers = session.exec(
        select(func.count(func.distinct(Sim.subscriber_id))).where(
            Sim.partner_id == partner.id, Sim.subscriber_id.is_not(None)
        )
    ).one()
    return PartnerOverview(
        partner_name=partner.name,
        sims_by_status=_by_status(session, Sim.partner_id == partner.id),
        subscribers=subscribers,
    )


def moscow_day_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of 'today' in the operator's time zone, as aware datetimes."""
    tz = ZoneInfo(get_settings().paysim_timezone)
    local = (now or datetime.now(tz)).astimezone(tz)
    start = datetime.combine(local.date(), time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


@verb
def admin_overview(session: Session, actor: Actor, now: datetime | None = None) -> AdminOverview:
    require_role(actor, "admin")
    figures: dict = {}
    if actor.can("sims.view"):
        figures["sims_by_status"] = _by_status(session)
    if actor.can("subscribers.view"):
        figures["subscribers"] = session.exec(
            select(func.count()).select_from(Subscriber).where(Subscriber.status == "active")
        ).one()
    if actor.can("activations.view"):
        figures["open_activations"] = session.exec(
            select(func.count())
            .select_from(ActivationRequest)
            .where(ActivationRequest.status == "pending")
        ).one()
    if actor.can("support.view"):
        figures["open_tickets"] = session.exec(
            select(func.count()).select_from(Ticket).where(Ticket.status.in_(OPEN_TICKET_STATUSES))
        ).one()
    if actor.can("payments.view"):
        start, end = moscow_day_bounds(now)
        count, total = session.exec(
            select(func.count(), func.coalesce(func.sum(payments.KEPT_KOP), 0)).where(
                Payment.status == "succeeded", Payment.created_at >= start, Payment.created_at < end
            )
        ).one()
        figures["payments_today_count"], figures["payments_today_kop"] = count, total
    return AdminOverview(**figures)


@dataclass(frozen=True)
class SimDashboard:
    """Everything the cabinet's first page shows about the current SIM."""

    sim: SimSummary
    tariff_data_gb: int | None
    tariff_speed_mbps: int
    blocked_at: datetime | None
    block_reason: str
    unblock_requested: bool
    next_billing_date: date
    autopay_enabled: bool
    autopay_mode: str
    next_charge_date: date | None
    next_charge_kop: int | None
    runway_until: date | None
    last_lines: list = field(default_factory=list)  # statement.StatementRow, newest first
    open_requests: list = field(default_factory=list)  # sims.OpenRequest
    open_tickets: int = 0


@verb
def sim_dashboard(session: Session, actor: Actor, sim_id: int) -> SimDashboard:
    # imported here: these services build on this module's SIM summaries
    from paysim_app.billing import autopay, statement
    from paysim_app.sims import own_sims

    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="sims.view")
    tariff = session.get(Tariff, sim.tariff_id) if sim.tariff_id else None
    details = own_sims.sim_details(session, actor, sim.id)
    plan = autopay.autopay_view(session, sim)
    lines, _ = statement.statement(session, actor, statement.StatementFilter(sim_id=sim.id), 1, 5)
    tickets = session.exec(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.subscriber_id == actor.subscriber_id,
            Ticket.status.in_(OPEN_TICKET_STATUSES),
        )
    ).one()
    return SimDashboard(
        sim=_summary(sim, tariff),
        tariff_data_gb=tariff.data_gb if tariff else None,
        tariff_speed_mbps=tariff.speed_mbps if tariff else 0,
        blocked_at=details.block.blocked_at if details.block else None,
        block_reason=details.block.reason if details.block else "",
        unblock_requested=bool(details.block and details.block.unblock_requested),
        next_billing_date=plan.next_billing_date,
        autopay_enabled=plan.enabled,
        autopay_mode=plan.mode,
        next_charge_date=plan.next_charge_date,
        next_charge_kop=plan.next_charge_kop,
        runway_until=plan.runway_until,
        last_lines=lines,
        open_requests=own_sims.open_requests(session, actor),
        open_tickets=tickets,
    )


@dataclass(frozen=True)
class Notices:
    rows: list  # notify.NotificationRow, newest first
    unread: int


@verb
def notices(session: Session, actor: Actor, limit: int = 10) -> Notices:
    """The signed-in user's latest notifications and how many are unread (the cabinet's home)."""
    return Notices(
        rows=notify.list_notifications(session, actor, limit=limit),
        unread=notify.unread_count(session, actor),
    )


@verb
def mark_notices_read(session: Session, actor: Actor) -> Notices:
    """Every notification of the user read; returns what the home page shows next."""
    notify.mark_all_read(session, actor)
    return notices(session, actor)
