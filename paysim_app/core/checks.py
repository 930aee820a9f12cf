"""Checks and audited writes shared by the admin catalogue services (tariffs, add-ons,
partners): a code as people type it, a bounded text, a bounded integer, whether a code is taken;
the changed-fields update and the on/off flag, each recorded in the audit log."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlmodel import Session

from paysim_app.core import audit
from paysim_app.core.errors import ValidationError
from paysim_app.core.permissions import Actor

CODE_RE = re.compile(r"[A-Z0-9_-]{2,32}")
DOCUMENT_RE = re.compile(r"[0-9A-ZА-ЯЁ]{4,20}")


def check_code(raw: object, field: str = "code") -> str:
    """A short code as people type it: trimmed and upper-cased, 2-32 of A-Z 0-9 _ -."""
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if not CODE_RE.fullmatch(code):
        raise ValidationError("admin_catalogue.error.code", field=field)
    return code


def normalise_document(raw: str) -> str | None:
    """An ID document number: 4-20 letters/digits (spaces and dashes dropped, upper case); a
    Russian passport's 10 digits come out as 'XXXX XXXXXX'. None when it is not one. (A
    dealer's sale and a customer's SIM order store it alike.)"""
    text = re.sub(r"[\s-]+", "", raw or "").upper()
    if re.fullmatch(r"\d{10}", text):
        return f"{text[:4]} {text[4:]}"
    return text if DOCUMENT_RE.fullmatch(text) else None


def check_text(raw: object, field: str, max_len: int, *, required: bool = False) -> str:
    if raw is not None and not isinstance(raw, str):
        raise ValidationError("error.invalid", field=field)
    text = (raw or "").strip()
    if required and not text:
        raise ValidationError("error.required", field=field)
    if len(text) > max_len:
        raise ValidationError("admin_catalogue.error.too_long", field=field, max=max_len)
    return text


def check_int(raw: object, field: str, low: int, high: int, code: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise ValidationError(code, field=field)
    return raw


def code_taken(session: Session, model, code: str) -> bool:
    """Whether a row of `model` has this code (case-insensitively)."""
    return (
        session.execute(select(model.id).where(func.upper(model.code) == code)).first() is not None
    )


def apply_changes(
    session: Session, actor: Actor, row, wanted: dict, action: str, entity: str
) -> None:
    """Set the fields of `wanted` that differ on `row` and audit them (before/after of the
    changed fields only); nothing is written or recorded when nothing changed."""
    before = {k: getattr(row, k) for k in wanted if getattr(row, k) != wanted[k]}
    after = {k: wanted[k] for k in before}
    if after:
        for key, value in after.items():
            setattr(row, key, value)
        session.flush()
        audit.record(session, actor, action, entity, row.id, before, after)


def set_flag(
    session: Session,
    actor: Actor,
    row,
    attr: str,
    value: bool,
    actions: tuple[str, str],
    entity: str,
) -> None:
    """Set the boolean `attr` of `row`; a change is audited as actions[0] (set to True) or
    actions[1] (set to False)."""
    value = bool(value)
    if getattr(row, attr) != value:
        setattr(row, attr, value)
        session.flush()
        audit.record(
            session,
            actor,
            actions[0] if value else actions[1],
            entity,
            row.id,
            {attr: not value},
            {attr: value},
        )
