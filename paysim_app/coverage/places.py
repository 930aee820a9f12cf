"""The coverage check a visitor runs: by a settlement picked from the type-ahead, or by a point.

Expected quality (`good`, `fair`, `none`):
- a settlement: its own level, as the operator set or imported it;
- a point: the best level among the active base stations whose radius reaches it (haversine
  distance; within STRONG_SHARE of the radius `good`, further out to the radius `fair`, since
  the signal weakens with distance); when no station reaches it, the level of the nearest
  settlement with coordinates within NEAR_KM; else `none`.

Which tariffs make sense there (`offers`): the tariffs on sale (public, not archived), cheapest
first; where the quality is `fair`, only those whose speed is at most FAIR_MAX_MBPS (a weak
signal cannot carry more, and paying for it would be a waste); where it is `none`, no tariff:
the page offers to leave a contact instead (coverage.leads).

Coordinates outside Russia's bounding box (RUSSIA_BOX, and the Chukotka part past 180°) are
refused with `coverage.error.outside_russia`; an unknown settlement with `coverage.error.unknown`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from paysim_app.core import rate_limits
from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.core.listing import escape_like
from paysim_app.core.unit_of_work import verb
from paysim_app.models import BaseStation, CoverageRegion, Settlement, Tariff
from paysim_app.models.coverage import QUALITIES

STRONG_SHARE = 0.6  # within this share of a station's radius: good; further out to it: fair
NEAR_KM = 5.0  # a point with no station takes the level of a settlement this close
FAIR_MAX_MBPS = 30  # a fair signal carries tariffs up to this speed
MAX_RADIUS_M = 50_000  # no station reaches further (the search window around a point)
EARTH_KM = 6371.0088
# lat_min, lat_max, lon_min, lon_max; and Chukotka east of the antimeridian
RUSSIA_BOX = (41.1, 82.0, 19.6, 180.0)
CHUKOTKA_EAST = (64.0, 72.0, -180.0, -168.9)
MAX_PREFIX = 60
MAX_HITS = 20
MAX_ID = 2**31 - 1  # ids are INTEGER: a larger one matches nothing (and SQLite refuses it)
_RANK = {q: i for i, q in enumerate(QUALITIES)}  # lower is better


@dataclass(frozen=True)
class Region:
    id: int
    name: str


@dataclass(frozen=True)
class SettlementHit:
    id: int
    name: str
    kind: str
    region: str
    quality: str


@dataclass(frozen=True)
class Offer:
    """A tariff worth taking there."""

    id: int
    name: str
    description: str
    monthly_fee_kop: int
    data_gb: int | None  # None: unlimited
    speed_mbps: int


@dataclass(frozen=True)
class CoverageAnswer:
    quality: str  # good | fair | none
    source: str  # settlement | station | nearby | nothing
    settlement_id: int | None
    settlement: str  # the settlement's name ("" for a point far from any)
    region: str
    distance_m: int | None  # to the station or the settlement the answer comes from
    offers: tuple[Offer, ...]


def name_key(name: str) -> str:
    """A settlement's name as the type-ahead compares it: any letter case, ё as е, one space."""
    return " ".join(name.casefold().replace("ё", "е").split())


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * 1000 * math.asin(min(1.0, math.sqrt(a)))


def coordinate(raw: object, field: str, low: float, high: float) -> float:
    """A latitude or longitude as typed (a dot or a comma) or given; ValidationError otherwise."""
    if isinstance(raw, bool):
        raise ValidationError("coverage.error.coordinate", field=field)
    if isinstance(raw, str):
        text = raw.strip().replace(",", ".").replace("\u00a0", "")
        if not text or len(text) > 20:
            raise ValidationError("coverage.error.coordinate", field=field)
        try:
            raw = float(text)
        except ValueError:
            raise ValidationError("coverage.error.coordinate", field=field) from None
    if not isinstance(raw, int | float) or not math.isfinite(raw) or not low <= raw <= high:
        raise ValidationError("coverage.error.coordinate", field=field)
    return float(raw)


def in_russia(lat: float, lon: float) -> bool:
    for lat_min, lat_max, lon_min, lon_max in (RUSSIA_BOX, CHUKOTKA_EAST):
        if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
            return True
    return False


def point(lat: object, lon: object) -> tuple[float, float]:
    """A checked point in Russia; the errors name the field."""
    la = coordinate(lat, "lat", -90.0, 90.0)
    lo = coordinate(lon, "lon", -180.0, 180.0)
    if not in_russia(la, lo):
        raise ValidationError("coverage.error.outside_russia", field="lat")
    return la, lo


def _offers_for(session: Session, quality: str) -> tuple[Offer, ...]:
    """The tariffs that make sense at this quality (the rule in the module's docstring)."""
    if quality not in ("good", "fair"):
        return ()
    stmt = select(Tariff).where(Tariff.is_public.is_(True), Tariff.is_archived.is_(False))
    if quality == "fair":
        stmt = stmt.where(Tariff.speed_mbps <= FAIR_MAX_MBPS)
    stmt = stmt.order_by(Tariff.monthly_fee_kop, Tariff.id).limit(MAX_HITS)
    return tuple(
        Offer(t.id, t.name, t.description, t.monthly_fee_kop, t.data_gb, t.speed_mbps)
        for t in session.execute(stmt).scalars()
    )


def _region_id(raw: object) -> int | None:
    if raw is None or raw == "" or raw == 0:
        return None
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_ID:
        raise ValidationError("coverage.error.region", field="region")
    return raw


@verb
def list_regions(session: Session) -> list[Region]:
    """Every region, by name (the page's select; a few dozen at most)."""
    rows = session.execute(
        select(CoverageRegion.id, CoverageRegion.name).order_by(CoverageRegion.name)
    ).all()
    return [Region(r[0], r[1]) for r in rows]


@verb
def find_settlements(
    session: Session, prefix: object, region_id: object = None, limit: int = 10, *, ip: str = ""
) -> list[SettlementHit]:
    """The type-ahead: settlements whose name starts with `prefix` (any case, ё as е), in one
    region or all, alphabetically; at most `limit` (up to MAX_HITS). Public: a visitor asks
    (`ip`: counted against `coverage_check.ip`)."""
    rate_limits.hit(session, "coverage_check.ip", ip)
    if not isinstance(prefix, str):
        raise ValidationError("coverage.error.prefix", field="settlement")
    key = name_key(prefix[: MAX_PREFIX * 2])[:MAX_PREFIX]
    region = _region_id(region_id)
    if not key:
        return []
    limit = max(1, min(int(limit) if isinstance(limit, int) else 10, MAX_HITS))
    stmt = (
        select(
            Settlement.id,
            Settlement.name,
            Settlement.kind,
            CoverageRegion.name,
            Settlement.quality,
        )
        .join(CoverageRegion, CoverageRegion.id == Settlement.region_id)
        .where(Settlement.name_key.like(escape_like(key) + "%", escape="\\"))
        .order_by(Settlement.name_key, Settlement.id)
        .limit(limit)
    )
    if region is not None:
        stmt = stmt.where(Settlement.region_id == region)
    return [SettlementHit(*row) for row in session.execute(stmt).all()]


def _settlement(session: Session, settlement_id: object) -> Settlement:
    if (
        isinstance(settlement_id, str)
        and settlement_id.strip().isascii()
        and settlement_id.strip().isdigit()
    ):
        settlement_id = int(settlement_id.strip())
    row = (
        session.get(Settlement, settlement_id)
        if isinstance(settlement_id, int)
        and not isinstance(settlement_id, bool)
        and 0 < settlement_id <= MAX_ID
        else None
    )
    if row is None:
        raise NotFound("coverage.error.unknown", field="settlement")
    return row


def _region_name(session: Session, region_id: int) -> str:
    region = session.get(CoverageRegion, region_id)
    return region.name if region else ""


@verb
def check_by_settlement(session: Session, settlement_id: object, *, ip: str = "") -> CoverageAnswer:
    """The expected quality in a settlement and the tariffs for it. Public."""
    rate_limits.hit(session, "coverage_check.ip", ip)
    row = _settlement(session, settlement_id)
    return CoverageAnswer(
        quality=row.quality,
        source="settlement",
        settlement_id=row.id,
        settlement=row.name,
        region=_region_name(session, row.region_id),
        distance_m=None,
        offers=_offers_for(session, row.quality),
    )


def _stations_near(session: Session, lat: float, lon: float) -> list[BaseStation]:
    """Active stations in a window around the point no station's radius reaches beyond."""
    dlat = MAX_RADIUS_M / 1000 / 111.0
    dlon = dlat / max(0.05, math.cos(math.radians(lat)))
    return list(
        session.execute(
            select(BaseStation).where(
                BaseStation.is_active.is_(True),
                BaseStation.lat.between(lat - dlat, lat + dlat),
                BaseStation.lon.between(lon - dlon, lon + dlon),
            )
        ).scalars()
    )


def _nearest_settlement(
    session: Session, lat: float, lon: float
) -> tuple[Settlement, float] | None:
    dlat = NEAR_KM / 111.0
    dlon = dlat / max(0.05, math.cos(math.radians(lat)))
    found = session.execute(
        select(Settlement).where(
            Settlement.lat.between(lat - dlat, lat + dlat),
            Settlement.lon.between(lon - dlon, lon + dlon),
        )
    ).scalars()
    best = None
    for row in found:
        distance = haversine_m(lat, lon, row.lat, row.lon)
        if distance <= NEAR_KM * 1000 and (best is None or distance < best[1]):
            best = (row, distance)
    return best


@verb
def check_by_point(session: Session, lat: object, lon: object, *, ip: str = "") -> CoverageAnswer:
    """The expected quality at a point (the rule in the module's docstring). Public."""
    rate_limits.hit(session, "coverage_check.ip", ip)
    la, lo = point(lat, lon)
    best: tuple[str, float, BaseStation] | None = None
    for station in _stations_near(session, la, lo):
        distance = haversine_m(la, lo, station.lat, station.lon)
        if distance > station.radius_m:
            continue
        level = "good" if distance <= station.radius_m * STRONG_SHARE else "fair"
        if best is None or (_RANK[level], distance) < (_RANK[best[0]], best[1]):
            best = (level, distance, station)
    near = _nearest_settlement(session, la, lo)
    if best is not None:
        level, distance, station = best
        home = session.get(Settlement, station.settlement_id) if station.settlement_id else None
        home = home or (near[0] if near else None)
        return CoverageAnswer(
            quality=level,
            source="station",
            settlement_id=home.id if home else None,
            settlement=home.name if home else "",
            region=_region_name(session, home.region_id) if home else "",
            distance_m=round(distance),
            offers=_offers_for(session, level),
        )
    if near is not None:
        row, distance = near
        return CoverageAnswer(
            quality=row.quality,
            source="nearby",
            settlement_id=row.id,
            settlement=row.name,
            region=_region_name(session, row.region_id),
            distance_m=round(distance),
            offers=_offers_for(session, row.quality),
        )
    return CoverageAnswer("none", "nothing", None, "", "", None, ())
