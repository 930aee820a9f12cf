"""Stripe's webhook events, read the same way for both gateways.

Stripe's own events (StripeGateway, verified by the SDK) and the sandbox's (SandboxGateway, which
sends the same events, signed the same way, from its test payment page) become one
`GatewayEvent`, so everything after the hosted page runs the same code in the demo, in the tests
and in production. No SDK here: plain dicts in, plain values out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

from paysim_app.payments.base import (
    CardToken,
    ChargeResult,
    GatewayDispute,
    GatewayEvent,
    GatewayRefund,
    WebhookRejected,
)
from paysim_app.payments.declines import normalise

# a signature older than this is refused (Stripe's SDK uses the same tolerance)
SIGNATURE_TOLERANCE_S = 300

# events whose object is one Refund (charge.refund.updated is the older name of refund.updated)
_REFUND_EVENTS = ("refund.created", "refund.updated", "charge.refund.updated")
# a refund in these states has given nothing back (pending ones are accepted and settling)
_REFUND_FAILED = ("failed", "canceled")


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header: HMAC-SHA256 of f"{t}.{payload}" with the endpoint secret."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(payload: bytes, header: str, secret: str, *, now: float | None = None) -> dict:
    """The event of a body signed like Stripe's; WebhookRejected when the signature, its age or
    the body does not hold."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        stamp = int(parts.get("t", [""])[0])
    except ValueError:
        raise WebhookRejected("bad signature: no timestamp") from None
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, v) for v in parts.get("v1", [])):
        raise WebhookRejected("bad signature")
    if abs((time.time() if now is None else now) - stamp) > SIGNATURE_TOLERANCE_S:
        raise WebhookRejected("bad signature: too old")
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise WebhookRejected("malformed body") from exc
    if not isinstance(body, dict):
        raise WebhookRejected("malformed body")
    return body


def parse_event(body: dict) -> GatewayEvent:
    """A verified event (a dict) as the domain reads it; WebhookRejected when it is malformed."""
    try:
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
            amount_kop=_amount(obj.get("amount_received"), obj.get("amount")),
        )
    if raw_type == "payment_intent.payment_failed":
        return GatewayEvent(
            event_id=event_id,
            kind="payment_failed",
            gateway_ref=obj.get("id"),
            payment_key=payment_key,
            decline_code=error_code(obj.get("last_payment_error")),
            raw_type=raw_type,
            extra=_amounts(obj, "amount"),
            amount_kop=_amount(obj.get("amount")),
        )
    if raw_type in ("checkout.session.completed", "checkout.session.expired"):
        session_id = obj.get("id")
        if not isinstance(session_id, str) or not session_id:
            raise WebhookRejected("malformed body")
        reference = _reference(obj)
        return GatewayEvent(
            event_id=event_id,
            kind="checkout_completed" if raw_type.endswith("completed") else "checkout_expired",
            gateway_ref=ref_of(obj.get("payment_intent")) or ref_of(obj.get("setup_intent")),
            payment_key=reference,
            raw_type=raw_type,
            session_id=session_id,
            amount_kop=_amount(obj.get("amount_total")),
        )
    if raw_type == "setup_intent.succeeded":
        return GatewayEvent(
            event_id=event_id,
            kind="setup_succeeded",
            gateway_ref=obj.get("id"),
            payment_key=_reference(obj),
            raw_type=raw_type,
        )
    if raw_type == "charge.refunded":
        # a charge: `amount_refunded` is every refund of it so far; older API versions also
        # list the refunds themselves (newer ones leave `refunds` out unless expanded)
        total = obj.get("amount_refunded")
        listed = obj.get("refunds")
        listed = listed.get("data") if isinstance(listed, dict) else listed
        refunds = tuple(r for r in map(_refund_of, listed if isinstance(listed, list) else []) if r)
        if not _is_kopecks(total) and not refunds:
            raise WebhookRejected("malformed body")
        return GatewayEvent(
            event_id=event_id,
            kind="refunded",
            gateway_ref=ref_of(obj.get("payment_intent")),
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
            gateway_ref=ref_of(obj.get("payment_intent")),
            payment_key=payment_key,
            raw_type=raw_type,
            extra=_amounts(obj, "amount"),
            refunds=(refund,) if refund else (),
        )
    if raw_type.startswith("charge.dispute."):
        # a Dispute: the charge's PaymentIntent names our payment (its own metadata is empty)
        dispute = _dispute_of(obj)
        if dispute is None:
            raise WebhookRejected("malformed body")
        created = body.get("created")
        return GatewayEvent(
            event_id=event_id,
            kind="dispute",
            gateway_ref=ref_of(obj.get("payment_intent")),
            payment_key=payment_key,
            raw_type=raw_type,
            extra=_amounts(obj, "amount"),
            dispute=dispute,
            created=created if _is_kopecks(created) else dispute.created,
        )
    return GatewayEvent(
        event_id=event_id,
        kind="other",
        gateway_ref=obj.get("id"),
        payment_key=payment_key,
        raw_type=raw_type,
    )


def _dispute_of(obj: dict) -> GatewayDispute | None:
    """A Dispute object (`dp_...`); None when its id, amount or status cannot be read."""
    dispute_id, amount, status = obj.get("id"), obj.get("amount"), obj.get("status")
    if not (isinstance(dispute_id, str) and dispute_id and _is_kopecks(amount)):
        return None
    if not (isinstance(status, str) and status):
        return None
    details = obj.get("evidence_details")
    due = details.get("due_by") if isinstance(details, dict) else None
    created = obj.get("created")
    reason = obj.get("reason")
    return GatewayDispute(
        dispute_id=dispute_id,
        amount_kop=amount,
        reason=reason[:40] if isinstance(reason, str) else "",
        status=status[:32],
        evidence_due_by=datetime.fromtimestamp(due, UTC) if _is_kopecks(due) else None,
        created=created if _is_kopecks(created) else 0,
    )


def charge_result(intent: dict, *, off_session: bool = True) -> ChargeResult:
    """A PaymentIntent's outcome. `requires_action` (the bank wants 3-D Secure) is itself an
    outcome on-session (the payer confirms on the hosted page); off-session nobody can confirm,
    so it is a decline (`authentication_required`)."""
    ref = intent.get("id")
    status = intent.get("status")
    if status == "succeeded":
        return ChargeResult("succeeded", ref)
    if status in ("processing", "requires_capture", "requires_confirmation"):
        return ChargeResult("pending", ref)
    if status == "requires_action":
        if off_session:
            return ChargeResult("failed", ref, "authentication_required")
        return ChargeResult("requires_action", ref)
    if status in ("requires_payment_method", "canceled"):
        return ChargeResult("failed", ref, error_code(intent.get("last_payment_error")))
    raise ValueError(f"unexpected PaymentIntent status {status!r} for {ref}")


def card_of(method: Any, customer: str = "") -> CardToken | None:
    """A PaymentMethod (expanded) as a CardToken; None when it is not a readable card."""
    if not isinstance(method, dict) or not isinstance(method.get("card"), dict):
        return None
    card = method["card"]
    try:
        return CardToken(
            token=str(method["id"]),
            brand=str(card.get("brand") or "unknown"),
            last4=str(card["last4"]),
            exp_month=int(card["exp_month"]),
            exp_year=int(card["exp_year"]),
            customer=str(ref_of(method.get("customer")) or customer or ""),
        )
    except (KeyError, TypeError, ValueError):
        return None


def error_code(error: Any) -> str:
    """normalise() of a Stripe error hash (`last_payment_error`, `last_setup_error`, `error`)."""
    if not isinstance(error, dict):
        return normalise(None)
    return normalise(error.get("decline_code") or error.get("code"))


def ref_of(value: Any) -> str | None:
    """An expandable field: either an id string or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _reference(obj: dict) -> str | None:
    """Our key in an object's metadata: a payment's (payment_key) or a card setup's."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return None
    value = metadata.get("payment_key") or metadata.get("setup_key")
    return str(value) if value else None


def _is_kopecks(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _amount(*values: Any) -> int | None:
    return next((v for v in values if _is_kopecks(v)), None)


def _refund_of(obj: Any) -> GatewayRefund | None:
    """A Refund object as a GatewayRefund; None when it failed, was cancelled or is unreadable."""
    if not isinstance(obj, dict) or obj.get("status") in _REFUND_FAILED:
        return None
    refund_id, amount = obj.get("id"), obj.get("amount")
    if not (isinstance(refund_id, str) and refund_id and _is_kopecks(amount)):
        return None
    return GatewayRefund(refund_id, amount)


def _amounts(obj: dict, *keys: str) -> dict:
    extra = {key: obj[key] for key in keys if isinstance(obj.get(key), int)}
    if obj.get("currency"):
        extra["currency"] = obj["currency"]
    return extra
