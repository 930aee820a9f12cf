"""Five tappable stars for one aspect of the service (the quality page and the dashboard)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.i18n import tr


def stars(
    aspect: str, given: rx.Var, on_rate: Callable[[str, int], rx.EventSpec], id_prefix: str = "rate"
) -> rx.Component:
    """A labelled row of five 48 px star buttons; one tap rates `aspect` with n stars."""
    return rx.vstack(
        rx.text(tr(f"quality.aspect.{aspect}"), weight="medium", id=f"{id_prefix}-aspect-{aspect}"),
        rx.hstack(
            *[
                rx.icon_button(
                    rx.icon("star", size=28, fill=rx.cond(given >= n, "currentColor", "none")),
                    on_click=on_rate(aspect, n),
                    variant="ghost",
                    color_scheme="amber",
                    size="4",  # 48 px: a comfortable touch target
                    margin="0",  # a ghost button's negative margins would make them overlap
                    aria_label=rx.cond(SessionState.locale == "en", f"{n} of 5", f"{n} из 5"),
                    aria_pressed=rx.cond(given == n, "true", "false"),
                    id=f"{id_prefix}-{aspect}-{n}",
                    class_name="rate-star",
                )
                for n in range(1, 6)
            ],
            spacing="2",
            aria_labelledby=f"{id_prefix}-aspect-{aspect}",
            role="group",
        ),
        spacing="1",
        width="100%",
    )
