"""The preview of a file import (upload -> preview -> confirm), shared by the SIM import
(/admin/sims/import) and the coverage import (/admin/coverage?tab=import): the card with the
file's dropzone and the page's buttons, the count of each kind of row, and the table of the
first rows of one kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import reflex as rx

from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.i18n import tr

# what the dropzones accept: CSV (or plain text) and Excel
TABLE_FILES = {
    "text/csv": [".csv"],
    "text/plain": [".txt", ".csv"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
}
MUTED = rx.color("gray", 11)


def upload_card(
    upload_id: str,
    intro_key: str,
    choose_key: str,
    max_size: int,
    selected_id: str,
    actions: rx.Component,
) -> rx.Component:
    """The import's explanation, the dropzone of one file (its name shown once chosen, with
    the id `selected_id`) and the page's buttons (`actions`) under it."""
    return rx.card(
        rx.vstack(
            rx.text(tr(intro_key), size="2", color=MUTED),
            # the dropzone's hidden <input type=file> takes its accessible name from this <label>
            rx.el.label(
                rx.upload(
                    rx.vstack(
                        rx.button(
                            rx.icon("file-up", size=16),
                            tr(choose_key),
                            variant="soft",
                            type="button",
                            size="2",
                        ),
                        rx.foreach(
                            rx.selected_files(upload_id),
                            lambda name: rx.text(name, size="2", id=selected_id),
                        ),
                        spacing="2",
                        align="start",
                    ),
                    id=upload_id,
                    max_files=1,
                    max_size=max_size,
                    accept=TABLE_FILES,
                    multiple=False,
                    border=f"1px dashed {rx.color('gray', 7)}",
                    padding="1em",
                    width="100%",
                ),
                display="block",
                width="100%",
            ),
            actions,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def count_grid(
    counts: rx.Var,
    kinds: Iterable[str],
    label: Callable[[str], rx.Var | str],
    id_prefix: str,
    wide_columns: str,
    id_: str | None = None,
) -> rx.Component:
    """A card for each kind of row: its label (`label(kind)`) over its count (counts[kind],
    id {id_prefix}-{kind}; the rejected rows' in red). Two cards a line on a phone,
    `wide_columns` from 576 px."""
    cards = [
        rx.card(
            rx.vstack(
                rx.text(label(kind), size="2", color=MUTED),
                rx.text(
                    counts[kind].to_string(),
                    size="6",
                    weight="bold",
                    color=rx.color("red", 11) if kind == "reject" else None,
                    id=f"{id_prefix}-{kind}",
                ),
                spacing="1",
            ),
            width="100%",
        )
        for kind in kinds
    ]
    return rx.grid(
        *cards,
        columns=rx.breakpoints(initial="2", sm=wide_columns),
        spacing="3",
        width="100%",
        **({"id": id_} if id_ else {}),
    )


def preview_table(
    shown: rx.Var,
    title_key: str,
    columns: list[Column],
    rows: rx.Var,
    empty_key: str,
    id_: str,
    note: rx.Component | None = None,
) -> rx.Component:
    """While `shown`: one kind's heading over the table of its first rows (id `id_`), and the
    `note` under it (how many of how many it shows)."""
    return rx.cond(
        shown,
        rx.vstack(
            rx.heading(tr(title_key), size="4", as_="h2"),
            data_table(columns, rows, empty_key, id_),
            *([note] if note is not None else []),
            spacing="2",
            width="100%",
        ),
    )
