"""The one table every list uses: columns declared once, rows are dicts of display strings.

Rows arrive already formatted by the page's state (one page of rows, never a whole table);
filtering, sorting and paging happen in SQL in the services. `pager` turns the pages.
"""

from __future__ import annotations

from typing import NamedTuple

import reflex as rx

from paysim_app.ui.components.i18n import tr

DESKTOP = rx.breakpoints(initial="none", sm="block")
MOBILE = rx.breakpoints(initial="flex", sm="none")

TONES = {"neg": ("red", 11), "pos": ("green", 11), "muted": ("gray", 11)}


class Column(NamedTuple):
    key: str
    label_key: str
    mono: bool = False
    align: str = "left"  # "right" for amounts
    badge: str | None = None  # row key holding the badge colour (the cell becomes a badge)
    tone: str | None = None  # row key holding "neg" / "pos" / "muted" (text colour)
    hint: str | None = None  # row key of a second, smaller line under the value
    link: str | None = None  # row key holding a URL: the value links there


def _cell(row: rx.Var, c: Column) -> rx.Component:
    return rx.table.cell(
        _cell_value(row, c),
        font_family="var(--code-font-family)" if c.mono else None,
        white_space="nowrap" if c.mono or c.align == "right" else None,
        text_align=c.align,
    )


def _cell_value(row: rx.Var, c: Column) -> rx.Component:
    value: rx.Component = rx.text(row[c.key], as_="span")
    if c.link:
        value = rx.link(row[c.key], href=row[c.link], weight="medium")
    if c.badge:
        value = rx.cond(
            row[c.key] != "",
            # high contrast: a soft badge's coloured text fails WCAG AA on its tint (axe)
            rx.badge(row[c.key], color_scheme=row[c.badge], variant="soft", high_contrast=True),
        )
    elif c.tone:
        value = rx.text(
            row[c.key],
            as_="span",
            color=rx.match(
                row[c.tone],
                *[(k, rx.color(colour, shade)) for k, (colour, shade) in TONES.items()],
                rx.color("gray", 12),
            ),
            weight="medium",
        )
    if c.hint:
        value = rx.vstack(
            value,
            rx.cond(row[c.hint] != "", rx.text(row[c.hint], size="1", color=rx.color("gray", 11))),
            spacing="0",
            align="end" if c.align == "right" else "start",
        )
    return value


def _checkbox(row: rx.Var, selection) -> rx.Component:
    selected, on_toggle, _all, _toggle_all = selection
    return rx.checkbox(
        checked=selected.contains(row["id"]),
        on_change=lambda _v: on_toggle(row["id"]),
        aria_label=row["id"],
        size="3",
        class_name="row-select",
    )


def _row_card(row: rx.Var, columns: list[Column], selection=None) -> rx.Component:
    """A phone shows each row as a small card of label: value lines instead of a wide table."""
    return rx.card(
        rx.vstack(
            _checkbox(row, selection) if selection else rx.fragment(),
            *[
                rx.hstack(
                    rx.text(tr(c.label_key), size="1", color=rx.color("gray", 11), min_width="35%"),
                    rx.box(
                        _cell_value(row, c),
                        text_align="right",
                        min_width="0",
                        overflow_wrap="anywhere",
                    ),
                    justify="between",
                    width="100%",
                    align="start",
                    spacing="3",
                )
                for c in columns
            ],
            spacing="1",
            width="100%",
        ),
        width="100%",
        size="1",
        class_name="row-card",
    )


def data_table(
    columns: list[Column], rows: rx.Var, empty_key: str, id_: str, selection=None
) -> rx.Component:
    """`selection`: (selected ids var, toggle(id) handler, all-selected var, toggle-all handler)
    adds a checkbox to every row for bulk actions; rows then need an "id" key."""
    head = (
        [
            rx.table.column_header_cell(
                rx.checkbox(
                    checked=selection[2],
                    on_change=selection[3],
                    aria_label="all",
                    size="3",
                    id=f"{id_}-select-all",
                ),
                width="40px",
            )
        ]
        if selection
        else []
    )
    return rx.cond(
        rows.length() > 0,
        rx.fragment(
            rx.vstack(
                rx.foreach(rows, lambda row: _row_card(row, columns, selection)),
                display=MOBILE,
                spacing="2",
                width="100%",
                id=f"{id_}-cards",
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *head,
                            *[
                                rx.table.column_header_cell(tr(c.label_key), text_align=c.align)
                                for c in columns
                            ],
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            rows,
                            lambda row: rx.table.row(
                                *([rx.table.cell(_checkbox(row, selection))] if selection else []),
                                *[_cell(row, c) for c in columns],
                            ),
                        )
                    ),
                    variant="surface",
                    width="100%",
                    id=id_,
                ),
                overflow_x="auto",
                width="100%",
                display=DESKTOP,
            ),
        ),
        rx.text(tr(empty_key), color=rx.color("gray", 11), id=f"{id_}-empty"),
    )


def pager(
    summary: rx.Var,
    page_text: rx.Var,
    has_prev: rx.Var,
    has_next: rx.Var,
    on_prev,
    on_next,
    id_: str,
) -> rx.Component:
    """'Found: 42 · Page 1 of 3  [Previous] [Next]' under a table."""
    return rx.hstack(
        rx.text(summary, size="2", color=rx.color("gray", 11), id=f"{id_}-summary"),
        rx.spacer(),
        rx.hstack(
            rx.text(page_text, size="2", color=rx.color("gray", 11)),
            rx.button(
                rx.icon("chevron-left", size=16),
                tr("statement.prev"),
                variant="soft",
                disabled=~has_prev,
                on_click=on_prev,
                id=f"{id_}-prev",
                size="2",
            ),
            rx.button(
                tr("statement.next"),
                rx.icon("chevron-right", size=16),
                variant="soft",
                disabled=~has_next,
                on_click=on_next,
                id=f"{id_}-next",
                size="2",
            ),
            align="center",
            spacing="2",
        ),
        width="100%",
        align="center",
        wrap="wrap",
        spacing="2",
    )
