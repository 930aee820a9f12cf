"""The TEMP staging table the file's lines are loaded into (COPY on PostgreSQL, executemany on
SQLite), the SQL helpers of the import, and staging the file line by line."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from sqlalchemy import text
from sqlmodel import Session

from paysim_app.core import spreadsheet
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.sims.importing.reading import (
    _CODE,
    _CONTROL_TEXT,
    XlsxTooManyRows,
    _clean,
    _code_hash,
    _Codes,
    _Header,
    _iccid,
    _imsi,
    _msisdn,
)
from paysim_app.sims.importing.report import ACTIONS, OPTIONAL, REASONS, REQUIRED

CHUNK_ROWS = 20_000
STAGE = "sim_import_stage"
ROWS = "sim_import_rows"


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


def _csv_cells(header: _Header, bad_lines: set[int]) -> Iterator[tuple[int, list[str], bool]]:
    """(first line number, cells, whether a line of it is badly encoded) per CSV record; a
    quote never closed raises _BrokenQuotes with the line where the record began."""
    reader = csv.reader(header.lines, delimiter=header.delimiter)
    offset = header.first_data_line - 1
    previous_end = offset
    try:
        for cells in reader:
            start, end = previous_end + 1, offset + reader.line_num
            previous_end = end
            yield (
                start,
                cells,
                bool(bad_lines) and any(n in bad_lines for n in range(start, end + 1)),
            )
    except csv.Error:  # e.g. a quote never closed: the rest of the file became one cell
        raise _BrokenQuotes(previous_end + 1) from None


def _xlsx_cells(header: _Header) -> Iterator[tuple[int, list[str], bool]]:
    """The same for a workbook's rows (Excel's row numbers; a workbook has no encoding)."""
    for number, cells in header.lines:
        yield number, cells, False


def _stage_file(
    session: Session, header: _Header, bad_lines: set[int], partners: _Codes, tariffs: _Codes
) -> int:
    """Parse and check every data line (or a workbook's row) on its own, load them into the
    staging table in chunks; returns the number of data rows (blank lines are not rows). A
    reading error of the file (_BrokenQuotes, a broken workbook) is raised once the staging
    table's load has ended cleanly."""
    source = _xlsx_cells(header) if not header.delimiter else _csv_cells(header, bad_lines)
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
    rows = 0
    failure: Exception | None = None
    with _Stager(session) as stager:
        try:
            for start, cells, badly_encoded in source:
                joined = "".join(cells)
                if not joined or joined.isspace():
                    continue
                rows += 1
                reasons: list[str] = []
                if badly_encoded:
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
        except (_BrokenQuotes, XlsxTooManyRows, spreadsheet.WorkbookError) as error:
            failure = error  # the load ends cleanly first (a COPY must not be left failed)
    if failure is not None:
        raise failure
    if rows and _postgres(session):
        _sql(session, f"ANALYZE {STAGE}")
    return rows
