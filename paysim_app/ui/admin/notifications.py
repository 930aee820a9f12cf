"""/admin/notifications: every notification of the signed-in user, newest first, paged in SQL,
filtered by kind and read state; mark the selected ones or all of them read (the shared
notification centre of ui/components/notifications.py)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.notifications import NotificationsMixin
from paysim_app.ui.components.notifications_page import notifications_page


class AdminNotificationsState(NotificationsMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:any"

    def _role(self) -> str:
        return "admin"

    @access("admin:any")
    @rx.event
    async def load(self):
        return await self._start()


def admin_notifications_page() -> rx.Component:
    return notifications_page("admin", AdminNotificationsState, with_sim=False)
