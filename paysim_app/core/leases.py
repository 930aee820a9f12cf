"""Database leases: among several processes, the one holding an unexpired lease does the work.

`acquire` is one atomic statement (insert if missing; else take it over only if it is ours or
expired), so two processes asking at once never both get it. A holder renews well before the
lease expires; if it dies, another process takes over once `ttl` has passed.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from paysim_app.core import bulk
from paysim_app.models import JobLease
from paysim_app.models.base import utcnow

_T = JobLease.__table__


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(session: Session, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease; commits. True when `holder` holds it afterwards."""
    now = utcnow()
    session.execute(
        bulk.dialect_insert(session, _T)
        .values(name=name, holder=holder, expires_at=now + ttl)
        .on_conflict_do_nothing()
    )
    session.execute(
        update(_T)
        .where(_T.c.name == name, (_T.c.holder == holder) | (_T.c.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    )
    session.commit()
    return session.execute(select(_T.c.holder).where(_T.c.name == name)).scalar() == holder


def release(session: Session, name: str, holder: str) -> None:
    # already expired (not "expiring now"), so another process may take it at once
    session.execute(
        update(_T)
        .where(_T.c.name == name, _T.c.holder == holder)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()


def holder_of(session: Session, name: str) -> str | None:
    row = session.execute(select(_T.c.holder, _T.c.expires_at).where(_T.c.name == name)).first()
    return row.holder if row and row.expires_at > utcnow() else None
