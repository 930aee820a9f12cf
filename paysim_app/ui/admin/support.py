"""/admin/support: the inbox of every ticket (a declaration over the one list machinery);
/admin/support/[ticket_id]: one ticket's whole thread (internal notes marked), the reply form
with canned replies, internal notes, assignee, priority and status. Reading needs support.view,
every action support.edit (the services check it)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.core.listing import NONE
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.overview import people_lists
from paysim_app.support import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES, inbox
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import Outcome, SessionState
from paysim_app.ui.components.attach import AttachMixin, file_picker
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.detail import info
from paysim_app.ui.components.format import moment, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import choice, static_choice

STATUS_COLOURS = {
    "new": "blue",
    "open": "amber",
    "waiting": "gray",
    "resolved": "green",
    "closed": "gray",
}
PRIORITY_COLOURS = {"low": "gray", "normal": "blue", "high": "orange", "urgent": "red"}
CAN_EDIT = SessionState.permissions.contains("support.edit")
UPLOAD_ID = "admin-reply-file"
KEEP = "auto"  # the reply's status select: let the service decide (waiting for new/open)
NOBODY = "none"


def duration(seconds: int | None, loc: str) -> str:
    """4321 -> '1 h 12 min' / '1 ч 12 мин'; None -> '—'."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return t("people_ui.dur.under_minute", loc)
    minutes = int(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return t("people_ui.dur.days", loc, d=days, h=hours)
    if hours:
        return t("people_ui.dur.hours", loc, h=hours, m=mins)
    return t("people_ui.dur.minutes", loc, m=mins)


class AdminSupportState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:support.view"
    assignee_options: list[dict[str, str]] = []

    def _spec(self):
        return people_lists.TICKET_LIST

    def _prepare(self, actor: Actor) -> None:
        res = self._call(inbox.assignees)  # (already in a worker thread)
        people = res.value if res else []
        loc = self.locale
        self.assignee_options = [
            {"value": ALL, "label": t("list.any", loc)},
            {"value": NONE, "label": t("admin_support.unassigned", loc)},
        ] + [{"value": str(a.user_id), "label": a.name} for a in people]

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        customer = row["customer_name"] or "—"
        who = t(f"admin_support.author.{row['author_type']}", loc)
        return {
            "no": f"#{row['id']}",
            "href": f"/admin/support/{row['id']}",
            "subject": row["subject"],
            "category": t(f"support.category.{row['category']}", loc),
            "customer": customer,
            "who": who + (f" · {row['contract_no']}" if row["contract_no"] else ""),
            "priority": t(f"admin_support.priority.{row['priority']}", loc),
            "pcolour": PRIORITY_COLOURS.get(row["priority"], "gray"),
            "status": t(f"admin_support.status.{row['status']}", loc),
            "colour": STATUS_COLOURS.get(row["status"], "gray"),
            "assignee": row["assignee_name"] or t("admin_support.unassigned", loc),
            "first": duration(row["first_response_seconds"], loc),
            "updated": moment(row["updated_at"], loc),
        }

    @access("admin:support.view")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("no", "admin_support.col.number", mono=True, link="href"),
    Column("subject", "admin_support.col.subject", hint="category"),
    Column("customer", "admin_support.col.customer", hint="who"),
    Column("priority", "admin_support.col.priority", badge="pcolour"),
    Column("status", "admin_support.col.status", badge="colour"),
    Column("assignee", "admin_support.col.assignee"),
    Column("first", "admin_support.col.first_response"),
    Column("updated", "admin_support.col.updated", mono=True),
]
FIELDS = [
    FilterField(
        "status",
        "admin_support.col.status",
        options=[(ALL, "list.any"), (people_lists.UNRESOLVED, "people_ui.sup.unresolved")]
        + [(s, f"admin_support.status.{s}") for s in TICKET_STATUSES],
    ),
    FilterField(
        "category",
        "admin_support.col.category",
        options=[(ALL, "list.any")] + [(c, f"support.category.{c}") for c in TICKET_CATEGORIES],
    ),
    FilterField(
        "priority",
        "admin_support.col.priority",
        options=[(ALL, "list.any")]
        + [(p, f"admin_support.priority.{p}") for p in TICKET_PRIORITIES],
    ),
    FilterField("assignee", "admin_support.col.assignee", dynamic="assignee_options"),
    FilterField(
        "author_type",
        "admin_support.col.author_type",
        options=[(ALL, "list.any")]
        + [(a, f"admin_support.author.{a}") for a in people_lists.AUTHOR_TYPES],
    ),
    FilterField("created_from", "people_ui.created_from", "date"),
    FilterField("created_to", "people_ui.created_to", "date"),
]
SORTS = [
    ("updated_at", "admin_support.col.updated"),
    ("created_at", "admin_support.col.created"),
    ("priority", "admin_support.col.priority"),
    ("status", "admin_support.col.status"),
    ("first_response", "admin_support.col.first_response"),
]


def support_page() -> rx.Component:
    return shell(
        "admin",
        list_view(
            AdminSupportState,
            COLUMNS,
            FIELDS,
            SORTS,
            id_="admin-support",
            search_key="people_ui.sup.search",
        ),
        title_key="admin_support.title",
    )


# -- one ticket ---------------------------------------------------------------------------------
class AdminTicketState(AttachMixin, SessionState):
    ATTACH_ACCESS: ClassVar[str] = "admin:support.edit"
    ticket: dict[str, str] = {}
    messages: list[dict[str, str]] = []
    canned_options: list[dict[str, str]] = []
    assignee_options: list[dict[str, str]] = []
    canned: str = ""
    reply: str = ""
    reply_status: str = KEEP
    error: str = ""
    _canned_bodies: dict[str, str] = {}

    def _upload_id(self) -> str:
        return UPLOAD_ID

    def _may_attach(self, actor: Actor) -> bool:
        return actor.can("support.edit")

    def _ticket_id(self) -> int | None:
        raw = self.router.page.params.get("ticket_id", "")
        return optional_id(raw)

    def _show(self, ticket_id: int) -> Outcome:
        res = self._call(inbox.admin_ticket_page, ticket_id)
        if not res:
            return res
        th, people, canned = res.value.thread, res.value.assignees, res.value.canned
        loc = self.locale
        if th.subscriber_id:
            customer_href = f"/admin/subscribers/{th.subscriber_id}"
        else:
            customer_href = ""
        self.ticket = {
            "id": str(th.id),
            "title": f"#{th.id} · {th.subject}",
            "status": th.status,
            "status_text": t(f"admin_support.status.{th.status}", loc),
            "colour": STATUS_COLOURS.get(th.status, "gray"),
            "priority": th.priority,
            "priority_text": t(f"admin_support.priority.{th.priority}", loc),
            "pcolour": PRIORITY_COLOURS.get(th.priority, "gray"),
            "category": t(f"support.category.{th.category}", loc),
            "author_type": t(f"admin_support.author.{th.author_type}", loc),
            "customer": th.customer_name or "—",
            "contract": th.contract_no,
            "customer_href": customer_href,
            "sim": phone(th.msisdn) if th.msisdn else "—",
            "sim_href": f"/admin/sims/{th.sim_id}" if th.sim_id else "",
            "assignee": str(th.assignee_user_id) if th.assignee_user_id else NOBODY,
            "created": moment(th.created_at, loc),
            "updated": moment(th.updated_at, loc),
            "first_response": (
                t(
                    "admin_support.first_response",
                    loc,
                    time=duration(th.first_response_seconds, loc),
                )
                if th.first_response_seconds is not None
                else t("admin_support.no_response", loc)
            ),
            "rating": t("admin_support.rating", loc, rating=th.rating) if th.rating else "",
            "rating_comment": th.rating_comment,
        }
        self.messages = [
            {
                "id": str(m.id),
                "author": m.author_name or "—",
                "role": t(
                    "admin_support.author.staff"
                    if m.is_staff
                    else f"admin_support.author.{m.author_role}",
                    loc,
                ),
                "at": moment(m.created_at, loc),
                "body": m.body,
                "kind": "internal" if m.is_internal else ("staff" if m.is_staff else "customer"),
                "attachment": m.attachment_name,
            }
            for m in th.messages
        ]
        self.assignee_options = [{"value": NOBODY, "label": t("admin_support.unassigned", loc)}] + [
            {"value": str(a.user_id), "label": a.name} for a in people
        ]
        # the operator's language first, then the other
        canned = sorted(canned, key=lambda c: (c.locale != loc, c.title))
        self.canned_options = [
            {"value": str(c.id), "label": f"{c.title} ({c.locale})"} for c in canned
        ]
        self._canned_bodies = {str(c.id): c.body for c in canned}
        return res

    @access("admin:support.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "support.view")
        if redirect:
            return redirect
        self.error, self.reply, self.canned, self.reply_status = "", "", "", KEEP
        self._forget_file()
        ticket_id = self._ticket_id()
        if ticket_id is None:
            return rx.redirect("/admin/support")
        res = self._show(ticket_id)
        if not res:
            return res.redirect or rx.redirect("/admin/support")
        return None

    def _on_ticket(self, verb, *args, done_key: str):
        """_call of one action on this ticket (its id first); when done, the thread again and
        a toast: (done, the event to return)."""
        ticket_id = self._ticket_id()
        if ticket_id is None:
            return False, rx.redirect("/login")
        self.error = ""
        res = self._call(verb, ticket_id, *args)
        if not res:
            self.error = res.error
            return False, res.redirect
        self._show(ticket_id)
        return True, rx.toast.success(self._t(done_key))

    @access("admin:support.view")
    @rx.event
    def download(self, message_id: str):
        """A file of this ticket (the service checks support.view)."""
        return self._send_file(inbox.admin_attachment, message_id)

    @access("admin:support.edit")
    @rx.event
    def set_reply(self, value: str):
        self.reply = str(value)[:6000]

    @access("admin:support.edit")
    @rx.event
    def use_canned(self, value: str):
        """Paste a canned reply into the answer (the operator may edit it before sending)."""
        body = self._canned_bodies.get(str(value))
        if body is not None:
            self.canned = str(value)
            self.reply = body

    @access("admin:support.edit")
    @rx.event
    def set_reply_status(self, value: str):
        if value == KEEP or value in inbox.SETTABLE_STATUSES:
            self.reply_status = value

    @access("admin:support.edit")
    @rx.event
    def send_reply(self, _form: dict | None = None):
        body, status, file = self.reply, self.reply_status, self._file()
        ok, event = self._on_ticket(
            inbox.reply_to_ticket,
            body,
            None if status == KEEP else status,
            file,
            done_key="admin_support.replied",
        )
        if ok:
            self.reply, self.canned, self.reply_status = "", "", KEEP
            self._forget_file()
        return event

    @access("admin:support.edit")
    @rx.event
    def add_note(self):
        body = self.reply
        ok, event = self._on_ticket(inbox.add_internal_note, body, done_key="admin_support.noted")
        if ok:
            self.reply, self.canned = "", ""
        return event

    @access("admin:support.edit")
    @rx.event
    def assign(self, value: str):
        user_id = optional_id(value)
        if value != NOBODY and user_id is None:
            return None
        return self._on_ticket(inbox.assign_ticket, user_id, done_key="admin_support.assigned")[1]

    @access("admin:support.edit")
    @rx.event
    def set_priority(self, value: str):
        return self._on_ticket(
            inbox.change_ticket_priority,
            str(value),
            done_key="admin_support.priority_changed",
        )[1]

    @access("admin:support.edit")
    @rx.event
    def set_status(self, value: str):
        return self._on_ticket(
            inbox.change_ticket_status, str(value), done_key="admin_support.status_changed"
        )[1]


def _message(m: rx.Var) -> rx.Component:
    internal = m["kind"] == "internal"
    staff = m["kind"] == "staff"
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(m["author"], weight="medium", size="2"),
                rx.badge(m["role"], variant="soft", color_scheme=rx.cond(staff, "blue", "gray")),
                rx.cond(
                    internal,
                    rx.badge(
                        rx.icon("lock", size=12),
                        tr("admin_support.internal"),
                        color_scheme="amber",
                        variant="solid",
                        class_name="internal-label",
                    ),
                ),
                rx.spacer(),
                rx.text(m["at"], size="1", color=rx.color("gray", 11)),
                align="center",
                wrap="wrap",
                width="100%",
                spacing="2",
            ),
            rx.text(m["body"], white_space="pre-wrap", overflow_wrap="anywhere", size="2"),
            rx.cond(
                m["attachment"] != "",
                rx.button(
                    rx.icon("paperclip", size=14),
                    m["attachment"],
                    size="1",
                    variant="soft",
                    type="button",
                    on_click=AdminTicketState.download(m["id"]),
                    class_name="attachment",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width=rx.cond(staff | internal, "calc(100% - 1.5em)", "100%"),
        class_name=rx.cond(internal, "message internal", "message"),
        background_color=rx.cond(
            internal,
            rx.color("amber", 3),
            rx.cond(staff, rx.color("accent", 2), rx.color("gray", 1)),
        ),
        border_left=rx.cond(
            internal,
            f"4px solid {rx.color('amber', 9)}",
            rx.cond(
                staff, f"4px solid {rx.color('accent', 8)}", f"4px solid {rx.color('gray', 6)}"
            ),
        ),
        margin_left=rx.cond(staff | internal, "1.5em", "0"),
    )


def _controls() -> rx.Component:
    s = AdminTicketState
    return rx.grid(
        choice(
            s.assignee_options,
            s.ticket["assignee"],
            s.assign,
            "ticket-assignee",
            "admin_support.col.assignee",
        ),
        static_choice(
            [(p, f"admin_support.priority.{p}") for p in TICKET_PRIORITIES],
            s.ticket["priority"],
            s.set_priority,
            "ticket-priority",
            "admin_support.col.priority",
        ),
        rx.cond(
            s.ticket["status"] == "new",
            static_choice(
                [("new", "admin_support.status.new")]
                + [(st, f"admin_support.status.{st}") for st in inbox.SETTABLE_STATUSES],
                s.ticket["status"],
                s.set_status,
                "ticket-status",
                "admin_support.col.status",
            ),
            static_choice(
                [(st, f"admin_support.status.{st}") for st in inbox.SETTABLE_STATUSES],
                s.ticket["status"],
                s.set_status,
                "ticket-status",
                "admin_support.col.status",
            ),
        ),
        columns=rx.breakpoints(initial="1", sm="3"),
        spacing="3",
        width="100%",
    )


def _canned_picker() -> rx.Component:
    s = AdminTicketState
    return labelled(
        "reply-canned",
        tr("admin_support.canned_insert"),
        rx.select.root(
            rx.select.trigger(
                id="reply-canned", width="100%", placeholder=tr("people_ui.sup.canned_pick")
            ),
            rx.select.content(
                rx.foreach(s.canned_options, lambda o: rx.select.item(o["label"], value=o["value"]))
            ),
            value=s.canned,
            on_change=s.use_canned,
            size="3",
        ),
    )


def _reply_form() -> rx.Component:
    s = AdminTicketState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("admin_support.reply"), size="4", as_="h2"),
                rx.cond(s.canned_options.length() > 0, _canned_picker()),
                rx.text_area(
                    id="reply-body",
                    value=s.reply,
                    on_change=s.set_reply,
                    rows="6",
                    size="3",
                    width="100%",
                    aria_label=tr("admin_support.reply"),
                ),
                file_picker(s, UPLOAD_ID),
                rx.flex(
                    static_choice(
                        [(KEEP, "people_ui.sup.status_auto")]
                        + [(st, f"admin_support.status.{st}") for st in inbox.SETTABLE_STATUSES],
                        s.reply_status,
                        s.set_reply_status,
                        "reply-status",
                        "admin_support.reply_status",
                        width="auto",
                    ),
                    rx.button(
                        rx.icon("send", size=16),
                        tr("people_ui.sup.send"),
                        type="submit",
                        size="3",
                        id="reply-send",
                    ),
                    rx.button(
                        rx.icon("lock", size=16),
                        tr("people_ui.sup.add_note"),
                        type="button",
                        variant="soft",
                        color_scheme="amber",
                        size="3",
                        on_click=s.add_note,
                        id="note-add",
                    ),
                    spacing="3",
                    align="end",
                    wrap="wrap",
                ),
                rx.text(tr("admin_support.note_hint"), size="1", color=rx.color("gray", 11)),
                error_banner(s.error, id_="ticket-error"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.send_reply,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def ticket_page() -> rx.Component:
    s = AdminTicketState
    tk = s.ticket
    head = rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(tk["title"], size="5", id="ticket-title"),
                rx.badge(
                    tk["status_text"],
                    color_scheme=tk["colour"],
                    variant="soft",
                    size="2",
                    id="ticket-status-badge",
                ),
                rx.badge(
                    tk["priority_text"],
                    color_scheme=tk["pcolour"],
                    variant="soft",
                    size="2",
                    id="ticket-priority-badge",
                ),
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.grid(
                info(
                    "admin_support.col.customer",
                    tk["customer"],
                    "ticket-customer",
                    tk["customer_href"],
                ),
                info("admin_support.col.author_type", tk["author_type"], "ticket-author"),
                info("admin_support.col.category", tk["category"], "ticket-category"),
                info("people_ui.sup.sim", tk["sim"], "ticket-sim", tk["sim_href"]),
                info("admin_support.col.created", tk["created"], "ticket-created"),
                info("admin_support.col.updated", tk["updated"], "ticket-updated"),
                columns=rx.breakpoints(initial="1", xs="2", md="3"),
                spacing="3",
                width="100%",
            ),
            rx.hstack(
                rx.icon("timer", size=16, color=rx.color("gray", 11)),
                rx.text(tk["first_response"], size="2", id="ticket-first-response"),
                align="center",
                spacing="2",
            ),
            rx.cond(
                tk["rating"] != "",
                rx.callout(
                    rx.vstack(
                        rx.text(tk["rating"], weight="medium"),
                        rx.cond(
                            tk["rating_comment"] != "", rx.text(tk["rating_comment"], size="2")
                        ),
                        spacing="1",
                    ),
                    icon="star",
                    color_scheme="green",
                    id="ticket-rating",
                    width="100%",
                ),
            ),
            rx.cond(CAN_EDIT, _controls()),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
    return shell(
        "admin",
        rx.cond(
            tk.contains("id"),
            rx.vstack(
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=16), tr("people_ui.sup.back")),
                    href="/admin/support",
                    size="2",
                ),
                head,
                rx.vstack(
                    rx.foreach(s.messages, _message),
                    spacing="3",
                    width="100%",
                    id="ticket-thread",
                ),
                rx.cond(CAN_EDIT, _reply_form()),
                spacing="4",
                width="100%",
            ),
        ),
        title_key="people_ui.sup.card_title",
    )
