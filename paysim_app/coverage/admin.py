"""The back office's coverage section: the lists of settlements and base stations (declarations
over core.listing), a settlement's quality and point, a base station's data. Every write needs
`coverage.edit` and is audited with before/after; reading needs `coverage.view`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session

from paysim_app.core import audit
from paysim_app.core.checks import apply_changes, check_code, check_int, check_text, code_taken
from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.core.listing import ExportColumn, FilterDef, ListSpec, SearchField, contains
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.coverage.places import MAX_ID, _settlement, coordinate
from paysim_app.models import BaseStation, CoverageRegion, DemandLead, Settlement
from paysim_app.models.base import utcnow
from paysim_app.models.coverage import QUALITIES

MAX_RADIUS_M = 50_000
ACTIVE = ("yes", "no")


# ------------------------------------------------------------------------------- the lists
def _count(model, column):
    return (
        select(func.count(model.id))
        .where(column == Settlement.id)
        .correlate(Settlement)
        .scalar_subquery()
    )


def settlement_rows_select(actor: Actor | None = None):
    return select(
        Settlement.id.label("id"),
        Settlement.name.label("name"),
        Settlement.kind.label("kind"),
        CoverageRegion.name.label("region"),
        Settlement.quality.label("quality"),
        Settlement.lat.label("lat"),
        Settlement.lon.label("lon"),
        _count(BaseStation, BaseStation.settlement_id).label("stations"),
        _count(DemandLead, DemandLead.settlement_id).label("leads"),
        Settlement.updated_at.label("updated_at"),
    ).join(CoverageRegion, CoverageRegion.id == Settlement.region_id)


SETTLEMENT_LIST = ListSpec(
    name="coverage_settlements",
    permission="coverage.view",
    columns=settlement_rows_select,
    sorts={
        "name": Settlement.name_key,
        "updated_at": Settlement.updated_at,
        "region": CoverageRegion.name,
    },
    default_sort="name",
    key=Settlement.id,
    filters=(
        FilterDef("region", lambda stmt, v: stmt.where(Settlement.region_id == v), "int"),
        FilterDef(
            "quality", lambda stmt, v: stmt.where(Settlement.quality == v), "choice", QUALITIES
        ),
    ),
    search=lambda stmt, text: stmt.where(contains(Settlement.name, text)),
    export=(
        ExportColumn("name", "coverage_admin.col.settlement"),
        ExportColumn("kind", "coverage_admin.col.kind", "word", "coverage.kind."),
        ExportColumn("region", "coverage_admin.col.region"),
        ExportColumn("quality", "coverage_admin.col.quality", "word", "coverage.quality."),
        ExportColumn("lat", "coverage.lat"),
        ExportColumn("lon", "coverage.lon"),
        ExportColumn("stations", "coverage_admin.col.stations"),
        ExportColumn("leads", "coverage_admin.col.leads"),
        ExportColumn("updated_at", "coverage_admin.col.updated", "time"),
    ),
    fields=(
        SearchField("name", Settlement.name, "text", "coverage_admin.col.settlement"),
        SearchField(
            "quality",
            Settlement.quality,
            "choice",
            "coverage_admin.col.quality",
            QUALITIES,
            "coverage.quality.",
        ),
        SearchField("updated_at", Settlement.updated_at, "date", "coverage_admin.col.updated"),
    ),
)

_STATION_PLACE = func.coalesce(Settlement.name, "")


def station_rows_select(actor: Actor | None = None):
    return (
        select(
            BaseStation.id.label("id"),
            BaseStation.code.label("code"),
            Settlement.name.label("settlement"),
            CoverageRegion.name.label("region"),
            BaseStation.lat.label("lat"),
            BaseStation.lon.label("lon"),
            BaseStation.radius_m.label("radius_m"),
            BaseStation.technology.label("technology"),
            BaseStation.band.label("band"),
            BaseStation.is_active.label("is_active"),
            BaseStation.updated_at.label("updated_at"),
        )
        .select_from(BaseStation)
        .outerjoin(Settlement, Settlement.id == BaseStation.settlement_id)
        .outerjoin(CoverageRegion, CoverageRegion.id == Settlement.region_id)
    )


STATION_LIST = ListSpec(
    name="coverage_stations",
    permission="coverage.view",
    columns=station_rows_select,
    sorts={
        "code": BaseStation.code,
        "radius": BaseStation.radius_m,
        "updated_at": BaseStation.updated_at,
    },
    default_sort="code",
    key=BaseStation.id,
    filters=(
        FilterDef("region", lambda stmt, v: stmt.where(Settlement.region_id == v), "int"),
        FilterDef(
            "active",
            lambda stmt, v: stmt.where(BaseStation.is_active.is_(v == "yes")),
            "choice",
            ACTIVE,
        ),
    ),
    search=lambda stmt, text: stmt.where(
        or_(contains(BaseStation.code, text), contains(_STATION_PLACE, text))
    ),
    export=(
        ExportColumn("code", "coverage_admin.col.code"),
        ExportColumn("settlement", "coverage_admin.col.settlement"),
        ExportColumn("region", "coverage_admin.col.region"),
        ExportColumn("lat", "coverage.lat"),
        ExportColumn("lon", "coverage.lon"),
        ExportColumn("radius_m", "coverage_admin.radius_m"),
        ExportColumn("technology", "coverage_admin.col.technology"),
        ExportColumn("band", "coverage_admin.band"),
        ExportColumn("is_active", "coverage_admin.col.active", "word", "coverage_admin.working."),
        ExportColumn("updated_at", "coverage_admin.col.updated", "time"),
    ),
)


# ------------------------------------------------------------------------------ settlements
@dataclass(frozen=True)
class SettlementView:
    id: int
    name: str
    kind: str
    region: str
    quality: str
    lat: float | None
    lon: float | None
    updated_at: datetime


def _settlement_view(session: Session, row: Settlement) -> SettlementView:
    region = session.get(CoverageRegion, row.region_id)
    return SettlementView(
        row.id,
        row.name,
        row.kind,
        region.name if region else "",
        row.quality,
        row.lat,
        row.lon,
        row.updated_at,
    )


def check_quality(raw: object, field: str = "quality") -> str:
    if raw not in QUALITIES:
        raise ValidationError("coverage.error.quality", field=field)
    return raw


def optional_point(lat: object, lon: object) -> tuple[float | None, float | None]:
    """Both empty (no point) or both valid coordinates."""
    empty_lat, empty_lon = lat in (None, ""), lon in (None, "")
    if empty_lat and empty_lon:
        return None, None
    return coordinate(lat, "lat", -90.0, 90.0), coordinate(lon, "lon", -180.0, 180.0)


@verb
def get_settlement(session: Session, actor: Actor, settlement_id: object) -> SettlementView:
    require(actor, "coverage.view")
    return _settlement_view(session, _settlement(session, settlement_id))


@verb
def update_settlement(
    session: Session,
    actor: Actor,
    settlement_id: object,
    *,
    quality: object,
    lat: object = None,
    lon: object = None,
) -> SettlementView:
    """The expected quality and the point of a settlement (audited: before/after)."""
    require(actor, "coverage.edit")
    row = _settlement(session, settlement_id)
    la, lo = optional_point(lat, lon)
    wanted = {"quality": check_quality(quality), "lat": la, "lon": lo}
    if any(getattr(row, k) != v for k, v in wanted.items()):
        wanted["updated_at"] = utcnow()
    apply_changes(session, actor, row, wanted, "coverage.settlement.update", "settlement")
    return _settlement_view(session, row)


# ----------------------------------------------------------------------------- base stations
@dataclass(frozen=True)
class StationView:
    id: int
    code: str
    settlement_id: int | None
    settlement: str
    lat: float
    lon: float
    radius_m: int
    technology: str
    band: str
    is_active: bool


def _station_view(session: Session, row: BaseStation) -> StationView:
    home = session.get(Settlement, row.settlement_id) if row.settlement_id else None
    return StationView(
        row.id,
        row.code,
        row.settlement_id,
        home.name if home else "",
        row.lat,
        row.lon,
        row.radius_m,
        row.technology,
        row.band,
        row.is_active,
    )


def _load_station(session: Session, station_id: object) -> BaseStation:
    row = (
        session.get(BaseStation, station_id)
        if isinstance(station_id, int)
        and not isinstance(station_id, bool)
        and 0 < station_id <= MAX_ID
        else None
    )
    if row is None:
        raise NotFound()
    return row


def _station_fields(
    session: Session,
    *,
    settlement_id: object,
    lat: object,
    lon: object,
    radius_m: object,
    technology: object,
    band: object,
    is_active: object,
) -> dict:
    home = None if settlement_id in (None, "", 0) else _settlement(session, settlement_id)
    return {
        "settlement_id": home.id if home else None,
        "lat": coordinate(lat, "lat", -90.0, 90.0),
        "lon": coordinate(lon, "lon", -180.0, 180.0),
        "radius_m": check_int(radius_m, "radius_m", 1, MAX_RADIUS_M, "coverage.error.radius"),
        "technology": check_text(technology, "technology", 20),
        "band": check_text(band, "band", 20),
        "is_active": bool(is_active),
    }


@verb
def get_station(session: Session, actor: Actor, station_id: object) -> StationView:
    require(actor, "coverage.view")
    return _station_view(session, _load_station(session, station_id))


@verb
def create_station(
    session: Session,
    actor: Actor,
    *,
    code: object,
    lat: object,
    lon: object,
    radius_m: object,
    settlement_id: object = None,
    technology: object = "",
    band: object = "",
    is_active: object = True,
) -> StationView:
    require(actor, "coverage.edit")
    code = check_code(code)
    fields = _station_fields(
        session,
        settlement_id=settlement_id,
        lat=lat,
        lon=lon,
        radius_m=radius_m,
        technology=technology,
        band=band,
        is_active=is_active,
    )
    if code_taken(session, BaseStation, code):
        raise ValidationError("admin_catalogue.error.code_taken", field="code")
    row = BaseStation(code=code, **fields)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "coverage.station.create",
        "base_station",
        row.id,
        None,
        {"code": code, **fields},
    )
    return _station_view(session, row)


@verb
def update_station(
    session: Session,
    actor: Actor,
    station_id: object,
    *,
    lat: object,
    lon: object,
    radius_m: object,
    settlement_id: object = None,
    technology: object = "",
    band: object = "",
    is_active: object = True,
) -> StationView:
    """Everything but the code (files refer to it). Audited: the changed fields."""
    require(actor, "coverage.edit")
    row = _load_station(session, station_id)
    wanted = _station_fields(
        session,
        settlement_id=settlement_id,
        lat=lat,
        lon=lon,
        radius_m=radius_m,
        technology=technology,
        band=band,
        is_active=is_active,
    )
    if any(getattr(row, k) != v for k, v in wanted.items()):
        wanted["updated_at"] = utcnow()
    apply_changes(session, actor, row, wanted, "coverage.station.update", "base_station")
    return _station_view(session, row)
