"""/cabinet: the current SIM's dashboard (status in words, balance, tariff, next fee, autopay,
runway, last payments, open requests), notifications, and every SIM of the contract."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

import reflex as rx

from paysim_app.billing import statement
from paysim_app.catalogue import addons
from paysim_app.i18n import t
from paysim_app.overview import dashboards
from paysim_app.sims import usage_view
from paysim_app.support import quality
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView
from paysim_app.ui.cabinet.claim_sim import claim_sim_form
from paysim_app.ui.cabinet.state import CabinetState, plain
from paysim_app.ui.components.cards import status_badge
from paysim_app.ui.components.charts import monthly_chart
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.empty_state import empty_state
from paysim_app.ui.components.format import data_of, data_size, day, moment, money, phone
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.icons import callout_with_icon
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.notifications import NotificationBadgeState
from paysim_app.ui.components.rating import stars


class CabinetHomeState(LocaleView, CabinetState):
    notices: list[dict] = []
    unread: int = 0
    board: dict = {}
    rated: dict[str, int] = dict.fromkeys(quality.ASPECTS, 0)  # stars just given on this page
    add_ons: list[dict[str, str]] = []  # the current SIM's active add-on services
    low_rating_id: int = 0  # a 1-2 star rating just given: support opens with it attached
    usage: dict = {}  # the current SIM's usage card (sims.usage_view.UsageCard), plain

    def _refresh(self, actor) -> None:
        if not self.current_sim_id:
            self.board, self.add_ons, self.usage = {}, [], {}
            return
        board = self._call(dashboards.sim_dashboard, self.current_sim_id)
        owned = self._call(addons.owned, self.current_sim_id)
        if not (board and owned):
            self.board, self.add_ons, self.usage = {}, [], {}
            return
        self.board = plain(asdict(board.value))
        # a SIM without a tariff has no allowance to show
        card = (
            self._call(usage_view.sim_usage, self.current_sim_id)
            if board.value.sim.tariff_name
            else None
        )
        self.usage = plain(asdict(card.value)) if card else {}
        loc = self.locale
        self.add_ons = [
            {
                "name": o.name,
                "until": t("addons.until", loc, date=moment(o.expires_at, loc)),
                "renew": t("addons.renews", loc, price=money(o.price_kop, loc))
                if o.auto_renew
                else t("addons.lapses", loc),
            }
            for o in owned.value
        ]

    def _load_notices(self, actor) -> None:
        res = self._call(dashboards.notices, limit=10)
        if res:
            self._show_notices(res.value)

    def _show_notices(self, notices: dashboards.Notices) -> None:
        self.unread = notices.unread
        self.notices = [
            {
                "id": n.id,
                "title": n.title,
                "body": n.body,
                "unread": n.unread,
                "at": n.created_at.isoformat(),
            }
            for n in notices.rows
        ]

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
        self._refresh(actor)
        self._load_notices(actor)

    @access("subscriber")
    @rx.event
    def rate(self, aspect: str, stars: int):
        """One tap on the dashboard: a quick rating of the current SIM's service."""
        res = self._call(quality.rate, self.current_sim_id, aspect, stars)
        if not res:
            return res.redirect or rx.toast.error(res.error)
        rating_id = res.value
        self.rated = {**dict.fromkeys(quality.ASPECTS, 0), aspect: int(stars)}
        self.low_rating_id = rating_id if int(stars) <= 2 else 0
        return rx.toast.success(
            self._t("quality.rated", aspect=self._t(f"quality.aspect.{aspect}"), stars=stars)
        )

    @access("subscriber")
    @rx.event
    async def buy_pack(self):
        """Buy the pack the usage card offers (its id is the server's, never the browser's)
        through the services page's flow: the purchase, then the threshold autopay."""
        pack = (self.usage or {}).get("pack") or {}
        if not self.current_sim_id or not pack:
            return rx.toast.error(self._t("addons.error.not_found"))
        res = await self._call_async(addons.buy_and_top_up, self.current_sim_id, pack["addon_id"])
        if not res:
            return res.redirect or rx.toast.error(res.error)
        actor = await self._actor_async()
        self._load_sims(actor)
        self._refresh(actor)
        return rx.toast.success(self._t("addons.bought"))

    @access("subscriber")
    @rx.event
    def mark_read(self):
        res = self._call(dashboards.mark_notices_read)
        if not res:
            return res.redirect
        self._show_notices(res.value)
        return NotificationBadgeState.refresh

    @rx.var
    def dash(self) -> dict[str, str]:
        """The dashboard's texts in the current language."""
        b, loc = self.board, self.view_locale
        if not b:
            return {}
        sim = b["sim"]
        status = sim["status"]
        if status == "suspended":
            note = t("dashboard.suspended_note", loc, amount=money(-sim["balance_kop"], loc))
        elif status == "blocked" and b["blocked_at"]:
            note = t(
                "dashboard.blocked_note",
                loc,
                date=day(datetime.fromisoformat(b["blocked_at"]).date()),
                reason=t(f"sims.reason.{b['block_reason']}", loc),
            )
            if b["unblock_requested"]:
                note += " " + t("dashboard.unblock_requested", loc)
        elif status == "awaiting_activation":
            note = t("dashboard.awaiting_note", loc)
        else:
            note = ""
        quota = (
            t("dashboard.quota_gb", loc, gb=b["tariff_data_gb"])
            if b["tariff_data_gb"]
            else t("dashboard.unlimited", loc)
        )
        if b["autopay_enabled"] and b["next_charge_kop"] and b["next_charge_date"]:
            autopay_text = t(
                "autopay.next",
                loc,
                amount=money(b["next_charge_kop"], loc),
                date=day(date.fromisoformat(b["next_charge_date"])),
            )
        elif b["autopay_enabled"]:
            autopay_text = t(f"autopay.mode_{b['autopay_mode']}", loc)
        else:
            autopay_text = t("dashboard.autopay_off", loc)
        return {
            "id": str(sim["id"]),
            "number": phone(sim["msisdn"]),
            "label": sim["label"],
            "status": status,
            "status_text": t(f"sim.status.{status}", loc),
            "note": note,
            "balance": money(sim["balance_kop"], loc),
            "negative": "1" if sim["balance_kop"] < 0 else "",
            "tariff": sim["tariff_name"] or t("cabinet.no_tariff", loc),
            "terms": t(
                "dashboard.terms",
                loc,
                fee=money(sim["tariff_fee_kop"], loc),
                quota=quota,
                speed=b["tariff_speed_mbps"],
            )
            if sim["tariff_name"]
            else "",
            "next_fee": t(
                "dashboard.next_fee",
                loc,
                fee=money(sim["tariff_fee_kop"], loc),
                date=day(date.fromisoformat(b["next_billing_date"])),
            )
            if sim["tariff_fee_kop"]
            else "",
            "autopay": autopay_text,
            "autopay_on": "1" if b["autopay_enabled"] else "",
            "runway": t("autopay.runway", loc, date=day(date.fromisoformat(b["runway_until"])))
            if b["runway_until"]
            else "",
            "tickets": t("dashboard.tickets", loc, n=b["open_tickets"])
            if b["open_tickets"]
            else "",
        }

    @rx.var
    def usage_text(self) -> dict[str, str]:
        """The usage card's sentences in the current language ({} when there is no card)."""
        u, loc = self.usage, self.view_locale
        if not u:
            return {}
        # the day the next period's allowance begins (the next fee's date, as the
        # notifications say it)
        until = date.fromisoformat(u["period_end"]).strftime("%d.%m")
        pack = u["pack"] or {}
        price = money(pack["price_kop"], loc) if pack else ""
        percent = round(u["percent"]) if u["percent"] is not None else 0
        kbps = u["speed_kbps"]
        speed = (
            t("data_usage.speed_mbps", loc, n=kbps // 1000)
            if kbps >= 1000 and kbps % 1000 == 0
            else t("data_usage.speed_kbps", loc, n=kbps)
        )
        if u["unlimited"]:
            sentence = t("data_usage.unlimited", loc, used=data_size(u["used_bytes"], loc))
        else:
            sentence = t(
                "data_usage.sentence",
                loc,
                of=data_of(u["used_bytes"], u["allowance_bytes"], loc),
                left=data_size(u["left_bytes"], loc),
                date=until,
            )
        if u["unlimited"]:
            outlook = ""
        elif u["exhausted"]:
            outlook = t("data_usage.exhausted", loc, speed=speed, date=until)
        elif u["runs_out_on"]:
            outlook = t(
                "data_usage.forecast",
                loc,
                date=date.fromisoformat(u["runs_out_on"]).strftime("%d.%m"),
            )
        elif u["pace_bytes_per_day"]:
            outlook = t("data_usage.lasts", loc)
        else:
            outlook = ""
        return {
            "sentence": sentence,
            "unlimited": "1" if u["unlimited"] else "",
            "bar_label": t("data_usage.bar_label", loc, percent=percent),
            "tone": "red" if u["exhausted"] else "amber" if percent >= 80 else "accent",
            "free": t("data_usage.free", loc, free=data_size(u["free_bytes"], loc))
            if u["free_bytes"]
            else "",
            "outlook": outlook,
            "warn": "1" if u["exhausted"] or u["runs_out_on"] else "",
            "offer": "1" if u["offer_pack"] and pack else "",
            "buy": t("data_usage.buy", loc, name=pack["name"], price=price) if pack else "",
            "buy_confirm": t(
                "data_usage.buy_confirm", loc, name=pack["name"], gb=pack["data_gb"], price=price
            )
            if pack
            else "",
        }

    @rx.var
    def usage_percent(self) -> int:
        p = (self.usage or {}).get("percent")
        return round(p) if p is not None else 0

    @rx.var
    def usage_points(self) -> list[dict]:
        """The period's days for the chart: 'dd.mm' and gigabytes (display only)."""
        return [
            {
                "day": date.fromisoformat(d["day"]).strftime("%d.%m"),
                "gb": round(d["bytes"] / 1e9, 2),
            }
            for d in (self.usage or {}).get("days", [])
        ]

    @rx.var
    def last_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        rows = []
        for line in (self.board or {}).get("last_lines", []):
            row = statement.StatementRow(
                **{**line, "created_at": datetime.fromisoformat(line["created_at"])}
            )
            moved = row.kind != "payment"
            rows.append(
                {
                    "date": moment(row.created_at, loc),
                    "operation": statement.describe(row, loc),
                    "amount": (
                        ("+" if row.amount_kop > 0 and moved else "") + money(row.amount_kop, loc)
                    ),
                    "tone": ("pos" if row.amount_kop > 0 else "neg") if moved else "muted",
                    "status": t(f"statement.status.{row.status}", loc),
                    "colour": {"succeeded": "green", "failed": "red", "pending": "amber"}.get(
                        row.status, "gray"
                    ),
                }
            )
        return rows

    @rx.var
    def request_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "what": t(f"dashboard.request.{r['kind']}", loc),
                "sim": phone(r["msisdn"]),
                "date": moment(datetime.fromisoformat(r["created_at"]), loc),
            }
            for r in (self.board or {}).get("open_requests", [])
        ]

    @rx.var
    def notice_rows(self) -> list[dict[str, str]]:
        return [
            {
                "title": n["title"],
                "body": n["body"],
                "unread": "1" if n["unread"] else "",
                "at": moment(datetime.fromisoformat(n["at"]), self.view_locale),
            }
            for n in self.notices
        ]

    @rx.var
    def sim_cards(self) -> list[dict[str, str]]:
        loc = self.view_locale
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
                "fee": t("cabinet.fee", loc, fee=money(s["tariff_fee_kop"], loc))
                if s["tariff_name"]
                else "",
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
                        color=rx.cond(
                            sim["negative"] != "", rx.color("red", 11), rx.color("gray", 12)
                        ),
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
        on_click=CabinetHomeState.select_sim(sim["sim_id"]),
        border=rx.cond(
            sim["current"] != "", f"2px solid {rx.color('accent', 9)}", "2px solid transparent"
        ),
        aria_current=rx.cond(sim["current"] != "", "true", "false"),
    )


def _notice(n: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.cond(
                n["unread"] != "",
                rx.box(
                    width="8px",
                    height="8px",
                    border_radius="50%",
                    background=rx.color("accent", 9),
                    flex_shrink="0",
                    margin_top="0.45em",
                ),
            ),
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
                rx.cond(
                    CabinetHomeState.unread > 0,
                    rx.badge(CabinetHomeState.unread, color_scheme="red", id="unread"),
                ),
                rx.spacer(),
                rx.cond(
                    CabinetHomeState.unread > 0,
                    rx.button(
                        tr("notify.mark_read"),
                        variant="ghost",
                        size="2",
                        on_click=CabinetHomeState.mark_read,
                        id="mark-read",
                    ),
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                CabinetHomeState.notice_rows.length() > 0,
                rx.vstack(
                    rx.foreach(CabinetHomeState.notice_rows, _notice),
                    spacing="0",
                    width="100%",
                    id="notices",
                ),
                rx.text(tr("notify.empty"), size="2", color=rx.color("gray", 11)),
            ),
            rx.link(
                tr("notify_centre.all"),
                rx.icon("arrow-right", size=14),
                href="/cabinet/notifications",
                size="2",
                id="notices-all",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        margin_top="1em",
    )


LAST_COLUMNS = [
    Column("date", "statement.col.date", mono=True),
    Column("operation", "statement.col.operation"),
    Column("amount", "statement.col.amount", align="right", tone="tone"),
    Column("status", "statement.col.status", badge="colour"),
]
REQUEST_COLUMNS = [
    Column("what", "dashboard.col.request"),
    Column("sim", "statement.col.sim", mono=True),
    Column("date", "statement.col.date", mono=True),
]


def _figure(label_key: str, *value: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), size="1", color=rx.color("gray", 11)),
        *value,
        spacing="1",
        min_width="0",
    )


def _buy_pack() -> rx.Component:
    u = CabinetHomeState.usage_text
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("circle-plus", size=16),
                u["buy"],
                size="3",
                id="usage-buy",
                white_space="normal",
                height="auto",
                min_height="var(--space-7)",
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("data_usage.buy_title")),
            rx.alert_dialog.description(u["buy_confirm"]),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(tr("data_usage.cancel"), variant="soft")),
                rx.alert_dialog.action(
                    rx.button(
                        tr("addons.buy"), on_click=CabinetHomeState.buy_pack, id="usage-buy-yes"
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
            max_width="420px",
        ),
    )


def _usage_card() -> rx.Component:
    """Used and left this period (a bar and a sentence), the forecast, a pack when low, and
    the usage by day."""
    u = CabinetHomeState.usage_text
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("signal", size=18, aria_hidden="true"),
                rx.heading(tr("data_usage.title"), size="4", as_="h2"),
                rx.spacer(),
                rx.link(tr("usage_list.all"), href="/cabinet/usage", size="2", id="usage-all"),
                align="center",
                width="100%",
            ),
            rx.cond(
                u["unlimited"] != "",
                rx.text(u["sentence"], size="5", weight="bold", id="usage-sentence"),
                rx.vstack(
                    rx.progress(
                        value=CabinetHomeState.usage_percent,
                        max=100,
                        size="3",
                        color_scheme=u["tone"],
                        aria_label=u["bar_label"],
                        id="usage-bar",
                    ),
                    rx.text(u["sentence"], size="4", weight="bold", id="usage-sentence"),
                    spacing="2",
                    width="100%",
                ),
            ),
            rx.cond(
                u["free"] != "",
                rx.text(u["free"], size="2", color=rx.color("gray", 11), id="usage-free"),
            ),
            rx.cond(
                u["outlook"] != "",
                callout_with_icon(
                    u["outlook"],
                    rx.cond(u["warn"] != "", rx.icon("triangle_alert"), rx.icon("info")),
                    color_scheme=rx.cond(u["warn"] != "", "amber", "gray"),
                    high_contrast=True,
                    size="1",
                    width="100%",
                    id="usage-outlook",
                ),
            ),
            rx.cond(u["offer"] != "", _buy_pack()),
            monthly_chart(
                CabinetHomeState.usage_points,
                "gb",
                "data_usage.chart",
                id_="usage-chart",
                x_key="day",
                height=180,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        min_width="0",
        id="dash-usage",
    )


def _dashboard() -> rx.Component:
    d = CabinetHomeState.dash
    current = rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text(d["number"], size="6", weight="bold", id="dash-number"),
                    rx.cond(
                        d["label"] != "", rx.text(d["label"], size="2", color=rx.color("gray", 11))
                    ),
                    spacing="0",
                ),
                rx.spacer(),
                status_badge(d["status"], d["status_text"]),
                width="100%",
                align="start",
            ),
            rx.cond(
                d["note"] != "",
                rx.callout(
                    d["note"],
                    icon="info",
                    size="1",
                    width="100%",
                    color_scheme=rx.cond(d["status"] == "blocked", "red", "orange"),
                    id="dash-note",
                ),
            ),
            _figure(
                "cabinet.balance",
                rx.text(
                    d["balance"],
                    size="7",
                    weight="bold",
                    id="dash-balance",
                    color=rx.cond(d["negative"] != "", rx.color("red", 11), rx.color("gray", 12)),
                ),
            ),
            rx.flex(
                rx.link(
                    rx.button(rx.icon("wallet", size=16), tr("nav.topup"), size="3"),
                    href="/cabinet/topup",
                ),
                rx.link(
                    rx.button(
                        rx.icon("smartphone", size=16),
                        tr("dashboard.details"),
                        variant="soft",
                        size="3",
                    ),
                    href="/cabinet/sims",
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="dash-current",
    )
    plan = rx.card(
        rx.vstack(
            _figure(
                "cabinet.tariff",
                rx.text(d["tariff"], weight="bold", id="dash-tariff"),
                rx.text(d["terms"], size="2", color=rx.color("gray", 11)),
            ),
            rx.cond(
                d["next_fee"] != "",
                _figure("dashboard.next_billing", rx.text(d["next_fee"], id="dash-next-fee")),
            ),
            _figure(
                "autopay.title",
                rx.hstack(
                    rx.badge(
                        rx.cond(
                            d["autopay_on"] != "", tr("autopay.state_on"), tr("autopay.state_off")
                        ),
                        color_scheme=rx.cond(d["autopay_on"] != "", "green", "gray"),
                    ),
                    rx.text(d["autopay"], size="2"),
                    align="center",
                    wrap="wrap",
                ),
                rx.link(tr("dashboard.autopay_setup"), href="/cabinet/autopay", size="2"),
            ),
            rx.cond(d["runway"] != "", rx.text(d["runway"], size="2", id="dash-runway")),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
    return rx.vstack(
        rx.grid(
            current, plan, columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"
        ),
        rx.cond(CabinetHomeState.usage_text.contains("sentence"), _usage_card()),
        rx.hstack(
            rx.heading(tr("dashboard.last_payments"), size="4", as_="h2"),
            rx.spacer(),
            rx.link(tr("topup.result.history"), href="/cabinet/payments", size="2"),
            width="100%",
            align="center",
        ),
        data_table(LAST_COLUMNS, CabinetHomeState.last_rows, "statement.empty", "dash-payments"),
        _add_ons(),
        rx.cond(
            CabinetHomeState.request_rows.length() > 0,
            rx.vstack(
                rx.heading(tr("dashboard.open_requests"), size="4", as_="h2"),
                data_table(
                    REQUEST_COLUMNS,
                    CabinetHomeState.request_rows,
                    "statement.empty",
                    "dash-requests",
                ),
                spacing="2",
                width="100%",
            ),
        ),
        rx.cond(d["tickets"] != "", rx.link(d["tickets"], href="/cabinet/support")),
        spacing="3",
        width="100%",
    )


def _add_on(a) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(a["name"], weight="medium"),
            rx.text(a["until"], size="2"),
            rx.text(a["renew"], size="1", color=rx.color("gray", 11)),
            spacing="1",
        ),
        size="1",
        class_name="dash-addon",
    )


def _add_ons() -> rx.Component:
    """The current SIM's add-on services with their expiry (or a way to get one)."""
    return rx.vstack(
        rx.hstack(
            rx.heading(tr("addons.title"), size="4", as_="h2"),
            rx.spacer(),
            rx.link(tr("addons.catalogue"), href="/cabinet/services", size="2"),
            width="100%",
            align="center",
        ),
        rx.cond(
            CabinetHomeState.add_ons.length() > 0,
            rx.grid(
                rx.foreach(CabinetHomeState.add_ons, _add_on),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="3",
                width="100%",
            ),
            rx.text(tr("dashboard.no_addons"), size="2", color=rx.color("gray", 11)),
        ),
        spacing="2",
        width="100%",
        id="dash-addons",
    )


def _quick_rating() -> rx.Component:
    low = rx.Var.create(False)
    for aspect in quality.ASPECTS:
        low = low | ((CabinetHomeState.rated[aspect] > 0) & (CabinetHomeState.rated[aspect] <= 2))
    return rx.card(
        rx.vstack(
            rx.heading(tr("dashboard.rate_title"), size="4", as_="h2"),
            rx.flex(
                # each aspect as wide as its five stars; a row the card cannot hold (a desktop
                # below ~1370 px) wraps instead of running past the card's edge
                *[
                    rx.box(stars(a, CabinetHomeState.rated[a], CabinetHomeState.rate, "dash-rate"))
                    for a in quality.ASPECTS
                ],
                direction=rx.breakpoints(initial="column", md="row"),
                wrap="wrap",
                spacing="3",
                column_gap="var(--space-6)",  # the aspects' stars apart from each other
                width="100%",
            ),
            rx.cond(
                low,
                rx.callout(
                    rx.hstack(
                        rx.text(tr("quality.low_hint")),
                        rx.link(
                            tr("quality.to_support"),
                            href="/cabinet/support?rating="
                            + CabinetHomeState.low_rating_id.to(str),
                            high_contrast=True,
                            id="dash-to-support",
                        ),
                        wrap="wrap",
                    ),
                    icon="life-buoy",
                    color_scheme="amber",
                    high_contrast=True,  # amber text on its tint is below WCAG AA
                    id="dash-low-hint",
                    width="100%",
                ),
            ),
            rx.link(tr("dashboard.rate_more"), href="/cabinet/quality", size="2"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="dash-rating",
    )


def cabinet_home() -> rx.Component:
    return shell(
        "cabinet",
        # until on_load has filled the state, hold the space instead of flashing "no SIMs"
        # (whose card React would then reuse and move down: a layout shift)
        rx.cond(
            ~rx.State.is_hydrated,
            rx.box(min_height="70vh", id="cabinet-loading"),
            rx.cond(
                CabinetHomeState.sim_cards.length() > 0,
                rx.vstack(
                    _dashboard(),
                    _quick_rating(),
                    _notices(),
                    rx.heading(tr("dashboard.all_sims"), size="4", as_="h2", margin_top="0.5em"),
                    rx.grid(
                        rx.foreach(CabinetHomeState.sim_cards, _sim_card),
                        columns=rx.breakpoints(initial="1", md="2", lg="3"),
                        spacing="4",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.vstack(
                    empty_state("empty_cabinet.lead.home", add=claim_sim_form()),
                    _notices(),
                    width="100%",
                ),
            ),
        ),
        title_key="cabinet.title",
    )
