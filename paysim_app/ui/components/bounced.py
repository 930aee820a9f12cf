"""The profile's line about an e-mail address that bounces (messaging.delivery marks it when a
mail server refuses it for good; the user is also told by an in-app notification)."""

from __future__ import annotations

import reflex as rx

from paysim_app.core import outbox
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.i18n import tr


class BouncedEmailState(SessionState):
    bounced: str = ""

    @access("signed-in")
    @rx.event
    def load(self):
        res = self._call(outbox.bounced_address)
        self.bounced = res.value if res else ""


def bounced_note() -> rx.Component:
    """Nothing, or a warning with the address; loads itself when shown."""
    s = BouncedEmailState
    return rx.box(
        rx.cond(
            s.bounced != "",
            rx.callout(
                rx.text(tr("profile.email_bounced"), " ", rx.text.strong(s.bounced)),
                icon="triangle-alert",
                color_scheme="amber",
                size="1",
                id="email-bounced",
            ),
        ),
        on_mount=s.load,
        width="100%",
    )
