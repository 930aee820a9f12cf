"""/confirm-login?token=...: the link mailed to a new login e-mail. Pressing the button makes
the address the login (accounts.login_change); no sign-in is needed, the link proves the
mailbox. A signed-in tab of the same user stays signed in, the user's other sessions end."""

from __future__ import annotations

import reflex as rx

from paysim_app.accounts import login_change
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import auth_card


class ConfirmLoginState(LocaleView, SessionState):
    error: str = ""
    done: str = ""  # the new login once confirmed

    @access("public")
    @rx.event
    def on_load(self):
        self.error, self.done = "", ""

    @access("public")
    @rx.event
    def confirm(self):
        token = self.router.url.query_parameters.get("token", "")
        res = self._call(login_change.confirm_login_link, token, self.auth_token, public=True)
        if not res:
            self.error = res.error
            return
        self.error, self.done = "", res.value
        self._actor()  # a signed-in tab of this user shows the new login at once

    @rx.var
    def done_text(self) -> str:
        return self._vt("login_change.page_done", login=self.done) if self.done else ""


def confirm_login_page() -> rx.Component:
    return auth_card(
        "login_change.page_title",
        rx.cond(
            ConfirmLoginState.done != "",
            rx.callout(
                ConfirmLoginState.done_text,
                icon="check",
                color_scheme="green",
                id="login-confirmed",
            ),
            rx.vstack(
                error_banner(ConfirmLoginState.error, "confirm-login-error"),
                rx.text(tr("login_change.page_text"), size="2"),
                rx.button(
                    tr("login_change.page_button"),
                    size="3",
                    width="100%",
                    on_click=ConfirmLoginState.confirm,
                    id="confirm-login",
                ),
                spacing="3",
                width="100%",
            ),
        ),
        rx.link(
            tr("login_change.page_sign_in"), href="/login", size="2", id="confirm-login-sign-in"
        ),
    )
