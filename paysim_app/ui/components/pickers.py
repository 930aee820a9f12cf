"""Selects shared by pages: a choice from a list of {value, label} or from fixed options.

`choice`/`static_choice` are Radix selects (forms); `native_select` is the browser's own
<select> (the lists' filters through `native_choice`, with a label; the header's language and
SIM switches): no popper, no portal, no hidden copy of every item rendered with each state
change, and a phone opens its own picker.
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
        items = [var_options(options)]
    if placeholder:
        items.insert(0, rx.el.option("—", value="", disabled=True))
    control = native_select(*items, value=value, on_change=on_change, id=id_)
    return rx.box(labelled(id_, tr(label_key), control), width=width)


def var_options(options: rx.Var) -> rx.Component:
    """<option>s of a list var of {"value", "label"} dicts."""
    return rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"]))


def native_select(*options: rx.Component, ghost: bool = False, **props) -> rx.Component:
    """The browser's <select>, dressed as a Radix field (paysim.css .native-select); `ghost`:
    without a frame, for a header. Unlabelled: give it an aria_label or wrap it in a label."""
    return rx.el.select(
        *options, class_name="native-select ghost" if ghost else "native-select", **props
    )
