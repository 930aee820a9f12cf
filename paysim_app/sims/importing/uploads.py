"""Stored uploads: the file waits in imports_dir() under a random name between the preview
and the confirmation; the page's background job, the rejects download and the discard."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from paysim_app.core import maintenance
from paysim_app.core.errors import ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.db import get_engine, session_scope
from paysim_app.settings import get_settings
from paysim_app.sims.importing.report import PERMISSION, SAMPLE_ROWS, ImportReport
from paysim_app.sims.importing.run import import_sims

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
READ_BLOCK = 1 << 20  # an upload is copied to imports_dir() in blocks of this size
_STORED = re.compile(r"[0-9a-f]{32}\.csv")
_REJECTS = re.compile(r"[0-9a-f]{32}\.rejects\.csv")


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


def receive_upload(
    actor: Actor, source: BinaryIO, name: str, limit: int = MAX_UPLOAD_BYTES
) -> StoredImport:
    """Keep an uploaded file read from a binary stream (the page's upload) for preview and
    confirm, block by block: a file over `limit` bytes is refused and nothing is kept."""
    writer = UploadWriter(actor, name, limit)
    try:
        while block := source.read(READ_BLOCK):
            writer.write(block)
    except BaseException:
        writer.abort()
        raise
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


# a file this small is checked in a thread of the web worker: a few thousand lines take
# milliseconds, while the import process (jobs/offload.py) is started on first use and runs at a
# low priority, so on a busy machine a three-line preview waited for it for more than 20 s
SMALL_UPLOAD_BYTES = 256 * 1024


def is_small(upload: StoredImport) -> bool:
    """Whether the stored upload is small enough to be checked without the import process."""
    try:
        return _stored_path(upload.stored).stat().st_size <= SMALL_UPLOAD_BYTES
    except (ValidationError, OSError):
        return False  # gone or not ours: the job itself says so


def rejects_name(stored: str) -> str:
    return stored.removesuffix(".csv") + ".rejects.csv"


@verb
def preview_upload(
    session: Session, actor: Actor, upload: StoredImport, sample_size: int = SAMPLE_ROWS
) -> ImportReport:
    """The dry run of a stored upload; its rejects CSV is kept beside it (read_rejects)."""
    return _run_upload(session, actor, upload, sample_size, dry_run=True)


@verb
def confirm_upload(
    session: Session, actor: Actor, upload: StoredImport, sample_size: int = SAMPLE_ROWS
) -> ImportReport:
    """Check the stored upload again against the database as it is now and apply it (all or
    nothing, in the caller's transaction). The caller deletes the upload after its commit
    (discard_upload)."""
    return _run_upload(session, actor, upload, sample_size, dry_run=False)


def _run_upload(
    session: Session, actor: Actor, upload: StoredImport, sample_size: int, dry_run: bool
) -> ImportReport:
    require(actor, PERMISSION)
    path = _stored_path(upload.stored)
    if not path.exists():
        return _gone(upload, dry_run)
    rejects = imports_dir() / rejects_name(upload.stored)
    rejects.unlink(missing_ok=True)
    return import_sims(
        session,
        actor,
        path,
        file_name=upload.name,
        dry_run=dry_run,
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
