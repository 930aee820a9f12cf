"""Failed attempts per identifier (a login, a subscriber's SIM claims) in `login_throttle`.

Attempts on one identifier can arrive at the same moment (two tabs, a script). So the row is
created with an insert that ignores a twin (two first attempts used to collide on the key), and
a failure is counted by one UPDATE computing from the row's current value, never by writing
back a number read earlier (two failures at once used to count as one).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, update
from sqlmodel import Session

from paysim_app.core import bulk
from paysim_app.models import LoginThrottle

_T = LoginThrottle.__table__


def minutes_locked(session: Session, identifier: str, now: datetime) -> int:
    """Whole minutes (at least 1) until the identifier may try again; 0 when it may now."""
    row = session.get(LoginThrottle, identifier, populate_existing=True)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, math.ceil((row.locked_until - now).total_seconds() / 60))


def count_failure(
    session: Session, identifier: str, now: datetime, max_failures: int, lock_minutes: int
) -> None:
    """One more failure; the max_failures-th locks the identifier for lock_minutes and the count
    starts again from zero (also after a lock that has run out)."""
    session.execute(
        bulk.dialect_insert(session, _T)
        .values(identifier=identifier, failures=0, updated_at=now)
        .on_conflict_do_nothing()
    )
    after_lock = _T.c.locked_until.is_not(None)
    failures = case((after_lock, 1), else_=_T.c.failures + 1)
    session.execute(
        update(_T)
        .where(_T.c.identifier == identifier)
        .values(
            failures=case((failures >= max_failures, 0), else_=failures),
            locked_until=case(
                (failures >= max_failures, now + timedelta(minutes=lock_minutes)), else_=None
            ),
            updated_at=now,
        )
    )


def clear(session: Session, identifier: str) -> None:
    """A success (or a password reset) forgets the failures and lifts the lock."""
    session.execute(
        update(_T)
        .where(_T.c.identifier == identifier, (_T.c.failures > 0) | _T.c.locked_until.is_not(None))
        .values(failures=0, locked_until=None)
    )
