"""The page of any back-office list: search box, filters (folded on a phone), sort, the one
data table, the pager, CSV and Excel export and, where a section has them, bulk actions on
selected rows.

A section declares its filters as `FilterField`s and its columns as data_table `Column`s; the
state is a ListMixin subclass (ui/components/listing.py). A page showing two lists at once gives
the second a `scope`: its controls' ids then start with it (ids.scoped), and no id is twice on
the page.
"""

from __future__ import annotations

from typing import NamedTuple

import reflex as rx

from paysim_app.ui.components.advanced_search import advanced_panel
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import scoped
from paysim_app.ui.components.pickers import native_choice


class FilterField(NamedTuple):
    name: str
    label_key: str
    kind: str = "choice"  # choice | text | date | amount
    options: list[tuple[str, str]] | None = None  # fixed (value, i18n key); ALL first
    dynamic: str | None = None  # or: a state var name holding [{value, label}]


def _filter_control(state, f: FilterField, scope: str = "") -> rx.Component:
    value = state.filters[f.name]
    id_ = scoped(scope, f"f-{f.name}")
    if f.kind == "choice":
        return native_choice(
            f.options if f.options is not None else getattr(state, f.dynamic),
            rx.cond(value == "", "all", value),
            lambda v: state.set_filter(f.name, v),
            id_,
            f.label_key,
        )
    if f.kind == "date":
        control = rx.input(
            id=id_,
            type="date",
            value=value,
            size="3",
            width="100%",
            on_change=lambda v: state.set_filter(f.name, v),
        )
    else:
        control = rx.input(
            id=id_,
            value=value,
            size="3",
            width="100%",
            input_mode="decimal" if f.kind == "amount" else None,
            on_change=lambda v: state.type_filter(f.name, v),
        )
    return labelled(id_, tr(f.label_key), control)


def _sort_bar(state, sorts: list[tuple[str, str]], scope: str = "") -> rx.Component:
    return rx.hstack(
        native_choice(sorts, state.sort, state.set_sort, scoped(scope, "list-sort"), "list.sort"),
        rx.icon_button(
            rx.cond(
                state.descending, rx.icon("arrow-down-wide-narrow"), rx.icon("arrow-up-narrow-wide")
            ),
            variant="soft",
            size="3",
            type="button",
            on_click=state.flip_order,
            aria_label=tr("list.order"),
            id=scoped(scope, "list-order"),
        ),
        align="end",
        spacing="2",
        width="100%",
    )


def filter_card(
    state,
    fields: list[FilterField],
    sorts: list[tuple[str, str]],
    search_key: str,
    scope: str = "",
) -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.flex(
                    rx.input(
                        id=scoped(scope, "list-search"),
                        value=state.search,
                        size="3",
                        placeholder=tr(search_key),
                        flex="1",
                        min_width="200px",
                        type="search",
                        on_change=state.set_search,
                    ),
                    rx.button(
                        rx.icon("search", size=16),
                        tr("list.apply"),
                        type="submit",
                        size="3",
                        id=scoped(scope, "list-apply"),
                    ),
                    rx.button(
                        rx.icon("sliders-horizontal", size=16),
                        tr("list.filters"),
                        variant="soft",
                        size="3",
                        type="button",
                        on_click=state.toggle_filters,
                        class_name="filter-toggle",
                        id=scoped(scope, "filter-toggle"),
                    ),
                    spacing="2",
                    wrap="wrap",
                    width="100%",
                ),
                rx.grid(
                    *[_filter_control(state, f, scope) for f in fields],
                    _sort_bar(state, sorts, scope),
                    rx.hstack(
                        rx.button(
                            tr("list.reset"),
                            variant="soft",
                            size="3",
                            type="button",
                            on_click=state.clear,
                            id=scoped(scope, "list-reset"),
                        ),
                        rx.button(
                            rx.icon("download", size=16),
                            tr("list.export"),
                            variant="outline",
                            size="3",
                            type="button",
                            on_click=state.export("csv"),
                            id=scoped(scope, "list-export"),
                        ),
                        rx.button(
                            rx.icon("file-spreadsheet", size=16),
                            tr("list.export_xlsx"),
                            variant="outline",
                            size="3",
                            type="button",
                            on_click=state.export("xlsx"),
                            id=scoped(scope, "list-export-xlsx"),
                        ),
                        align="end",
                        spacing="2",
                        wrap="wrap",
                    ),
                    columns=rx.breakpoints(initial="1", xs="2", md="4"),
                    spacing="3",
                    width="100%",
                    class_name=rx.cond(state.filters_open, "filter-panel open", "filter-panel"),
                    id=scoped(scope, "filter-panel"),
                ),
                error_banner(state.list_error, id_=scoped(scope, "list-error")),
                spacing="3",
                width="100%",
            ),
            on_submit=state.apply,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def list_pager(state, id_: str) -> rx.Component:
    return rx.hstack(
        rx.text(state.summary, size="2", color=rx.color("gray", 11), id=f"{id_}-summary"),
        rx.spacer(),
        rx.hstack(
            rx.text(state.page_label, size="2", color=rx.color("gray", 11), id=f"{id_}-page"),
            rx.button(
                rx.icon("chevron-left", size=16),
                tr("list.prev"),
                variant="soft",
                size="3",
                disabled=state.page <= 1,
                on_click=state.prev_page,
                id=f"{id_}-prev",
            ),
            rx.button(
                tr("list.next"),
                rx.icon("chevron-right", size=16),
                variant="soft",
                size="3",
                disabled=~state.has_next,
                on_click=state.next_page,
                id=f"{id_}-next",
            ),
            align="center",
            spacing="2",
        ),
        width="100%",
        align="center",
        wrap="wrap",
        spacing="2",
    )


def list_view(
    state,
    columns: list[Column],
    fields: list[FilterField],
    sorts: list[tuple[str, str]],
    *,
    id_: str,
    search_key: str = "list.search",
    empty_key: str = "list.empty",
    selectable: bool = False,
    bulk: rx.Component | None = None,
    extra: rx.Component | None = None,
    scope: str = "",
) -> rx.Component:
    """Everything under a list section's title (`scope`: see the module's docstring)."""
    return rx.vstack(
        filter_card(state, fields, sorts, search_key, scope),
        advanced_panel(state, scope),
        extra if extra is not None else rx.fragment(),
        rx.cond(state.selected.length() > 0, bulk) if bulk is not None else rx.fragment(),
        # until on_load has fetched the first page, hold the table's space (no "empty" flash,
        # no pager jumping down when the rows arrive)
        rx.cond(
            rx.State.is_hydrated,
            data_table(
                columns,
                state.rows,
                empty_key,
                id_,
                selection=(state.selected, state.toggle_row, state.all_selected, state.toggle_page)
                if selectable
                else None,
            ),
            rx.box(min_height="70vh", width="100%", id=f"{id_}-loading"),
        ),
        list_pager(state, id_),
        spacing="4",
        width="100%",
    )
