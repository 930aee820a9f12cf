"""The settlement table of the partner statistics (partners.performance.settlement): by month,
the cash a partner collected through its cash top-ups, the commission it earned, and what it
owes the operator, with the period's total as the last row. The admin's partner card and the
partner's own statistics page show the same table."""

from __future__ import annotations

import reflex as rx

from paysim_app.i18n import t
from paysim_app.ui.components.charts import month_label
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import money
from paysim_app.ui.components.i18n import tr

COLUMNS = [
    Column("month", "settlement.month"),
    Column("cash", "settlement.cash", align="right"),
    Column("commission", "settlement.commission", align="right"),
    Column("owed", "settlement.owed", align="right", tone="tone"),
]


def _tone(kop: int) -> str:
    return "neg" if kop < 0 else ""


def settlement_rows(rows, loc: str) -> list[dict[str, str]]:
    """Rows for the table: the months with any money, newest first, then the total."""
    shown = [
        {
            "month": month_label(r.key, loc),
            "cash": money(r.cash_kop, loc),
            "commission": money(r.commission_kop, loc),
            "owed": money(r.owed_kop, loc),
            "tone": _tone(r.owed_kop),
        }
        for r in reversed(rows)
        if r.cash_kop or r.commission_kop
    ]
    if not shown:
        return []
    cash = sum(r.cash_kop for r in rows)
    commission = sum(r.commission_kop for r in rows)
    shown.append(
        {
            "month": t("settlement.total", loc),
            "cash": money(cash, loc),
            "commission": money(commission, loc),
            "owed": money(cash - commission, loc),
            "tone": _tone(cash - commission),
        }
    )
    return shown


def settlement_table(
    rows: rx.Var, id_: str = "settlement", heading_key: str = "settlement.heading"
) -> rx.Component:
    """`heading_key`: the admin reads "with the dealer", the dealer "with the operator"."""
    return rx.vstack(
        rx.heading(tr(heading_key), size="4", as_="h2"),
        data_table(COLUMNS, rows, "settlement.empty", id_),
        spacing="2",
        width="100%",
    )
