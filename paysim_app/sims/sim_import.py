"""CSV import of SIMs: upload -> preview (a dry run) -> confirm, all or nothing.

The file: a header line naming the columns, then one SIM per line. Columns `iccid, msisdn,
imsi` are required; `status, partner_code, tariff_code, action, activation_code` are optional
(any other column, e.g. the `reason` of a rejects file sent back, is ignored). Comma or
semicolon, UTF-8 (with or without BOM) or Windows-1251 are detected (Russian Excel saves `;` and
cp1251; an Excel `sep=;` first line is understood too).

Meaning of a row (`action` empty = `upsert`):
- upsert, ICCID unknown: a new SIM (empty status = `in_stock`, empty codes = none);
- upsert, ICCID known: the SIM takes the row's MSISDN and IMSI, and its status, partner, tariff
  and activation code where the row gives one (an empty cell keeps the SIM's value); a row that
  changes nothing is "unchanged", so the same file imported twice changes nothing;
- delete: the SIM goes, unless it is in use (a subscriber, or any history: ledger entries,
  payments, requests, blocks, tickets, ...); an ICCID that is not there is "unchanged".

Every row is checked (format and Luhn digit, known status/partner/tariff, duplicates inside the
file, an MSISDN or IMSI held by ANOTHER SIM in the database — even one this file deletes or
renumbers: swaps take two files —, deletes of SIMs in use, status changes of SIMs with a
subscriber, assigning an inactive partner or an archived tariff). One reason per rejected row,
the first found in REASONS order. If any row is rejected, nothing is imported.

How it stays fast and small for a million rows: the file is streamed twice (a sniffing pass for
the encoding and sha256, then a parsing pass), rows are validated in chunks and loaded into a
TEMP staging table (COPY on PostgreSQL, executemany on SQLite); the checks against the file
itself and the database, the counts, the samples for the preview and the writes are set-based
SQL over that table. The report holds counts and the first `sample_size` rows of each kind;
the rejects go to a CSV file or stream. On PostgreSQL the writing run takes an advisory lock,
so two imports at once run one after the other (the second sees the first's SIMs); on SQLite
the first write takes the database's write lock for the same effect. On PostgreSQL more than
PAYSIM_IMPORT_CHUNK_ROWS new SIMs are committed in paced chunks before the rest (see _apply_in_chunks:
why, and how it stays all or nothing).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, SQLModel, select

from paysim_app.core import audit, maintenance
from paysim_app.core.errors import DomainError, ValidationError
from paysim_app.core.export import neutralise
from paysim_app.core.pacing import Pacer
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.db import get_engine, session_scope
from paysim_app.i18n import t
from paysim_app.models import Partner, Tariff
from paysim_app.models.base import utcnow
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.settings import get_settings
from paysim_app.sims.sims import activation_code_hash

PERMISSION = "sims.import"
REQUIRED = ("iccid", "msisdn", "imsi")
OPTIONAL = ("status", "partner_code", "tariff_code", "action", "activation_code")
COLUMNS = ("iccid", "msisdn", "imsi", "status", "partner_code", "tariff_code", "action")
ACTIONS = ("upsert", "delete")
KINDS = ("create", "update", "delete", "unchanged", "reject")
# row-level reasons, in the order they are looked for (the first one found is reported)
REASONS = (
    "encoding",  # the line's bytes are neither UTF-8 nor sensible Windows-1251
    "cells",  # more cells than the header has columns
    "action_unknown",
    "iccid_missing",
    "iccid_scientific",  # Excel turned it into 8.9E+19
    "iccid_format",
    "iccid_luhn",
    "msisdn_missing",
    "msisdn_scientific",
    "msisdn_format",
    "imsi_missing",
    "imsi_scientific",
    "imsi_format",
    "status_unknown",
    "partner_unknown",
    "tariff_unknown",
    "activation_code_format",
    "duplicate_iccid",  # ref: the line where the ICCID first appears
    "duplicate_msisdn",
    "duplicate_imsi",
    "msisdn_taken",  # ref: the ICCID of the SIM that has it
    "imsi_taken",
    "partner_inactive",
    "tariff_archived",
    "sim_in_use",  # a delete of a SIM with a subscriber or history
    "status_in_use",  # a status change of a SIM with a subscriber
)
# whole-file refusals (ImportReport.error)
FILE_ERRORS = (
    "empty",
    "encoding",
    "not_csv",
    "no_header",
    "missing_columns",
    "quotes",
    "too_large",
    "gone",
)
SAMPLE_ROWS = 200
CHUNK_ROWS = 20_000
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
LOCK_KEY = 0x5349_4D49_4D50  # PostgreSQL advisory lock: one writing import at a time
STAGE = "sim_import_stage"
ROWS = "sim_import_rows"

_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+")
_MSISDN = re.compile(r"(?:\+7|7|8)(\d{10})")
_MSISDN_STRIP = str.maketrans("", "", " -()\u00a0.\t")
_DIGITS_STRIP = str.maketrans("", "", " -\u00a0\t")
_CODE = re.compile(r"[A-Za-z0-9\s-]{4,32}")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# what a Windows-1251 text of ours may contain: printable ASCII, Russian letters and the usual
# typographic signs; anything else (controls, Serbian letters, symbols) is not a real text
_NOT_SENSIBLE_1251 = re.compile(
    "[^\t\x20-\x7e\u0410-\u044f\u0401\u0451\u2116\u00ab\u00bb"
    "\u2013\u2014\u00a0\u201c\u201d\u201e\u2018\u2019\u2026]"
)
_DOUBLED = bytes.maketrans(b"0123456789", bytes((2 * d) // 10 + (2 * d) % 10 for d in range(10)))
logger = logging.getLogger(__name__)
_STORED = re.compile(r"[0-9a-f]{32}\.csv")
_REJECTS = re.compile(r"[0-9a-f]{32}\.rejects\.csv")


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class ImportRow:
    """One line of the file as the preview shows it (display values, not table rows)."""

    line: int
    kind: str  # create | update | delete | unchanged | reject
    iccid: str
    msisdn: str = ""
    imsi: str = ""
    status: str = ""
    partner_code: str = ""
    tariff_code: str = ""
    action: str = "upsert"
    reason: str = ""  # rejects: one of REASONS
    ref: str = ""  # rejects: the first line of a duplicate, or the ICCID holding a number
    changes: tuple[str, ...] = ()  # updates: "field: old → new"


@dataclass(frozen=True)
class ImportReport:
    file_name: str
    sha256: str
    size: int
    dry_run: bool
    applied: bool  # True only when the writes were made (dry_run False and nothing rejected)
    encoding: str = ""
    delimiter: str = ""
    rows: int = 0  # data rows read (blank lines are skipped)
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    rejected: int = 0
    samples: dict[str, tuple[ImportRow, ...]] = field(default_factory=dict)  # kind -> first rows
    error: str = ""  # a whole-file refusal: one of FILE_ERRORS ('' when the file was read)
    error_params: dict[str, str] = field(default_factory=dict)
    rejects_written: int = 0  # rows written to the rejects CSV
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and not self.rejected and self.rows > 0

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, KIND_FIELD[k]) for k in KINDS}


KIND_FIELD = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "unchanged": "unchanged",
    "reject": "rejected",
}


def cli_actor() -> Actor:
    """Who `python -m paysim_app import-sims` acts as without --admin: the server's operator
    (whoever may run commands there may change the database anyway); audited without a user."""
    return Actor(
        user_id=0,
        role="admin",
        full_name="command line",
        login="cli",
        locale="en",
        permissions=frozenset({PERMISSION}),
    )


def reason_text(reason: str, locale: str = "ru", ref: str = "") -> str:
    return t(f"sim_import.reason.{reason}", locale, ref=ref)


def error_text(report: ImportReport, locale: str = "ru") -> str:
    return t(f"sim_import.error.{report.error}", locale, **report.error_params)


# --------------------------------------------------------------------------- reading the file


@dataclass
class _Sniff:
    sha256: str
    size: int
    encoding: str  # utf-8 | utf-8-sig | cp1251
    bad_lines: set[int]
    error: str = ""


def _sniff(fh: BinaryIO) -> _Sniff:
    """One pass over the bytes: sha256, size, and the encoding (with the lines that are broken)."""
    digest, size = hashlib.sha256(), 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = clean = True
    head = b""
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < 8:
            head += chunk[:8]
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        if clean and _CONTROL.search(chunk):
            clean = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    sniff = _Sniff(digest.hexdigest(), size, "utf-8", set())
    bom = head.startswith(codecs.BOM_UTF8)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # an .xlsx / .xls workbook
        sniff.error = "not_csv"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 ("Unicode text" in Excel)
        sniff.error = "encoding"
    if sniff.error or (utf8 and clean):
        sniff.encoding = "utf-8-sig" if bom else "utf-8"
        return sniff
    # the slow path, only for files with broken or non-UTF-8 lines: decide line by line
    fh.seek(0)
    bad_utf8: set[int] = set()
    good_non_ascii = 0
    for number, raw in enumerate(fh, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_utf8.add(number)
            continue
        if _CONTROL.search(raw):
            bad_utf8.add(number)
        elif not raw.isascii():
            good_non_ascii += 1
    if bom or good_non_ascii > len(bad_utf8):
        sniff.encoding, sniff.bad_lines = ("utf-8-sig" if bom else "utf-8"), bad_utf8
        return sniff
    fh.seek(0)
    sniff.encoding = "cp1251"
    for number, raw in enumerate(fh, start=1):
        try:
            decoded = raw.decode("cp1251")
        except UnicodeDecodeError:
            sniff.bad_lines.add(number)
            continue
        if _NOT_SENSIBLE_1251.search(decoded.rstrip("\r\n")):
            sniff.bad_lines.add(number)
    return sniff


def _text_lines(fh: BinaryIO, sniff: _Sniff) -> Iterator[str]:
    """The file's lines as text (line endings kept, for the csv module)."""
    fh.seek(0)
    if not sniff.bad_lines:
        wrapper = io.TextIOWrapper(fh, encoding=sniff.encoding, newline="")
        try:
            yield from wrapper
        finally:
            try:
                wrapper.detach()
            except ValueError:  # the file was closed first
                pass
        return
    encoding = "utf-8" if sniff.encoding.startswith("utf-8") else sniff.encoding
    for raw in fh:
        yield raw.decode(encoding, errors="replace")


def _clean(cell: str) -> str:
    """A cell without surrounding spaces and without the apostrophe that marks text in Excel
    (and that core.export puts before a cell that looks like a formula)."""
    cell = cell.strip()
    if cell.startswith("'"):
        cell = cell[1:].strip()
    return cell


def _code_hash(code: str) -> str:
    """sims.sims.activation_code_hash, with a shortcut for codes already without spaces
    and dashes (the same result)."""
    if code.isalnum() and code.isascii():
        return hashlib.sha256(f"paysim-activation:{code.upper()}".encode()).hexdigest()
    return activation_code_hash(code)


def _luhn_ok(digits: str) -> bool:
    """The Luhn check digit of an ASCII digit string (sums over bytes: fast)."""
    data = digits.encode("ascii")
    plain = data[-1::-2]
    return (sum(plain) - 48 * len(plain) + sum(data[-2::-2].translate(_DOUBLED))) % 10 == 0


def _iccid(raw: str) -> tuple[str, str]:
    """(normalised ICCID, '') or (raw, reason)."""
    if raw.isdigit() and raw.isascii() and 19 <= len(raw) <= 20:  # the usual case, fast
        return (raw, "") if _luhn_ok(raw) else (raw, "iccid_luhn")
    if not raw:
        return raw, "iccid_missing"
    if _SCIENTIFIC.fullmatch(raw):
        return raw, "iccid_scientific"
    digits = raw.translate(_DIGITS_STRIP)
    if not (digits.isdigit() and digits.isascii() and 19 <= len(digits) <= 20):
        return raw, "iccid_format"
    if not _luhn_ok(digits):
        return digits, "iccid_luhn"
    return digits, ""


def normalise_msisdn(raw: str) -> str | None:
    """+7 and 10 digits from 8XXXXXXXXXX, +7..., 7... with spaces/dashes/brackets; else None."""
    match = _MSISDN.fullmatch(raw.translate(_MSISDN_STRIP))
    if match is None or not match.group(1).isascii():
        return None
    return "+7" + match.group(1)


def _msisdn(raw: str) -> tuple[str, str]:
    if len(raw) == 12 and raw.startswith("+7") and raw[2:].isdigit() and raw.isascii():
        return raw, ""  # already +7XXXXXXXXXX
    if not raw:
        return raw, "msisdn_missing"
    if _SCIENTIFIC.fullmatch(raw):
        return raw, "msisdn_scientific"
    normal = normalise_msisdn(raw)
    return (normal, "") if normal else (raw, "msisdn_format")


def _imsi(raw: str) -> tuple[str, str]:
    if len(raw) == 15 and raw.isdigit() and raw.isascii():
        return raw, ""
    if not raw:
        return raw, "imsi_missing"
    if _SCIENTIFIC.fullmatch(raw):
        return raw, "imsi_scientific"
    digits = raw.translate(_DIGITS_STRIP)
    if not (digits.isdigit() and digits.isascii() and len(digits) == 15):
        return raw, "imsi_format"
    return digits, ""


@dataclass
class _Codes:
    """Partner and tariff codes -> (id, usable); exact match first, then case-insensitive."""

    ids: dict[str, tuple[int, bool]]
    folded: dict[str, tuple[int, bool]]
    by_id: dict[int, str]

    @classmethod
    def load(cls, session: Session, model, usable) -> _Codes:
        ids, folded, by_id = {}, {}, {}
        for row in session.execute(select(model.id, model.code, usable)).all():
            ids[row[1]] = (row[0], bool(row[2]))
            folded.setdefault(row[1].upper(), (row[0], bool(row[2])))
            by_id[row[0]] = row[1]
        return cls(ids, folded, by_id)

    def find(self, code: str) -> tuple[int, bool] | None:
        return self.ids.get(code) or self.folded.get(code.upper())


@dataclass
class _Header:
    delimiter: str
    index: dict[str, int]  # known column -> position
    width: int
    first_data_line: int  # line number after the header
    lines: Iterator[str]  # the rest of the file


def _header(lines: Iterator[str], bad_lines: set[int]) -> tuple[_Header | None, str, dict]:
    """Find the header: (header, '', {}) or (None, error code, params)."""
    number, delimiter = 0, ""
    for line in lines:
        number += 1
        stripped = line.strip().lstrip("\ufeff").strip()
        if not stripped or not stripped.strip(",;"):
            continue
        if number in bad_lines:
            return None, "encoding", {}
        if stripped.lower().startswith("sep=") and len(stripped) == 5:  # Excel's sep=; line
            delimiter = stripped[4]
            continue
        delimiter = delimiter or (";" if stripped.count(";") > stripped.count(",") else ",")
        cells = [
            c.strip().strip('"').strip().lower()
            for c in next(csv.reader([stripped], delimiter=delimiter))
        ]
        index: dict[str, int] = {}
        for position, name in enumerate(cells):
            if name in REQUIRED + OPTIONAL and name not in index:
                index[name] = position
        if not index:
            return None, "no_header", {}
        missing = [c for c in REQUIRED if c not in index]
        if missing:
            return None, "missing_columns", {"columns": ", ".join(missing)}
        return _Header(delimiter, index, len(cells), number + 1, lines), "", {}
    return None, "empty", {}


# --------------------------------------------------------------------------- SQL helpers


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _distinct(session: Session, a: str, b: str) -> str:
    return f"({a} IS DISTINCT FROM {b})" if _postgres(session) else f"({a} IS NOT {b})"


def _sql(session: Session, statement: str, **params) -> object:
    return session.execute(text(statement), params)


_STAGE_COLUMNS = (
    "line",
    "action",
    "iccid",
    "msisdn",
    "imsi",
    "status",
    "partner_code",
    "tariff_code",
    "activation_code",
    "partner_id",
    "tariff_id",
    "code_hash",
    "flags",  # 1: the partner is inactive, 2: the tariff is archived
    "valid",  # 1: iccid, 2: msisdn, 4: imsi are well-formed
    "reason",
    "ref",
)


def _create_stage(session: Session) -> None:
    _drop_tables(session)
    _sql(
        session,
        f"""CREATE TEMP TABLE {STAGE} (
            line INTEGER NOT NULL, action TEXT NOT NULL, iccid TEXT NOT NULL,
            msisdn TEXT NOT NULL, imsi TEXT NOT NULL, status TEXT NOT NULL,
            partner_code TEXT NOT NULL, tariff_code TEXT NOT NULL, activation_code TEXT NOT NULL,
            partner_id INTEGER, tariff_id INTEGER, code_hash TEXT,
            flags INTEGER NOT NULL, valid INTEGER NOT NULL, reason TEXT, ref TEXT)""",
    )


def _drop_tables(session: Session) -> None:
    for table in (ROWS, STAGE):
        _sql(session, f"DROP TABLE IF EXISTS {table}")


class _BrokenQuotes(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class _Stager:
    """Takes staged rows one by one: PostgreSQL gets them through one COPY that runs while the
    file is still being parsed (the server ingests as Python parses); SQLite gets executemany
    per CHUNK_ROWS rows."""

    def __init__(self, session: Session):
        self.session = session
        self.rows: list[tuple] = []
        self._copy = self._cursor = self._context = None

    def __enter__(self) -> _Stager:
        if _postgres(self.session):
            raw = self.session.connection().connection.dbapi_connection
            self._cursor = raw.cursor()
            self._context = self._cursor.copy(
                f"COPY {STAGE} ({', '.join(_STAGE_COLUMNS)}) FROM STDIN"
            )
            self._copy = self._context.__enter__()
        return self

    def add(self, row: tuple) -> None:
        if self._copy is not None:
            self._copy.write_row(row)
            return
        self.rows.append(row)
        if len(self.rows) >= CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            marks = ", ".join("?" * len(_STAGE_COLUMNS))
            self.session.connection().exec_driver_sql(
                f"INSERT INTO {STAGE} ({', '.join(_STAGE_COLUMNS)}) VALUES ({marks})", self.rows
            )
            self.rows = []

    def __exit__(self, kind, error, trace) -> None:
        if self._context is not None:
            try:
                self._context.__exit__(kind, error, trace)
            finally:
                self._cursor.close()
        elif kind is None:
            self._flush()


def _referencing_tables() -> list[tuple[str, str]]:
    """(table, column) of every foreign key to sim.id: a SIM with any of them is in use."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "sim" and fk.column.name == "id" and table.name != "sim":
                found.append((table.name, fk.parent.name))
    return sorted(found)


# The kind of a staged row, computed from its checks (no full-table UPDATE needed).
KIND_SQL = """CASE
    WHEN reason IS NOT NULL THEN 'reject'
    WHEN action = 'delete' THEN CASE WHEN sim_id IS NULL THEN 'unchanged' ELSE 'delete' END
    WHEN sim_id IS NULL THEN 'create'
    WHEN changed = 1 THEN 'update'
    ELSE 'unchanged' END"""


def _build_rows(session: Session, pacer: Pacer) -> None:
    """Join the staged lines with the SIMs they name; compute target values and `changed`.
    Here and in _check_rows each statement over the whole file is a pacer's batch: on a
    million lines each takes a core for seconds, and the web workers beside it want theirs."""
    d = lambda a, b: _distinct(session, a, b)  # noqa: E731
    _sql(
        session,
        f"""CREATE TEMP TABLE {ROWS} AS
        SELECT x.*, CASE WHEN x.sim_id IS NOT NULL AND (
                {d("x.msisdn", "x.cur_msisdn")} OR {d("x.imsi", "x.cur_imsi")}
                OR {d("x.t_status", "x.cur_status")} OR {d("x.t_partner_id", "x.cur_partner_id")}
                OR {d("x.t_tariff_id", "x.cur_tariff_id")}
                OR {d("x.t_code_hash", "x.cur_code_hash")}) THEN 1 ELSE 0 END AS changed
        FROM (
            SELECT s.*, sim.id AS sim_id, sim.msisdn AS cur_msisdn, sim.imsi AS cur_imsi,
                sim.status AS cur_status, sim.partner_id AS cur_partner_id,
                sim.tariff_id AS cur_tariff_id, sim.activation_code_hash AS cur_code_hash,
                sim.subscriber_id AS cur_subscriber_id,
                CASE WHEN s.status = '' THEN COALESCE(sim.status, 'in_stock')
                     ELSE s.status END AS t_status,
                CASE WHEN s.partner_code = '' THEN sim.partner_id
                     ELSE s.partner_id END AS t_partner_id,
                CASE WHEN s.tariff_code = '' THEN sim.tariff_id ELSE s.tariff_id END AS t_tariff_id,
                CASE WHEN s.activation_code = '' THEN sim.activation_code_hash
                     ELSE s.code_hash END AS t_code_hash
            FROM {STAGE} s LEFT JOIN sim ON sim.iccid = s.iccid AND (s.valid & 1) = 1
        ) x""",
    )
    pacer.batch_done()
    if _postgres(session):
        _sql(session, f"ANALYZE {ROWS}")  # without statistics the checks can pick awful plans


def _check_rows(session: Session, pacer: Pacer) -> None:
    """The checks that need the whole file or the database, each on the rows still clean."""
    for column, bit, reason, only_upserts in (
        ("iccid", 1, "duplicate_iccid", False),
        ("msisdn", 2, "duplicate_msisdn", True),
        ("imsi", 4, "duplicate_imsi", True),
    ):
        inner = " AND action = 'upsert'" if only_upserts else ""
        outer = f" AND {ROWS}.action = 'upsert'" if only_upserts else ""
        _sql(
            session,
            f"""UPDATE {ROWS} SET reason = '{reason}', ref = CAST(d.first AS TEXT)
            FROM (SELECT {column} AS v, min(line) AS first FROM {ROWS}
                  WHERE (valid & {bit}) = {bit}{inner}
                  GROUP BY {column} HAVING count(*) > 1) d
            WHERE {ROWS}.{column} = d.v AND {ROWS}.line > d.first AND {ROWS}.reason IS NULL
              AND ({ROWS}.valid & {bit}) = {bit}{outer}""",
        )
        pacer.batch_done()
    for column, reason in (("msisdn", "msisdn_taken"), ("imsi", "imsi_taken")):
        _sql(
            session,
            f"""UPDATE {ROWS} SET reason = '{reason}', ref = sim.iccid FROM sim
            WHERE {ROWS}.reason IS NULL AND {ROWS}.action = 'upsert'
              AND sim.{column} = {ROWS}.{column} AND sim.iccid <> {ROWS}.iccid""",
        )
        pacer.batch_done()
    d = lambda a, b: _distinct(session, a, b)  # noqa: E731
    _sql(
        session,
        f"""UPDATE {ROWS} SET reason = 'partner_inactive'
        WHERE reason IS NULL AND (flags & 1) = 1 AND {d("t_partner_id", "cur_partner_id")}""",
    )
    pacer.batch_done()
    _sql(
        session,
        f"""UPDATE {ROWS} SET reason = 'tariff_archived'
        WHERE reason IS NULL AND (flags & 2) = 2 AND {d("t_tariff_id", "cur_tariff_id")}""",
    )
    pacer.batch_done()
    used = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE {table}.{column} = {ROWS}.sim_id)"
        for table, column in _referencing_tables()
    )
    _sql(
        session,
        f"""UPDATE {ROWS} SET reason = 'sim_in_use'
        WHERE reason IS NULL AND action = 'delete' AND sim_id IS NOT NULL
          AND (cur_subscriber_id IS NOT NULL{" OR " + used if used else ""})""",
    )
    pacer.batch_done()
    _sql(
        session,
        f"""UPDATE {ROWS} SET reason = 'status_in_use'
        WHERE reason IS NULL AND action = 'upsert' AND sim_id IS NOT NULL
          AND cur_subscriber_id IS NOT NULL AND t_status <> cur_status""",
    )
    pacer.batch_done()


def _counts(session: Session) -> dict[str, int]:
    rows = _sql(
        session, f"SELECT {KIND_SQL} AS kind, count(*) AS n FROM {ROWS} GROUP BY kind"
    ).all()
    found = {k: 0 for k in KINDS}
    found.update({kind: n for kind, n in rows})
    return found


def _samples(
    session: Session, kind: str, limit: int, partners: _Codes, tariffs: _Codes
) -> tuple[ImportRow, ...]:
    if limit <= 0:
        return ()
    rows = _sql(
        session,
        f"""SELECT line, action, iccid, msisdn, imsi, status, t_status, partner_code,
            tariff_code, reason, ref, cur_msisdn, cur_imsi, cur_status, cur_partner_id,
            t_partner_id, cur_tariff_id, t_tariff_id, cur_code_hash, t_code_hash
        FROM {ROWS} WHERE {KIND_SQL} = :kind ORDER BY line LIMIT :limit""",
        kind=kind,
        limit=limit,
    ).mappings()
    out = []
    for r in rows:
        changes: list[str] = []
        status, partner, tariff = r["status"], r["partner_code"], r["tariff_code"]
        if kind in ("create", "update", "unchanged") and r["action"] == "upsert":
            status = r["t_status"]
            partner = partners.by_id.get(r["t_partner_id"], "") if r["t_partner_id"] else ""
            tariff = tariffs.by_id.get(r["t_tariff_id"], "") if r["t_tariff_id"] else ""
        if kind == "update":
            pairs = (
                ("msisdn", r["cur_msisdn"], r["msisdn"]),
                ("imsi", r["cur_imsi"], r["imsi"]),
                ("status", r["cur_status"], r["t_status"]),
                (
                    "partner_code",
                    partners.by_id.get(r["cur_partner_id"], "") if r["cur_partner_id"] else "",
                    partner,
                ),
                (
                    "tariff_code",
                    tariffs.by_id.get(r["cur_tariff_id"], "") if r["cur_tariff_id"] else "",
                    tariff,
                ),
            )
            changes = [
                f"{name}: {old or '—'} → {new or '—'}" for name, old, new in pairs if old != new
            ]
            if r["cur_code_hash"] != r["t_code_hash"]:
                changes.append("activation_code")
        out.append(
            ImportRow(
                line=r["line"],
                kind=kind,
                iccid=r["iccid"],
                msisdn=r["msisdn"],
                imsi=r["imsi"],
                status=status,
                partner_code=partner,
                tariff_code=tariff,
                action=r["action"],
                reason=r["reason"] or "",
                ref=r["ref"] or "",
                changes=tuple(changes),
            )
        )
    return tuple(out)


def _write_rejects(
    session: Session, target: str | os.PathLike | IO[str], with_code: bool, locale: str
) -> int:
    """The rejected rows as a CSV to fix and upload again: the same columns plus `reason`
    (which names the line), every cell neutralised against spreadsheet formulas."""
    header = [*COLUMNS, *(["activation_code"] if with_code else []), "reason"]
    delimiter = ";" if locale == "ru" else ","
    own = not hasattr(target, "write")
    out = open(target, "w", encoding="utf-8", newline="") if own else target  # noqa: SIM115
    written = 0
    try:
        if locale == "ru":
            out.write("\ufeff")  # Russian Excel reads UTF-8 only with the BOM
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        result = session.execute(
            text(
                f"""SELECT line, iccid, msisdn, imsi, status, partner_code, tariff_code, action,
                    activation_code, reason, ref FROM {ROWS} WHERE reason IS NOT NULL
                    ORDER BY line"""
            ).execution_options(yield_per=5000)
        )
        for r in result:
            cells = [r.iccid, r.msisdn, r.imsi, r.status, r.partner_code, r.tariff_code, r.action]
            if with_code:
                cells.append(r.activation_code)
            line = t("sim_import.line", locale, line=r.line)
            cells.append(f"{line}: {reason_text(r.reason, locale, r.ref or '')}")
            writer.writerow([neutralise(c) for c in cells])
            written += 1
    finally:
        if own:
            out.close()
    return written


def _lock(session: Session) -> None:
    """Writing imports run one at a time: the second waits and then sees the first's SIMs."""
    if _postgres(session):
        _sql(session, "SELECT pg_advisory_xact_lock(:key)", key=LOCK_KEY)
    else:
        # any write takes SQLite's database lock (held to the end of the transaction)
        _sql(session, "UPDATE sim SET id = id WHERE 1 = 0")


def _apply(session: Session, creates: int, pacer: Pacer, finish: Callable[[], None]) -> None:
    """Write the checked rows (deletes, updates, then the new SIMs in line order), then call
    `finish` (the audit entry) in the same transaction as the last writes."""
    chunk = get_settings().paysim_import_chunk_rows
    if _postgres(session) and chunk and creates > chunk:
        _apply_in_chunks(session, chunk, pacer, finish)
    else:
        _apply_rest(session, utcnow(), with_creates=True)
        finish()


def _apply_rest(session: Session, now, with_creates: bool) -> None:
    _sql(
        session,
        f"""DELETE FROM sim WHERE id IN (
            SELECT sim_id FROM {ROWS} WHERE reason IS NULL AND action = 'delete'
                AND sim_id IS NOT NULL)""",
    )
    _sql(
        session,
        f"""UPDATE sim SET msisdn = r.msisdn, imsi = r.imsi, status = r.t_status,
            partner_id = r.t_partner_id, tariff_id = r.t_tariff_id,
            activation_code_hash = r.t_code_hash, updated_at = :now,
            activated_at = CASE WHEN r.t_status = 'active' AND sim.activated_at IS NULL
                THEN :now ELSE sim.activated_at END
        FROM {ROWS} r
        WHERE sim.id = r.sim_id AND r.reason IS NULL AND r.action = 'upsert' AND r.changed = 1""",
        now=now,
    )
    if with_creates:
        _insert_creates(session, now)
    if _postgres(session):
        # fresh statistics with the rows: after a million new SIMs the planner's old picture
        # makes the filtered SIM list walk the primary key, and autovacuum may be off or late.
        # ANALYZE counts this transaction's own new rows.
        _sql(session, "ANALYZE sim")


_CREATES = f"FROM {ROWS} WHERE reason IS NULL AND action = 'upsert' AND sim_id IS NULL"


def _insert_creates(session: Session, now, lines: tuple[int, int] | None = None) -> None:
    """INSERT the new SIMs, all of them or those of the file lines [first, end)."""
    within = " AND line >= :first AND line < :end" if lines else ""
    first, end = lines or (0, 0)
    _sql(
        session,
        f"""INSERT INTO sim (iccid, msisdn, imsi, status, partner_id, tariff_id,
            activation_code_hash, label, balance_kop, billing_day, puk, activated_at,
            created_at, updated_at)
        SELECT iccid, msisdn, imsi, t_status, t_partner_id, t_tariff_id, t_code_hash, '', 0, 1,
            '', CASE WHEN t_status = 'active' THEN :now END, :now, :now
        {_CREATES}{within} ORDER BY line""",
        now=now,
        first=first,
        end=end,
    )


def _apply_in_chunks(
    session: Session, chunk: int, pacer: Pacer, finish: Callable[[], None]
) -> None:
    """PostgreSQL, many new SIMs: commit them in chunks of `chunk` file lines first,
    then the deletes, updates (and the caller's audit entry) in the caller's transaction.

    Why: one transaction inserting a million SIMs leaves a million uncommitted entries at the
    top of the SIM primary key, and every newest-first SIM list page walks backward through
    them checking each one's visibility for as long as the import runs. With chunks at most one
    chunk is uncommitted, and a Pacer between chunks leaves CPU to the web workers.

    All or nothing still holds for every failure the code sees: the checks ran under the lock
    before the first chunk, and a failed chunk or later statement removes the SIMs the earlier
    chunks committed (they are new, nothing refers to them yet). A crash in the middle leaves
    the committed chunks: importing the same file again shows them as unchanged and creates
    the rest. The commits go through the DBAPI connection so that the session keeps this
    connection and its TEMP tables; a session-level advisory lock keeps other imports out
    between the transactions (the transaction-level one ends with the first commit).
    """
    now = utcnow()
    raw = session.connection().connection.dbapi_connection
    _sql(session, "SELECT pg_advisory_lock(:key)", key=LOCK_KEY)
    first, last = _sql(session, f"SELECT min(line), max(line) {_CREATES}").one()
    committed_to = first  # the lines before this one are committed
    try:
        _sql(session, f"CREATE INDEX ON {ROWS} (line)")
        while committed_to <= last:
            end = committed_to + chunk
            _insert_creates(session, now, (committed_to, end))
            raw.commit()
            committed_to = end
            pacer.batch_done()
        _lock(session)  # the transaction-level lock again, for the caller's commit
        _apply_rest(session, now, with_creates=False)
        finish()
    except BaseException:
        raw.rollback()
        _remove_created(session, raw, first, committed_to)
        raise
    finally:
        _unlock(session)


def _remove_created(session: Session, raw, first: int, end: int) -> None:
    """Undo the committed chunks of a failed import (best effort: it is already failing)."""
    if end <= first:
        return  # nothing was committed (nor the TEMP tables: they went with the rollback)
    try:
        _sql(
            session,
            f"DELETE FROM sim WHERE iccid IN (SELECT iccid {_CREATES} "
            "AND line >= :first AND line < :end)",
            first=first,
            end=end,
        )
        _drop_tables(session)  # they outlived the first commit: not left on a pooled connection
        raw.commit()
        logger.warning("SIM import failed: removed the SIMs of lines %s..%s", first, end - 1)
    except Exception:
        raw.rollback()
        logger.exception("SIM import failed and its SIMs of lines %s..%s stay", first, end - 1)


def _unlock(session: Session) -> None:
    try:
        _sql(session, "SELECT pg_advisory_unlock(:key)", key=LOCK_KEY)
    except Exception:
        # a pooled connection must never keep the lock: closing it releases every lock it holds
        session.connection().invalidate()
        raise


# --------------------------------------------------------------------------- the import


@verb
def import_sims(
    session: Session,
    actor: Actor,
    source: str | os.PathLike | bytes,
    *,
    file_name: str = "",
    dry_run: bool = True,
    sample_size: int = SAMPLE_ROWS,
    rejects_to: str | os.PathLike | IO[str] | None = None,
) -> ImportReport:
    """Check a CSV of SIMs and, unless `dry_run` or any row is rejected, apply it in the
    caller's transaction (the caller commits; an exception means roll back). `source` is a file
    path or the file's bytes. The rejected rows go to `rejects_to` (a path or a text stream)
    when given and there are any. One audit entry per applied import."""
    require(actor, PERMISSION)
    started = time.perf_counter()
    name = Path(str(file_name or (source if not isinstance(source, bytes) else "import.csv"))).name
    fh: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    try:
        return _import(session, actor, fh, name, dry_run, max(0, sample_size), rejects_to, started)
    finally:
        fh.close()


def _import(session, actor, fh, name, dry_run, sample_size, rejects_to, started) -> ImportReport:
    sniff = _sniff(fh)
    base = {"file_name": name, "sha256": sniff.sha256, "size": sniff.size, "dry_run": dry_run}

    def refusal(code: str, params: dict | None = None) -> ImportReport:
        return ImportReport(
            **base,
            applied=False,
            encoding=sniff.encoding,
            error=code,
            error_params=params or {},
            seconds=round(time.perf_counter() - started, 3),
        )

    if sniff.error:
        return refusal(sniff.error)
    if sniff.size == 0:
        return refusal("empty")
    lines = _text_lines(fh, sniff)
    try:
        header, error, params = _header(lines, sniff.bad_lines)
        if header is None:
            return refusal(error, params)
        partners = _Codes.load(session, Partner, Partner.is_active)
        tariffs = _Codes.load(session, Tariff, ~Tariff.is_archived)
        if _postgres(session):
            # big sorts and hashes in memory; no JIT (compiling the checks costs seconds); no
            # parallel workers: an import takes one core and leaves the others to the web
            _sql(session, "SET LOCAL work_mem = '256MB'")
            _sql(session, "SET LOCAL jit = off")
            _sql(session, "SET LOCAL max_parallel_workers_per_gather = 0")
        _create_stage(session)
        try:
            rows = _stage_file(session, header, sniff.bad_lines, partners, tariffs)
        except _BrokenQuotes as broken:
            _drop_tables(session)
            return refusal("quotes", {"line": str(broken.line)})
    finally:
        lines.close()
    if rows == 0:
        _drop_tables(session)
        return refusal("empty")
    try:
        if not dry_run:
            _lock(session)
        pacer = Pacer(get_settings().paysim_import_pace)
        _build_rows(session, pacer)
        _check_rows(session, pacer)
        counts = _counts(session)
        samples = {k: _samples(session, k, sample_size, partners, tariffs) for k in KINDS}
        written = 0
        if rejects_to is not None and counts["reject"]:
            with_code = "activation_code" in header.index
            written = _write_rejects(session, rejects_to, with_code, actor.locale)
        applied = not dry_run and counts["reject"] == 0
        if applied:

            def record() -> None:
                audit.record(
                    session,
                    actor if actor.user_id else None,
                    "sim.import",
                    "sim",
                    "",
                    after={
                        "file": name,
                        "sha256": sniff.sha256,
                        "rows": rows,
                        **{KIND_FIELD[k]: counts[k] for k in KINDS if k != "reject"},
                    },
                )

            _apply(session, counts["create"], pacer, record)
        _drop_tables(session)
    except IntegrityError as exc:  # a SIM written meanwhile by someone else (not an import)
        raise DomainError("sim_import.error.conflict") from exc
    except OperationalError as exc:
        if "lock" in str(exc).lower():
            raise DomainError("sim_import.error.busy") from exc
        raise
    return ImportReport(
        **base,
        applied=applied,
        encoding=sniff.encoding,
        delimiter=header.delimiter,
        rows=rows,
        created=counts["create"],
        updated=counts["update"],
        deleted=counts["delete"],
        unchanged=counts["unchanged"],
        rejected=counts["reject"],
        samples=samples,
        rejects_written=written,
        seconds=round(time.perf_counter() - started, 3),
    )


def _stage_file(
    session: Session, header: _Header, bad_lines: set[int], partners: _Codes, tariffs: _Codes
) -> int:
    """Parse and check every data line on its own, load them into the staging table in chunks;
    returns the number of data rows (blank lines are not rows)."""
    width = header.width
    # a column the file lacks reads the empty cell added at the end of every row
    at = {c: header.index.get(c, width) for c in REQUIRED + OPTIONAL}
    i_action, i_iccid, i_msisdn, i_imsi = at["action"], at["iccid"], at["msisdn"], at["imsi"]
    i_status, i_partner, i_tariff, i_code = (
        at["status"],
        at["partner_code"],
        at["tariff_code"],
        at["activation_code"],
    )
    statuses = frozenset(SIM_STATUSES)
    order = {reason: n for n, reason in enumerate(REASONS)}
    reader = csv.reader(header.lines, delimiter=header.delimiter)
    offset = header.first_data_line - 1
    previous_end = offset
    rows = 0
    broken_at = 0
    with _Stager(session) as stager:
        try:
            for cells in reader:
                start, end = previous_end + 1, offset + reader.line_num
                previous_end = end
                joined = "".join(cells)
                if not joined or joined.isspace():
                    continue
                rows += 1
                reasons: list[str] = []
                if bad_lines and any(n in bad_lines for n in range(start, end + 1)):
                    reasons.append("encoding")
                    cells = [
                        _CONTROL_TEXT.sub("", c) for c in cells
                    ]  # PostgreSQL refuses NUL in text
                if len(cells) > width:
                    if any(c.strip() for c in cells[width:]):
                        reasons.append("cells")
                    cells = cells[:width]
                elif len(cells) < width:
                    cells += [""] * (width - len(cells))
                if "'" in joined:
                    cells = [_clean(c) for c in cells]
                elif " " in joined or "\t" in joined or "\u00a0" in joined:
                    cells = [c.strip() for c in cells]
                cells.append("")
                action = cells[i_action].lower() or "upsert"
                if action not in ACTIONS:
                    reasons.append("action_unknown")
                iccid, why = _iccid(cells[i_iccid])
                valid = 0 if why else 1
                if why:
                    reasons.append(why)
                status = cells[i_status].lower()
                partner_code, tariff_code, code = cells[i_partner], cells[i_tariff], cells[i_code]
                partner_id = tariff_id = code_hash = None
                flags = 0
                if action == "delete":
                    msisdn, imsi = cells[i_msisdn], cells[i_imsi]
                else:
                    msisdn, why = _msisdn(cells[i_msisdn])
                    if why:
                        reasons.append(why)
                    else:
                        valid |= 2
                    imsi, why = _imsi(cells[i_imsi])
                    if why:
                        reasons.append(why)
                    else:
                        valid |= 4
                    if status and status not in statuses:
                        reasons.append("status_unknown")
                    if partner_code:
                        found = partners.find(partner_code)
                        if found is None:
                            reasons.append("partner_unknown")
                        else:
                            partner_id = found[0]
                            partner_code = partners.by_id[partner_id]
                            flags |= 0 if found[1] else 1
                    if tariff_code:
                        found = tariffs.find(tariff_code)
                        if found is None:
                            reasons.append("tariff_unknown")
                        else:
                            tariff_id = found[0]
                            tariff_code = tariffs.by_id[tariff_id]
                            flags |= 0 if found[1] else 2
                    if code:
                        if _CODE.fullmatch(code):
                            code_hash = _code_hash(code)
                        else:
                            reasons.append("activation_code_format")
                reason = min(reasons, key=order.__getitem__) if reasons else None
                stager.add(
                    (
                        start,
                        action,
                        iccid,
                        msisdn,
                        imsi,
                        status,
                        partner_code,
                        tariff_code,
                        code,
                        partner_id,
                        tariff_id,
                        code_hash,
                        flags,
                        valid,
                        reason,
                        None,
                    )
                )
        except csv.Error:  # e.g. a quote never closed: the rest of the file became one cell
            broken_at = previous_end + 1
    if broken_at:
        raise _BrokenQuotes(broken_at)
    if rows and _postgres(session):
        _sql(session, f"ANALYZE {STAGE}")
    return rows


# --------------------------------------------------------------------------- stored uploads


@dataclass(frozen=True)
class StoredImport:
    name: str  # as the user called it (display and audit only)
    stored: str  # our random file name in imports_dir()


def imports_dir() -> Path:
    """Uploaded import files wait here between preview and confirm (random names)."""
    folder = Path(get_settings().paysim_attachments_dir).parent / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _display_name(name: str) -> str:
    return re.sub(r"[^\w.\- ]", "_", Path(name or "").name)[-100:] or "import.csv"


class UploadWriter:
    """Streams an uploaded file into imports_dir() under a random name; refuses one over
    MAX_UPLOAD_BYTES (the partial file is removed). Files older than a day are swept."""

    def __init__(self, actor: Actor, name: str, limit: int = MAX_UPLOAD_BYTES):
        require(actor, PERMISSION)
        self.name = _display_name(name)
        self.stored = f"{secrets.token_hex(16)}.csv"
        self.limit = limit
        self.size = 0
        _sweep()
        self._path = imports_dir() / self.stored
        self._file = open(self._path, "wb")  # noqa: SIM115

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise ValidationError("sim_import.error.too_large", field="file", mb=self.limit >> 20)
        self._file.write(chunk)

    def abort(self) -> None:
        self._file.close()
        self._path.unlink(missing_ok=True)

    def finish(self) -> StoredImport:
        self._file.close()
        return StoredImport(self.name, self.stored)


def store_upload(actor: Actor, data: bytes, name: str) -> StoredImport:
    """Keep an uploaded file (given whole) for preview and confirm."""
    writer = UploadWriter(actor, name)
    writer.write(data)
    return writer.finish()


def _sweep(max_age_seconds: int = 24 * 3600) -> None:
    cutoff = time.time() - max_age_seconds
    for path in imports_dir().glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass


def _stored_path(stored: str) -> Path:
    if not _STORED.fullmatch(stored or ""):
        raise ValidationError("sim_import.error.gone", field="file")
    return imports_dir() / stored


def rejects_name(stored: str) -> str:
    return stored.removesuffix(".csv") + ".rejects.csv"


@verb
def preview_upload(
    session: Session, actor: Actor, upload: StoredImport, sample_size: int = SAMPLE_ROWS
) -> ImportReport:
    """The dry run of a stored upload; its rejects CSV is kept beside it (read_rejects)."""
    require(actor, PERMISSION)
    path = _stored_path(upload.stored)
    if not path.exists():
        return _gone(upload, True)
    rejects = imports_dir() / rejects_name(upload.stored)
    rejects.unlink(missing_ok=True)
    return import_sims(
        session,
        actor,
        path,
        file_name=upload.name,
        dry_run=True,
        sample_size=sample_size,
        rejects_to=rejects,
    )


@verb
def confirm_upload(
    session: Session, actor: Actor, upload: StoredImport, sample_size: int = SAMPLE_ROWS
) -> ImportReport:
    """Check the stored upload again against the database as it is now and apply it (all or
    nothing, in the caller's transaction). The caller deletes the upload after its commit
    (discard_upload)."""
    require(actor, PERMISSION)
    path = _stored_path(upload.stored)
    if not path.exists():
        return _gone(upload, False)
    rejects = imports_dir() / rejects_name(upload.stored)
    rejects.unlink(missing_ok=True)
    return import_sims(
        session,
        actor,
        path,
        file_name=upload.name,
        dry_run=False,
        sample_size=sample_size,
        rejects_to=rejects,
    )


def run_upload_job(
    job: Callable[[Session, Actor, StoredImport], ImportReport],
    upload: StoredImport,
    actor: Actor,
    discard_when_applied: bool,
) -> ImportReport:
    """preview_upload or confirm_upload in a transaction of its own; an applied upload's file
    goes once committed. The import page runs this in a separate process (jobs/offload.py)."""
    with session_scope() as session:
        report = job(session, actor, upload)
    tidy_after(report)
    if discard_when_applied and report.applied:
        discard_upload(actor, upload)  # committed: the file is no longer needed
    return report


def tidy_after(report: ImportReport) -> None:
    """After an applied import's commit: a big one leaves the SIM table to be tidied."""
    if report.applied:
        maintenance.after_bulk_write(get_engine(), "sim", report.created + report.updated)


def _gone(upload: StoredImport, dry_run: bool) -> ImportReport:
    return ImportReport(upload.name, "", 0, dry_run, False, error="gone")


def read_rejects(actor: Actor, upload: StoredImport) -> tuple[str, bytes]:
    """(download name, bytes) of the rejects CSV of the last preview or confirm."""
    require(actor, PERMISSION)
    path = imports_dir() / rejects_name(_stored_path(upload.stored).name)
    if not _REJECTS.fullmatch(path.name) or not path.exists():
        raise ValidationError("sim_import.error.gone", field="file")
    stem = Path(upload.name).stem or "import"
    return f"{stem}-rejects.csv", path.read_bytes()


def discard_upload(actor: Actor, upload: StoredImport) -> None:
    require(actor, PERMISSION)
    path = _stored_path(upload.stored)
    path.unlink(missing_ok=True)
    (imports_dir() / rejects_name(path.name)).unlink(missing_ok=True)
