"""The contract every card gateway fulfils; services speak only this, never a payment SDK.

Card numbers and CVCs pass through `tokenize` and are forgotten: only the returned token,
brand, last four digits and expiry are ever stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

ChargeStatus = Literal["succeeded", "failed", "pending"]
EventKind = Literal["payment_succeeded", "payment_failed", "refunded", "other"]


@dataclass(frozen=True)
class CardInput:
    """What the card form collects. Lives for one request; never stored or logged."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    def __repr__(self) -> str:  # keeps the number and CVC out of tracebacks and logs
        return f"CardInput(****{self.number[-4:]}, {self.exp_month:02d}/{self.exp_year})"


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


class GatewayError(Exception):
    """The gateway could not be reached or answered nonsense; the outcome is unknown."""


class CardRejected(Exception):
    """The gateway refused the card itself (while tokenizing or saving it)."""

    def __init__(self, decline_code: str):
        super().__init__(decline_code)
        self.decline_code = decline_code


class WebhookRejected(Exception):
    """A webhook whose signature or body does not verify; it must change nothing."""


class Gateway(Protocol):
    name: str

    def create_customer(self, *, reference: str, email: str = "") -> str:
        """A customer id to attach saved cards to ("" when the gateway needs none)."""

    def tokenize(self, card: CardInput) -> CardToken:
        """Turn raw card data into a one-time token. Raises CardRejected."""

    def save_card(self, token: CardToken, *, customer: str) -> CardToken:
        """Make a token reusable off-session (Stripe: a confirmed SetupIntent). Raises CardRejected."""

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
        Raises GatewayError when the outcome is unknown (the payment stays pending)."""

    def lookup(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        """The outcome of an earlier charge, for reconciling payments left pending; None if the
        gateway never saw it."""

    def refund(self, *, gateway_ref: str, amount_kop: int, idempotency_key: str) -> RefundResult:
        """Refund (part of) a succeeded charge, once per idempotency key."""

    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        """Verify and decode a webhook. Raises WebhookRejected."""
