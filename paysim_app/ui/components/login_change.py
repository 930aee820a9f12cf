"""The sign-in login card of every tree's profile page (accounts.login_change): the current
login, a form for a new e-mail or phone with the current password, and while a change waits,
its state, the SMS code input for a phone and a cancel button."""

from __future__ import annotations

import reflex as rx

from paysim_app.accounts import login_change
from paysim_app.i18n import t
from paysim_app.i18n.formats import moment, phone
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, Outcome, SessionState
from paysim_app.ui.components.forms import error_banner, field
from paysim_app.ui.components.i18n import tr

# the service's field names -> this card's inputs (the password card uses "current")
FIELD_IDS = {"new_login": "new_login", "current": "login_password", "code": "login_code"}


def _value(form_data: object, name: str, limit: int) -> str:
    value = form_data.get(name, "") if isinstance(form_data, dict) else ""
    return value[:limit] if isinstance(value, str) else ""


class LoginChangeState(LocaleView, SessionState):
    login_email: str = ""
    login_phone: str = ""  # E.164
    pending_kind: str = ""
    pending_value: str = ""
    pending_until: str = ""  # formatted in the tab's language when loaded
    errors: dict[str, str] = {}

    def _show(self, info: login_change.LoginInfo) -> None:
        self.login_email, self.login_phone = info.email, info.phone
        self.pending_kind, self.pending_value = info.pending_kind, info.pending_value
        self.pending_until = moment(info.pending_expires_at, self.locale)

    def _fail(self, res: Outcome) -> None:
        self.errors = {FIELD_IDS.get(res.field, "login_form"): res.error}

    def _reload(self) -> None:
        res = self._call(login_change.login_info)
        if res:
            self._show(res.value)

    @access("signed-in")
    @rx.event
    def load(self):
        """Chained after the page's own guard, which has already sent strangers away."""
        self.errors = {}
        self._reload()

    @access("signed-in")
    @rx.event
    async def submit(self, form_data: dict):
        new_login = _value(form_data, "new_login", 300)
        password = _value(form_data, "login_password", 1000)
        # bcrypt checks the password: in a thread, off the worker's event loop
        res = await self._call_async(
            login_change.request_login_change, new_login, password, ip=self._client_ip()
        )
        if res.redirect is not None:
            return res.redirect
        if not res:
            self._fail(res)
            return rx.set_value("login_password", "")
        info = res.value
        self.errors = {}
        self._show(info)
        shown = phone(info.pending_value) if info.pending_kind == "phone" else info.pending_value
        sent = f"login_change.sent_{info.pending_kind}"
        return [
            rx.set_value("new_login", ""),
            rx.set_value("login_password", ""),
            rx.toast.success(self._t(sent, login=shown)),
        ]

    @access("signed-in")
    @rx.event
    def confirm_code(self, form_data: dict):
        code = _value(form_data, "login_code", 20)
        res = self._call(login_change.confirm_login_code, code, self.auth_token)
        if res.redirect is not None:
            return res.redirect
        if not res:
            self._fail(res)
            if res.code == "login_change.invalid":
                self._reload()  # the change is gone: show the form alone
            return None
        info = res.value
        self.errors = {}
        self._show(info)
        self._actor()  # the header shows the new login
        return rx.toast.success(self._t("login_change.confirmed", login=phone(info.phone)))

    @access("signed-in")
    @rx.event
    def resend_code(self):
        """A new code to the pending phone (after verification.RESEND_SECONDS)."""
        res = self._call(login_change.resend_login_code, ip=self._client_ip())
        if res.redirect is not None:
            return res.redirect
        if not res:
            self._fail(res)
            return None
        self.errors = {}
        self._show(res.value)
        return rx.toast.success(self._t("verification.resent"))

    @access("signed-in")
    @rx.event
    def cancel(self):
        res = self._call(login_change.cancel_login_change)
        if not res:
            return res.redirect or rx.toast.error(res.error)
        self._show(res.value)
        self.errors = {}
        return rx.toast.success(self._t("login_change.cancelled"))

    @rx.var
    def current_text(self) -> str:
        logins = [x for x in (self.login_email, phone(self.login_phone)) if x]
        return t("login_change.current", self.view_locale, login=" · ".join(logins))

    @rx.var
    def pending_text(self) -> str:
        if not self.pending_kind:
            return ""
        value = phone(self.pending_value) if self.pending_kind == "phone" else self.pending_value
        return t(
            f"login_change.pending_{self.pending_kind}",
            self.view_locale,
            login=value,
            until=self.pending_until,
        )


def _pending() -> rx.Component:
    errors = LoginChangeState.errors
    return rx.vstack(
        rx.callout(
            LoginChangeState.pending_text, icon="mail", color_scheme="blue", id="login-pending"
        ),
        rx.cond(
            LoginChangeState.pending_kind == "phone",
            rx.form(
                rx.vstack(
                    field(
                        "login_code",
                        "login_change.code",
                        errors.get("login_code", ""),
                        autocomplete="one-time-code",
                    ),
                    rx.hstack(
                        rx.button(
                            tr("login_change.confirm"), type="submit", id="confirm-login-code"
                        ),
                        rx.button(
                            tr("verification.resend"),
                            type="button",
                            variant="soft",
                            on_click=LoginChangeState.resend_code,
                            id="resend-login-code",
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="2",
                    width="100%",
                    align="start",
                ),
                on_submit=LoginChangeState.confirm_code,
                reset_on_submit=True,
                width="100%",
            ),
        ),
        rx.button(
            tr("login_change.cancel"),
            variant="soft",
            color_scheme="gray",
            on_click=LoginChangeState.cancel,
            id="cancel-login-change",
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def login_card() -> rx.Component:
    errors = LoginChangeState.errors
    return rx.card(
        rx.vstack(
            rx.heading(tr("login_change.title"), size="4", as_="h2"),
            rx.text(LoginChangeState.current_text, size="2", weight="medium", id="login-current"),
            rx.text(tr("login_change.hint"), size="2", color=rx.color("gray", 11)),
            error_banner(errors.get("login_form", ""), "login-change-error"),
            rx.cond(LoginChangeState.pending_kind != "", _pending()),
            rx.form(
                rx.vstack(
                    field(
                        "new_login",
                        "login_change.new_login",
                        errors.get("new_login", ""),
                        placeholder_key="auth.login_placeholder",
                        autocomplete="off",
                    ),
                    field(
                        "login_password",
                        "auth.current_password",
                        errors.get("login_password", ""),
                        type_="password",
                        autocomplete="current-password",
                    ),
                    rx.button(tr("login_change.submit"), type="submit", id="change-login"),
                    spacing="3",
                    width="100%",
                    align="start",
                ),
                on_submit=LoginChangeState.submit,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="480px",
        id="login-card",
    )
