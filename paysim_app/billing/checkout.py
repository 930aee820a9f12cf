"""Paying and saving cards on the provider's hosted page: card data never touches PaySim.

A top-up with a new card (or with a saved card the bank wants confirmed) is a pending Payment
plus a hosted-page session (Stripe Checkout; the sandbox's own test page); adding a card is a
CardSetup plus a setup session. The subscriber types the card there and passes 3-D Secure there.
What became of it arrives two ways, and the first one decides:
- the provider's webhooks (`apply_event`: checkout.session.completed / expired,
  payment_intent.succeeded / payment_failed, setup_intent.succeeded);
- the subscriber coming back to the return URL (`follow_payment` / `card_setup_result`), which
  asks the provider, so the result page is right even before the webhook.
Both end in `payments.settle`, a compare-and-set on "pending", so a payment is credited once
however many of them report it; a card setup completes once the same way.

A session the subscriber abandons (the "back" link, a closed tab) expires: at once when they come
back through the cancel URL, by the provider's own timer (checkout.session.expired), or by the
janitor (`expire_stale`) for sessions past their expiry. Its payment ends "failed" when a card
was declined on the page (with that decline), otherwise "expired".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from paysim_app.billing import cards, payments
from paysim_app.core import form_keys
from paysim_app.core.errors import DomainError, NotFound
from paysim_app.core.permissions import Actor, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Payment, SavedCard
from paysim_app.models.base import utcnow
from paysim_app.models.billing import CardSetup
from paysim_app.payments import (
    ChargeResult,
    CheckoutResult,
    Gateway,
    GatewayError,
    GatewayEvent,
)
from paysim_app.payments.declines import normalise
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.checkout")
_T = Payment.__table__
# how long the hosted page stays open (Stripe's shortest); then the payment expires
SESSION_MINUTES = 30
# the janitor expires sessions this long past their expiry (the provider's own event first)
EXPIRY_GRACE = timedelta(minutes=2)


# What puts an autopay payment on hold for its owner's confirmation (billing.confirmations
# registers it with @holds_payments, so this module never imports it): called with
# [(payment id, the provider's reference)], returns the payments it held.
_ON_HOLD: list[Callable[[Session, list[tuple[int, str | None]]], list[int]]] = []


def holds_payments(hook):
    if hook not in _ON_HOLD:
        _ON_HOLD.append(hook)
    return hook


@dataclass(frozen=True)
class SetupOutcome:
    setup_id: int
    status: str  # open | complete | expired
    card_id: int | None
    brand: str
    last4: str
    decline_code: str | None


def _base_url() -> str:
    return get_settings().paysim_public_url.rstrip("/")


def payment_return_urls(payment_id: int) -> tuple[str, str]:
    """(success, cancel): the top-up's result page; the cancel URL says the payer gave up."""
    page = f"{_base_url()}/cabinet/topup/result?payment={payment_id}"
    return page, f"{page}&back=1"


def setup_return_urls(setup_id: int) -> tuple[str, str]:
    page = f"{_base_url()}/cabinet/cards?setup={setup_id}"
    return page, f"{page}&back=1"


# -- payments --------------------------------------------------------------------------------------
@verb
def open_payment_page(
    session: Session,
    gateway: Gateway,
    payment: Payment,
    *,
    customer: str = "",
    locale: str = "ru",
    success_url: str = "",
    cancel_url: str = "",
) -> str:
    """A hosted page for a pending payment (committed by the caller); returns its URL. The
    payer comes back to the top-up's result page, or to `success_url` / `cancel_url` (a SIM
    order's prepayment: its order's page).

    The provider not answering fails the payment at once ("processing_error": nothing can be
    paid on a page nobody was sent to; a session the provider made all the same expires
    unpaid) and refuses with `checkout.error.unavailable`."""
    payment_id, key, amount = payment.id, payment.idempotency_key, payment.amount_kop
    success, cancel = payment_return_urls(payment_id)
    success, cancel = success_url or success, cancel_url or cancel
    try:
        page = gateway.start_checkout(
            mode="payment",
            reference=key,
            customer=customer,
            success_url=success,
            cancel_url=cancel,
            idempotency_key=f"checkout:{key}",
            amount_kop=amount,
            save_card=payment.save_card,
            description=f"PaySim payment {payment_id}",
            locale=locale,
            expires_at=utcnow() + timedelta(minutes=SESSION_MINUTES),
        )
    except GatewayError as exc:
        log.warning("payment %s: hosted page not opened: %s", payment_id, exc)
        payments.settle(session, [(payment_id, ChargeResult("failed", None, "processing_error"))])
        session.commit()
        raise DomainError("checkout.error.unavailable") from exc
    session.execute(
        update(_T)
        .where(_T.c.id == payment_id)
        .values(
            checkout_session=page.session_id,
            checkout_url=page.url,
            checkout_expires_at=page.expires_at,
        )
    )
    session.expire(payment)
    session.commit()
    return page.url


@verb
def open_confirmation_page(
    session: Session, gateway: Gateway, payment_id: int, *, customer: str = "", locale: str = "ru"
) -> str:
    """The hosted page for an autopay payment waiting for its owner's confirmation
    (billing.confirmations); returns its URL.

    A Checkout Session for that amount, not a second confirmation of the off-session
    PaymentIntent: the intent that asked for 3-D Secure took nothing and is never confirmed
    again, and the payment follows only the session it names (`checkout_session`, compare-and-
    set on "pending" as every hosted page), so one payment is still at most one charge. It keeps
    the page, its webhooks, its return URL and its expiry the very code of a top-up, in both
    gateways. `customer` is the saved card's customer at Stripe, so the page belongs to the
    same customer (Stripe shows its saved cards there when their redisplay settings allow;
    otherwise the subscriber types the card, and the bank's check follows on the page).

    The payment goes "requires_action" -> "pending" while the page is open (a compare-and-set:
    two clicks open one page); a page left unpaid brings it back to waiting (`_expire`), and a
    provider that does not answer too (`checkout.error.unavailable`)."""
    opened = utcnow()
    row = session.execute(
        update(_T)
        .where(_T.c.id == payment_id, _T.c.status == "requires_action")
        .values(status="pending", decline_code=None, checkout_url="")
        .returning(_T.c.idempotency_key, _T.c.amount_kop, _T.c.checkout_session)
    ).first()
    if row is None:
        raise DomainError("autopay.confirm.error.closed")
    session.commit()
    key, amount, previous = row
    success, cancel = payment_return_urls(payment_id)
    try:
        page = gateway.start_checkout(
            mode="payment",
            reference=key,
            customer=customer,
            success_url=success,
            cancel_url=cancel,
            # one session per opening: the page before (left unpaid, expired) names the next
            idempotency_key=f"checkout:{key}:after:{previous or 'none'}",
            amount_kop=amount,
            description=f"PaySim autopay {payment_id}",
            locale=locale,
            expires_at=opened + timedelta(minutes=SESSION_MINUTES),
        )
    except GatewayError as exc:
        log.warning("payment %s: confirmation page not opened: %s", payment_id, exc)
        _back_to_waiting(session, payment_id)
        session.commit()
        raise DomainError("checkout.error.unavailable") from exc
    session.execute(
        update(_T)
        .where(_T.c.id == payment_id, _T.c.status == "pending")
        .values(
            checkout_session=page.session_id,
            checkout_url=page.url,
            checkout_expires_at=page.expires_at,
        )
    )
    session.commit()
    for obj in list(session.identity_map.values()):  # a loaded Payment must follow
        if isinstance(obj, Payment) and obj.id == payment_id:
            session.expire(obj)
    return page.url


def _back_to_waiting(session: Session, payment_id: int) -> bool:
    """A confirmation page closed unpaid while the wait goes on: the payment waits again."""
    return (
        session.execute(
            update(_T)
            .where(_T.c.id == payment_id, _T.c.status == "pending", _T.c.confirm_by > utcnow())
            .values(
                status="requires_action",
                decline_code="authentication_required",
                checkout_url="",
                checkout_expires_at=None,
            )
            .returning(_T.c.id)
        ).first()
        is not None
    )


@verb
def end_waits(session: Session, *, limit: int = 500) -> int:
    """The janitor: autopay payments whose wait for confirmation ran out end failed
    (`authentication_required`, through payments.settle, so their autopay runs record it and the
    subscriber is told). Returns how many."""
    due = list(
        session.execute(
            update(_T)
            .where(
                _T.c.id.in_(
                    select(_T.c.id)
                    .where(_T.c.status == "requires_action", _T.c.confirm_by <= utcnow())
                    .limit(limit)
                    .scalar_subquery()
                ),
                _T.c.status == "requires_action",
            )
            .values(status="pending")
            .returning(_T.c.id)
        ).scalars()
    )
    if due:
        payments.settle(
            session,
            [(pid, ChargeResult("failed", None, "authentication_required")) for pid in due],
        )
    session.commit()
    return len(due)


@verb
def follow_payment(
    session: Session, gateway: Gateway, payment_id: int, *, abandoned: bool = False
) -> str:
    """Ask the provider what became of a pending payment's hosted page and apply it; with
    `abandoned` (the payer came back through the cancel URL) close the page first, so that
    nothing can be paid on it any more. Returns the payment's status; a provider that does not
    answer leaves it as it was."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.status != "pending" or not payment.checkout_session:
        return payment.status if payment else "unknown"
    result = _read_page(gateway, payment.checkout_session, abandoned, f"payment {payment_id}")
    if result is None:
        return payment.status
    _apply_payment_result(session, gateway, payment_id, result)
    session.commit()
    session.expire_all()
    return session.get(Payment, payment_id).status


def _read_page(
    gateway: Gateway, session_id: str, abandoned: bool, what: str
) -> CheckoutResult | None:
    """The hosted page as the provider sees it; `abandoned`: closed first, so nothing can be
    paid on it any more. None when the provider does not answer (the caller leaves it as it
    was)."""
    try:
        if abandoned:
            return gateway.expire_checkout(session_id)
        return gateway.checkout_result(session_id)
    except GatewayError as exc:
        log.warning("%s: hosted page not read: %s", what, exc)
        return None


def _apply_payment_result(
    session: Session, gateway: Gateway, payment_id: int, result: CheckoutResult
) -> str:
    """Apply what the provider says of a payment's session: applied | noted | mismatch |
    unchanged."""
    payment = session.get(Payment, payment_id)
    session.refresh(payment)
    if payment.status != "pending" or result.session_id != payment.checkout_session:
        return "unchanged"
    charge = result.charge
    if charge is not None and charge.status == "succeeded":
        if result.amount_kop is not None and result.amount_kop != payment.amount_kop:
            log.error(
                "payment %s: the provider took %s, not %s kopecks; left for a person",
                payment_id,
                result.amount_kop,
                payment.amount_kop,
            )
            return "mismatch"
        return _settle(session, gateway, payment, charge, result)
    if result.status == "expired":
        return _expire(session, payment_id, charge)
    if charge is not None and charge.status == "failed":
        # an attempt declined on the page: the payer may still try another card there
        return _note_decline(session, payment_id, charge.decline_code)
    return "unchanged"


def _settle(
    session: Session, gateway: Gateway, payment: Payment, charge: ChargeResult, result
) -> str:
    payment_id, save, subscriber_id = payment.id, payment.save_card, payment.subscriber_id
    changed = payments.settle(session, [(payment_id, charge)])
    if payment_id not in changed:
        return "unchanged"
    values: dict = {}
    if result.card_last4:
        values.update(card_brand=result.card_brand[:20], card_last4=result.card_last4[-4:])
    if save and result.card is not None and subscriber_id is not None:
        kept = cards.keep_card(session, gateway.name, subscriber_id, result.card)
        values["card_id"] = kept.id
    if values:
        session.execute(update(_T).where(_T.c.id == payment_id).values(**values))
    return "applied"


def _expire(session: Session, payment_id: int, charge: ChargeResult | None) -> str:
    """The page closed unpaid: "failed" with the decline if a card was declined there (the
    provider's last attempt, or the one noted before), otherwise "expired"."""
    noted, confirm_by = session.execute(
        select(_T.c.decline_code, _T.c.confirm_by).where(_T.c.id == payment_id)
    ).one()
    code = charge.decline_code if charge is not None and charge.status == "failed" else noted
    if confirm_by is not None and not code:
        # an autopay payment's confirmation page: it waits again while there is time, and
        # past the wait it ends as an unconfirmed charge (not "expired": no page of a top-up)
        if _back_to_waiting(session, payment_id):
            return "applied"
        code = "authentication_required"
    if code:
        changed = payments.settle(session, [(payment_id, ChargeResult("failed", None, code))])
        return "applied" if changed else "unchanged"
    won = session.execute(
        update(_T)
        .where(_T.c.id == payment_id, _T.c.status == "pending")
        .values(status="expired", completed_at=utcnow())
        .returning(_T.c.id)
    ).first()
    return "applied" if won else "unchanged"


def _note_decline(session: Session, payment_id: int, code: str | None) -> str:
    session.execute(
        update(_T)
        .where(_T.c.id == payment_id, _T.c.status == "pending")
        .values(decline_code=normalise(code))
    )
    return "noted"


@verb
def expire_stale(session: Session, gateway: Gateway, *, limit: int = 200) -> int:
    """The janitor: hosted pages past their expiry whose end no webhook reported. Each is
    looked up (a payment made at the last moment is credited) or closed at the provider, then
    settled. Returns how many payments and card setups it finished."""
    cutoff = utcnow() - EXPIRY_GRACE
    due = session.execute(
        select(_T.c.id)
        .where(
            _T.c.status == "pending",
            _T.c.checkout_session.is_not(None),
            _T.c.checkout_expires_at < cutoff,
            _T.c.unknown_since.is_(None),  # left to a person
        )
        .order_by(_T.c.id)
        .limit(limit)
    ).scalars()
    finished = 0
    forgotten = utcnow() - payments.KEY_MEMORY
    for payment_id in list(due):
        status = follow_payment(session, gateway, payment_id, abandoned=True)
        if status == "pending" and session.get(Payment, payment_id).created_at < forgotten:
            # its page cannot be read past a day: found by our key, or left to a person
            status = payments.find_at_provider(session, gateway, payment_id)
            session.commit()
        if status != "pending":
            finished += 1
    finished += end_waits(session)
    setups = session.execute(
        select(CardSetup.id)
        .where(
            CardSetup.status == "open",
            CardSetup.session_id.is_not(None),
            CardSetup.expires_at < cutoff,
        )
        .order_by(CardSetup.id)
        .limit(limit)
    ).scalars()
    for setup_id in list(setups):
        if _follow_setup(session, gateway, setup_id, abandoned=True) != "open":
            finished += 1
    # a setup that never got its page (the provider did not answer) is over too
    session.execute(
        update(CardSetup)
        .where(
            CardSetup.status == "open",
            CardSetup.session_id.is_(None),
            CardSetup.created_at < cutoff - timedelta(minutes=SESSION_MINUTES),
        )
        .values(status="expired", completed_at=utcnow())
    )
    session.commit()
    return finished


# -- adding a card -----------------------------------------------------------------------------------
@verb
def start_card_setup(
    session: Session, actor: Actor, gateway: Gateway, *, locale: str = "ru", ip: str = ""
) -> str:
    """ "Add a card": a setup session on the provider's hosted page; returns its URL."""
    require_role(actor, "subscriber")
    if actor.subscriber_id is None:
        raise NotFound("card.error.not_found")
    cards.check_card_attempts(session, actor, ip)
    try:
        customer = cards.customer_for(session, gateway, actor.subscriber_id)
    except GatewayError as exc:
        raise DomainError("checkout.error.unavailable") from exc
    setup = CardSetup(
        subscriber_id=actor.subscriber_id,
        gateway=gateway.name,
        key=f"setup:{actor.subscriber_id}:{form_keys.new_key()}",
    )
    session.add(setup)
    session.flush()
    setup_id, key = setup.id, setup.key
    session.commit()
    success, cancel = setup_return_urls(setup_id)
    try:
        page = gateway.start_checkout(
            mode="setup",
            reference=key,
            customer=customer,
            success_url=success,
            cancel_url=cancel,
            idempotency_key=f"checkout:{key}",
            locale=locale,
            expires_at=utcnow() + timedelta(minutes=SESSION_MINUTES),
        )
    except GatewayError as exc:
        log.warning("card setup %s: hosted page not opened: %s", setup_id, exc)
        session.execute(
            update(CardSetup)
            .where(CardSetup.id == setup_id)
            .values(status="expired", decline_code="processing_error", completed_at=utcnow())
        )
        session.commit()
        raise DomainError("checkout.error.unavailable") from exc
    session.execute(
        update(CardSetup)
        .where(CardSetup.id == setup_id)
        .values(session_id=page.session_id, url=page.url, expires_at=page.expires_at)
    )
    session.commit()
    return page.url


@verb
def card_setup_result(
    session: Session, actor: Actor, gateway: Gateway, setup_id: int, *, abandoned: bool = False
) -> SetupOutcome:
    """The cards page, back from the hosted page: the subscriber's own setup only (anyone
    else's, or none, is "not found" and nothing is asked of the provider)."""
    require_role(actor, "subscriber")
    setup = session.get(CardSetup, setup_id) if isinstance(setup_id, int) else None
    if setup is None or actor.subscriber_id is None or setup.subscriber_id != actor.subscriber_id:
        raise NotFound("error.not_found")
    _follow_setup(session, gateway, setup.id, abandoned=abandoned)
    session.expire_all()
    setup = session.get(CardSetup, setup_id)
    card = session.get(SavedCard, setup.card_id) if setup.card_id else None
    return SetupOutcome(
        setup_id=setup.id,
        status=setup.status,
        card_id=setup.card_id,
        brand=card.brand if card else "",
        last4=card.last4 if card else "",
        decline_code=setup.decline_code,
    )


def _follow_setup(session: Session, gateway: Gateway, setup_id: int, *, abandoned: bool) -> str:
    setup = session.get(CardSetup, setup_id)
    if setup is None or setup.status != "open" or not setup.session_id:
        return setup.status if setup else "unknown"
    result = _read_page(gateway, setup.session_id, abandoned, f"card setup {setup_id}")
    if result is None:
        return setup.status
    _apply_setup_result(session, gateway, setup_id, result)
    session.commit()
    session.expire_all()
    return session.get(CardSetup, setup_id).status


def _apply_setup_result(
    session: Session, gateway: Gateway, setup_id: int, result: CheckoutResult
) -> str:
    setup = session.get(CardSetup, setup_id)
    session.refresh(setup)
    if setup.status != "open" or result.session_id != setup.session_id:
        return "unchanged"
    if result.status == "complete" and result.card is not None:
        won = session.execute(
            update(CardSetup)
            .where(CardSetup.id == setup_id, CardSetup.status == "open")
            .values(status="complete", completed_at=utcnow())
            .returning(CardSetup.id)
        ).first()
        if not won:
            return "unchanged"
        kept = cards.keep_card(session, gateway.name, setup.subscriber_id, result.card)
        session.execute(update(CardSetup).where(CardSetup.id == setup_id).values(card_id=kept.id))
        return "applied"
    if result.status == "expired":
        won = session.execute(
            update(CardSetup)
            .where(CardSetup.id == setup_id, CardSetup.status == "open")
            .values(status="expired", completed_at=utcnow())
            .returning(CardSetup.id)
        ).first()
        return "applied" if won else "unchanged"
    return "unchanged"


# -- webhooks ----------------------------------------------------------------------------------------
@verb
def apply_event(session: Session, gateway: Gateway, event: GatewayEvent) -> str:
    """A verified webhook. Returns what it did: applied | noted | duplicate | unknown |
    ignored | mismatch (the amount is not the payment's: nothing moves) | retry (the
    provider did not answer our look-up: the webhook asks for a redelivery) | early (a
    refund of a payment still pending here)."""
    if event.kind in ("checkout_completed", "checkout_expired", "setup_succeeded"):
        return _session_event(session, gateway, event)
    if event.kind in ("payment_succeeded", "payment_failed"):
        row = _payment_of(session, event)
        if row is None:
            log.warning("event %s names no payment of ours", event.event_id)
            return "unknown"
        if (
            event.kind == "payment_succeeded"
            and event.amount_kop is not None
            and event.amount_kop != row.amount_kop
        ):
            log.error(
                "event %s: payment %s of %s kopecks reported as %s; not applied",
                event.event_id,
                row.id,
                row.amount_kop,
                event.amount_kop,
            )
            return "mismatch"
        if row.status == "requires_action":
            return "duplicate"  # its off-session attempt, already waiting for the subscriber
        if (
            event.kind == "payment_failed"
            and row.method == "autopay"
            and row.status == "pending"
            and not row.checkout_session
            and confirmations_hold(event.decline_code)
        ):
            # Stripe reports the off-session attempt that wants 3-D Secure by webhook too,
            # maybe before autopay reads the answer: either one puts the payment on hold
            held = [hook(session, [(row.id, event.gateway_ref)]) for hook in _ON_HOLD]
            if any(held):
                return "applied"
        if row.checkout_session and row.status == "pending":
            if event.kind == "payment_failed":
                # declined on the hosted page, which stays open for another card
                return _note_decline(session, row.id, event.decline_code)
            # paid on the hosted page: the session says which card (to save it) as well
            return _follow_event(session, gateway, row.id, row.checkout_session)
    return payments.apply_event(session, event)


def confirmations_hold(decline_code: str | None) -> bool:
    return normalise(decline_code) == "authentication_required"


def _payment_of(session: Session, event: GatewayEvent):
    query = select(_T.c.id, _T.c.status, _T.c.amount_kop, _T.c.checkout_session, _T.c.method)
    if event.payment_key:
        return session.execute(query.where(_T.c.idempotency_key == event.payment_key)).first()
    if event.gateway_ref:
        return session.execute(query.where(_T.c.gateway_ref == event.gateway_ref)).first()
    return None


def _follow_event(session: Session, gateway: Gateway, payment_id: int, session_id: str) -> str:
    try:
        result = gateway.checkout_result(session_id)
    except GatewayError as exc:
        log.warning("payment %s: hosted page not read for a webhook: %s", payment_id, exc)
        return "retry"
    outcome = _apply_payment_result(session, gateway, payment_id, result)
    return "duplicate" if outcome == "unchanged" else outcome


def _session_event(session: Session, gateway: Gateway, event: GatewayEvent) -> str:
    if event.payment_key and event.payment_key.startswith("setup:"):
        setup = session.execute(
            select(CardSetup).where(CardSetup.key == event.payment_key)
        ).scalar()
        if setup is None or not setup.session_id:
            return "unknown"
        if setup.status != "open":
            return "duplicate"
        try:
            result = gateway.checkout_result(setup.session_id)
        except GatewayError:
            return "retry"
        outcome = _apply_setup_result(session, gateway, setup.id, result)
        return "duplicate" if outcome == "unchanged" else outcome
    if event.kind == "setup_succeeded":
        return "unknown"
    row = session.execute(
        select(_T.c.id, _T.c.status, _T.c.checkout_session).where(
            (_T.c.checkout_session == event.session_id)
            | (_T.c.idempotency_key == (event.payment_key or ""))
        )
    ).first()
    if row is None or row.checkout_session != event.session_id:
        log.warning("event %s: session %s is none of ours", event.event_id, event.session_id)
        return "unknown"
    if row.status != "pending":
        return "duplicate"
    return _follow_event(session, gateway, row.id, row.checkout_session)
