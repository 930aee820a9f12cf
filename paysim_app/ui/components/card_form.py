"""Saved cards as choices (the top-up and autopay pages). Card numbers are typed only on the
payment provider's hosted page, never in a form of ours."""

from __future__ import annotations


def card_option(card: dict) -> dict[str, str]:
    """A saved card (billing.cards.CardRow as a dict) as a select option."""
    return {
        "value": str(card["id"]),
        "label": f"{card['brand'].capitalize()} •••• {card['last4']} "
        f"{card['exp_month']:02d}/{card['exp_year'] % 100:02d}",
    }
