"""/admin/activations: the activation queue (tab "requests") and the tariff-change requests
(tab "tariffs", kept in the URL as ?tab=tariffs), two declarations over the one list machinery;
/admin/activations/[request_id]: one activation request, approved (with a tariff override) or
rejected with a reason; /admin/activations/tariffs/[change_id]: one tariff-change request with
the amount approving it would settle, approved or rejected with a reason."""

from __future__ import annotations

import json
from typing import ClassVar

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.sims import REQUEST_STATUSES, TARIFF_CHANGE_WHEN, activations, tariff_changes
from paysim_app.sims import queue_lists as queues
from paysim_app.ui.access import access
from paysim_app.ui.admin.orders import orders_tab
from paysim_app.ui.auth.session import Outcome, SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.detail import (
    REASON_MAX,
    back_link,
    info,
    info_grid,
    reject_form,
    submitted_reason,
    tab_label,
    tabs_header,
    title_row,
)
from paysim_app.ui.components.format import day, moment, money, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import choice, static_choice

STATUS_COLOURS = {
    "pending": "amber",
    "scheduled": "blue",
    "approved": "green",
    "rejected": "red",
    "cancelled": "gray",
}
TABS = ("requests", "tariffs", "orders")  # orders: ui/admin/orders.py
LIST_PATH = "/admin/activations"


def status_word(status: str, loc: str) -> str:
    return t(f"queues.status.{status}", loc)


def default_pending(state: ListMixin) -> None:
    """A queue opens on what waits for a decision, unless the link asks for another status."""
    if not state._asked("status"):
        state.filters = {**state.filters, "status": "pending"}


def tab_switch(path: str, tab: str, first: str) -> rx.event.EventSpec:
    """Keep the tab in the address bar (a reload or a shared link opens the same tab); the
    lists' own keys stay (each tab's under its prefix, so neither reads the other's)."""
    value = "" if tab == first else tab
    return rx.call_script(
        "((path, tab) => { const u = new URL(window.location.href);"
        " if (u.pathname.replace(/\\/+$/, '') !== path) return;"  # /admin/activations/ too
        " if (tab) u.searchParams.set('tab', tab); else u.searchParams.delete('tab');"
        " window.history.replaceState(window.history.state, '', u.pathname + u.search); })"
        f"({json.dumps(path)}, {json.dumps(value)})"
    )


def request_cells(row: dict, loc: str, href: str) -> dict[str, str]:
    """The number, link, creation time, status and decision cells of a queue row."""
    return {
        "no": f"#{row['id']}",
        "href": href,
        "created": moment(row["created_at"], loc),
        "status": status_word(row["status"], loc),
        "colour": STATUS_COLOURS.get(row["status"], "gray"),
        "decided": (
            f"{moment(row['decided_at'], loc)} · {row['decided_by_name']}"
            if row["decided_at"]
            else ""
        ),
    }


def show_refusal(state, res: Outcome) -> Outcome:
    """A decision's outcome on a detail state with `error` and `reason_error`: a refusal of the
    reason shows under the reason field, any other refusal in the error banner."""
    if not res:
        if res.field == "reason":
            state.reason_error = res.error
        else:
            state.error = res.error
    return res


# -- the activation requests tab --------------------------------------------------------------
class AdminActivationsState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:activations.view"
    tab: str = "requests"
    partner_options: list[dict[str, str]] = []
    pending_requests: int = 0
    pending_changes: int = 0

    def _spec(self):
        return queues.ACTIVATION_LIST

    def _prepare(self, actor: Actor) -> None:
        default_pending(self)
        partners = self._call(queues.partner_choices).value or []
        counts = self._call(queues.pending_counts).value or {}
        self.partner_options = [{"value": ALL, "label": t("list.any", self.locale)}] + [
            {"value": c.value, "label": c.label} for c in partners
        ]
        self.pending_requests = counts.get("activations", 0)
        self.pending_changes = counts.get("tariff_changes", 0)

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        customer = row["customer_name"] or row["subscriber_name"]
        return request_cells(row, loc, f"{LIST_PATH}/{row['id']}") | {
            "kind": t(f"queues.kind.{row['requester_role']}", loc),
            "requester": row["requester_name"] or row["requester_login"],
            "sim": phone(row["msisdn"]),
            "sim_href": f"/admin/sims/{row['sim_id']}",
            "iccid": row["iccid"],
            "customer": customer or "—",
            "contract": row["contract_no"],
            "partner": row["partner_name"] or "—",
            "tariff": row["tariff_name"] or "—",
            "reason": row["reason"] or "",
        }

    @access("admin:activations.view")
    @rx.event
    async def load(self):
        raw = self.router.page.params.get("tab", "")
        self.tab = raw if raw in TABS else "requests"
        return await self._start()

    @access("admin:activations.view")
    @rx.event
    def set_tab(self, value: str):
        if value in TABS:
            self.tab = value
            return tab_switch(LIST_PATH, value, "requests")
        return None


STATUS_OPTIONS = [(ALL, "list.any")] + [(s, f"queues.status.{s}") for s in REQUEST_STATUSES]
ACTIVATION_COLUMNS = [
    Column("no", "queues.col.no", mono=True, link="href"),
    Column("created", "queues.col.created", mono=True),
    Column("status", "queues.col.status", badge="colour", hint="decided"),
    Column("kind", "queues.col.requester_kind", hint="requester"),
    Column("sim", "queues.col.sim", mono=True, link="sim_href", hint="iccid"),
    Column("customer", "queues.col.customer", hint="contract"),
    Column("partner", "queues.col.partner"),
    Column("tariff", "queues.col.tariff", hint="reason"),
]
ACTIVATION_FIELDS = [
    FilterField("status", "queues.col.status", options=STATUS_OPTIONS),
    FilterField(
        "requester",
        "queues.col.requester_kind",
        options=[(ALL, "list.any")] + [(k, f"queues.kind.{k}") for k in queues.REQUESTER_KINDS],
    ),
    FilterField("partner", "queues.col.partner", dynamic="partner_options"),
    FilterField("date_from", "queues.date_from", "date"),
    FilterField("date_to", "queues.date_to", "date"),
]
REQUEST_SORTS = [
    ("created_at", "queues.col.created"),
    ("decided_at", "queues.col.decided"),
    ("status", "queues.col.status"),
]


# -- the tariff-change requests tab -------------------------------------------------------------
class AdminTariffChangesState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:activations.view"

    def _spec(self):
        return queues.TARIFF_CHANGE_LIST

    def _prepare(self, actor: Actor) -> None:
        default_pending(self)

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        return request_cells(row, loc, f"{LIST_PATH}/tariffs/{row['id']}") | {
            "sim": phone(row["msisdn"]),
            "sim_href": f"/admin/sims/{row['sim_id']}",
            "subscriber": row["subscriber_name"] or "—",
            "contract": row["contract_no"],
            "change": f"{row['from_tariff_name'] or '—'} → {row['to_tariff_name']}",
            "fees": (f"{money(row['from_fee_kop'] or 0, loc)} → {money(row['to_fee_kop'], loc)}"),
            "when": t(f"tariffs.when.{row['effective']}", loc),
            "reason": row["reason"] or "",
        }

    @access("admin:activations.view")
    @rx.event
    async def load(self):
        return await self._start()


CHANGE_COLUMNS = [
    Column("no", "queues.col.no", mono=True, link="href"),
    Column("created", "queues.col.created", mono=True),
    Column("status", "queues.col.status", badge="colour", hint="decided"),
    Column("sim", "queues.col.sim", mono=True, link="sim_href"),
    Column("subscriber", "queues.col.subscriber", hint="contract"),
    Column("change", "queues.col.change", hint="fees"),
    Column("when", "queues.col.when", hint="reason"),
]
CHANGE_FIELDS = [
    FilterField("status", "queues.col.status", options=STATUS_OPTIONS),
    FilterField("date_from", "queues.date_from", "date"),
    FilterField("date_to", "queues.date_to", "date"),
]


def activations_page() -> rx.Component:
    s = AdminActivationsState
    return shell(
        "admin",
        rx.vstack(
            tabs_header(
                s,
                rx.tabs.trigger(
                    tab_label("queues.tab.requests", s.pending_requests),
                    value="requests",
                    id="tab-requests",
                ),
                rx.tabs.trigger(
                    tab_label("queues.tab.tariffs", s.pending_changes),
                    value="tariffs",
                    id="tab-tariffs",
                ),
                rx.tabs.trigger(tr("orders.tab"), value="orders", id="tab-orders"),
                panel=rx.cond(
                    s.tab == "orders",
                    orders_tab(),
                    rx.cond(
                        s.tab == "tariffs",
                        list_view(
                            AdminTariffChangesState,
                            CHANGE_COLUMNS,
                            CHANGE_FIELDS,
                            REQUEST_SORTS,
                            id_="admin-tariff-changes",
                            search_key="queues.search.changes",
                            empty_key="queues.empty",
                        ),
                        list_view(
                            s,
                            ACTIVATION_COLUMNS,
                            ACTIVATION_FIELDS,
                            REQUEST_SORTS,
                            id_="admin-activations",
                            search_key="queues.search.requests",
                            empty_key="queues.empty",
                        ),
                    ),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="queues.activations_title",
    )


def decision_card(state, can_decide, picker: rx.Component, id_: str, *notes: rx.Component):
    """For a request that waits and an admin allowed to decide: the picker beside the approve
    button, `notes`, the error, and the reject form; otherwise just the error banner."""
    return rx.cond(
        can_decide & SessionState.permissions.contains("activations.edit"),
        rx.card(
            rx.vstack(
                rx.heading(tr("queues.decision"), size="4", as_="h2"),
                rx.flex(
                    picker,
                    rx.button(
                        rx.icon("check", size=16),
                        tr("queues.approve"),
                        size="3",
                        color_scheme="green",
                        on_click=state.approve,
                        id=f"{id_}-approve",
                    ),
                    spacing="3",
                    align="end",
                    wrap="wrap",
                    width="100%",
                ),
                *notes,
                error_banner(state.error, id_=f"{id_}-error"),
                rx.divider(),
                reject_form(state, id_),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        error_banner(state.error, id_=f"{id_}-error"),
    )


def queue_detail_page(
    record, back: rx.Component, title: rx.Component, body, after, title_key: str
) -> rx.Component:
    """A queue item's page (once `record` is loaded): the back link, a card with the title row
    and `body`, then `after` (the decision or the actions)."""
    return shell(
        "admin",
        rx.cond(
            record.contains("id"),
            rx.vstack(
                back,
                rx.card(
                    rx.vstack(title, *body, spacing="3", width="100%"),
                    width="100%",
                ),
                *after,
                spacing="4",
                width="100%",
            ),
        ),
        title_key=title_key,
    )


# -- one activation request -----------------------------------------------------------------------
class AdminActivationState(SessionState):
    request: dict = {}
    tariff_options: list[dict[str, str]] = []
    tariff_id: str = ""
    reason: str = ""
    reason_error: str = ""
    error: str = ""

    def _request_id(self) -> int | None:
        raw = self.router.page.params.get("request_id", "")
        return optional_id(raw)

    def _show(self, request_id: int) -> bool:
        """The request; False when it cannot be shown (gone, or nobody signed in)."""
        found = self._call(activations.activation_detail, request_id)
        offers = self._call(queues.tariff_choices) if found else found
        if not offers:
            return False
        d, tariffs, loc = found.value, offers.value, self.locale
        self.request = {
            "id": str(d.id),
            "title": t("queues.request_title", loc, no=d.id),
            "status": status_word(d.status, loc),
            "colour": STATUS_COLOURS.get(d.status, "gray"),
            "created": moment(d.created_at, loc),
            "kind": t(f"queues.kind.{d.kind}", loc),
            "sim": phone(d.msisdn),
            "sim_href": f"/admin/sims/{d.sim_id}",
            "iccid": d.iccid,
            "imsi": d.imsi,
            "sim_status": t(f"sim.status.{d.sim_status}", loc),
            "requester": " · ".join(x for x in (d.requester_name, d.requester_login) if x) or "—",
            "partner": d.partner_name or "—",
            "contract": (
                f"{d.subscriber_name} ({d.contract_no})"
                if d.contract_no
                else t("queues.new_contract", loc)
            ),
            "contract_href": f"/admin/subscribers/{d.subscriber_id}" if d.subscriber_id else "",
            "existing": d.existing_contract_no,
            "customer": d.customer_name or d.subscriber_name or "—",
            "phone": phone(d.customer_phone) if d.customer_phone else "—",
            "email": d.customer_email or "—",
            "document": d.customer_document or "—",
            "tariff": (
                f"{d.tariff_name} · {money(d.tariff_fee_kop, loc)}" if d.tariff_name else "—"
            ),
            "reason": d.reason or "",
            "decided": (
                f"{moment(d.decided_at, loc)} · {d.decided_by_name}" if d.decided_at else ""
            ),
            "can_decide": "1" if d.can_decide else "",
        }
        self.tariff_options = [{"value": c.value, "label": c.label} for c in tariffs]
        offered = {c.value for c in tariffs}
        self.tariff_id = str(d.tariff_id) if str(d.tariff_id) in offered else ""
        return True

    @access("admin:activations.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "activations.view")
        if redirect:
            return redirect
        self.reason, self.reason_error, self.error = "", "", ""
        request_id = self._request_id()
        if request_id is None or not self._show(request_id):
            return rx.redirect(LIST_PATH)
        return None

    @access("admin:activations.edit")
    @rx.event
    def set_tariff(self, value: str):
        self.tariff_id = str(value)[:12]

    @access("admin:activations.edit")
    @rx.event
    def set_reason(self, value: str):
        self.reason = str(value)[:REASON_MAX]
        self.reason_error = ""

    @access("admin:activations.edit")
    @rx.event
    def approve(self):
        request_id = self._request_id()
        if request_id is None:
            return rx.redirect("/login")
        self.error, self.reason_error = "", ""
        tariff_id = optional_id(self.tariff_id)
        res = self._call(activations.approve_activation, request_id, tariff_id)
        if not res:
            self.error = res.error
            return res.redirect
        result = res.value
        key = "queues.approved_new" if result.created_subscriber else "queues.approved"
        return [
            rx.toast.success(self._t(key, no=request_id, contract=result.contract_no)),
            rx.redirect(LIST_PATH),
        ]

    @access("admin:activations.edit")
    @rx.event
    def reject(self, form: dict | None = None):
        request_id = self._request_id()
        if request_id is None:
            return rx.redirect("/login")
        self.error, self.reason_error = "", ""
        res = self._call(activations.reject_activation, request_id, submitted_reason(self, form))
        if not show_refusal(self, res):
            return res.redirect
        return [
            rx.toast.success(self._t("queues.rejected", no=request_id)),
            rx.redirect(LIST_PATH),
        ]


def decided_grid(r, id_: str) -> rx.Component:
    """When and by whom a request was decided, with the rejection reason."""
    return rx.cond(
        r["decided"] != "",
        info_grid(
            info("queues.col.decided", r["decided"], f"{id_}-decided"),
            rx.cond(r["reason"] != "", info("queues.col.reason", r["reason"], f"{id_}-reason")),
        ),
    )


def activation_page() -> rx.Component:
    s = AdminActivationState
    r = s.request
    decide = decision_card(
        s,
        r["can_decide"] == "1",
        choice(
            s.tariff_options,
            s.tariff_id,
            s.set_tariff,
            "activation-tariff",
            "queues.tariff_override",
            width="auto",
        ),
        "activation",
        rx.cond(
            r["existing"] != "",
            rx.callout(
                rx.text(tr("queues.existing_contract"), " ", r["existing"]),
                icon="info",
                width="100%",
            ),
        ),
    )
    return queue_detail_page(
        r,
        back_link(LIST_PATH, "queues.back_activations"),
        title_row(r["title"], r["status"], r["colour"], "activation"),
        [
            info_grid(
                info("queues.col.created", r["created"], "activation-created"),
                info("queues.col.requester_kind", r["kind"], "activation-kind"),
                info("queues.col.requester", r["requester"], "activation-requester"),
                info("queues.col.partner", r["partner"], "activation-partner"),
                info("queues.col.sim", r["sim"], "activation-sim", r["sim_href"]),
                info("queues.col.iccid", r["iccid"], "activation-iccid"),
                info("queues.col.imsi", r["imsi"], "activation-imsi"),
                info("queues.col.sim_status", r["sim_status"], "activation-sim-status"),
                info("queues.col.tariff", r["tariff"], "activation-tariff-name"),
            ),
            rx.divider(),
            rx.heading(tr("queues.customer_data"), size="3", as_="h2"),
            info_grid(
                info("queues.col.customer", r["customer"], "activation-customer"),
                info("queues.phone", r["phone"], "activation-phone"),
                info("queues.email", r["email"], "activation-email"),
                info("queues.document", r["document"], "activation-document"),
                info(
                    "queues.col.contract",
                    r["contract"],
                    "activation-contract",
                    r["contract_href"],
                ),
            ),
            decided_grid(r, "activation"),
        ],
        [decide],
        "queues.activation_title",
    )


# -- one tariff-change request --------------------------------------------------------------------
class AdminTariffChangeState(SessionState):
    change: dict = {}
    when: str = ""
    reason: str = ""
    reason_error: str = ""
    error: str = ""

    def _change_id(self) -> int | None:
        raw = self.router.page.params.get("change_id", "")
        return optional_id(raw)

    def _show(self, change_id: int) -> Outcome:
        res = self._call(queues.tariff_change_detail, change_id, self.when or None)
        if not res:
            return res
        d, loc = res.value, self.locale
        self.when = d.when
        if d.difference_kop > 0:
            settle = t("queues.settle.charge", loc, amount=money(d.difference_kop, loc))
        elif d.difference_kop < 0:
            settle = t("queues.settle.credit", loc, amount=money(-d.difference_kop, loc))
        else:
            settle = t("queues.settle.none", loc)
        self.change = {
            "id": str(d.id),
            "title": t("queues.change_title", loc, no=d.id),
            "status": status_word(d.status, loc),
            "colour": STATUS_COLOURS.get(d.status, "gray"),
            "created": moment(d.created_at, loc),
            "sim": phone(d.msisdn),
            "sim_href": f"/admin/sims/{d.sim_id}",
            "sim_status": t(f"sim.status.{d.sim_status}", loc),
            "balance": money(d.balance_kop, loc),
            "subscriber": (f"{d.subscriber_name} ({d.contract_no})" if d.contract_no else "—"),
            "subscriber_href": (f"/admin/subscribers/{d.subscriber_id}" if d.subscriber_id else ""),
            "requester": d.requester_name or "—",
            "from": f"{d.current_tariff_name or '—'} · {money(d.current_fee_kop, loc)}",
            "to": f"{d.to_tariff_name} · {money(d.new_fee_kop, loc)}",
            "asked": t(f"tariffs.when.{d.requested_when}", loc),
            "effective": day(d.effective_date, loc),
            "settle": settle,
            "days": (
                t("queues.settle.days", loc, days=d.days_left, period=d.period_days)
                if d.when == "now"
                else ""
            ),
            "short": (
                t("queues.settle.short", loc, amount=money(d.balance_short_kop, loc))
                if d.balance_short_kop
                else ""
            ),
            "reason": d.reason,
            "decided": (
                f"{moment(d.decided_at, loc)} · {d.decided_by_name}" if d.decided_at else ""
            ),
            "can_decide": "1" if d.can_decide else "",
            "can_cancel": "1" if d.can_cancel else "",
        }
        return res

    @access("admin:activations.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "activations.view")
        if redirect:
            return redirect
        self.reason, self.reason_error, self.error, self.when = "", "", "", ""
        change_id = self._change_id()
        if change_id is None or not self._show(change_id):
            return rx.redirect(f"{LIST_PATH}?tab=tariffs")
        return None

    @access("admin:activations.view")
    @rx.event
    def set_when(self, value: str):
        change_id = self._change_id()
        if change_id is None or value not in TARIFF_CHANGE_WHEN:
            return None
        self.when, self.error = value, ""
        res = self._show(change_id)
        if not res:
            self.error = res.error
        return None

    @access("admin:activations.edit")
    @rx.event
    def set_reason(self, value: str):
        self.reason = str(value)[:REASON_MAX]
        self.reason_error = ""

    @access("admin:activations.edit")
    @rx.event
    def approve(self):
        change_id = self._change_id()
        if change_id is None:
            return rx.redirect("/login")
        self.error, self.reason_error = "", ""
        res = self._call(tariff_changes.approve_change, change_id, self.when or None)
        if not res:
            self.error = res.error
            return res.redirect
        result, loc = res.value, self.locale
        if result.difference_kop > 0:
            settled = t("queues.settle.charged", loc, amount=money(result.difference_kop, loc))
        elif result.difference_kop < 0:
            settled = t("queues.settle.credited", loc, amount=money(-result.difference_kop, loc))
        else:
            settled = ""
        message = self._t(
            "queues.change_approved", no=change_id, date=day(result.effective_date, loc)
        )
        return [
            rx.toast.success(f"{message} {settled}".strip()),
            rx.redirect(f"{LIST_PATH}?tab=tariffs"),
        ]

    @access("admin:activations.edit")
    @rx.event
    def reject(self, form: dict | None = None):
        change_id = self._change_id()
        if change_id is None:
            return rx.redirect("/login")
        self.error, self.reason_error = "", ""
        res = self._call(tariff_changes.reject_change, change_id, submitted_reason(self, form))
        if not show_refusal(self, res):
            return res.redirect
        return [
            rx.toast.success(self._t("queues.change_rejected", no=change_id)),
            rx.redirect(f"{LIST_PATH}?tab=tariffs"),
        ]

    @access("admin:activations.edit")
    @rx.event
    def cancel_scheduled(self, form: dict | None = None):
        """Cancel a scheduled change before the billing cycle applies it, with a reason the
        subscriber is told."""
        change_id = self._change_id()
        if change_id is None:
            return rx.redirect("/login")
        self.error, self.reason_error = "", ""
        res = self._call(tariff_changes.cancel_scheduled, change_id, submitted_reason(self, form))
        if not show_refusal(self, res):
            return res.redirect
        return [
            rx.toast.success(self._t("queues.change_cancelled", no=change_id)),
            rx.redirect(f"{LIST_PATH}?tab=tariffs"),
        ]


def tariff_change_page() -> rx.Component:
    s = AdminTariffChangeState
    c = s.change
    decide = decision_card(
        s,
        c["can_decide"] == "1",
        static_choice(
            [(w, f"tariffs.when.{w}") for w in TARIFF_CHANGE_WHEN],
            s.when,
            s.set_when,
            "change-when",
            "queues.col.when",
            width="auto",
        ),
        "change",
        rx.callout(
            rx.vstack(
                rx.text(
                    tr("queues.settle.effective"),
                    " ",
                    c["effective"],
                    id="change-effective",
                ),
                rx.text(c["settle"], weight="medium", id="change-settle"),
                rx.cond(c["days"] != "", rx.text(c["days"], size="2")),
                spacing="1",
            ),
            icon="calculator",
            width="100%",
            id="change-preview",
        ),
        rx.cond(
            c["short"] != "",
            rx.callout(
                c["short"],
                icon="triangle_alert",
                color_scheme="amber",
                high_contrast=True,  # amber text on its tint is below WCAG AA
                width="100%",
            ),
        ),
    )
    cancel = rx.cond(
        (c["can_cancel"] == "1") & SessionState.permissions.contains("activations.edit"),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(tr("queues.cancel_scheduled_title"), size="4", as_="h2"),
                    rx.text(tr("queues.settle.effective"), " ", c["effective"], id="change-on"),
                    labelled(
                        "change-cancel-reason",
                        tr("queues.cancel_reason"),
                        rx.text_area(
                            id="change-cancel-reason",
                            name="reason",
                            value=s.reason,
                            on_change=s.set_reason,
                            size="3",
                            width="100%",
                            aria_invalid=rx.cond(s.reason_error != "", "true", "false"),
                        ),
                        s.reason_error,
                    ),
                    error_banner(s.error, id_="change-cancel-error"),
                    rx.button(
                        tr("queues.cancel_scheduled"),
                        color_scheme="red",
                        variant="soft",
                        size="3",
                        type="submit",
                        id="change-cancel",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=s.cancel_scheduled,
                reset_on_submit=False,
                width="100%",
            ),
            width="100%",
        ),
    )
    return queue_detail_page(
        c,
        back_link(f"{LIST_PATH}?tab=tariffs", "queues.back_changes"),
        title_row(c["title"], c["status"], c["colour"], "change"),
        [
            info_grid(
                info("queues.col.created", c["created"], "change-created"),
                info("queues.col.sim", c["sim"], "change-sim", c["sim_href"]),
                info("queues.col.sim_status", c["sim_status"], "change-sim-status"),
                info("queues.balance", c["balance"], "change-balance"),
                info(
                    "queues.col.subscriber",
                    c["subscriber"],
                    "change-subscriber",
                    c["subscriber_href"],
                ),
                info("queues.col.requester", c["requester"], "change-requester"),
                info("queues.col.from_tariff", c["from"], "change-from"),
                info("queues.col.to_tariff", c["to"], "change-to"),
                info("queues.asked_when", c["asked"], "change-asked"),
            ),
            decided_grid(c, "change"),
        ],
        [decide, cancel],
        "queues.change_page_title",
    )
