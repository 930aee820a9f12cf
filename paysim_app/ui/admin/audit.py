"""/admin/audit: the log of every admin action (a declaration over the one list machinery),
filterable by admin, action, object and period, newest first. Each row shows what changed as
one readable line; "Details" under the table shows the whole before/after JSON of a row."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

import reflex as rx

from paysim_app.accounts import admins
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.overview import staff_lists
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import moment
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

# where an audited object is shown (entity -> the admin page of one object)
ENTITY_PAGES = {
    "sim": "/admin/sims/{}",
    "payment": "/admin/payments/{}",
    "subscriber": "/admin/subscribers/{}",
    "ticket": "/admin/support/{}",
    "admin_role": "/admin/admins/roles?role={}",
    "activation_request": "/admin/activations/{}",
}


def _options(values, locale: str) -> list[dict[str, str]]:
    return [{"value": ALL, "label": t("list.any", locale)}] + [
        {"value": v, "label": label} for v, label in values
    ]


class AdminAuditState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:audit.view"
    admin_options: list[dict[str, str]] = []
    action_options: list[dict[str, str]] = []
    entity_options: list[dict[str, str]] = []
    detail: dict[str, str] = {}

    def _spec(self):
        return staff_lists.AUDIT_LIST

    def _prepare(self, actor: Actor) -> None:
        loc = self.locale
        self.detail = {}
        res = self._call(admins.audit_filter_choices)  # (already in a worker thread)
        c = res.value if res else admins.AuditChoices((), (), ())
        self.admin_options = _options(((str(i), label) for i, label in c.admins), loc)
        self.action_options = _options(((a, a) for a in c.actions), loc)
        self.entity_options = _options(((e, e) for e in c.entities), loc)

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        page = ENTITY_PAGES.get(row["entity"])
        entity_id = row["entity_id"] or ""
        return {
            "when": moment(row["created_at"], loc),
            "who": row["actor_name"] or row["actor_login"] or t("admin_staff.audit.system", loc),
            "login": (row["actor_login"] or "") if row["actor_name"] else "",
            "action": row["action"],
            "change": staff_lists.audit_change(row["before"], row["after"]),
            "entity": f"{row['entity']} #{entity_id}" if entity_id else row["entity"],
            # an object without a page of its own links to its own history in this log
            "href": page.format(entity_id)
            if page and entity_id
            else f"/admin/audit?entity={quote(row['entity'])}&entity_id={quote(entity_id)}",
        }

    def _before_fetch(self) -> None:
        self.detail = {}

    @access("admin:audit.view")
    @rx.event
    async def load(self):
        return await self._start()

    @access("admin:audit.view")
    @rx.event
    def show(self, entry_id: str):
        """The whole before/after of one row of the page shown (or hidden when shown)."""
        if self.detail.get("id") == str(entry_id):
            self.detail = {}
            return
        row = next((r for r in self._raw if str(r.get("id")) == str(entry_id)), None)
        if row is None:
            self.detail = {}
            return
        loc = self.locale
        self.detail = {
            "id": str(row["id"]),
            "title": f"{row['action']} · {moment(row['created_at'], loc)}",
            "before": staff_lists.pretty_json(row["before"]) or "—",
            "after": staff_lists.pretty_json(row["after"]) or "—",
        }

    @rx.var
    def entries(self) -> list[dict[str, str]]:
        """The rows as links to their own detail: id + short label for the detail buttons."""
        return [{"id": str(r["id"]), "label": f"#{r['id']} {r['action']}"} for r in self._raw]


COLUMNS = [
    Column("when", "admin_staff.audit.col.when", mono=True),
    Column("who", "admin_staff.audit.col.who", hint="login"),
    Column("action", "admin_staff.audit.col.action", hint="change"),
    Column("entity", "admin_staff.audit.col.entity", link="href"),
]
FIELDS = [
    FilterField("admin", "admin_staff.audit.filter.admin", dynamic="admin_options"),
    FilterField("action", "admin_staff.audit.filter.action", dynamic="action_options"),
    FilterField("entity", "admin_staff.audit.filter.entity", dynamic="entity_options"),
    FilterField("from", "admin_staff.audit.filter.from", "date"),
    FilterField("to", "admin_staff.audit.filter.to", "date"),
]
SORTS = [("created_at", "admin_staff.audit.col.when")]


def _json_block(label_key: str, text, id_: str) -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), size="1", color=rx.color("gray", 11)),
        rx.el.pre(
            text,
            id=id_,
            style={
                "white_space": "pre-wrap",
                "overflow_wrap": "anywhere",
                "font_family": "var(--code-font-family)",
                "font_size": "13px",
                "margin": "0",
                "padding": "8px",
                "background": rx.color("gray", 3),
                "border_radius": "6px",
                "width": "100%",
            },
        ),
        spacing="1",
        width="100%",
        min_width="0",
    )


def _details() -> rx.Component:
    """A compact row of '#id action' buttons; the chosen one's JSON opens below."""
    s = AdminAuditState
    return rx.cond(
        s.entries.length() > 0,
        rx.card(
            rx.vstack(
                rx.text(tr("admin_staff_ui.audit.details"), weight="medium"),
                rx.flex(
                    rx.foreach(
                        s.entries,
                        lambda e: rx.button(
                            e["label"],
                            size="1",
                            variant=rx.cond(s.detail["id"] == e["id"], "solid", "soft"),
                            on_click=s.show(e["id"]),
                            class_name="audit-entry",
                        ),
                    ),
                    spacing="1",
                    wrap="wrap",
                ),
                rx.cond(
                    s.detail["id"],
                    rx.vstack(
                        rx.text(s.detail["title"], weight="medium", id="audit-detail-title"),
                        rx.grid(
                            _json_block(
                                "admin_staff.audit.col.before", s.detail["before"], "audit-before"
                            ),
                            _json_block(
                                "admin_staff.audit.col.after", s.detail["after"], "audit-after"
                            ),
                            columns=rx.breakpoints(initial="1", sm="2"),
                            spacing="3",
                            width="100%",
                        ),
                        spacing="2",
                        width="100%",
                        id="audit-detail",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
    )


def audit_page() -> rx.Component:
    s = AdminAuditState
    return shell(
        "admin",
        rx.vstack(
            list_view(
                s,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="admin-audit",
                search_key="admin_staff_ui.audit.search",
                empty_key="admin_staff.audit.empty",
            ),
            _details(),
            spacing="4",
            width="100%",
        ),
        title_key="admin_staff.audit.title",
    )
