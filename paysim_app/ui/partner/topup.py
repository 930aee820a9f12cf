"""/partner/topup: the dealer credits a subscriber's SIM with cash taken at its point of sale.

Three steps on one page: the form (the number typed or picked from the recent ones, the amount
with quick choices), the confirmation (the number and the subscriber's masked name, checked by
the service), the result. The latest top-ups of the partner are listed beside.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import reflex as rx

from paysim_app.accounts import identity
from paysim_app.api.receipts import receipt_link
from paysim_app.billing import partner_topups, receipts
from paysim_app.core import form_keys
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.cabinet.state import plain
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, form_card, invalid, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell

NO_ERRORS = {"number": "", "amount": ""}


class PartnerTopupState(LocaleView, SessionState):
    step: str = "form"  # form | confirm | done
    number: str = ""
    amount: str = ""
    errors: dict[str, str] = NO_ERRORS
    form_error: str = ""
    target: dict[str, str] = {}  # the confirmation: number, masked name, amount
    done: dict[str, str] = {}
    recent: list[dict] = []
    receipt_links: dict[str, str] = {}  # payment id -> its receipt's download link
    numbers: list[str] = []
    processing: bool = False
    _sim_id: int = 0  # the SIM the confirmation shows (checked again on submit)
    _amount_kop: int = 0
    _request_key: str = ""  # the form's key (core.form_keys): one top-up per form

    def _load_recent(self) -> None:
        topups = self._call(partner_topups.recent_topups)
        numbers = self._call(partner_topups.recent_numbers)
        if topups and numbers:
            self.recent = [plain(asdict(r)) for r in topups.value]
            self.numbers = numbers.value
            # each cash top-up's receipt (api/receipts.py checks the session and the dealer again)
            sid = self._call(identity.session_id_of, self.auth_token, public=True).value
            self.receipt_links = {
                str(r.payment_id): receipt_link(sid, r.payment_id, self.locale)
                for r in topups.value
                if sid is not None and receipts.has_receipt(r.status, "partner")
            }

    def _restart(self) -> None:
        self.step, self.errors, self.form_error, self.processing = "form", NO_ERRORS, "", False
        self.target, self.done, self._sim_id, self._amount_kop = {}, {}, 0, 0
        self._request_key = form_keys.new_key()

    @access("partner")
    @rx.event
    def load(self):
        _, redirect = self._gate("partner")
        if redirect:
            return redirect
        self.number, self.amount = "", ""
        self._restart()
        self._load_recent()
        return None

    @access("partner")
    @rx.event
    def set_number(self, value: str):
        self.number = str(value)[:24]

    @access("partner")
    @rx.event
    def set_amount(self, value: str):
        self.amount = str(value)[:12]

    @access("partner")
    @rx.event
    def choose_number(self, value: str):
        self.number = phone(str(value)[:16])

    @access("partner")
    @rx.event
    def choose_amount(self, kop: str):
        if str(kop).isascii() and str(kop).isdigit() and 0 < int(kop) <= partner_topups.MAX_KOP:
            self.amount = str(int(kop) // 100)

    @access("partner")
    @rx.event
    def check(self, _form: dict | None = None):
        """Step 1 -> 2: find the partner's own SIM and show whose it is."""
        if self._actor() is None:
            return rx.redirect("/login")
        self.errors, self.form_error = NO_ERRORS, ""
        checked = self._call(partner_topups.checked_amount, self.amount, public=True)
        if not checked:
            self.errors = {**NO_ERRORS, "amount": checked.error}
            return None
        amount = checked.value
        res = self._call(partner_topups.find_sim, self.number)
        if not res:
            self.errors = {**NO_ERRORS, "number": res.error}
            return res.redirect
        found = res.value
        self._sim_id, self._amount_kop = found.sim_id, amount
        self.target = {
            "number": phone(found.msisdn),
            "name": found.subscriber_name,
            "amount": money(amount, self.locale),
        }
        self.step = "confirm"
        return None

    @access("partner")
    @rx.event
    def back(self):
        self.step, self.form_error = "form", ""

    @access("partner")
    @rx.event
    def confirm(self):
        """Step 2 -> 3: credit the SIM (once per form, however many clicks)."""
        if self.processing or self.step != "confirm":
            return None
        if self._actor() is None:
            return rx.redirect("/login")
        self.processing = True
        res = self._call(
            partner_topups.partner_topup, self._sim_id, self._amount_kop, self._request_key
        )
        self.processing = False
        if not res:
            self.form_error = res.error
            return res.redirect
        result = res.value
        self._load_recent()
        self.done = {
            "body": t(
                "partner_money.done_body",
                self.locale,
                amount=money(result.amount_kop, self.locale),
                number=phone(result.msisdn),
            ),
            # the cash receipt to print or send the customer
            "receipt": self.receipt_links.get(str(result.payment_id), ""),
        }
        self.step = "done"
        return rx.toast.success(self._t("partner_money.done_title"))

    @access("partner")
    @rx.event
    def again(self):
        if self._actor() is None:
            return rx.redirect("/login")
        self.number, self.amount = "", ""
        self._restart()
        return None

    @rx.var
    def quick_choices(self) -> list[dict[str, str]]:
        return [
            {"kop": str(kop), "label": money(kop, self.view_locale).replace(",00", "")}
            for kop in partner_topups.QUICK_KOP
        ]

    @rx.var
    def number_choices(self) -> list[dict[str, str]]:
        return [{"value": n, "label": phone(n)} for n in self.numbers]

    @rx.var
    def recent_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "when": moment(datetime.fromisoformat(r["created_at"]), loc),
                "number": phone(r["msisdn"]),
                "subscriber": r["subscriber_name"],
                "amount": money(r["amount_kop"], loc),
                "receipt": t("receipt.download", loc)
                if str(r["payment_id"]) in self.receipt_links
                else "—",
                "receipt_href": self.receipt_links.get(str(r["payment_id"]), ""),
            }
            for r in self.recent
        ]

    @rx.var
    def amount_hint(self) -> str:
        return t(
            "partner_money.amount_hint",
            self.view_locale,
            min=partner_topups.MIN_KOP // 100,
            max=partner_topups.MAX_KOP // 100,
        )


RECENT = [
    Column("when", "partner_money.col.when"),
    Column("number", "partner_money.col.number", mono=True),
    Column("subscriber", "partner_money.col.subscriber"),
    Column("amount", "partner_money.col.amount", align="right"),
    Column("receipt", "receipt.col", download="receipt_href"),
]


def _chip(label: rx.Var, on_click, class_name: str) -> rx.Component:
    return rx.button(
        label,
        variant="soft",
        type="button",
        size="3",
        min_height="44px",
        on_click=on_click,
        class_name=class_name,
    )


def _form() -> rx.Component:
    s = PartnerTopupState
    return form_card(
        rx.text(tr("partner_money.topup_hint"), size="2", color=rx.color("gray", 11)),
        labelled(
            "topup-number",
            tr("partner_money.number"),
            rx.input(
                id="topup-number",
                name="number",
                value=s.number,
                on_change=s.set_number,
                input_mode="tel",
                type="tel",
                size="3",
                width="100%",
                placeholder=t("partner_money.number_placeholder"),
                aria_invalid=invalid(s.errors["number"]),
            ),
            s.errors["number"],
        ),
        rx.cond(
            s.number_choices.length() > 0,
            rx.vstack(
                rx.text(tr("partner_money.recent_numbers"), size="1", color=rx.color("gray", 11)),
                rx.flex(
                    rx.foreach(
                        s.number_choices,
                        lambda c: _chip(c["label"], s.choose_number(c["value"]), "recent-number"),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="1",
                width="100%",
            ),
        ),
        labelled(
            "topup-amount",
            tr("partner_money.amount"),
            rx.vstack(
                rx.flex(
                    rx.foreach(
                        s.quick_choices,
                        lambda c: _chip(c["label"], s.choose_amount(c["kop"]), "quick-amount"),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.input(
                    id="topup-amount",
                    name="amount",
                    value=s.amount,
                    on_change=s.set_amount,
                    input_mode="decimal",
                    size="3",
                    width="100%",
                    placeholder="500",
                    aria_invalid=invalid(s.errors["amount"]),
                ),
                rx.text(s.amount_hint, size="1", color=rx.color("gray", 11)),
                spacing="2",
                width="100%",
            ),
            s.errors["amount"],
        ),
        rx.button(
            tr("partner_money.next"),
            rx.icon("arrow-right", size=16),
            type="submit",
            size="3",
            id="topup-next",
        ),
        on_submit=s.check,
    )


def _line(label_key: str, value: rx.Var, id_: str) -> rx.Component:
    return rx.hstack(
        rx.text(tr(label_key), size="2", color=rx.color("gray", 11)),
        rx.spacer(),
        rx.text(value, size="3", weight="bold", id=id_),
        width="100%",
        align="center",
    )


def _confirm() -> rx.Component:
    s = PartnerTopupState
    return rx.card(
        rx.vstack(
            rx.heading(tr("partner_money.confirm_title"), size="4", as_="h2"),
            _line("partner_money.confirm_number", s.target["number"], "confirm-number"),
            _line("partner_money.confirm_subscriber", s.target["name"], "confirm-name"),
            _line("partner_money.confirm_amount", s.target["amount"], "confirm-amount"),
            error_banner(s.form_error, "topup-error"),
            rx.flex(
                rx.button(
                    tr("partner_money.back"),
                    variant="soft",
                    size="3",
                    on_click=s.back,
                    id="topup-back",
                ),
                rx.button(
                    rx.icon("wallet", size=16),
                    tr("partner_money.confirm"),
                    size="3",
                    on_click=s.confirm,
                    loading=s.processing,
                    id="topup-confirm",
                ),
                spacing="3",
                wrap="wrap",
                justify="end",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="560px",
        size="3",
        id="topup-confirmation",
    )


def _done() -> rx.Component:
    s = PartnerTopupState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("circle-check", color=rx.color("green", 10), size=28),
                rx.heading(tr("partner_money.done_title"), size="5", as_="h2", id="topup-done"),
                align="center",
            ),
            rx.text(s.done["body"], size="3", id="topup-done-body"),
            rx.cond(
                s.done["receipt"] != "",
                rx.link(
                    rx.icon("file-down", size=16),
                    tr("receipt.download"),
                    href=s.done["receipt"],
                    download=True,
                    reload_document=True,
                    weight="medium",
                    display="inline-flex",
                    align_items="center",
                    gap="6px",
                    id="topup-receipt",
                ),
            ),
            rx.button(
                rx.icon("plus", size=16),
                tr("partner_money.another"),
                size="3",
                on_click=s.again,
                id="topup-again",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="560px",
        size="3",
    )


def partner_topup_page() -> rx.Component:
    s = PartnerTopupState
    return shell(
        "partner",
        rx.grid(
            rx.box(
                rx.match(s.step, ("confirm", _confirm()), ("done", _done()), _form()),
                width="100%",
            ),
            rx.vstack(
                rx.heading(tr("partner_money.recent"), size="4", as_="h2"),
                data_table(RECENT, s.recent_rows, "partner_money.recent_empty", "recent-topups"),
                spacing="3",
                width="100%",
                min_width="0",
            ),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="5",
            width="100%",
            align="start",
        ),
        title_key="partner_money.topup_title",
    )
