"""The code step of the signed-out pages: the code texted to a phone (accounts.verification),
its field's error, "send again" and "another number"; the forgotten-password page adds the new
password's fields."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.components.forms import field
from paysim_app.ui.components.i18n import tr


def code_step(
    title_key: str,
    sent_text: rx.Var,
    errors: rx.Var,
    on_submit: rx.EventHandler,
    on_resend: rx.EventHandler,
    on_other: rx.EventHandler,
    *more_fields: rx.Component,
) -> rx.Component:
    return rx.vstack(
        rx.heading(tr(title_key), size="3", as_="h2"),
        rx.callout(sent_text, icon="message_square", color_scheme="blue", id="code-sent"),
        rx.form(
            rx.vstack(
                field(
                    "code",
                    "verification.code",
                    errors.get("code", ""),
                    autocomplete="one-time-code",
                ),
                *more_fields,
                rx.button(
                    tr("verification.confirm"),
                    type="submit",
                    size="3",
                    width="100%",
                    id="confirm-code",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=on_submit,
            reset_on_submit=True,
            width="100%",
        ),
        rx.hstack(
            rx.button(
                tr("verification.resend"),
                variant="soft",
                on_click=on_resend,
                id="resend-code",
            ),
            rx.button(
                tr("verification.other_number"),
                variant="ghost",
                color_scheme="gray",
                on_click=on_other,
                id="other-number",
            ),
            width="100%",
            wrap="wrap",
            spacing="3",
            align="center",
        ),
        spacing="3",
        width="100%",
    )
