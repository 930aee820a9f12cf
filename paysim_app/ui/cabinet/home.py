"""/cabinet: each SIM of the contract with number, status, balance and tariff."""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from paysim_app.db import session_scope
from paysim_app.i18n import t
from paysim_app.services import notify
from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.cards import status_badge
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell


class CabinetHomeState(CabinetState):
    notices: list[dict] = []
    unread: int = 0

    def _load_notices(self, actor) -> None:
        with session_scope() as session:
            rows = notify.list_notifications(session, actor, limit=10)
            self.unread = notify.unread_count(session, actor)
        self.notices = [
            {"id": n.id, "title": n.title, "body": n.body, "unread": n.unread,
             "at": n.created_at.isoformat()}
            for n in rows
        ]

    @rx.event
    def load(self):
        actor, redirect = self._gate("subscriber")
        if redirect:
            return redirect
        self._load_sims(actor)
        self._load_notices(actor)

    @rx.event
    def mark_read(self):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        with session_scope() as session:
            notify.mark_all_read(session, actor)
        self._load_notices(actor)
        return None

    @rx.var
    def notice_rows(self) -> list[dict[str, str]]:
        return [
            {"title": n["title"], "body": n["body"], "unread": "1" if n["unread"] else "",
             "at": moment(datetime.fromisoformat(n["at"]), self.locale)}
            for n in self.notices
        ]

    @rx.var
    def sim_cards(self) -> list[dict[str, str]]:
        loc = self.locale
        return [
            {
                "id": f"sim-{s['id']}",
                "sim_id": str(s["id"]),
                "current": "1" if s["id"] == self.current_sim_id else "",
                "number": phone(s["msisdn"]),
                "label": s["label"],
                "status": s["status"],
                "status_text": t(f"sim.status.{s['status']}", loc),
                "balance": money(s["balance_kop"], loc),
                "negative": "1" if s["balance_kop"] < 0 else "",
                "tariff": s["tariff_name"] or t("cabinet.no_tariff", loc),
                "fee": t("cabinet.fee", loc, fee=money(s["tariff_fee_kop"], loc)) if s["tariff_name"] else "",
            }
            for s in self.sims
        ]


def _sim_card(sim: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text(sim["number"], size="5", weight="bold", class_name="sim-number"),
                    rx.text(sim["label"], size="2", color=rx.color("gray", 11)),
                    spacing="0",
                ),
                rx.spacer(),
                status_badge(sim["status"], sim["status_text"]),
                width="100%",
                align="start",
                wrap="wrap",
            ),
            rx.hstack(
                rx.vstack(
                    rx.text(tr("cabinet.balance"), size="1", color=rx.color("gray", 11)),
                    rx.text(
                        sim["balance"],
                        size="6",
                        weight="bold",
                        color=rx.cond(sim["negative"] != "", rx.color("red", 11), rx.color("gray", 12)),
                        class_name="sim-balance",
                    ),
                    spacing="0",
                ),
                rx.spacer(),
                rx.vstack(
                    rx.text(tr("cabinet.tariff"), size="1", color=rx.color("gray", 11)),
                    rx.text(sim["tariff"], weight="medium", class_name="sim-tariff"),
                    rx.text(sim["fee"], size="1", color=rx.color("gray", 11)),
                    spacing="0",
                    align="end",
                ),
                width="100%",
                align="end",
            ),
            spacing="3",
            width="100%",
        ),
        id=sim["id"],
        class_name="sim-card",
        width="100%",
        cursor="pointer",
        on_click=CabinetState.select_sim(sim["sim_id"]),
        border=rx.cond(sim["current"] != "", f"2px solid {rx.color('accent', 9)}", "2px solid transparent"),
        aria_current=rx.cond(sim["current"] != "", "true", "false"),
    )


def _notice(n: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.cond(n["unread"] != "", rx.box(width="8px", height="8px", border_radius="50%",
                                               background=rx.color("accent", 9), flex_shrink="0",
                                               margin_top="0.45em")),
            rx.vstack(
                rx.text(n["title"], weight="medium"),
                rx.text(n["body"], size="2", color=rx.color("gray", 11)),
                rx.text(n["at"], size="1", color=rx.color("gray", 10)),
                spacing="1",
            ),
            align="start",
            spacing="2",
        ),
        padding_y="0.5em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="notice",
    )


def _notices() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("bell", size=18),
                rx.heading(tr("notify.title"), size="4", as_="h2"),
                rx.cond(CabinetHomeState.unread > 0,
                        rx.badge(CabinetHomeState.unread, color_scheme="red", id="unread")),
                rx.spacer(),
                rx.cond(CabinetHomeState.unread > 0,
                        rx.button(tr("notify.mark_read"), variant="ghost", size="2",
                                  on_click=CabinetHomeState.mark_read, id="mark-read")),
                width="100%",
                align="center",
            ),
            rx.cond(
                CabinetHomeState.notice_rows.length() > 0,
                rx.vstack(rx.foreach(CabinetHomeState.notice_rows, _notice), spacing="0",
                          width="100%", id="notices"),
                rx.text(tr("notify.empty"), size="2", color=rx.color("gray", 11)),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        margin_top="1em",
    )


def cabinet_home() -> rx.Component:
    return shell(
        "cabinet",
        rx.cond(
            CabinetHomeState.sim_cards.length() > 0,
            rx.grid(
                rx.foreach(CabinetHomeState.sim_cards, _sim_card),
                columns={"initial": "1", "md": "2", "lg": "3"},
                spacing="4",
                width="100%",
            ),
            rx.callout(tr("cabinet.no_sims"), icon="info", id="no-sims"),
        ),
        _notices(),
        title_key="cabinet.title",
    )
