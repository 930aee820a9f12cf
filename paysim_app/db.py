"""Engine and session factory shared by pages, CLI, jobs, API routes and tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from paysim_app.settings import get_settings


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever the URL says."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # SQLite's lower()/LIKE fold ASCII only; searches fold Cyrillic through this
            dbapi_conn.create_function(
                "py_casefold",
                1,
                lambda v: v.casefold() if isinstance(v, str) else v,
                deterministic=True,
            )

        return engine
    settings = get_settings()
    return create_engine(
        url,
        # psycopg prepares a statement on the server after 5 runs, and PostgreSQL may then plan
        # it once for any value: a list's "status + part of a number" count, planned without the
        # number, reads half the SIM table (bench/README.md, "Plans")
        connect_args={"prepare_threshold": None},
        pool_pre_ping=True,
        pool_size=settings.paysim_db_pool_size,
        max_overflow=settings.paysim_db_pool_overflow,
    )


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def _forget_parent_connections() -> None:
    """In a forked backend worker: never reuse the parent's pooled connections (two processes
    on one socket corrupt each other's sessions); the child opens its own."""
    if get_engine.cache_info().currsize:
        get_engine().dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
