"""/cabinet/autopay: one rule per SIM (monthly or below a threshold), its next charge, the
balance runway and the attempts with their retry dates; charges waiting for the subscriber's
confirmation (3-D Secure) with a "Confirm payment" button. The e-mail's link lands here:
/cabinet/autopay?sim=<id>&confirm=<signed token naming the payment>."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime

import reflex as rx

from paysim_app.billing import autopay, cards, topups
from paysim_app.core.errors import ValidationError
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView
from paysim_app.ui.cabinet.page import sim_page
from paysim_app.ui.cabinet.state import CabinetState, plain
from paysim_app.ui.components.card_form import card_option
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import day, moment, money
from paysim_app.ui.components.forms import error_banner, invalid, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.pickers import choice

FIELDS = ("fixed_amount", "threshold", "topup", "monthly_cap")
NO_ERRORS = dict.fromkeys((*FIELDS, "card_id", "mode"), "")


def _rubles(kop: int | None) -> str:
    if kop is None:
        return ""
    return f"{kop // 100}" if kop % 100 == 0 else f"{kop // 100},{kop % 100:02d}"


class AutopayState(LocaleView, CabinetState):
    view: dict = {}
    card_list: list[dict] = []
    mode: str = "monthly"
    card_id: str = ""
    fixed_amount: str = ""
    threshold: str = ""
    topup: str = ""
    monthly_cap: str = ""
    errors: dict[str, str] = NO_ERRORS
    form_error: str = ""
    link_error: str = ""  # the e-mail's link was forged, expired or someone else's
    linked_payment: int = 0  # the payment the e-mail's link named
    confirming: bool = False

    def _refresh(self, actor) -> None:
        res = self._call(autopay.get_autopay, self.current_sim_id)
        if not res:
            return
        v = res.value
        listed = self._call(cards.list_cards)
        self.card_list = [asdict(c) for c in listed.value if not c.expired] if listed else []
        self.view = plain(asdict(v))
        self.mode = v.mode
        default = next((c for c in self.card_list if c["is_default"]), None)
        self.card_id = str(v.card_id or (default["id"] if default else ""))
        self.fixed_amount = _rubles(v.fixed_amount_kop)
        self.threshold = _rubles(v.threshold_kop)
        self.topup = _rubles(v.topup_kop)
        self.monthly_cap = _rubles(v.monthly_cap_kop)
        self.errors, self.form_error = NO_ERRORS, ""

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
        self.link_error, self.linked_payment, self.confirming = "", 0, False
        token = self.router.url.query_parameters.get("confirm", "")
        if token:
            res = self._call(autopay.payment_of_link, str(token)[:2000])
            if res:
                self.linked_payment = res.value
            else:
                self.link_error = res.error
        if self.current_sim_id:
            self._refresh(actor)

    @access("subscriber")
    @rx.event
    def confirm_payment(self, payment_id: str):
        """ "Confirm payment": to the provider's hosted page for that payment (the verb checks
        that it is the subscriber's own and still waiting)."""
        if self.confirming:
            return
        self.confirming = True
        res = self._call(
            autopay.start_confirmation, optional_id(payment_id) or 0, locale=self.locale
        )
        if not res:
            self.confirming = False
            actor = self._actor()
            if actor is not None:
                self._refresh(actor)
            return res.redirect or rx.toast.error(res.error)
        # the hosted page is another site's (or, in the sandbox, outside the app's router)
        return rx.call_script(f"window.location.assign({json.dumps(res.value)})")

    @access("subscriber")
    @rx.event
    def set_field(self, name: str, value: str):
        """One setter for the rule's inputs; only these names can be set."""
        if name in FIELDS:
            setattr(self, name, str(value)[:12])
        elif name in ("mode", "card_id"):
            setattr(self, name, str(value)[:20])

    def _amount(self, name: str) -> int | None:
        text = getattr(self, name).strip()
        if not text:
            return None
        try:
            return topups.parse_amount(text)
        except ValidationError as err:
            raise ValidationError(err.code, field=name) from None

    @access("subscriber")
    @rx.event
    def save(self):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        try:
            card_id = optional_id(self.card_id)
            if card_id is None:
                raise ValidationError("error.required", field="card_id")
            form = autopay.AutopayForm(
                mode=self.mode,
                card_id=card_id,
                fixed_amount_kop=self._amount("fixed_amount"),
                threshold_kop=self._amount("threshold"),
                topup_kop=self._amount("topup"),
                monthly_cap_kop=self._amount("monthly_cap"),
            )
        except ValidationError as err:
            self.errors = {**NO_ERRORS, (err.field or "mode"): self._error(err)}
            return
        res = self._call(autopay.set_autopay, self.current_sim_id, form)
        if not res:
            if res.field:
                self.errors = {**NO_ERRORS, res.field: res.error}
            else:
                self.form_error = res.error
            return res.redirect
        self._refresh(actor)
        return rx.toast.success(self._t("autopay.saved"))

    @access("subscriber")
    @rx.event
    def turn_off(self):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        res = self._call(autopay.disable_autopay, self.current_sim_id)
        if not res:
            return res.redirect or rx.toast.error(res.error)
        self._refresh(actor)
        return rx.toast.success(self._t("autopay.turned_off"))

    @rx.var
    def card_choices(self) -> list[dict[str, str]]:
        return [card_option(c) for c in self.card_list]

    @rx.var
    def summary(self) -> dict[str, str]:
        v, loc = self.view, self.view_locale
        if not v:
            return {
                "enabled": "",
                "next": "",
                "runway": "",
                "billing": "",
                "fee": "",
                "balance": "",
                "fixed_label": "",
            }
        when = date.fromisoformat(v["next_charge_date"]) if v["next_charge_date"] else None
        if v["enabled"] and when and v["next_charge_kop"]:
            nxt = t("autopay.next", loc, amount=money(v["next_charge_kop"], loc), date=day(when))
        elif v["enabled"] and v["mode"] == "threshold":
            nxt = t(
                "autopay.next_on_threshold",
                loc,
                amount=money(v["topup_kop"] or 0, loc),
                threshold=money(v["threshold_kop"] or 0, loc),
            )
        else:
            nxt = ""
        if v["fee_kop"] <= 0:
            runway = t("autopay.runway_unlimited", loc)
        elif v["runway_until"]:
            runway = t("autopay.runway", loc, date=day(date.fromisoformat(v["runway_until"])))
        else:
            runway = ""
        return {
            "enabled": "1" if v["enabled"] else "",
            "next": nxt,
            "runway": runway,
            "billing": t(
                "autopay.billing_day", loc, fee=money(v["fee_kop"], loc), day=v["billing_day"]
            )
            if v["fee_kop"]
            else "",
            "fee": money(v["fee_kop"], loc),
            "balance": money(v["balance_kop"], loc),
            "fixed_label": t("autopay.fixed_amount", loc, fee=money(v["fee_kop"], loc)),
        }

    @rx.var
    def waiting_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        rows = []
        for w in self.view.get("waiting", []) if self.view else []:
            rows.append(
                {
                    "id": str(w["payment_id"]),
                    "body": t(
                        "autopay.confirm.body",
                        loc,
                        amount=money(w["amount_kop"], loc),
                        card=w["card_label"] or "—",
                    ),
                    "until": t(
                        "autopay.confirm.until",
                        loc,
                        date=moment(datetime.fromisoformat(w["confirm_by"]), loc),
                    ),
                    "on_page": "1" if w["on_page"] else "",
                    "linked": "1" if w["payment_id"] == self.linked_payment else "",
                }
            )
        return rows

    @rx.var
    def run_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        rows = []
        for r in self.view.get("runs", []) if self.view else []:
            retry = r["next_retry_at"]
            code = r["decline_code"] or ""
            rows.append(
                {
                    "date": moment(datetime.fromisoformat(r["created_at"]), loc),
                    "attempt": str(r["attempt"]),
                    "amount": money(r["amount_kop"], loc) if r["amount_kop"] else "",
                    "status": t(f"autopay.run.{r['status']}", loc),
                    "colour": {
                        "succeeded": "green",
                        "failed": "red",
                        "skipped": "gray",
                        "requires_action": "orange",
                    }.get(r["status"], "amber"),
                    "reason": t(f"decline.{code}", loc) if code else "",
                    "retry": t(
                        "autopay.retry_at", loc, date=moment(datetime.fromisoformat(retry), loc)
                    )
                    if retry
                    else "",
                }
            )
        return rows


RUN_COLUMNS = [
    Column("date", "autopay.col.date", mono=True),
    Column("attempt", "autopay.col.attempt", align="right"),
    Column("amount", "autopay.col.amount", align="right"),
    Column("status", "autopay.col.status", badge="colour"),
    Column("reason", "autopay.col.reason", hint="retry"),
]


def _amount_input(name: str, label: rx.Var) -> rx.Component:
    error = AutopayState.errors[name]
    control = rx.input(
        id=f"autopay-{name}",
        value=getattr(AutopayState, name),
        input_mode="decimal",
        on_change=lambda value: AutopayState.set_field(name, value),
        size="3",
        width="100%",
        aria_invalid=invalid(error),
    )
    return labelled(f"autopay-{name}", label, control, error)


def _waiting_card(row: rx.Var) -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            # the callout's own orange text is too pale on its background: the text is the
            # page's, the heading the darkest orange
            rx.heading(
                tr("autopay.confirm.title"), size="3", as_="h2", color=rx.color("orange", 12)
            ),
            rx.text(row["body"], color=rx.color("gray", 12)),
            rx.text(row["until"], size="2", weight="medium", color=rx.color("gray", 12)),
            rx.cond(
                row["on_page"] != "",
                rx.text(tr("autopay.confirm.on_page"), size="2", color=rx.color("gray", 12)),
            ),
            rx.button(
                rx.icon("shield-check", size=16),
                tr("autopay.confirm.button"),
                size="3",
                on_click=AutopayState.confirm_payment(row["id"]),
                loading=AutopayState.confirming,
                color_scheme="indigo",  # the page's own buttons' colour, not the callout's
                id="autopay-confirm-" + row["id"],
                class_name="autopay-confirm",
            ),
            spacing="2",
            width="100%",
        ),
        color_scheme="orange",
        # the payment the e-mail's link named stands out
        variant=rx.cond(row["linked"] != "", "outline", "surface"),
        width="100%",
        role="region",
        aria_label=tr("autopay.confirm.title"),
    )


def _waiting() -> rx.Component:
    return rx.cond(
        (AutopayState.link_error != "") | (AutopayState.waiting_rows.length() > 0),
        _waiting_list(),
    )


def _waiting_list() -> rx.Component:
    return rx.vstack(
        rx.cond(
            AutopayState.link_error != "",
            rx.callout(
                AutopayState.link_error,
                icon="link-2-off",
                color_scheme="red",
                id="autopay-link-error",
            ),
        ),
        rx.foreach(AutopayState.waiting_rows, _waiting_card),
        spacing="3",
        width="100%",
        id="autopay-waiting",
    )


def _status_card() -> rx.Component:
    s = AutopayState.summary
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("repeat", size=20),
                rx.heading(tr("autopay.title"), size="4", as_="h2"),
                rx.cond(
                    s["enabled"] != "",
                    rx.badge(tr("autopay.state_on"), color_scheme="green", id="autopay-state"),
                    rx.badge(tr("autopay.state_off"), color_scheme="gray", id="autopay-state"),
                ),
                align="center",
                wrap="wrap",
            ),
            rx.cond(s["next"] != "", rx.text(s["next"], weight="medium", id="autopay-next")),
            rx.cond(s["runway"] != "", rx.text(s["runway"], id="autopay-runway")),
            rx.cond(
                s["billing"] != "", rx.text(s["billing"], size="2", color=rx.color("gray", 11))
            ),
            rx.cond(
                s["enabled"] != "",
                rx.button(
                    rx.icon("power", size=16),
                    tr("autopay.turn_off"),
                    variant="soft",
                    color_scheme="red",
                    on_click=AutopayState.turn_off,
                    id="autopay-off",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _rule_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tr("autopay.rule"), size="4", as_="h2"),
            rx.radio_group.root(
                rx.vstack(
                    rx.el.label(
                        rx.hstack(
                            rx.radio_group.item(value="monthly"),
                            rx.text(tr("autopay.mode_monthly")),
                            align="center",
                        ),
                        min_height="32px",
                    ),
                    rx.el.label(
                        rx.hstack(
                            rx.radio_group.item(value="threshold"),
                            rx.text(tr("autopay.mode_threshold")),
                            align="center",
                        ),
                        min_height="32px",
                    ),
                    spacing="2",
                ),
                value=AutopayState.mode,
                on_change=lambda value: AutopayState.set_field("mode", value),
                id="autopay-mode",
            ),
            choice(
                AutopayState.card_choices,
                AutopayState.card_id,
                lambda value: AutopayState.set_field("card_id", value),
                "autopay-card",
                "autopay.card",
            ),
            rx.cond(
                AutopayState.errors["card_id"] != "",
                rx.text(
                    AutopayState.errors["card_id"],
                    color=rx.color("red", 11),
                    size="2",
                    role="alert",
                ),
            ),
            rx.cond(
                AutopayState.mode == "monthly",
                _amount_input("fixed_amount", AutopayState.summary["fixed_label"]),
                rx.flex(
                    _amount_input("threshold", tr("autopay.threshold")),
                    _amount_input("topup", tr("autopay.topup")),
                    spacing="3",
                    width="100%",
                    direction=rx.breakpoints(initial="column", sm="row"),
                ),
            ),
            _amount_input("monthly_cap", tr("autopay.cap")),
            error_banner(AutopayState.form_error),
            rx.button(tr("autopay.save"), size="3", on_click=AutopayState.save, id="autopay-save"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def autopay_page() -> rx.Component:
    return sim_page(
        AutopayState,
        "autopay.title",
        _waiting(),
        rx.grid(
            _status_card(),
            rx.cond(
                AutopayState.card_choices.length() > 0,
                _rule_form(),
                rx.callout(
                    rx.vstack(
                        rx.text(tr("autopay.no_cards")),
                        rx.link(tr("autopay.add_card"), href="/cabinet/cards"),
                    ),
                    icon="credit-card",
                    id="autopay-no-cards",
                ),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
            align="start",
        ),
        rx.heading(tr("autopay.history"), size="4", as_="h2", margin_top="0.5em"),
        data_table(RUN_COLUMNS, AutopayState.run_rows, "autopay.history_empty", "autopay-runs"),
        picker_id="autopay-sim",
        no_sims_key="empty_cabinet.lead.autopay",
    )
