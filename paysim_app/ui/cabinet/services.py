"""/cabinet/services: add-on services for the current SIM — buy one from the balance, see the
active ones with their expiry, switch auto-renewal off."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import reflex as rx

from paysim_app.catalogue import addons
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView
from paysim_app.ui.cabinet.state import CabinetState, plain
from paysim_app.ui.components.empty_state import empty_state
from paysim_app.ui.components.format import moment, money
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id
from paysim_app.ui.components.layout import shell


class ServicesState(LocaleView, CabinetState):
    offers: list[dict] = []
    active: list[dict] = []

    def _refresh(self, actor) -> None:
        if not self.current_sim_id:
            self.offers, self.active = [], []
            return
        offers = self._call(addons.catalogue, self.current_sim_id)
        active = self._call(addons.owned, self.current_sim_id)
        self.offers = [plain(asdict(o)) for o in offers.value] if offers else []
        self.active = [plain(asdict(o)) for o in active.value] if active else []

    @access("subscriber")
    @rx.event
    def load(self):
        return self._load_page()

    @access("subscriber")
    @rx.event
    async def buy(self, addon_id: str):
        # the purchase may take the balance below a threshold-autopay rule: the verb tops up
        # (a card payment, so in a worker thread)
        res = await self._call_async(
            addons.buy_and_top_up, self.current_sim_id, browser_id(addon_id)
        )
        if not res:
            return res.redirect or rx.toast.error(res.error)
        actor = await self._actor_async()
        self._load_sims(actor)
        self._refresh(actor)
        return rx.toast.success(self._t("addons.bought"))

    @access("subscriber")
    @rx.event
    def set_renew(self, sim_addon_id: str, on: bool):
        res = self._call(addons.set_auto_renew, browser_id(sim_addon_id), bool(on))
        if not res:
            return res.redirect or rx.toast.error(res.error)
        self._refresh(None)
        return None

    @rx.var
    def offer_cards(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "id": str(o["id"]),
                "name": o["name"],
                "description": o["description"],
                "price": t(
                    "addons.price", loc, price=money(o["price_kop"], loc), days=o["period_days"]
                ),
                "until": t(
                    "addons.active_until",
                    loc,
                    date=moment(datetime.fromisoformat(o["active_until"]), loc),
                )
                if o["active_until"]
                else "",
            }
            for o in self.offers
        ]

    @rx.var
    def active_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "id": str(a["id"]),
                "name": a["name"],
                "until": t(
                    "addons.until", loc, date=moment(datetime.fromisoformat(a["expires_at"]), loc)
                ),
                "renew": "1" if a["auto_renew"] else "",
                "renew_text": t("addons.renews", loc, price=money(a["price_kop"], loc))
                if a["auto_renew"]
                else t("addons.lapses", loc),
            }
            for a in self.active
        ]


def _offer(o: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(o["name"], weight="bold", size="4"),
            rx.text(o["description"], size="2", color=rx.color("gray", 11)),
            rx.text(o["price"], weight="medium"),
            rx.cond(
                o["until"] != "",
                rx.badge(o["until"], color_scheme="green", size="2"),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button(tr("addons.buy"), size="3", class_name="buy-addon")
                    ),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title(o["name"]),
                        rx.alert_dialog.description(o["price"]),
                        rx.text(tr("addons.buy_confirm"), size="2", margin_top="0.5em"),
                        rx.hstack(
                            rx.alert_dialog.cancel(rx.button(tr("card.cancel"), variant="soft")),
                            rx.alert_dialog.action(
                                rx.button(
                                    tr("addons.buy"),
                                    on_click=ServicesState.buy(o["id"]),
                                    class_name="confirm-buy",
                                )
                            ),
                            justify="end",
                            spacing="3",
                            margin_top="1em",
                        ),
                        max_width="420px",
                    ),
                ),
            ),
            spacing="2",
            width="100%",
            height="100%",
        ),
        width="100%",
        class_name="addon-offer",
    )


def _active(a: rx.Var) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(a["name"], weight="bold"),
                rx.text(a["until"], size="2", color=rx.color("gray", 11)),
                rx.text(a["renew_text"], size="2"),
                spacing="1",
            ),
            rx.spacer(),
            rx.el.label(
                rx.hstack(
                    rx.text(tr("addons.auto_renew"), size="2"),
                    rx.switch(
                        checked=a["renew"] != "",
                        on_change=lambda on: ServicesState.set_renew(a["id"], on),
                        class_name="renew-switch",
                    ),
                    align="center",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        width="100%",
        class_name="addon-active",
    )


def services_page() -> rx.Component:
    return shell(
        "cabinet",
        rx.cond(
            ServicesState.sim_options.length() == 0,
            empty_state("empty_cabinet.lead.services"),
            rx.vstack(
                rx.cond(
                    ServicesState.active_rows.length() > 0,
                    rx.vstack(
                        rx.heading(tr("addons.mine"), size="4", as_="h2"),
                        rx.foreach(ServicesState.active_rows, _active),
                        spacing="2",
                        width="100%",
                    ),
                ),
                rx.heading(tr("addons.catalogue"), size="4", as_="h2"),
                rx.grid(
                    rx.foreach(ServicesState.offer_cards, _offer),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="3",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
        ),
        title_key="addons.title",
    )
