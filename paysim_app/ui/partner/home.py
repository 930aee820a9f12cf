"""/partner: the dealer's SIMs by status, its subscriber count, this month's activations and
commission, and its activation requests waiting for an admin."""

from __future__ import annotations

import reflex as rx

from paysim_app.i18n import t
from paysim_app.overview import dashboards
from paysim_app.partners import cabinet
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.cards import stat
from paysim_app.ui.components.format import money
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell


class PartnerHomeState(LocaleView, SessionState):
    partner_name: str = ""
    by_status: dict[str, int] = {}
    subscribers: int = 0
    month_activations: int = 0
    month_commission: str = ""
    open_requests: int = 0

    @access("partner")
    @rx.event
    def load(self):
        _, redirect = self._gate("partner")
        if redirect:
            return redirect
        read_overview = self._call(dashboards.partner_overview)
        read_figures = self._call(cabinet.home_figures)
        if not (read_overview and read_figures):
            failed = read_overview if not read_overview else read_figures
            return failed.redirect or rx.toast.error(failed.error)
        overview, figures = read_overview.value, read_figures.value
        self.partner_name = overview.partner_name
        self.by_status = overview.sims_by_status
        self.subscribers = overview.subscribers
        self.month_activations = figures.month_activations
        self.month_commission = money(figures.month_commission_kop, self.locale)
        self.open_requests = figures.open_requests

    @rx.var
    def status_rows(self) -> list[dict[str, str]]:
        return [
            {"status": k, "label": t(f"sim.status.{k}", self.view_locale), "count": str(v)}
            for k, v in self.by_status.items()
        ]

    @rx.var
    def sims_total(self) -> int:
        return sum(self.by_status.values())


def status_grid(rows: rx.Var, id_prefix: str) -> rx.Component:
    """One figure per SIM status (shared by the partner and admin home pages)."""
    return rx.grid(
        rx.foreach(
            rows,
            lambda row: stat(row["label"], row["count"], id_=f"{id_prefix}-" + row["status"]),
        ),
        columns={"initial": "2", "sm": "3", "lg": "6"},
        spacing="3",
        width="100%",
    )


def partner_home() -> rx.Component:
    return shell(
        "partner",
        rx.vstack(
            rx.text(PartnerHomeState.partner_name, size="4", weight="medium", id="partner-name"),
            rx.grid(
                stat(
                    tr("partner.sims_total"),
                    PartnerHomeState.sims_total.to_string(),
                    "partner-sims-total",
                    "smartphone",
                ),
                stat(
                    tr("partner.subscribers"),
                    PartnerHomeState.subscribers.to_string(),
                    "partner-subscribers",
                    "users",
                ),
                stat(
                    tr("partner_cabinet.home.month_activations"),
                    PartnerHomeState.month_activations.to_string(),
                    "partner-month-activations",
                    "circle-check",
                ),
                stat(
                    tr("partner_cabinet.home.month_commission"),
                    PartnerHomeState.month_commission,
                    "partner-month-commission",
                    "coins",
                ),
                rx.link(
                    stat(
                        tr("partner_cabinet.home.open_requests"),
                        PartnerHomeState.open_requests.to_string(),
                        "partner-open-requests",
                        "clock",
                    ),
                    href="/partner/activations?status=pending",
                    underline="none",
                    width="100%",
                ),
                columns={"initial": "1", "xs": "2", "lg": "3"},
                spacing="3",
                width="100%",
            ),
            rx.link(
                rx.button(rx.icon("shopping-cart", size=16), tr("partner_cabinet.sell"), size="3"),
                href="/partner/activations",
                id="partner-sell",
            ),
            rx.heading(tr("partner.sims"), size="4", as_="h2"),
            status_grid(PartnerHomeState.status_rows, "partner-sims"),
            spacing="4",
            width="100%",
        ),
        title_key="partner.title",
    )
