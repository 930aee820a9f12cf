"""The card fields (number, expiry, CVC) used by the top-up and the cards pages.

The inputs are uncontrolled: their values travel once, in the form's submit event, to a handler
that passes them to the gateway and forgets them — they never live in a state var.
"""

from __future__ import annotations

import reflex as rx

from paysim_app.settings import get_settings
from paysim_app.ui.components.forms import invalid, labelled
from paysim_app.ui.components.i18n import tr


def _input(name: str, label_key: str, error: rx.Var, **props) -> rx.Component:
    control = rx.input(
        id=name, name=name, size="3", width="100%", aria_invalid=invalid(error), **props
    )
    return labelled(name, tr(label_key), control, error)


def card_option(card: dict) -> dict[str, str]:
    """A saved card (billing.cards.CardRow as a dict) as a select option."""
    return {
        "value": str(card["id"]),
        "label": f"{card['brand'].capitalize()} •••• {card['last4']} "
        f"{card['exp_month']:02d}/{card['exp_year'] % 100:02d}",
    }


def card_fields(errors: rx.Var) -> rx.Component:
    return rx.vstack(
        _input(
            "card_number",
            "card.number",
            errors["card_number"],
            input_mode="numeric",
            auto_complete="cc-number",
            placeholder="0000 0000 0000 0000",
            max_length=23,
        ),
        rx.hstack(
            _input(
                "card_expiry",
                "card.expiry",
                errors["card_expiry"],
                input_mode="numeric",
                auto_complete="cc-exp",
                placeholder="MM/YY",
                max_length=7,
            ),
            _input(
                "card_cvc",
                "card.cvc",
                errors["card_cvc"],
                input_mode="numeric",
                auto_complete="cc-csc",
                placeholder="123",
                max_length=4,
                type="password",
            ),
            width="100%",
            spacing="3",
        ),
        # the sandbox's test numbers, shown only when no real money can move
        rx.callout(
            tr("card.test_cards"),
            icon="flask-conical",
            size="1",
            color_scheme="gray",
            id="test-cards",
        )
        if get_settings().paysim_gateway == "sandbox"
        else rx.fragment(),
        spacing="3",
        width="100%",
    )
