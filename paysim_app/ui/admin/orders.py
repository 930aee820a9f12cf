"""The activation section's SIM orders: the tab "orders" of /admin/activations (?tab=orders; a
declaration over the one list machinery, filtered by status and way) and
/admin/activations/orders/[order_id]: one order; a delivery gets a SIM of the operator's stock
and is shipped, then marked delivered (its activation request joins the queue); any open order
may be rejected with a reason."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.sims import ORDER_STATUSES, ORDER_WAYS, orders
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.detail import (
    REASON_MAX,
    back_link,
    info,
    info_grid,
    reject_form,
    submitted_reason,
    title_row,
)
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.stock_picker import StockPickMixin, stock_picker

LIST_PATH = "/admin/activations?tab=orders"
DETAIL = "/admin/activations/orders"
STATUS_COLOURS = {
    "new": "blue",
    "waiting": "amber",
    "shipped": "amber",
    "handed_out": "amber",
    "active": "green",
    "cancelled": "gray",
    "rejected": "red",
}


class AdminOrdersState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:activations.view"

    def _spec(self):
        return orders.ORDER_LIST

    def _prepare(self, actor: Actor) -> None:
        return None

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        where = row["partner_name"] if row["way"] == "pickup" else row["address"]
        return {
            "no": f"#{row['id']}",
            "href": f"{DETAIL}/{row['id']}",
            "created": moment(row["created_at"], loc),
            "status": t(f"orders.status.{row['status']}", loc),
            "colour": STATUS_COLOURS.get(row["status"], "gray"),
            "way": t(f"orders.way.{row['way']}", loc),
            "where": f"{row['settlement']}: {where or '—'}",
            "customer": row["customer_name"],
            "contract": row["contract_no"],
            "tariff": row["tariff_name"],
            "msisdn": phone(row["msisdn"]) if row["msisdn"] else "",
            "prepaid": (
                t("orders.prepaid", loc, amount=money(row["prepaid_kop"], loc))
                if row.get("prepaid_kop")
                else ""
            ),
        }

    @access("admin:activations.view")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("no", "orders.col.no", mono=True, link="href"),
    Column("created", "orders.col.created", mono=True),
    Column("status", "orders.col.status", badge="colour"),
    Column("way", "orders.col.way", hint="where"),
    Column("customer", "orders.col.customer", hint="contract"),
    Column("tariff", "orders.col.tariff", hint="msisdn"),
    Column("prepaid", "orders.col.prepaid"),
]
FIELDS = [
    FilterField(
        "status",
        "orders.col.status",
        options=[(ALL, "list.any")] + [(s, f"orders.status.{s}") for s in ORDER_STATUSES],
    ),
    FilterField(
        "way",
        "orders.col.way",
        options=[(ALL, "list.any")] + [(w, f"orders.way.{w}") for w in ORDER_WAYS],
    ),
]
SORTS = [("created_at", "orders.col.created"), ("status", "orders.col.status")]


def orders_tab() -> rx.Component:
    return list_view(
        AdminOrdersState,
        COLUMNS,
        FIELDS,
        SORTS,
        id_="admin-orders",
        search_key="orders.search",
        empty_key="orders.empty",
    )


# -- one order ----------------------------------------------------------------------------------
class AdminOrderState(StockPickMixin, SessionState):
    STOCK_ACCESS: ClassVar[str] = "admin:activations.edit"
    order: dict[str, str] = {}
    reason: str = ""
    reason_error: str = ""
    error: str = ""

    def _order_id(self) -> int | None:
        return optional_id(self.router.page.params.get("order_id", ""))

    def _show(self, view) -> None:
        loc = self.locale
        self.order = {
            "id": str(view.id),
            "title": t("orders.title_no", loc, no=view.id),
            "status": t(f"orders.status.{view.status}", loc),
            "colour": STATUS_COLOURS.get(view.status, "gray"),
            "created": moment(view.created_at, loc),
            "way": t(f"orders.way.{view.way}", loc),
            "settlement": view.settlement or "—",
            "where": view.partner_name if view.way == "pickup" else view.address,
            "customer": view.customer_name,
            "phone": phone(view.customer_phone),
            "document": view.document_no,
            "contract": view.contract_no,
            "contract_href": f"/admin/subscribers/{view.subscriber_id}",
            "tariff": f"{view.tariff_name} · {money(view.tariff_fee_kop, loc)}",
            "msisdn": phone(view.msisdn) if view.msisdn else "—",
            "prepaid": (
                t(
                    "orders.prepaid.refunded"
                    if view.prepaid_state == "refunded"
                    else "orders.prepaid",
                    loc,
                    amount=money(view.prepaid_kop, loc),
                )
                if view.prepaid_kop
                else "—"
            ),
            "request_href": (
                f"/admin/activations/{view.activation_request_id}"
                if view.activation_request_id
                else ""
            ),
            "request": f"#{view.activation_request_id}" if view.activation_request_id else "—",
            "reason": view.reason,
            "can_ship": "1" if view.can_ship else "",
            "can_deliver": "1" if view.can_deliver else "",
            "can_reject": "1" if view.can_reject else "",
        }

    def _stock_found(self, search: str):
        return self._call(orders.delivery_stock, search)

    def _stock_label(self, item) -> str:
        return f"{phone(item.name)} · {item.detail}"

    def _after(self, res, key: str):
        if not res:
            if res.field == "reason":
                self.reason_error = res.error
            else:
                self.error = res.error
            return res.redirect
        self._show(res.value)
        return rx.toast.success(self._t(key, no=res.value.id))

    @access("admin:activations.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "activations.view")
        if redirect:
            return redirect
        self.error, self.reason, self.reason_error = "", "", ""
        self._reset_stock()
        order_id = self._order_id()
        res = self._call(orders.order_detail, order_id) if order_id else None
        if not res:
            return rx.redirect(LIST_PATH)
        self._show(res.value)
        if res.value.can_ship:
            self._load_stock()
        return None

    @access("admin:activations.edit")
    @rx.event
    def set_reason(self, value: str):
        self.reason = str(value)[:REASON_MAX]
        self.reason_error = ""

    @access("admin:activations.edit")
    @rx.event
    def ship(self):
        order_id, sim_id = self._order_id(), optional_id(self.sim_id)
        self.error = ""
        if order_id is None:
            return None
        if sim_id is None:
            self.error = self._t("orders.error.sim")
            return None
        return self._after(self._call(orders.ship_order, order_id, sim_id), "orders.shipped")

    @access("admin:activations.edit")
    @rx.event
    def deliver(self):
        order_id = self._order_id()
        self.error = ""
        if order_id is None:
            return None
        return self._after(self._call(orders.deliver_order, order_id), "orders.delivered")

    @access("admin:activations.edit")
    @rx.event
    def reject(self, form: dict | None = None):
        order_id = self._order_id()
        self.error, self.reason_error = "", ""
        if order_id is None:
            return None
        res = self._call(orders.reject_order, order_id, submitted_reason(self, form))
        return self._after(res, "orders.rejected")


def admin_order_page() -> rx.Component:
    s = AdminOrderState
    o = s.order
    may_edit = SessionState.permissions.contains("activations.edit")
    ship = rx.cond(
        (o["can_ship"] == "1") & may_edit,
        rx.card(
            rx.vstack(
                rx.heading(tr("orders.ship.title"), size="4", as_="h2"),
                stock_picker(s, "ship", "orders.col.sim", "orders.ship.no_stock"),
                rx.button(
                    rx.icon("truck", size=16),
                    tr("orders.ship.submit"),
                    size="3",
                    on_click=s.ship,
                    id="order-ship",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )
    deliver = rx.cond(
        (o["can_deliver"] == "1") & may_edit,
        rx.button(
            rx.icon("package-check", size=16),
            tr("orders.deliver"),
            size="3",
            on_click=s.deliver,
            id="order-deliver",
        ),
    )
    reject = rx.cond(
        (o["can_reject"] == "1") & may_edit,
        rx.card(
            rx.vstack(
                rx.heading(tr("orders.reject_title"), size="4", as_="h2"),
                reject_form(s, "order"),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )
    return shell(
        "admin",
        rx.cond(
            o.contains("id"),
            rx.vstack(
                back_link(LIST_PATH, "orders.back_admin"),
                rx.card(
                    rx.vstack(
                        title_row(o["title"], o["status"], o["colour"], "order"),
                        info_grid(
                            info("orders.col.created", o["created"], "order-created"),
                            info("orders.col.way", o["way"], "order-way"),
                            info("orders.col.settlement", o["settlement"], "order-settlement"),
                            info("orders.form.where_short", o["where"], "order-where"),
                            info("orders.col.customer", o["customer"], "order-customer"),
                            info("orders.col.phone", o["phone"], "order-phone"),
                            info("orders.col.document", o["document"], "order-document"),
                            info(
                                "orders.col.contract",
                                o["contract"],
                                "order-contract",
                                o["contract_href"],
                            ),
                            info("orders.col.tariff", o["tariff"], "order-tariff"),
                            info("orders.col.sim", o["msisdn"], "order-msisdn"),
                            info("orders.col.prepaid", o["prepaid"], "order-prepaid"),
                            info(
                                "orders.col.request",
                                o["request"],
                                "order-request",
                                o["request_href"],
                            ),
                        ),
                        rx.cond(
                            o["reason"] != "",
                            rx.callout(o["reason"], icon="info", color_scheme="red"),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                ),
                error_banner(s.error, id_="order-error"),
                ship,
                deliver,
                reject,
                spacing="4",
                width="100%",
            ),
        ),
        title_key="orders.admin_page_title",
    )
