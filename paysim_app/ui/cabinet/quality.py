"""/cabinet/quality: one tap rates voice, internet speed or coverage (1-5 stars, an optional
comment, optionally the latest speed test attached), and a speed test that runs in the browser
(assets/speedtest.js, the LibreSpeed method against /api/speedtest/) and stores its result."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import reflex as rx

from paysim_app.i18n import t
from paysim_app.support import quality
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView
from paysim_app.ui.cabinet.page import sim_page
from paysim_app.ui.cabinet.state import CabinetState, plain
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.format import moment
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.rating import stars

ASPECTS = quality.ASPECTS
NOT_RATED = dict.fromkeys(ASPECTS, 0)


class QualityState(LocaleView, CabinetState):
    tests: list[dict] = []  # the current SIM's recent speed tests (newest first)
    ratings: list[dict] = []  # the current SIM's recent ratings (newest first)
    rated: dict[str, int] = NOT_RATED  # the stars just given, per aspect
    comment: str = ""
    attach: bool = False
    low_hint: bool = False
    running: bool = False
    test_error: str = ""

    def _refresh(self, actor) -> None:
        tests = self._call(quality.my_speed_tests, self.current_sim_id)
        ratings = self._call(quality.my_ratings, self.current_sim_id)
        self.tests = [plain(asdict(r)) for r in tests.value] if tests else []
        self.ratings = [plain(asdict(r)) for r in ratings.value] if ratings else []

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
        self.rated, self.low_hint, self.running, self.test_error = NOT_RATED, False, False, ""
        self.attach = False
        if self.current_sim_id:
            self._refresh(actor)
        return None

    @access("subscriber")
    @rx.event
    def set_comment(self, value: str):
        self.comment = str(value)[: quality.MAX_COMMENT]

    @access("subscriber")
    @rx.event
    def set_attach(self, value: bool):
        self.attach = bool(value) and bool(self.tests)

    @access("subscriber")
    @rx.event
    def rate_with_latest(self):
        """ "Rate with this result": the rating form takes the latest speed test."""
        self.attach = bool(self.tests)
        return rx.scroll_to("rate-card")

    @access("subscriber")
    @rx.event
    def rate(self, aspect: str, stars: int):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        test_id = self.tests[0]["id"] if self.attach and self.tests else None
        res = self._call(quality.rate, self.current_sim_id, aspect, stars, self.comment, test_id)
        if not res:
            return res.redirect or rx.toast.error(res.error)
        self.rated = {**NOT_RATED, aspect: stars}
        self.low_hint = stars <= 2
        self.comment, self.attach = "", False
        self._refresh(actor)
        return rx.toast.success(
            self._t("quality.rated", aspect=self._t(f"quality.aspect.{aspect}"), stars=stars)
        )

    @access("subscriber")
    @rx.event
    def start_test(self):
        """Run the browser's speed test; it stores its result itself (POST /api/speedtest/result
        with the session token) and reports back to test_done."""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        if self.running or not self.current_sim_id:
            return None
        res = self._call(quality.speed_test_pass, self.current_sim_id, ip=self._client_ip())
        if not res:  # not this subscriber's SIM, or too many tests from here
            self.test_error = res.error
            return res.redirect or rx.toast.error(self.test_error)
        token = res.value
        self.running, self.test_error = True, ""
        options = json.dumps(
            {
                "simId": self.current_sim_id,
                "pass": token,
                "labels": {
                    "ping": self._t("quality.ping"),
                    "download": self._t("quality.download"),
                    "upload": self._t("quality.upload"),
                },
            }
        )
        script = (
            "(async () => { if (!window.PaySimSpeedtest) { await new Promise((ok, fail) => {"
            " const s = document.createElement('script'); s.src = '/speedtest.js';"
            " s.onload = ok; s.onerror = () => fail(new Error('could not load /speedtest.js'));"
            " document.head.appendChild(s); }); }"
            f" return window.PaySimSpeedtest.run({options}); }})()"
            ".catch((e) => ({ok: false, error: String(e)}))"
        )
        return rx.call_script(script, callback=QualityState.test_done)

    @access("subscriber")
    @rx.event
    def test_done(self, result: dict):
        """The browser's report. It is only a hint: what is shown comes from the database."""
        self.running = False
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        if self.current_sim_id:
            self._refresh(actor)
        ok = isinstance(result, dict) and result.get("ok") is True
        if not ok:
            reason = result.get("error") if isinstance(result, dict) else ""
            self.test_error = self._t("quality.failed", reason=str(reason or "?")[:200])
            return rx.toast.error(self.test_error)
        return rx.toast.success(self._t("quality.saved"))

    # -- what the page shows, in the current language ----------------------------------------
    @rx.var
    def latest(self) -> dict[str, str]:
        loc = self.view_locale
        if not self.tests:
            return {"id": "", "when": "", "ping": "", "jitter": "", "download": "", "upload": ""}
        r = self.tests[0]
        return {
            "id": str(r["id"]),
            "when": moment(datetime.fromisoformat(r["created_at"]), loc),
            "ping": str(r["ping_ms"]),
            "jitter": str(r["jitter_ms"]),
            "download": quality.mbit(r["download_kbps"], loc),
            "upload": quality.mbit(r["upload_kbps"], loc),
        }

    @rx.var
    def attach_label(self) -> str:
        v = self.latest
        if not v["id"]:
            return ""
        return t(
            "quality.attached", self.view_locale, when=v["when"], down=v["download"], up=v["upload"]
        )

    @rx.var
    def test_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            {
                "date": moment(datetime.fromisoformat(r["created_at"]), loc),
                "ping": str(r["ping_ms"]),
                "jitter": str(r["jitter_ms"]),
                "download": quality.mbit(r["download_kbps"], loc),
                "upload": quality.mbit(r["upload_kbps"], loc),
            }
            for r in self.tests
        ]

    @rx.var
    def rating_rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        by_id = {r["id"]: r for r in self.tests}
        rows = []
        for r in self.ratings:
            test = by_id.get(r["speed_test_id"])
            rows.append(
                {
                    "date": moment(datetime.fromisoformat(r["created_at"]), loc),
                    "aspect": t(f"quality.aspect.{r['aspect']}", loc),
                    "stars": "★" * r["stars"] + "☆" * (5 - r["stars"]),
                    "colour": "red" if r["stars"] <= 2 else "green" if r["stars"] >= 4 else "amber",
                    "comment": r["comment"],
                    "test": (
                        f"↓ {quality.mbit(test['download_kbps'], loc)} / ↑ {quality.mbit(test['upload_kbps'], loc)}"
                        f" {t('quality.mbps', loc)}"
                    )
                    if test
                    else "",
                }
            )
        return rows


TEST_COLUMNS = [
    Column("date", "quality.col.date", mono=True),
    Column("ping", "quality.col.ping", align="right"),
    Column("jitter", "quality.col.jitter", align="right"),
    Column("download", "quality.col.download", align="right"),
    Column("upload", "quality.col.upload", align="right"),
]
RATING_COLUMNS = [
    Column("date", "quality.col.date", mono=True),
    Column("aspect", "quality.col.aspect"),
    Column("stars", "quality.col.stars", badge="colour"),
    Column("comment", "quality.col.comment", hint="test"),
]


def _rate_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("star", size=20),
                rx.heading(tr("quality.rate_title"), size="4", as_="h2"),
                align="center",
            ),
            rx.text(tr("quality.rate_hint"), size="2", color=rx.color("gray", 11)),
            *[stars(a, QualityState.rated[a], QualityState.rate) for a in ASPECTS],
            rx.vstack(
                rx.el.label(
                    tr("quality.comment"),
                    html_for="rate-comment",
                    font_size="14px",
                    font_weight="500",
                ),
                rx.text_area(
                    id="rate-comment",
                    value=QualityState.comment,
                    on_change=QualityState.set_comment,
                    placeholder=tr("quality.comment_placeholder"),
                    max_length=1000,
                    rows="2",
                    width="100%",
                ),
                spacing="1",
                width="100%",
            ),
            rx.cond(
                QualityState.latest["id"] != "",
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(
                            checked=QualityState.attach,
                            on_change=QualityState.set_attach,
                            id="rate-attach",
                            aria_label=tr("quality.attach"),
                        ),
                        rx.vstack(
                            rx.text(tr("quality.attach"), size="2"),
                            rx.text(
                                QualityState.attach_label, size="1", color=rx.color("gray", 11)
                            ),
                            spacing="0",
                        ),
                        align="center",
                    ),
                    min_height="44px",
                    display="flex",
                    align_items="center",
                ),
            ),
            rx.cond(
                QualityState.low_hint,
                rx.callout(
                    rx.vstack(
                        rx.text(tr("quality.low_hint")),
                        rx.link(
                            tr("quality.to_support"),
                            href="/cabinet/support",
                            high_contrast=True,
                            id="to-support",
                        ),
                        spacing="1",
                    ),
                    icon="life-buoy",
                    color_scheme="amber",
                    high_contrast=True,  # amber text on its tint is below WCAG AA
                    id="low-hint",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="rate-card",
    )


def _figure(key: str, label_key: str, unit_key: str) -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), size="2", color=rx.color("gray", 11)),
        rx.hstack(
            rx.text(
                rx.cond(QualityState.latest[key] != "", QualityState.latest[key], "—"),
                size="7",
                weight="bold",
                id=f"st-{key}",
            ),
            rx.text(tr(unit_key), size="2", color=rx.color("gray", 11)),
            align="baseline",
            spacing="1",
        ),
        spacing="0",
        min_width="0",
    )


def _speed_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("gauge", size=20),
                rx.heading(tr("quality.speed_title"), size="4", as_="h2"),
                align="center",
            ),
            rx.text(tr("quality.speed_hint"), size="2", color=rx.color("gray", 11)),
            rx.grid(
                _figure("ping", "quality.ping", "quality.ms"),
                _figure("jitter", "quality.jitter", "quality.ms"),
                _figure("download", "quality.download", "quality.mbps"),
                _figure("upload", "quality.upload", "quality.mbps"),
                columns="2",
                spacing="3",
                width="100%",
                id="speedtest-figures",
            ),
            rx.cond(
                QualityState.latest["when"] != "",
                rx.text(
                    QualityState.latest["when"], size="1", color=rx.color("gray", 11), id="st-when"
                ),
            ),
            # plain DOM nodes the script writes progress into (React renders them empty)
            rx.box(
                rx.box(
                    id="speedtest-bar",
                    height="100%",
                    width="0%",
                    background_color=rx.color("accent", 9),
                    transition="width 0.2s",
                ),
                height="6px",
                width="100%",
                background_color=rx.color("gray", 4),
                border_radius="3px",
                overflow="hidden",
                visibility=rx.cond(QualityState.running, "visible", "hidden"),
            ),
            rx.el.div(
                id="speedtest-live", aria_live="polite", font_size="14px", min_height="1.4em"
            ),
            rx.hstack(
                rx.button(
                    rx.cond(QualityState.running, rx.spinner(size="2"), rx.icon("play", size=16)),
                    rx.cond(QualityState.running, tr("quality.running"), tr("quality.start")),
                    size="3",
                    on_click=QualityState.start_test,
                    disabled=QualityState.running,
                    id="speedtest-start",
                ),
                rx.cond(
                    (QualityState.latest["id"] != "") & ~QualityState.running,
                    rx.button(
                        rx.icon("star", size=16),
                        tr("quality.rate_with_result"),
                        size="3",
                        variant="soft",
                        on_click=QualityState.rate_with_latest,
                        id="speedtest-rate",
                    ),
                ),
                rx.cond(
                    (QualityState.latest["id"] != "") & ~QualityState.running,
                    rx.button(
                        rx.icon("life-buoy", size=16),
                        tr("quality.report"),
                        size="3",
                        variant="soft",
                        color_scheme="gray",
                        on_click=rx.redirect(
                            "/cabinet/support?speedtest=" + QualityState.latest["id"]
                        ),
                        id="speedtest-report",
                    ),
                ),
                wrap="wrap",
                spacing="2",
            ),
            rx.cond(
                QualityState.test_error != "",
                rx.text(
                    QualityState.test_error,
                    color=rx.color("red", 11),
                    size="2",
                    role="alert",
                    id="speedtest-error",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="speedtest",
    )


def quality_page() -> rx.Component:
    return sim_page(
        QualityState,
        "quality.title",
        rx.grid(
            _rate_card(),
            _speed_card(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
            align="start",
        ),
        rx.heading(tr("quality.results"), size="4", as_="h2", margin_top="0.5em"),
        data_table(TEST_COLUMNS, QualityState.test_rows, "quality.results_empty", "speed-tests"),
        rx.heading(tr("quality.ratings"), size="4", as_="h2", margin_top="0.5em"),
        data_table(RATING_COLUMNS, QualityState.rating_rows, "quality.ratings_empty", "ratings"),
        picker_id="quality-sim",
        label_key="quality.sim",
        no_sims_key="empty_cabinet.lead.quality",
        head=(rx.script(src="/speedtest.js"),),
    )
