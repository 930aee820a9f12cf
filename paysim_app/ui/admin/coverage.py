"""/admin/coverage: the coverage section. Four tabs (?tab=): the settlements with their quality
(the default), the base stations, the demand ("no coverage yet" contacts counted by place,
newest first, exportable) and the import of a CSV/xlsx file (preview -> confirm, all or
nothing). /admin/coverage/settlements/[settlement_id]: a settlement's quality and point;
/admin/coverage/stations/new and /admin/coverage/stations/[station_id]: a base station.
Reading needs coverage.view, every change coverage.edit (and the verbs check again)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app import coverage
from paysim_app.core.listing import ASC_KEY
from paysim_app.i18n import t
from paysim_app.ui.access import LIST, access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import moment
from paysim_app.ui.components.forms import error_banner, field_error, form_input, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.import_preview import count_grid, preview_table, upload_card
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

TABS = ("settlements", "stations", "demand", "import")
CAN_EDIT = SessionState.permissions.contains("coverage.edit")
COLOURS = {"good": "green", "fair": "amber", "none": "gray"}
UPLOAD_ID = "coverage-upload"


def _point(lat: float | None, lon: float | None) -> str:
    return "" if lat is None or lon is None else f"{lat:.4f}, {lon:.4f}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


# -- the lists --------------------------------------------------------------------------------
class _CoverageList(ListMixin, mixin=True):
    """What the three lists share: their access word and the region filter's choices."""

    LIST_ACCESS: ClassVar[str] = "admin:coverage.view"
    region_options: list[dict[str, str]] = []

    def _prepare(self, actor) -> None:
        res = self._call(coverage.list_regions, public=True)
        self.region_options = [{"value": ALL, "label": t("list.any", self.locale)}] + [
            {"value": str(r.id), "label": r.name} for r in (res.value or [])[:99]
        ]

    @access(LIST)
    @rx.event
    async def load(self):
        return await self._start()


class CoverageSettlementsState(_CoverageList, SessionState):
    tab: str = "settlements"

    def _spec(self):
        return coverage.SETTLEMENT_LIST

    def _load_query(self, spec, query) -> None:
        """Alphabetical by default (the lists' machinery starts newest first)."""
        super()._load_query(spec, query)
        params = self.router.page.params
        if self.sort == "name" and ASC_KEY not in (params if isinstance(params, dict) else {}):
            self.descending = False

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        return {
            "name": row["name"],
            "href": f"/admin/coverage/settlements/{row['id']}",
            "kind": t(f"coverage.kind.{row['kind']}", loc),
            "region": row["region"],
            "quality": t(f"coverage.quality.{row['quality']}", loc),
            "colour": COLOURS.get(row["quality"], "gray"),
            "point": _point(row["lat"], row["lon"]),
            "stations": str(row["stations"]),
            "leads": str(row["leads"]),
            "updated": moment(row["updated_at"], loc),
        }

    @access(LIST)
    @rx.event
    async def load(self):
        tab = self.router.page.params.get("tab", "")
        self.tab = tab if tab in TABS else "settlements"
        if self.tab == "stations":
            return CoverageStationsState.load
        if self.tab == "demand":
            return CoverageDemandState.load
        if self.tab == "import":
            return CoverageImportState.load
        return await self._start()


class CoverageStationsState(_CoverageList, SessionState):
    def _spec(self):
        return coverage.STATION_LIST

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        active = "yes" if row["is_active"] else "no"
        return {
            "code": row["code"],
            "href": f"/admin/coverage/stations/{row['id']}",
            "settlement": row["settlement"] or "—",
            "region": row["region"] or "",
            "point": _point(row["lat"], row["lon"]),
            "radius": t("coverage.m", loc, m=row["radius_m"]),
            "technology": " ".join(x for x in (row["technology"], row["band"]) if x),
            "active": t(f"coverage_admin.active.{active}", loc),
            "colour": "green" if row["is_active"] else "gray",
            "updated": moment(row["updated_at"], loc),
        }


class CoverageDemandState(_CoverageList, SessionState):
    def _spec(self):
        return coverage.DEMAND_LIST

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        typed = row["settlement_id"] is None
        return {
            "name": row["name"],
            "href": "" if typed else f"/admin/coverage/settlements/{row['settlement_id']}",
            "region": t("coverage_admin.typed", loc) if typed else row["region"] or "",
            "quality": "" if typed else t(f"coverage.quality.{row['quality']}", loc),
            "colour": COLOURS.get(row["quality"] or "", "gray"),
            "leads": str(row["leads"]),
            "first": moment(row["first_at"], loc),
            "last": moment(row["last_at"], loc),
        }


def _choice(name: str, label_key: str, values, value_prefix: str) -> FilterField:
    """A filter on `name` offering any or one of `values` (named <value_prefix>.<value>)."""
    choices = [(v, f"{value_prefix}.{v}") for v in values]
    return FilterField(name, label_key, options=[(ALL, "list.any"), *choices])


# the columns, filter and sorts the lists share
REGION_FIELD = FilterField("region", "coverage_admin.col.region", dynamic="region_options")
POINT = Column("point", "coverage_admin.col.point", mono=True)
UPDATED = Column("updated", "coverage_admin.col.updated", mono=True)
QUALITY = Column("quality", "coverage_admin.col.quality", badge="colour")
LEADS = Column("leads", "coverage_admin.col.leads", align="right")
BY_NAME = ("name", "coverage_admin.col.settlement")
BY_UPDATE = ("updated_at", "coverage_admin.col.updated")

SETTLEMENT_COLUMNS = [
    Column("name", "coverage_admin.col.settlement", link="href", hint="kind"),
    Column("region", "coverage_admin.col.region"),
    QUALITY,
    POINT,
    Column("stations", "coverage_admin.col.stations", align="right"),
    LEADS,
    UPDATED,
]
SETTLEMENT_FIELDS = [
    REGION_FIELD,
    _choice("quality", "coverage_admin.col.quality", coverage.QUALITIES, "coverage.quality"),
]
SETTLEMENT_SORTS = [BY_NAME, ("region", "coverage_admin.col.region"), BY_UPDATE]
STATION_COLUMNS = [
    Column("code", "coverage_admin.col.code", link="href", mono=True, hint="technology"),
    Column("settlement", "coverage_admin.col.settlement", hint="region"),
    POINT,
    Column("radius", "coverage_admin.col.radius", align="right"),
    Column("active", "coverage_admin.col.active", badge="colour"),
    UPDATED,
]
STATION_FIELDS = [
    REGION_FIELD,
    _choice("active", "coverage_admin.col.active", coverage.ACTIVE, "coverage_admin.active"),
]
STATION_SORTS = [
    ("code", "coverage_admin.col.code"),
    ("radius", "coverage_admin.col.radius"),
    BY_UPDATE,
]
DEMAND_COLUMNS = [
    Column("name", "coverage_admin.col.settlement", link="href", hint="region"),
    QUALITY,
    LEADS,
    Column("first", "coverage_admin.col.first_at", mono=True),
    Column("last", "coverage_admin.col.last_at", mono=True),
]
DEMAND_SORTS = [
    ("last_at", "coverage_admin.col.last_at"),
    ("leads", "coverage_admin.col.leads"),
    BY_NAME,
]


# -- the import -------------------------------------------------------------------------------
IMPORT_COLUMNS = [
    Column("line", "coverage_import.col.line", mono=True),
    Column("label", "coverage_import.col.what"),
    Column("detail", "coverage_import.col.detail"),
]


def _line(line: coverage.ImportLine, loc: str) -> dict[str, str]:
    detail = line.detail
    if line.kind == "reject":
        detail = t(f"coverage_import.reason.{line.detail}", loc, **line.params)
    elif line.kind == "create" and line.detail in coverage.QUALITIES:
        detail = t(f"coverage.quality.{line.detail}", loc)
    return {"line": str(line.line), "label": line.label, "detail": detail}


class CoverageImportState(SessionState):
    file_name: str = ""
    phase: str = ""  # "" | preview | done
    summary: str = ""
    result: str = ""
    tone: str = ""  # ok | warn | bad
    error: str = ""
    counts: dict[str, int] = dict.fromkeys(coverage.ROW_KINDS, 0)
    reject_rows: list[dict[str, str]] = []
    create_rows: list[dict[str, str]] = []
    update_rows: list[dict[str, str]] = []
    _data: bytes = b""

    def _clear(self) -> None:
        self.phase, self.summary, self.result, self.tone, self.error = "", "", "", "", ""
        self.counts = dict.fromkeys(coverage.ROW_KINDS, 0)
        self.reject_rows, self.create_rows, self.update_rows = [], [], []

    def _show(self, report: coverage.CoverageImportReport) -> None:
        loc = self.locale
        self.phase = "done" if report.applied else "preview"
        if report.error:
            self.error = t(f"coverage_import.error.{report.error}", loc, **report.error_params)
            self.counts = dict.fromkeys(coverage.ROW_KINDS, 0)
            self.reject_rows, self.create_rows, self.update_rows = [], [], []
            self.summary, self.result, self.tone = "", "", ""
            return
        self.error = ""
        self.counts = dict(report.counts)
        for kind in ("reject", "create", "update"):
            rows = [_line(x, loc) for x in report.samples.get(kind, ())]
            setattr(self, f"{kind}_rows", rows)
        self.summary = t(
            f"coverage_import.kind.{report.file_kind}", loc, name=report.file_name, rows=report.rows
        )
        numbers = {k: report.counts[k] for k in ("create", "update", "unchanged")}
        if report.counts["reject"]:
            self.result, self.tone = t("coverage_import.rejects", loc), "bad"
        elif report.applied:
            self.result, self.tone = t("coverage_import.applied", loc, **numbers), "ok"
        elif report.counts["create"] + report.counts["update"] == 0:
            self.result, self.tone = t("coverage_import.nothing", loc), "warn"
        else:
            self.result, self.tone = t("coverage_import.ready", loc, **numbers), "ok"

    @access("admin:coverage.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "coverage.view")
        if redirect:
            return redirect
        self._clear()
        self.file_name, self._data = "", b""
        return None

    @access("admin:coverage.edit")
    @rx.event
    async def preview(self, files: list[rx.UploadFile]):
        """Read the chosen file (at most coverage.MAX_BYTES are kept) and check it."""
        _actor, redirect = await self._gate_async("admin", "coverage.edit")
        if redirect:
            return redirect
        self._clear()
        if not files:
            self.error = self._t("coverage_import.no_file")
            return None
        upload = files[0]
        data = await upload.read(coverage.MAX_BYTES + 1)
        self.file_name = (upload.name or "coverage.csv")[:200]
        self._data = data
        res = await self._call_async(coverage.preview_import, data, self.file_name)
        if not res:
            self.error = res.error
            return res.redirect or rx.clear_selected_files(UPLOAD_ID)
        self._show(res.value)
        if res.value.error:
            self._data = b""
        return rx.clear_selected_files(UPLOAD_ID)

    @access("admin:coverage.edit")
    @rx.event
    async def confirm(self):
        """Import the previewed file: checked again against the database first."""
        if self.phase != "preview" or not self._data or not self.can_confirm:
            return None
        res = await self._call_async(coverage.confirm_import, self._data, self.file_name)
        if not res:
            self.error = res.error
            return res.redirect
        self._show(res.value)
        if res.value.applied:
            self._data = b""
            return rx.toast.success(self.result)
        return None

    @access("admin:coverage.edit")
    @rx.event
    def again(self):
        self._clear()
        self.file_name, self._data = "", b""
        return rx.clear_selected_files(UPLOAD_ID)

    @rx.var
    def can_confirm(self) -> bool:
        return (
            self.phase == "preview"
            and self.error == ""
            and self.counts.get("reject", 0) == 0
            and self.counts.get("create", 0) + self.counts.get("update", 0) > 0
        )


# -- a settlement ------------------------------------------------------------------------------
class CoverageSettlementState(SessionState):
    item: dict[str, str] = {}
    form: dict[str, str] = {"quality": "none", "lat": "", "lon": ""}
    form_error: str = ""
    field: str = ""

    def _fill(self, view: coverage.SettlementView) -> None:
        loc = self.locale
        self.item = {
            "id": str(view.id),
            "name": view.name,
            "title": t("coverage_admin.edit_settlement", loc, name=view.name),
            "region": view.region,
            "kind": t(f"coverage.kind.{view.kind}", loc),
            "quality": t(f"coverage.quality.{view.quality}", loc),
            "updated": moment(view.updated_at, loc),
        }
        self.form = {"quality": view.quality, "lat": _number(view.lat), "lon": _number(view.lon)}

    @access("admin:coverage.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "coverage.view")
        if redirect:
            return redirect
        self.form_error, self.field = "", ""
        res = self._call(
            coverage.get_settlement, optional_id(self.router.page.params.get("settlement_id"))
        )
        if not res:
            return res.redirect or rx.redirect("/admin/coverage")
        self._fill(res.value)
        return None

    @access("admin:coverage.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in ("quality", "lat", "lon"):
            self.form = {**self.form, name: str(value)[:20]}

    @access("admin:coverage.edit")
    @rx.event
    def save(self, _form: dict | None = None):
        settlement_id = optional_id(self.item.get("id"))
        res = self._call(
            coverage.update_settlement,
            settlement_id,
            quality=self.form.get("quality"),
            lat=self.form.get("lat", ""),
            lon=self.form.get("lon", ""),
        )
        if not res:
            self.form_error, self.field = res.error, res.field
            return res.redirect
        self.form_error, self.field = "", ""
        self._fill(res.value)
        return rx.toast.success(self._t("coverage_admin.saved"))


# -- a base station ----------------------------------------------------------------------------
STATION_FORM = ("code", "settlement_id", "lat", "lon", "radius_m", "technology", "band")
EMPTY_STATION = {**dict.fromkeys(STATION_FORM, ""), "is_active": "1"}


class CoverageStationState(SessionState):
    item: dict[str, str] = {}
    form: dict[str, str] = dict(EMPTY_STATION)
    form_error: str = ""
    field: str = ""

    def _fill(self, view: coverage.StationView) -> None:
        self.item = {
            "id": str(view.id),
            "title": t("coverage_admin.edit_station", self.locale, code=view.code),
            "settlement": view.settlement,
        }
        self.form = {
            "code": view.code,
            "settlement_id": str(view.settlement_id or ""),
            "lat": _number(view.lat),
            "lon": _number(view.lon),
            "radius_m": str(view.radius_m),
            "technology": view.technology,
            "band": view.band,
            "is_active": "1" if view.is_active else "",
        }

    @access("admin:coverage.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "coverage.view")
        if redirect:
            return redirect
        self.form_error, self.field = "", ""
        station_id = optional_id(self.router.page.params.get("station_id"))
        if station_id is None:
            self.item, self.form = {}, dict(EMPTY_STATION)
            return None
        res = self._call(coverage.get_station, station_id)
        if not res:
            return res.redirect or rx.redirect("/admin/coverage?tab=stations")
        self._fill(res.value)
        return None

    @access("admin:coverage.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in STATION_FORM:
            self.form = {**self.form, name: str(value)[:40]}

    @access("admin:coverage.edit")
    @rx.event
    def set_active(self, value: bool):
        self.form = {**self.form, "is_active": "1" if value is True else ""}

    @access("admin:coverage.edit")
    @rx.event
    def save(self, _form: dict | None = None):
        f = self.form
        radius = f.get("radius_m", "").strip()
        fields = {
            "lat": f.get("lat", ""),
            "lon": f.get("lon", ""),
            "radius_m": int(radius)
            if radius.isascii() and radius.isdigit() and len(radius) < 9
            else radius,
            "settlement_id": optional_id(f.get("settlement_id")),
            "technology": f.get("technology", ""),
            "band": f.get("band", ""),
            "is_active": f.get("is_active") == "1",
        }
        station_id = optional_id(self.item.get("id"))
        if station_id is None:
            res = self._call(coverage.create_station, code=f.get("code", ""), **fields)
        else:
            res = self._call(coverage.update_station, station_id, **fields)
        if not res:
            self.form_error, self.field = res.error, res.field
            return res.redirect
        self.form_error, self.field = "", ""
        if station_id is None:
            return [
                rx.redirect(f"/admin/coverage/stations/{res.value.id}"),
                rx.toast.success(self._t("coverage_admin.saved")),
            ]
        self._fill(res.value)
        return rx.toast.success(self._t("coverage_admin.saved"))


# -- the pages ---------------------------------------------------------------------------------
def _tab(key: str, tab: str) -> rx.Component:
    active = CoverageSettlementsState.tab == tab
    href = "/admin/coverage" if tab == "settlements" else f"/admin/coverage?tab={tab}"
    return rx.link(
        rx.text(
            tr(key),
            as_="span",
            weight=rx.cond(active, "bold", "regular"),
            color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11)),
        ),
        href=href,
        id=f"tab-{tab}",
        underline="none",
        padding="0.5em 0.25em",
        border_bottom=rx.cond(
            active, f"2px solid {rx.color('accent', 9)}", "2px solid transparent"
        ),
        aria_current=rx.cond(active, "page", "false"),
        white_space="nowrap",
    )


def _tabs() -> rx.Component:
    return rx.hstack(
        *[_tab(f"coverage_admin.tab.{tab}", tab) for tab in TABS],
        spacing="4",
        width="100%",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        role="navigation",
        overflow_x="auto",
    )


def _import_table(kind: str, rows) -> rx.Component:
    title, id_ = f"coverage_import.table.{kind}", f"coverage-import-{kind}"
    return preview_table(rows.length() > 0, title, IMPORT_COLUMNS, rows, "list.empty", id_)


def _import_button(key: str, on_click, id_: str, **look) -> rx.Component:
    return rx.button(tr(key), on_click=on_click, size="3", id=id_, **look)


def _import_buttons() -> rx.Component:
    """Check the chosen file; import it once the check allows; start again."""
    s = CoverageImportState
    check = s.preview(rx.upload_files(upload_id=UPLOAD_ID))
    again = {"variant": "soft", "color_scheme": "gray"}
    return rx.hstack(
        _import_button("coverage_import.preview", check, "coverage-preview"),
        rx.cond(
            s.can_confirm,
            _import_button(
                "coverage_import.confirm", s.confirm, "coverage-confirm", color_scheme="green"
            ),
        ),
        rx.cond(
            s.phase != "",
            _import_button("coverage_import.again", s.again, "coverage-again", **again),
        ),
        spacing="3",
        wrap="wrap",
    )


def _count_label(kind: str) -> rx.Var:
    return tr(f"coverage_import.count.{kind}")


def _import_panel() -> rx.Component:
    s = CoverageImportState
    tone = rx.match(s.tone, ("ok", "green"), ("warn", "amber"), "red")
    return rx.vstack(
        upload_card(
            UPLOAD_ID,
            "coverage_import.intro",
            "coverage_import.choose",
            coverage.MAX_BYTES,
            "coverage-selected",
            _import_buttons(),
        ),
        error_banner(s.error, "coverage-import-error"),
        rx.cond(s.summary != "", rx.text(s.summary, size="2", id="coverage-import-summary")),
        rx.cond(
            s.result != "",
            rx.callout(s.result, color_scheme=tone, id="coverage-import-result", width="100%"),
        ),
        rx.cond(
            s.phase != "",
            count_grid(s.counts, coverage.ROW_KINDS, _count_label, "coverage-count", "4"),
        ),
        _import_table("reject", s.reject_rows),
        _import_table("create", s.create_rows),
        _import_table("update", s.update_rows),
        spacing="4",
        width="100%",
    )


def coverage_page() -> rx.Component:
    tab = CoverageSettlementsState.tab
    return shell(
        "admin",
        rx.vstack(
            rx.heading(tr("coverage_admin.title"), size="6", as_="h1"),
            _tabs(),
            rx.match(
                tab,
                (
                    "stations",
                    rx.vstack(
                        rx.cond(
                            CAN_EDIT,
                            rx.link(
                                rx.button(
                                    rx.icon("plus", size=16),
                                    tr("coverage_admin.new_station"),
                                    size="3",
                                ),
                                href="/admin/coverage/stations/new",
                                id="station-new",
                            ),
                        ),
                        list_view(
                            CoverageStationsState,
                            STATION_COLUMNS,
                            STATION_FIELDS,
                            STATION_SORTS,
                            id_="coverage-stations",
                            search_key="coverage_admin.search_stations",
                            empty_key="coverage_admin.stations_empty",
                        ),
                        spacing="4",
                        width="100%",
                    ),
                ),
                (
                    "demand",
                    list_view(
                        CoverageDemandState,
                        DEMAND_COLUMNS,
                        [REGION_FIELD],
                        DEMAND_SORTS,
                        id_="coverage-demand",
                        search_key="coverage_admin.search",
                        empty_key="coverage_admin.demand_empty",
                    ),
                ),
                ("import", rx.cond(CAN_EDIT, _import_panel())),
                list_view(
                    CoverageSettlementsState,
                    SETTLEMENT_COLUMNS,
                    SETTLEMENT_FIELDS,
                    SETTLEMENT_SORTS,
                    id_="coverage-settlements",
                    search_key="coverage_admin.search",
                    empty_key="coverage_admin.empty",
                ),
            ),
            spacing="4",
            width="100%",
        ),
    )


def _back(tab: str = "") -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=16), tr("coverage_admin.title"), align="center"),
        href="/admin/coverage" + (f"?tab={tab}" if tab else ""),
    )


def _input(state, name: str, label_key: str, **kw) -> rx.Component:
    id_ = f"coverage-{name.replace('_', '-')}"
    kw.setdefault("read_only", ~CAN_EDIT)
    return form_input(state, name, label_key, id_, error=field_error(state, name), **kw)


def _save_button() -> rx.Component:
    return rx.cond(
        CAN_EDIT,
        rx.button(tr("coverage_admin.save"), type="submit", size="3", id="coverage-save"),
    )


def _unassigned_error(state, fields: tuple[str, ...]) -> rx.Component:
    shown = state.form_error != ""
    for name in fields:
        shown = shown & (state.field != name)
    return rx.cond(shown, error_banner(state.form_error, "coverage-form-error"))


def _pair(left: rx.Component, right: rx.Component) -> rx.Component:
    return rx.grid(left, right, columns="2", spacing="3", width="100%")


def _point_inputs(state) -> rx.Component:
    return _pair(
        _input(state, "lat", "coverage.lat", input_mode="decimal"),
        _input(state, "lon", "coverage.lon", input_mode="decimal"),
    )


def _edit_page(
    state,
    back_tab: str,
    title,
    intro: rx.Component | None,
    fields: tuple[str, ...],
    *controls: rx.Component,
) -> rx.Component:
    """A settlement's or a station's page: the way back to its tab, the title (`intro` under
    it), then the form: `controls`, the error that belongs to none of `fields`, Save."""
    return shell(
        "admin",
        rx.vstack(
            _back(back_tab),
            rx.heading(title, size="6", as_="h1"),
            *([intro] if intro is not None else []),
            rx.card(
                rx.form(
                    rx.vstack(
                        *controls,
                        _unassigned_error(state, fields),
                        _save_button(),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=state.save,
                    reset_on_submit=False,
                    width="100%",
                ),
                width="100%",
                max_width="560px",
            ),
            spacing="4",
            width="100%",
        ),
    )


def settlement_page() -> rx.Component:
    s = CoverageSettlementState
    return _edit_page(
        s,
        "",
        s.item["title"],
        rx.text(s.item["kind"], ", ", s.item["region"], size="2", color=rx.color("gray", 11)),
        ("lat", "lon"),
        labelled(
            "coverage-quality",
            tr("coverage_admin.col.quality"),
            rx.el.select(
                *[rx.el.option(tr(f"coverage.quality.{q}"), value=q) for q in coverage.QUALITIES],
                id="coverage-quality",
                value=s.form["quality"],
                on_change=lambda v: s.set_field("quality", v),
                disabled=~CAN_EDIT,
                class_name="native-select",
                style={"width": "100%", "min_height": "40px"},
            ),
        ),
        _point_inputs(s),
    )


def station_page() -> rx.Component:
    s = CoverageStationState
    return _edit_page(
        s,
        "stations",
        rx.cond(s.item.contains("id"), s.item["title"], tr("coverage_admin.new_station")),
        None,
        STATION_FORM,
        _input(
            s,
            "code",
            "coverage_admin.col.code",
            max_length=32,
            read_only=s.item.contains("id") | ~CAN_EDIT,  # a station keeps its code
        ),
        _input(s, "settlement_id", "coverage_admin.settlement_id", input_mode="numeric"),
        rx.cond(
            s.item.contains("settlement") & (s.item["settlement"] != ""),
            rx.text(s.item["settlement"], size="2", color=rx.color("gray", 11)),
        ),
        _point_inputs(s),
        _input(s, "radius_m", "coverage_admin.radius_m", input_mode="numeric"),
        _pair(
            _input(s, "technology", "coverage_admin.col.technology"),
            _input(s, "band", "coverage_admin.band"),
        ),
        rx.el.label(
            rx.hstack(
                rx.checkbox(
                    checked=s.form["is_active"] == "1",
                    on_change=s.set_active,
                    id="coverage-active",
                    # submitted by its name: "on" while ticked, nothing when not (the state
                    # keeps the box's value for save() either way)
                    name="is_active",
                    aria_label=tr("coverage_admin.is_active"),
                    disabled=~CAN_EDIT,
                ),
                rx.text(tr("coverage_admin.is_active"), size="2"),
                spacing="2",
                align="center",
            ),
        ),
    )
