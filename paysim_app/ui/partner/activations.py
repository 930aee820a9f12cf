"""/partner/activations: sell an in-stock SIM (the new customer's data and a tariff make an
activation request) and follow the partner's requests: status, rejection reason; pending ones
selected in the list can be withdrawn."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.partners import cabinet
from paysim_app.sims import REQUEST_STATUSES
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, field_error, form_input, tick
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import choice
from paysim_app.ui.components.stock_picker import StockPickMixin, stock_picker
from paysim_app.ui.partner import orders as pickup

REQUEST_COLOURS = {"pending": "amber", "approved": "green", "rejected": "red", "cancelled": "gray"}
FORM_FIELDS = ("customer_name", "phone", "email", "document", "tariff_id")
# "consent": "1" when the customer's signed consent (personal data, terms) was ticked
EMPTY_FORM = {**dict.fromkeys(FORM_FIELDS, ""), "tariff_id": ALL, "consent": ""}
TEXT_MAX = 200


class PartnerActivationsState(ListMixin, StockPickMixin, SessionState):
    """The sale form (the SIM chosen from the partner's stock: StockPickMixin) over the list of
    the partner's requests."""

    LIST_ACCESS: ClassVar[str] = "partner"
    STOCK_ACCESS: ClassVar[str] = "partner"
    STOCK_ERROR: ClassVar[str] = "form_error"
    form: dict[str, str] = EMPTY_FORM
    form_error: str = ""
    field: str = ""
    tariff_options: list[dict[str, str]] = []
    withdraw_message: str = ""

    def _spec(self):
        return cabinet.PARTNER_REQUEST_LIST

    def _role(self) -> str:
        return "partner"

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        return {
            "no": f"#{row['id']}",
            "created": moment(row["created_at"], loc),
            "status": t(f"queues.status.{row['status']}", loc),
            "colour": REQUEST_COLOURS.get(row["status"], "gray"),
            "customer": row["customer"] or "—",
            "msisdn": phone(row["msisdn"]),
            "iccid": row["iccid"],
            "tariff": row["tariff"] or "—",
            "reason": row["reason"] or "",
        }

    def _stock_found(self, search: str):
        return self._call(cabinet.stock_sims, search)

    def _stock_label(self, item) -> str:
        return f"{phone(item.msisdn)} · {item.iccid}"

    def _prepare(self, actor: Actor) -> None:
        loc = self.locale
        tariffs = self._call(cabinet.sale_tariffs).value or []
        self.tariff_options = [
            {
                "value": str(x.id),
                "label": t(
                    "partner_cabinet.sell.tariff_option",
                    loc,
                    name=x.name,
                    fee=money(x.monthly_fee_kop, loc),
                ),
            }
            for x in tariffs
        ]
        self.form = {**EMPTY_FORM}
        self.form_error, self.field, self.withdraw_message = "", "", ""
        self._reset_stock()
        self.sim_id = str(optional_id(self.router.page.params.get("sim", "")) or "")
        self._load_stock()

    @access("partner")
    @rx.event
    async def load(self):
        return await self._start()

    @access("partner")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form = {**self.form, name: str(value)[:TEXT_MAX]}

    @access("partner")
    @rx.event
    def set_consent(self, value: bool):
        self.form = {**self.form, "consent": "1" if value is True else ""}

    @access("partner")
    @rx.event
    def sell(self, _form: dict | None = None):
        if self._actor() is None:
            return rx.redirect("/login")
        self.form_error, self.field = "", ""
        f = self.form
        sim_id = optional_id(self.sim_id)
        if sim_id is None:
            self.form_error = self._t("partner_cabinet.error.sim")
            self.field = "sim_id"
            return None
        sale = cabinet.SaleForm(
            customer_name=f["customer_name"],
            phone=f["phone"],
            email=f["email"],
            document=f["document"],
            tariff_id="" if f["tariff_id"] == ALL else f["tariff_id"],
            consent=f.get("consent") == "1",
        )
        res = self._call(cabinet.sell_sim, sim_id, sale)
        if not res:
            self.form_error, self.field = res.error, res.field
            return res.redirect
        result = res.value
        self.form, self.sim_id = {**EMPTY_FORM}, ""
        self._load_stock()
        self.page = 1
        self._fetch()
        return rx.toast.success(
            self._t("partner_cabinet.sell.sent", id=result.request_id, msisdn=phone(result.msisdn))
        )

    @access("partner")
    @rx.event
    def withdraw(self):
        if self._actor() is None:
            return rx.redirect("/login")
        done, refused = [], ""
        for raw in self.selected:  # each request on its own: one refusal keeps the others
            request_id = optional_id(raw)
            if request_id is None:
                continue
            res = self._call(cabinet.cancel_request, request_id)
            if res.redirect is not None:
                return res.redirect
            if res:
                done.append(raw)
            else:
                refused = res.error
        self._load_stock()
        self._fetch(count=False)
        if done:
            self.withdraw_message = self._t("partner_cabinet.cancelled", id=", ".join(done))
            return rx.toast.success(self.withdraw_message)
        self.withdraw_message = refused
        return None


COLUMNS = [
    Column("no", "partner_cabinet.col.no", mono=True),
    Column("created", "partner_cabinet.col.created", mono=True),
    Column("status", "partner_cabinet.col.request_status", badge="colour"),
    Column("customer", "partner_cabinet.col.customer"),
    Column("msisdn", "partner_cabinet.col.msisdn", mono=True, hint="iccid"),
    Column("tariff", "partner_cabinet.col.tariff"),
    Column("reason", "partner_cabinet.col.reason"),
]
FIELDS = [
    FilterField(
        "status",
        "partner_cabinet.col.request_status",
        options=[(ALL, "list.any")] + [(s, f"queues.status.{s}") for s in REQUEST_STATUSES],
    ),
]
SORTS = [
    ("created_at", "partner_cabinet.sort.created"),
    ("status", "partner_cabinet.col.request_status"),
]


def _input(name: str, label_key: str, type_: str = "text", mode: str | None = None):
    s = PartnerActivationsState
    error = field_error(s, name)
    return form_input(s, name, label_key, f"sale-{name}", error=error, type=type_, input_mode=mode)


def _consent_tick() -> rx.Component:
    """The customer's consent given at the counter (a signed paper form): required."""
    s = PartnerActivationsState
    ticked, mine = s.form["consent"] == "1", s.field == "consent"
    return tick("sale-consent", "consent.tick_counter", ticked, s.set_consent, s.form_error, mine)


def _sale_form() -> rx.Component:
    s = PartnerActivationsState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("partner_cabinet.sell.title"), size="4", as_="h2"),
                rx.text(tr("partner_cabinet.sell.intro"), size="2", color=rx.color("gray", 11)),
                stock_picker(
                    s, "sale", "partner_cabinet.sell.sim", "partner_cabinet.sell.no_stock"
                ),
                rx.grid(
                    _input("customer_name", "partner_cabinet.sell.customer_name"),
                    _input("phone", "partner_cabinet.sell.phone", "tel", "tel"),
                    _input("email", "partner_cabinet.sell.email", "email", "email"),
                    _input("document", "partner_cabinet.sell.document"),
                    choice(
                        s.tariff_options,
                        s.form["tariff_id"],
                        lambda v: s.set_field("tariff_id", v),
                        "sale-tariff",
                        "partner_cabinet.sell.tariff",
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                _consent_tick(),
                error_banner(
                    rx.cond(
                        (s.field == "") | (s.field == "sim_id") | (s.field == "tariff_id"),
                        s.form_error,
                        "",
                    ),
                    id_="sale-error",
                ),
                rx.button(
                    rx.icon("send", size=16),
                    tr("partner_cabinet.sell.submit"),
                    type="submit",
                    size="3",
                    id="sale-submit",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=s.sell,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _withdraw_bar() -> rx.Component:
    s = PartnerActivationsState
    return rx.card(
        rx.flex(
            rx.text(tr("admin_sims.selected"), " ", s.selected.length(), weight="medium"),
            rx.button(
                tr("partner_cabinet.cancel"),
                color_scheme="red",
                variant="soft",
                size="3",
                on_click=s.withdraw,
                id="request-withdraw",
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        width="100%",
    )


def partner_activations_page() -> rx.Component:
    s = PartnerActivationsState
    return shell(
        "partner",
        rx.vstack(
            _sale_form(),
            rx.heading(tr("orders.partner_list"), size="4", as_="h2"),
            list_view(
                pickup.PartnerOrdersState,
                pickup.COLUMNS,
                pickup.FIELDS,
                pickup.SORTS,
                id_="partner-orders",
                search_key="orders.search",
                empty_key="orders.empty",
                scope="orders",  # the page's second list: its own ids (the requests' are plain)
            ),
            rx.heading(tr("partner_cabinet.requests"), size="4", as_="h2"),
            list_view(
                s,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="partner-requests",
                search_key="partner_cabinet.activations.search",
                selectable=True,
                bulk=_withdraw_bar(),
                extra=rx.cond(
                    s.withdraw_message != "",
                    rx.callout(
                        s.withdraw_message, icon="info", id="withdraw-message", width="100%"
                    ),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="partner_cabinet.activations.title",
    )
