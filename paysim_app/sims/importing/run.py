"""The import itself: read, stage, check and (unless a dry run or a row is rejected) apply
a file in the caller's unit of work, and report."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import IO, BinaryIO

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from paysim_app.core import audit
from paysim_app.core.errors import DomainError
from paysim_app.core.pacing import Pacer
from paysim_app.core.permissions import Actor, require
from paysim_app.core.spreadsheet import WorkbookError, is_workbook
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Partner, Tariff
from paysim_app.settings import get_settings
from paysim_app.sims.importing.apply import _apply, _lock
from paysim_app.sims.importing.checks import (
    _build_rows,
    _check_rows,
    _counts,
    _samples,
    _write_rejects,
)
from paysim_app.sims.importing.reading import (
    XlsxTooManyRows,
    _Codes,
    _header,
    _sniff,
    _text_lines,
    xlsx_header,
)
from paysim_app.sims.importing.report import (
    KIND_FIELD,
    KINDS,
    PERMISSION,
    SAMPLE_ROWS,
    ImportReport,
)
from paysim_app.sims.importing.staging import (
    _BrokenQuotes,
    _create_stage,
    _drop_tables,
    _postgres,
    _sql,
    _stage_file,
)

XLSX_SUFFIXES = (".xlsx", ".xlsm")


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
    """Check a CSV (or an .xlsx workbook's first sheet) of SIMs and, unless `dry_run` or any
    row is rejected, apply it in the caller's transaction (the caller commits; an exception means roll back). `source` is a file
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

    # a workbook by its name, or by its bytes (an .xlsx saved under another name is read too)
    workbook = name.lower().endswith(XLSX_SUFFIXES) or (sniff.zipped and is_workbook(fh))
    if workbook:
        sniff.encoding = "xlsx"
    if sniff.error and not workbook:
        return refusal(sniff.error)
    if sniff.size == 0:
        return refusal("empty")
    lines = None
    try:
        if workbook:
            try:
                header, error, params = xlsx_header(fh)
            except WorkbookError as broken:
                return refusal(broken.code)
            lines = header.lines if header is not None else None
        else:
            lines = _text_lines(fh, sniff)
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
        except XlsxTooManyRows as many:
            _drop_tables(session)
            return refusal("xlsx_too_many_rows", {"rows": str(many.limit)})
        except WorkbookError as broken:
            _drop_tables(session)
            return refusal(broken.code)
    finally:
        if lines is not None:
            lines.close()
    if rows == 0:
        _drop_tables(session)
        return refusal("empty")
    try:
        if not dry_run:
            _lock(session)
        settings = get_settings()
        pacer = Pacer(settings.paysim_import_pace, by_pressure=settings.paysim_pace_by_pressure)
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
