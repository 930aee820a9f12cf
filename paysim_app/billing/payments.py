"""The life of a payment: pending -> succeeded | failed (-> refunded), applied exactly once.

Every transition is a compare-and-set on the status (`... WHERE status = 'pending'`), so the
direct answer of the gateway, a duplicated webhook and the janitor that reconciles payments left
pending can all report the same outcome and only the first one moves money. A succeeded payment
credits the SIM through the ledger and accrues the partner's commission, in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from paysim_app.billing import ledger
from paysim_app.core import audit, bulk
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.listing import parse_amount_kop
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Commission, Partner, Payment, Sim
from paysim_app.models.base import utcnow
from paysim_app.models.billing import PaymentRefund
from paysim_app.payments import ChargeResult, Gateway, GatewayError, GatewayEvent, RefundResult
from paysim_app.payments.declines import normalise

log = logging.getLogger("paysim.payments")
_T = Payment.__table__
# what a payment brought in: its amount less what was refunded of it (a payment refunded in
# part stays "succeeded"; one refunded whole is "refunded") and what a lost dispute took back,
# for the figures that sum takings
KEPT_KOP = Payment.amount_kop - Payment.refunded_kop - Payment.chargeback_kop

# What follows a settlement in the modules that build on this one (autopay: its runs follow
# their payments). Each is called inside settle() with {payment id: new status}; they register
# themselves with @after_settlement, so settlement never imports them.
_AFTER_SETTLEMENT: list[Callable[[Session, dict[int, str]], None]] = []


def after_settlement(hook: Callable[[Session, dict[int, str]], None]):
    """Register `hook(session, changed)` to run in every settlement that changed a payment."""
    if hook not in _AFTER_SETTLEMENT:
        _AFTER_SETTLEMENT.append(hook)
    return hook


# Events that the modules building on this one read (disputes: "dispute"), by kind; they
# register themselves with @handles_event, so this module never imports them.
_EVENT_HANDLERS: dict[str, Callable[[Session, GatewayEvent], str]] = {}


def handles_event(kind: str):
    """Register `handler(session, event) -> outcome` for webhook events of this kind."""

    def register(handler):
        _EVENT_HANDLERS[kind] = handler
        return handler

    return register


@verb
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


@verb
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
        for hook in _AFTER_SETTLEMENT:
            hook(session, changed)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Payment) and obj.id in changed:
            session.expire(obj)
    return changed


def credit_posting(sim_id: int, payment_id: int, amount_kop: int) -> ledger.Posting:
    """What a settled payment writes to its SIM's ledger (settlement; the demo's history)."""
    return ledger.Posting(sim_id, "topup", amount_kop, payment_id=payment_id)


def _credit(session: Session, payment_ids: list[int]) -> None:
    rows = session.execute(
        select(_T.c.id, _T.c.sim_id, _T.c.amount_kop, _T.c.partner_id, _T.c.method)
        .where(bulk.id_in(session, _T.c.id, payment_ids))
        .order_by(_T.c.id)
    ).all()
    # a SIM order's prepayment has no SIM yet: it is held on its order, and credited when the
    # order gets its SIM (billing.prepayments)
    rows = [r for r in rows if r.sim_id is not None]
    ledger.post_many(
        session,
        [credit_posting(r.sim_id, r.id, r.amount_kop) for r in rows],
    )
    accrue_commissions(session, [r for r in rows if r.partner_id and r.method != "correction"])


@verb
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


def display_status(
    status: str, refunded_kop: int, dispute: str | None = None, unknown: bool = False
) -> str:
    """The payment's status as people read it: a succeeded payment given back in part is
    "partly_refunded"; one its card holder's bank disputes is "disputed", then "dispute_won" or
    "dispute_lost"; one left pending that the janitor could not find at the provider is
    "unknown" (check by hand). The words are statement.status.*."""
    if dispute in ("open", "won", "lost") and status in ("succeeded", "refunded"):
        return {"open": "disputed", "won": "dispute_won", "lost": "dispute_lost"}[dispute]
    if status == "pending" and unknown:
        return "unknown"
    return "partly_refunded" if status == "succeeded" and refunded_kop > 0 else status


def commission_of(amount_kop: int, rate_bp: int) -> int:
    """Rate in basis points, rounded half up to the kopeck (integers only)."""
    return (amount_kop * rate_bp + 5000) // 10000


@verb
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


@verb
def apply_event(session: Session, event: GatewayEvent) -> str:
    """A verified webhook. Returns what it did: applied | duplicate | unknown | ignored, or
    early: a refund of a payment still pending here (the gateway's events crossed; the
    webhook asks for a redelivery, by when the payment has settled)."""
    if event.kind in _EVENT_HANDLERS:
        return _EVENT_HANDLERS[event.kind](session, event)
    if event.kind not in ("payment_succeeded", "payment_failed", "refunded"):
        return "ignored"
    if event.kind == "refunded" and not event.refunds and event.refunded_total_kop is None:
        log.warning("refund event %s names no amount; ignored", event.event_id)
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
        payment = _locked(session, row.id)
        if payment.status == "pending":
            return "early"
        if payment.status not in ("succeeded", "refunded"):
            return "duplicate"
        booked = _book_refunds(
            session,
            payment,
            [(r.refund_id, r.amount_kop) for r in event.refunds],
            total=event.refunded_total_kop,
            total_ref=f"event:{event.event_id}",
            actor_user_id=None,
            comment="gateway refund",
        )
        return "applied" if booked.moved_kop else "duplicate"
    result = ChargeResult(
        "succeeded" if event.kind == "payment_succeeded" else "failed",
        event.gateway_ref,
        event.decline_code,
    )
    return "applied" if settle(session, [(row.id, result)]) else "duplicate"


@verb
def refund_payment(
    session: Session,
    actor: Actor,
    gateway: Gateway,
    payment_id: int,
    comment: str,
    amount_kop: int | None = None,
    amount_text: str = "",
) -> int:
    """Admin: give back part of a succeeded payment (`amount_kop`), or what is left of it
    (None: all of it, or the rest after partial refunds; `amount_text`: roubles as the admin
    typed them), several times up to the amount: a
    gateway refund for a card payment, then the same bookkeeping as a gateway's own refund
    (ledger entry, commission reversal in proportion). An amount over what is left is refused
    (`payment.error.refund_too_much`, naming what is left). The SIM may go into debt (and be
    suspended) if the money was spent. Returns the kopecks given back. A second post of the
    same refund (a double click, two admins at once) books nothing more: the gateway answers
    both with one refund, booked once by its id. A payment its card holder's bank disputes is
    not refunded (the bank's decision gives the money back, or not)."""
    require(actor, "payments.refund")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("error.required", field="comment")
    payment = session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if payment is None:
        raise NotFound("error.not_found")
    if isinstance(amount_text, str) and amount_text.strip():  # roubles as typed on the card
        amount_kop = parse_amount_kop(amount_text.strip(), "amount")
    if payment.dispute in ("open", "lost"):
        raise DomainError("payment.error.disputed")
    if payment.status != "succeeded":
        raise DomainError("payment.error.not_refundable")
    before = payment.refunded_kop
    left = payment.amount_kop - before - payment.chargeback_kop
    amount = left if amount_kop is None else amount_kop
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValidationError("error.invalid", field="amount")
    if amount > left:
        raise ValidationError("payment.error.refund_too_much", field="amount", left_kop=left)
    if payment.method in ("card", "autopay"):
        # the key names what was refunded before (and the part asked for, unless it is all
        # that is left), so a retry after a partial refund at the gateway is a new request for
        # the new remainder, and a double post the same request
        key = f"refund:{payment.idempotency_key}:{before}"
        if amount != left:
            key += f":{amount}"
        try:
            result = gateway.refund(
                gateway_ref=payment.gateway_ref or "", amount_kop=amount, idempotency_key=key
            )
        except GatewayError:
            result = RefundResult("failed", None, "processing_error")
        if result.status != "succeeded":
            # the message names it {code}, which DomainError's own first argument takes
            error = DomainError("payment.error.refund_failed")
            error.params["code"] = result.decline_code or ""
            raise error
        ref = result.gateway_ref or key
    else:  # a dealer's cash or a correction: no gateway holds it
        ref = f"manual:{payment.id}:{before}" + (f":{amount}" if amount != left else "")
    booked = _book_refunds(
        session,
        _locked(session, payment.id),
        [(ref, amount)],
        total=None,
        total_ref="",
        actor_user_id=actor.user_id,
        comment=comment,
    )
    if ref in booked.new_refs or _claim(session, ref, actor.user_id, comment[:500]):
        after = session.execute(
            select(_T.c.status, _T.c.refunded_kop).where(_T.c.id == payment.id)
        ).one()
        audit.record(
            session,
            actor,
            "payment.refund",
            "payment",
            payment.id,
            before={"status": "succeeded", "refunded_kop": before},
            after={
                "status": after.status,
                "refunded_kop": after.refunded_kop,
                "amount_kop": amount,
                "refund": ref,
                "comment": comment,
            },
        )
    return amount


@verb
def refund_whole(session: Session, gateway: Gateway, payment_id: int, *, comment: str) -> int:
    """Give all that is kept of a card payment back through the gateway, as the admin's refund
    of the rest does (the same idempotency key, so the two can never refund twice; booked once
    by the gateway's refund id), without an admin: a SIM order's prepayment when the order ends
    (billing.prepayments). Returns the kopecks given back now: 0 when nothing is left to give,
    the payment is disputed, or the gateway did not refund (tried again later)."""
    payment = _locked(session, payment_id)
    row = session.execute(
        select(_T.c.idempotency_key, _T.c.gateway_ref, _T.c.method, _T.c.dispute).where(
            _T.c.id == payment_id
        )
    ).one()
    left = payment.amount_kop - payment.refunded_kop - payment.chargeback_kop
    if (
        payment.status != "succeeded"
        or left <= 0
        or row.dispute in ("open", "lost")
        or row.method not in ("card", "autopay")
    ):
        return 0
    key = f"refund:{row.idempotency_key}:{payment.refunded_kop}"
    try:
        result = gateway.refund(
            gateway_ref=row.gateway_ref or "", amount_kop=left, idempotency_key=key
        )
    except GatewayError as exc:
        log.warning("payment %s: refund not made: %s", payment_id, exc)
        return 0
    if result.status != "succeeded":
        log.warning("payment %s: refund refused: %s", payment_id, result.decline_code)
        return 0
    _book_refunds(
        session,
        payment,
        [(result.gateway_ref or key, left)],
        total=None,
        total_ref="",
        actor_user_id=None,
        comment=comment,
    )
    # the gateway gave it back: booked now, or already by its webhook (by the refund's id)
    return left


@dataclass(frozen=True)
class _Booked:
    moved_kop: int  # what the books gave back now
    new_refs: frozenset[str]  # refunds recorded by this call


def _locked(session: Session, payment_id: int):
    """The payment's row, locked until the commit (SQLite: the write lock), so two reports of
    refunds of one payment are booked one after the other."""
    ledger.lock_for_write(session)
    return session.execute(
        select(
            _T.c.id,
            _T.c.sim_id,
            _T.c.amount_kop,
            _T.c.refunded_kop,
            _T.c.chargeback_kop,
            _T.c.status,
        )
        .where(_T.c.id == payment_id)
        .with_for_update()
    ).one()


def _book_refunds(
    session: Session,
    payment,
    named: list[tuple[str, int]],
    *,
    total: int | None,
    total_ref: str,
    actor_user_id: int | None,
    comment: str,
) -> _Booked:
    """Record refunds of a payment (its row locked by `_locked`) and give back in the books
    what they add up to beyond what is already given back.

    `named`: refunds by their unique refs (the gateway's refund ids); one already recorded is
    skipped, so a redelivered or concurrent report of it books nothing. `total`: the gateway's
    running total of the payment's refunds, when it sent one. The payment's refunded amount
    becomes max(what it was, the named refunds' sum, the total), at most the payment: a total
    ahead of the named refunds is booked as a "total" row under `total_ref`, and a refund named
    later is first taken as part of it (a total only ever counts refunds that exist). Each row
    that moves money gets one ledger entry and its share of the commission reversed."""
    R = PaymentRefund.__table__
    refs = [ref for ref, _ in named]
    seen = (
        set(session.execute(select(R.c.ref).where(R.c.ref.in_(refs))).scalars()) if refs else set()
    )
    fresh: dict[str, int] = {}
    for ref, amount in named:
        if ref not in seen and ref not in fresh:
            fresh[ref] = amount
    named_sum = session.execute(
        select(func.coalesce(func.sum(R.c.amount_kop), 0)).where(
            R.c.payment_id == payment.id, R.c.kind == "refund"
        )
    ).scalar_one() + sum(fresh.values())
    # what a lost dispute took back cannot be refunded as well
    cap = payment.amount_kop - payment.chargeback_kop
    target = min(cap, max(payment.refunded_kop, named_sum, total or 0))
    left = target - payment.refunded_kop
    rows = []
    for ref, amount in fresh.items():
        applied = min(amount, left)
        left -= applied
        rows.append({"ref": ref, "kind": "refund", "amount_kop": amount, "applied_kop": applied})
    if left > 0:
        rows.append({"ref": total_ref, "kind": "total", "amount_kop": left, "applied_kop": left})
    if not rows:
        return _Booked(0, frozenset())
    now = utcnow()
    ids = bulk.insert_rows(
        session,
        R,
        [
            {
                "payment_id": payment.id,
                **row,
                "actor_user_id": actor_user_id,
                "comment": comment[:500],
                "created_at": now,
            }
            for row in rows
        ],
    )
    moving = [
        (rid, row["applied_kop"]) for rid, row in zip(ids, rows, strict=True) if row["applied_kop"]
    ]
    if moving and payment.sim_id is not None:  # a prepayment still held was never credited
        ledger.post_many(
            session,
            [
                ledger.Posting(
                    payment.sim_id,
                    "refund",
                    -applied,
                    payment_id=payment.id,
                    actor_user_id=actor_user_id,
                    comment=comment[:500],
                )
                for _, applied in moving
            ],
        )
    if moving:
        _reverse_commission(session, payment, moving)
        moved = sum(applied for _, applied in moving)
        session.execute(
            update(_T)
            .where(_T.c.id == payment.id)
            .values(
                refunded_kop=payment.refunded_kop + moved,
                status="refunded"
                if payment.refunded_kop + moved == payment.amount_kop
                else _T.c.status,
            )
        )
        for obj in list(session.identity_map.values()):  # a loaded Payment must follow
            if isinstance(obj, Payment) and obj.id == payment.id:
                session.expire(obj)
    return _Booked(sum(applied for _, applied in moving), frozenset(fresh))


def _reverse_commission(session: Session, payment, moving: list[tuple[int, int]]) -> None:
    """Each refund row takes back its share of the partner's commission: the commission of
    everything refunded after it minus that of everything refunded before it, at the accrual's
    rate and rounded as `commission_of`, so the shares add up to the commission of the refunded
    total and a full refund takes back exactly the accrual, never more."""
    accrual = session.execute(
        select(Commission).where(Commission.payment_id == payment.id, Commission.kind == "accrual")
    ).scalar_one_or_none()
    if accrual is None:
        return

    def share(refunded: int) -> int:
        if refunded >= payment.amount_kop:
            return accrual.amount_kop
        return min(accrual.amount_kop, commission_of(refunded, accrual.rate_bp))

    refunded = payment.refunded_kop
    for refund_id, applied in moving:
        back = share(refunded + applied) - share(refunded)
        refunded += applied
        if back:
            session.add(
                Commission(
                    partner_id=accrual.partner_id,
                    payment_id=payment.id,
                    kind="reversal",
                    rate_bp=accrual.rate_bp,
                    amount_kop=-back,
                    refund_id=refund_id,
                )
            )
    session.flush()


def _claim(session: Session, ref: str, actor_user_id: int | None, comment: str) -> bool:
    """The admin's refund that the gateway's webhook booked first (no one named on it): it is
    the admin's. False when someone already has it (a second post of the same refund)."""
    R = PaymentRefund.__table__
    return (
        session.execute(
            update(R)
            .where(R.c.ref == ref, R.c.actor_user_id.is_(None))
            .values(actor_user_id=actor_user_id, comment=comment)
            .returning(R.c.id)
        ).first()
        is not None
    )


# Stripe's search lags behind its writes (usually under a minute, longer in an incident), so the
# gateway having no trace of a payment proves it never happened only once the payment is this old
UNSEEN_AFTER = timedelta(hours=1)
# The provider forgets idempotency keys after 24 hours: a request repeated later under the same
# key could charge again. Past this age (an hour's margin) the janitor only looks payments up.
KEY_MEMORY = timedelta(hours=23)
# who hears of a payment left to a person
_REVIEWERS = ("payments.view", "payments.refund")


@verb
def reconcile_pending(session: Session, gateway: Gateway, *, older_than: timedelta) -> int:
    """The janitor: settle payments left pending (a crash or timeout between the gateway call
    and the commit). It looks the charge up at the gateway (by its reference, or by our
    payment's key in the metadata) and settles it as it was.

    When the gateway has no trace of it: an autopay charge younger than KEY_MEMORY is made now
    under the same key (the gateway still remembers the key, so it can never be charged
    twice); a top-up the subscriber started is not charged late (they saw it fail and may well
    have paid again), and once the gateway's search has surely caught up (UNSEEN_AFTER) it is
    marked failed. Past KEY_MEMORY nothing is ever sent again: a payment not found is marked
    "unknown, check by hand" (`unknown_since`; the admins are told) and a person settles it on
    its card (`settle_by_hand`). Returns how many payments it settled."""
    from paysim_app.models import SavedCard  # local: only the janitor needs the card tokens

    cutoff = utcnow() - older_than
    rows = session.execute(
        select(Payment, SavedCard)
        .join(SavedCard, SavedCard.id == Payment.card_id, isouter=True)
        .where(
            Payment.status == "pending",
            Payment.created_at < cutoff,
            Payment.method.in_(("card", "autopay")),
            # paid on a hosted page: billing.checkout follows those (expire_stale)
            Payment.checkout_session.is_(None),
            # left to a person
            Payment.unknown_since.is_(None),
        )
        .order_by(Payment.id)
        .limit(500)
    ).all()
    settled = 0
    for payment, card in rows:
        forgotten = payment.created_at < utcnow() - KEY_MEMORY
        try:
            result = gateway.lookup(
                idempotency_key=payment.idempotency_key, gateway_ref=payment.gateway_ref
            )
            if (
                result is None
                and not forgotten
                and card is not None
                and payment.method == "autopay"
            ):
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
            if forgotten:
                _mark_unknown(session, payment.id)
                session.commit()
                continue
            if payment.created_at > utcnow() - UNSEEN_AFTER:
                continue  # not found *yet*: the next run looks again
            # the gateway never saw it and it is not charged late: it did not happen
            result = ChargeResult("failed", None, "processing_error")
        if result.status != "pending":
            settled += len(settle(session, [(payment.id, result)]))
            session.commit()
    return settled


@verb
def find_at_provider(session: Session, gateway: Gateway, payment_id: int) -> str:
    """A payment past the provider's memory of its key that its own path could not settle (a
    hosted page the provider no longer answers for): looked up by our key in the metadata and
    settled as it was, or marked "unknown, check by hand". Never charges. Returns its status
    (or "unknown"); a provider that does not answer leaves it as it was."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.status != "pending" or payment.unknown_since is not None:
        return "unknown" if payment is not None and payment.unknown_since else "pending"
    key, ref = payment.idempotency_key, payment.gateway_ref
    try:
        result = gateway.lookup(idempotency_key=key, gateway_ref=ref)
        if result is None and ref:
            result = gateway.lookup(idempotency_key=key, gateway_ref=None)
    except GatewayError:
        return "pending"
    if result is None or result.status == "pending":
        _mark_unknown(session, payment_id)
        return "unknown"
    settle(session, [(payment_id, result)])
    session.expire_all()
    return session.get(Payment, payment_id).status


def _mark_unknown(session: Session, payment_id: int) -> bool:
    """Leave a pending payment to a person: shown "unknown, check by hand" on its card, the
    admins with the payments rights told once. False if it is no longer pending."""
    row = session.execute(
        update(_T)
        .where(_T.c.id == payment_id, _T.c.status == "pending", _T.c.unknown_since.is_(None))
        .values(unknown_since=utcnow())
        .returning(_T.c.amount_kop, _T.c.created_at)
    ).first()
    if row is None:
        return False
    log.warning("payment %s: not found at the provider past a day; left to a person", payment_id)
    from paysim_app.core import notify  # local: only this path tells people

    notify.notify_admins(
        session,
        _REVIEWERS,
        "payment_unknown",
        {"payment": payment_id, "amount_kop": row.amount_kop},
        dedup_key=f"payment_unknown:{payment_id}",
    )
    return True


@verb
def settle_by_hand(
    session: Session, actor: Actor, payment_id: int, outcome: str, comment: str
) -> str:
    """Admin: settle a payment marked "unknown, check by hand" as what the provider's dashboard
    shows: "succeeded" credits the SIM (and the partner's commission) as any settlement does,
    "failed" moves nothing. Compare-and-set on "pending", so once; audited with the comment.
    Returns the new status."""
    require(actor, "payments.refund")
    if outcome not in ("succeeded", "failed"):
        raise ValidationError("error.invalid", field="outcome")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("error.required", field="comment")
    payment = session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if payment is None:
        raise NotFound("error.not_found")
    if payment.status != "pending" or payment.unknown_since is None:
        raise DomainError("payment.error.not_unknown")
    result = ChargeResult(outcome, None, "processing_error" if outcome == "failed" else None)
    if payment.id not in settle(session, [(payment.id, result)]):
        raise DomainError("payment.error.not_unknown")
    audit.record(
        session,
        actor,
        "payment.settled_by_hand",
        "payment",
        payment_id,
        before={"status": "pending"},
        after={"status": outcome, "comment": comment[:500]},
    )
    return outcome
