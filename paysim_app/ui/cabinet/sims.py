"""/cabinet/sims: the contract's SIMs, the current SIM's technical data (APN, PUK behind a
"show" button — audited), its label, blocking a lost or stolen SIM and asking to unblock it, and
adding a new SIM by its ICCID and the code on its pack."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import reflex as rx

from paysim_app.i18n import t
from paysim_app.sims import own_sims, usage_view
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView
from paysim_app.ui.cabinet.claim_sim import claim_sim_form
from paysim_app.ui.cabinet.state import CabinetState, plain
from paysim_app.ui.components.cards import STATUS_COLOURS
from paysim_app.ui.components.charts import month_label, monthly_chart
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.empty_state import empty_state
from paysim_app.ui.components.format import data_size, day, money, phone
from paysim_app.ui.components.forms import invalid, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell

NO_ERRORS = dict.fromkeys(("label", "comment"), "")


class SimsState(LocaleView, CabinetState):
    details: dict = {}
    # shown only after the subscriber asks (each reveal is audited), and forgotten as soon as
    # it leaves the screen (hide_puk on unmount), so a tab left open does not keep it
    puk: str = ""
    label_input: str = ""
    block_reason: str = "lost"
    block_comment: str = ""
    unblock_comment: str = ""
    errors: dict[str, str] = NO_ERRORS
    months: list[dict] = []  # the current SIM's usage by calendar month (sims.usage_view)

    def _refresh(self, actor) -> None:
        self.puk, self.errors = "", NO_ERRORS
        if not self.current_sim_id:
            self.details, self.months = {}, []
            return
        res = self._call(own_sims.sim_details, self.current_sim_id)
        if not res:
            self.details, self.months = {}, []
            return
        self.details = plain(asdict(res.value))
        self.label_input = self.details["label"]
        months = self._call(usage_view.sim_months, self.current_sim_id)
        self.months = [plain(asdict(m)) for m in months.value] if months else []

    @access("subscriber")
    @rx.event
    def load(self):
        return self._load_page()

    @access("subscriber")
    @rx.event
    def set_text(self, name: str, value: str):
        """One setter for this page's text inputs; only these names can be set."""
        if name in ("label_input", "block_comment", "unblock_comment"):
            setattr(self, name, str(value)[:500])
        elif name == "block_reason" and value in own_sims.SUBSCRIBER_BLOCK_REASONS:
            self.block_reason = value

    def _change(self, verb, *args, done_key: str):
        """One change to the current SIM: a refused value under its field, any other refusal
        as a toast; the SIMs and the details again after it."""
        self.errors = NO_ERRORS
        res = self._call(verb, self.current_sim_id, *args)
        if not res:
            if res.field:
                self.errors = {**NO_ERRORS, res.field: res.error}
                return None
            return res.redirect or rx.toast.error(res.error)
        actor = self._actor()
        self._load_sims(actor)
        self._refresh(actor)
        if done_key == "sims.puk_shown":
            self.puk = res.value
            return None
        return rx.toast.success(self._t(done_key))

    @access("subscriber")
    @rx.event
    def show_puk(self):
        return self._change(own_sims.reveal_puk, done_key="sims.puk_shown")

    @access("subscriber")
    @rx.event
    def hide_puk(self):
        self.puk = ""

    @access("subscriber")
    @rx.event
    def save_label(self):
        return self._change(own_sims.set_label, self.label_input, done_key="sims.label_saved")

    @access("subscriber")
    @rx.event
    def block(self):
        return self._change(
            own_sims.block_sim, self.block_reason, self.block_comment, done_key="sims.blocked"
        )

    @access("subscriber")
    @rx.event
    def ask_unblock(self):
        return self._change(
            own_sims.request_unblock, self.unblock_comment, done_key="sims.unblock_sent"
        )

    @rx.var
    def sim_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "number": phone(s["msisdn"]),
                "label": s["label"],
                "status": t(f"sim.status.{s['status']}", loc),
                "colour": STATUS_COLOURS.get(s["status"], "gray"),
                "balance": money(s["balance_kop"], loc),
                "tone": "neg" if s["balance_kop"] < 0 else "",
                "tariff": s["tariff_name"] or t("cabinet.no_tariff", loc),
            }
            for s in self.sims
        ]

    @rx.var
    def month_rows(self) -> list[dict[str, str]]:
        """The months, newest first; months before the first usage are left out."""
        loc, rows, started = self.view_locale, [], False
        for m in self.months:
            total = m["bytes_up"] + m["bytes_down"]
            started = started or total > 0
            if started:
                rows.append(
                    {
                        "month": month_label(m["month"][:7], loc),
                        "total": data_size(total, loc),
                        "down": data_size(m["bytes_down"], loc),
                        "up": data_size(m["bytes_up"], loc),
                    }
                )
        return rows[::-1]

    @rx.var
    def month_points(self) -> list[dict]:
        loc = self.view_locale
        return [
            {
                "month": month_label(m["month"][:7], loc),
                "gb": round((m["bytes_up"] + m["bytes_down"]) / 1e9, 1),
            }
            for m in self.months
        ]

    @rx.var
    def info(self) -> dict[str, str]:
        d, loc = self.details, self.view_locale
        if not d:
            return {}
        block = d.get("block") or {}
        return {
            "number": phone(d["msisdn"]),
            "iccid": d["iccid"],
            "imsi": d["imsi"],
            "status": d["status"],
            "status_text": t(f"sim.status.{d['status']}", loc),
            "activated": day(datetime.fromisoformat(d["activated_at"]).date())
            if d["activated_at"]
            else "—",
            "tariff": d["tariff_name"] or t("cabinet.no_tariff", loc),
            "apn": d["apn"]["name"],
            "apn_auth": d["apn"]["auth"],
            "apn_pdp": d["apn"]["pdp"],
            "apn_plmn": d["apn"]["mcc_mnc"],
            "static_ip": d.get("static_ip") or "",
            "blockable": "1" if d["status"] in own_sims.BLOCKABLE else "",
            "blocked": "1" if block else "",
            "block_text": t(
                "dashboard.blocked_note",
                loc,
                date=day(datetime.fromisoformat(block["blocked_at"]).date()),
                reason=t(f"sims.reason.{block['reason']}", loc),
            )
            if block
            else "",
            "unblock_requested": "1" if block and block["unblock_requested"] else "",
        }


MONTH_COLUMNS = [
    Column("month", "data_usage.col.month"),
    Column("total", "data_usage.col.total", align="right"),
    Column("down", "data_usage.col.down", align="right"),
    Column("up", "data_usage.col.up", align="right"),
]
SIM_COLUMNS = [
    Column("number", "statement.col.sim", mono=True, hint="label"),
    Column("status", "statement.col.status", badge="colour"),
    Column("balance", "cabinet.balance", align="right", tone="tone"),
    Column("tariff", "cabinet.tariff"),
]


def _row(label_key: str, value: rx.Var, id_: str = "") -> rx.Component:
    return rx.hstack(
        rx.text(tr(label_key), size="2", color=rx.color("gray", 11), min_width="40%"),
        rx.text(
            value,
            size="2",
            font_family="var(--code-font-family)",
            id=id_ or None,
            overflow_wrap="anywhere",
        ),
        width="100%",
        justify="between",
        align="start",
    )


def _details() -> rx.Component:
    i = SimsState.info
    return rx.card(
        rx.vstack(
            rx.heading(i["number"], size="5", as_="h2", id="sim-number"),
            _row("sims.iccid", i["iccid"], "sim-iccid"),
            _row("sims.imsi", i["imsi"], "sim-imsi"),
            rx.cond(i["static_ip"] != "", _row("sims.static_ip", i["static_ip"], "sim-static-ip")),
            _row("sims.activated", i["activated"]),
            _row("cabinet.tariff", i["tariff"]),
            rx.hstack(
                rx.text(tr("sims.puk"), size="2", color=rx.color("gray", 11), min_width="40%"),
                rx.cond(
                    SimsState.puk != "",
                    rx.text(
                        SimsState.puk,
                        font_family="var(--code-font-family)",
                        id="sim-puk",
                        weight="bold",
                        on_unmount=SimsState.hide_puk,
                    ),
                    rx.button(
                        rx.icon("eye", size=14),
                        tr("sims.show"),
                        size="1",
                        variant="soft",
                        on_click=SimsState.show_puk,
                        id="show-puk",
                    ),
                ),
                width="100%",
                justify="between",
                align="center",
            ),
            rx.divider(),
            rx.text(tr("sims.apn_title"), weight="medium", size="2"),
            _row("sims.apn", i["apn"], "sim-apn"),
            _row("sims.apn_auth", i["apn_auth"]),
            _row("sims.apn_pdp", i["apn_pdp"]),
            _row("sims.apn_plmn", i["apn_plmn"]),
            rx.text(tr("sims.apn_hint"), size="1", color=rx.color("gray", 11)),
            rx.divider(),
            labelled(
                "sim-label",
                tr("sims.label"),
                rx.hstack(
                    rx.input(
                        id="sim-label",
                        value=SimsState.label_input,
                        size="3",
                        flex="1",
                        max_length=40,
                        aria_invalid=invalid(SimsState.errors["label"]),
                        on_change=lambda v: SimsState.set_text("label_input", v),
                    ),
                    rx.button(
                        tr("sims.save"), size="3", on_click=SimsState.save_label, id="save-label"
                    ),
                    width="100%",
                ),
                SimsState.errors["label"],
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _block_card() -> rx.Component:
    i = SimsState.info
    blocker = rx.vstack(
        rx.text(tr("sims.block_hint"), size="2"),
        rx.radio_group.root(
            rx.vstack(
                *[
                    rx.el.label(
                        rx.hstack(
                            rx.radio_group.item(value=r),
                            rx.text(tr(f"sims.reason.{r}")),
                            align="center",
                        ),
                        min_height="32px",
                    )
                    for r in ("lost", "stolen", "other")
                ],
                spacing="1",
            ),
            value=SimsState.block_reason,
            on_change=lambda v: SimsState.set_text("block_reason", v),
            id="block-reason",
        ),
        rx.text_area(
            value=SimsState.block_comment,
            placeholder=tr("sims.comment"),
            on_change=lambda v: SimsState.set_text("block_comment", v),
            width="100%",
            id="block-comment",
        ),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(
                rx.button(
                    rx.icon("ban", size=16),
                    tr("sims.block"),
                    color_scheme="red",
                    size="3",
                    id="block-sim",
                ),
            ),
            rx.alert_dialog.content(
                rx.alert_dialog.title(tr("sims.block_title")),
                rx.alert_dialog.description(tr("sims.block_confirm")),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button(tr("card.cancel"), variant="soft")),
                    rx.alert_dialog.action(
                        rx.button(
                            tr("sims.block"),
                            color_scheme="red",
                            on_click=SimsState.block,
                            id="confirm-block",
                        )
                    ),
                    justify="end",
                    spacing="3",
                    margin_top="1em",
                ),
                max_width="420px",
            ),
        ),
        spacing="3",
        width="100%",
    )
    unblocker = rx.vstack(
        rx.callout(i["block_text"], icon="ban", color_scheme="red", id="block-info", width="100%"),
        rx.text(tr("sims.topup_while_blocked"), size="2", color=rx.color("gray", 11)),
        rx.cond(
            i["unblock_requested"] != "",
            rx.badge(
                tr("dashboard.unblock_requested"),
                color_scheme="amber",
                size="2",
                id="unblock-pending",
            ),
            rx.vstack(
                rx.text_area(
                    value=SimsState.unblock_comment,
                    placeholder=tr("sims.comment"),
                    on_change=lambda v: SimsState.set_text("unblock_comment", v),
                    width="100%",
                ),
                rx.button(
                    tr("sims.ask_unblock"),
                    size="3",
                    on_click=SimsState.ask_unblock,
                    id="ask-unblock",
                ),
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )
    return rx.card(
        rx.vstack(
            rx.heading(tr("sims.block_section"), size="4", as_="h2"),
            rx.cond(
                i["blocked"] != "",
                unblocker,
                rx.cond(i["blockable"] != "", blocker, rx.text(tr("sims.not_blockable"), size="2")),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _months() -> rx.Component:
    """The current SIM's usage by calendar month: a chart and the table."""
    return rx.vstack(
        rx.heading(tr("data_usage.months"), size="4", as_="h2"),
        rx.cond(
            SimsState.month_rows.length() > 0,
            rx.grid(
                monthly_chart(
                    SimsState.month_points, "gb", "data_usage.months_chart", id_="months-chart"
                ),
                data_table(
                    MONTH_COLUMNS, SimsState.month_rows, "data_usage.months_empty", "sim-months"
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
                align="start",
            ),
            rx.text(
                tr("data_usage.months_empty"),
                size="2",
                color=rx.color("gray", 11),
                id="sim-months-empty",
            ),
        ),
        spacing="2",
        width="100%",
        id="sim-usage-months",
    )


def sims_page() -> rx.Component:
    return shell(
        "cabinet",
        rx.cond(
            SimsState.sim_rows.length() > 0,
            rx.vstack(
                data_table(SIM_COLUMNS, SimsState.sim_rows, "cabinet.no_sims", "sim-list"),
                rx.cond(
                    SimsState.info.length() > 0,
                    rx.grid(
                        _details(),
                        _block_card(),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="4",
                        width="100%",
                        align="start",
                    ),
                ),
                rx.cond(SimsState.info.length() > 0, _months()),
                claim_sim_form(),
                spacing="4",
                width="100%",
            ),
            empty_state("empty_cabinet.lead.sims", add=claim_sim_form()),
        ),
        title_key="sims.title",
    )
