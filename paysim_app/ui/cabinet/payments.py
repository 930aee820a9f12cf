"""/cabinet/payments: the contract's (or one SIM's) payments, fees and corrections, with the
balance after each line; filters, search, pages and a CSV download."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

import reflex as rx

from paysim_app.accounts import identity
from paysim_app.api.receipts import receipt_link
from paysim_app.billing import receipts, statement, topups
from paysim_app.core import utcnow
from paysim_app.core.errors import ValidationError
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_date
from paysim_app.ui.access import access
from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.data_table import Column, data_table, pager
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.pickers import choice, static_choice

PAGE_SIZE = 20
ALL = "all"  # a select's "no filter" (Radix items cannot have an empty value)
FILTERS = ("sim", "date_from", "date_to", "status", "method", "amount_min", "amount_max", "search")
EMPTY_FILTERS = {**dict.fromkeys(FILTERS, ""), "sim": ALL, "status": ALL, "method": ALL}
STATUS_COLOURS = {
    "succeeded": "green",
    "failed": "red",
    "pending": "amber",
    "requires_action": "orange",  # awaiting the subscriber's confirmation (3-D Secure)
    "partly_refunded": "orange",
    "refunded": "gray",
    # the card holder's bank disputes it (billing.disputes)
    "disputed": "crimson",
    "dispute_won": "green",
    "dispute_lost": "red",
}
# a payment that went through, whatever became of it since (its receipt stays)
_CREDITED = ("partly_refunded", "disputed", "dispute_won", "dispute_lost")


class PaymentsState(CabinetState):
    filters: dict[str, str] = EMPTY_FILTERS
    page: int = 1
    total: int = 0
    lines: list[dict] = []
    filter_error: str = ""
    filters_open: bool = False  # phones only: the filter panel is folded by default
    receipts: dict[str, str] = {}  # line key -> its payment's receipt link

    def _filter(self) -> statement.StatementFilter:
        f = self.filters

        def when(name: str) -> date | None:
            try:
                return date.fromisoformat(f[name]) if f[name] else None
            except ValueError:
                raise ValidationError("error.invalid", field=name) from None

        def amount(name: str) -> int | None:
            return topups.parse_amount(f[name]) if f[name].strip() else None

        sim = f["sim"]
        return statement.StatementFilter(
            sim_id=optional_id(sim),
            date_from=when("date_from"),
            date_to=when("date_to"),
            status="" if f["status"] == ALL else f["status"],
            method="" if f["method"] == ALL else f["method"],
            amount_min_kop=amount("amount_min"),
            amount_max_kop=amount("amount_max"),
            search=f["search"],
        )

    def _fetch(self):
        """The statement's page for the filters (a filter the service refuses: its message)."""
        self.filter_error = ""
        res = self._call(
            lambda actor: statement.statement(actor, self._filter(), self.page, PAGE_SIZE)
        )
        if not res:
            if res.redirect is not None:
                return res.redirect
            self.filter_error = res.error
            self.lines, self.total = [], 0
            return None
        rows, self.total = res.value
        self.lines = [{**asdict(r), "created_at": r.created_at.isoformat()} for r in rows]
        self._receipt_links(rows)
        return None

    def _receipt_links(self, rows) -> None:
        """A signed download link for each credited payment's receipt (api/receipts.py checks
        the session and the payment again when it is followed)."""
        self.receipts = {}
        wanted = [
            r
            for r in rows
            if r.kind == "topup"
            and r.payment_id
            and receipts.has_receipt("succeeded" if r.status in _CREDITED else r.status, r.method)
        ]
        if not wanted:
            return
        sid = self._call(identity.session_id_of, self.auth_token, public=True).value
        if sid is None:
            return
        self.receipts = {r.key: receipt_link(sid, r.payment_id, self.locale) for r in wanted}

    @access("subscriber")
    @rx.event
    def load(self):
        _, redirect = self._open()
        if redirect:
            return redirect
        wanted = self._query_int("sim")
        self.filters = {**EMPTY_FILTERS, "sim": str(wanted) if wanted else ALL}
        self.page = 1
        return self._fetch()

    @access("subscriber")
    @rx.event
    def set_filter(self, name: str, value: str):
        if name in FILTERS:
            self.filters = {**self.filters, name: str(value)[:100]}
        if name in ("sim", "status", "method", "date_from", "date_to"):
            self.page = 1
            return self._fetch()
        return None

    @access("subscriber")
    @rx.event
    def toggle_filters(self):
        self.filters_open = not self.filters_open

    @access("subscriber")
    @rx.event
    def apply(self, _form: dict | None = None):
        self.page = 1
        return self._fetch()

    @access("subscriber")
    @rx.event
    def clear_filters(self):
        self.filters = dict(EMPTY_FILTERS)
        self.page = 1
        return self._fetch()

    @access("subscriber")
    @rx.event
    def turn(self, step: int):
        target = self.page + (1 if str(step) == "1" else -1)
        if 1 <= target <= self.pages:
            self.page = target
            return self._fetch()
        return None

    @access("subscriber")
    @rx.event
    async def export(self):
        return await self._download(statement.statement_csv, "csv")

    @access("subscriber")
    @rx.event
    async def export_xlsx(self):
        return await self._download(statement.statement_xlsx, "xlsx")

    async def _download(self, write, extension: str):
        """The filtered statement as a file (the same lines in either format)."""
        filters, locale = self._filter, self.locale
        res = await self._call_async(lambda actor: write(actor, filters(), locale))
        if not res:
            if res.redirect is None:
                self.filter_error = res.error
            return res.redirect
        return rx.download(
            data=res.value,
            filename=f"paysim-payments-{moscow_date(utcnow()):%Y%m%d}.{extension}",
        )

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def sim_filter_options(self) -> list[dict[str, str]]:
        return [{"value": ALL, "label": t("statement.all_sims", self.locale)}, *self.sim_options]

    @rx.var
    def pager_text(self) -> dict[str, str]:
        loc = self.locale
        return {
            "summary": t("statement.found", loc, n=self.total),
            "page": t("statement.page", loc, page=self.page, pages=self.pages),
        }

    @rx.var
    def table_rows(self) -> list[dict[str, str]]:
        loc = self.locale
        rows = []
        for line in self.lines:
            row = statement.StatementRow(
                **{**line, "created_at": datetime.fromisoformat(line["created_at"])}
            )
            moved = row.kind != "payment"
            code = row.decline_code or ""
            rows.append(
                {
                    "date": moment(row.created_at, loc),
                    "sim": phone(row.msisdn),
                    "operation": statement.describe(row, loc),
                    "amount": (("+" if row.amount_kop > 0 else "") if moved else "")
                    + money(row.amount_kop, loc),
                    "tone": ("pos" if row.amount_kop > 0 else "neg") if moved else "muted",
                    "status": t(f"statement.status.{row.status}", loc),
                    "colour": STATUS_COLOURS.get(row.status, "gray"),
                    "reason": t(f"decline.{code}", loc) if code else "",
                    "balance": money(row.balance_after_kop, loc)
                    if row.balance_after_kop is not None
                    else "—",
                    "receipt": t("receipt.download", loc) if row.key in self.receipts else "—",
                    "receipt_href": self.receipts.get(row.key, ""),
                }
            )
        return rows


COLUMNS = [
    Column("date", "statement.col.date", mono=True),
    Column("sim", "statement.col.sim", mono=True),
    Column("operation", "statement.col.operation", hint="reason"),
    Column("amount", "statement.col.amount", align="right", tone="tone"),
    Column("status", "statement.col.status", badge="colour"),
    Column("balance", "statement.col.balance", align="right"),
    Column("receipt", "receipt.col", download="receipt_href"),
]

STATUS_OPTIONS = [(ALL, "statement.any")] + [
    (s, f"statement.status.{s}") for s in statement.STATUSES
]
METHOD_OPTIONS = [(ALL, "statement.any")] + [
    (m, f"statement.method.{m}") for m in statement.METHODS
]


def _text_filter(name: str, label_key: str, type_: str = "text", **props) -> rx.Component:
    control = rx.input(
        id=f"f-{name}",
        type=type_,
        value=PaymentsState.filters[name],
        size="3",
        width="100%",
        on_change=lambda value: PaymentsState.set_filter(name, value),
        **props,
    )
    return labelled(f"f-{name}", tr(label_key), control)


def _filters() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.grid(
                    choice(
                        PaymentsState.sim_filter_options,
                        PaymentsState.filters["sim"],
                        lambda v: PaymentsState.set_filter("sim", v),
                        "f-sim",
                        "topup.sim",
                    ),
                    _text_filter("date_from", "statement.date_from", "date"),
                    _text_filter("date_to", "statement.date_to", "date"),
                    static_choice(
                        STATUS_OPTIONS,
                        PaymentsState.filters["status"],
                        lambda v: PaymentsState.set_filter("status", v),
                        "f-status",
                        "statement.status",
                    ),
                    static_choice(
                        METHOD_OPTIONS,
                        PaymentsState.filters["method"],
                        lambda v: PaymentsState.set_filter("method", v),
                        "f-method",
                        "statement.method",
                    ),
                    _text_filter("amount_min", "statement.amount_from", input_mode="decimal"),
                    _text_filter("amount_max", "statement.amount_to", input_mode="decimal"),
                    columns=rx.breakpoints(initial="1", xs="2", md="4"),
                    spacing="3",
                    width="100%",
                    class_name=rx.cond(
                        PaymentsState.filters_open, "filter-panel open", "filter-panel"
                    ),
                    id="filter-panel",
                ),
                rx.button(
                    rx.icon("sliders-horizontal", size=16),
                    tr("statement.filters"),
                    variant="soft",
                    size="3",
                    type="button",
                    width="100%",
                    on_click=PaymentsState.toggle_filters,
                    class_name="filter-toggle",
                    id="filter-toggle",
                ),
                rx.flex(
                    rx.input(
                        id="f-search",
                        value=PaymentsState.filters["search"],
                        size="3",
                        placeholder=tr("statement.search"),
                        flex="1",
                        min_width="200px",
                        on_change=lambda value: PaymentsState.set_filter("search", value),
                        type="search",
                    ),
                    rx.button(
                        rx.icon("search", size=16),
                        tr("statement.apply"),
                        type="submit",
                        size="3",
                        id="f-apply",
                    ),
                    rx.button(
                        tr("statement.reset"),
                        variant="soft",
                        size="3",
                        type="button",
                        on_click=PaymentsState.clear_filters,
                        id="f-reset",
                    ),
                    rx.button(
                        rx.icon("download", size=16),
                        tr("statement.export"),
                        variant="outline",
                        size="3",
                        type="button",
                        on_click=PaymentsState.export,
                        id="export-csv",
                    ),
                    rx.button(
                        rx.icon("file-spreadsheet", size=16),
                        tr("statement.export_xlsx"),
                        variant="outline",
                        size="3",
                        type="button",
                        on_click=PaymentsState.export_xlsx,
                        id="export-xlsx",
                    ),
                    spacing="2",
                    wrap="wrap",
                    width="100%",
                ),
                error_banner(PaymentsState.filter_error, id_="filter-error"),
                spacing="3",
                width="100%",
            ),
            on_submit=PaymentsState.apply,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def payments_page() -> rx.Component:
    return shell(
        "cabinet",
        rx.vstack(
            _filters(),
            data_table(COLUMNS, PaymentsState.table_rows, "statement.empty", "statement"),
            pager(
                PaymentsState.pager_text["summary"],
                PaymentsState.pager_text["page"],
                PaymentsState.page > 1,
                PaymentsState.page < PaymentsState.pages,
                PaymentsState.turn(-1),
                PaymentsState.turn(1),
                "statement",
            ),
            spacing="4",
            width="100%",
        ),
        title_key="statement.title",
    )
