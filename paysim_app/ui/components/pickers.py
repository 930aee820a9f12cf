"""Selects shared by pages: the contract's SIM, and a choice from a list of {value, label}."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.components.forms import labelled
from paysim_app.ui.components.i18n import tr


def choice(
    options: rx.Var, value: rx.Var, on_change, id_: str, label_key: str, width: str = "100%"
) -> rx.Component:
    """A labelled select over a list var of {"value", "label"} dicts (values never empty)."""
    items = rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"]))
    return _dropdown(items, value, on_change, id_, label_key, width)


def static_choice(
    options: list[tuple[str, str]],
    value: rx.Var,
    on_change,
    id_: str,
    label_key: str,
    width: str = "100%",
) -> rx.Component:
    """The same over a fixed list of (value, i18n key)."""
    items = [rx.select.item(tr(key), value=v) for v, key in options]
    return _dropdown(items, value, on_change, id_, label_key, width)


def _dropdown(items, value, on_change, id_: str, label_key: str, width: str) -> rx.Component:
    items = items if isinstance(items, list) else [items]
    control = rx.select.root(
        rx.select.trigger(id=id_, width="100%"),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        size="3",
    )
    return rx.box(labelled(id_, tr(label_key), control), width=width)
