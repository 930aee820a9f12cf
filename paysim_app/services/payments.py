"""The life of a payment: pending -> succeeded | failed (-> refunded), applied exactly once.

Every transition is a compare-and-set on the status (`... WHERE status = 'pending'`), so the
direct answer of the gateway, a duplicated webhook and the janitor that reconciles payments left
pending can all report the same outcome and only the first one moves money. A succeeded payment
credits the SIM through the ledger and accrues the partner's commission, in one transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from paysim_app.models import Commission, Partner, Payment, Sim
from paysim_app.models.base import utcnow
from paysim_app.payments import ChargeResult, Gateway, GatewayError, GatewayEvent
from paysim_app.payments.declines import normalise
from paysim_app.services import audit, bulk, ledger
from paysim_app.services.errors import DomainError, NotFound, ValidationError
from paysim_app.services.permissions import Actor, require

log = logging.getLogger("paysim.payments")
_T = Payment.__table__


def new_payment(
    session: Session,
    *,
    sim: Sim,
    amount_kop: int,
    method: str,
    idempotency_key: str,
    gateway: str,
    payer_user_id: int | None = None,
    card_id: int | None = None,
    card_brand: str = "",
    card_last4: str = "",
    partner_id: int | None = None,
) -> Payment:
    """A pending payment, added to the session (the caller commits before calling the gateway,
    so that a crash leaves a trace the janitor can reconcile)."""
    payment = Payment(
        sim_id=sim.id,
        subscriber_id=sim.subscriber_id,
        partner_id=partner_id if partner_id is not None else sim.partner_id,
        payer_user_id=payer_user_id,
        card_id=card_id,
        amount_kop=amount_kop,
        method=method,
        card_brand=card_brand,
        card_last4=card_last4,
        gateway=gateway,
        idempotency_key=idempotency_key,
    )
    session.add(payment)
    session.flush()
    return payment


def settle(session: Session, outcomes: list[tuple[int, ChargeResult]]) -> dict[int, str]:
    """Apply gateway outcomes to pending payments; returns {payment id: new status} for the
    payments this call changed (a payment already settled is left alone)."""
    now = utcnow()
    changed: dict[int, str] = {}
    # One UPDATE per payment row and transaction: on PostgreSQL a second UPDATE of a row this
    # transaction already changed re-runs the foreign-key checks, which take KEY SHARE locks on
    # the SIM; two settlements holding those and then asking the ledger's FOR UPDATE on the same
    # SIM deadlock. So status, reference and decline code are set together, compare-and-set on
    # "pending" (a payment settled by someone else is left alone).
    final = [(pid, r) for pid, r in outcomes if r.status in ("succeeded", "failed")]
    known = {}
    if any(not r.gateway_ref for _, r in final):
        known = dict(
            session.execute(
                select(_T.c.id, _T.c.gateway_ref).where(
                    bulk.id_in(session, _T.c.id, [pid for pid, _ in final])
                )
            ).all()
        )
    rows = [
        {
            "id": pid,
            "status": r.status,
            "completed_at": now,
            "gateway_ref": r.gateway_ref or known.get(pid),  # never wipe a known reference
            "decline_code": normalise(r.decline_code) if r.status == "failed" else None,
        }
        for pid, r in final
    ]
    won = set(bulk.update_by_id_returning(session, _T, rows, only_if={"status": "pending"}))
    changed.update({pid: r.status for pid, r in final if pid in won})
    for pid, r in outcomes:  # still pending at the gateway: remember its reference
        if r.status == "pending" and r.gateway_ref:
            session.execute(
                update(_T)
                .where(_T.c.id == pid, _T.c.gateway_ref.is_(None))
                .values(gateway_ref=r.gateway_ref)
            )
    succeeded = [pid for pid, s in changed.items() if s == "succeeded"]
    if succeeded:
        _credit(session, succeeded)
    if changed:
        from paysim_app.services import autopay  # autopay builds on this module

        autopay.on_settled(session, changed)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Payment) and obj.id in changed:
            session.expire(obj)
    return changed


def _credit(session: Session, payment_ids: list[int]) -> None:
    rows = session.execute(
        select(_T.c.id, _T.c.sim_id, _T.c.amount_kop, _T.c.partner_id, _T.c.method)
        .where(bulk.id_in(session, _T.c.id, payment_ids))
        .order_by(_T.c.id)
    ).all()
    ledger.post_many(
        session,
        [ledger.Posting(r.sim_id, "topup", r.amount_kop, payment_id=r.id) for r in rows],
    )
    accrue_commissions(session, [r for r in rows if r.partner_id and r.method != "correction"])


def accrue_commissions(session: Session, rows) -> None:
    """Each payment accrues its partner's commission at the partner's rate of this moment."""
    partner_ids = {r.partner_id for r in rows}
    if not partner_ids:
        return
    rates = dict(
        session.execute(
            select(Partner.id, Partner.commission_bp).where(Partner.id.in_(partner_ids))
        ).all()
    )
    now = utcnow()
    bulk.insert_rows(
        session,
        Commission.__table__,
        [
            {
                "partner_id": r.partner_id,
                "payment_id": r.id,
                "kind": "accrual",
                "rate_bp": rates[r.partner_id],
                "amount_kop": commission_of(r.amount_kop, rates[r.partner_id]),
                "created_at": now,
            }
            for r in rows
            if rates.get(r.partner_id)
        ],
        returning=None,
    )


def commission_of(amount_kop: int, rate_bp: int) -> int:
    """Rate in basis points, rounded half up to the kopeck (integers only)."""
    return (amount_kop * rate_bp + 5000) // 10000


def charge_and_settle(
    session: Session,
    gateway: Gateway,
    payment: Payment,
    *,
    token: str,
    customer: str,
    off_session: bool,
) -> str:
    """Commit the pending payment, ask the gateway, commit the outcome. Returns the status."""
    payment_id, key, amount = payment.id, payment.idempotency_key, payment.amount_kop
    session.commit()
    try:
        result = gateway.charge(
            amount_kop=amount,
            token=token,
            customer=customer,
            idempotency_key=key,
            off_session=off_session,
            description=f"PaySim payment {payment_id}",
        )
    except GatewayError:
        log.warning("payment %s: gateway outcome unknown; left pending for the janitor", payment_id)
        return "pending"
    changed = settle(session, [(payment_id, result)])
    session.commit()
    return changed.get(payment_id) or session.get(Payment, payment_id).status


def apply_event(session: Session, event: GatewayEvent) -> str:
    """A verified webhook. Returns what it did: applied | duplicate | unknown | ignored."""
    if event.kind not in ("payment_succeeded", "payment_failed", "refunded"):
        return "ignored"
    query = select(Payment.id, Payment.status)
    if event.payment_key:
        query = query.where(Payment.idempotency_key == event.payment_key)
    elif event.gateway_ref:
        query = query.where(Payment.gateway_ref == event.gateway_ref)
    else:
        return "unknown"
    row = session.execute(query).first()
    if row is None:
        return "unknown"
    if event.kind == "refunded":
        if row.status != "succeeded":
            return "duplicate"
        _refund_in_ledger(session, row.id, actor_user_id=None, comment="gateway refund")
        return "applied"
    result = ChargeResult(
        "succeeded" if event.kind == "payment_succeeded" else "failed",
        event.gateway_ref,
        event.decline_code,
    )
    return "applied" if settle(session, [(row.id, result)]) else "duplicate"


def refund_payment(
    session: Session, actor: Actor, gateway: Gateway, payment_id: int, comment: str
) -> None:
    """Admin: give a succeeded card payment back (gateway refund + ledger entry + commission
    reversal). The SIM may go into debt (and be suspended) if the money was spent."""
    require(actor, "payments.refund")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("error.required", field="comment")
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("error.not_found")
    if payment.status != "succeeded":
        raise DomainError("payment.error.not_refundable")
    if payment.method in ("card", "autopay"):
        result = gateway.refund(
            gateway_ref=payment.gateway_ref or "",
            amount_kop=payment.amount_kop,
            idempotency_key=f"refund:{payment.idempotency_key}",
        )
        if result.status != "succeeded":
            # the message names it {code}, which DomainError's own first argument takes
            error = DomainError("payment.error.refund_failed")
            error.params["code"] = result.decline_code or ""
            raise error
    if not _refund_in_ledger(session, payment.id, actor_user_id=actor.user_id, comment=comment):
        raise DomainError("payment.error.not_refundable")
    audit.record(
        session,
        actor,
        "payment.refund",
        "payment",
        payment.id,
        before={"status": "succeeded"},
        after={"status": "refunded", "comment": comment},
    )


def _refund_in_ledger(session, payment_id: int, *, actor_user_id, comment: str) -> bool:
    won = session.execute(
        update(_T)
        .where(_T.c.id == payment_id, _T.c.status == "succeeded")
        .values(status="refunded")
        .returning(_T.c.sim_id, _T.c.amount_kop)
    ).first()
    if won is None:
        return False
    for obj in list(session.identity_map.values()):  # a loaded Payment must not stay 'succeeded'
        if isinstance(obj, Payment) and obj.id == payment_id:
            session.expire(obj)
    ledger.post(
        session,
        ledger.Posting(
            won.sim_id,
            "refund",
            -won.amount_kop,
            payment_id=payment_id,
            actor_user_id=actor_user_id,
            comment=comment[:500],
        ),
    )
    accrual = session.execute(
        select(Commission).where(Commission.payment_id == payment_id, Commission.kind == "accrual")
    ).scalar_one_or_none()
    if accrual is not None:
        session.add(
            Commission(
                partner_id=accrual.partner_id,
                payment_id=payment_id,
                kind="reversal",
                rate_bp=accrual.rate_bp,
                amount_kop=-accrual.amount_kop,
            )
        )
    return True


# Stripe's search lags behind its writes (usually under a minute, longer in an incident), so the
# gateway having no trace of a payment proves it never happened only once the payment is this old
UNSEEN_AFTER = timedelta(hours=1)


def reconcile_pending(session: Session, gateway: Gateway, *, older_than: timedelta) -> int:
    """The janitor: settle payments left pending (a crash or timeout between the gateway call
    and the commit). It asks the gateway for the charge by the payment's idempotency key.

    When the gateway has no trace of it: an autopay charge is made now under the same key (it
    can never be charged twice); a top-up the subscriber started is not charged late (they saw
    it fail and may well have paid again), and once the gateway's search has surely caught up
    (UNSEEN_AFTER) it is marked failed. Returns how many payments it settled."""
    from paysim_app.models import SavedCard  # local: only the janitor needs the card tokens

    cutoff = utcnow() - older_than
    rows = session.execute(
        select(Payment, SavedCard)
        .join(SavedCard, SavedCard.id == Payment.card_id, isouter=True)
        .where(
            Payment.status == "pending",
            Payment.created_at < cutoff,
            Payment.method.in_(("card", "autopay")),
        )
        .order_by(Payment.id)
        .limit(500)
    ).all()
    settled = 0
    for payment, card in rows:
        try:
            result = gateway.lookup(
                idempotency_key=payment.idempotency_key, gateway_ref=payment.gateway_ref
            )
            if result is None and card is not None and payment.method == "autopay":
                result = gateway.charge(
                    amount_kop=payment.amount_kop,
                    token=card.gateway_token,
                    customer=card.gateway_customer,
                    idempotency_key=payment.idempotency_key,
                    off_session=True,
                )
        except GatewayError:
            continue
        if result is None:
            if payment.created_at > utcnow() - UNSEEN_AFTER:
                continue  # not found *yet*: the next run looks again
            # the gateway never saw it and it is not charged late: it did not happen
            result = ChargeResult("failed", None, "processing_error")
        if result.status != "pending":
            settled += len(settle(session, [(payment.id, result)]))
            session.commit()
    return settled
