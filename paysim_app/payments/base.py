"""The contract every card gateway fulfils; services speak only this, never a payment SDK.

Card numbers and CVCs never reach PaySim: the subscriber types them on the provider's hosted page
(`start_checkout`: Stripe Checkout, or the sandbox's own test page), and what comes back is a
token, the brand, the last four digits and the expiry (`checkout_result`, and the webhooks).
A saved card is then charged by its token: on-session for a top-up (a card that wants 3-D Secure
answers `requires_action` and the payment goes to the hosted page), off-session for autopay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

# "requires_action": an on-session charge of a saved card that the bank wants confirmed
# (3-D Secure); nothing was taken, the payer confirms on the hosted page
ChargeStatus = Literal["succeeded", "failed", "pending", "requires_action"]
EventKind = Literal[
    "payment_succeeded",
    "payment_failed",
    "refunded",
    "checkout_completed",
    "checkout_expired",
    "setup_succeeded",
    "dispute",
    "other",
]
CheckoutMode = Literal["payment", "setup"]
CheckoutStatus = Literal["open", "complete", "expired"]


@dataclass(frozen=True)
class CardToken:
    """A card as the gateway knows it: safe to store."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    customer: str = ""


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    gateway_ref: str | None
    decline_code: str | None = None  # one of declines.DECLINE_CODES when status == "failed"


@dataclass(frozen=True)
class RefundResult:
    status: Literal["succeeded", "failed"]
    gateway_ref: str | None
    decline_code: str | None = None


@dataclass(frozen=True)
class GatewayRefund:
    """One refund as the gateway names it: its own id and the amount it gave back."""

    refund_id: str
    amount_kop: int


@dataclass(frozen=True)
class GatewayDispute:
    """A chargeback as the provider reports it (Stripe's Dispute): its id, the amount the bank
    disputes, the reason, the provider's status (needs_response, under_review, won, lost,
    warning_closed...), until when evidence may be sent, and when it was opened."""

    dispute_id: str
    amount_kop: int
    reason: str
    status: str
    evidence_due_by: datetime | None = None
    created: int = 0  # Unix seconds


@dataclass(frozen=True)
class GatewayEvent:
    """A verified webhook, reduced to what the domain needs.

    A "refunded" event says what was given back in one or both of two ways: `refunds`, single
    refunds by their gateway ids (Stripe's refund.created, or charge.refunded when the charge
    lists its refunds), and `refunded_total_kop`, everything refunded of the charge so far
    (charge.refunded's `amount_refunded`)."""

    event_id: str
    kind: EventKind
    gateway_ref: str | None = None
    payment_key: str | None = None  # our Payment.idempotency_key, carried in the metadata
    decline_code: str | None = None
    raw_type: str = ""
    extra: dict = field(default_factory=dict)
    refunds: tuple[GatewayRefund, ...] = ()
    refunded_total_kop: int | None = None
    session_id: str | None = None  # checkout_* events: the hosted-page session
    amount_kop: int | None = None  # payment_* events: the amount the provider took or tried
    dispute: GatewayDispute | None = None  # "dispute" events (charge.dispute.*)
    created: int = 0  # when the provider made the event (Unix seconds; orders late arrivals)


@dataclass(frozen=True)
class HostedPage:
    """A session on the provider's hosted page: where to send the payer, and until when."""

    session_id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class CheckoutResult:
    """What became of a hosted-page session.

    `charge` (payment mode): the outcome of the payment so far, None before any attempt; an
    open session may carry a failed attempt (the payer may still try another card there).
    `card`: the card the session saved (setup mode, or a payment with save_card)."""

    session_id: str
    mode: CheckoutMode
    status: CheckoutStatus
    reference: str | None = None  # our key from the metadata
    amount_kop: int | None = None
    charge: ChargeResult | None = None
    card: CardToken | None = None
    card_brand: str = ""  # what people see of the card paid with (even when not saved)
    card_last4: str = ""


class GatewayError(Exception):
    """The gateway could not be reached or answered nonsense; the outcome is unknown."""


class WebhookRejected(Exception):
    """A webhook whose signature or body does not verify; it must change nothing."""


class Gateway(Protocol):
    name: str

    def create_customer(self, *, reference: str, email: str = "") -> str:
        """A customer id to attach saved cards to ("" when the gateway needs none)."""

    def start_checkout(
        self,
        *,
        mode: CheckoutMode,
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
        """A hosted page: mode "payment" takes `amount_kop` (and keeps the card for off-session
        use when `save_card`), mode "setup" saves a card without paying. `reference` (our
        payment's idempotency key, or the card setup's key) travels in the metadata of the
        session and of its payment or setup intent. Raises GatewayError (nothing to pay on)."""

    def checkout_result(self, session_id: str) -> CheckoutResult:
        """The session as the provider sees it now. Raises GatewayError."""

    def expire_checkout(self, session_id: str) -> CheckoutResult:
        """Close an open session so that it can no longer be paid (a session already complete
        or expired is left as it is); returns what became of it. Raises GatewayError."""

    def forget_card(self, token: str) -> None:
        """Detach a saved card from its customer (best effort)."""

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
        """Charge once per idempotency key: a repeat returns the first outcome and charges nothing.
        On-session, a card that wants 3-D Secure answers `requires_action` (nothing taken);
        off-session it fails with `authentication_required`.
        Raises GatewayError when the outcome is unknown (the payment stays pending)."""

    def lookup(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        """The outcome of an earlier charge, for reconciling payments left pending; None if the
        gateway never saw it."""

    def refund(self, *, gateway_ref: str, amount_kop: int, idempotency_key: str) -> RefundResult:
        """Refund (part of) a succeeded charge, once per idempotency key."""

    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        """Verify and decode a webhook. Raises WebhookRejected."""
