"""Tariff changes a subscriber asks for: the catalogue, a preview of the change, the request
(which waits in the admin queue) and its cancellation while it is pending or scheduled.

The admin side (the tariff-change tab of the activation queue) approves or rejects them here
too. A change approved "now" switches the SIM at once and settles the difference exactly as
preview() shows it; one approved "from the next period" is *scheduled*: the SIM keeps its tariff
until the billing cycle switches it on `effective_on`, the next billing date, before that day's
fee is charged (billing.cycle.apply_scheduled_tariffs), and then the request is "approved" with
`applied_at` set. Until then the subscriber (or an admin who decides the queue) may cancel it.

A SIM has at most one open change (pending or scheduled): a new request while one is open is
refused with what is open and, for a scheduled one, its date (a partial unique index holds the
rule in the database too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from paysim_app.billing import cards, ledger
from paysim_app.billing.autopay import next_billing_date
from paysim_app.core import audit, notify, policy_marks
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.core.listing import contains, moscow_period
from paysim_app.core.permissions import Actor, owned_sim, require, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import money
from paysim_app.models import Sim, Subscriber, Tariff, TariffChangeRequest, User
from paysim_app.models.base import utcnow
from paysim_app.models.requests import (
    TARIFF_CHANGE_OPEN,
    TARIFF_CHANGE_STATUSES,
    TARIFF_CHANGE_WHEN,
)
from paysim_app.sims.activations import clean_reason, decide, lock_row, notify_owner

CHANGEABLE_SIM_STATUSES = ("active", "suspended")
REQUESTS_SHOWN = 50


@dataclass(frozen=True)
class TariffOffer:
    id: int
    code: str
    name: str
    description: str
    monthly_fee_kop: int
    data_gb: int | None  # None: unlimited
    speed_mbps: int
    is_current: bool
    is_archived: bool  # only ever true for the SIM's current tariff


@dataclass(frozen=True)
class ChangePreview:
    sim_id: int
    tariff_id: int
    tariff_name: str
    when: str  # next_period | now
    current_fee_kop: int
    new_fee_kop: int
    effective_date: date
    # "now" only: positive = charged today, negative = credited today; 0 for next_period
    difference_kop: int
    days_left: int  # "now": days of the current period on the new tariff (today included)
    period_days: int


@dataclass(frozen=True)
class ChangeRequestView:
    id: int
    sim_id: int
    msisdn: str
    from_tariff_name: str
    to_tariff_name: str
    when: str
    status: str  # pending | scheduled | approved | rejected | cancelled
    reason: str
    created_at: datetime
    decided_at: datetime | None
    can_cancel: bool  # pending (cancel_request) or scheduled (cancel_scheduled)
    effective_on: date | None = None  # set at approval: the day the new tariff applies
    applied_at: datetime | None = None  # when the SIM was switched
    to_fee_kop: int = 0  # the new tariff's monthly fee


def _subscriber_sim(session: Session, actor: Actor, sim_id: int) -> Sim:
    require_role(actor, "subscriber")
    return owned_sim(session, actor, sim_id, admin_permission="tariffs.view")


@verb
def catalogue(session: Session, actor: Actor, sim_id: int) -> list[TariffOffer]:
    """The active public tariffs, cheapest first, plus the SIM's own tariff even when it is
    archived or not public (marked as such: it keeps working, it is just not offered)."""
    sim = _subscriber_sim(session, actor, sim_id)
    rows = session.exec(
        select(Tariff)
        .where((Tariff.is_public & ~Tariff.is_archived) | (Tariff.id == sim.tariff_id))
        .order_by(Tariff.monthly_fee_kop, Tariff.name, Tariff.id)
    ).all()
    return [
        TariffOffer(
            id=t.id,
            code=t.code,
            name=t.name,
            description=t.description,
            monthly_fee_kop=t.monthly_fee_kop,
            data_gb=t.data_gb,
            speed_mbps=t.speed_mbps,
            is_current=t.id == sim.tariff_id,
            is_archived=t.is_archived,
        )
        for t in rows
    ]


def current_period(billing_day: int, on: date) -> tuple[date, date]:
    """[start, end) of the billing period `on` falls in: from the last billing day on or before
    `on` to the next billing day after it."""
    end = next_billing_date(billing_day, on + timedelta(days=1))
    if on.day >= billing_day:
        start = on.replace(day=billing_day)
    else:
        year, month = (on.year - 1, 12) if on.month == 1 else (on.year, on.month - 1)
        start = date(year, month, billing_day)
    return start, end


def prorated_difference(
    old_fee_kop: int, new_fee_kop: int, days_left: int, period_days: int
) -> int:
    """(new - old) * days_left / period_days in whole kopecks, half a kopeck rounded up in
    magnitude (away from zero), so a credit is the mirror image of the same charge."""
    delta = new_fee_kop - old_fee_kop
    magnitude = (2 * abs(delta) * days_left + period_days) // (2 * period_days)
    return magnitude if delta >= 0 else -magnitude


def settlement(
    billing_day: int, old_fee_kop: int, new_fee_kop: int, when: str, on: date
) -> tuple[date, int, int, int]:
    """(effective date, difference_kop, days_left, period_days) of a switch decided on `on`:
    what preview() shows the subscriber and approve_change() posts, from the same code.
    next_period: effective at the next billing date, no difference, days_left 0."""
    start, end = current_period(billing_day, on)
    period_days, days_left = (end - start).days, (end - on).days
    if when == "now":
        difference = prorated_difference(old_fee_kop, new_fee_kop, days_left, period_days)
        return on, difference, days_left, period_days
    return end, 0, 0, period_days


def _offerable(session: Session, sim: Sim, tariff_id: int) -> Tariff:
    tariff = session.get(Tariff, tariff_id) if isinstance(tariff_id, int) else None
    if tariff is None:
        raise ValidationError("tariffs.error.not_found", field="tariff")
    if tariff.id == sim.tariff_id:
        raise DomainError("tariffs.error.same")
    if tariff.is_archived or not tariff.is_public:
        raise DomainError("tariffs.error.not_offered")
    return tariff


def _refuse_if_open(session: Session, sim_id: int) -> None:
    """One open change per SIM: a pending request, or a scheduled change with its date."""
    row = session.execute(
        select(TariffChangeRequest.status, TariffChangeRequest.effective_on, Tariff.name)
        .join(Tariff, Tariff.id == TariffChangeRequest.to_tariff_id)
        .where(
            TariffChangeRequest.sim_id == sim_id,
            TariffChangeRequest.status.in_(TARIFF_CHANGE_OPEN),
        )
    ).first()
    if row is None:
        return
    status, effective_on, name = row
    if status == "scheduled":
        raise DomainError("tariffs.error.scheduled_exists", name=name, date=effective_on)
    raise DomainError("tariffs.error.pending_exists")


def _check_sim(sim: Sim) -> None:
    if sim.status not in CHANGEABLE_SIM_STATUSES:
        raise DomainError("tariffs.error.sim_status")


def _check_when(when: str) -> None:
    if when not in TARIFF_CHANGE_WHEN:
        raise ValidationError("tariffs.error.when", field="when")


@verb
def preview(
    session: Session, actor: Actor, sim_id: int, tariff_id: int, when: str, on: date | None = None
) -> ChangePreview:
    """What switching the SIM to `tariff_id` would do.

    next_period: the new monthly fee applies from the next billing date; nothing happens today.
    now: the switch is today, and today the difference of the two monthly fees for the rest of
    the current billing period is settled: (new fee - old fee) * days_left / period_days, where
    the period runs from the last billing day on or before today to the next billing day after
    it, days_left counts today to the end of the period (today included), and the result is in
    whole kopecks rounded half up in magnitude (away from zero). Positive: charged today;
    negative: credited today. A SIM without a tariff counts its old fee as 0.
    """
    _check_when(when)
    sim = _subscriber_sim(session, actor, sim_id)
    _check_sim(sim)
    tariff = _offerable(session, sim, tariff_id)
    old = session.get(Tariff, sim.tariff_id) if sim.tariff_id else None
    old_fee = old.monthly_fee_kop if old else 0
    on = on or cards.today()
    effective, difference, days_left, period_days = settlement(
        sim.billing_day, old_fee, tariff.monthly_fee_kop, when, on
    )
    return ChangePreview(
        sim_id=sim.id,
        tariff_id=tariff.id,
        tariff_name=tariff.name,
        when=when,
        current_fee_kop=old_fee,
        new_fee_kop=tariff.monthly_fee_kop,
        effective_date=effective,
        difference_kop=difference,
        days_left=days_left,
        period_days=period_days,
    )


@verb
def request_change(session: Session, actor: Actor, sim_id: int, tariff_id: int, when: str) -> int:
    """File a pending request to switch the SIM; returns its id. One pending request per SIM:
    the SIM row is locked first, so two requests sent at once cannot both pass the check."""
    _check_when(when)
    _subscriber_sim(session, actor, sim_id)
    ledger.lock_for_write(session)
    sim = session.exec(
        select(Sim)
        .where(Sim.id == sim_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # the status as of the lock, not before it
    ).one()
    _check_sim(sim)
    tariff = _offerable(session, sim, tariff_id)
    _refuse_if_open(session, sim.id)
    request = TariffChangeRequest(
        sim_id=sim.id,
        requester_user_id=actor.user_id,
        from_tariff_id=sim.tariff_id,
        to_tariff_id=tariff.id,
        effective=when,
        status="pending",
    )
    session.add(request)
    session.flush()
    notify.tell_queue(
        session, "tariff_change_new", request.id, msisdn=sim.msisdn, tariff=tariff.name
    )
    return request.id


@verb
def cancel_request(session: Session, actor: Actor, request_id: int) -> None:
    """Cancel the subscriber's own pending request. Someone else's request is refused like a
    missing one; a request already decided (or cancelled) cannot be cancelled."""
    require_role(actor, "subscriber")
    request = session.get(TariffChangeRequest, request_id) if isinstance(request_id, int) else None
    if request is None:
        raise PermissionDenied()
    owned_sim(session, actor, request.sim_id, admin_permission="tariffs.edit")
    done = session.execute(
        update(TariffChangeRequest)
        .where(TariffChangeRequest.id == request.id, TariffChangeRequest.status == "pending")
        .values(status="cancelled")
    )
    if done.rowcount != 1:
        raise DomainError("tariffs.error.not_pending")


@verb
def my_requests(
    session: Session,
    actor: Actor,
    sim_id: int | None = None,
    *,
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = "",
) -> list[ChangeRequestView]:
    """The contract's tariff-change requests (one SIM's when sim_id is given), newest first,
    narrowed by status, a period of Moscow days and a tariff name."""
    require_role(actor, "subscriber")
    if status and status not in TARIFF_CHANGE_STATUSES:
        raise ValidationError("list.error.filter", field="status")
    if sim_id is not None:
        owned_sim(session, actor, sim_id, admin_permission="tariffs.view")
    if actor.subscriber_id is None:
        return []
    old, new = aliased(Tariff), aliased(Tariff)
    query = (
        select(TariffChangeRequest, Sim.msisdn, old.name, new.name, new.monthly_fee_kop)
        .join(Sim, Sim.id == TariffChangeRequest.sim_id)
        .join(old, old.id == TariffChangeRequest.from_tariff_id, isouter=True)
        .join(new, new.id == TariffChangeRequest.to_tariff_id)
        .where(Sim.subscriber_id == actor.subscriber_id)
        .order_by(TariffChangeRequest.created_at.desc(), TariffChangeRequest.id.desc())
        .limit(REQUESTS_SHOWN)
    )
    if sim_id is not None:
        query = query.where(TariffChangeRequest.sim_id == sim_id)
    if status:
        query = query.where(TariffChangeRequest.status == status)
    query = query.where(*moscow_period(TariffChangeRequest.created_at, date_from, date_to))
    text = (search or "").strip()[:100]
    if text:
        query = query.where(or_(contains(old.name, text), contains(new.name, text)))
    return [
        ChangeRequestView(
            id=r.id,
            sim_id=r.sim_id,
            msisdn=msisdn,
            from_tariff_name=old_name or "",
            to_tariff_name=new_name,
            when=r.effective,
            status=r.status,
            reason=r.reason,
            created_at=r.created_at,
            decided_at=r.decided_at,
            can_cancel=r.status in TARIFF_CHANGE_OPEN,
            effective_on=r.effective_on,
            applied_at=r.applied_at,
            to_fee_kop=new_fee,
        )
        for r, msisdn, old_name, new_name, new_fee in session.exec(query).all()
    ]


# --------------------------------------------------------------------------- the admin's decision


@dataclass(frozen=True)
class ChangeDecision:
    request_id: int
    sim_id: int
    tariff_id: int
    when: str  # what was approved: next_period (scheduled) | now (switched)
    effective_date: date
    difference_kop: int  # "now": positive charged, negative credited (the ledger entry's -amount)
    ledger_entry_id: int | None


def _pending_change(session: Session, request_id: int) -> TariffChangeRequest:
    valid = isinstance(request_id, int) and not isinstance(request_id, bool)
    request = lock_row(session, TariffChangeRequest, request_id) if valid else None
    if request is None:
        raise NotFound("admin_queues.error.not_found")
    if request.status != "pending":
        raise DomainError("admin_queues.error.not_pending")
    return request


def _owner_locale(session: Session, sim: Sim) -> str:
    locale = session.execute(
        select(User.locale)
        .join(Subscriber, Subscriber.user_id == User.id)
        .where(Subscriber.id == sim.subscriber_id)
    ).scalar()
    return locale or "ru"


@verb
def approve_change(
    session: Session,
    actor: Actor,
    request_id: int,
    when: str | None = None,
    on: date | None = None,
) -> ChangeDecision:
    """Approve the requested tariff. `when` (default: what the subscriber asked for) may turn
    a "now" request into "next_period".

    now: the tariff changes today and the prorated difference of the two fees for the rest of
    the current period is posted through the ledger, the same figure preview() showed; a
    charge larger than the balance is refused (the balance goes negative only by the monthly
    fee), so the admin approves from the next period instead or rejects. The request is
    "approved", effective_on today, applied_at now.

    next_period: nothing changes today. The request is "scheduled" with effective_on = the next
    billing date (what preview() showed); the SIM keeps its tariff, allowance, speed and fee
    until the billing cycle switches it on that day, before it charges that day's fee, so the
    new period is billed at the new fee.
    """
    require(actor, "activations.edit")
    request = _pending_change(session, request_id)
    when = when or request.effective
    _check_when(when)
    sim = lock_row(session, Sim, request.sim_id)
    if sim.status not in CHANGEABLE_SIM_STATUSES:
        raise DomainError("admin_queues.error.tariff_sim_status")
    tariff = session.get(Tariff, request.to_tariff_id)
    if tariff.is_archived:
        raise DomainError("admin_queues.error.tariff_archived", name=tariff.name)
    if tariff.id == sim.tariff_id:
        raise DomainError("admin_queues.error.tariff_same")
    old = session.get(Tariff, sim.tariff_id) if sim.tariff_id else None
    old_fee = old.monthly_fee_kop if old else 0
    on = on or cards.today()
    effective, difference, days_left, period_days = settlement(
        sim.billing_day, old_fee, tariff.monthly_fee_kop, when, on
    )
    if difference > 0 and difference > sim.balance_kop:
        raise DomainError(
            "admin_queues.error.balance_short",
            missing_kop=difference - sim.balance_kop,
            difference_kop=difference,
        )
    before = {"status": "pending", "tariff_id": sim.tariff_id, "balance_kop": sim.balance_kop}
    if when == "next_period":
        decide(
            session,
            TariffChangeRequest,
            request.id,
            actor,
            "scheduled",
            effective=when,
            effective_on=effective,
        )
    else:
        decide(
            session,
            TariffChangeRequest,
            request.id,
            actor,
            "approved",
            effective=when,
            effective_on=effective,
            applied_at=utcnow(),
        )
        sim.tariff_id, sim.updated_at = tariff.id, utcnow()
        policy_marks.mark(session, [sim.id])  # the new speed and allowance, for the network
        session.flush()  # the ledger reloads the SIM: the new tariff must be written first
    entry = None
    if difference:
        comment = t(
            "admin_queues.ledger.tariff_change",
            _owner_locale(session, sim),
            old=old.name if old else "—",
            new=tariff.name,
            days=days_left,
            period=period_days,
        )
        entry = ledger.post(
            session,
            ledger.Posting(
                sim.id, "adjustment", -difference, actor_user_id=actor.user_id, comment=comment
            ),
        )
    audit.record(
        session,
        actor,
        "tariff_change.approve",
        "tariff_change_request",
        request.id,
        before,
        {
            "status": "approved" if when == "now" else "scheduled",
            "sim_id": sim.id,
            "to_tariff_id": tariff.id,
            "when": when,
            "effective": effective.isoformat(),
            "difference_kop": difference,
            "ledger_entry_id": entry.id if entry else None,
        },
    )
    session.flush()
    if when == "now":

        def params(locale: str) -> dict:
            key = "charge" if difference > 0 else "credit" if difference < 0 else "none"
            settled = t(
                f"admin_queues.settled.{key}",
                locale,
                days=days_left,
                period=period_days,
                amount=money(abs(difference), locale),
            )
            return {"tariff": tariff.name, "fee_kop": tariff.monthly_fee_kop, "settled": settled}

        notify_owner(session, sim, "tariff_change_now", params)
    else:
        notify_owner(
            session,
            sim,
            "tariff_change_approved",
            {"tariff": tariff.name, "fee_kop": tariff.monthly_fee_kop, "date": effective},
        )
    return ChangeDecision(
        request_id=request.id,
        sim_id=sim.id,
        tariff_id=tariff.id,
        when=when,
        effective_date=effective,
        difference_kop=difference,
        ledger_entry_id=entry.id if entry else None,
    )


@verb
def reject_change(session: Session, actor: Actor, request_id: int, reason: str) -> None:
    """Refuse with a reason the subscriber reads (notification and their request list)."""
    require(actor, "activations.edit")
    reason = clean_reason(reason)
    request = _pending_change(session, request_id)
    decide(session, TariffChangeRequest, request.id, actor, "rejected", reason=reason)
    audit.record(
        session,
        actor,
        "tariff_change.reject",
        "tariff_change_request",
        request.id,
        {"status": "pending"},
        {
            "status": "rejected",
            "sim_id": request.sim_id,
            "to_tariff_id": request.to_tariff_id,
            "reason": reason,
        },
    )
    session.flush()
    sim = session.get(Sim, request.sim_id)
    tariff = session.get(Tariff, request.to_tariff_id)
    notify_owner(session, sim, "tariff_change_rejected", {"tariff": tariff.name, "reason": reason})


@verb
def cancel_scheduled(session: Session, actor: Actor, request_id: int, reason: str = "") -> None:
    """Cancel a scheduled change before the billing cycle applies it: the SIM keeps its tariff.

    The subscriber cancels their own (someone else's is refused like a missing one); an admin
    who decides the queue (activations.edit) cancels any, with a reason the subscriber is told.
    The SIM row is locked first, as the cycle locks it to apply the change: one of the two wins.
    """
    admin = actor is not None and actor.role == "admin"
    if admin:
        require(actor, "activations.edit")
        reason = clean_reason(reason)
    else:
        require_role(actor, "subscriber")
        reason = ""
    valid = isinstance(request_id, int) and not isinstance(request_id, bool)
    request = session.get(TariffChangeRequest, request_id) if valid else None
    if request is None:
        if admin:
            raise NotFound("admin_queues.error.not_found")
        raise PermissionDenied()
    if not admin:
        owned_sim(session, actor, request.sim_id, admin_permission="activations.edit")
    sim = lock_row(session, Sim, request.sim_id)
    done = session.execute(
        update(TariffChangeRequest)
        .where(TariffChangeRequest.id == request.id, TariffChangeRequest.status == "scheduled")
        .values(status="cancelled", reason=reason)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError("tariffs.error.not_scheduled")
    session.expire(request)
    tariff = session.get(Tariff, request.to_tariff_id)
    audit.record(
        session,
        actor,
        "tariff_change.cancel_scheduled",
        "tariff_change_request",
        request.id,
        {"status": "scheduled", "effective_on": request.effective_on},
        {
            "status": "cancelled",
            "sim_id": sim.id,
            "to_tariff_id": tariff.id,
            "reason": reason,
            "by": "admin" if admin else "subscriber",
        },
    )
    session.flush()
    if admin:
        notify_owner(
            session,
            sim,
            "tariff_change_cancelled",
            {"tariff": tariff.name, "date": request.effective_on, "reason": reason},
        )
