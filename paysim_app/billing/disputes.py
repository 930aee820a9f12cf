"""Chargebacks: the card holder's bank disputes a payment (Stripe's `charge.dispute.*` events,
and the same events from the sandbox's "simulate a dispute").

A dispute is kept by the provider's id (`payment_dispute.ref`, unique) with its history, one row
per event (`payment_dispute_event.event_id`, unique), so a redelivered event changes nothing.
Events come in any order: the dispute takes the newest one by the provider's time, and a closed
dispute (won or lost) stays closed, whatever older news arrives after it. The payment shows the
dispute's state (`Payment.dispute`: open | won | lost).

A lost dispute gives the disputed amount back to the card holder: the SIM is debited through the
ledger (it may go into debt and be suspended, as a refund may) and the partner's commission is
reversed in proportion, exactly once: the debit happens in the one transition of the dispute
into "lost" (its insert, or a compare-and-set from "open"), under the payment's row lock.
Admins with the payments rights get an in-app notification and an e-mail when a dispute opens
and when it closes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from paysim_app.billing import ledger, payments
from paysim_app.billing.payments import commission_of
from paysim_app.core import audit, form_keys, notify
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import phone
from paysim_app.models import Commission, Payment, Sim
from paysim_app.models.base import utcnow
from paysim_app.models.billing import PaymentDispute, PaymentDisputeEvent
from paysim_app.payments import Gateway, GatewayDispute, GatewayEvent

log = logging.getLogger("paysim.disputes")
_P = Payment.__table__
_D = PaymentDispute.__table__
_E = PaymentDisputeEvent.__table__

# the provider's statuses and what they mean here (Stripe's list; an unknown word is "open")
WON = frozenset({"won", "warning_closed", "prevented"})
LOST = frozenset({"lost"})
# who hears of disputes: admins holding any of these
NOTIFIED = ("payments.view", "payments.refund")
SIMULATED_REASONS = ("fraudulent", "product_not_received", "duplicate", "general")


def state_of(status: str) -> str:
    if status in LOST:
        return "lost"
    if status in WON:
        return "won"
    return "open"


@payments.handles_event("dispute")
@verb
def apply_dispute_event(session: Session, event: GatewayEvent) -> str:
    """A verified `charge.dispute.*` event. Returns applied | duplicate | unknown | stale (an
    event older than what the dispute already says: kept in its history, nothing else)."""
    d = event.dispute
    if event.kind != "dispute" or d is None:
        return "ignored"
    if event.payment_key:
        where = _P.c.idempotency_key == event.payment_key
    elif event.gateway_ref:
        where = _P.c.gateway_ref == event.gateway_ref
    else:
        return "unknown"
    found = session.execute(select(_P.c.id).where(where)).scalar()
    if found is None:
        log.warning("dispute %s names no payment of ours", d.dispute_id)
        return "unknown"
    ledger.lock_for_write(session)
    payment = session.execute(
        select(
            _P.c.id,
            _P.c.sim_id,
            _P.c.amount_kop,
            _P.c.refunded_kop,
            _P.c.chargeback_kop,
            _P.c.status,
        )
        .where(_P.c.id == found)
        .with_for_update()
    ).one()
    if payment.status not in ("succeeded", "refunded"):
        log.warning("dispute %s of payment %s (%s)", d.dispute_id, payment.id, payment.status)
        return "unknown"
    at = event.created or d.created
    dispute = session.execute(select(PaymentDispute).where(PaymentDispute.ref == d.dispute_id))
    dispute = dispute.scalar_one_or_none()
    if dispute is not None and dispute.payment_id != payment.id:
        log.error("dispute %s moved from payment %s?", d.dispute_id, dispute.payment_id)
        return "unknown"
    new_state = state_of(d.status)
    opened = closed = False
    if dispute is None:
        dispute = PaymentDispute(
            payment_id=payment.id,
            ref=d.dispute_id[:120],
            amount_kop=d.amount_kop,
            reason=d.reason,
            status=d.status,
            state=new_state,
            evidence_due_at=d.evidence_due_by,
            event_at=at,
            closed_at=utcnow() if new_state != "open" else None,
        )
        session.add(dispute)
        session.flush()
        opened, closed = True, new_state != "open"
    if not _record(session, dispute.id, event, d, at):
        return "duplicate"
    if not opened:
        if dispute.state != "open" or at < dispute.event_at:
            # closed is final, and older news never overwrites newer
            return "stale"
        won = session.execute(
            update(_D)
            .where(_D.c.id == dispute.id, _D.c.state == "open")
            .values(
                status=d.status,
                state=new_state,
                amount_kop=d.amount_kop,
                reason=d.reason or dispute.reason,
                evidence_due_at=d.evidence_due_by or dispute.evidence_due_at,
                event_at=at,
                updated_at=utcnow(),
                closed_at=utcnow() if new_state != "open" else None,
            )
            .returning(_D.c.id)
        ).first()
        closed = won is not None and new_state != "open"
        session.expire(dispute)
    debited = 0
    if closed and new_state == "lost":
        debited = _charge_back(session, payment, dispute.id, d)
    session.execute(update(_P).where(_P.c.id == payment.id).values(dispute=new_state))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Payment) and obj.id == payment.id:
            session.expire(obj)
    if opened or closed:
        _tell_admins(session, payment, d, "dispute_opened" if not closed else "dispute_closed")
    log.info(
        "dispute %s of payment %s: %s (%s), debited %s",
        d.dispute_id,
        payment.id,
        d.status,
        new_state,
        debited,
    )
    return "applied"


def _record(session: Session, dispute_id: int, event: GatewayEvent, d: GatewayDispute, at: int):
    """The event in the dispute's history; False when it is already there (redelivered)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        session.execute(
            dialect.insert(_E)
            .values(
                dispute_id=dispute_id,
                event_id=event.event_id[:120],
                kind=(event.raw_type or "dispute")[:40],
                status=d.status,
                amount_kop=d.amount_kop,
                event_at=at,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(_E.c.id)
        ).first()
        is not None
    )


def _charge_back(session: Session, payment, dispute_id: int, d: GatewayDispute) -> int:
    """The dispute is lost: what the bank took back leaves the SIM (at most what is still kept
    of the payment) and the partner's commission on it is reversed."""
    kept = payment.amount_kop - payment.refunded_kop - payment.chargeback_kop
    amount = max(0, min(d.amount_kop, kept))
    session.execute(update(_D).where(_D.c.id == dispute_id).values(debited_kop=amount))
    if not amount:
        return 0
    if payment.sim_id is not None:  # a SIM order's prepayment still held was never credited
        ledger.post(
            session,
            ledger.Posting(
                payment.sim_id,
                "refund",
                -amount,
                payment_id=payment.id,
                comment=f"chargeback {d.dispute_id}"[:500],
            ),
        )
    accrual = session.execute(
        select(Commission).where(Commission.payment_id == payment.id, Commission.kind == "accrual")
    ).scalar_one_or_none()
    if accrual is not None:
        before = payment.refunded_kop + payment.chargeback_kop

        def share(given_back: int) -> int:
            if given_back >= payment.amount_kop:
                return accrual.amount_kop
            return min(accrual.amount_kop, commission_of(given_back, accrual.rate_bp))

        back = share(before + amount) - share(before)
        if back:
            session.add(
                Commission(
                    partner_id=accrual.partner_id,
                    payment_id=payment.id,
                    kind="reversal",
                    rate_bp=accrual.rate_bp,
                    amount_kop=-back,
                )
            )
    session.execute(
        update(_P).where(_P.c.id == payment.id).values(chargeback_kop=_P.c.chargeback_kop + amount)
    )
    session.flush()
    return amount


def _tell_admins(session: Session, payment, d: GatewayDispute, kind: str) -> None:
    msisdn = session.execute(select(Sim.msisdn).where(Sim.id == payment.sim_id)).scalar() or ""
    notify.notify_admins(
        session,
        NOTIFIED,
        kind,
        {
            "payment": payment.id,
            "msisdn": phone(msisdn),
            "amount_kop": d.amount_kop,
            "reason": d.reason or "—",
            "status": d.status,
            "due": d.evidence_due_by.strftime("%Y-%m-%d") if d.evidence_due_by else "—",
        },
        dedup_key=f"{kind}:{d.dispute_id}",
    )


# -- what the admin's payment card shows -----------------------------------------------------------
@dataclass(frozen=True)
class DisputeStep:
    kind: str
    status: str
    amount_kop: int
    at: datetime | None  # the provider's time of the event


@dataclass(frozen=True)
class DisputeView:
    ref: str
    amount_kop: int
    reason: str
    status: str
    state: str
    evidence_due_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    debited_kop: int
    history: list[DisputeStep] = field(default_factory=list)


@verb
def payment_disputes(session: Session, actor: Actor, payment_id: int) -> list[DisputeView]:
    """The disputes of a payment with their history, oldest first (payments.view)."""
    require(actor, "payments.view")
    if not isinstance(payment_id, int):
        raise NotFound("error.not_found")
    rows = session.execute(
        select(PaymentDispute)
        .where(PaymentDispute.payment_id == payment_id)
        .order_by(PaymentDispute.id)
    ).scalars()
    views = []
    for dispute in list(rows):
        steps = session.execute(
            select(PaymentDisputeEvent)
            .where(PaymentDisputeEvent.dispute_id == dispute.id)
            .order_by(PaymentDisputeEvent.event_at, PaymentDisputeEvent.id)
        ).scalars()
        views.append(
            DisputeView(
                ref=dispute.ref,
                amount_kop=dispute.amount_kop,
                reason=dispute.reason,
                status=dispute.status,
                state=dispute.state,
                evidence_due_at=dispute.evidence_due_at,
                created_at=dispute.created_at,
                closed_at=dispute.closed_at,
                debited_kop=dispute.debited_kop,
                history=[
                    DisputeStep(
                        s.kind,
                        s.status,
                        s.amount_kop,
                        datetime.fromtimestamp(s.event_at, UTC) if s.event_at else None,
                    )
                    for s in steps
                ],
            )
        )
    return views


# -- the sandbox: an admin plays the card holder's bank --------------------------------------------
@verb
def simulate_dispute(
    session: Session, actor: Actor, gateway: Gateway, payment_id: int, outcome: str
) -> str:
    """Demo mode (the sandbox gateway only): the card holder's bank disputes a card payment
    ("open"), or the open dispute closes ("won" / "lost"). The sandbox sends the events Stripe
    would (charge.dispute.created / closed), signed, to the webhook: what follows is the code
    that runs in production. Audited. Returns the outcome asked for."""
    require(actor, "payments.refund")
    if outcome not in ("open", "won", "lost"):
        raise ValidationError("error.invalid", field="outcome")
    simulate = getattr(gateway, "simulate_dispute", None)
    if gateway.name != "sandbox" or simulate is None:
        raise DomainError("dispute.error.sandbox_only")
    payment = session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if payment is None:
        raise NotFound("error.not_found")
    if payment.method not in ("card", "autopay") or payment.status not in (
        "succeeded",
        "refunded",
    ):
        raise DomainError("dispute.error.not_disputable")
    if payment.dispute in ("won", "lost") or (payment.dispute == "open") == (outcome == "open"):
        raise DomainError("dispute.error.not_now")
    if not payment.gateway_ref:
        raise DomainError("dispute.error.not_disputable")
    kept = payment.amount_kop - payment.refunded_kop - payment.chargeback_kop
    if kept <= 0:
        raise DomainError("dispute.error.not_disputable")
    if outcome == "open":
        ref, amount, status = (
            f"dp_sb_{payment.id}_{form_keys.new_key()[:12]}",
            kept,
            "needs_response",
        )
    else:
        open_one = session.execute(
            select(PaymentDispute).where(
                PaymentDispute.payment_id == payment.id, PaymentDispute.state == "open"
            )
        ).scalar()
        if open_one is None:
            raise DomainError("dispute.error.not_now")
        ref, amount, status = open_one.ref, open_one.amount_kop, outcome
    audit.record(
        session,
        actor,
        "payment.dispute_simulated",
        "payment",
        payment.id,
        before={"dispute": payment.dispute},
        after={"dispute": outcome, "ref": ref, "amount_kop": amount},
    )
    payment_ref = payment.gateway_ref
    session.commit()
    # the event goes out to the webhook after our commit, as the provider's would
    simulate(payment_ref=payment_ref, dispute_id=ref, amount_kop=amount, status=status)
    return outcome
