"""The browsers signed in to one's account, on every tree's profile page: each with its device
and times, "sign out" for one of them and "sign out everywhere else" (accounts.profile)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import reflex as rx

from paysim_app.accounts import profile
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.cabinet.state import plain
from paysim_app.ui.components.format import moment
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id


class SessionsState(LocaleView, SessionState):
    sessions: list[dict] = []

    def _reload(self):
        """The list again; None, or the way to the sign-in page when nobody is signed in."""
        res = self._call(profile.list_sessions, self.auth_token)
        if res.redirect is not None:
            self.sessions = []
        elif res:
            self.sessions = [plain(asdict(r)) for r in res.value]
        return res.redirect

    @access("signed-in")
    @rx.event
    def load(self):
        """Chained after the page's own guard, which has already sent strangers away."""
        self._reload()
        return None

    @access("signed-in")
    @rx.event
    def revoke(self, session_id: str):
        res = self._call(profile.revoke_session, browser_id(session_id))
        if not res:
            return res.redirect or rx.toast.error(res.error)
        if self._reload() is not None:  # it was this browser's own session
            return rx.redirect("/login")
        return rx.toast.success(self._t("profile.signed_out_one"))

    @access("signed-in")
    @rx.event
    def sign_out_others(self):
        res = self._call(profile.sign_out_everywhere, self.auth_token, keep_current=True)
        if not res:
            return res.redirect or rx.toast.error(res.error)
        self._reload()
        return rx.toast.success(self._t("profile.signed_out_others", n=res.value))

    @rx.var
    def session_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "id": str(s["id"]),
                "device": s["device"] or t("profile.unknown_device", loc),
                "created": t(
                    "profile.signed_in_at",
                    loc,
                    when=moment(datetime.fromisoformat(s["created_at"]), loc),
                ),
                "seen": t(
                    "profile.seen_at",
                    loc,
                    when=moment(datetime.fromisoformat(s["last_seen_at"]), loc),
                ),
                "current": "1" if s["is_current"] else "",
            }
            for s in self.sessions
        ]

    @rx.var
    def has_others(self) -> bool:
        return any(not s["is_current"] for s in self.sessions)


def _session_card(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(row["device"], weight="medium", size="2"),
                rx.text(row["created"], size="1", color=rx.color("gray", 11)),
                rx.text(row["seen"], size="1", color=rx.color("gray", 11)),
                spacing="0",
                min_width="0",
            ),
            rx.cond(
                row["current"] != "",
                rx.badge(tr("profile.this_device"), color_scheme="green", variant="soft"),
                rx.button(
                    tr("profile.sign_out_one"),
                    size="2",
                    variant="soft",
                    color_scheme="red",
                    on_click=SessionsState.revoke(row["id"]),
                    class_name="revoke-session",
                ),
            ),
            justify="between",
            align="center",
            width="100%",
            spacing="3",
        ),
        width="100%",
        size="1",
        class_name="session-row",
    )


def sessions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tr("profile.sessions"), size="4", as_="h2"),
            rx.text(tr("profile.sessions_hint"), size="2", color=rx.color("gray", 11)),
            rx.vstack(
                rx.foreach(SessionsState.session_rows, _session_card),
                spacing="2",
                width="100%",
                id="session-list",
            ),
            rx.cond(
                SessionsState.has_others,
                rx.button(
                    rx.icon("log-out", size=16),
                    tr("profile.sign_out_others"),
                    size="3",
                    variant="outline",
                    color_scheme="red",
                    on_click=SessionsState.sign_out_others,
                    id="sign-out-others",
                ),
                rx.text(
                    tr("profile.no_other_sessions"),
                    size="2",
                    color=rx.color("gray", 11),
                    id="no-other-sessions",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="480px",  # as wide as the password card above it
    )
