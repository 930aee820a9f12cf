"""The pick of one SIM in stock, shared by the pages that hand a SIM out: the admin's shipping
of an order (the operator's stock), the partner's hand-out of a pick-up order and the partner's
sale (its own stock). A search box with its Find button, then a select of the SIMs found (or a
note that none was).

The state part is StockPickMixin: the search, the options found and the chosen SIM's id (the
browser's choice, read with ids.optional_id by the handler that uses it). A state that mixes it
in names its handlers' access word in STOCK_ACCESS and answers `_stock_found(search)` (the
verb's call: an Outcome whose value lists the SIMs found, each with an `id`) and
`_stock_label(item)` (what the select shows of one)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.ui.access import STOCK, access
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.pickers import choice

SEARCH_MAX = 40
ID_MAX = 12


class StockPickMixin(rx.State, mixin=True):
    STOCK_ERROR: ClassVar[str] = "error"  # the state's var that shows a refused search

    stock_search: str = ""
    stock_options: list[dict[str, str]] = []  # {"value": SIM id, "label": what the select shows}
    sim_id: str = ""  # the chosen SIM ("" while none is)

    def _stock_found(self, search: str):
        raise NotImplementedError

    def _stock_label(self, item) -> str:
        raise NotImplementedError

    def _reset_stock(self) -> None:
        self.stock_search, self.sim_id = "", ""

    def _load_stock(self):
        """The SIMs matching the search; a chosen SIM no longer among them is dropped. A refused
        search (the Outcome, returned) leaves what was offered as it was."""
        res = self._stock_found(self.stock_search)
        if res:
            self.stock_options = [
                {"value": str(item.id), "label": self._stock_label(item)}
                for item in res.value or []
            ]
            if self.sim_id not in {o["value"] for o in self.stock_options}:
                self.sim_id = ""
        return res

    @access(STOCK)
    @rx.event
    def set_stock_search(self, value: str):
        self.stock_search = str(value)[:SEARCH_MAX]

    @access(STOCK)
    @rx.event
    def find_stock(self):
        res = self._load_stock()
        if not res:
            setattr(self, self.STOCK_ERROR, res.error)
        return res.redirect

    @access(STOCK)
    @rx.event
    def set_sim(self, value: str):
        self.sim_id = str(value)[:ID_MAX]


def stock_picker(state, id_: str, label_key: str, empty_key: str) -> rx.Component:
    """The search box and its Find button, then the select of the SIMs found (`label_key` its
    label) or the note `empty_key`. Ids: {id_}-stock-search, {id_}-stock-find, {id_}-sim,
    {id_}-no-stock."""
    return rx.fragment(
        rx.flex(
            rx.input(
                id=f"{id_}-stock-search",
                value=state.stock_search,
                placeholder=tr("partner_cabinet.sell.sim_search"),
                size="3",
                flex="1",
                min_width="180px",
                type="search",
                on_change=state.set_stock_search,
            ),
            rx.button(
                rx.icon("search", size=16),
                tr("partner_cabinet.sell.find"),
                type="button",
                variant="soft",
                size="3",
                on_click=state.find_stock,
                id=f"{id_}-stock-find",
            ),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            state.stock_options.length() > 0,
            choice(state.stock_options, state.sim_id, state.set_sim, f"{id_}-sim", label_key),
            rx.text(tr(empty_key), size="2", id=f"{id_}-no-stock"),
        ),
    )
