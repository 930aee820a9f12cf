"""/cabinet/usage: the subscriber's data usage by SIM and day, as a declaration over the one list
machinery (filters kept in the address, the advanced search, sort, pages, saved filter sets,
CSV and Excel export); the verb keeps it to the subscriber's own SIMs whatever SIM id or
condition the browser sends (sims.usage_list.USAGE_LIST)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.sims import usage_list
from paysim_app.ui.access import access
from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.empty_state import empty_state
from paysim_app.ui.components.format import data_size, day, phone
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin


class UsageListState(ListMixin, CabinetState):
    """The usage list over sims.usage_list.USAGE_LIST; the SIM filter offers the contract's
    own SIMs (a forged one finds nothing and is named as forbidden)."""

    LIST_ACCESS: ClassVar[str] = "subscriber"

    def _spec(self):
        return usage_list.USAGE_LIST

    def _role(self) -> str:
        return "subscriber"

    def _prepare(self, actor: Actor) -> None:
        self._load_sims(actor)

    def _after_fetch(self, count: bool):
        wanted = self.filters.get("sim", "")
        if (
            not self.list_error
            and wanted not in ("", ALL)
            and wanted not in {str(s["id"]) for s in self.sims}
        ):
            self.list_error = t("error.forbidden", self.locale)
        return None

    def _format(self, raw: dict, loc: str) -> dict[str, str]:
        shown = raw.get("day")
        when = date.fromisoformat(shown) if isinstance(shown, str) else shown
        return {
            "id": str(raw.get("id", "")),
            "day": day(when, loc) if when else "",
            "sim": phone(raw.get("msisdn") or ""),
            "label": raw.get("sim_label") or "",
            "down": data_size(raw.get("bytes_down") or 0, loc),
            "up": data_size(raw.get("bytes_up") or 0, loc),
            "total": data_size(raw.get("bytes_total") or 0, loc),
        }

    @access("subscriber")
    @rx.event
    async def load(self):
        return await self._start()

    @rx.var
    def sim_filter_options(self) -> list[dict[str, str]]:
        return [
            {"value": ALL, "label": t("usage_list.all_sims", self.view_locale)},
            *self.sim_options,
        ]


COLUMNS = [
    Column("day", "usage_list.col.day", mono=True),
    Column("sim", "usage_list.col.sim", mono=True, hint="label"),
    Column("down", "usage_list.col.down", align="right"),
    Column("up", "usage_list.col.up", align="right"),
    Column("total", "usage_list.col.total", align="right"),
]
FIELDS = [
    FilterField("sim", "usage_list.sim", dynamic="sim_filter_options"),
    FilterField("date_from", "usage_list.date_from", "date"),
    FilterField("date_to", "usage_list.date_to", "date"),
    FilterField("total_min", "usage_list.total_from", "amount"),
    FilterField("total_max", "usage_list.total_to", "amount"),
]
SORTS = [("day", "usage_list.col.day"), ("total", "usage_list.col.total")]


def usage_list_page() -> rx.Component:
    return shell(
        "cabinet",
        rx.cond(
            UsageListState.sim_options.length() > 0,
            list_view(
                UsageListState,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="usage-list",
                search_key="usage_list.search",
                empty_key="usage_list.empty",
            ),
            empty_state("usage_list.lead.empty"),
        ),
        title_key="usage_list.title",
    )
