"""Icons chosen by a state's value, drawn from static icons.

`rx.icon(var)` (an icon named by a Var) compiles to lucide's DynamicIcon, which loads the map of
every lucide icon (233 KB of script on each page that has one) and then each icon's module on
its own request. `chosen_icon` renders one static icon per case instead; tests/e2e/test_bundle.py
checks that no page compiles a DynamicIcon."""

from __future__ import annotations

import reflex as rx


def chosen_icon(value: rx.Var, cases: dict[str, str], default: str, **props) -> rx.Component:
    """The icon named by `cases[value]` (`default` for any other value); `props` go to each
    icon (size, color)."""
    return rx.match(
        value,
        *[(key, rx.icon(name, **props)) for key, name in cases.items()],
        rx.icon(default, **props),
    )


def callout_with_icon(text: rx.Var | str, icon: rx.Component, **props) -> rx.Component:
    """`rx.callout(text, icon=...)` with an icon component (for example a chosen_icon)."""
    return rx.callout.root(rx.callout.icon(icon), rx.callout.text(text), **props)
