"""/admin/outbox: outgoing e-mail and SMS with their delivery state (waiting, sending, sent,
failed with the reason), tries and the next one; filters by state and channel; failed ones
can be sent again (audited). In demo mode the password-reset links and codes are read here.
A declaration over the one list machinery (core.outbox.OUTBOX_LIST)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.core import outbox
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import moment, phone
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

STATUS_COLOURS = {"waiting": "amber", "sending": "blue", "sent": "green", "failed": "red"}


class OutboxState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:admins.manage"
    notice: str = ""

    def _spec(self):
        return outbox.OUTBOX_LIST

    def _prepare(self, actor: Actor) -> None:
        self.notice = ""

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        refs = outbox.attachments_of(row)
        status = row["status"]
        return {
            "created": moment(row["created_at"], loc),
            "channel": t(f"outbox.channel.{row['channel']}", loc),
            "to": phone(row["to_address"]) if row["channel"] == "sms" else row["to_address"],
            "subject": row["subject"] or "—",
            # what goes attached ("Attached: receipt No. 42, PDF"), rendered when it is sent
            "attached": t(
                "outbox.attached",
                loc,
                files=", ".join(t(f"outbox.attachment.{k}", loc, no=ref) for k, ref in refs),
            )
            if refs
            else "",
            "body": outbox.staff_text(row["body"], row["secret"]),
            "status": t(f"outbox.status.{status}", loc),
            "colour": STATUS_COLOURS.get(status, "gray"),
            "attempts": str(row["attempts"]),
            "next": moment(row["next_attempt_at"], loc) if status == "waiting" else "",
            "sent": moment(row["sent_at"], loc) if row["sent_at"] else "",
            "error": row["last_error"] or "",
        }

    @access("admin:admins.manage")
    @rx.event
    async def load(self):
        return await self._start()

    @access("admin:admins.manage")
    @rx.event
    def retry(self):
        """Send the selected failed messages again (the others are left as they are)."""
        ids = [n for n in map(browser_id, self.selected) if n > 0]
        res = self._call(outbox.retry_messages, ids)
        if not res:
            self.notice = res.error
            return res.redirect
        self._fetch(count=False)
        self.notice = t("outbox.retried_n", self.locale, n=res.value)
        return rx.toast.success(self.notice)


COLUMNS = [
    Column("created", "outbox.created", mono=True, hint="channel"),
    Column("to", "outbox.to"),
    Column("subject", "outbox.subject", hint="attached"),
    Column("body", "outbox.body"),
    Column("status", "outbox.status", badge="colour"),
    Column("attempts", "outbox.attempts", align="right"),
    Column("next", "outbox.next_attempt", mono=True, hint="sent"),
    Column("error", "outbox.error"),
]
FIELDS = [
    FilterField(
        "status",
        "outbox.status",
        options=[(ALL, "outbox.filter.all_statuses")]
        + [(s, f"outbox.status.{s}") for s in ("waiting", "sending", "sent", "failed")],
    ),
    FilterField(
        "channel",
        "outbox.channel",
        options=[(ALL, "outbox.filter.all_channels")]
        + [(c, f"outbox.channel.{c}") for c in ("email", "sms")],
    ),
]
SORTS = [("created_at", "outbox.created")]


def _retry_bar() -> rx.Component:
    s = OutboxState
    return rx.card(
        rx.flex(
            rx.text(tr("outbox.selected"), " ", s.selected.length(), weight="medium"),
            rx.button(
                rx.icon("rotate-cw", size=16),
                tr("outbox.retry"),
                size="3",
                on_click=s.retry,
                id="outbox-retry",
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        width="100%",
    )


def outbox_page() -> rx.Component:
    s = OutboxState
    return shell(
        "admin",
        list_view(
            s,
            COLUMNS,
            FIELDS,
            SORTS,
            id_="outbox-table",
            search_key="outbox.search",
            empty_key="outbox.empty",
            selectable=True,
            bulk=_retry_bar(),
            extra=rx.cond(
                s.notice != "", rx.callout(s.notice, icon="info", id="outbox-notice", width="100%")
            ),
        ),
        title_key="outbox.title",
    )
