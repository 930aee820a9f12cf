"""Partner statistics for the admin: the block on a partner's card (SIMs by status, subscribers,
profit, payments, monthly charts for a chosen period) and /admin/partners/stats, every partner
side by side for the same kind of period. The figures come from partners.performance."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.i18n import t
from paysim_app.partners import performance
from paysim_app.sims import SIM_STATUSES
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.cards import STATUS_COLOURS, stat
from paysim_app.ui.components.charts import monthly_chart, monthly_points
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import money
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.period import PeriodMixin, period_form
from paysim_app.ui.components.settlement import settlement_rows, settlement_table


class PartnerStatsState(PeriodMixin, SessionState):
    PERIOD_ACCESS: ClassVar[str] = "admin:partners.view"
    """The statistics block of /admin/partners/[partner_id]."""

    figures: dict[str, str] = {}
    by_status: list[dict[str, str]] = []
    points: list[dict] = []
    settlement: list[dict[str, str]] = []  # cash collected vs. commission, by month

    def _partner_id(self) -> int | None:
        raw = self.router.page.params.get("partner_id", "")
        return optional_id(raw)

    def _show(self, partner_id: int):
        self.period_error = ""
        period = self._outcome(self._period)
        res = self._call(performance.partner_stats, partner_id, *period.value) if period else period
        if not res:
            self.period_error = res.error
            return res.redirect
        s, loc = res.value, self.locale
        self.figures = {
            "sims": str(s.sims),
            "subscribers": f"{s.active_subscribers} / {s.subscribers}",
            "profit_total": money(s.profit_total_kop, loc),
            "profit": money(s.profit_kop, loc),
            "payments": t(
                "admin_partners.stat.payments_value",
                loc,
                count=s.payments_count,
                amount=money(s.payments_kop, loc),
            ),
            "activations": str(s.activations),
        }
        self.by_status = [
            {
                "status": st,
                "label": t(f"sim.status.{st}", loc),
                "count": str(s.sims_by_status.get(st, 0)),
                "colour": STATUS_COLOURS.get(st, "gray"),
                "href": f"/admin/sims?partner={partner_id}&status={st}",
                "id": f"sims-{st}",
            }
            for st in SIM_STATUSES
        ]
        self.points = monthly_points(s.months, loc)
        owed = self._call(performance.settlement, partner_id, s.date_from, s.date_to)
        self.settlement = settlement_rows(owed.value or [], loc)
        return None

    @access("admin:partners.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "partners.view")
        if redirect:
            return None  # the card's own load redirects
        self._reset_period()
        self.figures, self.by_status, self.points, self.settlement = {}, [], [], []
        partner_id = self._partner_id()
        if partner_id is not None:
            self._show(partner_id)
        return None

    @access("admin:partners.view")
    @rx.event
    def show(self, _form: dict | None = None):
        partner_id = self._partner_id()
        if partner_id is None:
            return rx.redirect("/login")
        return self._show(partner_id)


class PartnersComparisonState(PeriodMixin, SessionState):
    PERIOD_ACCESS: ClassVar[str] = "admin:partners.view"
    """/admin/partners/stats: one row per partner for the period."""

    rows: list[dict[str, str]] = []

    def _show(self):
        self.period_error = ""
        period = self._outcome(self._period)
        res = self._call(performance.partners_comparison, *period.value) if period else period
        if not res:
            self.period_error = res.error
            return res.redirect
        rows, loc = res.value, self.locale
        owed = self._call(performance.settlements, *period.value).value or {}
        none = performance.SettlementRow("", 0, 0)
        self.rows = [
            {
                "name": r.name,
                "href": f"/admin/partners/{r.partner_id}",
                "code": r.code,
                "status": t(
                    f"admin_partners.status.{'active' if r.is_active else 'inactive'}", loc
                ),
                "sims": str(r.sims),
                "subscribers": f"{r.active_subscribers} / {r.subscribers}",
                "activations": str(r.activations),
                "payments": str(r.payments_count),
                "payments_sum": money(r.payments_kop, loc),
                "profit": money(r.profit_kop, loc),
                "tone": "pos" if r.profit_kop > 0 else "neg" if r.profit_kop < 0 else "muted",
                "cash": money(owed.get(r.partner_id, none).cash_kop, loc),
                "owed": money(owed.get(r.partner_id, none).owed_kop, loc),
                "owed_tone": "neg" if owed.get(r.partner_id, none).owed_kop < 0 else "",
            }
            for r in rows
        ]
        return None

    @access("admin:partners.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "partners.view")
        if redirect:
            return redirect
        self._reset_period()
        self.rows = []
        return self._show()

    @access("admin:partners.view")
    @rx.event
    def show(self, _form: dict | None = None):
        return self._show()


# -- components -----------------------------------------------------------------------------------
def _status_link(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.hstack(
            # high contrast: a soft badge's coloured text fails WCAG AA on its tint (axe)
            rx.badge(
                row["label"],
                color_scheme=row["colour"],
                variant="soft",
                size="2",
                high_contrast=True,
            ),
            rx.text(row["count"], weight="bold", size="3"),
            align="center",
            spacing="2",
        ),
        href=row["href"],
        id=row["id"],
        underline="none",
        padding="0.35em 0.6em",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="var(--radius-3)",
        background_color=rx.color("gray", 1),
    )


def partner_stats_block() -> rx.Component:
    s = PartnerStatsState
    f = s.figures
    return rx.vstack(
        rx.heading(tr("admin_partners.stat.heading"), size="4", as_="h2"),
        rx.card(period_form(s, "stats-period"), width="100%"),
        rx.grid(
            stat(tr("admin_partners.stat.profit_period"), f["profit"], "stat-profit", "coins"),
            stat(tr("admin_partners.stat.profit_total"), f["profit_total"], "stat-profit-total"),
            stat(tr("admin_partners.stat.payments"), f["payments"], "stat-payments", "receipt"),
            stat(tr("admin_partners.stat.activations"), f["activations"], "stat-activations"),
            stat(tr("admin_partners.stat.sims"), f["sims"], "stat-sims", "smartphone"),
            stat(tr("admin_partners.stat.subscribers"), f["subscribers"], "stat-subscribers"),
            columns=rx.breakpoints(initial="1", xs="2", md="3"),
            spacing="3",
            width="100%",
        ),
        rx.text(tr("admin_partners.stat.by_status"), size="2", weight="medium"),
        rx.flex(
            rx.foreach(s.by_status, _status_link), spacing="2", wrap="wrap", id="sims-by-status"
        ),
        rx.grid(
            monthly_chart(s.points, "profit", "admin_partners.chart.profit", id_="chart-profit"),
            monthly_chart(
                s.points,
                "activations",
                "admin_partners.chart.activations",
                id_="chart-activations",
                colour="grass",
                integers=True,
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        settlement_table(s.settlement),
        spacing="3",
        width="100%",
        id="partner-stats",
    )


COMPARISON = [
    Column("name", "admin_partners.col.name", link="href"),
    Column("code", "admin_partners.col.code", mono=True),
    Column("status", "admin_partners.col.status"),
    Column("sims", "admin_partners.col.sims", align="right"),
    Column("subscribers", "admin_partners.stat.subscribers", align="right"),
    Column("activations", "admin_partners.col.activations", align="right"),
    Column("payments", "admin_partners.col.payments", align="right"),
    Column("payments_sum", "admin_partners.col.payments_sum", align="right"),
    Column("profit", "admin_partners.col.profit", align="right", tone="tone"),
    Column("cash", "settlement.cash", align="right"),
    Column("owed", "settlement.owed", align="right", tone="owed_tone"),
]


def comparison_page() -> rx.Component:
    s = PartnersComparisonState
    return shell(
        "admin",
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=16), tr("admin_partners.all_partners")),
                href="/admin/partners",
                id="back-to-partners",
            ),
            rx.card(period_form(s, "cmp-period"), width="100%"),
            rx.heading(tr("admin_partners.comparison"), size="4", as_="h2"),
            data_table(
                COMPARISON, s.rows, "admin_partners.comparison_empty", "partners-comparison"
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_partners.stats_title",
    )
