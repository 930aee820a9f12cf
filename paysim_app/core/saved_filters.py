"""A user's saved filter sets: a list's state (core.listing's URL query) under a name, found
again in the list's menu. A user sees, renames and deletes only their own; a name is unique per
user and list; a user keeps at most MAX_PER_USER of them over all lists."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from paysim_app.core.errors import NotFound, PermissionDenied, ValidationError
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.models import SavedFilter

MAX_PER_USER = 50
MAX_NAME = 60
MAX_QUERY = 1000


@dataclass(frozen=True)
class Saved:
    id: int
    name: str
    query: str


def _actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise PermissionDenied()
    return actor


def _list_name(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", value):
        raise ValidationError("saved_filter.error.list", field="list")
    return value


def _name(value: object) -> str:
    name = " ".join(value.split()) if isinstance(value, str) else ""
    if not name or len(name) > MAX_NAME:
        raise ValidationError("saved_filter.error.name", field="name", n=MAX_NAME)
    return name


def _query(value: object) -> str:
    text = value.strip().lstrip("?") if isinstance(value, str) else ""
    if len(text) > MAX_QUERY or any(ch in text for ch in "\r\n#"):
        raise ValidationError("saved_filter.error.query", field="query")
    return text


def _taken(session: Session, user_id: int, list_name: str, name: str, but: int | None) -> bool:
    """A name of the user's list already used, in any letter case (Cyrillic too: compared in
    Python over the user's few rows, as SQLite's lower() folds ASCII only)."""
    rows = session.execute(
        select(SavedFilter.id, SavedFilter.name).where(
            SavedFilter.user_id == user_id, SavedFilter.list_name == list_name
        )
    ).all()
    return any(n.casefold() == name.casefold() and i != but for i, n in rows)


def _own(session: Session, actor: Actor, filter_id: object) -> SavedFilter:
    row = session.get(SavedFilter, filter_id) if isinstance(filter_id, int) else None
    if row is None or row.user_id != actor.user_id:  # another's is "not found", not "forbidden"
        raise NotFound("saved_filter.error.not_found")
    return row


@verb
def list_saved(session: Session, actor: Actor | None, list_name: str) -> list[Saved]:
    """The actor's own filter sets of one list, by name."""
    actor = _actor(actor)
    rows = session.execute(
        select(SavedFilter)
        .where(SavedFilter.user_id == actor.user_id, SavedFilter.list_name == _list_name(list_name))
        .order_by(SavedFilter.name, SavedFilter.id)
    ).scalars()
    return [Saved(r.id, r.name, r.query) for r in rows]


@verb
def save_filter(
    session: Session, actor: Actor | None, list_name: str, name: str, query: str
) -> Saved:
    """Save the list's query under a new name (a name already used for this list is refused)."""
    actor = _actor(actor)
    list_name, name, query = _list_name(list_name), _name(name), _query(query)
    if _taken(session, actor.user_id, list_name, name, None):
        raise ValidationError("saved_filter.error.taken", field="name")
    # the user's row lock would be stronger; the unique constraint catches a concurrent twin
    held = session.execute(
        select(func.count()).select_from(SavedFilter).where(SavedFilter.user_id == actor.user_id)
    ).scalar_one()
    if held >= MAX_PER_USER:
        raise ValidationError("saved_filter.error.limit", field="name", n=MAX_PER_USER)
    row = SavedFilter(user_id=actor.user_id, list_name=list_name, name=name, query=query)
    session.add(row)
    session.flush()
    return Saved(row.id, row.name, row.query)


@verb
def rename_filter(session: Session, actor: Actor | None, filter_id: int, name: str) -> Saved:
    actor = _actor(actor)
    row = _own(session, actor, filter_id)
    name = _name(name)
    if _taken(session, actor.user_id, row.list_name, name, row.id):
        raise ValidationError("saved_filter.error.taken", field="name")
    row.name = name
    session.add(row)
    session.flush()
    return Saved(row.id, row.name, row.query)


@verb
def delete_filter(session: Session, actor: Actor | None, filter_id: int) -> None:
    actor = _actor(actor)
    session.delete(_own(session, actor, filter_id))
    session.flush()
