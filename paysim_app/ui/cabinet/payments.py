"""/cabinet/payments: the contract's (or one SIM's) payments, fees and corrections, with the
balance after each line: a declaration over the one list machinery (filters, search, the
advanced search, sort, pages, the list in the address, saved filter sets) and the statement's
own CSV and Excel download of what is shown."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.accounts import identity
from paysim_app.api.receipts import receipt_link
from paysim_app.billing import receipts, statement
from paysim_app.core import utcnow
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_date
from paysim_app.ui.access import access
from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.empty_state import empty_state
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

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


class PaymentsState(ListMixin, CabinetState):
    """The statement as a list over billing.statement.STATEMENT_LIST (the one list machinery:
    filters, search, the advanced search, sort, pages, the list in the address); the verb
    keeps it to the subscriber's own SIMs whatever SIM id or condition the browser sends."""

    LIST_ACCESS: ClassVar[str] = "subscriber"
    receipts: dict[str, str] = {}  # line key -> its payment's receipt link

    def _spec(self):
        return statement.STATEMENT_LIST

    def _role(self) -> str:
        return "subscriber"

    def _prepare(self, actor: Actor) -> None:
        """The contract's SIMs (the SIM filter's choices); ?sim= also makes that SIM current."""
        self._load_sims(actor)
        wanted = self._query_int("sim")
        if wanted is not None and wanted != self.current_sim_id:
            self._pick_sim(wanted)

    def _after_fetch(self, count: bool):
        if not self.list_error and self._foreign_sim():
            # the verb found nothing for it; say why rather than show an empty history
            self.list_error = t("error.forbidden", self.locale)
        self._receipt_links([statement.row_of(r) for r in self._raw])
        return None

    def _foreign_sim(self) -> bool:
        wanted = self.filters.get("sim", "")
        return wanted not in ("", ALL) and wanted not in {str(s["id"]) for s in self.sims}

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

    def _format(self, raw: dict, loc: str) -> dict[str, str]:
        row = statement.row_of(raw)
        moved = row.kind != "payment"
        code = row.decline_code or ""
        return {
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

    @access("subscriber")
    @rx.event
    async def load(self):
        return await self._start()

    @access("subscriber")
    @rx.event
    async def export(self, file_format: str = "csv"):
        """The list as it is filtered (filters, search, conditions, order), as the statement's
        own file: the same lines and columns in CSV or Excel."""
        if file_format == "xlsx":
            return await self._download(statement.statement_xlsx, "xlsx")
        return await self._download(statement.statement_csv, "csv")

    @access("subscriber")
    @rx.event
    async def export_xlsx(self):
        return await self._download(statement.statement_xlsx, "xlsx")

    async def _download(self, write, extension: str):
        query, locale = self._query(), self.locale
        res = await self._call_async(lambda actor: write(actor, query, locale))
        if not res:
            if res.redirect is None:
                self.list_error = res.error
            return res.redirect
        return rx.download(
            data=res.value,
            filename=f"paysim-payments-{moscow_date(utcnow()):%Y%m%d}.{extension}",
        )

    @rx.var
    def sim_filter_options(self) -> list[dict[str, str]]:
        return [
            {"value": ALL, "label": t("statement.all_sims", self.view_locale)},
            *self.sim_options,
        ]


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
FIELDS = [
    FilterField("sim", "topup.sim", dynamic="sim_filter_options"),
    FilterField("date_from", "statement.date_from", "date"),
    FilterField("date_to", "statement.date_to", "date"),
    FilterField("status", "statement.status", options=STATUS_OPTIONS),
    FilterField("method", "statement.method", options=METHOD_OPTIONS),
    FilterField("amount_min", "statement.amount_from", "amount"),
    FilterField("amount_max", "statement.amount_to", "amount"),
]
SORTS = [("created_at", "statement.col.date"), ("amount", "statement.col.amount")]


def payments_page() -> rx.Component:
    return shell(
        "cabinet",
        rx.cond(
            PaymentsState.sim_options.length() > 0,
            list_view(
                PaymentsState,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="statement",
                search_key="statement.search",
                empty_key="statement.empty",
            ),
            empty_state("empty_cabinet.lead.payments"),
        ),
        title_key="statement.title",
    )
