"""The sign-in page's second step (ui/auth/states.LoginState): the code from the authenticator or
a recovery code, the enrolment an admin's role requires before the first session, and the
recovery codes shown once after it."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.auth.states import LoginState
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.two_factor import code_input, qr_block, recovery_codes_block


def _back() -> rx.Component:
    return rx.link(
        tr("two_factor.back"), href="#", size="2", on_click=LoginState.restart, id="two-factor-back"
    )


def _code_form(button: str) -> rx.Component:
    """The code field and its button: the same form for a sign-in code and an enrolment's."""
    return rx.form(
        rx.vstack(
            error_banner(LoginState.error, "login-error"),
            code_input(),
            rx.button(tr(button), type="submit", size="3", width="100%", id="verify-code"),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.submit_code,
        width="100%",
    )


def code_step() -> rx.Component:
    return rx.vstack(
        rx.heading(tr("two_factor.code_title"), size="4", as_="h2"),
        rx.text(tr("two_factor.code_hint"), size="2"),
        _code_form("two_factor.code_button"),
        _back(),
        spacing="3",
        width="100%",
        id="two-factor-step",
    )


def enrol_step() -> rx.Component:
    return rx.vstack(
        rx.heading(tr("two_factor.enrol_title"), size="4", as_="h2"),
        rx.callout(tr("two_factor.enrol_required"), icon="shield-check", color_scheme="blue"),
        rx.text(tr("two_factor.enrol_scan"), size="2"),
        qr_block(LoginState.qr, LoginState.secret),
        _code_form("two_factor.enrol_button"),
        _back(),
        spacing="3",
        width="100%",
        id="two-factor-enrol",
    )


def codes_step() -> rx.Component:
    return recovery_codes_block(LoginState.recovery_codes, LoginState.codes_done)
