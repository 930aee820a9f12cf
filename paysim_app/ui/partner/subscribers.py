"""/partner/subscribers: the subscribers on the partner's SIMs, one row per SIM (name, number,
status, tariff, balance; never their cards or tickets)."""

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
from paysim_app.ui.components.format import money, phone
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.partner.usage_totals import USAGE_COLUMNS, UsageTotalsMixin


class PartnerSubscribersState(UsageTotalsMixin, ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "partner"

    def _spec(self):
        return cabinet.PARTNER_SUBSCRIBER_LIST

    def _role(self) -> str:
        return "partner"

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        return {
            "name": row["name"] or "—",
            "contract": row["contract_no"],
            "msisdn": phone(row["msisdn"]),
            "status": t(f"sim.status.{row['status']}", loc),
            "colour": STATUS_COLOURS.get(row["status"], "gray"),
            "tariff": row["tariff"] or "—",
            "balance": money(row["balance_kop"], loc),
            "tone": "neg" if row["balance_kop"] < 0 else "",
            **self._usage_cells(row["id"], loc),
        }

    @access("partner")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("name", "partner_cabinet.col.name", hint="contract"),
    Column("msisdn", "partner_cabinet.col.msisdn", mono=True),
    Column("status", "partner_cabinet.col.status", badge="colour"),
    Column("tariff", "partner_cabinet.col.tariff"),
    Column("balance", "partner_cabinet.col.balance", align="right", tone="tone"),
    *USAGE_COLUMNS,
]
FIELDS = [
    FilterField(
        "status",
        "partner_cabinet.col.status",
        options=[(ALL, "list.any")] + [(s, f"sim.status.{s}") for s in SIM_STATUSES],
    ),
]
SORTS = [
    ("created_at", "partner_cabinet.sort.created"),
    ("name", "partner_cabinet.col.name"),
    ("balance", "partner_cabinet.col.balance"),
]


def partner_subscribers_page() -> rx.Component:
    return shell(
        "partner",
        list_view(
            PartnerSubscribersState,
            COLUMNS,
            FIELDS,
            SORTS,
            id_="partner-subscriber-list",
            search_key="partner_cabinet.subscribers.search",
        ),
        title_key="partner_cabinet.subscribers.title",
    )
