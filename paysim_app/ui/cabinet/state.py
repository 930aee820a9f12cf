"""The state every cabinet page shares: the contract's SIMs and the current one.

Pages that follow the current SIM (top-up, autopay, payments, ...) inherit from CabinetState,
so choosing a SIM on one page carries over to the next.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.overview import dashboards
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.format import phone
from paysim_app.ui.components.ids import browser_id


def plain(value):
    """A service's DTO (as asdict) with dates and datetimes as ISO strings, so that it can live
    in a state var; computed vars format it in the current language."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class CabinetState(SessionState):
    sims: list[dict] = []
    current_sim_id: int = 0  # the SIM the cabinet's pages follow (one of the contract's own)

    def _load_sims(self, actor: Actor) -> None:
        res = self._call(dashboards.subscriber_sims)
        self.sims = [asdict(s) for s in res.value] if res else []
        if self.sims and self.current_sim_id not in {s["id"] for s in self.sims}:
            self.current_sim_id = self.sims[0]["id"]

    def _pick_sim(self, sim_id: str | int) -> rx.event.EventSpec | None:
        """Make one SIM current. The id comes from the browser: the service checks ownership."""
        res = self._call(dashboards.subscriber_sim, browser_id(sim_id))
        if not res:
            return res.redirect or rx.toast.error(self._t("error.forbidden"))
        self.current_sim_id = res.value.id
        return None

    def _refresh(self, actor: Actor) -> None:
        """What a page reloads when the current SIM changes (pages override it)."""

    def _query_int(self, name: str) -> int | None:
        try:
            return int(self.router.url.query_parameters.get(name, ""))
        except (TypeError, ValueError):
            return None

    def _open(self) -> tuple[Actor | None, rx.event.EventSpec | None]:
        """On load: gate the page, load the contract's SIMs and follow ?sim= when it names one
        of them. Returns (actor, None), or (None, a redirect)."""
        actor, redirect = self._gate("subscriber")
        if redirect:
            return None, redirect
        self._load_sims(actor)
        wanted = self._query_int("sim")
        if wanted is not None and wanted != self.current_sim_id:
            self._pick_sim(wanted)
        return actor, None

    # Reflex binds an event handler to the class that defines it: a handler inherited from here
    # would run on CabinetState, not on the page's state, and miss the page's _refresh. So each
    # page defines its own thin `load` / `select_sim` over these two helpers.
    def _load_page(self):
        """A cabinet page's on_load: the gate, the SIMs, then the page's own data."""
        actor, redirect = self._open()
        if redirect:
            return redirect
        self._refresh(actor)
        return None

    def _switch(self, sim_id: str | int):
        """Make a SIM current from the page's picker and reload the page's data for it."""
        problem = self._pick_sim(sim_id)
        if problem is not None:
            return problem
        actor = self._actor()
        if actor is not None:
            self._refresh(actor)
        return None

    @access("subscriber")
    @rx.event
    def switch_sim(self, sim_id: str):
        """The header's switcher: make the SIM current and show this page again for it."""
        problem = self._pick_sim(sim_id)
        if problem is not None:
            return problem
        return rx.redirect(self.router.page.path or "/cabinet")

    @rx.var
    def sim_options(self) -> list[dict[str, str]]:
        """For SIM pickers: value = id, label = number (and the subscriber's label)."""
        return [
            {
                "value": str(s["id"]),
                "label": phone(s["msisdn"]) + (f" · {s['label']}" if s["label"] else ""),
            }
            for s in self.sims
        ]

    @rx.var
    def current_sim_value(self) -> str:
        return str(self.current_sim_id) if self.current_sim_id else ""
