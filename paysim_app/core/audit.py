"""The audit log: who did what to which object, with before/after."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from paysim_app.core.permissions import Actor
from paysim_app.models import AuditLog


def _dump(value: Any) -> str:
    if value in (None, "", {}):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def entry(
    actor_user_id: int | None,
    action: str,
    entity: str,
    entity_id: object = "",
    before: dict | None = None,
    after: dict | None = None,
    **extra: object,
) -> AuditLog:
    """An audit row, not yet added (the demo seed bulk-adds them with their own dates)."""
    return AuditLog(
        actor_user_id=actor_user_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_dump(before),
        after=_dump(after),
        **extra,
    )


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: object = "",
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Add an audit entry in the caller's transaction (so it commits or rolls back with it)."""
    session.add(entry(actor.user_id if actor else None, action, entity, entity_id, before, after))
