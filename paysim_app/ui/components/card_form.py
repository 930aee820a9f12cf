"""The card fields (number, expiry, CVC) used by the top-up and the cards pages.

The inputs are uncontrolled: their values travel once, in the form's submit event, to a handler
that passes them to the gateway and forgets them — they never live in a state var.
"""

from __future__ import annotations

import reflex as rx

from paysim_app.settings import get_settings
from paysim_app.ui.components.i18n import tr


def _input(name: str, label_key: str, error: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(tr(label_key), html_for=name, font_size="14px", font_weight="500"),
        rx.input(
            id=name, name=name, size="3", width="100%",
            aria_invalid=rx.cond(error != "", "true", "false"), **props,
        ),
        rx.cond(error != "", rx.text(error, color=rx.color("red", 11), size="2", role="alert",
                                     id=f"{name}-error")),
        spacing="1",
        width="100%",
        align="start",
    )


def card_fields(errors: rx.Var) -> rx.Component:
    return rx.vstack(
        _input("card_number", "card.number", errors["card_number"], input_mode="numeric",
               auto_complete="cc-number", placeholder="0000 0000 0000 0000", max_length=23),
        rx.hstack(
            _input("card_expiry", "card.expiry", errors["card_expiry"], input_mode="numeric",
                   auto_complete="cc-exp", placeholder="MM/YY", max_length=7),
            _input("card_cvc", "card.cvc", errors["card_cvc"], input_mode="numeric",
                   auto_complete="cc-csc", placeholder="123", max_length=4, type="password"),
            width="100%",
            spacing="3",
        ),
        # the sandbox's test numbers, shown only when no real money can move
        rx.callout(tr("card.test_cards"), icon="flask-conical", size="1", color_scheme="gray",
                   id="test-cards")
        if get_settings().paysim_gateway == "sandbox"
        else rx.fragment(),
        spacing="3",
        width="100%",
    )
