"""The notification centre's page, shared by the three trees: the list of the signed-in
user's notifications (ui/components/notifications.NotificationsMixin) in the one data table,
with "mark all read" above it and "mark read" for the selected rows."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL

COLUMNS = [
    Column("when", "notify_centre.col.when", mono=True),
    Column("message", "notify_centre.col.message", hint="body"),
    Column("kind", "notify_centre.col.kind"),
    Column("sim", "notify_centre.col.sim", mono=True),
    Column("state", "notify_centre.col.state", badge="colour"),
]
STATES = [
    (ALL, "notify_centre.filter.all"),
    ("unread", "notify_centre.state.unread"),
    ("read", "notify_centre.state.read"),
]
SORTS = [("created", "notify_centre.col.when")]


def _mark_bar(state) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.text(tr("admin_sims.selected"), " ", state.selected.length(), weight="medium"),
            rx.button(
                rx.icon("check", size=16),
                tr("notify_centre.mark_selected"),
                variant="soft",
                size="3",
                on_click=state.mark_selected,
                id="notify-mark-selected",
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        width="100%",
    )


def notifications_page(tree: str, state, *, with_sim: bool = False) -> rx.Component:
    fields = [FilterField("kind", "notify_centre.filter.kind", dynamic="kind_options")]
    if with_sim:
        fields.append(FilterField("sim", "notify_centre.filter.sim", dynamic="sim_options"))
    fields.append(FilterField("state", "notify_centre.filter.state", options=STATES))
    columns = COLUMNS if with_sim else [c for c in COLUMNS if c.key != "sim"]
    return shell(
        tree,
        rx.vstack(
            rx.flex(
                rx.button(
                    rx.icon("check-check", size=16),
                    tr("notify_centre.mark_all"),
                    variant="outline",
                    size="3",
                    on_click=state.mark_all,
                    id="notify-mark-all",
                ),
                rx.cond(
                    state.mark_message != "",
                    rx.text(state.mark_message, size="2", id="notify-marked"),
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            list_view(
                state,
                columns,
                fields,
                SORTS,
                id_="notifications",
                empty_key="notify_centre.empty",
                selectable=True,
                bulk=_mark_bar(state),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="notify_centre.title",
    )
