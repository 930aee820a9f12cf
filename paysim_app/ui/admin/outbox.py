"""/admin/outbox: outgoing e-mail (in demo mode the password-reset links are read here)."""

from __future__ import annotations

import reflex as rx

from paysim_app.core import outbox
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import moment
from paysim_app.ui.components.layout import shell

COLUMNS = [
    Column("created", "outbox.created"),
    Column("to", "outbox.to"),
    Column("subject", "outbox.subject", hint="attached"),
    Column("body", "outbox.body"),
    Column("sent", "outbox.sent"),
]


class OutboxState(SessionState):
    rows: list[dict[str, str]] = []

    @access("admin:admins.manage")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "admins.manage")
        if redirect:
            return redirect
        res = self._call(outbox.recent_emails)
        if not res:
            return res.redirect
        mails = res.value
        loc = self.locale
        self.rows = [
            {
                "created": moment(m.created_at, loc),
                "to": m.to_address,
                "subject": m.subject,
                # what goes attached ("Attached: receipt No. 42, PDF"), rendered when it is sent
                "attached": t(
                    "outbox.attached",
                    loc,
                    files=", ".join(
                        t(f"outbox.attachment.{kind}", loc, no=ref) for kind, ref in m.attachments
                    ),
                )
                if m.attachments
                else "",
                "body": m.body,
                "sent": moment(m.sent_at, loc) if m.sent_at else t("outbox.not_sent", loc),
            }
            for m in mails
        ]


def outbox_page() -> rx.Component:
    return shell(
        "admin",
        data_table(COLUMNS, OutboxState.rows, "outbox.empty", "outbox-table"),
        title_key="outbox.title",
    )
