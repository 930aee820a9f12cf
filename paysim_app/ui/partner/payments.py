"""/partner/payments: the payments credited to the dealer's SIMs (its subscribers' card and
autopay payments and its own cash top-ups) with the commission each earned it, a declaration
over the one list machinery (filters, search, the advanced search, the list in the address,
CSV and Excel). partners.partner_lists.PARTNER_PAYMENT_LIST keeps it to the dealer's own."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.billing import PAYMENT_METHODS, PAYMENT_STATUSES, payments
from paysim_app.i18n import t
from paysim_app.partners import partner_lists
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.cabinet.payments import STATUS_COLOURS
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin


class PartnerPaymentsState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "partner"

    def _spec(self):
        return partner_lists.PARTNER_PAYMENT_LIST

    def _role(self) -> str:
        return "partner"

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        shown = payments.display_status(row["status"], row["refunded_kop"], row["dispute"])
        refunded = row["refunded_kop"]
        return {
            "no": f"#{row['id']}",
            "date": moment(row["created_at"], loc),
            "sim": phone(row["msisdn"]),
            "subscriber": row["subscriber"] or "—",
            "contract": row["contract_no"] or "",
            "method": t(f"statement.method.{row['method']}", loc),
            "amount": money(row["amount_kop"], loc),
            "refunded": t("own_lists.partner_payments.refunded", loc, amount=money(refunded, loc))
            if refunded
            else "",
            "status": t(f"statement.status.{shown}", loc),
            "colour": STATUS_COLOURS.get(shown, "gray"),
            "commission": money(row["commission_kop"], loc) if row["commission_kop"] else "—",
            "tone": "neg" if row["commission_kop"] < 0 else "",
        }

    @access("partner")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("no", "admin_payments.col.id", mono=True),
    Column("date", "admin_payments.col.date", mono=True),
    Column("sim", "admin_payments.col.sim", mono=True),
    Column("subscriber", "admin_payments.col.subscriber", hint="contract"),
    Column("method", "admin_payments.col.method"),
    Column("amount", "admin_payments.col.amount", align="right", hint="refunded"),
    Column("status", "admin_payments.col.status", badge="colour"),
    Column("commission", "own_lists.partner_payments.commission", align="right", tone="tone"),
]
FIELDS = [
    FilterField(
        "status",
        "admin_payments.col.status",
        options=[(ALL, "list.any")] + [(s, f"statement.status.{s}") for s in PAYMENT_STATUSES],
    ),
    FilterField(
        "method",
        "admin_payments.col.method",
        options=[(ALL, "list.any")] + [(m, f"statement.method.{m}") for m in PAYMENT_METHODS],
    ),
    FilterField("date_from", "statement.date_from", "date"),
    FilterField("date_to", "statement.date_to", "date"),
    FilterField("amount_min", "statement.amount_from", "amount"),
    FilterField("amount_max", "statement.amount_to", "amount"),
]
SORTS = [
    ("created_at", "admin_payments.col.date"),
    ("amount", "admin_payments.col.amount"),
    ("status", "admin_payments.col.status"),
]


def partner_payments_page() -> rx.Component:
    return shell(
        "partner",
        list_view(
            PartnerPaymentsState,
            COLUMNS,
            FIELDS,
            SORTS,
            id_="partner-payments",
            search_key="own_lists.partner_payments.search",
            empty_key="own_lists.partner_payments.empty",
        ),
        title_key="own_lists.partner_payments.title",
    )
