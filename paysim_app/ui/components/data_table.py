"""The one table every list uses: columns declared once, rows are dicts of display strings.

Rows arrive already formatted by the page's state (one page of rows, never a whole table);
filtering, sorting and paging happen in SQL in the services. `pager` turns the pages.
"""

from __future__ import annotations

from typing import NamedTuple

import reflex as rx

from paysim_app.ui.components.i18n import tr

TONES = ("neg", "pos", "muted")  # a row's tone key: the colour of its cell (paysim.css)


class Column(NamedTuple):
    key: str
    label_key: str
    mono: bool = False
    align: str = "left"  # "right" for amounts
    badge: str | None = None  # row key holding the badge colour (the cell becomes a badge)
    tone: str | None = None  # row key holding "neg" / "pos" / "muted" (text colour)
    hint: str | None = None  # row key of a second, smaller line under the value
    link: str | None = None  # row key holding a URL: the value links there
    # row key holding a file's URL: the value is a link that downloads it (no client-side
    # routing); a row whose URL is empty shows the value as text
    download: str | None = None


def _cell(row: rx.Var, c: Column) -> rx.Component:
    # A plain <td> with Radix's class names looks the same as rx.table.cell but skips a Radix
    # component (prop extraction + an emotion class) per cell; every state change re-renders
    # all rows. data-label: a phone shows each row as a card of "label: value" (paysim.css).
    classes = ["rt-TableCell"]
    if c.mono:
        classes.append("cell-mono")
    if c.align == "right":
        classes.append("cell-right")
    return rx.el.td(
        _cell_value(row, c),
        class_name=" ".join(classes),
        custom_attrs={"data-label": tr(c.label_key)},
    )


def _cell_value(row: rx.Var, c: Column) -> rx.Component:
    # a bare value is a text node of the <td>: no element per cell
    value: rx.Component | rx.Var = row[c.key]
    if c.link:
        # a row without a URL shows its value as text: an empty link has no name (axe
        # link-name) and would lead back to the page itself
        value = rx.cond(
            row[c.link] != "",
            rx.link(row[c.key], href=row[c.link], weight="medium"),
            row[c.key],
        )
    if c.download:
        value = rx.cond(
            row[c.download] != "",
            # the browser's own navigation (reloadDocument), not client-side routing: the
            # response is a file to save
            rx.link(
                row[c.key],
                href=row[c.download],
                download=True,
                reload_document=True,
                weight="medium",
            ),
            row[c.key],
        )
    if c.badge:
        value = rx.cond(
            row[c.key] != "",
            # rx.badge's markup without the component; high contrast: a soft badge's coloured
            # text fails WCAG AA on its tint (axe)
            rx.el.span(
                row[c.key],
                class_name="rt-reset rt-Badge rt-r-size-1 rt-variant-soft rt-high-contrast",
                custom_attrs={"data-accent-color": row[c.badge]},
            ),
        )
    elif c.tone:
        # classes (paysim.css), not a styled rx.text: no emotion class built per cell
        value = rx.el.span(
            row[c.key],
            class_name=rx.match(row[c.tone], *[(k, f"cell-tone {k}") for k in TONES], "cell-tone"),
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
    # a native checkbox: one per row, re-rendered with the rows
    return rx.el.input(
        type="checkbox",
        checked=selected.contains(row["id"]),
        on_change=lambda _v: on_toggle(row["id"]),
        aria_label=row["id"],
        class_name="row-select",
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
                            lambda row: rx.el.tr(
                                *(
                                    [rx.el.td(_checkbox(row, selection), class_name="rt-TableCell")]
                                    if selection
                                    else []
                                ),
                                *[_cell(row, c) for c in columns],
                                class_name="rt-TableRow row-card",
                            ),
                        )
                    ),
                    variant="surface",
                    width="100%",
                    id=id_,
                    class_name="data-table",
                ),
                overflow_x="auto",
                width="100%",
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
