"""The partner's pick-up orders: their list (on /partner/activations, above the partner's own
requests) and /partner/orders/[order_id]: one order, marked ready for pick-up, handed out (a
SIM of the partner's stock sold to the ordering customer: the sale form prefilled with the
order's data) or rejected with a reason."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.partners import cabinet
from paysim_app.partners import orders as handing
from paysim_app.sims import ORDER_STATUSES, orders
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.detail import (
    REASON_MAX,
    info_text,
    reject_form,
    submitted_reason,
    title_row,
)
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, field_error, form_input
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.stock_picker import StockPickMixin, stock_picker

STATUS_COLOURS = {
    "new": "blue",
    "waiting": "amber",
    "shipped": "amber",
    "handed_out": "amber",
    "active": "green",
    "cancelled": "gray",
    "rejected": "red",
}
PATH = "/partner/orders"
SALE_FIELDS = ("customer_name", "phone", "email", "document")


class PartnerOrdersState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "partner"

    def _spec(self):
        return orders.PARTNER_ORDER_LIST

    def _role(self) -> str:
        return "partner"

    def _prepare(self, actor: Actor) -> None:
        return None

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        return {
            "no": f"#{row['id']}",
            "href": f"{PATH}/{row['id']}",
            "created": moment(row["created_at"], loc),
            "status": t(f"orders.status.{row['status']}", loc),
            "colour": STATUS_COLOURS.get(row["status"], "gray"),
            "customer": row["customer_name"],
            "phone": phone(row["customer_phone"]),
            "tariff": row["tariff_name"],
            "msisdn": phone(row["msisdn"]) if row["msisdn"] else "",
        }

    @access("partner")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("no", "orders.col.no", mono=True, link="href"),
    Column("created", "orders.col.created", mono=True),
    Column("status", "orders.col.status", badge="colour"),
    Column("customer", "orders.col.customer", hint="phone"),
    Column("tariff", "orders.col.tariff", hint="msisdn"),
]
FIELDS = [
    FilterField(
        "status",
        "orders.col.status",
        options=[(ALL, "list.any")] + [(s, f"orders.status.{s}") for s in ORDER_STATUSES],
    ),
]
SORTS = [("created_at", "orders.col.created"), ("status", "orders.col.status")]


# -- one order ----------------------------------------------------------------------------------
class PartnerOrderState(StockPickMixin, SessionState):
    STOCK_ACCESS: ClassVar[str] = "partner"
    order: dict[str, str] = {}
    sale: dict[str, str] = dict.fromkeys(SALE_FIELDS, "")
    reason: str = ""
    reason_error: str = ""
    error: str = ""
    field: str = ""
    _tariff_id: str = ""

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
            "customer": view.customer_name,
            "phone": phone(view.customer_phone),
            "document": view.document_no,
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
            "reason": view.reason,
            "can_wait": "1" if view.can_hand_out and view.status == "new" else "",
            "can_hand_out": "1" if view.can_hand_out else "",
            "can_reject": "1" if view.can_reject else "",
        }
        self._tariff_id = str(view.tariff_id)

    def _stock_found(self, search: str):
        return self._call(cabinet.stock_sims, search)

    def _stock_label(self, item) -> str:
        return f"{phone(item.msisdn)} · {item.iccid}"

    @access("partner")
    @rx.event
    def load(self):
        _, redirect = self._gate("partner")
        if redirect:
            return redirect
        self.error, self.field, self.reason, self.reason_error = "", "", "", ""
        self._reset_stock()
        order_id = self._order_id()
        res = self._call(orders.order_detail, order_id) if order_id else None
        if not res:
            return rx.redirect("/partner/activations")
        self._show(res.value)
        prefill = self._call(handing.sale_form_for, order_id) if res.value.can_hand_out else None
        if prefill:
            p = prefill.value
            self.sale = {
                "customer_name": p.customer_name,
                "phone": phone(p.phone),
                "email": p.email,
                "document": p.document,
            }
            self._load_stock()
        return None

    @access("partner")
    @rx.event
    def set_sale(self, name: str, value: str):
        if name in SALE_FIELDS:
            self.sale = {**self.sale, name: str(value)[:200]}

    @access("partner")
    @rx.event
    def set_reason(self, value: str):
        self.reason = str(value)[:REASON_MAX]
        self.reason_error = ""

    @access("partner")
    @rx.event
    def mark_waiting(self):
        order_id = self._order_id()
        if order_id is None:
            return None
        res = self._call(orders.mark_waiting, order_id)
        if not res:
            self.error = res.error
            return res.redirect
        self._show(res.value)
        return rx.toast.success(self._t("orders.marked_waiting", no=order_id))

    @access("partner")
    @rx.event
    def hand_out(self, _form: dict | None = None):
        order_id = self._order_id()
        if order_id is None:
            return None
        self.error, self.field = "", ""
        sim_id = optional_id(self.sim_id)
        if sim_id is None:
            self.error, self.field = self._t("orders.error.sim"), "sim_id"
            return None
        form = cabinet.SaleForm(**self.sale, tariff_id=self._tariff_id)
        res = self._call(handing.hand_out_order, order_id, sim_id, form)
        if not res:
            self.error, self.field = res.error, res.field
            return res.redirect
        self._show(res.value)
        return rx.toast.success(
            self._t("orders.handed_out", no=order_id, msisdn=phone(res.value.msisdn))
        )

    @access("partner")
    @rx.event
    def reject(self, form: dict | None = None):
        order_id = self._order_id()
        if order_id is None:
            return None
        self.error, self.reason_error = "", ""
        res = self._call(orders.reject_order, order_id, submitted_reason(self, form))
        if not res:
            if res.field == "reason":
                self.reason_error = res.error
            else:
                self.error = res.error
            return res.redirect
        self._show(res.value)
        return rx.toast.success(self._t("orders.rejected", no=order_id))


def _sale_input(name: str, label_key: str, type_: str = "text") -> rx.Component:
    s = PartnerOrderState
    return form_input(
        s,
        name,
        label_key,
        f"handout-{name}",
        values=s.sale,
        on_change=s.set_sale,
        error=field_error(s, name, s.error),
        type=type_,
    )


def _hand_out_card() -> rx.Component:
    s = PartnerOrderState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("orders.hand_out.title"), size="4", as_="h2"),
                rx.text(tr("orders.hand_out.intro"), size="2", color=rx.color("gray", 11)),
                stock_picker(s, "handout", "orders.col.sim", "partner_cabinet.sell.no_stock"),
                rx.grid(
                    _sale_input("customer_name", "partner_cabinet.sell.customer_name"),
                    _sale_input("phone", "partner_cabinet.sell.phone", "tel"),
                    _sale_input("email", "orders.hand_out.email", "email"),
                    _sale_input("document", "partner_cabinet.sell.document"),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                error_banner(
                    rx.cond(
                        (s.field == "") | (s.field == "sim_id") | (s.field == "tariff_id"),
                        s.error,
                        "",
                    ),
                    id_="handout-error",
                ),
                rx.button(
                    rx.icon("hand", size=16),
                    tr("orders.hand_out.submit"),
                    type="submit",
                    size="3",
                    id="handout-submit",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=s.hand_out,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def partner_order_page() -> rx.Component:
    s = PartnerOrderState
    o = s.order
    return shell(
        "partner",
        rx.cond(
            o.contains("id"),
            rx.vstack(
                rx.link(
                    rx.hstack(
                        rx.icon("arrow-left", size=16), tr("orders.back_partner"), spacing="1"
                    ),
                    href="/partner/activations",
                    id="back-link",
                ),
                rx.card(
                    rx.vstack(
                        title_row(o["title"], o["status"], o["colour"], "order"),
                        rx.grid(
                            info_text("orders.col.created", o["created"], "order-created"),
                            info_text("orders.col.customer", o["customer"], "order-customer"),
                            info_text("orders.col.phone", o["phone"], "order-phone"),
                            info_text("orders.col.document", o["document"], "order-document"),
                            info_text("orders.col.tariff", o["tariff"], "order-tariff"),
                            info_text("orders.col.sim", o["msisdn"], "order-msisdn"),
                            info_text("orders.col.prepaid", o["prepaid"], "order-prepaid"),
                            columns=rx.breakpoints(initial="1", sm="3"),
                            spacing="3",
                            width="100%",
                        ),
                        rx.cond(
                            o["reason"] != "",
                            rx.callout(o["reason"], icon="info", color_scheme="red"),
                        ),
                        rx.cond(
                            o["can_wait"] == "1",
                            rx.button(
                                rx.icon("package-check", size=16),
                                tr("orders.mark_waiting"),
                                variant="soft",
                                size="3",
                                on_click=s.mark_waiting,
                                id="order-mark-waiting",
                            ),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.cond(o["can_hand_out"] == "1", _hand_out_card()),
                rx.cond(o["can_hand_out"] != "1", error_banner(s.error, id_="order-error")),
                rx.cond(
                    o["can_reject"] == "1",
                    rx.card(
                        rx.vstack(
                            rx.heading(tr("orders.reject_title"), size="4", as_="h2"),
                            reject_form(s, "order"),
                            spacing="3",
                            width="100%",
                        ),
                        width="100%",
                    ),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        title_key="orders.partner_page_title",
    )
