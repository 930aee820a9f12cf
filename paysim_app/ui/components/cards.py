"""Small display blocks: a figure with its label, a status badge."""

from __future__ import annotations

import reflex as rx

STATUS_COLOURS = {
    "in_stock": "gray",
    "awaiting_activation": "amber",
    "active": "green",
    "suspended": "orange",
    "blocked": "red",
    "deactivated": "gray",
}


def stat(
    label: rx.Var | str, value: rx.Var | str, id_: rx.Var | str | None = None, icon: str = ""
) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=16, color=rx.color("gray", 11)) if icon else rx.fragment(),
                rx.text(label, size="2", color=rx.color("gray", 11)),
                align="center",
            ),
            rx.text(value, size="6", weight="bold", id=id_),
            spacing="1",
        ),
        width="100%",
    )


def status_badge(status: rx.Var, label: rx.Var) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(status, *[(k, v) for k, v in STATUS_COLOURS.items()], "gray"),
        size="2",
        variant="soft",
    )
