"""The profile page of the partner and admin trees: who you are, the password change and the
browsers signed in (the cabinet's own page adds personal data, language and e-mails)."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.auth.states import PasswordState
from paysim_app.ui.components.bounced import bounced_note
from paysim_app.ui.components.forms import error_banner, field
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.login_change import login_card
from paysim_app.ui.components.notifications import preferences_card
from paysim_app.ui.components.sessions import sessions_card
from paysim_app.ui.components.two_factor import two_factor_card


def password_form() -> rx.Component:
    errors = PasswordState.errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("profile.security"), size="4", as_="h2"),
                error_banner(errors.get("form", "")),
                rx.cond(
                    PasswordState.message != "",
                    rx.callout(
                        PasswordState.message,
                        icon="check",
                        color_scheme="green",
                        id="password-changed",
                    ),
                ),
                field(
                    "current",
                    "auth.current_password",
                    errors.get("current", ""),
                    type_="password",
                    autocomplete="current-password",
                ),
                field(
                    "new",
                    "auth.new_password",
                    errors.get("new", ""),
                    type_="password",
                    autocomplete="new-password",
                    hint_key="auth.password_rules",
                ),
                field(
                    "new_repeat",
                    "auth.password_repeat",
                    errors.get("new_repeat", ""),
                    type_="password",
                    autocomplete="new-password",
                ),
                rx.button(tr("auth.change_password"), type="submit", id="change-password"),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=PasswordState.submit,
        ),
        width="100%",
        max_width="480px",
    )


def profile_page(tree: str) -> rx.Component:
    return shell(
        tree,
        rx.vstack(
            rx.card(
                rx.vstack(
                    rx.text(SessionState.user_name, weight="bold", size="4"),
                    rx.text(SessionState.user_login, color=rx.color("gray", 11)),
                    bounced_note(),
                    spacing="1",
                ),
                width="100%",
                max_width="480px",
            ),
            login_card(),
            password_form(),
            two_factor_card(),
            sessions_card(),
            preferences_card(),
            spacing="4",
            width="100%",
        ),
        title_key="profile.title",
    )
