"""The one table every list uses: columns declared once, rows are dicts of display strings.

Rows arrive already formatted by the page's state (one page of rows, never a whole table).
Later sections add filters, sorting, paging and export around this same component.
"""

from __future__ import annotations

from typing import NamedTuple

import reflex as rx

from paysim_app.ui.components.i18n import tr


class Column(NamedTuple):
    key: str
    label_key: str
    mono: bool = False


def data_table(columns: list[Column], rows: rx.Var, empty_key: str, id_: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(*[rx.table.column_header_cell(tr(c.label_key)) for c in columns])
                ),
                rx.table.body(
                    rx.foreach(
                        rows,
                        lambda row: rx.table.row(
                            *[
                                rx.table.cell(
                                    row[c.key],
                                    font_family="var(--code-font-family)" if c.mono else None,
                                    white_space="nowrap" if c.mono else None,
                                )
                                for c in columns
                            ]
                        ),
                    )
                ),
                variant="surface",
                width="100%",
                id=id_,
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.text(tr(empty_key), color=rx.color("gray", 11), id=f"{id_}-empty"),
    )
