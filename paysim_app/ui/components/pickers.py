"""Selects shared by pages: a choice from a list of {value, label} or from fixed options.

`choice`/`static_choice` are Radix selects (forms); `native_choice` is the browser's own
<select> for the lists' filters: no popper, no portal, no hidden copy of every item rendered
with each state change, and a phone opens its own picker.
"""

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


def native_choice(
    options: list[tuple[str, str]] | rx.Var,
    value: rx.Var,
    on_change,
    id_: str,
    label_key: str,
    width: str = "100%",
    placeholder: bool = False,
) -> rx.Component:
    """A labelled native <select>: fixed (value, i18n key) pairs or a list var of {value, label}.
    `placeholder`: a "—" first while the value is "" (else the browser shows the first option
    as chosen while nothing is, and picking it would send no change)."""
    if isinstance(options, list):
        items = [rx.el.option(tr(key), value=v) for v, key in options]
    else:
        items = [rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"]))]
    if placeholder:
        items.insert(0, rx.el.option("—", value="", disabled=True))
    control = rx.el.select(
        *items, value=value, on_change=on_change, id=id_, class_name="native-select"
    )
    return rx.box(labelled(id_, tr(label_key), control), width=width)
