"""The profile page's card "My personal data" (152-FZ): download everything we hold (a signed
link to api/privacy.py, the owner's only) and ask to close the account (confirmed with the
password; an admin closes it: subscribers.privacy)."""

from __future__ import annotations

import reflex as rx

from paysim_app.accounts import identity
from paysim_app.api.privacy import archive_link
from paysim_app.i18n.formats import moscow_date
from paysim_app.subscribers import privacy
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.forms import error_banner, field
from paysim_app.ui.components.i18n import tr


class PrivacyState(LocaleView, SessionState):
    pending_since: str = ""  # the date of a request to close still waiting ("" = none)
    error: str = ""
    password_error: str = ""

    def _show(self, view) -> None:
        self.pending_since = f"{moscow_date(view.requested_at):%d.%m.%Y}" if view else ""

    @access("subscriber")
    @rx.event
    def load(self):
        self.error = self.password_error = ""
        res = self._call(privacy.my_closure)
        if not res:
            return res.redirect
        self._show(res.value)
        return None

    @access("subscriber")
    @rx.event
    def download(self):
        """A short-lived signed link for this session; the route builds the archive."""
        sid = self._call(identity.session_id_of, self.auth_token, public=True).value
        if sid is None or self._actor() is None:
            return rx.redirect("/login")
        return rx.download(url=archive_link(sid))

    @access("subscriber")
    @rx.event
    async def ask_closure(self, form_data: dict):
        value = form_data.get("close_password", "") if isinstance(form_data, dict) else ""
        password = value[:1000] if isinstance(value, str) else ""
        self.error = self.password_error = ""
        res = await self._call_async(privacy.request_closure, password, ip=self._client_ip())
        if not res:
            if res.field == "password":
                self.password_error = res.error
            else:
                self.error = res.error
            return res.redirect or rx.set_value("close_password", "")
        self._show(res.value)
        return [rx.set_value("close_password", ""), rx.toast.success(self._t("privacy.close_sent"))]

    @access("subscriber")
    @rx.event
    def withdraw(self):
        res = self._call(privacy.withdraw_closure)
        if not res:
            self.error = res.error
            return res.redirect
        self.pending_since = ""
        return rx.toast.success(self._t("privacy.withdrawn"))

    @rx.var
    def pending_text(self) -> str:
        if not self.pending_since:
            return ""
        return self._vt("privacy.close_pending", date=self.pending_since)


def privacy_card() -> rx.Component:
    s = PrivacyState
    return rx.card(
        rx.vstack(
            rx.heading(tr("privacy.card_title"), size="4", as_="h2"),
            rx.text(tr("privacy.card_hint"), size="2", color=rx.color("gray", 11)),
            rx.button(
                rx.icon("download", size=16),
                tr("privacy.download"),
                variant="soft",
                size="3",
                on_click=s.download,
                id="privacy-download",
            ),
            rx.divider(),
            rx.heading(tr("privacy.close_title"), size="3", as_="h3"),
            error_banner(s.error, "privacy-error"),
            rx.cond(
                s.pending_since != "",
                rx.vstack(
                    rx.callout(s.pending_text, icon="clock", id="privacy-pending", width="100%"),
                    rx.button(
                        tr("privacy.withdraw"),
                        variant="outline",
                        on_click=s.withdraw,
                        id="privacy-withdraw",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.form(
                    rx.vstack(
                        rx.text(tr("privacy.close_hint"), size="2", color=rx.color("gray", 11)),
                        field(
                            "close_password",
                            "privacy.close_password",
                            s.password_error,
                            type_="password",
                            autocomplete="current-password",
                        ),
                        rx.button(
                            tr("privacy.close_button"),
                            type="submit",
                            color_scheme="red",
                            variant="soft",
                            id="privacy-close",
                        ),
                        spacing="3",
                        width="100%",
                        align="start",
                    ),
                    on_submit=s.ask_closure,
                    reset_on_submit=False,
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="480px",
        on_mount=s.load,
        id="privacy-card",
    )
