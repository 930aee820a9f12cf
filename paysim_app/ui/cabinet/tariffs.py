"""/cabinet/tariffs: the tariff catalogue for the current SIM, a preview of a switch (from the
next billing period or now) and the SIM's tariff-change requests, cancellable while pending; a
change approved from the next period shows as "Tariff X from <date>", cancellable until then.
On top, the advisor (sims.advisor): the tariff that would have cost least for the SIM's last
three billing months and the saving, with a button that opens that tariff's preview."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

import reflex as rx

from paysim_app.core.listing import parse_date
from paysim_app.i18n import t
from paysim_app.sims import advisor, tariff_changes
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView
from paysim_app.ui.cabinet.page import sim_page
from paysim_app.ui.cabinet.state import CabinetState, plain
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import data_size, day, moment, money
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id
from paysim_app.ui.components.pickers import static_choice

STATUS_COLOURS = {
    "pending": "amber",
    "scheduled": "blue",
    "approved": "green",
    "rejected": "red",
    "cancelled": "gray",
}
ALL = "all"
REQ_FILTERS = {"status": ALL, "date_from": "", "date_to": "", "search": ""}
REQ_STATUS_OPTIONS = [(ALL, "list.any")] + [(s, f"tariffs.status.{s}") for s in STATUS_COLOURS]


class TariffsState(LocaleView, CabinetState):
    offers: list[dict] = []
    requests: list[dict] = []
    chosen_id: int = 0
    when: str = "next_period"
    preview: dict = {}
    form_error: str = ""
    req_filters: dict[str, str] = REQ_FILTERS
    req_error: str = ""
    _pending: dict = {}
    _scheduled: dict = {}
    advice: dict = {}  # sims.advisor.Advice of the current SIM (plain), {} when refused

    def _load_requests(self, actor) -> None:
        f = self.req_filters
        self.req_error = ""
        sim_id = self.current_sim_id
        res = self._call(
            lambda actor: tariff_changes.my_requests(
                actor,
                sim_id,
                status="" if f["status"] == ALL else f["status"],
                date_from=parse_date(f["date_from"], "date_from") if f["date_from"] else None,
                date_to=parse_date(f["date_to"], "date_to") if f["date_to"] else None,
                search=f["search"],
            )
        )
        pending = self._call(tariff_changes.my_requests, sim_id, status="pending") if res else res
        scheduled = (
            self._call(tariff_changes.my_requests, sim_id, status="scheduled") if pending else res
        )
        if not (res and pending and scheduled):
            self.requests, self.req_error = [], res.error or pending.error or scheduled.error
            self._pending, self._scheduled = {}, {}
            return
        self.requests = [plain(asdict(r)) for r in res.value]
        self._pending = plain(asdict(pending.value[0])) if pending.value else {}
        self._scheduled = plain(asdict(scheduled.value[0])) if scheduled.value else {}

    def _load_advice(self) -> None:
        res = self._call(advisor.advise, self.current_sim_id)
        self.advice = plain(asdict(res.value)) if res else {}

    def _refresh(self, actor) -> None:
        offers = self._call(tariff_changes.catalogue, self.current_sim_id)
        self.offers = [asdict(o) for o in offers.value] if offers else []
        self._load_advice()
        self._load_requests(actor)
        self._close()

    @access("subscriber")
    @rx.event
    def set_req_filter(self, name: str, value: str):
        """Status and dates apply at once; the text box applies with its button."""
        if name not in REQ_FILTERS:
            return None
        self.req_filters = {**self.req_filters, name: str(value)[:100]}
        if name == "search":
            return None
        return self.apply_requests()

    @access("subscriber")
    @rx.event
    def apply_requests(self, _form: dict | None = None):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        self._load_requests(actor)
        return None

    def _close(self) -> None:
        self.chosen_id, self.when, self.preview, self.form_error = 0, "next_period", {}, ""

    def _preview(self, actor) -> None:
        res = self._call(tariff_changes.preview, self.current_sim_id, self.chosen_id, self.when)
        if not res:
            self.preview, self.form_error = {}, res.error
            return
        self.preview, self.form_error = plain(asdict(res.value)), ""

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
        self.offers, self.requests, self.advice = [], [], {}
        self._close()
        if self.current_sim_id:
            self._refresh(actor)

    @access("subscriber")
    @rx.event
    def choose_tariff(self, tariff_id: str):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        self.chosen_id, self.when = browser_id(tariff_id), "next_period"
        self._preview(actor)
        if not self.preview:
            self.chosen_id = 0
            return rx.toast.error(self.form_error)
        return rx.scroll_to("tariff-preview")

    @access("subscriber")
    @rx.event
    def set_when(self, when: str):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        if not self.chosen_id:
            return None
        self.when = str(when)[:16]
        self._preview(actor)
        return None

    @access("subscriber")
    @rx.event
    def close_preview(self):
        self._close()

    @access("subscriber")
    @rx.event
    def submit_request(self):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        res = self._call(
            tariff_changes.request_change, self.current_sim_id, self.chosen_id, self.when
        )
        if not res:
            self.form_error = res.error
            return res.redirect
        self._refresh(actor)
        return rx.toast.success(self._t("tariffs.requested"))

    @access("subscriber")
    @rx.event
    def cancel(self, request_id: str):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        res = self._call(tariff_changes.cancel_request, browser_id(request_id))
        if not res:
            return res.redirect or rx.toast.error(res.error)
        if self.current_sim_id:
            self._refresh(actor)
        return rx.toast.success(self._t("tariffs.cancelled"))

    @access("subscriber")
    @rx.event
    def cancel_scheduled(self, request_id: str):
        """Cancel the SIM's scheduled change (approved from the next period, not applied yet)."""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        res = self._call(tariff_changes.cancel_scheduled, browser_id(request_id))
        if not res:
            return res.redirect or rx.toast.error(res.error)
        if self.current_sim_id:
            self._refresh(actor)
        return rx.toast.success(self._t("tariffs.scheduled_cancelled"))

    @rx.var
    def offer_cards(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "id": str(o["id"]),
                "name": o["name"],
                "description": o["description"],
                "fee": t("tariffs.per_month", loc, fee=money(o["monthly_fee_kop"], loc)),
                "data": t("tariffs.data_gb", loc, gb=o["data_gb"])
                if o["data_gb"] is not None
                else t("tariffs.unlimited", loc),
                "speed": t("tariffs.speed", loc, mbps=o["speed_mbps"]),
                "current": "1" if o["is_current"] else "",
                "archived": "1" if o["is_archived"] else "",
                "chosen": "1" if o["id"] == self.chosen_id else "",
            }
            for o in self.offers
        ]

    @rx.var
    def preview_text(self) -> dict[str, str]:
        p, loc = self.preview, self.view_locale
        if not p:
            return {
                "title": "",
                "new_fee": "",
                "current_fee": "",
                "date": "",
                "today_label": "",
                "today": "",
                "today_tone": "",
                "hint": "",
            }
        effective = date.fromisoformat(p["effective_date"])
        diff = p["difference_kop"]
        if p["when"] == "now":
            label = t("tariffs.charge_today" if diff > 0 else "tariffs.credit_today", loc)
            today = money(abs(diff), loc) if diff else t("tariffs.no_difference", loc)
            hint = t("tariffs.prorated", loc, days=p["days_left"], period=p["period_days"])
            when = f"{t('tariffs.today', loc)}, {day(effective, loc)}"
        else:
            label, today, hint = (
                "",
                t("tariffs.no_difference", loc),
                t("tariffs.nothing_today", loc),
            )
            when = day(effective, loc)
        return {
            "title": t("tariffs.preview_title", loc, name=p["tariff_name"]),
            "new_fee": t("tariffs.per_month", loc, fee=money(p["new_fee_kop"], loc)),
            "current_fee": t("tariffs.per_month", loc, fee=money(p["current_fee_kop"], loc)),
            "date": when,
            "today_label": label if diff else "",
            "today": today,
            "today_tone": "neg" if diff > 0 else ("pos" if diff < 0 else ""),
            "hint": hint,
        }

    @rx.var
    def request_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "id": str(r["id"]),
                "date": moment(datetime.fromisoformat(r["created_at"]), loc),
                "change": f"{r['from_tariff_name'] or t('tariffs.no_tariff', loc)} → "
                f"{r['to_tariff_name']}",
                "when": (
                    day(date.fromisoformat(r["effective_on"]), loc)
                    if r["status"] == "scheduled" and r["effective_on"]
                    else t(f"tariffs.when.{r['when']}", loc)
                ),
                "status": t(f"tariffs.status.{r['status']}", loc),
                "colour": STATUS_COLOURS.get(r["status"], "gray"),
                "decided": moment(datetime.fromisoformat(r["decided_at"]), loc)
                if r["decided_at"]
                else "",
                "reason": r["reason"],
            }
            for r in self.requests
        ]

    @rx.var
    def pending(self) -> dict[str, str]:
        """The SIM's pending request (there is at most one), for the cancel card."""
        loc = self.view_locale
        for r in [self._pending] if self._pending else []:
            if r["can_cancel"]:
                return {
                    "id": str(r["id"]),
                    "text": t(
                        "tariffs.pending_body",
                        loc,
                        name=r["to_tariff_name"],
                        when=t(f"tariffs.when.{r['when']}", loc).lower(),
                    ),
                }
        return {"id": "", "text": ""}

    @rx.var
    def scheduled(self) -> dict[str, str]:
        """The SIM's scheduled change (at most one): "Tariff X from 10.01.2027", cancellable."""
        r, loc = self._scheduled, self.view_locale
        if not r or not r.get("effective_on"):
            return {"id": "", "title": "", "text": ""}
        when = day(date.fromisoformat(r["effective_on"]), loc)
        fee = t("tariffs.per_month", loc, fee=money(r["to_fee_kop"], loc))
        return {
            "id": str(r["id"]),
            "title": t("tariffs.scheduled_title", loc, name=r["to_tariff_name"], date=when),
            "text": t("tariffs.scheduled_body", loc, date=when, fee=fee),
        }

    def _advised(self) -> dict | None:
        """The tariff the card names: the advised one, or the current one when it is the best."""
        a = self.advice
        return a.get("best") or a.get("current") if a else None

    @rx.var
    def advice_card(self) -> dict[str, str]:
        """The advisor's card: kind (switch | choose | best | no_history; "" hides it), its
        title, sentence, a note on packs or a throttled allowance, and the advised tariff's id
        for the button (only while the SIM has no open change)."""
        a, loc = self.advice, self.view_locale
        card = {"kind": "", "title": "", "text": "", "note": "", "tariff_id": "", "button": ""}
        verdict = a.get("verdict", "") if a else ""
        if verdict == "no_history":
            return {
                **card,
                "kind": verdict,
                "title": t("tariffs.advice.title.no_history", loc),
                "text": t("tariffs.advice.no_history", loc),
            }
        named = self._advised()
        if verdict not in ("switch", "choose", "best") or not named or not a["periods"]:
            return card
        n = len(a["periods"])
        usage = t("tariffs.advice.list_sep", loc).join(
            data_size(p["used_bytes"], loc) for p in a["periods"]
        )
        basis = t(
            "tariffs.advice.basis_one" if n == 1 else "tariffs.advice.basis_many",
            loc,
            n=n,
            usage=usage,
        )
        cost = money(named["monthly_kop"], loc)
        text = t(
            f"tariffs.advice.{verdict}",
            loc,
            basis=basis,
            name=named["name"],
            cost=cost,
            current=money(a["current"]["monthly_kop"], loc) if a["current"] else "",
            saving=money(a["saving_kop"], loc),
        )
        note = ""
        if named["short"]:
            note = t("tariffs.advice.short", loc)
        elif any(p["packs"] for p in named["periods"]):
            note = t("tariffs.advice.packs_note", loc)
        can_switch = verdict != "best" and not self._pending and not self._scheduled
        return {
            "kind": verdict,
            "title": t(f"tariffs.advice.title.{verdict}", loc),
            "text": text,
            "note": note,
            "tariff_id": str(named["tariff_id"]) if can_switch else "",
            "button": t("tariffs.advice.open", loc, name=named["name"]) if can_switch else "",
        }

    @rx.var
    def advice_periods(self) -> list[dict[str, str]]:
        """The months the advice rests on: the period, its usage and, for the tariff the card
        names, the packs it would have needed."""
        a, loc = self.advice, self.view_locale
        named = self._advised()
        if not named or a.get("verdict") not in ("switch", "choose", "best"):
            return []
        rows = []
        for p, cost in zip(a["periods"], named["periods"], strict=False):
            start, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
            packs = ", ".join(
                f"{line['name']}\u00a0×\u00a0{line['count']}" for line in cost["packs"]
            )
            rows.append(
                {
                    "period": f"{day(start, loc)} – {day(end - timedelta(days=1), loc)}",
                    "used": data_size(p["used_bytes"], loc),
                    "packs": t(
                        "tariffs.advice.period_packs",
                        loc,
                        packs=packs,
                        cost=money(cost["packs_kop"], loc),
                    )
                    if packs
                    else "",
                }
            )
        return rows


def _request_filters() -> rx.Component:
    s = TariffsState
    f = s.req_filters

    def date_input(name: str, label_key: str) -> rx.Component:
        return labelled(
            f"rq-{name}",
            tr(label_key),
            rx.input(
                id=f"rq-{name}",
                type="date",
                value=f[name],
                size="3",
                width="100%",
                on_change=lambda v: s.set_req_filter(name, v),
            ),
        )

    return rx.form(
        rx.vstack(
            rx.grid(
                static_choice(
                    REQ_STATUS_OPTIONS,
                    f["status"],
                    lambda v: s.set_req_filter("status", v),
                    "rq-status",
                    "tariffs.col.status",
                ),
                date_input("date_from", "statement.date_from"),
                date_input("date_to", "statement.date_to"),
                labelled(
                    "rq-search",
                    tr("tariffs.requests_search"),
                    rx.hstack(
                        rx.input(
                            id="rq-search",
                            value=f["search"],
                            size="3",
                            type="search",
                            flex="1",
                            on_change=lambda v: s.set_req_filter("search", v),
                        ),
                        rx.icon_button(
                            rx.icon("search", size=16),
                            size="3",
                            type="submit",
                            aria_label=tr("list.apply"),
                            id="rq-apply",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                columns=rx.breakpoints(initial="1", xs="2", md="4"),
                spacing="3",
                width="100%",
            ),
            error_banner(s.req_error, id_="rq-error"),
            width="100%",
        ),
        on_submit=s.apply_requests,
        reset_on_submit=False,
        width="100%",
    )


REQUEST_COLUMNS = [
    Column("date", "tariffs.col.date", mono=True),
    Column("change", "tariffs.col.change"),
    Column("when", "tariffs.col.when"),
    Column("status", "tariffs.col.status", badge="colour"),
    Column("decided", "tariffs.col.decided", hint="reason"),
]


def _figure(label: rx.Var, value: rx.Var, id_: str, tone: rx.Var | None = None) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", color=rx.color("gray", 11)),
        rx.text(
            value,
            size="4",
            weight="bold",
            id=id_,
            color=rx.match(
                tone,
                ("neg", rx.color("red", 11)),
                ("pos", rx.color("green", 11)),
                rx.color("gray", 12),
            )
            if tone is not None
            else None,
        ),
        spacing="1",
        min_width="0",
    )


def _offer_card(o: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(o["name"], size="4", as_="h3", class_name="tariff-name"),
                rx.cond(
                    o["current"] != "",
                    rx.badge(
                        tr("tariffs.current"),
                        color_scheme="green",
                        variant="soft",
                        class_name="tariff-current",
                    ),
                ),
                justify="between",
                align="center",
                width="100%",
                wrap="wrap",
                spacing="2",
            ),
            rx.text(o["fee"], size="5", weight="bold", class_name="tariff-fee"),
            rx.hstack(
                rx.icon("database", size=16, color=rx.color("gray", 11)),
                rx.text(o["data"], size="2"),
                align="center",
            ),
            rx.hstack(
                rx.icon("gauge", size=16, color=rx.color("gray", 11)),
                rx.text(o["speed"], size="2"),
                align="center",
            ),
            rx.text(o["description"], size="2", color=rx.color("gray", 11)),
            rx.cond(
                o["archived"] != "",
                rx.text(
                    tr("tariffs.archived"),
                    size="1",
                    color=rx.color("orange", 11),
                    class_name="tariff-archived",
                ),
            ),
            rx.spacer(),
            rx.cond(
                o["current"] == "",
                rx.button(
                    rx.cond(o["chosen"] != "", tr("tariffs.chosen"), tr("tariffs.choose")),
                    variant=rx.cond(o["chosen"] != "", "solid", "soft"),
                    on_click=TariffsState.choose_tariff(o["id"]),
                    width="100%",
                    size="3",
                    class_name="tariff-choose",
                ),
            ),
            spacing="2",
            height="100%",
            width="100%",
        ),
        width="100%",
        class_name="tariff-card",
        box_shadow=rx.cond(o["chosen"] != "", f"0 0 0 2px {rx.color('accent', 9)}", "none"),
    )


def _preview_panel() -> rx.Component:
    p = TariffsState.preview_text
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(p["title"], size="4", as_="h2"),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("x", size=16),
                    variant="ghost",
                    on_click=TariffsState.close_preview,
                    aria_label=tr("tariffs.close"),
                    id="preview-close",
                ),
                width="100%",
                align="center",
            ),
            rx.text(tr("tariffs.when"), size="2", weight="medium"),
            rx.radio_group.root(
                rx.flex(
                    *[
                        rx.el.label(
                            rx.hstack(
                                rx.radio_group.item(value=value, id=f"when-{value}"),
                                rx.text(tr(f"tariffs.when.{value}")),
                                align="center",
                            ),
                            min_height="32px",
                        )
                        for value in ("next_period", "now")
                    ],
                    direction=rx.breakpoints(initial="column", sm="row"),
                    spacing=rx.breakpoints(initial="2", sm="5"),
                ),
                value=TariffsState.when,
                on_change=TariffsState.set_when,
                id="preview-when",
            ),
            rx.grid(
                _figure(tr("tariffs.current_fee"), p["current_fee"], "preview-current-fee"),
                _figure(tr("tariffs.new_fee"), p["new_fee"], "preview-new-fee"),
                _figure(tr("tariffs.effective"), p["date"], "preview-date"),
                rx.cond(
                    p["today_label"] != "",
                    _figure(p["today_label"], p["today"], "preview-today", p["today_tone"]),
                    _figure(tr("tariffs.today"), p["today"], "preview-today"),
                ),
                columns=rx.breakpoints(initial="1", xs="2", md="4"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                p["hint"] != "",
                rx.text(p["hint"], size="2", color=rx.color("gray", 11), id="preview-hint"),
            ),
            rx.text(tr("tariffs.after_approval"), size="2", color=rx.color("gray", 11)),
            error_banner(TariffsState.form_error, "preview-error"),
            rx.button(
                rx.icon("send", size=16),
                tr("tariffs.request"),
                size="3",
                on_click=TariffsState.submit_request,
                id="request-change",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="tariff-preview",
    )


def _pending_card() -> rx.Component:
    p = TariffsState.pending
    return rx.cond(
        p["id"] != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("clock")),
            rx.flex(
                rx.vstack(
                    rx.text(tr("tariffs.pending_title"), weight="bold"),
                    rx.text(p["text"], id="pending-text"),
                    spacing="1",
                ),
                rx.button(
                    rx.icon("x", size=16),
                    tr("tariffs.cancel"),
                    variant="soft",
                    color_scheme="red",
                    high_contrast=True,  # red on the amber tint: 4.2:1 otherwise (WCAG AA: 4.5)
                    on_click=TariffsState.cancel(p["id"]),
                    id="cancel-request",
                ),
                direction=rx.breakpoints(initial="column", sm="row"),
                justify="between",
                align=rx.breakpoints(initial="start", sm="center"),
                spacing="3",
                width="100%",
            ),
            color_scheme="amber",
            high_contrast=True,  # amber text on its tint is 4.1:1 otherwise (WCAG AA: 4.5)
            width="100%",
            id="pending-request",
        ),
    )


def _scheduled_card() -> rx.Component:
    p = TariffsState.scheduled
    return rx.cond(
        p["id"] != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("calendar-clock")),
            rx.flex(
                rx.vstack(
                    rx.text(p["title"], weight="bold", id="scheduled-title"),
                    rx.text(p["text"], id="scheduled-text"),
                    spacing="1",
                ),
                rx.button(
                    rx.icon("x", size=16),
                    tr("tariffs.cancel_scheduled"),
                    variant="soft",
                    color_scheme="red",
                    high_contrast=True,
                    on_click=TariffsState.cancel_scheduled(p["id"]),
                    id="cancel-scheduled",
                ),
                direction=rx.breakpoints(initial="column", sm="row"),
                justify="between",
                align=rx.breakpoints(initial="start", sm="center"),
                spacing="3",
                width="100%",
            ),
            color_scheme="blue",
            high_contrast=True,
            width="100%",
            id="scheduled-change",
        ),
    )


def _advice_period(row: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(row["period"], size="2", color=rx.color("gray", 11), min_width="13.5em"),
        rx.text(row["used"], size="2", weight="medium", min_width="4.5em"),
        rx.cond(row["packs"] != "", rx.text(row["packs"], size="2", color=rx.color("gray", 11))),
        direction="row",
        wrap="wrap",
        column_gap="var(--space-3)",
        row_gap="0",  # wrapped packs stay with their month on a phone
        width="100%",
        class_name="advice-period",
    )


def _advice_card() -> rx.Component:
    a = TariffsState.advice_card
    saving = (a["kind"] == "switch") | (a["kind"] == "choose")
    return rx.cond(
        a["kind"] != "",
        rx.card(
            rx.flex(
                rx.box(
                    rx.cond(  # static icons (components/icons.py says why)
                        saving,
                        rx.icon("piggy-bank", size=22, color=rx.color("grass", 11)),
                        rx.cond(
                            a["kind"] == "best",
                            rx.icon("badge-check", size=22, color=rx.color("gray", 11)),
                            rx.icon("hourglass", size=22, color=rx.color("gray", 11)),
                        ),
                    ),
                    padding_top="2px",
                ),
                rx.vstack(
                    rx.heading(a["title"], size="3", as_="h2", id="advice-title"),
                    rx.text(a["text"], size="2", id="advice-text"),
                    rx.cond(
                        a["note"] != "",
                        rx.text(a["note"], size="2", color=rx.color("gray", 11), id="advice-note"),
                    ),
                    rx.cond(
                        TariffsState.advice_periods.length() > 0,
                        rx.vstack(
                            rx.foreach(TariffsState.advice_periods, _advice_period),
                            spacing=rx.breakpoints(initial="2", sm="1"),
                            width="100%",
                            id="advice-periods",
                        ),
                    ),
                    rx.cond(
                        a["tariff_id"] != "",
                        rx.button(
                            rx.icon("arrow-right-left", size=16),
                            a["button"],
                            size="3",
                            on_click=TariffsState.choose_tariff(a["tariff_id"]),
                            id="advice-open",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                    min_width="0",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="tariff-advice",
            class_name=rx.cond(saving, "advice-saving", "advice-plain"),
            border_left=rx.cond(saving, f"4px solid {rx.color('grass', 9)}", "none"),
        ),
    )


def tariffs_page() -> rx.Component:
    return sim_page(
        TariffsState,
        "tariffs.title",
        _advice_card(),
        _scheduled_card(),
        _pending_card(),
        rx.heading(tr("tariffs.catalogue"), size="4", as_="h2"),
        rx.cond(
            TariffsState.offer_cards.length() > 0,
            rx.grid(
                rx.foreach(TariffsState.offer_cards, _offer_card),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="4",
                width="100%",
                id="tariff-cards",
            ),
            rx.text(tr("tariffs.empty"), color=rx.color("gray", 11)),
        ),
        rx.cond(TariffsState.chosen_id != 0, _preview_panel()),
        rx.heading(tr("tariffs.requests"), size="4", as_="h2", margin_top="0.5em"),
        _request_filters(),
        data_table(
            REQUEST_COLUMNS, TariffsState.request_rows, "tariffs.requests_empty", "tariff-requests"
        ),
        picker_id="tariffs-sim",
        label_key="tariffs.sim",
        no_sims_key="empty_cabinet.lead.tariffs",
    )
