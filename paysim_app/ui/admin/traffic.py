"""The back office's traffic statistics on /admin: a month's data usage by tariff (sims.view) and
by partner (partners.view), from sims.usage_view.traffic.

At a million SIMs a month is some 30 million usage_day rows, so each figure is one GROUP BY that
takes seconds: the page shows at once and the tables follow from a background task (the
payments list's pattern), in a worker thread; choosing another month starts it again, and an
answer for a month no longer chosen is dropped.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from paysim_app.i18n import t
from paysim_app.sims import usage_view
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.charts import month_label
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import data_size
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.pickers import native_choice


def _share(part: int, total: int, locale: str) -> str:
    text = f"{part * 100 / (total or 1):.1f}\u00a0%"
    return text.replace(".", ",") if locale == "ru" else text


def _rows(rows: list[usage_view.TrafficRow], by: str, locale: str) -> list[dict[str, str]]:
    total = sum(r.bytes for r in rows)
    none_key = "data_usage.no_tariff" if by == "tariff" else "data_usage.no_partner"
    return [
        {
            "name": r.name or t(none_key, locale),
            # a partner's card; the SIMs without a partner in the SIM list
            "href": (f"/admin/partners/{r.key_id}" if r.key_id else "/admin/sims?partner=none")
            if by == "partner"
            else "",
            "sims": f"{r.sims:,}".replace(",", "\u00a0"),
            "bytes": data_size(r.bytes, locale),
            "share": _share(r.bytes, total, locale),
        }
        for r in rows
    ]


class AdminTrafficState(SessionState):
    month: str = ""  # 'YYYY-MM'
    month_options: list[dict[str, str]] = []
    show_tariff: bool = False  # the role may see it (sims.view)
    show_partner: bool = False  # (partners.view)
    counting: bool = False
    by_tariff: list[dict[str, str]] = []
    by_partner: list[dict[str, str]] = []
    traffic_error: str = ""
    _seq: int = 0

    @access("admin:any")
    @rx.event
    def start(self):
        """From the overview's load: the months on offer, then the current month's figures."""
        actor = self._actor()
        if actor is None or not actor.is_admin:
            return None
        self.show_tariff = actor.can("sims.view")
        self.show_partner = actor.can("partners.view")
        if not (self.show_tariff or self.show_partner):
            return None
        loc = self.locale
        months = usage_view.recent_months()
        self.month_options = [{"value": m, "label": month_label(m, loc)} for m in months]
        self.month = months[0]
        return self._recount()

    def _recount(self):
        self._seq += 1
        self.counting, self.traffic_error = True, ""
        self.by_tariff, self.by_partner = [], []
        return AdminTrafficState.load_traffic

    @access("admin:any")
    @rx.event
    def set_month(self, month: str):
        if not any(o["value"] == month for o in self.month_options):
            return None
        self.month = month
        return self._recount()

    @access("admin:any")
    @rx.event(background=True)
    async def load_traffic(self):
        async with self:
            seq, month, loc = self._seq, self.month, self.locale
            wanted = (("tariff", self.show_tariff), ("partner", self.show_partner))
            kinds = [by for by, allowed in wanted if allowed]
            actor = self._actor()
        if actor is None or not kinds:
            return
        # the verb checks the permission again; the state is not held while it counts
        results = {}
        for by in kinds:
            results[by] = await asyncio.to_thread(
                self._outcome, lambda by=by: usage_view.traffic(actor, month, by)
            )
        async with self:
            if self._seq != seq:  # another month was chosen meanwhile
                return
            self.counting = False
            for by, res in results.items():
                if not res:
                    self.traffic_error = res.error
                    continue
                if by == "tariff":
                    self.by_tariff = _rows(res.value, by, loc)
                else:
                    self.by_partner = _rows(res.value, by, loc)


TARIFF_COLUMNS = [
    Column("name", "data_usage.col.tariff"),
    Column("sims", "data_usage.col.sims", align="right"),
    Column("bytes", "data_usage.col.bytes", align="right"),
    Column("share", "data_usage.col.share", align="right"),
]
PARTNER_COLUMNS = [
    Column("name", "data_usage.col.partner", link="href"),
    *TARIFF_COLUMNS[1:],
]


def _table(title_key: str, columns: list[Column], rows: rx.Var, id_: str) -> rx.Component:
    return rx.vstack(
        rx.heading(tr(title_key), size="3", as_="h3"),
        rx.cond(
            AdminTrafficState.counting,
            rx.hstack(
                rx.spinner(size="2"),
                rx.text(tr("data_usage.counting"), size="2", color=rx.color("gray", 11)),
                align="center",
                id=f"{id_}-counting",
            ),
            data_table(columns, rows, "data_usage.traffic_empty", id_),
        ),
        spacing="2",
        width="100%",
        min_width="0",
    )


def traffic_block() -> rx.Component:
    """The month's traffic by tariff and by partner (each when the role allows it)."""
    s = AdminTrafficState
    return rx.cond(
        s.show_tariff | s.show_partner,
        rx.vstack(
            rx.flex(
                rx.heading(tr("data_usage.traffic"), size="4", as_="h2"),
                native_choice(
                    s.month_options,
                    s.month,
                    s.set_month,
                    "traffic-month",
                    "data_usage.traffic_month",
                    width="12em",
                ),
                justify="between",
                align="end",
                wrap="wrap",
                spacing="3",
                width="100%",
            ),
            rx.cond(
                s.traffic_error != "",
                rx.callout(s.traffic_error, icon="triangle_alert", color_scheme="red"),
            ),
            rx.grid(
                rx.cond(
                    s.show_tariff,
                    _table("data_usage.by_tariff", TARIFF_COLUMNS, s.by_tariff, "traffic-tariff"),
                ),
                rx.cond(
                    s.show_partner,
                    _table(
                        "data_usage.by_partner", PARTNER_COLUMNS, s.by_partner, "traffic-partner"
                    ),
                ),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
            ),
            spacing="3",
            width="100%",
            id="admin-traffic",
        ),
    )
