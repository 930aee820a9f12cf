"""Coverage from a file: CSV or .xlsx, preview (a dry run) -> confirm, all or nothing, audited.

Two kinds of file, told apart by the header (the first line with a value):
- **settlements**: `region, name, quality` required; `kind, lat, lon` optional. A row is a
  settlement of the region (created with the region when missing), found by region, kind and
  name (any letter case, ё as е); its quality and point are updated. Quality: good | fair | none
  (or хорошее | среднее | нет); kind: city | urban | village | hamlet | settlement (or город |
  пгт | село | деревня | посёлок; empty: village).
- **stations**: `code, lat, lon, radius_m` required; `region, settlement, technology, band,
  active` optional. A row is a base station found by its code; `region` + `settlement` name
  the settlement it serves (it must exist: import the settlements first).
Russian headers are understood too (регион, название, тип, качество, широта, долгота, код,
радиус, населённый пункт, технология, диапазон, активна). CSV: comma or semicolon (Excel's
`sep=;` line too), UTF-8 with or without BOM, or Windows-1251. Workbooks: the first sheet, read
by core.spreadsheet (archive checks, defusedxml).

Every row is checked; a rejected row is reported with its line number (Excel's row number for a
workbook) and the reason, and while any row is rejected nothing is written. Confirm reads the
file again and checks it against the database as it is then. At most MAX_BYTES and MAX_ROWS:
coverage is a few thousand places, not the SIM stock (sims.importing streams a million).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from paysim_app.core import audit, spreadsheet
from paysim_app.core.checks import CODE_RE
from paysim_app.core.errors import DomainError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.coverage.places import name_key
from paysim_app.models import BaseStation, CoverageRegion, Settlement
from paysim_app.models.base import utcnow
from paysim_app.models.coverage import QUALITIES, SETTLEMENT_KINDS

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
SAMPLE_ROWS = 100  # rows of each kind a report carries (the counts are complete)
MAX_RADIUS_M = 50_000
FILE_KINDS = ("settlements", "stations")
ROW_KINDS = ("create", "update", "unchanged", "reject")
# header words -> column
ALIASES = {
    "region": "region",
    "регион": "region",
    "область": "region",
    "name": "name",
    "название": "name",
    "населённый пункт": "settlement",
    "населенный пункт": "settlement",
    "settlement": "settlement",
    "kind": "kind",
    "type": "kind",
    "тип": "kind",
    "quality": "quality",
    "качество": "quality",
    "lat": "lat",
    "latitude": "lat",
    "широта": "lat",
    "lon": "lon",
    "lng": "lon",
    "longitude": "lon",
    "долгота": "lon",
    "code": "code",
    "код": "code",
    "radius_m": "radius_m",
    "radius": "radius_m",
    "радиус": "radius_m",
    "радиус, м": "radius_m",
    "technology": "technology",
    "технология": "technology",
    "band": "band",
    "диапазон": "band",
    "active": "active",
    "активна": "active",
}
REQUIRED = {
    "settlements": ("region", "name", "quality"),
    "stations": ("code", "lat", "lon", "radius_m"),
}
QUALITY_WORDS = {
    **{q: q for q in QUALITIES},
    "хорошее": "good",
    "хорошая": "good",
    "среднее": "fair",
    "средняя": "fair",
    "нет": "none",
    "нет покрытия": "none",
}
KIND_WORDS = {
    **{k: k for k in SETTLEMENT_KINDS},
    "": "village",
    "город": "city",
    "г": "city",
    "пгт": "urban",
    "село": "village",
    "с": "village",
    "деревня": "hamlet",
    "д": "hamlet",
    "посёлок": "settlement",
    "поселок": "settlement",
    "п": "settlement",
}
YES = {"", "1", "yes", "true", "да", "y"}
NO = {"0", "no", "false", "нет", "n"}


@dataclass
class ImportLine:
    line: int
    kind: str  # create | update | unchanged | reject
    label: str  # what the row is about: "Тверская область / Кашин", "BS-001"
    detail: str = ""  # the change ("quality: fair -> good") or the reason's code
    params: dict = field(default_factory=dict)  # the reason's parameters


@dataclass
class CoverageImportReport:
    file_name: str
    sha256: str
    file_kind: str = ""  # settlements | stations
    error: str = ""  # a whole-file refusal (coverage_import.error.*)
    error_params: dict = field(default_factory=dict)
    rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROW_KINDS, 0))
    samples: dict[str, list[ImportLine]] = field(default_factory=dict)
    applied: bool = False

    def add(self, line: ImportLine) -> None:
        self.counts[line.kind] += 1
        bucket = self.samples.setdefault(line.kind, [])
        if len(bucket) < SAMPLE_ROWS:
            bucket.append(line)


class _FileError(Exception):
    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code, self.params = code, params


# ---------------------------------------------------------------------------------- reading
def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            raise _FileError("encoding") from None
    lines = text.splitlines()
    delimiter = ""
    for line in lines:
        stripped = line.strip()
        if not stripped.strip(",;"):
            continue
        if stripped.lower().startswith("sep=") and len(stripped) == 5:
            delimiter = stripped[4]
            continue
        delimiter = delimiter or (";" if stripped.count(";") > stripped.count(",") else ",")
        break
    if not delimiter:
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                if len(cells) == 1 and cells[0].strip().lower().startswith("sep="):
                    continue
                yield reader.line_num, [c.strip().lstrip("'").strip() for c in cells]
    except csv.Error:
        raise _FileError("quotes") from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in spreadsheet.open_rows(io.BytesIO(data)):
            yield number, [_cell_text(v) for v in values]
    except spreadsheet.WorkbookError as exc:
        raise _FileError(exc.code) from None


def _rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return _xlsx_rows(data)
    return _csv_rows(data)


def _header(cells: list[str]) -> tuple[str, dict[str, int]]:
    index: dict[str, int] = {}
    for position, raw in enumerate(cells):
        column = ALIASES.get(" ".join(raw.lower().replace("ё", "е").split())) or ALIASES.get(
            raw.strip().lower()
        )
        if column and column not in index:
            index[column] = position
    if "code" in index or "radius_m" in index:
        kind = "stations"
    elif "quality" in index or "name" in index:
        kind = "settlements"
    else:
        raise _FileError("no_header")
    missing = [c for c in REQUIRED[kind] if c not in index]
    if missing:
        raise _FileError("missing_columns", columns=", ".join(missing))
    return kind, index


# ---------------------------------------------------------------------------------- checking
def _number(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except ValueError:
        return None
    return value if low <= value <= high else None


def _point(get) -> tuple[tuple[float | None, float | None], str]:
    lat_text, lon_text = get("lat"), get("lon")
    if not lat_text and not lon_text:
        return (None, None), ""
    lat, lon = _number(lat_text, -90, 90), _number(lon_text, -180, 180)
    if lat is None or lon is None:
        return (None, None), "point"
    return (lat, lon), ""


class _Db:
    """What the rows are checked against, read once."""

    def __init__(self, session: Session):
        self.regions = {
            name_key(r.name): r for r in session.execute(select(CoverageRegion)).scalars()
        }
        self.settlements = {
            (s.region_id, s.kind, s.name_key): s
            for s in session.execute(select(Settlement)).scalars()
        }
        self.by_region_name: dict[tuple[int, str], list[Settlement]] = {}
        for s in self.settlements.values():
            self.by_region_name.setdefault((s.region_id, s.name_key), []).append(s)
        self.stations = {b.code.upper(): b for b in session.execute(select(BaseStation)).scalars()}


def _changes(row, wanted: dict) -> list[str]:
    return [f"{k}: {getattr(row, k)} → {v}" for k, v in wanted.items() if getattr(row, k) != v]


def _check_settlement(db: _Db, get, seen: dict, number: int) -> tuple[ImportLine, dict | None]:
    region, name = " ".join(get("region").split()), " ".join(get("name").split())
    label = f"{region} / {name}" if region or name else ""
    reject = lambda code, **p: (ImportLine(number, "reject", label, code, p), None)  # noqa: E731
    if not region:
        return reject("region_missing")
    if not name:
        return reject("name_missing")
    if len(region) > 120 or len(name) > 120:
        return reject("too_long", max=120)
    kind = KIND_WORDS.get(get("kind").lower().rstrip("."))
    if kind is None:
        return reject("kind_unknown", value=get("kind")[:40])
    quality = QUALITY_WORDS.get(get("quality").lower())
    if quality is None:
        return reject("quality_unknown", value=get("quality")[:40])
    (lat, lon), bad = _point(get)
    if bad:
        return reject("point")
    key = (name_key(region), kind, name_key(name))
    if key in seen:
        return reject("duplicate", ref=seen[key])
    seen[key] = number
    plan = {
        "region": region,
        "name": name,
        "kind": kind,
        "quality": quality,
        "lat": lat,
        "lon": lon,
    }
    known_region = db.regions.get(key[0])
    existing = db.settlements.get((known_region.id, kind, key[2])) if known_region else None
    if existing is None:
        return ImportLine(number, "create", label, quality), plan
    wanted = {"quality": quality}
    if lat is not None:
        wanted.update(lat=lat, lon=lon)
    changes = _changes(existing, wanted)
    plan["id"] = existing.id
    if not changes:
        return ImportLine(number, "unchanged", label), None
    return ImportLine(number, "update", label, "; ".join(changes)), plan


def _check_station(db: _Db, get, seen: dict, number: int) -> tuple[ImportLine, dict | None]:
    code = get("code").upper()
    reject = lambda reason, **p: (ImportLine(number, "reject", code, reason, p), None)  # noqa: E731
    if not code:
        return reject("code_missing")
    if not CODE_RE.fullmatch(code):
        return reject("code_format")
    lat, lon = _number(get("lat"), -90, 90), _number(get("lon"), -180, 180)
    if lat is None or lon is None:
        return reject("point")
    radius = _number(get("radius_m"), 1, MAX_RADIUS_M)
    if radius is None or not float(radius).is_integer():
        return reject("radius", max=MAX_RADIUS_M)
    active_text = get("active").lower()
    if active_text not in YES | NO:
        return reject("active", value=active_text[:20])
    technology, band = get("technology"), get("band")
    if len(technology) > 20 or len(band) > 20:
        return reject("too_long", max=20)
    settlement_id = None
    region, place = get("region"), get("settlement")
    if place:
        known_region = db.regions.get(name_key(region)) if region else None
        found = (
            db.by_region_name.get((known_region.id, name_key(place)), []) if known_region else []
        )
        if len(found) != 1:
            return reject("settlement_unknown", value=f"{region} / {place}"[:80])
        settlement_id = found[0].id
    if code in seen:
        return reject("duplicate", ref=seen[code])
    seen[code] = number
    plan = {
        "code": code,
        "settlement_id": settlement_id,
        "lat": lat,
        "lon": lon,
        "radius_m": int(radius),
        "technology": technology,
        "band": band,
        "is_active": active_text not in NO,
    }
    existing = db.stations.get(code)
    if existing is None:
        return ImportLine(number, "create", code, f"{int(radius)} m"), plan
    wanted = {k: v for k, v in plan.items() if k != "code"}
    changes = _changes(existing, wanted)
    plan["id"] = existing.id
    if not changes:
        return ImportLine(number, "unchanged", code), None
    return ImportLine(number, "update", code, "; ".join(changes)), plan


def _check(session: Session, data: bytes, file_name: str):
    report = CoverageImportReport(
        file_name=file_name[:200], sha256=hashlib.sha256(data).hexdigest()
    )
    plans: list[dict] = []
    if len(data) > MAX_BYTES:
        report.error, report.error_params = "too_large", {"mb": MAX_BYTES // (1024 * 1024)}
        return report, plans
    try:
        rows = _rows(data)
        first = next(rows, None)
        if first is None:
            raise _FileError("empty")
        report.file_kind, index = _header(first[1])
        db = _Db(session)
        check = _check_settlement if report.file_kind == "settlements" else _check_station
        seen: dict = {}
        for number, cells in rows:
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise _FileError("too_many_rows", max=MAX_ROWS)

            def get(column: str, cells=cells) -> str:
                position = index.get(column)
                return (
                    cells[position].strip()
                    if position is not None and position < len(cells)
                    else ""
                )

            line, plan = check(db, get, seen, number)
            report.add(line)
            if plan is not None:
                plans.append(plan)
        if report.rows == 0:
            raise _FileError("empty")
    except _FileError as exc:
        report.error, report.error_params = exc.code, exc.params
        report.counts = dict.fromkeys(ROW_KINDS, 0)
        report.samples = {}
        plans = []
    return report, plans


def _apply(session: Session, kind: str, plans: list[dict]) -> None:
    now = utcnow()
    if kind == "settlements":
        regions = {name_key(r.name): r for r in session.execute(select(CoverageRegion)).scalars()}
        for plan in plans:
            if "id" in plan:
                row = session.get(Settlement, plan["id"])
                row.quality, row.updated_at = plan["quality"], now
                if plan["lat"] is not None:
                    row.lat, row.lon = plan["lat"], plan["lon"]
                continue
            region = regions.get(name_key(plan["region"]))
            if region is None:
                region = CoverageRegion(name=plan["region"])
                session.add(region)
                session.flush()
                regions[name_key(plan["region"])] = region
            session.add(
                Settlement(
                    region_id=region.id,
                    name=plan["name"],
                    name_key=name_key(plan["name"]),
                    kind=plan["kind"],
                    quality=plan["quality"],
                    lat=plan["lat"],
                    lon=plan["lon"],
                    updated_at=now,
                )
            )
    else:
        for plan in plans:
            values = {k: v for k, v in plan.items() if k not in ("id", "code")}
            if "id" in plan:
                row = session.get(BaseStation, plan["id"])
                for key, value in values.items():
                    setattr(row, key, value)
                row.updated_at = now
            else:
                session.add(BaseStation(code=plan["code"], updated_at=now, **values))
    session.flush()


@verb
def preview_import(
    session: Session, actor: Actor, data: bytes, file_name: str
) -> CoverageImportReport:
    """What importing the file would do; writes nothing."""
    require(actor, "coverage.edit")
    if not isinstance(data, bytes):
        raise DomainError("coverage_import.error.empty")
    report, _plans = _check(session, data, str(file_name))
    return report


@verb
def confirm_import(
    session: Session, actor: Actor, data: bytes, file_name: str
) -> CoverageImportReport:
    """Check the file again and, when no row is rejected, write it all in this transaction and
    audit it (file name, sha256, counts). A rejected row: nothing is written."""
    require(actor, "coverage.edit")
    if not isinstance(data, bytes):
        raise DomainError("coverage_import.error.empty")
    report, plans = _check(session, data, str(file_name))
    if report.error or report.counts["reject"] or not plans:
        return report
    _apply(session, report.file_kind, plans)
    report.applied = True
    audit.record(
        session,
        actor,
        f"coverage.import.{report.file_kind}",
        "coverage_import",
        report.sha256[:16],
        None,
        {
            "file": report.file_name,
            "sha256": report.sha256,
            "rows": report.rows,
            "created": report.counts["create"],
            "updated": report.counts["update"],
            "unchanged": report.counts["unchanged"],
        },
    )
    return report
