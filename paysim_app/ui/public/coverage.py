"""/coverage: the public coverage check (no sign-in). A visitor picks a region and types the
settlement's name (type-ahead over the operator's list) or enters coordinates, and gets the
expected quality with the tariffs that make sense there (links to the SIM order); where there is
no coverage yet, a form to leave a contact. Every handler is public: its arguments are checked
here and again in the verbs, which count the visitor's address against `coverage_check.ip` and
`coverage_lead.*` (core.rate_limits)."""

from __future__ import annotations

import reflex as rx

from paysim_app import coverage
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.format import money
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.public_shell import public_shell

ORDER_PATH = "/cabinet/order"
ALL = "all"
MODES = ("place", "point")
COLOURS = {"good": "green", "fair": "amber", "none": "gray"}
ICONS = {"good": "signal-high", "fair": "signal-medium", "none": "signal-zero"}
# "use my location": the browser's geolocation, answered as {lat, lon} or {error: why}; the
# browser asks the visitor first, and a refusal is an answer too (never a hang: a timeout)
LOCATE_JS = """new Promise((resolve) => {
  if (!window.isSecureContext || !navigator.geolocation) { resolve({error: "unsupported"}); return; }
  navigator.geolocation.getCurrentPosition(
    (p) => resolve({lat: p.coords.latitude, lon: p.coords.longitude}),
    (e) => resolve({error: e.code === 1 ? "denied" : "unavailable"}),
    {timeout: 15000, maximumAge: 600000}
  );
})"""
LOCATE_ERRORS = ("denied", "unavailable", "unsupported")


def distance_text(metres: int | None, loc: str) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return t("coverage.m", loc, m=metres)
    km = f"{metres / 1000:.1f}"
    return t("coverage.km", loc, km=km.replace(".", ",") if loc == "ru" else km)


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


class PublicCoverageState(LocaleView, SessionState):
    regions: list[dict[str, str]] = []
    region: str = ALL
    mode: str = "place"
    query: str = ""
    hits: list[dict[str, str]] = []
    searched: bool = False
    lat: str = ""
    lon: str = ""
    error: str = ""
    error_field: str = ""
    # the answer ("" quality: none shown yet)
    quality: str = ""
    place: str = ""
    note: str = ""
    detail: str = ""
    offers: list[dict[str, str]] = []
    # "no coverage yet"
    lead_place: str = ""
    lead_name: str = ""
    lead_contact: str = ""
    lead_consent: bool = False
    lead_error: str = ""
    lead_field: str = ""
    lead_done: str = ""
    _settlement_id: int = 0
    _point: tuple[str, str] = ("", "")
    # "use my location": waiting for the browser, or why it gave no position
    locating: bool = False
    locate_note: str = ""

    # -- helpers ---------------------------------------------------------------------------
    def _region_id(self) -> int | None:
        return int(self.region) if self.region.isascii() and self.region.isdigit() else None

    def _show(self, answer: coverage.CoverageAnswer) -> None:
        loc = self.locale
        self.error, self.error_field = "", ""
        self.quality = answer.quality
        self.place = (
            t("coverage.answer.in", loc, settlement=answer.settlement, region=answer.region)
            if answer.settlement
            else ""
        )
        self.note = t(f"coverage.answer.{answer.quality}", loc, mbps=coverage.FAIR_MAX_MBPS)
        distance = distance_text(answer.distance_m, loc)
        self.detail = {
            "station": t("coverage.answer.station", loc, distance=distance)
            if (answer.distance_m or 0) >= 100
            else t("coverage.answer.station_here", loc),
            "nearby": t(
                "coverage.answer.nearby", loc, settlement=answer.settlement, distance=distance
            ),
            "nothing": t("coverage.answer.nothing", loc),
        }.get(answer.source, "")
        self.offers = [
            {
                "id": str(o.id),
                "name": o.name,
                "description": o.description,
                "fee": t("coverage.offer.price", loc, fee=money(o.monthly_fee_kop, loc)),
                "data": t("coverage.offer.gb", loc, gb=o.data_gb)
                if o.data_gb is not None
                else t("coverage.offer.unlimited", loc),
                "speed": t("coverage.offer.speed", loc, mbps=o.speed_mbps),
                "href": f"{ORDER_PATH}?tariff={o.id}",
            }
            for o in answer.offers
        ]
        self._settlement_id = answer.settlement_id or 0
        self.lead_place = answer.settlement if answer.settlement_id else self.lead_place
        self.lead_done, self.lead_error, self.lead_field = "", "", ""

    def _refuse(self, res) -> None:
        self.quality, self.offers = "", []
        self.error, self.error_field = res.error, res.field

    def _search(self) -> None:
        key = self.query.strip()
        if not key:
            self.hits, self.searched = [], False
            return
        res = self._call(
            coverage.find_settlements,
            key,
            self._region_id(),
            10,
            ip=self._client_ip(),
            public=True,
        )
        if not res:
            self.hits, self.searched = [], False
            self.error, self.error_field = res.error, res.field
            return
        loc = self.locale
        self.error = ""
        self.searched = True
        self.hits = [
            {
                "id": str(h.id),
                "name": h.name,
                "sub": f"{t(f'coverage.kind.{h.kind}', loc)}, {h.region}",
            }
            for h in res.value
        ]

    # -- events ----------------------------------------------------------------------------
    @access("public")
    @rx.event
    def load(self):
        res = self._call(coverage.list_regions, public=True)
        self.regions = (
            [{"value": str(r.id), "label": r.name} for r in res.value[:100]] if res else []
        )
        if self.region != ALL and self.region not in {r["value"] for r in self.regions}:
            self.region = ALL

    @access("public")
    @rx.event
    def set_region(self, value: str):
        if not isinstance(value, str) or (
            value != ALL and value not in {r["value"] for r in self.regions}
        ):
            return
        self.region = value
        self._search()

    @access("public")
    @rx.event
    def set_mode(self, value: str | list[str]):
        if isinstance(value, str) and value in MODES:
            self.mode = value
            self.error, self.error_field = "", ""

    @access("public")
    @rx.event
    def set_query(self, value: str):
        self.query = _text(value, coverage.MAX_PREFIX)
        self._search()

    @access("public")
    @rx.event
    def pick(self, settlement_id: str):
        """Check one of the suggestions shown (an id the page did not offer is ignored)."""
        if not isinstance(settlement_id, str) or settlement_id not in {h["id"] for h in self.hits}:
            return
        res = self._call(
            coverage.check_by_settlement, int(settlement_id), ip=self._client_ip(), public=True
        )
        if not res:
            self._refuse(res)
            return
        self.query = next(h["name"] for h in self.hits if h["id"] == settlement_id)
        self.hits, self.searched = [], False
        self._point = ("", "")
        self._show(res.value)

    @access("public")
    @rx.event
    def set_lat(self, value: str):
        self.lat = _text(value, 20)

    @access("public")
    @rx.event
    def set_lon(self, value: str):
        self.lon = _text(value, 20)

    @access("public")
    @rx.event
    def locate(self):
        """Ask the browser where the visitor is (it asks the visitor); `located` gets it."""
        self.locate_note, self.locating = "", True
        return rx.call_script(LOCATE_JS, callback=PublicCoverageState.located)

    @access("public")
    @rx.event
    def located(self, result: dict):
        """The browser's answer: the coordinates fill the fields and are checked at once; a
        refusal (or a browser that cannot tell) says so and changes nothing."""
        self.locating = False
        answer = result if isinstance(result, dict) else {}
        lat, lon = answer.get("lat"), answer.get("lon")
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
            self.lat, self.lon = f"{lat:.5f}", f"{lon:.5f}"
            return PublicCoverageState.check_point
        why = answer.get("error")
        self.locate_note = self._t(
            f"coverage.locate.{why if why in LOCATE_ERRORS else 'unavailable'}"
        )
        return None

    @access("public")
    @rx.event
    def check_point(self, _form: dict | None = None):
        res = self._call(
            coverage.check_by_point, self.lat, self.lon, ip=self._client_ip(), public=True
        )
        if not res:
            self._refuse(res)
            return
        self._point = (self.lat, self.lon)
        self._show(res.value)

    @access("public")
    @rx.event
    def set_lead_place(self, value: str):
        self.lead_place = _text(value, coverage.MAX_PLACE)
        self._settlement_id = 0  # typed: no longer the settlement of the list

    @access("public")
    @rx.event
    def set_lead_name(self, value: str):
        self.lead_name = _text(value, coverage.MAX_NAME)

    @access("public")
    @rx.event
    def set_lead_contact(self, value: str):
        self.lead_contact = _text(value, 254)

    @access("public")
    @rx.event
    def set_lead_consent(self, value: bool):
        self.lead_consent = value is True

    @access("public")
    @rx.event
    def send_lead(self, _form: dict | None = None):
        res = self._call(
            coverage.leave_contact,
            contact=self.lead_contact,
            settlement_id=self._settlement_id or None,
            place="" if self._settlement_id else self.lead_place,
            lat=self._point[0] or None,
            lon=self._point[1] or None,
            name=self.lead_name,
            consent=self.lead_consent,
            ip=self._client_ip(),
            public=True,
        )
        if not res:
            self.lead_error, self.lead_field = res.error, res.field
            return
        key = "coverage.lead_form.again" if res.value.repeated else "coverage.lead_form.done"
        self.lead_done = self._t(key, place=res.value.place)
        self.lead_error, self.lead_field = "", ""
        self.lead_contact, self.lead_name, self.lead_consent = "", "", False

    @rx.var
    def quality_label(self) -> str:
        return t(f"coverage.quality.{self.quality}", self.view_locale) if self.quality else ""


# --------------------------------------------------------------------------------- the page
def _field_error(name: str) -> rx.Var:
    s = PublicCoverageState
    return rx.cond(s.error_field == name, s.error, "")


def _hit(h: rx.Var) -> rx.Component:
    return rx.button(
        rx.vstack(
            rx.text(h["name"], weight="medium", size="3"),
            rx.text(h["sub"], size="1", color=rx.color("gray", 11)),
            spacing="0",
            align="start",
        ),
        on_click=PublicCoverageState.pick(h["id"]),
        variant="soft",
        color_scheme="gray",
        size="3",
        width="100%",
        justify_content="start",
        height="auto",
        padding="0.6em 0.9em",
        type="button",
        class_name="coverage-hit",
    )


def _by_place() -> rx.Component:
    s = PublicCoverageState
    return rx.vstack(
        labelled(
            "coverage-region",
            tr("coverage.region"),
            rx.el.select(
                rx.el.option(tr("coverage.region.any"), value=ALL),
                rx.foreach(s.regions, lambda r: rx.el.option(r["label"], value=r["value"])),
                id="coverage-region",
                value=s.region,
                on_change=s.set_region,
                class_name="native-select",
                style={"width": "100%", "min_height": "40px", "font_size": "16px"},
            ),
        ),
        labelled(
            "coverage-settlement",
            tr("coverage.settlement"),
            rx.debounce_input(
                rx.input(
                    value=s.query,
                    on_change=s.set_query,
                    id="coverage-settlement",
                    placeholder=tr("coverage.settlement.placeholder"),
                    size="3",
                    width="100%",
                    type="search",
                    auto_complete="off",
                    max_length=60,
                ),
                debounce_timeout=250,
            ),
            _field_error("settlement"),
        ),
        rx.cond(
            s.hits.length() > 0,
            rx.vstack(
                rx.foreach(s.hits, _hit),
                spacing="1",
                width="100%",
                id="coverage-hits",
                role="list",
            ),
            rx.cond(
                s.searched,
                rx.text(
                    tr("coverage.no_hits"),
                    size="2",
                    color=rx.color("gray", 11),
                    id="coverage-no-hits",
                ),
            ),
        ),
        spacing="3",
        width="100%",
    )


def _by_point() -> rx.Component:
    s = PublicCoverageState

    def coordinate(id_: str, key: str, value, on_change, name: str) -> rx.Component:
        return labelled(
            id_,
            tr(key),
            rx.input(
                id=id_,
                value=value,
                on_change=on_change,
                size="3",
                width="100%",
                input_mode="decimal",
                max_length=20,
                aria_invalid=rx.cond(s.error_field == name, "true", "false"),
            ),
            _field_error(name),
        )

    return rx.form(
        rx.vstack(
            rx.grid(
                coordinate("coverage-lat", "coverage.lat", s.lat, s.set_lat, "lat"),
                coordinate("coverage-lon", "coverage.lon", s.lon, s.set_lon, "lon"),
                columns="2",
                spacing="3",
                width="100%",
            ),
            rx.text(tr("coverage.point.hint"), size="1", color=rx.color("gray", 11)),
            rx.flex(
                rx.button(
                    rx.icon("search", size=16),
                    tr("coverage.check"),
                    type="submit",
                    size="3",
                    id="coverage-check-point",
                ),
                rx.button(
                    rx.icon("locate-fixed", size=16),
                    tr("coverage.locate"),
                    type="button",
                    variant="soft",
                    size="3",
                    loading=s.locating,
                    on_click=s.locate,
                    id="coverage-locate",
                ),
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(
                s.locate_note != "",
                rx.callout(
                    s.locate_note,
                    icon="map-pin-off",
                    color_scheme="amber",
                    role="status",
                    id="coverage-locate-note",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=s.check_point,
        reset_on_submit=False,
        width="100%",
    )


def _offer(o: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(o["name"], size="4", as_="h3"),
            rx.text(o["fee"], size="5", weight="bold"),
            rx.hstack(
                rx.badge(o["data"], variant="soft"),
                rx.badge(o["speed"], variant="soft"),
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                o["description"] != "",
                rx.text(o["description"], size="2", color=rx.color("gray", 11)),
            ),
            rx.spacer(),
            rx.link(
                rx.button(tr("coverage.offer.order"), size="3", width="100%"),
                href=o["href"],
                width="100%",
            ),
            spacing="2",
            height="100%",
            width="100%",
        ),
        width="100%",
        class_name="coverage-offer",
    )


def _lead_form() -> rx.Component:
    s = PublicCoverageState

    def err(name: str) -> rx.Var:
        return rx.cond(s.lead_field == name, s.lead_error, "")

    def field(id_: str, key: str, value, on_change, name: str, **kw) -> rx.Component:
        return labelled(
            id_,
            tr(key),
            rx.input(
                id=id_,
                value=value,
                on_change=on_change,
                size="3",
                width="100%",
                aria_invalid=rx.cond(s.lead_field == name, "true", "false"),
                **kw,
            ),
            err(name),
        )

    return rx.card(
        rx.cond(
            s.lead_done != "",
            rx.callout(
                s.lead_done, icon="circle-check", color_scheme="green", id="coverage-lead-done"
            ),
            rx.form(
                rx.vstack(
                    rx.heading(tr("coverage.lead_form.title"), size="4", as_="h2"),
                    field(
                        "lead-place",
                        "coverage.lead_form.place",
                        s.lead_place,
                        s.set_lead_place,
                        "place",
                        placeholder=tr("coverage.lead_form.place_hint"),
                        max_length=200,
                    ),
                    field(
                        "lead-contact",
                        "coverage.lead_form.contact",
                        s.lead_contact,
                        s.set_lead_contact,
                        "contact",
                        auto_complete="email",
                        max_length=254,
                    ),
                    field(
                        "lead-name",
                        "coverage.lead_form.name",
                        s.lead_name,
                        s.set_lead_name,
                        "name",
                        auto_complete="name",
                        max_length=80,
                    ),
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(
                                checked=s.lead_consent,
                                on_change=s.set_lead_consent,
                                id="lead-consent",
                                size="2",
                            ),
                            rx.text(tr("coverage.lead_form.consent"), size="2"),
                            spacing="2",
                            align="start",
                        ),
                    ),
                    rx.cond(
                        err("consent") != "",
                        rx.text(err("consent"), color=rx.color("red", 11), size="2", role="alert"),
                    ),
                    rx.cond(
                        (s.lead_error != "")
                        & (s.lead_field != "place")
                        & (s.lead_field != "contact")
                        & (s.lead_field != "name")
                        & (s.lead_field != "consent"),
                        error_banner(s.lead_error, "coverage-lead-error"),
                    ),
                    rx.button(
                        tr("coverage.lead_form.send"), type="submit", size="3", id="lead-send"
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=s.send_lead,
                reset_on_submit=False,
                width="100%",
            ),
        ),
        width="100%",
        id="coverage-lead",
    )


def _answer() -> rx.Component:
    s = PublicCoverageState
    colour = rx.match(s.quality, ("good", "green"), ("fair", "amber"), "gray")
    icon = rx.match(
        s.quality,
        ("good", rx.icon("signal-high", size=20)),
        ("fair", rx.icon("signal-medium", size=20)),
        rx.icon("signal-zero", size=20),
    )
    return rx.cond(
        s.quality != "",
        rx.vstack(
            rx.card(
                rx.vstack(
                    rx.badge(
                        icon,
                        s.quality_label,
                        color_scheme=colour,
                        size="3",
                        variant="solid",
                        id="coverage-quality",
                        data_quality=s.quality,
                    ),
                    rx.cond(s.place != "", rx.heading(s.place, size="4", as_="h2")),
                    rx.text(s.note, size="3"),
                    rx.cond(
                        s.detail != "", rx.text(s.detail, size="2", color=rx.color("gray", 11))
                    ),
                    spacing="2",
                    width="100%",
                ),
                width="100%",
                id="coverage-answer",
                role="status",
            ),
            rx.cond(
                s.offers.length() > 0,
                rx.vstack(
                    rx.heading(tr("coverage.offers"), size="4", as_="h2"),
                    rx.grid(
                        rx.foreach(s.offers, _offer),
                        columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                        spacing="3",
                        width="100%",
                        id="coverage-offers",
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            rx.cond(s.quality == "none", _lead_form()),
            spacing="4",
            width="100%",
        ),
    )


def coverage_body() -> rx.Component:
    s = PublicCoverageState
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.segmented_control.root(
                    rx.segmented_control.item(tr("coverage.tab.place"), value="place"),
                    rx.segmented_control.item(tr("coverage.tab.point"), value="point"),
                    value=s.mode,
                    on_change=s.set_mode,
                    size="2",
                    width="100%",
                    id="coverage-mode",
                ),
                rx.cond(s.mode == "point", _by_point(), _by_place()),
                rx.cond(
                    (s.error != "")
                    & (s.error_field != "lat")
                    & (s.error_field != "lon")
                    & (s.error_field != "settlement"),
                    error_banner(s.error, "coverage-error"),
                ),
                spacing="4",
                width="100%",
            ),
            width="100%",
        ),
        _answer(),
        spacing="4",
        width="100%",
        max_width="720px",
    )


def coverage_page() -> rx.Component:
    return public_shell(coverage_body(), title_key="coverage.title", lead_key="coverage.lead")
