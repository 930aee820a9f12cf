"""The empty cabinet: what a subscriber without SIMs sees instead of a section that needs one.

    empty_state("empty_cabinet.lead.topup")                    # a section: why it is empty + the ways on
    empty_state("empty_cabinet.lead.home", add=claim_form())   # the dashboard: the add form itself

The ways on: add a SIM you already have (the form when `add` is given, else a link to it on
/cabinet/sims), order a new one (/cabinet/order), check coverage (/coverage), see the tariffs
(/tariffs). One component for every section, so they all say the same thing. Until the
page's on_load has run it holds the space (every state has no SIMs before its data arrives).
"""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.components.i18n import tr

ADD_PATH = "/cabinet/sims#add-sim"
ORDER_PATH = "/cabinet/order"


def _action(key: str, href: str, icon: str, id_: str, primary: bool = False) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.icon(icon, size=22, color=rx.color("accent", 10), flex_shrink="0"),
                rx.vstack(
                    rx.text(
                        tr(key),
                        weight="bold",
                        size="3",
                        color=rx.color("accent", 11) if primary else rx.color("gray", 12),
                    ),
                    rx.text(tr(f"{key}_hint"), size="2", color=rx.color("gray", 11)),
                    spacing="1",
                ),
                align="start",
                spacing="3",
            ),
            width="100%",
            height="100%",
        ),
        href=href,
        underline="none",
        id=id_,
        width="100%",
    )


def empty_state(
    lead_key: str, add: rx.Component | None = None, id_: str = "no-sims"
) -> rx.Component:
    actions = [
        _action("empty_cabinet.order", ORDER_PATH, "package", "empty-order", primary=True),
        _action("empty_cabinet.coverage", "/coverage", "map-pin", "empty-coverage"),
        _action("empty_cabinet.tariffs", "/tariffs", "layers", "empty-tariffs"),
    ]
    if add is None:
        actions.insert(0, _action("empty_cabinet.add", ADD_PATH, "smartphone", "empty-add"))
    # until the page's data has arrived every cabinet has "no SIMs": hold the space instead
    return rx.cond(
        ~rx.State.is_hydrated,
        rx.box(min_height="50vh", id=f"{id_}-loading"),
        rx.vstack(
            rx.callout.root(
                rx.callout.icon(rx.icon("info")),
                rx.vstack(
                    rx.text(tr("empty_cabinet.title"), weight="bold"),
                    rx.text(tr(lead_key), size="2"),
                    spacing="1",
                ),
                width="100%",
            ),
            add if add is not None else rx.fragment(),
            rx.heading(tr("empty_cabinet.actions"), size="4", as_="h2"),
            rx.grid(
                *actions,
                columns=rx.breakpoints(initial="1", sm="2", lg=str(len(actions))),
                spacing="3",
                width="100%",
            ),
            spacing="4",
            width="100%",
            id=id_,
        ),
    )
