"""A money form posts once, however often it is sent: a double click, a replayed event.

The form gets a fresh key when it is opened (`new_key`) and sends it with every post. The verb
that moves the money stores the key, scoped to the form and to whoever posts it
(`scoped`), in a unique column of what it writes (`Payment.idempotency_key` for a partner's
top-up, `LedgerEntry.form_key` for a balance correction); `once` answers a second post with
the same key with what the first one wrote and changes nothing, also when both arrive at the
same moment (the unique key decides; the loser answers with the winner's row).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from paysim_app.core.errors import ValidationError

T = TypeVar("T")
KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def new_key() -> str:
    """A fresh key for a form that is being opened (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def scoped(scope: str, key: object, field: str = "form_key") -> str:
    """The key as stored, `<scope>:<key>`; anything but a key of ours is refused."""
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise ValidationError("error.invalid", field=field)
    return f"{scope}:{key}"


def once(session: Session, find: Callable[[], T | None], make: Callable[[], T]) -> tuple[T, bool]:
    """(what an earlier post with this key wrote, False), or (make(), True). `make` runs in a
    savepoint and writes the key into a unique column: a concurrent post that got there first
    makes it fail, its work is rolled back, and the first post's result is found instead.
    `make` starts with a write or a lock (SQLite: a read first would pin a snapshot that the
    other post's commit makes stale, and the write after it would fail as "locked")."""
    earlier = find()
    if earlier is not None:
        return earlier, False
    try:
        with session.begin_nested():
            return make(), True
    except IntegrityError:
        earlier = find()
        if earlier is None:
            raise
        return earlier, False
