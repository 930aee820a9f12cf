"""The partner card's daily limit of cash top-ups (partners.directory.set_cash_limit): shown to
whoever sees the card, changed by partners.edit. Roubles as people type them; empty: no limit."""

from __future__ import annotations

import reflex as rx

from paysim_app.core.errors import ValidationError
from paysim_app.core.listing import parse_amount_kop
from paysim_app.i18n import t
from paysim_app.partners import directory
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.format import money
from paysim_app.ui.components.forms import labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id


def _rubles(kop: int | None) -> str:
    if kop is None:
        return ""
    return f"{kop // 100}" if kop % 100 == 0 else f"{kop // 100},{kop % 100:02d}"


class PartnerCashLimitState(SessionState):
    shown: str = ""  # the limit as the card states it
    value: str = ""  # the box
    error: str = ""

    def _partner_id(self) -> int | None:
        return optional_id(self.router.page.params.get("partner_id", ""))

    def _fill(self, limit_kop: int | None) -> None:
        loc = self.locale
        self.shown = (
            money(limit_kop, loc)
            if limit_kop is not None
            else t("admin_partners.cash_limit_none", loc)
        )
        self.value = _rubles(limit_kop)

    @access("admin:partners.view")
    @rx.event
    def load(self):
        self.shown, self.value, self.error = "", "", ""
        partner_id = self._partner_id()
        if partner_id is None:
            return None  # a new partner: nothing to limit yet
        res = self._call(directory.get_partner, partner_id)
        if res:
            self._fill(res.value.cash_daily_limit_kop)
        return None

    @access("admin:partners.edit")
    @rx.event
    def set_value(self, value: str):
        self.value = str(value)[:20]

    @access("admin:partners.edit")
    @rx.event
    def save(self, _form: dict | None = None):
        partner_id = self._partner_id()
        if partner_id is None:
            return rx.redirect("/admin/partners")
        text = self.value.strip()
        try:
            limit = parse_amount_kop(text, "cash_limit") if text else None
        except ValidationError:
            self.error = self._t(
                "admin_partners.error.cash_limit", max=directory.CASH_LIMIT_MAX_KOP // 100
            )
            return None
        res = self._call(directory.set_cash_limit, partner_id, limit)
        if not res:
            self.error = res.error
            return res.redirect
        self.error = ""
        self._fill(res.value.cash_daily_limit_kop)
        return rx.toast.success(self._t("admin_partners.cash_limit_saved"))


def cash_limit_block() -> rx.Component:
    s = PartnerCashLimitState
    can_edit = SessionState.permissions.contains("partners.edit")
    return rx.card(
        rx.form(
            rx.flex(
                rx.box(
                    labelled(
                        "cash-limit",
                        tr("admin_partners.cash_limit"),
                        rx.input(
                            value=s.value,
                            on_change=s.set_value,
                            id="cash-limit",
                            name="cash_limit",
                            input_mode="decimal",
                            placeholder=tr("admin_partners.cash_limit_none"),
                            read_only=~can_edit,
                            size="3",
                            width="100%",
                        ),
                        s.error,
                    ),
                    rx.text(
                        tr("admin_partners.cash_limit_hint"),
                        " ",
                        rx.text.strong(s.shown, id="cash-limit-shown"),
                        size="1",
                        color=rx.color("gray", 11),
                    ),
                    flex="1",
                    min_width="220px",
                ),
                rx.cond(
                    can_edit,
                    rx.button(
                        tr("admin_partners.cash_limit_save"),
                        type="submit",
                        size="3",
                        id="cash-limit-save",
                    ),
                ),
                spacing="3",
                align="end",
                wrap="wrap",
                width="100%",
            ),
            on_submit=s.save,
            width="100%",
        ),
        width="100%",
        id="partner-cash-limit",
    )
