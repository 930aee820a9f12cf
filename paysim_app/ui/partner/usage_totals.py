"""The partner's lists of SIMs and subscribers show each SIM's data usage this month and last
month: after a page of rows arrives, one aggregate (sims.usage_view.partner_totals) for its SIMs
follows in a worker thread, and the two columns fill in."""

from __future__ import annotations

import reflex as rx

from paysim_app.sims import usage_view
from paysim_app.ui.access import access
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import data_size

USAGE_COLUMNS = [
    Column("this_month", "data_usage.col.this_month", align="right"),
    Column("last_month", "data_usage.col.last_month", align="right"),
]


class UsageTotalsMixin(rx.State, mixin=True):
    """For a ListMixin state whose rows are the partner's SIMs (row id = SIM id)."""

    _usage: dict[int, tuple[int, int]] = {}

    def _usage_cells(self, sim_id: object, locale: str) -> dict[str, str]:
        got = self._usage.get(sim_id) if isinstance(sim_id, int) else None
        if got is None:
            return {"this_month": "—", "last_month": "—"}
        return {"this_month": data_size(got[0], locale), "last_month": data_size(got[1], locale)}

    def _after_fetch(self, count: bool):
        self._usage = {}
        return type(self).load_usage if self._raw else None

    @access("partner")
    @rx.event
    async def load_usage(self):
        """The page's SIMs' totals (the verb keeps only the partner's own)."""
        ids = [r["id"] for r in self._raw if isinstance(r.get("id"), int)]
        if not ids:
            return
        res = await self._call_async(usage_view.partner_totals, ids)
        if res:
            self._usage = res.value
