"""Usage fed from the network: the mediation system's records, summed per SIM per hour.

A record is `{record_id, iccid or imsi, start, end, bytes_up, bytes_down}` (times ISO 8601 with
an offset). `ingest` checks each record, rejects the bad ones with a reason (the rest of the batch
is kept), splits a record spanning several hours over them in proportion to its duration (integer
bytes, the remainder to the last hour) and adds the bytes to `usage_hour`. A record id is counted
once per sender: the ids go into `usage_record_seen` with ON CONFLICT DO NOTHING in the same
transaction as the sums, and only the ids that insert add bytes, so a resent batch (even two
racing requests) adds nothing. The ids are kept `KEEP_IDS` (the sweep runs in the tidy job).

The same transaction adds the bytes to `usage_day` (per SIM per Moscow calendar day), which the
dashboard's charts and histories read (sims.usage_history). The sweep keeps hourly rows
PAYSIM_USAGE_KEEP_HOURS_DAYS (70 days: two billing periods for the allowance's night rules) and
daily rows 13 months.

On PostgreSQL a batch costs five statements whatever its size: the SIMs by ICCID and by IMSI
(`= ANY(array)`), the record ids, the hourly sums and the daily sums, each an
`INSERT ... SELECT FROM unnest(arrays) ON CONFLICT` with its rows sorted by key (two batches
racing on the same SIMs lock rows in the same order, so they wait instead of deadlocking). The
sums are added up per (SIM, hour) and (SIM, day) in Python first. SQLite takes the same steps
as multi-row INSERTs of CHUNK rows (bench/usage.py, bench/README.md for the figures).

The same transaction ends with the network policy of the batch's SIMs (sims.policy.after_ingest:
one screening query, then a refresh of the SIMs that may have crossed 80 % or 100 %).

The endpoint (api/usage.py) and the `import-usage` command both read with `parse` and store with
`ingest`.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from paysim_app.core.errors import ValidationError
from paysim_app.core.unit_of_work import verb
from paysim_app.models.sims import Sim
from paysim_app.models.usage import UsageDay, UsageHour, UsageRecordSeen
from paysim_app.settings import get_settings
from paysim_app.sims import policy

FIELDS = ("record_id", "iccid", "imsi", "start", "end", "bytes_up", "bytes_down")
KEEP_IDS = timedelta(days=40)
# a record older than this is refused: a resend can only come after its id was forgotten
# (KEEP_IDS after it came, when it was at least that old), so it is refused then, not counted twice
MAX_AGE = timedelta(days=35)
CLOCK_SKEW = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=24)
HOUR = timedelta(hours=1)
# more than a 4G radio carries: 1 Gbit/s for the record's duration, plus 10 MB of allowance
MAX_BYTES_PER_SECOND = 125_000_000
BYTES_ALLOWANCE = 10_000_000
MAX_RECORD_ID = 128
CHUNK = 1000  # rows per statement (SQLite's limit on bound parameters)
# usage_day's days are Moscow calendar days (an hour in UTC falls in exactly one: the offset is
# whole hours); the hourly rows are kept PAYSIM_USAGE_KEEP_HOURS_DAYS, the days KEEP_DAYS_MONTHS
DAY_ZONE = ZoneInfo("Europe/Moscow")
KEEP_DAYS_MONTHS = 13

REASONS = (
    "missing_fields",  # no record_id, no iccid nor imsi, no start or end, no byte counts
    "bad_value",  # a field that is not what it should be (text for bytes, an id too long)
    "bad_time",  # a time that is not ISO 8601 with an offset (naive times are refused)
    "end_before_start",
    "too_long",  # a record over 24 hours
    "in_future",  # ending more than 5 minutes ahead of the clock
    "too_old",  # ended more than 35 days ago (its id may be forgotten: it could count twice)
    "negative_bytes",
    "absurd_bytes",  # more than the radio could carry in the interval
    "unknown_sim",
    "ambiguous_sim",  # the iccid and the imsi name different SIMs
)


@dataclass(frozen=True)
class Reject:
    index: int
    record_id: str | None
    reason: str


@dataclass
class Report:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Reject] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [
                {"index": r.index, "record_id": r.record_id, "reason": r.reason}
                for r in self.rejected
            ],
        }


@dataclass(slots=True)
class _Record:
    index: int
    record_id: str
    iccid: str | None
    imsi: str | None
    start: datetime
    end: datetime
    bytes_up: int
    bytes_down: int


class _Bad(Exception):
    def __init__(self, reason: str):
        self.reason = reason


# --------------------------------------------------------------------------- senders


def sender_tokens(value: str | None = None) -> dict[str, str]:
    """PAYSIM_USAGE_TOKENS "sender=token;sender2=token2" as {sender: token}."""
    raw = get_settings().paysim_usage_tokens if value is None else value
    tokens: dict[str, str] = {}
    for part in raw.split(";"):
        sender, sep, token = part.partition("=")
        if sep and sender.strip() and token.strip():
            tokens[sender.strip()] = token.strip()
    return tokens


def sender_for(token: str) -> str | None:
    """The sender whose token this is (compared in constant time), or None."""
    found = None
    given = token.encode()
    for sender, expected in sender_tokens().items():
        if hmac.compare_digest(given, expected.encode()) and given:
            found = sender
    return found


# --------------------------------------------------------------------------- reading


def parse_json(data: bytes) -> list:
    """A JSON array of records, or {"records": [...]}."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[... nested
        raise ValidationError("usage.unreadable") from None
    if isinstance(value, dict):
        value = value.get("records")
    if not isinstance(value, list):
        raise ValidationError("usage.unreadable")
    return value


def parse_csv(data: bytes) -> list:
    """CSV with a header naming the fields (any order; iccid or imsi may be absent)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("usage.unreadable") from None
    try:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "record_id" not in [f.strip() for f in reader.fieldnames]:
            raise ValidationError("usage.unreadable")
        return [
            {(k or "").strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
            for row in reader
        ]
    except csv.Error:
        raise ValidationError("usage.unreadable") from None


def parse(data: bytes) -> list:
    """JSON or CSV, told apart by the first character."""
    head = data.lstrip()[:1]
    return parse_json(data) if head in (b"[", b"{") else parse_csv(data)


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Bad("bad_value")
    return str(value)


def _time(value: object, known: dict[str, datetime] | None = None) -> datetime:
    if not isinstance(value, str):
        raise _Bad("bad_time")
    if known is not None:  # a batch repeats its times (records cut at the hour): parsed once
        moment = known.get(value)
        if moment is not None:
            return moment
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad("bad_time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _Bad("bad_time")
    moment = moment.astimezone(UTC)
    if known is not None:
        known[value] = moment
    return moment


def _bytes(value: object) -> int:
    if isinstance(value, bool):
        raise _Bad("bad_value")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise _Bad("bad_value") from None
    raise _Bad("bad_value")


def _check(
    index: int, raw: object, now: datetime, known: dict[str, datetime] | None = None
) -> _Record:
    if not isinstance(raw, dict):
        raise _Bad("bad_value")
    get = raw.get
    record_id = _text(get("record_id"))
    iccid = _text(get("iccid"))
    imsi = _text(get("imsi"))
    start, end, up, down = get("start"), get("end"), get("bytes_up"), get("bytes_down")
    if (
        record_id is None
        or (iccid is None and imsi is None)
        or start is None
        or start == ""
        or end is None
        or end == ""
        or up is None
        or up == ""
        or down is None
        or down == ""
    ):
        raise _Bad("missing_fields")
    if len(record_id) > MAX_RECORD_ID:
        raise _Bad("bad_value")
    start, end = _time(start, known), _time(end, known)
    up, down = _bytes(up), _bytes(down)
    if end < start:
        raise _Bad("end_before_start")
    if end - start > MAX_DURATION:
        raise _Bad("too_long")
    if end > now + CLOCK_SKEW:
        raise _Bad("in_future")
    if end < now - MAX_AGE:
        raise _Bad("too_old")
    if up < 0 or down < 0:
        raise _Bad("negative_bytes")
    seconds = (end - start).total_seconds()
    if up + down > MAX_BYTES_PER_SECOND * seconds + BYTES_ALLOWANCE:
        raise _Bad("absurd_bytes")
    return _Record(index, record_id, iccid, imsi, start, end, up, down)


# --------------------------------------------------------------------------- hours


def split_hours(
    start: datetime, end: datetime, up: int, down: int
) -> list[tuple[datetime, int, int]]:
    """(hour, bytes_up, bytes_down) for each UTC hour the interval touches, in proportion to the
    time spent in it; integer bytes, the remainder to the last hour (the sums stay exact)."""
    first = start.replace(minute=0, second=0, microsecond=0)
    if end <= start or end - first <= HOUR:  # within one hour (most records)
        return [(first, up, down)]
    total = _micros(end - start)
    shares: list[tuple[datetime, int]] = []
    hour = first
    while hour < end:
        nxt = hour + timedelta(hours=1)
        overlap = _micros(min(nxt, end) - max(hour, start))
        if overlap > 0:
            shares.append((hour, overlap))
        hour = nxt
    out: list[tuple[datetime, int, int]] = []
    left_up, left_down = up, down
    for i, (hour, overlap) in enumerate(shares):
        if i == len(shares) - 1:
            out.append((hour, left_up, left_down))
        else:
            part_up, part_down = up * overlap // total, down * overlap // total
            left_up -= part_up
            left_down -= part_down
            out.append((hour, part_up, part_down))
    return out


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# --------------------------------------------------------------------------- storing


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# PostgreSQL takes a batch's values as array literals built here ('{1,2,3}', '{"a","b"}') and
# cast in SQL: the driver's own list adaptation checks every element with a regular expression
# (10 per record, a fifth of ingest's time); times go as epoch seconds, days as day numbers
def _ints(values: Iterable[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _texts(values: list[str]) -> str:
    plain = '","'.join(values)
    # a quote or a backslash inside a value (beyond the separators' quotes): escape one by one
    if plain.count('"') != 2 * (len(values) - 1) or "\\" in plain:
        return "{" + ",".join(_quoted(v) for v in values) + "}"
    return '{"' + plain + '"}' if values else "{}"


def _quoted(value: str) -> str:
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + value + '"'


EPOCH_DAY = date(1970, 1, 1).toordinal()


def _sims_by(session: Session, column, values: set[str]) -> dict[str, int]:
    if not values:
        return {}
    if _is_postgres(session):  # one array parameter, not thousands of bound values
        rows = session.execute(
            text(
                f"SELECT {column.name}, id FROM sim"
                f" WHERE {column.name} = ANY(CAST(:values AS text[]))"
            ),
            {"values": _texts(sorted(values))},
        ).all()
    else:
        rows = session.execute(select(column, Sim.id).where(column.in_(sorted(values)))).all()
    return {key: sim_id for key, sim_id in rows}


def _remember(session: Session, sender: str, ids: list[str], now: datetime) -> set[str]:
    """Insert the record ids (sorted); the ones that were not there yet."""
    if not ids:
        return set()
    if _is_postgres(session):
        return set(
            session.execute(
                text(
                    "INSERT INTO usage_record_seen (sender, record_id, received_at)"
                    " SELECT :sender, r, :now FROM unnest(CAST(:ids AS text[])) AS r"
                    " ON CONFLICT (sender, record_id) DO NOTHING RETURNING record_id"
                ),
                {"sender": sender, "now": now, "ids": _texts(ids)},
            )
            .scalars()
            .all()  # one fetch, not a row at a time
        )
    seen = UsageRecordSeen.__table__
    fresh: set[str] = set()
    for part in _chunks(ids):
        inserted = session.execute(
            sqlite.insert(seen)
            .values([{"sender": sender, "record_id": rid, "received_at": now} for rid in part])
            .on_conflict_do_nothing(index_elements=["sender", "record_id"])
            .returning(seen.c.record_id)
        ).scalars()
        fresh.update(inserted)
    return fresh


_PG_ADD = {
    "usage_hour": (
        "INSERT INTO usage_hour (sim_id, hour, bytes_up, bytes_down)"
        " SELECT k, to_timestamp(a), u, d FROM unnest(CAST(:keys AS integer[]),"
        " CAST(:at AS bigint[]), CAST(:up AS bigint[]), CAST(:down AS bigint[])) AS t(k, a, u, d)"
        " ON CONFLICT (sim_id, hour) DO UPDATE SET"
        " bytes_up = usage_hour.bytes_up + excluded.bytes_up,"
        " bytes_down = usage_hour.bytes_down + excluded.bytes_down"
    ),
    "usage_day": (
        "INSERT INTO usage_day (sim_id, day, bytes_up, bytes_down)"
        " SELECT k, DATE '1970-01-01' + a, u, d FROM unnest(CAST(:keys AS integer[]),"
        " CAST(:at AS integer[]), CAST(:up AS bigint[]), CAST(:down AS bigint[])) AS t(k, a, u, d)"
        " ON CONFLICT (sim_id, day) DO UPDATE SET"
        " bytes_up = usage_day.bytes_up + excluded.bytes_up,"
        " bytes_down = usage_day.bytes_down + excluded.bytes_down"
    ),
}


def _add(
    session: Session, table, when: str, sums: dict[tuple, list[int]], *, screen: bool = False
) -> list:
    """Add {(sim_id, hour or day): [up, down]} to the table's rows, in key order. With `screen`
    (the days): the rows the network policy must look at (sims.policy.SCREEN_SQL over the
    upsert's RETURNING, in the same statement on PostgreSQL)."""
    if not sums:
        return []
    keys = sorted(sums)
    totals: dict[tuple, int] = {}
    if _is_postgres(session):
        numbers: dict = {}  # hour -> epoch seconds, day -> days since 1970 (few distinct)
        for k in keys:
            at = k[1]
            if at not in numbers:
                numbers[at] = (
                    int(at.timestamp()) if isinstance(at, datetime) else at.toordinal() - EPOCH_DAY
                )
        sql = _PG_ADD[table.name]
        if screen:
            sql = (
                f"WITH up AS ({sql} RETURNING sim_id, {when} AS day,"
                f" bytes_up + bytes_down AS total) {policy.SCREEN_SQL}"
            )
        result = session.execute(
            text(sql),
            {
                "keys": _ints(k[0] for k in keys),
                "at": _ints(numbers[k[1]] for k in keys),
                "up": _ints(sums[k][0] for k in keys),
                "down": _ints(sums[k][1] for k in keys),
            },
        )
        return [tuple(r) for r in result.all()] if screen else []
    rows = [
        {"sim_id": k[0], when: k[1], "bytes_up": sums[k][0], "bytes_down": sums[k][1]} for k in keys
    ]
    for part in _chunks(rows):
        stmt = sqlite.insert(table).values(part)
        stmt = stmt.on_conflict_do_update(
            index_elements=["sim_id", when],
            set_={
                "bytes_up": table.c.bytes_up + stmt.excluded.bytes_up,
                "bytes_down": table.c.bytes_down + stmt.excluded.bytes_down,
            },
        )
        if screen:
            stmt = stmt.returning(
                table.c.sim_id, table.c[when], table.c.bytes_up + table.c.bytes_down
            )
            totals.update({(sim_id, at): n for sim_id, at, n in session.execute(stmt).all()})
        else:
            session.execute(stmt)
    return policy.candidates(session, totals) if screen else []


def day_of(hour: datetime) -> date:
    """The Moscow calendar day an hour (UTC) falls in."""
    return hour.astimezone(DAY_ZONE).date()


@verb
def ingest(session: Session, sender: str, records: list, *, now: datetime | None = None) -> Report:
    """Check, deduplicate and add a batch: the record ids, the hourly and the daily sums in one
    unit of work (called without a session, the verb commits it once)."""
    now = now or datetime.now(UTC)
    report = Report()
    good: list[_Record] = []
    known: dict[str, datetime] = {}
    for index, raw in enumerate(records):
        try:
            good.append(_check(index, raw, now, known))
        except _Bad as bad:
            record_id = raw.get("record_id") if isinstance(raw, dict) else None
            shown = str(record_id)[:MAX_RECORD_ID] if record_id not in (None, "") else None
            report.rejected.append(Reject(index, shown, bad.reason))

    # one query for the ICCIDs and one for the IMSIs of the whole batch
    by_iccid = _sims_by(session, Sim.iccid, {r.iccid for r in good if r.iccid})
    by_imsi = _sims_by(session, Sim.imsi, {r.imsi for r in good if r.imsi})
    placed: list[tuple[_Record, int]] = []
    for r in good:
        a = by_iccid.get(r.iccid) if r.iccid else None
        b = by_imsi.get(r.imsi) if r.imsi else None
        if (r.iccid and a is None) or (r.imsi and b is None):
            report.rejected.append(Reject(r.index, r.record_id, "unknown_sim"))
        elif a is not None and b is not None and a != b:
            report.rejected.append(Reject(r.index, r.record_id, "ambiguous_sim"))
        else:
            placed.append((r, a if a is not None else b))
    report.rejected.sort(key=lambda j: j.index)

    # a duplicated id inside the batch counts once (the first)
    unique: dict[str, tuple[_Record, int]] = {}
    for r, sim_id in placed:
        if r.record_id in unique:
            report.duplicates += 1
        else:
            unique[r.record_id] = (r, sim_id)

    fresh = _remember(session, sender, sorted(unique), now)
    report.duplicates += len(unique) - len(fresh)
    report.accepted = len(fresh)

    hours: dict[tuple[int, datetime], list[int]] = {}
    for rid in fresh:
        r, sim_id = unique[rid]
        for hour, up, down in split_hours(r.start, r.end, r.bytes_up, r.bytes_down):
            acc = hours.get((sim_id, hour))
            if acc is None:
                hours[(sim_id, hour)] = [up, down]
            else:
                acc[0] += up
                acc[1] += down
    days: dict[tuple[int, date], list[int]] = {}
    day_cache: dict[datetime, date] = {}
    for (sim_id, hour), (up, down) in hours.items():
        day = day_cache.get(hour)
        if day is None:
            day = day_cache[hour] = day_of(hour)
        acc = days.get((sim_id, day))
        if acc is None:
            days[(sim_id, day)] = [up, down]
        else:
            acc[0] += up
            acc[1] += down
    _add(session, UsageHour.__table__, "hour", hours)
    watched = _add(session, UsageDay.__table__, "day", days, screen=True)
    # the network policy and the 80 % / 100 % notices: the days' new totals screened against
    # the SIMs' policy rows by the same statement, the few it lets through refreshed
    policy.after_ingest(session, watched, now)
    return report


def _keep_days_from(now: datetime) -> date:
    """The first Moscow day usage_day keeps: the first of the month KEEP_DAYS_MONTHS before this
    one (so `usage_history.monthly` always finds 12 whole months)."""
    today = day_of(now)
    months = today.year * 12 + today.month - 1 - KEEP_DAYS_MONTHS
    return date(months // 12, months % 12 + 1, 1)


@verb
def sweep(session: Session, *, now: datetime | None = None) -> int:
    """The tidy job's retention: record ids older than KEEP_IDS, hourly sums older than
    PAYSIM_USAGE_KEEP_HOURS_DAYS days, daily sums older than KEEP_DAYS_MONTHS months. Returns
    how many rows went, in all."""
    now = now or datetime.now(UTC)
    seen, hour, day = UsageRecordSeen.__table__, UsageHour.__table__, UsageDay.__table__
    keep_hours = timedelta(days=get_settings().paysim_usage_keep_hours_days)
    gone = 0
    for stmt in (
        delete(seen).where(seen.c.received_at < now - KEEP_IDS),
        delete(hour).where(hour.c.hour < now - keep_hours),
        delete(day).where(day.c.day < _keep_days_from(now)),
    ):
        gone += session.execute(stmt).rowcount or 0
    return gone


@verb
def hours_of(session: Session, sim_id: int) -> list[tuple[datetime, int, int]]:
    """The SIM's hourly sums, oldest first."""
    table = UsageHour.__table__
    rows = session.execute(
        select(table.c.hour, table.c.bytes_up, table.c.bytes_down)
        .where(table.c.sim_id == sim_id)
        .order_by(table.c.hour)
    ).all()
    return [(h if h.tzinfo else h.replace(tzinfo=UTC), up, down) for h, up, down in rows]
