"""The frame of a cabinet page that follows the current SIM: the header's SIM switcher, the
page's SIM picker above its content, or a notice when the contract has no SIM yet."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.empty_state import empty_state
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import DESKTOP, header_slot, shell
from paysim_app.ui.components.pickers import choice, native_select, var_options


def sim_picker(state, id_: str, label_key: str = "topup.sim") -> rx.Component:
    """The contract's SIMs; choosing one makes it current and reloads the page's data."""
    return choice(state.sim_options, state.current_sim_value, state.select_sim, id_, label_key)


def sim_page(
    state,
    title_key: str,
    *content: rx.Component,
    picker_id: str | None = None,
    label_key: str = "topup.sim",
    no_sims_key: str = "empty_cabinet.lead.topup",
    head: tuple[rx.Component, ...] = (),
) -> rx.Component:
    """`content` under a SIM picker (none when `picker_id` is None: the page places its own);
    without SIMs, the empty cabinet's ways on, under `no_sims_key` (why the section is empty)."""
    picker = (
        [rx.box(sim_picker(state, picker_id, label_key), width="100%", max_width="420px")]
        if picker_id
        else []
    )
    return shell(
        "cabinet",
        *head,
        rx.cond(
            state.sim_options.length() > 0,
            rx.vstack(*picker, *content, spacing="4", width="100%"),
            empty_state(no_sims_key),
        ),
        title_key=title_key,
    )


def sim_switcher(id_: str = "sim-switcher") -> rx.Component:
    """The header's SIM choice (in the drawer on a phone): every cabinet page follows it."""
    # native, as the lists' filters: a phone opens its own picker, and no cabinet page loads
    # Radix's select and its hidden copy of the items
    return rx.cond(
        CabinetState.sim_options.length() > 1,
        native_select(
            var_options(CabinetState.sim_options),
            value=CabinetState.current_sim_value,
            on_change=CabinetState.switch_sim,
            id=id_,
            aria_label=tr("cabinet.current_sim"),
            max_width="260px",
        ),
    )


@header_slot("cabinet")
def _header(place: str) -> rx.Component:
    """The SIM switcher: in the header bar on a desktop, at the top of the menu on a phone."""
    if place == "drawer":
        return sim_switcher("sim-switcher-drawer")
    return rx.box(sim_switcher("sim-switcher"), display=DESKTOP)
