"""/connect: how to become a subscriber — check coverage, choose a tariff, get a SIM (ordered
with pick-up at a dealer or delivery, or bought at a dealer), activate it, top up; each step
with its link."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.public_shell import public_shell

# (number, i18n stem, icon, [(link text key, path)])
STEPS = (
    ("1", "coverage", "map-pin", [("public.connect.coverage.link", "/coverage")]),
    ("2", "tariff", "layers", [("public.connect.tariff.link", "/tariffs")]),
    (
        "3",
        "get",
        "package",
        [
            ("public.connect.get.order", "/cabinet/order"),
            ("public.connect.get.register", "/register"),
        ],
    ),
    ("4", "activate", "smartphone", [("public.connect.activate.link", "/cabinet/sims")]),
    ("5", "topup", "wallet", [("public.connect.topup.link", "/cabinet/topup")]),
)


def _step(number: str, stem: str, icon: str, links: list[tuple[str, str]]) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.hstack(
                rx.center(
                    rx.text(number, weight="bold", size="4"),
                    width="2.25em",
                    height="2.25em",
                    min_width="2.25em",
                    border_radius="50%",
                    background_color=rx.color("accent", 3),
                    color=rx.color("accent", 11),
                ),
                rx.vstack(
                    rx.hstack(
                        rx.icon(icon, size=18, color=rx.color("accent", 10)),
                        rx.heading(tr(f"public.connect.{stem}.title"), size="4", as_="h2"),
                        align="center",
                        spacing="2",
                    ),
                    rx.text(tr(f"public.connect.{stem}.text"), size="2"),
                    rx.flex(
                        *[
                            rx.link(tr(key), href=path, size="2", weight="medium")
                            for key, path in links
                        ],
                        wrap="wrap",
                        gap="0.5em 1.25em",
                    ),
                    spacing="2",
                    width="100%",
                ),
                align="start",
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        id=f"connect-{stem}",
        list_style="none",
    )


def connect_page() -> rx.Component:
    return public_shell(
        rx.vstack(
            rx.el.ol(
                *[_step(*s) for s in STEPS],  # <li>s straight in the <ol>
                display="flex",
                flex_direction="column",
                gap="var(--space-3)",
                padding="0",
                margin="0",
                width="100%",
            ),
            rx.callout(tr("public.connect.help"), icon="message-circle", width="100%"),
            spacing="4",
            width="100%",
            max_width="760px",
        ),
        title_key="public.connect.title",
        lead_key="public.connect.lead",
    )
