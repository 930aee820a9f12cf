"""/admin/blocks: the blocks (tab "blocks", with the "block a SIM" form) and the owners' unblock
requests (tab "requests", kept in the URL as ?tab=requests), two declarations over the one list
machinery; /admin/blocks/[block_id]: one block with its unblock requests, lifted after a
confirmation, its pending unblock request approved or rejected with a reason."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.sims import BLOCK_REASONS, REQUEST_STATUSES, blocks
from paysim_app.sims import queue_lists as queues
from paysim_app.ui.access import access
from paysim_app.ui.admin.activations import (
    STATUS_COLOURS,
    default_pending,
    queue_detail_page,
    request_cells,
    show_refusal,
    status_word,
    tab_switch,
)
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.detail import (
    REASON_MAX,
    back_link,
    confirm_callout,
    info,
    info_grid,
    reject_form,
    submitted_reason,
    tab_label,
    tabs_header,
    title_row,
)
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import static_choice

TABS = ("blocks", "requests")
LIST_PATH = "/admin/blocks"
BLOCK_COLOURS = {"active": "red", "lifted": "gray"}
EMPTY_FORM = {"sim": "", "reason": "admin", "comment": ""}


def _who(name: str, role: str, loc: str) -> str:
    return f"{name} · {t(f'queues.by.{role}', loc)}" if role else name


# -- the blocks tab -------------------------------------------------------------------------------
class AdminBlocksState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:blocks.view"
    tab: str = "blocks"
    pending_unblocks: int = 0
    form: dict[str, str] = EMPTY_FORM
    form_error: str = ""
    form_field: str = ""

    def _spec(self):
        return queues.BLOCK_LIST

    def _prepare(self, actor: Actor) -> None:
        if not self._asked("status"):
            self.filters = {**self.filters, "status": "active"}
        counts = self._call(queues.pending_counts).value or {}
        self.pending_unblocks = counts.get("unblock_requests", 0)

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        lifted = (
            t("queues.lifted_on", loc, at=moment(row["lifted_at"], loc), by=row["lifted_by_name"])
            if row["lifted_at"]
            else ""
        )
        return {
            "no": f"#{row['id']}",
            "href": f"{LIST_PATH}/{row['id']}",
            "when": moment(row["blocked_at"], loc),
            "state": t(f"queues.block.{row['status']}", loc),
            "colour": BLOCK_COLOURS.get(row["status"], "gray"),
            "lifted": lifted,
            "reason": t(f"queues.reason.{row['reason']}", loc),
            "comment": row["comment"] or "",
            "who": _who(row["blocked_by_name"], row["blocked_by_role"], loc),
            "sim": phone(row["msisdn"]),
            "sim_href": f"/admin/sims/{row['sim_id']}",
            "subscriber": row["subscriber_name"] or "—",
            "unblock": t("queues.unblock_requested", loc) if row["unblock_requested"] else "",
            "unblock_colour": "amber",
        }

    @access("admin:blocks.view")
    @rx.event
    async def load(self):
        raw = self.router.page.params.get("tab", "")
        self.tab = raw if raw in TABS else "blocks"
        self.form, self.form_error, self.form_field = dict(EMPTY_FORM), "", ""
        return await self._start()

    @access("admin:blocks.view")
    @rx.event
    def set_tab(self, value: str):
        if value in TABS:
            self.tab = value
            return tab_switch(LIST_PATH, value, "blocks")
        return None

    @access("admin:blocks.edit")
    @rx.event
    def set_form(self, name: str, value: str):
        if name in EMPTY_FORM:
            self.form = {**self.form, name: str(value)[:600]}
            if name == self.form_field:
                self.form_error, self.form_field = "", ""

    @access("admin:blocks.edit")
    @rx.event
    def block(self, _form: dict | None = None):
        self.form_error, self.form_field = "", ""
        f = self.form
        res = self._call(queues.block_found_sim, f["sim"], f["reason"], f["comment"])
        if not res:
            self.form_error, self.form_field = res.error, res.field
            return res.redirect
        self.form = dict(EMPTY_FORM)
        self.page = 1
        self._fetch()
        return rx.toast.success(self._t("queues.blocked", sim=phone(res.value.msisdn)))


BLOCK_COLUMNS = [
    Column("no", "queues.col.no", mono=True, link="href"),
    Column("when", "queues.col.blocked_at", hint="who"),
    Column("state", "queues.col.status", badge="colour", hint="lifted"),
    Column("sim", "queues.col.sim", link="sim_href", hint="subscriber"),
    Column("reason", "queues.col.block_reason", hint="comment"),
    Column("unblock", "queues.col.unblock", badge="unblock_colour"),
]
BLOCK_FIELDS = [
    FilterField(
        "status",
        "queues.col.status",
        options=[(ALL, "list.any")] + [(s, f"queues.block.{s}") for s in queues.BLOCK_STATES],
    ),
    FilterField(
        "reason",
        "queues.col.block_reason",
        options=[(ALL, "list.any")] + [(r, f"queues.reason.{r}") for r in BLOCK_REASONS],
    ),
    FilterField(
        "unblock",
        "queues.col.unblock",
        options=[(ALL, "list.any"), (queues.YES, "queues.unblock_requested")],
    ),
    FilterField("date_from", "queues.date_from", "date"),
    FilterField("date_to", "queues.date_to", "date"),
]
BLOCK_SORTS = [
    ("blocked_at", "queues.col.blocked_at"),
    ("lifted_at", "queues.col.lifted_at"),
    ("reason", "queues.col.block_reason"),
]


# -- the unblock requests tab ---------------------------------------------------------------------
class AdminUnblocksState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:blocks.view"

    def _spec(self):
        return queues.UNBLOCK_LIST

    def _prepare(self, actor: Actor) -> None:
        default_pending(self)

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        return request_cells(row, loc, f"{LIST_PATH}/{row['block_id']}") | {
            "sim": phone(row["msisdn"]),
            "sim_href": f"/admin/sims/{row['sim_id']}",
            "requester": row["requester_name"] or row["requester_login"],
            "contract": row["contract_no"],
            "reason": t(f"queues.reason.{row['block_reason']}", loc),
            "blocked": moment(row["blocked_at"], loc),
            "comment": row["comment"] or "",
        }

    @access("admin:blocks.view")
    @rx.event
    async def load(self):
        return await self._start()


UNBLOCK_COLUMNS = [
    Column("no", "queues.col.no", mono=True, link="href"),
    Column("created", "queues.col.created", mono=True),
    Column("status", "queues.col.status", badge="colour", hint="decided"),
    Column("sim", "queues.col.sim", mono=True, link="sim_href"),
    Column("requester", "queues.col.requester", hint="contract"),
    Column("reason", "queues.col.block_reason", hint="blocked"),
    Column("comment", "queues.col.comment"),
]
UNBLOCK_FIELDS = [
    FilterField(
        "status",
        "queues.col.status",
        options=[(ALL, "list.any")] + [(s, f"queues.status.{s}") for s in REQUEST_STATUSES],
    ),
]
UNBLOCK_SORTS = [("created_at", "queues.col.created"), ("status", "queues.col.status")]


def _block_form() -> rx.Component:
    s = AdminBlocksState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("queues.block_title"), size="4", as_="h2"),
                rx.grid(
                    labelled(
                        "block-sim",
                        tr("queues.block_sim"),
                        rx.input(
                            id="block-sim",
                            value=s.form["sim"],
                            placeholder=tr("queues.block_sim_hint"),
                            size="3",
                            width="100%",
                            input_mode="numeric",
                            on_change=lambda v: s.set_form("sim", v),
                            aria_invalid=rx.cond(s.form_field == "sim", "true", "false"),
                        ),
                        rx.cond(s.form_field == "sim", s.form_error, ""),
                    ),
                    static_choice(
                        [(r, f"queues.reason.{r}") for r in BLOCK_REASONS],
                        s.form["reason"],
                        lambda v: s.set_form("reason", v),
                        "block-reason",
                        "queues.col.block_reason",
                    ),
                    labelled(
                        "block-comment",
                        tr("queues.col.comment"),
                        rx.input(
                            id="block-comment",
                            value=s.form["comment"],
                            size="3",
                            width="100%",
                            on_change=lambda v: s.set_form("comment", v),
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", sm="3"),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    (s.form_error != "") & (s.form_field != "sim"),
                    error_banner(s.form_error, id_="block-error"),
                ),
                rx.button(
                    rx.icon("ban", size=16),
                    tr("queues.block_submit"),
                    color_scheme="red",
                    size="3",
                    type="submit",
                    id="block-submit",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=s.block,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def blocks_page() -> rx.Component:
    s = AdminBlocksState
    return shell(
        "admin",
        rx.vstack(
            tabs_header(
                s,
                rx.tabs.trigger(tr("queues.tab.blocks"), value="blocks", id="tab-blocks"),
                rx.tabs.trigger(
                    tab_label("queues.tab.unblocks", s.pending_unblocks),
                    value="requests",
                    id="tab-unblocks",
                ),
                panel=rx.cond(
                    s.tab == "requests",
                    list_view(
                        AdminUnblocksState,
                        UNBLOCK_COLUMNS,
                        UNBLOCK_FIELDS,
                        UNBLOCK_SORTS,
                        id_="admin-unblocks",
                        search_key="queues.search.blocks",
                        empty_key="queues.empty",
                    ),
                    rx.vstack(
                        rx.cond(SessionState.permissions.contains("blocks.edit"), _block_form()),
                        list_view(
                            s,
                            BLOCK_COLUMNS,
                            BLOCK_FIELDS,
                            BLOCK_SORTS,
                            id_="admin-blocks",
                            search_key="queues.search.blocks",
                            empty_key="queues.empty_blocks",
                        ),
                        spacing="4",
                        width="100%",
                    ),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="queues.blocks_title",
    )


# -- one block ------------------------------------------------------------------------------------
class AdminBlockState(SessionState):
    block: dict = {}
    requests: list[dict[str, str]] = []
    confirm_lift: bool = False
    reason: str = ""
    reason_error: str = ""
    error: str = ""
    _pending_id: int = 0

    def _block_id(self) -> int | None:
        raw = self.router.page.params.get("block_id", "")
        return optional_id(raw)

    def _show(self, block_id: int) -> bool:
        """The block; False when it cannot be shown (gone, or nobody signed in)."""
        res = self._call(blocks.block_detail, block_id)
        if not res:
            return False
        d, loc = res.value, self.locale
        pending = next((r for r in d.unblock_requests if r.status == "pending"), None)
        self._pending_id = pending.id if pending else 0
        state = "active" if d.is_active else "lifted"
        self.block = {
            "id": str(d.id),
            "title": t("queues.block_card", loc, no=d.id),
            "state": t(f"queues.block.{state}", loc),
            "colour": BLOCK_COLOURS[state],
            "when": moment(d.blocked_at, loc),
            "reason": t(f"queues.reason.{d.reason}", loc),
            "comment": d.comment or "—",
            "who": _who(
                " · ".join(x for x in (d.blocked_by_name, d.blocked_by_login) if x),
                d.blocked_by_role,
                loc,
            ),
            "sim": phone(d.msisdn),
            "sim_href": f"/admin/sims/{d.sim_id}",
            "iccid": d.iccid,
            "sim_status": t(f"sim.status.{d.sim_status}", loc),
            "balance": money(d.balance_kop, loc),
            "subscriber": f"{d.subscriber_name} ({d.contract_no})" if d.contract_no else "—",
            "subscriber_href": f"/admin/subscribers/{d.subscriber_id}" if d.subscriber_id else "",
            "partner": d.partner_name or "—",
            "previous": t(f"sim.status.{d.previous_status}", loc),
            "returns": t(f"sim.status.{d.return_status}", loc),
            "lifted": (f"{moment(d.lifted_at, loc)} · {d.lifted_by_name}" if d.lifted_at else ""),
            "can_lift": "1" if d.can_lift else "",
            "pending": (
                t(
                    "queues.pending_unblock",
                    loc,
                    who=pending.requester_name or pending.requester_login,
                    at=moment(pending.created_at, loc),
                )
                if pending
                else ""
            ),
            "pending_comment": pending.comment if pending else "",
        }
        self.requests = [
            {
                "created": moment(r.created_at, loc),
                "who": r.requester_name or r.requester_login,
                "comment": r.comment or "",
                "status": status_word(r.status, loc),
                "colour": STATUS_COLOURS.get(r.status, "gray"),
                "decided": (
                    f"{moment(r.decided_at, loc)} · {r.decided_by_name}" if r.decided_at else ""
                ),
            }
            for r in d.unblock_requests
        ]
        return True

    @access("admin:blocks.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "blocks.view")
        if redirect:
            return redirect
        self.confirm_lift, self.reason, self.reason_error, self.error = False, "", "", ""
        block_id = self._block_id()
        if block_id is None or not self._show(block_id):
            return rx.redirect(LIST_PATH)
        return None

    @access("admin:blocks.edit")
    @rx.event
    def ask_lift(self, value: bool = True):
        self.confirm_lift = bool(value)

    def _done(self, message: str, path: str):
        return [rx.toast.success(message), rx.redirect(path)]

    @access("admin:blocks.edit")
    @rx.event
    def lift(self):
        block_id = self._block_id()
        if block_id is None:
            return rx.redirect("/login")
        self.confirm_lift, self.error = False, ""
        res = self._call(blocks.lift_block, block_id)
        if not res:
            self.error = res.error
            return res.redirect
        word = t(f"sim.status.{res.value}", self.locale)
        return self._done(self._t("queues.lifted", sim=self.block["sim"], status=word), LIST_PATH)

    @access("admin:blocks.edit")
    @rx.event
    def approve_unblock(self):
        self.error = ""
        res = self._call(blocks.approve_unblock, self._pending_id)
        if not res:
            self.error = res.error
            return res.redirect
        word = t(f"sim.status.{res.value}", self.locale)
        message = self._t("queues.unblock_approved", sim=self.block["sim"], status=word)
        return self._done(message, f"{LIST_PATH}?tab=requests")

    @access("admin:blocks.edit")
    @rx.event
    def set_reason(self, value: str):
        self.reason = str(value)[:REASON_MAX]
        self.reason_error = ""

    @access("admin:blocks.edit")
    @rx.event
    def reject(self, form: dict | None = None):
        self.error, self.reason_error = "", ""
        res = self._call(blocks.reject_unblock, self._pending_id, submitted_reason(self, form))
        if not show_refusal(self, res):
            return res.redirect
        message = self._t("queues.unblock_rejected", sim=self.block["sim"])
        return self._done(message, f"{LIST_PATH}?tab=requests")


REQUEST_COLUMNS = [
    Column("created", "queues.col.created", mono=True),
    Column("who", "queues.col.requester", hint="comment"),
    Column("status", "queues.col.status", badge="colour", hint="decided"),
]


def _lift_card() -> rx.Component:
    s = AdminBlockState
    b = s.block
    return rx.card(
        rx.vstack(
            rx.text(tr("queues.lift_returns"), " ", rx.text.strong(b["returns"])),
            rx.cond(
                s.confirm_lift,
                confirm_callout(
                    "queues.lift_confirm",
                    "queues.lift",
                    "queues.cancel",
                    s.lift,
                    s.ask_lift(False),
                    "block-lift-yes",
                    colour="amber",
                    yes_colour="green",
                    row=rx.hstack,
                ),
                rx.button(
                    rx.icon("lock-open", size=16),
                    tr("queues.lift"),
                    size="3",
                    color_scheme="green",
                    on_click=s.ask_lift(True),
                    id="block-lift",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _unblock_card() -> rx.Component:
    s = AdminBlockState
    b = s.block
    return rx.card(
        rx.vstack(
            rx.heading(tr("queues.unblock_decision"), size="4", as_="h2"),
            rx.text(b["pending"], id="block-pending"),
            rx.cond(b["pending_comment"] != "", rx.text(b["pending_comment"], size="2")),
            rx.button(
                rx.icon("check", size=16),
                tr("queues.unblock_approve"),
                size="3",
                color_scheme="green",
                on_click=s.approve_unblock,
                id="unblock-approve",
            ),
            rx.divider(),
            reject_form(s, "unblock"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def block_page() -> rx.Component:
    s = AdminBlockState
    b = s.block
    edit = (b["can_lift"] == "1") & SessionState.permissions.contains("blocks.edit")
    return queue_detail_page(
        b,
        back_link(LIST_PATH, "queues.back_blocks"),
        title_row(b["title"], b["state"], b["colour"], "block"),
        [
            info_grid(
                info("queues.col.sim", b["sim"], "block-sim-link", b["sim_href"]),
                info("queues.col.iccid", b["iccid"], "block-iccid"),
                info("queues.col.sim_status", b["sim_status"], "block-sim-status"),
                info("queues.col.blocked_at", b["when"], "block-when"),
                info("queues.col.block_reason", b["reason"], "block-reason-text"),
                info("queues.col.comment", b["comment"], "block-comment-text"),
                info("queues.col.blocked_by", b["who"], "block-who"),
                info(
                    "queues.col.subscriber",
                    b["subscriber"],
                    "block-subscriber",
                    b["subscriber_href"],
                ),
                info("queues.col.partner", b["partner"], "block-partner"),
                info("queues.balance", b["balance"], "block-balance"),
                info("queues.previous_status", b["previous"], "block-previous"),
                rx.cond(
                    b["lifted"] != "",
                    info("queues.col.lifted_at", b["lifted"], "block-lifted"),
                ),
            ),
        ],
        [
            error_banner(s.error, id_="block-detail-error"),
            rx.cond(edit & (b["pending"] != ""), _unblock_card()),
            rx.cond(edit, _lift_card()),
            rx.heading(tr("queues.unblock_history"), size="4", as_="h2"),
            data_table(REQUEST_COLUMNS, s.requests, "queues.no_unblocks", "block-requests"),
        ],
        "queues.block_page_title",
    )
