"""/cabinet/order: order a new SIM (a tariff, preselected by ?tariff=ID from the public
catalogue; name, phone, ID document; the settlement, then pick-up at one of its partners or
delivery to an address) and the customer's orders with their status;
/cabinet/order/[order_id]: one order with its timeline, cancel while nothing was handed out,
and the first top-up: paid right away while the order is open (held on the order until its SIM,
through the top-up's card checkout on the provider's hosted page, which comes back here with
?prepayment=ID), or on the top-up page once the SIM works."""

from __future__ import annotations

import json

import reflex as rx

from paysim_app.billing import topups
from paysim_app.core import form_keys
from paysim_app.core.errors import ValidationError
from paysim_app.i18n import t
from paysim_app.sims import orders
from paysim_app.subscribers import DOCUMENT_TYPES
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.detail import info_text, title_row
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, field_error, form_input, tick
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.pickers import choice, static_choice

ORDER_PATH = "/cabinet/order"
FORM_FIELDS = (
    "tariff_id",
    "customer_name",
    "phone",
    "document_type",
    "document_no",
    "settlement",
    "way",
    "partner_id",
    "address",
)
EMPTY = {**dict.fromkeys(FORM_FIELDS, ""), "document_type": "passport", "way": "delivery"}
TEXT_MAX = 300
STATUS_COLOURS = {
    "new": "blue",
    "waiting": "amber",
    "shipped": "amber",
    "handed_out": "amber",
    "active": "green",
    "cancelled": "gray",
    "rejected": "red",
}


def order_row(o, loc: str) -> dict[str, str]:
    return {
        "id": str(o.id),
        "href": f"{ORDER_PATH}/{o.id}",
        "title": t("orders.title_no", loc, no=o.id),
        "created": moment(o.created_at, loc),
        "status": t(f"orders.status.{o.status}", loc),
        "colour": STATUS_COLOURS.get(o.status, "gray"),
        "way": t(f"orders.way.{o.way}", loc),
        "tariff": o.tariff_name,
        "where": o.partner_name or "",
        "msisdn": phone(o.msisdn) if o.msisdn else "",
    }


class OrderFormState(SessionState):
    form: dict[str, str] = EMPTY
    form_error: str = ""
    field: str = ""
    tariff_options: list[dict[str, str]] = []
    partner_options: list[dict[str, str]] = []
    partners_looked: bool = False
    my: list[dict[str, str]] = []
    consent: bool = False  # the box of the customer's consent (personal data, terms)

    def _partners(self) -> None:
        res = self._call(orders.pickup_partners, self.form["settlement"])
        found = res.value or []
        self.partner_options = [
            {"value": str(p.id), "label": f"{p.name} · {p.detail}"} for p in found
        ]
        self.partners_looked = bool(self.form["settlement"].strip())
        offered = {o["value"] for o in self.partner_options}
        if self.form["partner_id"] not in offered:
            self.form = {**self.form, "partner_id": ""}
        if not self.partner_options and self.form["way"] == "pickup":
            self.form = {**self.form, "way": "delivery"}

    @access("subscriber")
    @rx.event
    def load(self):
        _, redirect = self._gate("subscriber")
        if redirect:
            return redirect
        loc = self.locale
        tariffs = self._call(orders.order_tariffs).value or []
        self.tariff_options = [
            {
                "value": str(x.id),
                "label": t("orders.tariff_option", loc, name=x.name, fee=money(x.fee_kop, loc)),
            }
            for x in tariffs
        ]
        start = self._call(orders.order_prefill).value or orders.OrderForm()
        wanted = str(optional_id(self.router.page.params.get("tariff", "")) or "")
        offered = {o["value"] for o in self.tariff_options}
        self.form = {
            **EMPTY,
            "tariff_id": wanted if wanted in offered else "",
            "customer_name": start.customer_name,
            "phone": start.phone,
            "document_type": start.document_type or "passport",
            "document_no": start.document_no,
        }
        self.form_error, self.field, self.consent = "", "", False
        self.partner_options, self.partners_looked = [], False
        self.my = [order_row(o, loc) for o in self._call(orders.my_orders).value or []]
        return None

    @access("subscriber")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form = {**self.form, name: str(value)[:TEXT_MAX]}

    @access("subscriber")
    @rx.event
    def set_consent(self, value: bool):
        self.consent = value is True

    @access("subscriber")
    @rx.event
    def find_partners(self):
        self._partners()
        if self.partner_options:
            self.form = {**self.form, "way": "pickup"}

    @access("subscriber")
    @rx.event
    def place(self, _form: dict | None = None):
        self.form_error, self.field = "", ""
        f = self.form
        form = orders.OrderForm(**{k: f[k] for k in FORM_FIELDS}, consent=self.consent)
        ua = self.router.headers.user_agent
        res = self._call(orders.place_order, form, ip=self._client_ip(), user_agent=ua)
        if not res:
            self.form_error, self.field = res.error, res.field
            return res.redirect
        return rx.redirect(f"{ORDER_PATH}/{res.value.id}")


def _input(name: str, label_key: str, type_: str = "text", mode: str | None = None, **kw):
    s = OrderFormState
    error = field_error(s, name)
    return form_input(
        s, name, label_key, f"order-{name}", error=error, type=type_, input_mode=mode, **kw
    )


def _where() -> rx.Component:
    s = OrderFormState
    return rx.vstack(
        rx.heading(tr("orders.form.where"), size="3", as_="h2"),
        rx.flex(
            rx.box(_input("settlement", "orders.col.settlement"), flex="1", min_width="200px"),
            rx.button(
                rx.icon("map-pin", size=16),
                tr("orders.form.find_partners"),
                type="button",
                variant="soft",
                size="3",
                on_click=s.find_partners,
                id="order-find-partners",
            ),
            spacing="2",
            align="end",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            s.partner_options.length() > 0,
            static_choice(
                [("pickup", "orders.way.pickup"), ("delivery", "orders.way.delivery")],
                s.form["way"],
                lambda v: s.set_field("way", v),
                "order-way",
                "orders.col.way",
            ),
            rx.cond(
                s.partners_looked,
                rx.callout(
                    tr("orders.form.no_partners"), icon="info", id="order-no-partners", width="100%"
                ),
            ),
        ),
        rx.cond(
            (s.form["way"] == "pickup") & (s.partner_options.length() > 0),
            choice(
                s.partner_options,
                s.form["partner_id"],
                lambda v: s.set_field("partner_id", v),
                "order-partner",
                "orders.col.partner",
            ),
            _input("address", "orders.form.address", autocomplete="street-address"),
        ),
        rx.cond(s.field == "partner_id", rx.text(s.form_error, color=rx.color("red", 11))),
        spacing="3",
        width="100%",
    )


def _consent_tick() -> rx.Component:
    """The customer's consent to the order's personal data and the terms (accounts.consent)."""
    s = OrderFormState
    read = rx.link(tr("consent.read"), href="/legal", is_external=True, underline="always")
    mine = s.field == "consent"
    return tick(
        "order-consent", "consent.tick_order", s.consent, s.set_consent, s.form_error, mine, read
    )


def _form() -> rx.Component:
    s = OrderFormState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.text(tr("orders.form.intro"), size="2", color=rx.color("gray", 11)),
                choice(
                    s.tariff_options,
                    s.form["tariff_id"],
                    lambda v: s.set_field("tariff_id", v),
                    "order-tariff",
                    "orders.col.tariff",
                ),
                rx.grid(
                    _input("customer_name", "orders.form.name", autocomplete="name"),
                    _input("phone", "orders.col.phone", "tel", "tel", autocomplete="tel"),
                    static_choice(
                        [(d, f"orders.document.{d}") for d in DOCUMENT_TYPES],
                        s.form["document_type"],
                        lambda v: s.set_field("document_type", v),
                        "order-document-type",
                        "orders.form.document_type",
                    ),
                    _input("document_no", "orders.form.document_no"),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                _where(),
                _consent_tick(),
                error_banner(
                    rx.cond(
                        (s.field == "") | (s.field == "tariff_id") | (s.field == "way"),
                        s.form_error,
                        "",
                    ),
                    id_="order-error",
                ),
                rx.button(
                    rx.icon("send", size=16),
                    tr("orders.form.submit"),
                    type="submit",
                    size="3",
                    id="order-submit",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=s.place,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
        max_width="760px",
    )


def orders_list(rows) -> rx.Component:
    """The customer's orders as cards (a phone reads them as well as a desktop)."""
    return rx.vstack(
        rx.foreach(
            rows,
            lambda o: rx.link(
                rx.card(
                    rx.flex(
                        rx.vstack(
                            rx.text(o["title"], weight="medium"),
                            rx.text(o["created"], " · ", o["tariff"], " · ", o["way"], size="2"),
                            rx.cond(o["msisdn"] != "", rx.text(o["msisdn"], size="2")),
                            spacing="1",
                            min_width="0",
                        ),
                        rx.badge(o["status"], color_scheme=o["colour"], variant="soft"),
                        justify="between",
                        align="center",
                        wrap="wrap",
                        gap="2",
                        width="100%",
                    ),
                    width="100%",
                ),
                href=o["href"],
                id=f"my-order-{o['id']}",
                underline="none",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
        max_width="760px",
        id="my-orders",
    )


def order_form_page() -> rx.Component:
    s = OrderFormState
    return shell(
        "cabinet",
        rx.vstack(
            _form(),
            rx.cond(
                s.my.length() > 0,
                rx.vstack(
                    rx.heading(tr("orders.mine"), size="4", as_="h2"),
                    orders_list(s.my),
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="5",
            width="100%",
        ),
        title_key="orders.form.title",
    )


# -- one order ------------------------------------------------------------------------------------
class OrderPageState(SessionState):
    order: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    error: str = ""
    # the first top-up paid now: the amount as typed (roubles), its error, the form's key (one
    # per opened form: a second click carries the first key and gets the first payment back)
    prepay_amount: str = ""
    prepay_error: str = ""
    prepay_key: str = ""
    paying: bool = False

    def _order_id(self) -> int | None:
        return optional_id(self.router.page.params.get("order_id", ""))

    def _show(self, view) -> None:
        loc = self.locale
        self.order = {
            "id": str(view.id),
            "title": t("orders.title_no", loc, no=view.id),
            "status": t(f"orders.status.{view.status}", loc),
            "colour": STATUS_COLOURS.get(view.status, "gray"),
            "next": t(f"orders.next.{view.way}.{view.status}", loc),
            "created": moment(view.created_at, loc),
            "tariff": f"{view.tariff_name} · {money(view.tariff_fee_kop, loc)}",
            "way": t(f"orders.way.{view.way}", loc),
            "where": (
                f"{view.partner_name}, {view.partner_address}"
                if view.way == "pickup"
                else f"{view.settlement}, {view.address}"
            ),
            "customer": view.customer_name,
            "phone": phone(view.customer_phone),
            "document": f"{t(f'orders.document.{view.document_type}', loc)} {view.document_no}",
            "msisdn": phone(view.msisdn) if view.msisdn else "—",
            "reason": view.reason,
            "can_cancel": "1" if view.can_cancel else "",
            "can_topup": "1" if view.can_topup else "",
            "topup_href": f"/cabinet/topup?sim={view.sim_id}" if view.sim_id else "",
            "closed": "1" if view.status in ("cancelled", "rejected") else "",
            "can_prepay": "1" if view.can_prepay else "",
            "prepaid": self._prepaid_text(view),
            "prepaid_state": view.prepaid_state,
            "prepay_pending": "1" if view.prepaid_state == "pending" else "",
            "prepay_hint": t(
                "orders.prepay.hint", loc, min=topups.MIN_KOP // 100, max=topups.MAX_KOP // 100
            ),
        }
        if view.can_prepay and not self.prepay_amount:
            kop = view.prepay_suggested_kop
            self.prepay_amount = (
                f"{kop // 100}" if kop % 100 == 0 else f"{kop // 100},{kop % 100:02d}"
            )
        self.steps = [
            {
                "status": t(f"orders.status.{s.status}", loc),
                "at": moment(s.at, loc),
                # a step's note: the SIM's number (shown as a number) or a reason
                "note": phone(s.note) if s.note.startswith("+7") else s.note,
            }
            for s in view.steps
        ]

    def _prepaid_text(self, view) -> str:
        """The prepayment's state in a sentence ("" when there is none)."""
        loc, state = self.locale, view.prepaid_state
        if not state:
            return ""
        code = view.prepaid_decline
        return t(
            f"orders.prepay.state.{state}",
            loc,
            amount=money(view.prepaid_kop or view.prepay_suggested_kop, loc),
            msisdn=phone(view.msisdn) if view.msisdn else "",
            reason=t(f"decline.{code}", loc) if code else t("decline.processing_error", loc),
        )

    @access("subscriber")
    @rx.event
    def load(self):
        _, redirect = self._gate("subscriber")
        if redirect:
            return redirect
        self.error, self.prepay_error, self.prepay_amount, self.paying = "", "", "", False
        self.prepay_key = form_keys.new_key()
        order_id = self._order_id()
        if not order_id:
            return rx.redirect(ORDER_PATH)
        payment_id = optional_id(self.router.page.params.get("prepayment", ""))
        if payment_id:  # back from the hosted page: asked of the provider first
            back = self.router.page.params.get("back") == "1"
            res = self._call(orders.prepayment_result, order_id, payment_id, abandoned=back)
        else:
            res = self._call(orders.order_detail, order_id)
        if not res:
            return rx.redirect(ORDER_PATH)
        self._show(res.value)
        return None

    @access("subscriber")
    @rx.event
    def set_prepay_amount(self, value: str):
        self.prepay_amount = str(value)[:12]

    @access("subscriber")
    @rx.event
    def prepay(self, form: dict | None = None):
        """Pay the first top-up now: to the provider's hosted page (the top-up's checkout)."""
        if self.paying:
            return
        order_id = self._order_id()
        if order_id is None:
            yield rx.redirect(ORDER_PATH)
            return
        self.prepay_error = ""
        try:
            amount = topups.parse_amount(self.prepay_amount)
            topups.check_amount(amount)
        except ValidationError as err:
            self.prepay_error = self._error(err)
            return
        key = form.get("form_key") if isinstance(form, dict) else None
        self.paying = True
        yield
        res = self._call(
            orders.pay_prepayment,
            order_id,
            amount,
            str(key or self.prepay_key)[:64],
            locale=self.locale,
        )
        if not res:
            self.paying = False
            self.prepay_error = res.error
            if res.redirect is not None:
                yield res.redirect
            return
        self.prepay_key = form_keys.new_key()
        if res.value.redirect_url:
            # the provider's hosted page (in the sandbox, a page the app serves outside its
            # router): the browser loads it whole; "paying" stays on until it has gone
            yield rx.call_script(f"window.location.assign({json.dumps(res.value.redirect_url)})")
            return
        self.paying = False
        detail = self._call(orders.order_detail, order_id)
        if detail:
            self._show(detail.value)

    @access("subscriber")
    @rx.event
    def cancel(self):
        order_id = self._order_id()
        if order_id is None:
            return rx.redirect(ORDER_PATH)
        res = self._call(orders.cancel_order, order_id)
        if not res:
            self.error = res.error
            return res.redirect
        self._show(res.value)
        return rx.toast.success(self._t("orders.cancelled", no=order_id))


def _timeline() -> rx.Component:
    s = OrderPageState
    return rx.vstack(
        rx.heading(tr("orders.timeline"), size="3", as_="h2"),
        rx.el.ol(
            rx.foreach(
                s.steps,
                lambda st: rx.el.li(
                    rx.hstack(
                        rx.icon("circle-check", size=16, color=rx.color("green", 10)),
                        rx.vstack(
                            rx.text(st["status"], weight="medium"),
                            rx.text(st["at"], size="1", color=rx.color("gray", 11)),
                            rx.cond(st["note"] != "", rx.text(st["note"], size="2")),
                            spacing="0",
                        ),
                        align="start",
                        spacing="2",
                    ),
                    list_style="none",
                    padding_bottom="0.5em",
                ),
            ),
            id="order-timeline",
            padding="0",
            margin="0",
        ),
        spacing="2",
        width="100%",
    )


def _prepay_form() -> rx.Component:
    """The first top-up now: an amount (the tariff's fee suggested), then the provider's hosted
    page, as the top-up page pays with a new card."""
    s = OrderPageState
    o = s.order
    return rx.form(
        rx.vstack(
            rx.text(tr("orders.prepay.intro"), size="2", color=rx.color("gray", 11)),
            rx.el.input(type="hidden", name="form_key", value=s.prepay_key),
            rx.flex(
                rx.vstack(
                    rx.el.label(
                        tr("orders.prepay.amount"),
                        html_for="order-prepay-amount",
                        font_size="14px",
                        font_weight="500",
                    ),
                    rx.input(
                        value=s.prepay_amount,
                        on_change=s.set_prepay_amount,
                        id="order-prepay-amount",
                        input_mode="decimal",
                        size="3",
                        width="160px",
                        aria_describedby="order-prepay-hint",
                    ),
                    spacing="1",
                ),
                rx.button(
                    rx.icon("credit-card", size=16),
                    rx.cond(
                        o["prepay_pending"] == "1",
                        tr("orders.prepay.continue"),
                        tr("orders.prepay.submit"),
                    ),
                    type="submit",
                    size="3",
                    loading=s.paying,
                    id="order-prepay",
                ),
                spacing="3",
                align="end",
                wrap="wrap",
            ),
            rx.text(
                o["prepay_hint"],
                size="1",
                color=rx.color("gray", 11),
                id="order-prepay-hint",
            ),
            rx.cond(
                s.prepay_error != "",
                rx.text(
                    s.prepay_error,
                    color=rx.color("red", 11),
                    size="2",
                    role="alert",
                    id="order-prepay-error",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=s.prepay,
        reset_on_submit=False,
        width="100%",
    )


def _topup_later() -> rx.Component:
    o = OrderPageState.order
    return rx.cond(
        o["can_topup"] == "1",
        rx.link(
            rx.button(rx.icon("wallet", size=16), tr("orders.topup.now"), size="3"),
            href=o["topup_href"],
            id="order-topup",
        ),
        rx.cond(
            o["prepaid"] == "",
            rx.text(
                rx.cond(o["closed"] == "1", tr("orders.topup.closed"), tr("orders.topup.later")),
                id="order-topup-later",
            ),
        ),
    )


def order_page() -> rx.Component:
    s = OrderPageState
    o = s.order
    return shell(
        "cabinet",
        rx.cond(
            o.contains("id"),
            rx.vstack(
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=16), tr("orders.back"), spacing="1"),
                    href=ORDER_PATH,
                    id="back-link",
                ),
                rx.card(
                    rx.vstack(
                        title_row(o["title"], o["status"], o["colour"], "order"),
                        rx.text(o["next"], id="order-next"),
                        rx.cond(
                            o["reason"] != "",
                            rx.callout(
                                o["reason"], icon="info", color_scheme="red", id="order-reason"
                            ),
                        ),
                        rx.grid(
                            info_text("orders.col.created", o["created"], "order-created"),
                            info_text("orders.col.tariff", o["tariff"], "order-tariff"),
                            info_text("orders.col.way", o["way"], "order-way"),
                            info_text("orders.form.where_short", o["where"], "order-where"),
                            info_text("orders.col.customer", o["customer"], "order-customer"),
                            info_text("orders.col.phone", o["phone"], "order-phone"),
                            info_text("orders.col.document", o["document"], "order-document"),
                            info_text("orders.col.sim", o["msisdn"], "order-msisdn"),
                            columns=rx.breakpoints(initial="1", sm="2"),
                            spacing="3",
                            width="100%",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.card(
                    rx.vstack(
                        rx.heading(tr("orders.topup.title"), size="3", as_="h2"),
                        rx.cond(
                            o["prepaid"] != "",
                            rx.callout(
                                o["prepaid"],
                                icon="wallet",
                                color_scheme=rx.match(
                                    o["prepaid_state"],
                                    ("credited", "green"),
                                    ("held", "green"),
                                    ("failed", "red"),
                                    "gray",
                                ),
                                id="order-prepaid",
                                width="100%",
                            ),
                        ),
                        rx.cond(
                            o["can_prepay"] == "1",
                            _prepay_form(),
                            rx.fragment(),
                        ),
                        rx.cond(
                            o["can_prepay"] == "1",
                            rx.fragment(),
                            _topup_later(),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.card(_timeline(), width="100%"),
                error_banner(s.error, id_="order-error"),
                rx.cond(
                    o["can_cancel"] == "1",
                    rx.button(
                        tr("orders.cancel"),
                        color_scheme="red",
                        variant="outline",
                        high_contrast=True,
                        size="3",
                        on_click=s.cancel,
                        id="order-cancel",
                    ),
                ),
                spacing="4",
                width="100%",
                max_width="760px",
            ),
        ),
        title_key="orders.page_title",
    )
