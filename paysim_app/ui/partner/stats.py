"""/partner/stats: the partner's own commission, its subscribers' payments and its activations
for any period (two dates), by month on charts: the same figures the admin sees for this
partner (partners.performance; the period form and charts of the admin's block); and the
monthly commission statement of any month of the period as an .xlsx (partners.statement)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.partners import performance, statement
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.cards import stat
from paysim_app.ui.components.charts import month_label, monthly_chart, monthly_points
from paysim_app.ui.components.format import money
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.period import PeriodMixin, period_form
from paysim_app.ui.components.pickers import native_select, var_options
from paysim_app.ui.components.settlement import settlement_rows, settlement_table


class PartnerOwnStatsState(PeriodMixin, SessionState):
    PERIOD_ACCESS: ClassVar[str] = "partner"
    figures: dict[str, str] = {}
    points: list[dict] = []
    statement_months: list[dict[str, str]] = []  # the period's months, newest first
    statement_error: str = ""
    settlement: list[dict[str, str]] = []  # cash collected vs. commission, by month

    def _own_stats(self, actor: Actor) -> performance.PartnerStats:
        """The partner's own figures for the chosen period (a date the form got wrong is
        refused as the verb's own refusals are)."""
        date_from, date_to = self._period()
        return performance.partner_stats(actor, actor.partner_id, date_from, date_to)

    def _show(self):
        self.period_error = ""
        res = self._call(self._own_stats)
        if not res:
            self.period_error = res.error
            return res.redirect
        s = res.value
        loc = self.locale
        self.figures = {
            "profit": money(s.profit_kop, loc),
            "profit_total": money(s.profit_total_kop, loc),
            "payments": t(
                "admin_partners.stat.payments_value",
                loc,
                count=s.payments_count,
                amount=money(s.payments_kop, loc),
            ),
            "activations": str(s.activations),
            "sims": str(s.sims),
            "subscribers": f"{s.active_subscribers} / {s.subscribers}",
        }
        self.points = monthly_points(s.months, loc)
        owed = self._call(
            lambda actor: performance.settlement(actor, actor.partner_id, s.date_from, s.date_to)
        )
        self.settlement = settlement_rows(owed.value or [], loc)
        self.statement_months = [
            {"value": p.month, "label": month_label(p.month, loc)} for p in reversed(s.months)
        ]

    @access("partner")
    @rx.event
    def load(self):
        _, redirect = self._gate("partner")
        if redirect:
            return redirect
        self._reset_period()
        self.figures, self.points = {}, []
        return self._show()

    @access("partner")
    @rx.event
    def download_statement(self, form: dict | None = None):
        """The chosen month's commission statement as an .xlsx download."""
        month = str((form or {}).get("month") or "")[:7]
        locale = self.locale
        res = self._call(
            lambda actor: statement.statement_xlsx(actor, actor.partner_id, month, locale)
        )
        if not res:
            self.statement_error = res.error
            return res.redirect
        self.statement_error = ""
        name, data = res.value
        return rx.download(data=data, filename=name)

    @access("partner")
    @rx.event
    def show(self, _form: dict | None = None):
        actor = self._actor()
        if actor is None or actor.role != "partner":
            return rx.redirect("/login")
        return self._show()


def partner_stats_page() -> rx.Component:
    s = PartnerOwnStatsState
    f = s.figures
    return shell(
        "partner",
        rx.vstack(
            rx.text(tr("partner_money.stats_hint"), size="2", color=rx.color("gray", 11)),
            rx.card(period_form(s, "stats-period"), width="100%"),
            rx.grid(
                stat(tr("admin_partners.stat.profit_period"), f["profit"], "stat-profit", "coins"),
                stat(tr("admin_partners.stat.payments"), f["payments"], "stat-payments", "receipt"),
                stat(tr("admin_partners.stat.activations"), f["activations"], "stat-activations"),
                stat(
                    tr("admin_partners.stat.profit_total"), f["profit_total"], "stat-profit-total"
                ),
                stat(tr("admin_partners.stat.sims"), f["sims"], "stat-sims", "smartphone"),
                stat(tr("admin_partners.stat.subscribers"), f["subscribers"], "stat-subscribers"),
                columns=rx.breakpoints(initial="1", xs="2", md="3"),
                spacing="3",
                width="100%",
            ),
            rx.grid(
                monthly_chart(
                    s.points, "profit", "admin_partners.chart.profit", id_="chart-profit"
                ),
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
            settlement_table(s.settlement, heading_key="settlement.heading_partner"),
            _statement_card(),
            spacing="4",
            width="100%",
            id="partner-own-stats",
        ),
        title_key="partner_money.stats_title",
    )


def _statement_card() -> rx.Component:
    s = PartnerOwnStatsState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("partner_statement.title"), size="4", as_="h2"),
                rx.text(tr("partner_statement.hint"), size="2", color=rx.color("gray", 11)),
                rx.hstack(
                    rx.el.label(
                        tr("partner_statement.month"),
                        html_for="statement-month",
                        class_name="rt-Text rt-r-size-2",
                    ),
                    native_select(
                        var_options(s.statement_months), name="month", id="statement-month"
                    ),
                    rx.button(
                        rx.icon("file-spreadsheet", size=16),
                        tr("partner_statement.download"),
                        type="submit",
                        variant="outline",
                        size="2",
                        id="statement-download",
                    ),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                error_banner(s.statement_error, id_="statement-error"),
                spacing="2",
                width="100%",
            ),
            on_submit=s.download_statement,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
        id="partner-statement",
    )
