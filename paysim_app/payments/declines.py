"""Decline codes PaySim knows, and which of them are worth retrying.

Gateways report many spellings (Stripe's `code` and `decline_code`); `normalise` maps them onto
this closed set so that every code has a human explanation in both languages (i18n
`decline.<code>` and `decline.<code>.advice`).
"""

from __future__ import annotations

DECLINE_CODES = (
    "card_declined",
    "insufficient_funds",
    "expired_card",
    "incorrect_cvc",
    "incorrect_number",
    "authentication_required",
    "authentication_failed",
    "processing_error",
    "lost_card",
    "stolen_card",
    "fraudulent",
    "limit_exceeded",
)

# The card itself will not work again until the subscriber acts: never retried automatically.
HARD_DECLINES = frozenset(
    {
        "expired_card",
        "incorrect_cvc",
        "incorrect_number",
        "authentication_required",
        "authentication_failed",
        "lost_card",
        "stolen_card",
        "fraudulent",
    }
)

_ALIASES = {
    "generic_decline": "card_declined",
    "do_not_honor": "card_declined",
    "transaction_not_allowed": "card_declined",
    "invalid_cvc": "incorrect_cvc",
    "invalid_number": "incorrect_number",
    "invalid_expiry_month": "expired_card",
    "invalid_expiry_year": "expired_card",
    "card_velocity_exceeded": "limit_exceeded",
    "withdrawal_count_limit_exceeded": "limit_exceeded",
    "pickup_card": "stolen_card",
    "merchant_blacklist": "fraudulent",
    "try_again_later": "processing_error",
    "issuer_not_available": "processing_error",
    "requires_action": "authentication_required",
    "authentication_not_handled": "authentication_required",
    # the payer did not pass the bank's check (3-D Secure) on the hosted page
    "payment_intent_authentication_failure": "authentication_failed",
    "setup_intent_authentication_failure": "authentication_failed",
}


def normalise(code: str | None) -> str:
    """Any gateway code -> one of DECLINE_CODES (unknown ones read as a generic decline)."""
    code = (code or "").strip().lower()
    code = _ALIASES.get(code, code)
    return code if code in DECLINE_CODES else "card_declined"


def is_hard(code: str | None) -> bool:
    return normalise(code) in HARD_DECLINES
