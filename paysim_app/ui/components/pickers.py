"""Selects shared by pages: the contract's SIM, and a choice from a list of {value, label}."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.components.i18n import tr


def choice(
    options: rx.Var, value: rx.Var, on_change, id_: str, label_key: str, width: str = "100%"
) -> rx.Component:
    """A labelled select over a list var of {"value", "label"} dicts (values never empty)."""
    return rx.vstack(
        rx.el.label(tr(label_key), html_for=id_, font_size="14px", font_weight="500"),
        rx.select.root(
            rx.select.trigger(id=id_, width="100%"),
            rx.select.content(
                rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"]))
            ),
            value=value,
            on_change=on_change,
            size="3",
        ),
        spacing="1",
        width=width,
        align="start",
    )


def static_choice(
    options: list[tuple[str, str]], value: rx.Var, on_change, id_: str, label_key: str,
    width: str = "100%",
) -> rx.Component:
    """The same over a fixed list of (value, i18n key)."""
    return rx.vstack(
        rx.el.label(tr(label_key), html_for=id_, font_size="14px", font_weight="500"),
        rx.select.root(
            rx.select.trigger(id=id_, width="100%"),
            rx.select.content(*[rx.select.item(tr(key), value=v) for v, key in options]),
            value=value,
            on_change=on_change,
            size="3",
        ),
        spacing="1",
        width=width,
        align="start",
    )
