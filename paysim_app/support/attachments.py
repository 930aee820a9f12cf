"""Files attached to support tickets: screenshots and PDFs up to 5 MB.

The type is read from the file's first bytes (its magic number), never from its name or the
browser's word; the file is stored under a random name, and the name the user gave is kept only
for display. Reading one back goes through the ticket's owner check (support.ticketing).

A file is stored when it is chosen, before its message is sent: customers may store
rate_limits "attachments.user" files a day, and a file no message took within KEEP_UNSENT is
swept (`sweep_unsent`, a scheduled job), so the folder cannot be filled through the picker.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from paysim_app.core import rate_limits
from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.models import TicketMessage
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

MAX_BYTES = 5 * 1024 * 1024
KEEP_UNSENT = timedelta(hours=1)
MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "pdf": "application/pdf"}
_STORED = re.compile(r"[0-9a-f]{32}\.(png|jpg|webp|pdf)")


@dataclass(frozen=True)
class StoredFile:
    name: str  # as the user called it (display only)
    stored: str  # our random file name


def kind_of(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    return None


def _folder() -> Path:
    folder = Path(get_settings().paysim_attachments_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(data: bytes, name: str, actor: Actor) -> StoredFile:
    """Check and keep an uploaded file. ValidationError for a wrong type or size;
    TooManyAttempts past a customer's daily quota (staff answering tickets have none)."""
    if actor.role != "admin":
        rate_limits.hit(None, "attachments.user", actor.user_id)
    if not data:
        raise ValidationError("support.error.attachment_empty", field="attachment")
    if len(data) > MAX_BYTES:
        raise ValidationError("support.error.attachment_size", field="attachment")
    kind = kind_of(data)
    if kind is None:
        raise ValidationError("support.error.attachment_type", field="attachment")
    display = re.sub(r"[^\w.\- ]", "_", Path(name or "").name)[-100:] or f"file.{kind}"
    stored = f"{secrets.token_hex(16)}.{kind}"
    (_folder() / stored).write_bytes(data)
    return StoredFile(display, stored)


def is_stored_name(stored: str) -> bool:
    return bool(_STORED.fullmatch(stored or ""))


def message_columns(file: StoredFile | None) -> dict[str, str]:
    """A ticket message's attachment columns for a file save() kept (empty without one)."""
    if file is None:
        return {"attachment_name": "", "attachment_path": ""}
    if not is_stored_name(file.stored):
        raise ValidationError("support.error.attachment_type", field="attachment")
    if not (_folder() / file.stored).is_file():  # chosen long ago and swept meanwhile
        raise ValidationError("support.error.attachment_expired", field="attachment")
    return {"attachment_name": file.name, "attachment_path": file.stored}


def read(stored: str) -> tuple[bytes, str]:
    """The file's bytes and MIME type (the caller has checked who may read it); NotFound when
    the file is gone from the disk or cannot be read."""
    if not is_stored_name(stored):
        raise ValidationError("support.error.attachment_type", field="attachment")
    try:
        data = (_folder() / stored).read_bytes()
    except OSError:
        raise NotFound() from None
    return data, MIME[stored.rsplit(".", 1)[1]]


@verb
def sweep_unsent(session: Session, batch: int = 500) -> int:
    """Delete stored files older than KEEP_UNSENT that no ticket message refers to; returns
    how many went."""
    cutoff = (utcnow() - KEEP_UNSENT).timestamp()
    with os.scandir(_folder()) as entries:
        old = [
            e.name
            for e in entries
            if is_stored_name(e.name) and e.is_file() and e.stat().st_mtime < cutoff
        ]
    removed = 0
    for start in range(0, len(old), batch):
        names = old[start : start + batch]
        kept = set(
            session.execute(
                select(TicketMessage.attachment_path).where(
                    TicketMessage.attachment_path.in_(names)
                )
            ).scalars()
        )
        for name in names:
            if name not in kept:
                (_folder() / name).unlink(missing_ok=True)
                removed += 1
    return removed
