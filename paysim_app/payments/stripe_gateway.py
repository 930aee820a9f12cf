"""The Stripe gateway: Checkout Sessions (the hosted page where the subscriber types the card and
passes 3-D Secure: mode "payment" for a top-up, "setup" to save a card), PaymentIntents to charge
saved cards (on-session for a top-up, off-session for autopay), Refunds, and signed webhooks.

Card numbers never pass through here: PaySim sends no card data to Stripe, it only sends the
subscriber to Stripe's page and reads back tokens, brands, last four digits and expiries.

This is the only module that imports the `stripe` SDK. It talks to Stripe through a
`stripe.StripeClient` (never the SDK's global state), so tests can point it at a local fake
server with `api_base`. Stripe objects are turned into plain dicts (`to_dict()`) before they are
read: since the 15.x/16.x SDKs a StripeObject is not a dict and has no `.get()`.

Outcomes:
- a charge that Stripe answered is `succeeded`, `pending` (still processing), `failed` with a
  code from `declines.DECLINE_CODES`, or, on-session, `requires_action` when the bank wants
  3-D Secure (the payment then goes to the hosted page; off-session that is a decline,
  `authentication_required`);
- a charge whose outcome we cannot know (no connection, a 5xx, rate limiting, a wrong key) raises
  `GatewayError`: the payment stays pending and is reconciled with `lookup` or by repeating the
  charge with the same idempotency key, which Stripe answers with the original response;
- creating, reading or expiring a Checkout Session that Stripe does not answer raises
  `GatewayError` too (every create carries our idempotency key, so a retry makes no second one).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from paysim_app.payments.base import (
    ChargeResult,
    CheckoutResult,
    GatewayError,
    GatewayEvent,
    HostedPage,
    RefundResult,
    WebhookRejected,
)
from paysim_app.payments.declines import normalise
from paysim_app.payments.stripe_events import (
    card_of,
    charge_result,
    error_code,
    parse_event,
    ref_of,
)

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
        # one customer per subscriber (and e-mail), also when a create is retried or two pages
        # are opened at once
        key = "customer:" + hashlib.sha256(f"{reference}|{email}".encode()).hexdigest()[:32]
        try:
            customer = self._client.v1.customers.create(params, {"idempotency_key": key})
        except stripe.StripeError as exc:
            raise GatewayError(f"customer not created: {_describe(exc)}") from exc
        return str(customer.id)

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
        # Stripe keeps a session open for 30 minutes at least and 24 hours at most
        expires = expires_at or datetime.now(UTC) + timedelta(minutes=30)
        params: dict[str, Any] = {
            "mode": mode,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "payment_method_types": ["card"],
            "client_reference_id": reference,
            "expires_at": int(expires.timestamp()),
            "locale": "ru" if locale == "ru" else "en",
        }
        if customer:
            params["customer"] = customer
        if mode == "payment":
            if not amount_kop:
                raise ValueError("a payment session needs an amount")
            intent: dict[str, Any] = {"metadata": {"payment_key": reference}}
            if description:
                intent["description"] = description
            if save_card:
                intent["setup_future_usage"] = "off_session"
            params["metadata"] = {"payment_key": reference}
            params["payment_intent_data"] = intent
            params["line_items"] = [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "rub",
                        "unit_amount": amount_kop,
                        "product_data": {"name": description or "PaySim"},
                    },
                }
            ]
        else:
            params["metadata"] = {"setup_key": reference}
            params["setup_intent_data"] = {"metadata": {"setup_key": reference}}
            params["currency"] = "rub"
        try:
            session = self._client.v1.checkout.sessions.create(
                params, {"idempotency_key": idempotency_key}
            ).to_dict()
        except stripe.StripeError as exc:
            raise GatewayError(f"checkout not started: {_describe(exc)}") from exc
        return HostedPage(
            session_id=str(session["id"]),
            url=str(session.get("url") or ""),
            expires_at=datetime.fromtimestamp(int(session.get("expires_at") or 0), UTC)
            if session.get("expires_at")
            else expires,
        )

    def checkout_result(self, session_id: str) -> CheckoutResult:
        try:
            session = self._client.v1.checkout.sessions.retrieve(
                session_id,
                {"expand": ["payment_intent.payment_method", "setup_intent.payment_method"]},
            ).to_dict()
        except stripe.StripeError as exc:
            raise GatewayError(f"checkout not read: {_describe(exc)}") from exc
        return _checkout_result(session)

    def expire_checkout(self, session_id: str) -> CheckoutResult:
        try:
            self._client.v1.checkout.sessions.expire(session_id)
        except stripe.InvalidRequestError as exc:
            # complete or already expired: nothing to close, the session says what it is
            log.info("stripe: session %s not expired: %s", session_id, _describe(exc))
        except stripe.StripeError as exc:
            raise GatewayError(f"checkout not expired: {_describe(exc)}") from exc
        return self.checkout_result(session_id)

    # -- saved cards -----------------------------------------------------------------------------
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
            intent = body.get("payment_intent")
            if (
                not off_session
                and isinstance(intent, dict)
                and intent.get("status") == ("requires_action")
            ):
                return ChargeResult("requires_action", _intent_id(body))
            return ChargeResult("failed", _intent_id(body), _card_error_code(exc))
        except _UNKNOWN_OUTCOME as exc:
            raise GatewayError(f"charge outcome unknown: {_describe(exc)}") from exc
        except stripe.InvalidRequestError as exc:
            # Stripe refused the request itself (e.g. the saved card is gone): nothing was charged.
            log.warning("stripe: charge %s refused: %s", idempotency_key, _describe(exc))
            return ChargeResult("failed", _intent_id(_error_body(exc)), normalise(exc.code))
        except stripe.StripeError as exc:
            raise GatewayError(f"charge outcome unknown: {_describe(exc)}") from exc
        return _charge_result(intent.to_dict(), off_session=off_session)

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
        except Exception as exc:  # noqa: BLE001 - not an event object at all
            raise WebhookRejected("malformed body") from exc
        return parse_event(body)


# -- helpers -----------------------------------------------------------------------------------
def _charge_result(intent: dict, *, off_session: bool = True) -> ChargeResult:
    try:
        return charge_result(intent, off_session=off_session)
    except ValueError as exc:
        raise GatewayError(str(exc)) from exc


def _checkout_result(session: dict) -> CheckoutResult:
    """A Checkout Session retrieved with its payment / setup intent and their payment method
    expanded."""
    mode = "setup" if session.get("mode") == "setup" else "payment"
    status = session.get("status")
    status = status if status in ("open", "complete", "expired") else "open"
    metadata = session.get("metadata") if isinstance(session.get("metadata"), dict) else {}
    reference = metadata.get("payment_key") or metadata.get("setup_key")
    customer = ref_of(session.get("customer")) or ""
    charge = card = None
    brand = last4 = ""
    if mode == "payment":
        intent = session.get("payment_intent")
        if isinstance(intent, dict):
            try:
                charge = charge_result(intent, off_session=False)
            except ValueError:
                charge = None
            if charge and charge.status == "requires_action":
                charge = None  # still with the payer on the hosted page
            method = intent.get("payment_method")
            paid_with = card_of(method, customer)
            if paid_with:
                brand, last4 = paid_with.brand, paid_with.last4
            if (
                paid_with
                and charge
                and charge.status == "succeeded"
                and intent.get("setup_future_usage") == "off_session"
            ):
                card = paid_with
            if charge is None and isinstance(intent.get("last_payment_error"), dict):
                charge = ChargeResult(
                    "failed", intent.get("id"), error_code(intent["last_payment_error"])
                )
    else:
        intent = session.get("setup_intent")
        if isinstance(intent, dict) and intent.get("status") == "succeeded":
            card = card_of(intent.get("payment_method"), customer)
            if card:
                brand, last4 = card.brand, card.last4
    return CheckoutResult(
        session_id=str(session.get("id")),
        mode=mode,
        status=status,
        reference=str(reference) if reference else None,
        amount_kop=session.get("amount_total")
        if isinstance(session.get("amount_total"), int)
        else None,
        charge=charge,
        card=card,
        card_brand=brand,
        card_last4=last4,
    )


def _error_body(exc: stripe.StripeError) -> dict:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _card_error_code(exc: stripe.StripeError) -> str:
    body = _error_body(exc)
    return normalise(body.get("decline_code") or body.get("code") or exc.code)


def _intent_id(error: dict) -> str | None:
    return ref_of(error.get("payment_intent"))


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
