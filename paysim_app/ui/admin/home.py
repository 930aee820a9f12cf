"""/admin: the back office's overview; each figure shows only when the admin's role allows it."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from paysim_app.i18n import t
from paysim_app.overview import dashboards
from paysim_app.ui.access import access
from paysim_app.ui.admin.traffic import AdminTrafficState, traffic_block
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.cards import stat
from paysim_app.ui.components.format import money
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.partner.home import status_grid


class AdminHomeState(LocaleView, SessionState):
    overview: dict = {}

    @access("admin:any")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin")
        if redirect:
            return redirect
        res = self._call(dashboards.admin_overview)
        if not res:
            return res.redirect
        self.overview = asdict(res.value)
        return AdminTrafficState.start  # the month's traffic follows in the background

    @rx.var
    def status_rows(self) -> list[dict[str, str]]:
        by_status = self.overview.get("sims_by_status") or {}
        return [
            {"status": k, "label": t(f"sim.status.{k}", self.view_locale), "count": str(v)}
            for k, v in by_status.items()
        ]

    @rx.var
    def figures(self) -> list[dict[str, str]]:
        o, loc = self.overview, self.view_locale
        shown = [
            ("subscribers", "admin.subscribers", o.get("subscribers"), "users"),
            (
                "open-activations",
                "admin.open_activations",
                o.get("open_activations"),
                "circle_check",
            ),
            ("open-tickets", "admin.open_tickets", o.get("open_tickets"), "message_circle"),
            ("payments-today", "admin.payments_today", o.get("payments_today_count"), "receipt"),
        ]
        rows = [
            {"id": f"admin-{id_}", "label": t(key, loc), "value": str(value), "icon": icon}
            for id_, key, value, icon in shown
            if value is not None
        ]
        if o.get("payments_today_kop") is not None:
            rows.append(
                {
                    "id": "admin-payments-today-sum",
                    "label": t("admin.payments_today_sum", loc),
                    "value": money(o["payments_today_kop"], loc),
                    "icon": "wallet",
                }
            )
        return rows


def admin_home() -> rx.Component:
    return shell(
        "admin",
        rx.vstack(
            rx.grid(
                rx.foreach(
                    AdminHomeState.figures, lambda f: stat(f["label"], f["value"], id_=f["id"])
                ),
                columns={"initial": "1", "xs": "2", "md": "3", "lg": "5"},
                spacing="3",
                width="100%",
            ),
            rx.cond(
                AdminHomeState.status_rows.length() > 0,
                rx.vstack(
                    rx.heading(tr("admin.sims_by_status"), size="4", as_="h2"),
                    status_grid(AdminHomeState.status_rows, "admin-sims"),
                    width="100%",
                ),
            ),
            traffic_block(),
            spacing="4",
            width="100%",
        ),
        title_key="admin.title",
    )
