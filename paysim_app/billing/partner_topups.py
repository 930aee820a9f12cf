"""A dealer tops up a subscriber's SIM with cash taken at its point of sale.

The partner's user types the SIM's number (a partner has thousands of SIMs, so no select),
checks the masked name of the subscriber on a confirmation step, and submits. The payment is
of method "partner", succeeded at once (the cash is in the dealer's till), and goes through
the same path as a card payment once it succeeded: payments.settle credits the SIM through the
ledger and accrues the partner's commission, in the caller's transaction. The form's
`request_key` makes a double submit credit once.

A partner only ever touches its own SIMs: a SIM of another partner and a number nobody has
get the same refusal.

The admin may cap what a partner's cash top-ups add up to in one Moscow day
(partner.cash_daily_limit_kop, None: no cap; partners.directory.set_cash_limit). A top-up that
would take the day's total past it is refused with what is left. The day's total counts every
cash top-up taken that day (a later refund does not give the limit back: the cash was taken). Two
top-ups of one partner at once are serialised by a lock on the partner's row (SQLite: the
database's write lock), so the second sums with the first one in and cannot slip past the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from paysim_app.billing import cards, ledger, payments
from paysim_app.billing.topups import MAX_KOP, MIN_KOP, QUICK_KOP, check_amount, parse_amount
from paysim_app.core import audit, form_keys, notify, sim_numbers
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.core.permissions import Actor, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_day_range
from paysim_app.models import Partner, Payment, Sim, Subscriber
from paysim_app.payments import ChargeResult

__all__ = [
    "MAX_KOP",
    "MIN_KOP",
    "QUICK_KOP",
    "PARTNER_TOPUP_STATUSES",
    "SimTarget",
    "PartnerTopup",
    "mask_name",
    "parse_amount",
    "check_amount",
    "checked_amount",
    "cash_taken_today",
    "find_sim",
    "partner_topup",
    "recent_topups",
    "recent_numbers",
]

# a top-up stays possible while the SIM is suspended for debt or blocked
PARTNER_TOPUP_STATUSES = ("active", "suspended", "blocked")
# the statuses of a cash top-up whose cash was taken (the day's limit counts them)
CASH_TAKEN_STATUSES = ("succeeded", "refunded")
RECENT_LIMIT = 10


@dataclass(frozen=True)
class SimTarget:
    """What the confirmation step shows: the number and the subscriber's masked name."""

    sim_id: int
    msisdn: str
    subscriber_name: str  # masked: "Иван П."
    status: str


@dataclass(frozen=True)
class PartnerTopup:
    payment_id: int
    sim_id: int
    msisdn: str
    subscriber_name: str  # masked
    amount_kop: int
    status: str
    created_at: datetime


def mask_name(full_name: str) -> str:
    """'Иван Петров' -> 'Иван П.'; 'Петров Иван Сергеевич' (surname first) -> 'Иван П.'."""
    words = (full_name or "").split()
    if len(words) >= 3:
        return f"{words[1]} {words[0][0]}."
    if len(words) == 2:
        return f"{words[0]} {words[1][0]}."
    if len(words) == 1:
        return f"{words[0][0]}."
    return ""


def _partner(actor: Actor | None) -> Actor:
    require_role(actor, "partner")
    if actor.partner_id is None:
        raise PermissionDenied()
    return actor


def _own_sim(session: Session, actor: Actor, msisdn_or_sim_id: int | str) -> Sim:
    """The partner's own SIM by id or by number; anything else is the same refusal."""
    sim = None
    if isinstance(msisdn_or_sim_id, int) and not isinstance(msisdn_or_sim_id, bool):
        sim = session.get(Sim, msisdn_or_sim_id)
    elif isinstance(msisdn_or_sim_id, str):
        number = sim_numbers.msisdn(msisdn_or_sim_id)
        if number is None:
            raise ValidationError("partner_money.error.number", field="number")
        sim = session.execute(select(Sim).where(Sim.msisdn == number)).scalar_one_or_none()
    if sim is None or sim.partner_id is None or sim.partner_id != actor.partner_id:
        raise PermissionDenied("partner_money.error.not_yours", field="number")
    return sim


def _masked_owner(session: Session, sim: Sim) -> str:
    if sim.subscriber_id is None:
        return ""
    name = session.execute(
        select(Subscriber.full_name).where(Subscriber.id == sim.subscriber_id)
    ).scalar_one_or_none()
    return mask_name(name or "")


def _check_sim(sim: Sim) -> None:
    if sim.status not in PARTNER_TOPUP_STATUSES or sim.subscriber_id is None:
        raise DomainError("partner_money.error.sim_status", field="number")


def checked_amount(text: str) -> int:
    """The amount the form's box holds, in kopecks, within the top-up limits (the form's first
    step; partner_topup checks it again)."""
    amount_kop = parse_amount(text)
    check_amount(amount_kop)
    return amount_kop


@verb
def cash_taken_today(session: Session, partner_id: int) -> int:
    """Kopecks of cash top-ups the partner took today (the Moscow day); one indexed sum
    (ix_payment_partner_created)."""
    start, end = moscow_day_range(cards.today())
    return int(
        session.execute(
            select(func.coalesce(func.sum(Payment.amount_kop), 0)).where(
                Payment.partner_id == partner_id,
                Payment.method == "partner",
                Payment.status.in_(CASH_TAKEN_STATUSES),
                Payment.created_at >= start,
                Payment.created_at < end,
            )
        ).scalar_one()
    )


def _check_daily_limit(session: Session, partner_id: int, amount_kop: int) -> None:
    """Lock the partner's row (a concurrent top-up of the same partner waits here until this
    transaction ends), then refuse a top-up that would take today's cash past the limit."""
    ledger.lock_for_write(session)
    limit = session.execute(
        select(Partner.cash_daily_limit_kop).where(Partner.id == partner_id).with_for_update()
    ).scalar_one_or_none()
    if limit is None:
        return
    taken = cash_taken_today(session, partner_id)
    if taken + amount_kop > limit:
        raise DomainError(
            "partner_money.error.daily_limit",
            field="amount",
            limit_kop=limit,
            left_kop=max(limit - taken, 0),
        )


@verb
def find_sim(session: Session, actor: Actor, msisdn_or_sim_id: int | str) -> SimTarget:
    """The confirmation step: the partner's own SIM that can take a top-up."""
    actor = _partner(actor)
    sim = _own_sim(session, actor, msisdn_or_sim_id)
    _check_sim(sim)
    return SimTarget(sim.id, sim.msisdn, _masked_owner(session, sim), sim.status)


def _dto(session: Session, payment: Payment, sim: Sim) -> PartnerTopup:
    return PartnerTopup(
        payment_id=payment.id,
        sim_id=sim.id,
        msisdn=sim.msisdn,
        subscriber_name=_masked_owner(session, sim),
        amount_kop=payment.amount_kop,
        status=payment.status,
        created_at=payment.created_at,
    )


@verb
def partner_topup(
    session: Session,
    actor: Actor,
    msisdn_or_sim_id: int | str,
    amount_kop: int,
    request_key: str,
) -> PartnerTopup:
    """Credit the partner's own SIM with cash taken at its point of sale (flushed, not
    committed: the caller commits). Submitting the same form twice credits once and returns
    the first top-up."""
    actor = _partner(actor)
    sim = _own_sim(session, actor, msisdn_or_sim_id)
    key = form_keys.scoped(f"partner:{actor.partner_id}", request_key, field="request_key")

    def earlier() -> Payment | None:
        return session.execute(select(Payment).where(Payment.idempotency_key == key)).scalar()

    found = earlier()
    if found is not None:
        return _dto(session, found, session.get(Sim, found.sim_id))
    _check_sim(sim)
    check_amount(amount_kop)
    _check_daily_limit(session, actor.partner_id, amount_kop)
    found = earlier()  # a double submit that waited for the lock meets the first one's payment
    if found is not None:
        return _dto(session, found, session.get(Sim, found.sim_id))
    payment, made = form_keys.once(
        session,
        earlier,
        lambda: payments.new_payment(
            session,
            sim=sim,
            amount_kop=amount_kop,
            method="partner",
            idempotency_key=key,
            gateway="partner",
            payer_user_id=actor.user_id,
            partner_id=actor.partner_id,
        ),
    )
    if not made:  # a concurrent double submit got there first
        return _dto(session, payment, session.get(Sim, payment.sim_id))
    # cash in the till: succeeded at once; settle credits the ledger and accrues the commission
    payments.settle(session, [(payment.id, ChargeResult("succeeded", None, None))])
    session.refresh(payment)
    session.refresh(sim)
    audit.record(
        session,
        actor,
        "payment.partner_topup",
        "payment",
        payment.id,
        after={"sim_id": sim.id, "msisdn": sim.msisdn, "amount_kop": amount_kop},
    )
    notify.notify_sim_owners(session, [(sim.id, "partner_topup", {"amount_kop": amount_kop})])
    session.flush()
    return _dto(session, payment, sim)


@verb
def recent_topups(session: Session, actor: Actor, limit: int = RECENT_LIMIT) -> list[PartnerTopup]:
    """The partner's latest cash top-ups, newest first (its own only)."""
    actor = _partner(actor)
    limit = max(1, min(int(limit), 50))
    rows = session.execute(
        select(Payment, Sim, Subscriber.full_name)
        .join(Sim, Sim.id == Payment.sim_id)
        .join(Subscriber, Subscriber.id == Payment.subscriber_id, isouter=True)
        .where(Payment.partner_id == actor.partner_id, Payment.method == "partner")
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .limit(limit)
    ).all()
    return [
        PartnerTopup(
            payment_id=p.id,
            sim_id=s.id,
            msisdn=s.msisdn,
            subscriber_name=mask_name(name or ""),
            amount_kop=p.amount_kop,
            status=p.status,
            created_at=p.created_at,
        )
        for p, s, name in rows
    ]


@verb
def recent_numbers(session: Session, actor: Actor, limit: int = 5) -> list[str]:
    """The numbers this partner topped up last (distinct, newest first): the form's shortcuts."""
    seen: list[str] = []
    for row in recent_topups(session, actor, limit=30):
        if row.msisdn not in seen:
            seen.append(row.msisdn)
        if len(seen) >= limit:
            break
    return seen
