"""Card gateways. `get_gateway()` picks the one the settings name (sandbox by default).

No card number passes through any of them: cards are typed on the provider's hosted page."""

from __future__ import annotations

from functools import lru_cache

from paysim_app.payments.base import (
    CardToken,
    ChargeResult,
    CheckoutResult,
    Gateway,
    GatewayDispute,
    GatewayError,
    GatewayEvent,
    GatewayRefund,
    HostedPage,
    RefundResult,
    WebhookRejected,
)
from paysim_app.settings import get_settings

__all__ = [
    "CardToken",
    "ChargeResult",
    "CheckoutResult",
    "Gateway",
    "GatewayDispute",
    "GatewayError",
    "GatewayEvent",
    "GatewayRefund",
    "HostedPage",
    "RefundResult",
    "WebhookRejected",
    "get_gateway",
]


@lru_cache
def get_gateway() -> Gateway:
    settings = get_settings()
    if settings.paysim_gateway == "stripe":
        from paysim_app.payments.stripe_gateway import StripeGateway

        return StripeGateway(
            secret_key=settings.stripe_secret_key,
            webhook_secret=settings.stripe_webhook_secret,
            api_base=settings.stripe_api_base or None,
        )
    from paysim_app.payments.sandbox import BUILTIN_WEBHOOK_SECRET, SandboxGateway

    return SandboxGateway(
        webhook_secret=settings.stripe_webhook_secret or BUILTIN_WEBHOOK_SECRET,
        public_url=settings.paysim_public_url,
    )
