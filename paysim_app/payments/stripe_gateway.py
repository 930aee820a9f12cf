"""The Stripe gateway: PaymentMethods for cards, SetupIntents to save them, PaymentIntents to
charge them (off-session for autopay), Refunds, and signed webhooks.

This is the only module that imports the `stripe` SDK. It talks to Stripe through a
`stripe.StripeClient` (never the SDK's global state), so tests can point it at a local fake
server with `api_base`. Stripe objects are turned into plain dicts (`to_dict()`) before they are
read: since the 15.x/16.x SDKs a StripeObject is not a dict and has no `.get()`.

Outcomes:
- a charge that Stripe answered is `succeeded`, `pending` (still processing) or `failed` with a
  code from `declines.DECLINE_CODES`; a card that needs 3-D Secure cannot be completed here, so it
  fails with `authentication_required`;
- a charge whose outcome we cannot know (no connection, a 5xx, rate limiting, a wrong key) raises
  `GatewayError`: the payment stays pending and is reconciled with `lookup` or by repeating the
  charge with the same idempotency key, which Stripe answers with the original response;
- while a card is tokenized or saved, Stripe being unreachable reads as `CardRejected
  ("processing_error")` ("try again later"): the protocol promises CardRejected there and no money
  moves; `create_customer`, `lookup` and `refund` raise `GatewayError` instead.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import stripe

from paysim_app.payments.base import (
    CardInput,
    CardRejected,
    CardToken,
    ChargeResult,
    GatewayError,
    GatewayEvent,
    GatewayRefund,
    RefundResult,
    WebhookRejected,
)
from paysim_app.payments.declines import normalise

log = logging.getLogger(__name__)

# Errors after which we cannot tell whether Stripe acted on the request.
_UNKNOWN_OUTCOME = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.IdempotencyError,
    stripe.AuthenticationError,
    stripe.PermissionError,
)


class _RedactCardData(logging.Filter):
    """The SDK logs every request body at DEBUG on the `stripe` logger ("Post details"), which for
    `tokenize` holds the card number and CVC. Blank them before any handler sees the record."""

    _CARD = re.compile(r"(card\[(?:number|cvc)\]=)[^&\s'\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "card[" in record.msg:
            record.msg = self._CARD.sub(r"\1[redacted]", record.msg)
        return True


_stripe_logger = logging.getLogger("stripe")
if not any(isinstance(f, _RedactCardData) for f in _stripe_logger.filters):
    _stripe_logger.addFilter(_RedactCardData())


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str = "",
        api_base: str | None = None,
        max_network_retries: int = 2,
        timeout: float = 30.0,
    ):
        if not secret_key:
            raise ValueError("PAYSIM_GATEWAY=stripe needs STRIPE_SECRET_KEY")
        self._webhook_secret = webhook_secret
        # Retries are safe: every POST carries an idempotency key (ours for charges and refunds,
        # one the SDK generates for the rest), so a retried request is answered, not repeated.
        options: dict[str, Any] = {
            "max_network_retries": max_network_retries,
            "http_client": stripe.RequestsClient(timeout=timeout),
        }
        if api_base:
            options["base_addresses"] = {"api": api_base.rstrip("/")}
        self._client = stripe.StripeClient(secret_key, **options)

    # -- cards ---------------------------------------------------------------------------------
    def create_customer(self, *, reference: str, email: str = "") -> str:
        params: dict[str, Any] = {"metadata": {"paysim_ref": reference}}
        if email:
            params["email"] = email
        try:
            customer = self._client.v1.customers.create(params)
        except stripe.StripeError as exc:
            raise GatewayError(f"customer not created: {_describe(exc)}") from exc
        return str(customer.id)

    def tokenize(self, card: CardInput) -> CardToken:
        params = {
            "type": "card",
            "card": {
                "number": card.number,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "cvc": card.cvc,
            },
        }
        try:
            method = self._client.v1.payment_methods.create(params).to_dict()
        except stripe.CardError as exc:
            raise CardRejected(_card_error_code(exc)) from None
        except stripe.InvalidRequestError as exc:
            if str(exc.param or "").startswith("card"):
                raise CardRejected(normalise(exc.code)) from None
            log.warning("stripe: card not tokenized: %s", _describe(exc))
            raise CardRejected("processing_error") from None
        except stripe.StripeError as exc:
            # Unreachable or refusing us: the card form shows "try again later" (the protocol
            # promises CardRejected here, and nothing was charged).
            log.warning("stripe: card not tokenized: %s", _describe(exc))
            raise CardRejected("processing_error") from None
        details = method.get("card") or {}
        return CardToken(
            token=str(method["id"]),
            brand=str(details.get("brand") or "unknown"),
            last4=str(details.get("last4") or card.number[-4:]),
            exp_month=int(details.get("exp_month") or card.exp_month),
            exp_year=int(details.get("exp_year") or card.exp_year),
        )

    def save_card(self, token: CardToken, *, customer: str) -> CardToken:
        params = {
            "customer": customer,
            "payment_method": token.token,
            "usage": "off_session",
            "confirm": True,
            "payment_method_types": ["card"],
        }
        try:
            intent = self._client.v1.setup_intents.create(params).to_dict()
        except stripe.CardError as exc:
            raise CardRejected(_card_error_code(exc)) from exc
        except stripe.InvalidRequestError as exc:
            log.warning("stripe: card not saved: %s", _describe(exc))
            raise CardRejected(normalise(exc.code)) from exc
        except stripe.StripeError as exc:
            # outcome unknown at worst a card attached at Stripe that we do not keep: harmless
            log.warning("stripe: card not saved: %s", _describe(exc))
            raise CardRejected("processing_error") from exc
        status = intent.get("status")
        if status != "succeeded":
            if status == "requires_action":
                raise CardRejected("authentication_required")
            raise CardRejected(_error_code(intent.get("last_setup_error")))
        return CardToken(
            token=token.token,
            brand=token.brand,
            last4=token.last4,
            exp_month=token.exp_month,
            exp_year=token.exp_year,
            customer=customer,
        )

    def forget_card(self, token: str) -> None:
        try:
            self._client.v1.payment_methods.detach(token)
        except stripe.StripeError as exc:
            log.warning("stripe: could not detach payment method %s: %s", token, _describe(exc))

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
        params: dict[str, Any] = {
            "amount": amount_kop,
            "currency": "rub",
            "payment_method": token,
            "confirm": True,
            "off_session": off_session,
            "payment_method_types": ["card"],
            "metadata": {"payment_key": idempotency_key},
        }
        if customer:
            params["customer"] = customer
        if description:
            params["description"] = description
        try:
            intent = self._client.v1.payment_intents.create(
                params, {"idempotency_key": idempotency_key}
            )
        except stripe.CardError as exc:
            body = _error_body(exc)
            return ChargeResult("failed", _intent_id(body), _card_error_code(exc))
        except _UNKNOWN_OUTCOME as exc:
            raise GatewayError(f"charge outcome unknown: {_describe(exc)}") from exc
        except stripe.InvalidRequestError as exc:
            # Stripe refused the request itself (e.g. the saved card is gone): nothing was charged.
            log.warning("stripe: charge %s refused: %s", idempotency_key, _describe(exc))
            return ChargeResult("failed", _intent_id(_error_body(exc)), normalise(exc.code))
        except stripe.StripeError as exc:
            raise GatewayError(f"charge outcome unknown: {_describe(exc)}") from exc
        return _charge_result(intent.to_dict())

    def lookup(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        try:
            if gateway_ref:
                intent = self._client.v1.payment_intents.retrieve(gateway_ref).to_dict()
            else:
                # Search is eventually consistent (Stripe: usually under a minute behind), so a
                # charge made moments ago may not be found yet; repeating the charge with the same
                # key is the safe fallback and returns its original outcome.
                found = self._client.v1.payment_intents.search(
                    {"query": f"metadata['payment_key']:'{_quote(idempotency_key)}'", "limit": 1}
                ).to_dict()
                matches = found.get("data") or []
                if not matches:
                    return None
                intent = matches[0]
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                return None
            raise GatewayError(f"lookup failed: {_describe(exc)}") from exc
        except stripe.StripeError as exc:
            raise GatewayError(f"lookup failed: {_describe(exc)}") from exc
        return _charge_result(intent)

    def refund(self, *, gateway_ref: str, amount_kop: int, idempotency_key: str) -> RefundResult:
        params = {"payment_intent": gateway_ref, "amount": amount_kop}
        try:
            refund = self._client.v1.refunds.create(
                params, {"idempotency_key": idempotency_key}
            ).to_dict()
        except stripe.InvalidRequestError as exc:
            # e.g. already refunded, amount larger than what is left: definitive, nothing moved
            log.warning("stripe: refund of %s refused: %s", gateway_ref, _describe(exc))
            return RefundResult("failed", None, "processing_error")
        except stripe.StripeError as exc:
            raise GatewayError(f"refund outcome unknown: {_describe(exc)}") from exc
        status = refund.get("status")
        ref = refund.get("id")
        if status in ("failed", "canceled"):
            return RefundResult("failed", ref, "processing_error")
        # "pending" / "requires_action": accepted by Stripe and settling; the card network
        # completes it (a later failure arrives as a refund.failed webhook).
        return RefundResult("succeeded", ref)

    # -- webhooks ------------------------------------------------------------------------------
    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        try:
            event = self._client.construct_event(payload, signature, self._webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected(f"bad signature: {exc.user_message}") from exc
        except Exception as exc:  # any undecodable body (not UTF-8, not JSON, not an event)
            raise WebhookRejected("malformed body") from exc
        try:
            body = event.to_dict()
            event_id = str(body["id"])
            raw_type = str(body["type"])
            obj = body["data"]["object"]
            if not isinstance(obj, dict):
                raise TypeError("data.object is not an object")
        except (KeyError, TypeError, AttributeError) as exc:
            raise WebhookRejected("malformed body") from exc
        metadata = obj.get("metadata") or {}
        payment_key = metadata.get("payment_key") if isinstance(metadata, dict) else None
        if raw_type == "payment_intent.succeeded":
            return GatewayEvent(
                event_id=event_id,
                kind="payment_succeeded",
                gateway_ref=obj.get("id"),
                payment_key=payment_key,
                raw_type=raw_type,
                extra=_amounts(obj, "amount", "amount_received"),
            )
        if raw_type == "payment_intent.payment_failed":
            return GatewayEvent(
                event_id=event_id,
                kind="payment_failed",
                gateway_ref=obj.get("id"),
                payment_key=payment_key,
                decline_code=_error_code(obj.get("last_payment_error")),
                raw_type=raw_type,
                extra=_amounts(obj, "amount"),
            )
        if raw_type == "charge.refunded":
            # a charge: `amount_refunded` is every refund of it so far; older API versions also
            # list the refunds themselves (newer ones leave `refunds` out unless expanded)
            total = obj.get("amount_refunded")
            listed = obj.get("refunds")
            listed = listed.get("data") if isinstance(listed, dict) else listed
            refunds = tuple(
                r for r in map(_refund_of, listed if isinstance(listed, list) else []) if r
            )
            if not _is_kopecks(total) and not refunds:
                raise WebhookRejected("malformed body")
            return GatewayEvent(
                event_id=event_id,
                kind="refunded",
                gateway_ref=_ref_of(obj.get("payment_intent")),
                payment_key=payment_key,
                raw_type=raw_type,
                extra=_amounts(obj, "amount", "amount_refunded"),
                refunds=refunds,
                refunded_total_kop=total if _is_kopecks(total) else None,
            )
        if raw_type in _REFUND_EVENTS:
            # a Refund object: one refund, its own id and amount
            if not (isinstance(obj.get("id"), str) and _is_kopecks(obj.get("amount"))):
                raise WebhookRejected("malformed body")
            refund = _refund_of(obj)
            return GatewayEvent(
                event_id=event_id,
                # a refund that failed or was cancelled gave nothing back
                kind="refunded" if refund else "other",
                gateway_ref=_ref_of(obj.get("payment_intent")),
                payment_key=payment_key,
                raw_type=raw_type,
                extra=_amounts(obj, "amount"),
                refunds=(refund,) if refund else (),
            )
        return GatewayEvent(
            event_id=event_id,
            kind="other",
            gateway_ref=obj.get("id"),
            payment_key=payment_key,
            raw_type=raw_type,
        )


# -- helpers -----------------------------------------------------------------------------------
# events whose object is one Refund (charge.refund.updated is the older name of refund.updated)
_REFUND_EVENTS = ("refund.created", "refund.updated", "charge.refund.updated")
# a refund in these states has given nothing back (pending ones are accepted and settling)
_REFUND_FAILED = ("failed", "canceled")


def _is_kopecks(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _refund_of(obj: Any) -> GatewayRefund | None:
    """A Refund object as a GatewayRefund; None when it failed, was cancelled or is unreadable."""
    if not isinstance(obj, dict) or obj.get("status") in _REFUND_FAILED:
        return None
    refund_id, amount = obj.get("id"), obj.get("amount")
    if not (isinstance(refund_id, str) and refund_id and _is_kopecks(amount)):
        return None
    return GatewayRefund(refund_id, amount)


def _charge_result(intent: dict) -> ChargeResult:
    ref = intent.get("id")
    status = intent.get("status")
    if status == "succeeded":
        return ChargeResult("succeeded", ref)
    if status in ("processing", "requires_capture", "requires_confirmation"):
        return ChargeResult("pending", ref)
    if status == "requires_action":
        # 3-D Secure would have to run in the payer's browser; this cabinet cannot do it
        return ChargeResult("failed", ref, "authentication_required")
    if status in ("requires_payment_method", "canceled"):
        return ChargeResult("failed", ref, _error_code(intent.get("last_payment_error")))
    raise GatewayError(f"unexpected PaymentIntent status {status!r} for {ref}")


def _error_body(exc: stripe.StripeError) -> dict:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _error_code(error: Any) -> str:
    """normalise() of a Stripe error hash (`last_payment_error`, `last_setup_error`, `error`)."""
    if not isinstance(error, dict):
        return normalise(None)
    return normalise(error.get("decline_code") or error.get("code"))


def _card_error_code(exc: stripe.StripeError) -> str:
    body = _error_body(exc)
    return normalise(body.get("decline_code") or body.get("code") or exc.code)


def _intent_id(error: dict) -> str | None:
    return _ref_of(error.get("payment_intent"))


def _ref_of(value: Any) -> str | None:
    """An expandable field: either an id string or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _amounts(obj: dict, *keys: str) -> dict:
    extra = {key: obj[key] for key in keys if isinstance(obj.get(key), int)}
    if obj.get("currency"):
        extra["currency"] = obj["currency"]
    return extra


def _quote(value: str) -> str:
    """A value inside a single-quoted Stripe search string."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _describe(exc: stripe.StripeError) -> str:
    parts = [type(exc).__name__]
    if exc.http_status:
        parts.append(str(exc.http_status))
    if exc.code:
        parts.append(str(exc.code))
    parts.append(exc.user_message or "")
    return " ".join(p for p in parts if p)
