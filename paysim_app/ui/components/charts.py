"""A small monthly chart (rx.recharts) shared by the admin's partner statistics and the partner's
own cabinet: one series per chart, one bar (or point) per month, light enough for a phone.

The state turns the service's month points into `monthly_points(...)` dicts (a short month
label plus plain numbers: roubles as floats for display only, counts as ints); the page draws
`monthly_chart(state.points, "profit", "some.i18n.key", colour="grass", unit=" ₽")`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import reflex as rx
from babel.dates import format_date

from paysim_app.ui.components.i18n import tr

TICK = {"fontSize": 11}


def month_label(month: str, locale: str = "ru") -> str:
    """'2026-01' -> 'янв. 26' (ru) / 'Jan 26' (en)."""
    try:
        first = date(int(month[:4]), int(month[5:7]), 1)
    except (ValueError, IndexError):
        return month
    return format_date(first, "LLL yy", locale=locale)


def monthly_points(months: Iterable, locale: str = "ru") -> list[dict]:
    """Month points (anything with .month 'YYYY-MM', .profit_kop and .activations, e.g.
    partners.performance.MonthPoint) -> the chart's data."""
    return [
        {
            "month": month_label(p.month, locale),
            "profit": round(p.profit_kop / 100, 2),
            "activations": int(p.activations),
        }
        for p in months
    ]


def monthly_chart(
    data: rx.Var,
    key: str,
    label_key: str,
    *,
    id_: str,
    colour: str = "accent",
    kind: str = "bar",
    unit: str = "",
    integers: bool = False,
    height: int = 220,
    x_key: str = "month",
) -> rx.Component:
    """A titled card with one monthly series (`key` in each data dict) as bars or a line; the
    x axis reads `x_key` (a day's label for a daily series)."""
    fill = rx.color(colour, 9)
    if kind == "line":
        series = rx.recharts.line(
            data_key=key,
            name=tr(label_key),
            stroke=fill,
            stroke_width=2,
            unit=unit,
            dot={"r": 3},
            is_animation_active=False,
            type_="monotone",
        )
        chart = rx.recharts.line_chart
    else:
        series = rx.recharts.bar(
            data_key=key,
            name=tr(label_key),
            fill=fill,
            unit=unit,
            radius=[3, 3, 0, 0],
            max_bar_size=32,
            is_animation_active=False,
        )
        chart = rx.recharts.bar_chart
    return rx.card(
        rx.vstack(
            rx.text(tr(label_key), size="2", weight="medium"),
            rx.box(
                chart(
                    rx.recharts.cartesian_grid(
                        stroke_dasharray="3 3", vertical=False, stroke=rx.color("gray", 5)
                    ),
                    rx.recharts.x_axis(
                        data_key=x_key, tick=TICK, interval="preserveStartEnd", tick_size=4
                    ),
                    rx.recharts.y_axis(tick=TICK, width=52, allow_decimals=not integers),
                    rx.recharts.graphing_tooltip(
                        cursor={"fill": rx.color("gray", 3)},
                        content_style={"fontSize": "13px", "borderRadius": "6px"},
                    ),
                    series,
                    data=data,
                    height=height,
                    margin={"top": 8, "right": 8, "left": 0, "bottom": 0},
                ),
                width="100%",
                height=f"{height}px",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",
        id=id_,
    )
