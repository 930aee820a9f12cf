"""Signed-out pages: sign in, register (a phone confirmed by an SMS code), forgotten password
(a link by e-mail, a code by SMS), reset by link."""

from __future__ import annotations

import reflex as rx

from paysim_app.settings import get_settings
from paysim_app.ui.auth import two_factor as second_step
from paysim_app.ui.auth.code_step import code_step
from paysim_app.ui.auth.consent import consent_ticks
from paysim_app.ui.auth.states import ForgotState, LoginState, RegisterState, ResetState
from paysim_app.ui.components.forms import error_banner, field
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import auth_card


def _new_password(errors, label_key: str = "auth.new_password") -> tuple[rx.Component, ...]:
    """A new password and its repeat, with the strength rules under the first."""
    return (
        field(
            "password",
            label_key,
            errors.get("password", "") if errors is not None else "",
            type_="password",
            autocomplete="new-password",
            hint_key="auth.password_rules",
        ),
        field(
            "password_repeat",
            "auth.password_repeat",
            errors.get("password_repeat", "") if errors is not None else "",
            type_="password",
            autocomplete="new-password",
        ),
    )


def login_page() -> rx.Component:
    """The password, then the second step of a user with two-factor sign-in (ui/auth/two_factor)."""
    return auth_card(
        "auth.login_title",
        rx.match(
            LoginState.step,
            ("code", second_step.code_step()),
            ("enrol", second_step.enrol_step()),
            ("codes", second_step.codes_step()),
            _password_step(),
        ),
    )


def _password_step() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.vstack(
                error_banner(LoginState.error, "login-error"),
                field(
                    "login",
                    "auth.login_field",
                    placeholder_key="auth.login_placeholder",
                    autocomplete="username",
                ),
                field(
                    "password", "auth.password", type_="password", autocomplete="current-password"
                ),
                rx.button(
                    tr("auth.sign_in"),
                    type="submit",
                    size="3",
                    width="100%",
                    loading=LoginState.busy,  # the password is being checked
                    id="sign-in",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=LoginState.submit,
            width="100%",
        ),
        rx.hstack(
            rx.link(tr("auth.forgot"), href="/forgot", size="2"),
            rx.spacer(),
            rx.link(tr("auth.no_account"), href=LoginState.register_href, size="2"),
            width="100%",
            wrap="wrap",
        ),
        rx.text(tr("auth.demo_hint"), size="1", color=rx.color("gray", 11), id="demo-hint")
        if get_settings().paysim_demo
        else rx.fragment(),
        spacing="4",
        width="100%",
    )


def _register_form() -> rx.Component:
    errors = RegisterState.errors
    return rx.form(
        rx.vstack(
            error_banner(errors.get("form", ""), "register-error"),
            field("full_name", "auth.full_name", errors.get("full_name", ""), autocomplete="name"),
            field(
                "login",
                "auth.login_field",
                errors.get("login", ""),
                placeholder_key="auth.login_placeholder",
                autocomplete="username",
            ),
            *_new_password(errors, "auth.password"),
            consent_ticks(errors.get("consent", "")),
            rx.button(
                tr("auth.register_button"), type="submit", size="3", width="100%", id="register"
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=RegisterState.submit,
        width="100%",
    )


def register_page() -> rx.Component:
    return auth_card(
        "auth.register_title",
        rx.cond(
            RegisterState.code_text != "",
            code_step(
                "verification.register_title",
                RegisterState.code_text,
                RegisterState.errors,
                RegisterState.confirm,
                RegisterState.resend,
                RegisterState.other_number,
            ),
            _register_form(),
        ),
        rx.link(tr("auth.have_account"), href=RegisterState.login_href, size="2"),
    )


def _forgot_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(tr("auth.forgot_hint"), size="2"),
            error_banner(ForgotState.error, "forgot-error"),
            field("login", "auth.login_field", placeholder_key="auth.login_placeholder"),
            rx.button(
                tr("auth.forgot_button"),
                type="submit",
                size="3",
                width="100%",
                id="send-link",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=ForgotState.submit,
        width="100%",
    )


def _forgot_code() -> rx.Component:
    errors = ForgotState.errors
    return rx.vstack(
        rx.text(tr("verification.reset_sent"), size="2"),
        code_step(
            "verification.reset_title",
            ForgotState.code_text,
            errors,
            ForgotState.reset_by_code,
            ForgotState.resend,
            ForgotState.other_number,
            *_new_password(errors),
        ),
        spacing="3",
        width="100%",
    )


def forgot_page() -> rx.Component:
    return auth_card(
        "auth.forgot_title",
        rx.cond(
            ForgotState.done,
            rx.callout(
                tr("verification.reset_done"), icon="check", color_scheme="green", id="reset-done"
            ),
            rx.cond(
                ForgotState.sent,
                rx.callout(
                    tr("auth.forgot_sent"), icon="mail", color_scheme="green", id="forgot-sent"
                ),
                rx.cond(ForgotState.code_text != "", _forgot_code(), _forgot_form()),
            ),
        ),
        rx.link(tr("auth.back_to_login"), href="/login", size="2"),
    )


def reset_page() -> rx.Component:
    return auth_card(
        "auth.reset_title",
        rx.cond(
            ResetState.done,
            rx.callout(tr("auth.reset_done"), icon="check", color_scheme="green", id="reset-done"),
            rx.form(
                rx.vstack(
                    error_banner(ResetState.error, "reset-error"),
                    *_new_password(None),
                    rx.button(
                        tr("auth.reset_button"),
                        type="submit",
                        size="3",
                        width="100%",
                        id="save-password",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ResetState.submit,
                width="100%",
            ),
        ),
        rx.link(tr("auth.back_to_login"), href="/login", size="2"),
    )
