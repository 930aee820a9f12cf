"""/cabinet/topup and its result page: pay any SIM of the contract by card.

No card number is typed here: "Pay" with a new card sends the subscriber to the payment
provider's hosted page (and back to the result page); a saved card is charged at once, or on the
hosted page too when its bank wants 3-D Secure."""

from __future__ import annotations

import json
from dataclasses import asdict

import reflex as rx

from paysim_app.billing import cards, topups
from paysim_app.core import form_keys
from paysim_app.core.errors import ValidationError
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView
from paysim_app.ui.cabinet.page import sim_page, sim_picker
from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.card_form import card_option
from paysim_app.ui.components.format import money, phone
from paysim_app.ui.components.forms import error_banner, form_card
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell

FIELDS = ("amount", "card_id")
NO_ERRORS = dict.fromkeys(FIELDS, "")


class TopupState(LocaleView, CabinetState):
    amount: str = ""
    quick_kop: list[int] = []
    fee_kop: int = 0
    saved_cards: list[dict] = []
    pay_with: str = "new"  # "new" or a saved card's id
    save_card: bool = False
    errors: dict[str, str] = NO_ERRORS
    form_error: str = ""
    processing: bool = False
    # one per opened form, sent back with it (a hidden input): a second click queued behind the
    # first still carries the first key, so the service answers it with the first payment
    form_key: str = ""

    def _refresh(self, actor) -> None:
        quick = self._call(topups.quick_amounts, self.current_sim_id)
        self.quick_kop = quick.value if quick else []
        sim = next((s for s in self.sims if s["id"] == self.current_sim_id), None)
        self.fee_kop = sim["tariff_fee_kop"] if sim else 0
        saved = self._call(cards.list_cards)
        self.saved_cards = [asdict(c) for c in saved.value if not c.expired] if saved else []
        default = next((c for c in self.saved_cards if c["is_default"]), None)
        if self.pay_with not in {str(c["id"]) for c in self.saved_cards}:
            self.pay_with = str(default["id"]) if default else "new"

    @access("subscriber")
    @rx.event
    def select_sim(self, sim_id: str):
        return self._switch(sim_id)

    @access("subscriber")
    @rx.event
    def load(self):
        actor, redirect = self._open()
        if redirect:
            return redirect
        self.errors, self.form_error, self.processing = NO_ERRORS, "", False
        self.form_key = form_keys.new_key()
        if self.current_sim_id:
            self._refresh(actor)

    @access("subscriber")
    @rx.event
    def set_amount(self, value: str):
        self.amount = str(value)[:12]

    @access("subscriber")
    @rx.event
    def choose_amount(self, kop: str):
        if str(kop).isascii() and str(kop).isdigit() and 0 < int(kop) <= topups.MAX_KOP:
            kop = int(kop)
            self.amount = f"{kop // 100}" if kop % 100 == 0 else f"{kop // 100},{kop % 100:02d}"

    @access("subscriber")
    @rx.event
    def set_pay_with(self, value: str):
        self.pay_with = str(value)

    @access("subscriber")
    @rx.event
    def set_save_card(self, value: bool):
        self.save_card = bool(value)

    @access("subscriber")
    @rx.event
    def submit(self, form: dict):
        if self.processing:
            return
        actor = self._actor()
        if actor is None:
            yield rx.redirect("/login")
            return
        self.errors, self.form_error = NO_ERRORS, ""
        try:
            amount = topups.parse_amount(self.amount)
            topups.check_amount(amount)
            card_id = None if self.pay_with == "new" else int(self.pay_with)
        except ValidationError as err:
            self.errors = {**NO_ERRORS, (err.field or "amount"): self._error(err)}
            return
        except ValueError:
            self.errors = {**NO_ERRORS, "card_id": self._t("card.error.not_found")}
            return
        self.processing = True
        yield
        res = self._call(
            topups.top_up_by_card,
            sim_id=self.current_sim_id,
            amount_kop=amount,
            request_key=str(form.get("form_key") or self.form_key)[:64],
            card_id=card_id,
            save_card=self.save_card and card_id is None,
            ip=self._client_ip(),
            locale=self.locale,
        )
        if not res:
            self.processing = False
            if res.field:
                self.errors = {**NO_ERRORS, res.field: res.error}
            else:
                self.form_error = res.error
            if res.redirect is not None:
                yield res.redirect
            return
        outcome = res.value
        self.form_key = form_keys.new_key()
        if outcome.redirect_url:
            # the provider's hosted page: a page of another site (or, in the sandbox, a page the
            # app serves outside its router), so the browser loads it whole; "processing" stays
            # on until it has gone
            yield rx.call_script(f"window.location.assign({json.dumps(outcome.redirect_url)})")
            return
        self.processing = False
        yield rx.redirect(f"/cabinet/topup/result?payment={outcome.payment_id}")

    @rx.var
    def quick_choices(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "kop": str(kop),
                "label": money(kop, loc).replace(",00", ""),
                "note": t("topup.quick_fee", loc) if kop == self.fee_kop else "",
            }
            for kop in self.quick_kop
        ]

    @rx.var
    def card_choices(self) -> list[dict[str, str]]:
        return [card_option(c) for c in self.saved_cards]


def _quick(choice_: rx.Var) -> rx.Component:
    return rx.button(
        rx.vstack(
            rx.text(choice_["label"], weight="bold"),
            rx.cond(choice_["note"] != "", rx.text(choice_["note"], size="1")),
            spacing="0",
            align="center",
        ),
        variant="soft",
        type="button",
        size="3",
        min_height="48px",
        on_click=TopupState.choose_amount(choice_["kop"]),
        class_name="quick-amount",
    )


def topup_page() -> rx.Component:
    return sim_page(
        TopupState,
        "topup.title",
        form_card(
            sim_picker(TopupState, "topup-sim"),
            rx.vstack(
                rx.el.label(
                    tr("topup.amount"), html_for="amount", font_size="14px", font_weight="500"
                ),
                rx.flex(
                    rx.foreach(TopupState.quick_choices, _quick),
                    spacing="2",
                    wrap="wrap",
                    width="100%",
                ),
                rx.input(
                    id="amount",
                    name="amount",
                    value=TopupState.amount,
                    on_change=TopupState.set_amount,
                    input_mode="decimal",
                    size="3",
                    width="100%",
                    placeholder="500",
                    aria_invalid=rx.cond(TopupState.errors["amount"] != "", "true", "false"),
                ),
                rx.cond(
                    TopupState.errors["amount"] != "",
                    rx.text(
                        TopupState.errors["amount"],
                        color=rx.color("red", 11),
                        size="2",
                        role="alert",
                        id="amount-error",
                    ),
                ),
                rx.text(tr("topup.amount_hint"), size="1", color=rx.color("gray", 11)),
                spacing="2",
                width="100%",
                align="start",
            ),
            rx.vstack(
                rx.text(tr("topup.pay_with"), size="2", weight="medium"),
                rx.radio_group.root(
                    rx.vstack(
                        rx.foreach(
                            TopupState.card_choices,
                            lambda c: rx.el.label(
                                rx.hstack(
                                    rx.radio_group.item(value=c["value"]),
                                    rx.icon("credit-card", size=16),
                                    rx.text(c["label"]),
                                    align="center",
                                ),
                                min_height="32px",
                            ),
                        ),
                        rx.el.label(
                            rx.hstack(
                                rx.radio_group.item(value="new"),
                                rx.text(tr("topup.new_card")),
                                align="center",
                            ),
                            min_height="32px",
                        ),
                        spacing="2",
                    ),
                    value=TopupState.pay_with,
                    on_change=TopupState.set_pay_with,
                    id="pay-with",
                ),
                spacing="2",
                width="100%",
            ),
            rx.cond(
                TopupState.pay_with == "new",
                rx.vstack(
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(
                                checked=TopupState.save_card,
                                on_change=TopupState.set_save_card,
                                id="save-card",
                                aria_label=tr("checkout.save_card"),
                            ),
                            rx.text(tr("checkout.save_card"), size="2"),
                            align="center",
                        ),
                    ),
                    rx.callout(
                        tr("checkout.redirect_note"),
                        icon="shield-check",
                        size="1",
                        color_scheme="gray",
                        id="redirect-note",
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            error_banner(TopupState.form_error),
            rx.el.input(type="hidden", name="form_key", value=TopupState.form_key),
            rx.button(
                rx.icon("lock", size=16),
                tr("topup.pay"),
                type="submit",
                size="3",
                width="100%",
                id="pay",
                loading=TopupState.processing,
            ),
            on_submit=TopupState.submit,
            spacing="4",
        ),
    )


# -- the result page --------------------------------------------------------------------------
class TopupResultState(LocaleView, CabinetState):
    outcome: dict = {}

    @access("subscriber")
    @rx.event
    def load(self):
        actor, redirect = self._open()
        if redirect:
            return redirect
        payment_id = self._query_int("payment")
        back = self.router.url.query_parameters.get("back") == "1"
        res = self._call(topups.topup_result, payment_id, abandoned=back)
        if not res:
            self.outcome = {}
            return rx.redirect("/cabinet/topup")
        self.outcome = asdict(res.value)

    @rx.var
    def view(self) -> dict[str, str]:
        o, loc = self.outcome, self.view_locale
        if not o:
            return {"status": "", "title": "", "body": "", "reason": "", "advice": ""}
        code = o.get("decline_code") or ""
        body = {
            "succeeded": t(
                "topup.result.succeeded_body",
                loc,
                amount=money(o["amount_kop"], loc),
                msisdn=phone(o["msisdn"]),
                balance=money(o["balance_kop"], loc),
            ),
            "failed": t("topup.result.failed_body", loc),
            "expired": t("topup.result.expired_body", loc),
        }.get(o["status"], t("topup.result.pending_body", loc))
        return {
            "status": o["status"],
            "title": t(f"topup.result.{o['status']}", loc),
            "body": body,
            "amount": money(o["amount_kop"], loc),
            "reason": t(f"decline.{code}", loc) if code else "",
            "advice": t(f"decline.{code}.advice", loc) if code else "",
        }


def topup_result_page() -> rx.Component:
    v = TopupResultState.view
    colour = rx.match(
        v["status"], ("succeeded", "green"), ("failed", "red"), ("expired", "gray"), "amber"
    )
    return shell(
        "cabinet",
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.match(
                        v["status"],
                        (
                            "succeeded",
                            rx.icon("circle-check", size=32, color=rx.color("green", 10)),
                        ),
                        ("failed", rx.icon("circle-x", size=32, color=rx.color("red", 10))),
                        ("expired", rx.icon("circle-slash", size=32, color=rx.color("gray", 10))),
                        rx.icon("clock", size=32, color=rx.color("amber", 10)),
                    ),
                    rx.heading(v["title"], size="6", id="result-title"),
                    align="center",
                ),
                rx.text(v["body"], id="result-body"),
                rx.cond(
                    v["reason"] != "",
                    rx.callout(
                        rx.vstack(
                            rx.text(v["reason"], weight="bold", id="decline-reason"),
                            rx.text(tr("topup.result.what_next"), size="2", weight="medium"),
                            rx.text(v["advice"], size="2", id="decline-advice"),
                            spacing="1",
                        ),
                        icon="triangle_alert",
                        color_scheme=colour,
                        width="100%",
                    ),
                ),
                rx.cond(
                    TopupResultState.outcome["card_saved"] & (v["status"] == "succeeded"),
                    rx.text(tr("topup.result.card_saved"), size="2", color=rx.color("gray", 11)),
                ),
                rx.flex(
                    rx.cond(
                        v["status"] == "failed",
                        rx.link(
                            rx.button(tr("topup.result.again"), size="3"),
                            href="/cabinet/topup",
                            id="try-again",
                        ),
                    ),
                    rx.cond(
                        v["status"] == "pending",
                        rx.button(
                            rx.icon("refresh-cw", size=16),
                            tr("topup.result.check_again"),
                            size="3",
                            on_click=TopupResultState.load,
                            id="check-again",
                        ),
                    ),
                    rx.cond(
                        v["status"] == "expired",
                        rx.link(
                            rx.button(tr("topup.result.again_plain"), size="3"),
                            href="/cabinet/topup",
                            id="try-again",
                        ),
                    ),
                    rx.link(
                        rx.button(tr("topup.result.history"), variant="soft", size="3"),
                        href="/cabinet/payments",
                    ),
                    rx.cond(
                        v["status"] == "failed",
                        rx.link(
                            rx.button(tr("topup.result.support"), variant="outline", size="3"),
                            href="/cabinet/support",
                        ),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="4",
                width="100%",
            ),
            width="100%",
            max_width="560px",
            size="3",
            id="topup-result",
        ),
        title_key="topup.title",
    )
