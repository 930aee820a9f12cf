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
from paysim_app.ui.components.detail import REASON_MAX, reject_form, submitted_reason
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import choice

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
class PartnerOrderState(SessionState):
    order: dict[str, str] = {}
    sale: dict[str, str] = dict.fromkeys(SALE_FIELDS, "")
    sim_id: str = ""
    stock_search: str = ""
    stock_options: list[dict[str, str]] = []
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
            "reason": view.reason,
            "can_wait": "1" if view.can_hand_out and view.status == "new" else "",
            "can_hand_out": "1" if view.can_hand_out else "",
            "can_reject": "1" if view.can_reject else "",
        }
        self._tariff_id = str(view.tariff_id)

    def _load_stock(self) -> None:
        res = self._call(cabinet.stock_sims, self.stock_search)
        self.stock_options = [
            {"value": str(s.id), "label": f"{phone(s.msisdn)} · {s.iccid}"} for s in res.value or []
        ]
        if self.sim_id not in {o["value"] for o in self.stock_options}:
            self.sim_id = ""

    @access("partner")
    @rx.event
    def load(self):
        _, redirect = self._gate("partner")
        if redirect:
            return redirect
        self.error, self.field, self.reason, self.reason_error = "", "", "", ""
        self.stock_search, self.sim_id = "", ""
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
    def set_sim(self, value: str):
        self.sim_id = str(value)[:12]

    @access("partner")
    @rx.event
    def set_stock_search(self, value: str):
        self.stock_search = str(value)[:40]

    @access("partner")
    @rx.event
    def find_stock(self):
        self._load_stock()

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


def _info(label_key: str, value, id_: str) -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), size="1", color=rx.color("gray", 11)),
        rx.text(value, id=id_, overflow_wrap="anywhere"),
        spacing="0",
        min_width="0",
    )


def _sale_input(name: str, label_key: str, type_: str = "text") -> rx.Component:
    s = PartnerOrderState
    return labelled(
        f"handout-{name}",
        tr(label_key),
        rx.input(
            id=f"handout-{name}",
            value=s.sale[name],
            type=type_,
            size="3",
            width="100%",
            on_change=lambda v: s.set_sale(name, v),
            aria_invalid=rx.cond(s.field == name, "true", "false"),
        ),
        rx.cond(s.field == name, s.error, ""),
    )


def _hand_out_card() -> rx.Component:
    s = PartnerOrderState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("orders.hand_out.title"), size="4", as_="h2"),
                rx.text(tr("orders.hand_out.intro"), size="2", color=rx.color("gray", 11)),
                rx.flex(
                    rx.input(
                        id="handout-stock-search",
                        value=s.stock_search,
                        placeholder=tr("partner_cabinet.sell.sim_search"),
                        size="3",
                        flex="1",
                        min_width="180px",
                        type="search",
                        on_change=s.set_stock_search,
                    ),
                    rx.button(
                        rx.icon("search", size=16),
                        tr("partner_cabinet.sell.find"),
                        type="button",
                        variant="soft",
                        size="3",
                        on_click=s.find_stock,
                    ),
                    spacing="2",
                    wrap="wrap",
                    width="100%",
                ),
                rx.cond(
                    s.stock_options.length() > 0,
                    choice(s.stock_options, s.sim_id, s.set_sim, "handout-sim", "orders.col.sim"),
                    rx.text(tr("partner_cabinet.sell.no_stock"), id="handout-no-stock", size="2"),
                ),
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
                        rx.hstack(
                            rx.heading(o["title"], size="5", id="order-title"),
                            rx.badge(
                                o["status"],
                                color_scheme=o["colour"],
                                variant="soft",
                                size="2",
                                id="order-status",
                            ),
                            align="center",
                            wrap="wrap",
                        ),
                        rx.grid(
                            _info("orders.col.created", o["created"], "order-created"),
                            _info("orders.col.customer", o["customer"], "order-customer"),
                            _info("orders.col.phone", o["phone"], "order-phone"),
                            _info("orders.col.document", o["document"], "order-document"),
                            _info("orders.col.tariff", o["tariff"], "order-tariff"),
                            _info("orders.col.sim", o["msisdn"], "order-msisdn"),
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
