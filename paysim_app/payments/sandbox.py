"""The embedded gateway: Stripe's test-mode cards and decline codes, no keys, no network.

It is a pure function of its inputs, so several processes agree without sharing memory: the
outcome follows from the card (encoded in the token) and the reference from the idempotency key,
which makes a repeated charge return exactly what the first one did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from paysim_app.payments.base import (
    CardInput,
    CardRejected,
    CardToken,
    ChargeResult,
    GatewayEvent,
    GatewayRefund,
    RefundResult,
    WebhookRejected,
)

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
    # needs 3-D Secure: passes when the payer is present, fails off-session (autopay)
    "4000002760003184": "auth",
    # attaches fine, then every charge is declined (a card that dies after being saved)
    "4000000000000341": "attach_then_decline",
}

_BEHAVIOURS = sorted(set(TEST_CARDS.values()))

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


class SandboxGateway:
    name = "sandbox"

    def __init__(self, webhook_secret: str = BUILTIN_WEBHOOK_SECRET):
        self._webhook_secret = webhook_secret

    # -- cards ---------------------------------------------------------------------------------
    def create_customer(self, *, reference: str, email: str = "") -> str:
        return "cus_sb_" + hashlib.sha256(reference.encode()).hexdigest()[:16]

    def tokenize(self, card: CardInput) -> CardToken:
        behaviour = TEST_CARDS.get(card.number, "ok")
        # tokenizing already fails for these, exactly as Stripe does when the card is created
        if behaviour in {"expired_card", "incorrect_cvc"}:
            raise CardRejected(behaviour)
        return CardToken(
            token=f"pm_sb_{_BEHAVIOURS.index(behaviour):02d}{secrets.token_hex(8)}",
            brand=brand_of(card.number),
            last4=card.number[-4:],
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def save_card(self, token: CardToken, *, customer: str) -> CardToken:
        if _behaviour(token.token) in {
            "card_declined",
            "insufficient_funds",
            "lost_card",
            "stolen_card",
            "fraudulent",
            "processing_error",
        }:
            raise CardRejected(_behaviour(token.token))
        return CardToken(
            token=token.token,
            brand=token.brand,
            last4=token.last4,
            exp_month=token.exp_month,
            exp_year=token.exp_year,
            customer=customer,
        )

    def forget_card(self, token: str) -> None:
        return None

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
        if behaviour == "ok" or (behaviour == "auth" and not off_session):
            return ChargeResult("succeeded", ref)
        if behaviour == "auth":
            return ChargeResult("failed", ref, "authentication_required")
        if behaviour == "attach_then_decline":
            return ChargeResult("failed", ref, "card_declined")
        return ChargeResult("failed", ref, behaviour)

    def lookup(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        # The sandbox keeps no memory; reconciliation repeats the charge with the same key,
        # which here, as at Stripe, returns the original outcome.
        return None

    def refund(self, *, gateway_ref: str, amount_kop: int, idempotency_key: str) -> RefundResult:
        return RefundResult("succeeded", _ref("re", idempotency_key))

    # -- webhooks ------------------------------------------------------------------------------
    def sign(self, payload: bytes) -> str:
        """Signature header for a sandbox webhook (used by tests and the demo)."""
        return hmac.new(self._webhook_secret.encode(), payload, hashlib.sha256).hexdigest()

    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        """A body {"id", "kind", "gateway_ref", "payment_key", "decline_code"}; a "refunded" one
        says what was refunded: "refund_id" with "amount_kop" (one refund) and/or
        "refunded_total_kop" (all refunds of the payment so far), in kopecks."""
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
