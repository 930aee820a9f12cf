"""The embedded gateway: Stripe's test mode without keys or network, down to the hosted page.

`start_checkout` sends the payer to the app's own TEST payment page (paysim_app.api.
sandbox_checkout, under /api/sandbox/checkout/<session>), which takes Stripe's test cards and
behaves like Stripe Checkout: a declined card is told on the page (the payer may try another),
a card that wants 3-D Secure gets a confirmation step, a complete session sends the payer to the
success URL. Its sessions live in the database (`sandbox_checkout`), so every worker of the app
serves the same page, and it sends Stripe's own webhook events (checkout.session.completed /
expired, payment_intent.succeeded / payment_failed, setup_intent.succeeded), signed like Stripe's,
to PaySim's webhook endpoint: everything after the hosted page is the production code path.

Charges of saved cards stay a pure function of their inputs, so several processes agree without
sharing memory: the outcome follows from the card (encoded in the token) and the reference from
the idempotency key, which makes a repeated charge return exactly what the first one did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from stdnum import luhn

from paysim_app.db import session_scope
from paysim_app.models.billing import SandboxCheckout
from paysim_app.payments import stripe_events
from paysim_app.payments.base import (
    CardToken,
    ChargeResult,
    CheckoutResult,
    GatewayError,
    GatewayEvent,
    GatewayRefund,
    HostedPage,
    RefundResult,
    WebhookRejected,
)

log = logging.getLogger("paysim.sandbox")
CHECKOUT_PATH = "/api/sandbox/checkout"
WEBHOOK_PATH = "/api/stripe/webhook"
SESSION_MINUTES = 30

# Stripe's documented test numbers -> what happens when they are charged.
TEST_CARDS: dict[str, str] = {
    "4242424242424242": "ok",
    "4000056655665556": "ok",  # Visa debit
    "5555555555554444": "ok",  # Mastercard
    "2223003122003222": "ok",  # Mastercard 2-series
    "5200828282828210": "ok",  # Mastercard debit
    "2200000000000004": "ok",  # Mir (the Russian card scheme) — not Stripe, accepted here
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4100000000000019": "fraudulent",
    "4000000000006975": "limit_exceeded",
    # asks for 3-D Secure every time: on the hosted page (confirm / fail), when a saved card is
    # charged on-session (the payment goes to the hosted page), and off-session, where nobody
    # can confirm (authentication_required)
    "4000002760003184": "auth",
    # asks for 3-D Secure on-session only: once saved for off-session use, autopay charges it
    # without asking
    "4000002500003155": "auth_setup",
    # attaches fine, then every charge is declined (a card that dies after being saved)
    "4000000000000341": "attach_then_decline",
    # pays, then the card holder's bank disputes the payment (charge.dispute.created follows)
    "4000000000000259": "disputed",
}

# a token carries its card's behaviour as an index into this tuple: append, never reorder
# (saved tokens keep their meaning)
_BEHAVIOURS = (
    "attach_then_decline",
    "auth",
    "card_declined",
    "expired_card",
    "fraudulent",
    "incorrect_cvc",
    "insufficient_funds",
    "limit_exceeded",
    "lost_card",
    "ok",
    "processing_error",
    "stolen_card",
    "auth_setup",
    "disputed",
)
assert set(TEST_CARDS.values()) <= set(_BEHAVIOURS)
# declined when the card is entered (Stripe: creating the PaymentMethod already fails)
_REFUSED_AT_ENTRY = frozenset({"expired_card", "incorrect_cvc"})
# declined when the card is saved without a payment (a SetupIntent)
_REFUSED_AT_SETUP = frozenset(
    {
        "card_declined",
        "insufficient_funds",
        "lost_card",
        "stolen_card",
        "fraudulent",
        "processing_error",
    }
)
_WANTS_3DS = frozenset({"auth", "auth_setup"})

# signs webhooks when STRIPE_WEBHOOK_SECRET is empty: public, so anyone could forge a
# "payment succeeded" event with it (preflight refuses it outside demo mode)
BUILTIN_WEBHOOK_SECRET = "whsec_sandbox"


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4] or 0) <= 2720:
        return "mastercard"
    if number.startswith("220"):
        return "mir"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


@dataclass(frozen=True)
class PageView:
    """What the test page shows of a session (never a card number)."""

    session_id: str
    mode: str
    status: str  # open | complete | expired
    amount_kop: int | None
    description: str
    locale: str
    challenge: bool  # a 3-D Secure confirmation is waiting
    card_last4: str
    decline_code: str | None
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class PageOutcome:
    """What an action on the test page led to: "complete" (go to the success URL), "declined"
    (shown on the page, `code`), "challenge" (the 3-D Secure step), "invalid" (a field, `code`
    is card.error.*), "closed" (the session is no longer open)."""

    kind: str
    code: str | None = None
    field: str | None = None


def read_test_card(number: str, expiry: str, cvc: str, *, today=None) -> tuple[str, int, int]:
    """What a payer typed on the test page -> (digits, month, year); ValueError(field, code)
    for what a card form refuses before asking the bank (Luhn, MM/YY in the future, CVC)."""
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn.is_valid(digits):
        raise ValueError("card_number", "card.error.number")
    match = re.fullmatch(
        r"\s*(\d{1,2})\s*[/.\- ]\s*(\d{2}|\d{4})\s*", expiry or ""
    ) or re.fullmatch(r"\s*(\d{2})(\d{2}|\d{4})\s*", expiry or "")
    if not match or not 1 <= int(match[1]) <= 12:
        raise ValueError("card_expiry", "card.error.expiry")
    month, year = int(match[1]), int(match[2])
    year = year + 2000 if year < 100 else year
    now = today or datetime.now(UTC).date()
    if (year, month) < (now.year, now.month):
        raise ValueError("card_expiry", "card.error.expired")
    if year > now.year + 20:
        raise ValueError("card_expiry", "card.error.expiry")
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        raise ValueError("card_cvc", "card.error.cvc")
    return digits, month, year


class SandboxGateway:
    name = "sandbox"

    def __init__(
        self,
        webhook_secret: str = BUILTIN_WEBHOOK_SECRET,
        *,
        public_url: str = "http://localhost:3000",
        deliver: Callable[[bytes, str], None] | None = None,
    ):
        self._webhook_secret = webhook_secret
        self._public_url = public_url.rstrip("/")
        # how a signed event reaches PaySim: POSTed to its webhook endpoint in the background,
        # as Stripe does (tests pass a function that keeps them)
        self._deliver = deliver

    # -- cards ---------------------------------------------------------------------------------
    def create_customer(self, *, reference: str, email: str = "") -> str:
        return "cus_sb_" + hashlib.sha256(reference.encode()).hexdigest()[:16]

    def test_card(
        self, number: str, exp_month: int, exp_year: int, customer: str = ""
    ) -> CardToken:
        """The token the test page makes of a test card it was given (any other number
        behaves like 4242). Only the test page and the tests call this: PaySim's own forms
        never see a card number."""
        behaviour = TEST_CARDS.get(number, "ok")
        return CardToken(
            token=f"pm_sb_{_BEHAVIOURS.index(behaviour):02d}{secrets.token_hex(8)}",
            brand=brand_of(number),
            last4=number[-4:],
            exp_month=exp_month,
            exp_year=exp_year,
            customer=customer,
        )

    def forget_card(self, token: str) -> None:
        return None

    # -- the hosted page -------------------------------------------------------------------------
    def start_checkout(
        self,
        *,
        mode: str,
        reference: str,
        customer: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        amount_kop: int | None = None,
        save_card: bool = False,
        description: str = "",
        locale: str = "ru",
        expires_at: datetime | None = None,
    ) -> HostedPage:
        if mode not in ("payment", "setup"):
            raise ValueError(f"unknown checkout mode {mode!r}")
        if mode == "payment" and not amount_kop:
            raise ValueError("a payment session needs an amount")
        metadata = {"payment_key" if mode == "payment" else "setup_key": reference}
        with session_scope() as db:
            row = db.get(SandboxCheckout, _session_for(idempotency_key))
            if row is None:
                row = SandboxCheckout(
                    id=_session_for(idempotency_key),
                    idempotency_key=idempotency_key,
                    mode=mode,
                    amount_kop=amount_kop if mode == "payment" else None,
                    description=description[:200],
                    locale="en" if locale == "en" else "ru",
                    customer=customer,
                    metadata_json=json.dumps(metadata),
                    save_card=bool(save_card) and mode == "payment",
                    success_url=success_url,
                    cancel_url=cancel_url,
                    intent_id=("pi_sb_" if mode == "payment" else "seti_sb_")
                    + secrets.token_hex(12),
                    expires_at=expires_at or _now() + timedelta(minutes=SESSION_MINUTES),
                )
                db.add(row)
            elif (row.mode, row.amount_kop, row.metadata_json) != (
                mode,
                amount_kop if mode == "payment" else None,
                json.dumps(metadata),
            ):
                # Stripe's idempotency: the same key with other parameters is an error
                raise ValueError("idempotency key reused with other parameters")
            page = HostedPage(
                row.id, f"{self._public_url}{CHECKOUT_PATH}/{row.id}", _aware(row.expires_at)
            )
        return page

    def checkout_result(self, session_id: str) -> CheckoutResult:
        self._expire_if_due(session_id)
        with session_scope() as db:
            row = db.get(SandboxCheckout, session_id)
            if row is None:
                raise GatewayError(f"no such checkout session: {session_id}")
            return _result_of(row)

    def expire_checkout(self, session_id: str) -> CheckoutResult:
        self._close(session_id)
        return self.checkout_result(session_id)

    # -- the test page's actions -----------------------------------------------------------------
    def page(self, session_id: str) -> PageView | None:
        self._expire_if_due(session_id)
        with session_scope() as db:
            row = db.get(SandboxCheckout, session_id)
            if row is None:
                return None
            return PageView(
                session_id=row.id,
                mode=row.mode,
                status=row.status,
                amount_kop=row.amount_kop,
                description=row.description,
                locale=row.locale,
                challenge=row.status == "open" and row.intent_status == "requires_action",
                card_last4=row.card_last4,
                decline_code=row.decline_code,
                success_url=row.success_url,
                cancel_url=row.cancel_url,
            )

    def pay(self, session_id: str, number: str, expiry: str, cvc: str) -> PageOutcome:
        """The payer submitted the test page's card form."""
        try:
            digits, month, year = read_test_card(number, expiry, cvc)
        except ValueError as bad:
            field, code = bad.args
            return PageOutcome("invalid", code, field)
        self._expire_if_due(session_id)
        events: list[tuple[str, dict]] = []
        with session_scope() as db:
            row = _locked(db, session_id)
            if row is None or row.status != "open" or row.intent_status == "requires_action":
                return PageOutcome("closed")
            card = self.test_card(digits, month, year, row.customer)
            behaviour = _behaviour(card.token)
            _remember_card(row, card)
            refused = behaviour in _REFUSED_AT_ENTRY or (
                behaviour in _REFUSED_AT_SETUP
                if row.mode == "setup"
                else behaviour not in ("ok", "disputed", *_WANTS_3DS)
            )
            if refused:
                code = {"attach_then_decline": "card_declined"}.get(behaviour, behaviour)
                events += _decline(row, code)
                outcome = PageOutcome("declined", code)
            elif behaviour in _WANTS_3DS:
                row.intent_status, row.decline_code = "requires_action", None
                outcome = PageOutcome("challenge")
            else:
                events += _complete(row)
                if behaviour == "disputed" and row.mode == "payment":
                    events.append(_dispute_event(row.intent_id, row.amount_kop or 0))
                outcome = PageOutcome("complete")
        self._send(events)
        return outcome

    def confirm(self, session_id: str, passed: bool) -> PageOutcome:
        """The payer answered the 3-D Secure step: confirmed, or failed it."""
        self._expire_if_due(session_id)
        events: list[tuple[str, dict]] = []
        with session_scope() as db:
            row = _locked(db, session_id)
            if row is None or row.status != "open" or row.intent_status != "requires_action":
                return PageOutcome("closed")
            if passed:
                events += _complete(row)
                outcome = PageOutcome("complete")
            else:
                events += _decline(row, "authentication_failed")
                outcome = PageOutcome("declined", "authentication_failed")
        self._send(events)
        return outcome

    def _close(self, session_id: str, *, only_if_due: bool = False) -> None:
        events: list[tuple[str, dict]] = []
        if only_if_due:  # a look before the lock: most looks find nothing due
            with session_scope() as db:
                row = db.get(SandboxCheckout, session_id)
                if row is None or row.status != "open" or _aware(row.expires_at) > _now():
                    return
        with session_scope() as db:
            row = _locked(db, session_id)
            if row is None or row.status != "open":
                return
            if only_if_due and _aware(row.expires_at) > _now():
                return
            row.status = "expired"
            events.append(("checkout.session.expired", _session_object(row)))
        self._send(events)

    def _expire_if_due(self, session_id: str) -> None:
        """Stripe expires an abandoned session by itself at its expiry; the sandbox does when
        the session is next looked at (by the janitor, the return page or the test page)."""
        self._close(session_id, only_if_due=True)

    # -- webhooks out ----------------------------------------------------------------------------
    def _send(self, events: list[tuple[str, dict]]) -> None:
        for type_, obj in events:
            event = {
                "id": "evt_sb_" + secrets.token_hex(12),
                "object": "event",
                "api_version": "sandbox",
                "created": int(time.time()),
                "livemode": False,
                "type": type_,
                "data": {"object": obj},
            }
            payload = json.dumps(event).encode()
            try:
                deliver = self._deliver or self._post_in_background
                deliver(payload, stripe_events.sign(payload, self._webhook_secret))
            except Exception:  # noqa: BLE001 - the return page settles it anyway
                log.exception("sandbox: event %s not delivered", type_)

    def _post_in_background(self, payload: bytes, signature: str) -> None:
        url = f"{self._public_url}{WEBHOOK_PATH}"

        def post() -> None:
            for pause in (0.2, 0.5, 1, 2, 4, 8, 15):
                request = urllib.request.Request(
                    url,
                    data=payload,
                    method="POST",
                    headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                )
                try:
                    # the app's own address: never through a proxy
                    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                    with opener.open(request, timeout=10) as answer:
                        if 200 <= answer.status < 300:
                            return
                except Exception as exc:  # noqa: BLE001 - retried like Stripe retries
                    log.info("sandbox: webhook to %s not taken (%s); retrying", url, exc)
                time.sleep(pause)
            log.warning("sandbox: webhook to %s given up", url)

        threading.Thread(target=post, name="sandbox-webhook", daemon=True).start()

    # -- money ---------------------------------------------------------------------------------
    def charge(
        self,
        *,
        amount_kop: int,
        token: str,
        customer: str,
        idempotency_key: str,
        off_session: bool,
        description: str = "",
    ) -> ChargeResult:
        ref = _ref("pi", idempotency_key)
        behaviour = _behaviour(token)
        if behaviour in ("ok", "disputed") or (behaviour == "auth_setup" and off_session):
            return ChargeResult("succeeded", ref)
        if behaviour in _WANTS_3DS:
            if off_session:
                return ChargeResult("failed", ref, "authentication_required")
            return ChargeResult("requires_action", ref)
        if behaviour == "attach_then_decline":
            return ChargeResult("failed", ref, "card_declined")
        return ChargeResult("failed", ref, behaviour)

    def lookup(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        """A payment made on the test page is found by our key in its session's metadata, as
        Stripe's search finds it (`metadata['payment_key']`). Charges of saved cards leave no
        memory here: None, and reconciliation within a day repeats the charge with the same
        key, which here, as at Stripe, returns the original outcome."""
        wanted = json.dumps({"payment_key": idempotency_key})
        with session_scope() as db:
            row = db.execute(
                select(SandboxCheckout).where(
                    SandboxCheckout.mode == "payment", SandboxCheckout.metadata_json == wanted
                )
            ).scalar()
            if row is None:
                return None
            result, ref = _result_of(row), row.intent_id
        if result.charge is not None:
            return result.charge
        return ChargeResult("failed" if result.status == "expired" else "pending", ref)

    def simulate_dispute(
        self, *, payment_ref: str, dispute_id: str, amount_kop: int, status: str
    ) -> None:
        """Demo mode: the card holder's bank disputes a payment (status "needs_response") or
        the dispute closes ("won" / "lost"): the event Stripe would send, signed, to the
        webhook (charge.dispute.created / closed)."""
        kind = "charge.dispute.created" if status == "needs_response" else "charge.dispute.closed"
        self._send([_dispute_event(payment_ref, amount_kop, dispute_id, status, kind)])

    def refund(self, *, gateway_ref: str, amount_kop: int, idempotency_key: str) -> RefundResult:
        return RefundResult("succeeded", _ref("re", idempotency_key))

    # -- webhooks ------------------------------------------------------------------------------
    def sign(self, payload: bytes) -> str:
        """Signature header for a sandbox webhook (used by tests and the demo)."""
        return hmac.new(self._webhook_secret.encode(), payload, hashlib.sha256).hexdigest()

    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        """Stripe's events, signed like Stripe's (`t=...,v1=...`): what the sandbox itself sends
        from its test page. Also the sandbox's short form, signed with a bare HMAC (tests and
        tools): a body {"id", "kind", "gateway_ref", "payment_key", "decline_code"}; a
        "refunded" one says what was refunded: "refund_id" with "amount_kop" (one refund)
        and/or "refunded_total_kop" (all refunds of the payment so far), in kopecks."""
        if (signature or "").startswith("t="):
            return stripe_events.parse_event(
                stripe_events.verify(payload, signature, self._webhook_secret)
            )
        if not hmac.compare_digest(self.sign(payload), signature or ""):
            raise WebhookRejected("bad signature")
        try:
            body = json.loads(payload)
            refunds, total = (), None
            if body["kind"] == "refunded":
                if body.get("refund_id") is not None:
                    refunds = (
                        GatewayRefund(_text(body["refund_id"]), _kopecks(body["amount_kop"])),
                    )
                if body.get("refunded_total_kop") is not None:
                    total = _kopecks(body["refunded_total_kop"])
                if not refunds and total is None:
                    raise ValueError("a refund without an amount")
            return GatewayEvent(
                event_id=str(body["id"]),
                kind=body["kind"],
                gateway_ref=body.get("gateway_ref"),
                payment_key=body.get("payment_key"),
                decline_code=body.get("decline_code"),
                raw_type=body["kind"],
                refunds=refunds,
                refunded_total_kop=total,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("malformed body") from exc


def _kopecks(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"not an amount in kopecks: {value!r}")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 100:
        raise ValueError(f"not a refund id: {value!r}")
    return value


def _behaviour(token: str) -> str:
    try:
        return _BEHAVIOURS[int(token[6:8])]
    except (ValueError, IndexError):
        return "ok"


def _ref(prefix: str, key: str) -> str:
    return f"{prefix}_sb_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


# -- the sessions' rows ------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _session_for(idempotency_key: str) -> str:
    """A session's id follows from its creation's key: a repeated create finds the first."""
    return "cs_sb_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _locked(db, session_id: str) -> SandboxCheckout | None:
    """The session's row, held until the commit: one action on a session at a time (two
    clicks, two tabs, the janitor). The no-op UPDATE takes SQLite's write lock at once (SQLite
    has no FOR UPDATE); on PostgreSQL it and the FOR UPDATE lock the row."""
    db.execute(
        update(SandboxCheckout)
        .where(SandboxCheckout.id == session_id)
        .values(status=SandboxCheckout.status)
    )
    return db.get(SandboxCheckout, session_id, with_for_update=True)


def _remember_card(row: SandboxCheckout, card: CardToken) -> None:
    row.card_token, row.card_brand, row.card_last4 = card.token, card.brand, card.last4
    row.card_exp_month, row.card_exp_year = card.exp_month, card.exp_year


def _metadata(row: SandboxCheckout) -> dict:
    return json.loads(row.metadata_json or "{}")


def _decline(row: SandboxCheckout, code: str) -> list[tuple[str, dict]]:
    """A declined attempt: told on the page; the session stays open for another card."""
    row.intent_status, row.decline_code = "requires_payment_method", code
    if row.mode == "setup":
        return [("setup_intent.setup_failed", _intent_object(row))]
    return [("payment_intent.payment_failed", _intent_object(row))]


def _complete(row: SandboxCheckout) -> list[tuple[str, dict]]:
    row.status, row.intent_status, row.decline_code = "complete", "succeeded", None
    first = "payment_intent.succeeded" if row.mode == "payment" else "setup_intent.succeeded"
    return [(first, _intent_object(row)), ("checkout.session.completed", _session_object(row))]


def _card_object(row: SandboxCheckout) -> dict | None:
    if not row.card_token:
        return None
    return {
        "id": row.card_token,
        "object": "payment_method",
        "type": "card",
        "customer": row.customer or None,
        "card": {
            "brand": row.card_brand,
            "last4": row.card_last4,
            "exp_month": row.card_exp_month,
            "exp_year": row.card_exp_year,
        },
    }


def _intent_object(row: SandboxCheckout) -> dict:
    error = None
    if row.decline_code:
        error = {
            "type": "card_error",
            "code": "card_declined"
            if row.decline_code != "authentication_failed"
            else ("payment_intent_authentication_failure"),
            "decline_code": row.decline_code,
        }
    if row.mode == "setup":
        return {
            "id": row.intent_id,
            "object": "setup_intent",
            "status": row.intent_status,
            "customer": row.customer or None,
            "usage": "off_session",
            "payment_method": _card_object(row) if row.intent_status == "succeeded" else None,
            "last_setup_error": error,
            "metadata": _metadata(row),
        }
    succeeded = row.intent_status == "succeeded"
    return {
        "id": row.intent_id,
        "object": "payment_intent",
        "status": row.intent_status,
        "amount": row.amount_kop,
        "amount_received": row.amount_kop if succeeded else 0,
        "currency": "rub",
        "customer": row.customer or None,
        "description": row.description,
        "payment_method": _card_object(row),
        "setup_future_usage": "off_session" if row.save_card else None,
        "last_payment_error": error,
        "metadata": _metadata(row),
    }


def _session_object(row: SandboxCheckout) -> dict:
    paid = row.status == "complete"
    return {
        "id": row.id,
        "object": "checkout.session",
        "mode": row.mode,
        "status": row.status,
        "payment_status": (
            "no_payment_required" if row.mode == "setup" else "paid" if paid else "unpaid"
        ),
        "amount_total": row.amount_kop,
        "currency": "rub",
        "customer": row.customer or None,
        "client_reference_id": next(iter(_metadata(row).values()), None),
        "metadata": _metadata(row),
        "expires_at": int(_aware(row.expires_at).timestamp()),
        "payment_intent": _intent_object(row) if row.mode == "payment" else None,
        "setup_intent": _intent_object(row) if row.mode == "setup" else None,
        "url": None,
    }


def _result_of(row: SandboxCheckout) -> CheckoutResult:
    charge = card = None
    if row.mode == "payment":
        if row.intent_status == "succeeded":
            charge = ChargeResult("succeeded", row.intent_id)
        elif row.decline_code:
            charge = ChargeResult("failed", row.intent_id, row.decline_code)
        if charge and charge.status == "succeeded" and row.save_card and row.card_token:
            card = _token_of(row)
    elif row.intent_status == "succeeded" and row.card_token:
        card = _token_of(row)
    return CheckoutResult(
        session_id=row.id,
        mode=row.mode,
        status=row.status,
        reference=next(iter(_metadata(row).values()), None),
        amount_kop=row.amount_kop,
        charge=charge,
        card=card,
        card_brand=row.card_brand,
        card_last4=row.card_last4,
    )


def _dispute_event(
    intent_id: str,
    amount_kop: int,
    dispute_id: str | None = None,
    status: str = "needs_response",
    kind: str = "charge.dispute.created",
) -> tuple[str, dict]:
    """A Stripe Dispute object for a payment of the sandbox: evidence due in a week."""
    now = int(time.time())
    return (
        kind,
        {
            "id": dispute_id or "dp_sb_" + secrets.token_hex(12),
            "object": "dispute",
            "amount": amount_kop,
            "currency": "rub",
            "charge": "ch_sb_" + intent_id.removeprefix("pi_sb_"),
            "payment_intent": intent_id,
            "reason": "fraudulent",
            "status": status,
            "created": now,
            "evidence_details": {"due_by": now + 7 * 86400, "has_evidence": False},
            "is_charge_refundable": False,
            "metadata": {},
        },
    )


def _token_of(row: SandboxCheckout) -> CardToken:
    return CardToken(
        token=row.card_token,
        brand=row.card_brand,
        last4=row.card_last4,
        exp_month=row.card_exp_month or 1,
        exp_year=row.card_exp_year or 2000,
        customer=row.customer,
    )
