"""/partner/sims: the SIMs assigned to the partner (filters, search, CSV), a declaration over
the one list machinery; an in-stock SIM links to the sale form."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.i18n import t
from paysim_app.partners import cabinet
from paysim_app.sims import SIM_STATUSES
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.cards import STATUS_COLOURS
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.partner.usage_totals import USAGE_COLUMNS, UsageTotalsMixin


class PartnerSimsState(UsageTotalsMixin, ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "partner"

    def _spec(self):
        return cabinet.PARTNER_SIM_LIST

    def _role(self) -> str:
        return "partner"

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        in_stock = row["status"] == "in_stock"
        return {
            "msisdn": phone(row["msisdn"]),
            "iccid": row["iccid"],
            "status": t(f"sim.status.{row['status']}", loc),
            "colour": STATUS_COLOURS.get(row["status"], "gray"),
            "tariff": row["tariff"] or "—",
            "subscriber": row["subscriber"] or "—",
            "balance": money(row["balance_kop"], loc),
            "tone": "neg" if row["balance_kop"] < 0 else "",
            **self._usage_cells(row["id"], loc),
            "activated": moment(row["activated_at"], loc) if row["activated_at"] else "—",
            "action": t("partner_cabinet.sell", loc) if in_stock else "",
            "sell_href": f"/partner/activations?sim={row['id']}" if in_stock else "",
        }

    @access("partner")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("msisdn", "partner_cabinet.col.msisdn", mono=True),
    Column("iccid", "partner_cabinet.col.iccid", mono=True),
    Column("status", "partner_cabinet.col.status", badge="colour"),
    Column("tariff", "partner_cabinet.col.tariff"),
    Column("subscriber", "partner_cabinet.col.subscriber"),
    Column("balance", "partner_cabinet.col.balance", align="right", tone="tone"),
    Column("activated", "partner_cabinet.col.activated", mono=True),
    *USAGE_COLUMNS,
    Column("action", "partner_cabinet.col.action", link="sell_href"),
]
FIELDS = [
    FilterField(
        "status",
        "partner_cabinet.col.status",
        options=[(ALL, "list.any")] + [(s, f"sim.status.{s}") for s in SIM_STATUSES],
    ),
    FilterField("activated_from", "partner_cabinet.activated_from", "date"),
    FilterField("activated_to", "partner_cabinet.activated_to", "date"),
]
SORTS = [
    ("created_at", "partner_cabinet.sort.created"),
    ("msisdn", "partner_cabinet.col.msisdn"),
    ("activated_at", "partner_cabinet.col.activated"),
    ("balance", "partner_cabinet.col.balance"),
]


def partner_sims_page() -> rx.Component:
    return shell(
        "partner",
        list_view(
            PartnerSimsState,
            COLUMNS,
            FIELDS,
            SORTS,
            id_="partner-sims",
            search_key="partner_cabinet.sims.search",
        ),
        title_key="partner_cabinet.sims.title",
    )
