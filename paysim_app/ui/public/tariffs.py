"""/tariffs: the public tariff catalogue — the tariffs on sale (price, GB or unlimited, speed,
the speed once the allowance is used up) and what each add-on does; «Подключить» leads to the
SIM order with the tariff chosen (the cabinet sends a signed-out visitor to sign in first)."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from paysim_app.catalogue import public
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.format import money
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.public_shell import public_shell

ORDER_PATH = "/cabinet/order"


def order_href(tariff_id: int | str) -> str:
    return f"{ORDER_PATH}?tariff={tariff_id}"


def addon_effect(a: dict, loc: str) -> str:
    """What an add-on does, in words, from its kind and parameters."""
    kind = a["kind"]
    if kind == "data_pack":
        return t("public.addon.data_pack", loc, gb=a["data_gb"])
    if kind == "night_unlimited":
        return t(
            "public.addon.night_unlimited",
            loc,
            start=f"{a['night_from_hour']:02d}:00",
            end=f"{a['night_to_hour']:02d}:00",
        )
    if kind == "speed_booster":
        return t("public.addon.speed_booster", loc, mbps=a["speed_mbps"])
    if kind == "static_ip":
        return t("public.addon.static_ip", loc)
    return a["description"] or t("addons.kind.other", loc)


class PublicTariffsState(LocaleView, SessionState):
    tariffs: list[dict] = []
    addons: list[dict] = []
    failed: str = ""

    @access("public")
    @rx.event
    def load(self):
        res = self._call(public.public_catalogue, public=True)
        if not res:
            self.tariffs, self.addons, self.failed = [], [], res.error
            return
        self.failed = ""
        self.tariffs = [asdict(x) for x in res.value.tariffs]
        self.addons = [asdict(x) for x in res.value.addons]

    @rx.var
    def tariff_cards(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "id": str(x["id"]),
                "name": x["name"],
                "description": x["description"],
                "fee": money(x["monthly_fee_kop"], loc),
                "data": t("tariffs.data_gb", loc, gb=x["data_gb"])
                if x["data_gb"] is not None
                else t("tariffs.unlimited", loc),
                "speed": t("tariffs.speed", loc, mbps=x["speed_mbps"]),
                "limited": t("public.tariff.limited", loc, kbps=x["limited_speed_kbps"])
                if x["data_gb"] is not None
                else t("public.tariff.no_limit", loc),
                "next_fee": t(
                    "public.tariff.next_fee",
                    loc,
                    fee=money(x["next_monthly_fee_kop"], loc),
                    period=x["next_fee_period"],
                )
                if x["next_monthly_fee_kop"] is not None
                else "",
                "href": order_href(x["id"]),
            }
            for x in self.tariffs
        ]

    @rx.var
    def addon_cards(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "id": str(a["id"]),
                "name": a["name"],
                "kind": t(f"addons.kind.{a['kind']}", loc),
                "effect": addon_effect(a, loc),
                "description": a["description"] if a["kind"] != "other" else "",
                "price": t(
                    "addons.price", loc, price=money(a["price_kop"], loc), days=a["period_days"]
                ),
            }
            for a in self.addons
        ]


def _fact(icon: str, text: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=16, color=rx.color("accent", 10), flex_shrink="0"),
        rx.text(text, size="2"),
        align="center",
        spacing="2",
    )


def _tariff(x: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(x["name"], size="5", as_="h3"),
            rx.hstack(
                rx.text(x["fee"], size="7", weight="bold"),
                rx.text(tr("public.tariff.per_month"), size="2", color=rx.color("gray", 11)),
                align="baseline",
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                x["next_fee"] != "",
                rx.text(x["next_fee"], size="1", color=rx.color("gray", 11)),
            ),
            _fact("database", x["data"]),
            _fact("gauge", x["speed"]),
            _fact("turtle", x["limited"]),
            rx.cond(
                x["description"] != "",
                rx.text(x["description"], size="2", color=rx.color("gray", 11)),
            ),
            rx.spacer(),
            rx.link(
                rx.button(tr("public.tariff.order"), size="3", width="100%"),
                href=x["href"],
                width="100%",
                class_name="order-tariff",
            ),
            spacing="3",
            height="100%",
            width="100%",
        ),
        width="100%",
        class_name="public-tariff",
    )


def _addon(a: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(a["name"], weight="bold", size="3"),
                rx.badge(a["kind"], variant="soft"),
                justify="between",
                width="100%",
                wrap="wrap",
                align="center",
            ),
            rx.text(a["effect"], size="2"),
            rx.cond(
                a["description"] != "",
                rx.text(a["description"], size="2", color=rx.color("gray", 11)),
            ),
            rx.text(a["price"], size="2", weight="medium"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="public-addon",
    )


def public_tariffs_page() -> rx.Component:
    s = PublicTariffsState
    return public_shell(
        rx.vstack(
            rx.cond(
                s.failed != "", rx.callout(s.failed, icon="triangle-alert", color_scheme="red")
            ),
            rx.cond(
                s.tariff_cards.length() > 0,
                rx.grid(
                    rx.foreach(s.tariff_cards, _tariff),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="4",
                    width="100%",
                    id="public-tariffs",
                ),
                rx.cond(
                    rx.State.is_hydrated,
                    rx.callout(tr("public.tariffs.none"), icon="info", id="public-tariffs-none"),
                ),
            ),
            rx.callout(
                rx.text(
                    tr("public.tariffs.coverage_hint"),
                    " ",
                    rx.link(tr("public.tariffs.coverage_link"), href="/coverage"),
                    " · ",
                    rx.link(tr("public.nav.connect"), href="/connect"),
                ),
                icon="map-pin",
                width="100%",
            ),
            rx.heading(tr("public.addons.title"), size="5", as_="h2", margin_top="0.5em"),
            rx.text(tr("public.addons.lead"), size="2", color=rx.color("gray", 11)),
            rx.grid(
                rx.foreach(s.addon_cards, _addon),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="3",
                width="100%",
                id="public-addons",
            ),
            spacing="4",
            width="100%",
        ),
        title_key="public.tariffs.title",
        lead_key="public.tariffs.lead",
    )
