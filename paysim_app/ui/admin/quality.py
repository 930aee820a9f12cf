"""/admin/quality: for a period (two dates, by default the last 6 months) the overview figures
(ratings, average, low ones), average stars per month per aspect as charts, stars by tariff and
by partner, median speed tests per month and per tariff, and the list of ratings, the low ones
first, each linked to its support ticket when one was opened from it. Needs quality.view."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

import reflex as rx
from babel.numbers import format_decimal

from paysim_app.core import utcnow
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_date
from paysim_app.overview import staff_lists
from paysim_app.support import RATING_ASPECTS, quality_report
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.charts import TICK, month_label, monthly_chart
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import moment, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

DEFAULT_MONTHS = 6
PERIOD = ("from", "to")  # the list filters the page's period sets
ASPECT_COLOURS = {"voice": "blue", "speed": "grass", "coverage": "orange"}


def default_period(today: date) -> tuple[date, date]:
    """The last 6 months: from the same day 6 months back (clamped to the month's end)."""
    year, month = today.year, today.month - DEFAULT_MONTHS
    while month < 1:
        year, month = year - 1, month + 12
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day) + timedelta(days=1), today
        except ValueError:
            continue
    return today - timedelta(days=182), today  # pragma: no cover


def _num(value: float | None, loc: str, digits: int = 2) -> str:
    if value is None:
        return "—"
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits, locale=loc)


def _mbit(kbps: float | None, loc: str) -> str:
    return "—" if kbps is None else _num(kbps / 1000, loc, 1)


def _stars(n: int) -> str:
    return "★" * n + "☆" * (5 - n)


def _star_colour(n: int) -> str:
    if n <= quality_report.LOW_STARS:
        return "red"
    return "green" if n >= 4 else "amber"


class AdminQualityState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:quality.view"
    figures: dict[str, str] = {}
    chart: list[dict] = []
    by_tariff: list[dict[str, str]] = []
    by_partner: list[dict[str, str]] = []
    speed_by_month: list[dict[str, str]] = []
    speed_by_tariff: list[dict[str, str]] = []
    overview_error: str = ""
    tariff_options: list[dict[str, str]] = []
    partner_options: list[dict[str, str]] = []

    def _spec(self):
        return staff_lists.RATING_LIST

    def _prepare(self, actor: Actor) -> None:
        loc = self.locale
        self.sort, self.descending = "stars", False  # the low ones first
        res = self._call(staff_lists.rating_choices)  # (already in a worker thread)
        tariffs, partners = (res.value.tariffs, res.value.partners) if res else ((), ())
        head = [{"value": ALL, "label": t("list.any", loc)}]
        self.tariff_options = head + [{"value": o.value, "label": o.label} for o in tariffs]
        self.partner_options = head + [{"value": o.value, "label": o.label} for o in partners]

    def _period(self) -> tuple[date, date] | None:
        """The chosen period; an empty date takes the default's (the last 6 months)."""
        start, end = default_period(moscow_date(utcnow()))
        values = {}
        for name, fallback in zip(PERIOD, (start, end), strict=True):
            raw = self.filters.get(name, "")
            if not raw:
                values[name] = fallback
                continue
            try:
                values[name] = date.fromisoformat(raw)
            except ValueError:
                return None
        self.filters = {**self.filters, **{k: v.isoformat() for k, v in values.items()}}
        return values["from"], values["to"]

    def _before_fetch(self) -> None:
        self._period()  # checks and normalises the dates the query then uses

    def _after_fetch(self, count: bool):
        if count:
            self._overview(self._period())
        return None

    def _overview(self, period: tuple[date, date] | None) -> None:
        if period is None:
            res = None
            self.overview_error = self._t("admin_quality.error.period")
        else:
            res = self._call(quality_report.quality_overview, *period)
            if res.redirect is not None:
                return
            self.overview_error = res.error
        if not res:
            self.figures, self.chart = {}, []
            self.by_tariff, self.by_partner = [], []
            self.speed_by_month, self.speed_by_tariff = [], []
            return
        o = res.value
        loc = self.locale
        self.figures = {
            "ratings": _num(o.ratings, loc, 0),
            "low": _num(o.low, loc, 0),
            "average": _num(o.average, loc),
        }
        self.chart = [
            {
                "month": month_label(m.key, loc),
                **{a: getattr(m, a) for a in RATING_ASPECTS if getattr(m, a) is not None},
            }
            for m in o.months
        ]
        for m, point in zip(o.speed_by_month, self.chart, strict=True):
            if m.download_kbps is not None:
                point["download"] = round(m.download_kbps / 1000, 1)

        def stars(rows, none_key: str) -> list[dict[str, str]]:
            return [
                {
                    "name": r.name or t(none_key, loc),
                    "ratings": _num(r.ratings, loc, 0),
                    "low": _num(r.low, loc, 0),
                    "tone": "neg" if r.low else "",
                    "average": _num(r.average, loc),
                    "voice": _num(r.voice, loc),
                    "speed": _num(r.speed, loc),
                    "coverage": _num(r.coverage, loc),
                }
                for r in rows
            ]

        def speeds(rows, none_key: str, months: bool = False) -> list[dict[str, str]]:
            return [
                {
                    "name": month_label(r.key, loc) if months else (r.name or t(none_key, loc)),
                    "tests": _num(r.tests, loc, 0),
                    "download": _mbit(r.download_kbps, loc),
                    "upload": _mbit(r.upload_kbps, loc),
                    "ping": _num(r.ping_ms, loc, 0),
                }
                for r in rows
            ]

        self.by_tariff = stars(o.by_tariff, "admin_quality.no_tariff")
        self.by_partner = stars(o.by_partner, "admin_quality.no_partner")
        self.speed_by_month = speeds(
            [m for m in o.speed_by_month if m.tests], "admin_quality.no_tariff", months=True
        )
        self.speed_by_tariff = speeds(o.speed_by_tariff, "admin_quality.no_tariff")

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        speed = ""
        if row["speed_test_id"] is not None:
            speed = t(
                "admin_staff_ui.quality.speed_line",
                loc,
                down=_mbit(row["download_kbps"], loc),
                up=_mbit(row["upload_kbps"], loc),
                ping=_num(row["ping_ms"], loc, 0),
            )
        ticket = row["ticket_id"]
        return {
            "when": moment(row["created_at"], loc),
            "stars": f"{_stars(row['stars'])} {row['stars']}",
            "colour": _star_colour(row["stars"]),
            "aspect": t(f"quality.aspect.{row['aspect']}", loc),
            "comment": (row["comment"] or "")[:200],
            "number": phone(row["msisdn"]) if row["msisdn"] else "—",
            "number_href": f"/admin/sims/{row['sim_id']}",
            "subscriber": row["subscriber_name"] or "—",
            "tariff": row["tariff_name"] or "—",
            "partner": row["partner_name"] or "—",
            "speed": speed,
            # a rating without a ticket shows "—" linking to its SIM's card instead
            "ticket": f"#{ticket}" if ticket else "—",
            "ticket_href": f"/admin/support/{ticket}" if ticket else f"/admin/sims/{row['sim_id']}",
            "ticket_status": t(f"admin_support.status.{row['ticket_status']}", loc)
            if ticket and row["ticket_status"]
            else "",
        }

    @access("admin:quality.view")
    @rx.event
    async def load(self):
        return await self._start()


STAR_COLUMNS = [
    Column("name", "admin_staff_ui.quality.name"),
    Column("ratings", "admin_quality.ratings", align="right"),
    Column("low", "admin_quality.low", align="right", tone="tone"),
    Column("average", "admin_quality.average", align="right"),
    Column("voice", "quality.aspect.voice", align="right"),
    Column("speed", "quality.aspect.speed", align="right"),
    Column("coverage", "quality.aspect.coverage", align="right"),
]
SPEED_COLUMNS = [
    Column("name", "admin_staff_ui.quality.name"),
    Column("tests", "admin_quality.tests", align="right"),
    Column("download", "admin_staff_ui.quality.download", align="right"),
    Column("upload", "admin_staff_ui.quality.upload", align="right"),
    Column("ping", "admin_staff_ui.quality.ping", align="right"),
]
COLUMNS = [
    Column("stars", "admin_quality.col.stars", badge="colour"),
    Column("aspect", "admin_quality.col.aspect", hint="comment"),
    Column("number", "admin_quality.col.number", mono=True, link="number_href", hint="speed"),
    Column("subscriber", "admin_quality.col.subscriber"),
    Column("tariff", "admin_quality.col.tariff"),
    Column("ticket", "admin_quality.col.ticket", link="ticket_href", hint="ticket_status"),
    Column("when", "admin_quality.col.when", mono=True),
]
FIELDS = [
    FilterField(
        "aspect",
        "admin_quality.col.aspect",
        options=[(ALL, "list.any")] + [(a, f"quality.aspect.{a}") for a in RATING_ASPECTS],
    ),
    FilterField(
        "max_stars",
        "admin_quality.filter.max_stars",
        options=[(ALL, "list.any")]
        + [(s, f"admin_staff_ui.quality.stars_{s}") for s in staff_lists.STAR_CHOICES],
    ),
    FilterField("tariff", "admin_quality.col.tariff", dynamic="tariff_options"),
    FilterField("partner", "admin_quality.col.partner", dynamic="partner_options"),
    FilterField(
        "has_ticket",
        "admin_quality.filter.has_ticket",
        options=[(ALL, "list.any"), ("yes", "admin_staff_ui.yes"), ("no", "admin_staff_ui.no")],
    ),
]
SORTS = [("stars", "admin_quality.col.stars"), ("created_at", "admin_quality.col.when")]


def _figure(label_key: str, value, id_: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(tr(label_key), size="2", color=rx.color("gray", 11)),
            rx.heading(value, size="6", id=id_),
            spacing="1",
        ),
        width="100%",
    )


def _period_card() -> rx.Component:
    s = AdminQualityState

    def day_input(name: str, label_key: str) -> rx.Component:
        id_ = f"period-{name}"
        return labelled(
            id_,
            tr(label_key),
            rx.input(
                id=id_,
                type="date",
                value=s.filters[name],
                on_change=lambda v: s.set_filter(name, v),  # empty: back to the default
                size="3",
                width="100%",
            ),
        )

    return rx.card(
        rx.vstack(
            rx.text(tr("admin_quality.period"), weight="medium"),
            rx.grid(
                day_input("from", "admin_staff.audit.filter.from"),
                day_input("to", "admin_staff.audit.filter.to"),
                columns="2",
                spacing="3",
                width="100%",
                max_width="480px",
            ),
            error_banner(s.overview_error, id_="quality-error"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _section(title_key: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(tr(title_key), size="4", as_="h2"),
        *children,
        spacing="2",
        width="100%",
    )


def _stars_chart() -> rx.Component:
    """Average stars per month, one line per aspect on one 1-5 scale (charts.monthly_chart draws
    a single series on an automatic scale; stars need three series on a fixed one)."""
    s = AdminQualityState
    return rx.card(
        rx.vstack(
            rx.text(tr("admin_staff_ui.quality.stars_chart"), size="2", weight="medium"),
            rx.box(
                rx.recharts.line_chart(
                    rx.recharts.cartesian_grid(
                        stroke_dasharray="3 3", vertical=False, stroke=rx.color("gray", 5)
                    ),
                    rx.recharts.x_axis(
                        data_key="month", tick=TICK, interval="preserveStartEnd", tick_size=4
                    ),
                    rx.recharts.y_axis(tick=TICK, width=28, domain=[1, 5], ticks=[1, 2, 3, 4, 5]),
                    rx.recharts.graphing_tooltip(
                        content_style={"fontSize": "13px", "borderRadius": "6px"}
                    ),
                    rx.recharts.legend(wrapper_style={"fontSize": "12px"}),
                    *[
                        rx.recharts.line(
                            data_key=a,
                            name=tr(f"quality.aspect.{a}"),
                            stroke=rx.color(ASPECT_COLOURS[a], 9),
                            stroke_width=2,
                            dot={"r": 3},
                            connect_nulls=True,
                            is_animation_active=False,
                            type_="monotone",
                        )
                        for a in RATING_ASPECTS
                    ],
                    data=s.chart,
                    height=240,
                    margin={"top": 8, "right": 8, "left": 0, "bottom": 0},
                ),
                width="100%",
                height="240px",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",
        id="chart-stars",
    )


def quality_page() -> rx.Component:
    s = AdminQualityState
    charts = rx.grid(
        _stars_chart(),
        monthly_chart(
            s.chart,
            "download",
            "admin_staff_ui.quality.download_chart",
            id_="chart-download",
            colour="violet",
            height=240,
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="3",
        width="100%",
    )
    return shell(
        "admin",
        rx.vstack(
            _period_card(),
            rx.grid(
                _figure("admin_quality.ratings", s.figures["ratings"], "q-ratings"),
                _figure("admin_quality.average", s.figures["average"], "q-average"),
                _figure("admin_quality.low", s.figures["low"], "q-low"),
                columns="3",
                spacing="3",
                width="100%",
            ),
            _section("admin_quality.by_month", charts),
            _section(
                "admin_quality.by_tariff",
                data_table(STAR_COLUMNS, s.by_tariff, "admin_staff_ui.quality.none", "q-tariffs"),
            ),
            _section(
                "admin_quality.by_partner",
                data_table(STAR_COLUMNS, s.by_partner, "admin_staff_ui.quality.none", "q-partners"),
            ),
            _section(
                "admin_quality.speed_by_month",
                rx.text(tr("admin_quality.median_note"), size="1", color=rx.color("gray", 11)),
                data_table(
                    SPEED_COLUMNS, s.speed_by_month, "admin_staff_ui.quality.none", "q-speed-months"
                ),
            ),
            _section(
                "admin_quality.speed_by_tariff",
                data_table(
                    SPEED_COLUMNS,
                    s.speed_by_tariff,
                    "admin_staff_ui.quality.none",
                    "q-speed-tariffs",
                ),
            ),
            _section(
                "admin_quality.list",
                list_view(
                    s,
                    COLUMNS,
                    FIELDS,
                    SORTS,
                    id_="admin-ratings",
                    search_key="admin_staff_ui.quality.search",
                ),
            ),
            spacing="5",
            width="100%",
        ),
        title_key="admin_quality.title",
    )
