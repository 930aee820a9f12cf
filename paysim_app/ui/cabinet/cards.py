"""/cabinet/cards: saved cards (brand, •••• last4, expiry), default, delete, add one.

"Add a card" sends the subscriber to the payment provider's hosted page (a setup session); the
page comes back here with `?setup=<id>` and says what became of it."""

from __future__ import annotations

import json
from dataclasses import asdict

import reflex as rx

from paysim_app.billing import cards, checkout
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.icons import callout_with_icon, chosen_icon
from paysim_app.ui.components.ids import browser_id
from paysim_app.ui.components.layout import shell


class CardsState(LocaleView, SessionState):
    rows: list[dict] = []
    form_error: str = ""
    saving: bool = False
    # back from the hosted page: "complete" | "expired" | "open" ("" when not back from one)
    setup_status: str = ""
    setup_card: str = ""

    def _reload(self, actor) -> None:
        res = self._call(cards.list_cards)
        if res:
            self.rows = [asdict(c) for c in res.value]

    @access("subscriber")
    @rx.event
    def load(self):
        actor, redirect = self._gate("subscriber")
        if redirect:
            return redirect
        self.form_error, self.saving = "", False
        self.setup_status = self.setup_card = ""
        setup = self.router.url.query_parameters.get("setup", "")
        setup_id = int(setup) if str(setup).isascii() and str(setup).isdigit() else None
        if setup_id is not None:
            back = self.router.url.query_parameters.get("back") == "1"
            res = self._call(checkout.card_setup_result, setup_id, abandoned=back)
            if res:
                self.setup_status = res.value.status
                if res.value.last4:
                    self.setup_card = f"{res.value.brand.capitalize()} •••• {res.value.last4}"
        self._reload(actor)

    def _on_card(self, verb, card_id: str, done_key: str):
        """One action on a saved card: the list again after it, or the refusal as a toast."""
        res = self._call(verb, browser_id(card_id))
        if not res:
            return res.redirect or rx.toast.error(res.error)
        self._reload(None)
        return rx.toast.success(self._t(done_key))

    @access("subscriber")
    @rx.event
    def make_default(self, card_id: str):
        return self._on_card(cards.set_default, card_id, "card.default_set")

    @access("subscriber")
    @rx.event
    def delete(self, card_id: str):
        return self._on_card(cards.delete_card, card_id, "card.deleted")

    @access("subscriber")
    @rx.event
    def add(self):
        if self.saving:
            return
        self.form_error = ""
        self.saving = True
        yield
        res = self._call(checkout.start_card_setup, locale=self.locale, ip=self._client_ip())
        if not res:
            self.saving = False
            self.form_error = res.error
            if res.redirect is not None:
                yield res.redirect
            return
        # the provider's hosted page: loaded whole, outside the app's router
        yield rx.call_script(f"window.location.assign({json.dumps(res.value)})")

    @rx.var
    def setup_message(self) -> str:
        if not self.setup_status:
            return ""
        return t(f"card.setup.{self.setup_status}", self.view_locale, card=self.setup_card)

    @rx.var
    def card_views(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "id": str(c["id"]),
                "brand": c["brand"].capitalize(),
                "number": f"•••• {c['last4']}",
                "expiry": t(
                    "card.valid_until", loc, exp=f"{c['exp_month']:02d}/{c['exp_year'] % 100:02d}"
                ),
                "default": "1" if c["is_default"] else "",
                "flag": ("expired" if c["expired"] else "soon" if c["expires_soon"] else ""),
                "flag_text": (
                    t("card.expired", loc)
                    if c["expired"]
                    else t("card.expires_soon", loc)
                    if c["expires_soon"]
                    else ""
                ),
                "autopay": t("card.autopay_uses", loc, n=c["autopay_sims"])
                if c["autopay_sims"]
                else "",
            }
            for c in self.rows
        ]


def _card(c: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("credit-card", size=20),
                rx.text(c["brand"], weight="bold"),
                rx.text(
                    c["number"], font_family="var(--code-font-family)", class_name="card-number"
                ),
                rx.spacer(),
                rx.cond(c["default"] != "", rx.badge(tr("card.default"), color_scheme="indigo")),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.hstack(
                rx.text(c["expiry"], size="2", color=rx.color("gray", 11)),
                rx.cond(
                    c["flag"] != "",
                    rx.badge(
                        c["flag_text"],
                        color_scheme=rx.cond(c["flag"] == "expired", "red", "amber"),
                        class_name="card-flag",
                    ),
                ),
                align="center",
                wrap="wrap",
            ),
            rx.cond(c["autopay"] != "", rx.text(c["autopay"], size="2")),
            rx.hstack(
                rx.cond(
                    c["default"] == "",
                    rx.button(
                        tr("card.make_default"),
                        variant="soft",
                        size="2",
                        on_click=CardsState.make_default(c["id"]),
                        class_name="make-default",
                    ),
                ),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button(
                            tr("card.delete"),
                            variant="soft",
                            color_scheme="red",
                            size="2",
                            class_name="delete-card",
                        ),
                    ),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title(tr("card.delete_title")),
                        rx.alert_dialog.description(tr("card.delete_confirm")),
                        rx.hstack(
                            rx.alert_dialog.cancel(rx.button(tr("card.cancel"), variant="soft")),
                            rx.alert_dialog.action(
                                rx.button(
                                    tr("card.delete"),
                                    color_scheme="red",
                                    on_click=CardsState.delete(c["id"]),
                                    class_name="confirm-delete",
                                ),
                            ),
                            justify="end",
                            spacing="3",
                            margin_top="1em",
                        ),
                        max_width="420px",
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="saved-card",
    )


def cards_page() -> rx.Component:
    return shell(
        "cabinet",
        rx.vstack(
            rx.cond(
                CardsState.setup_message != "",
                callout_with_icon(
                    CardsState.setup_message,
                    chosen_icon(
                        CardsState.setup_status,
                        {"complete": "circle-check", "expired": "circle-slash"},
                        "clock",
                    ),
                    color_scheme=rx.match(
                        CardsState.setup_status,
                        ("complete", "green"),
                        ("expired", "gray"),
                        "amber",
                    ),
                    width="100%",
                    id="setup-result",
                ),
            ),
            rx.cond(
                CardsState.card_views.length() > 0,
                rx.grid(
                    rx.foreach(CardsState.card_views, _card),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                    id="card-list",
                ),
                rx.callout(tr("card.empty"), icon="info", id="no-cards"),
            ),
            rx.card(
                rx.vstack(
                    rx.heading(tr("card.add_title"), size="4", as_="h2"),
                    rx.text(tr("card.add_note"), size="2", color=rx.color("gray", 11)),
                    error_banner(CardsState.form_error),
                    rx.button(
                        rx.icon("credit-card", size=16),
                        tr("card.add_go"),
                        size="3",
                        loading=CardsState.saving,
                        on_click=CardsState.add,
                        id="add-card",
                    ),
                    rx.text(tr("card.tokens_note"), size="1", color=rx.color("gray", 11)),
                    spacing="3",
                    width="100%",
                    align="start",
                ),
                width="100%",
                max_width="560px",
            ),
            spacing="4",
            width="100%",
        ),
        title_key="card.title",
    )
