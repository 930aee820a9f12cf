"""Engine and session factory shared by pages, CLI, jobs, API routes and tests.

Two engines at most: the primary (DATABASE_URL), where every write and every money read goes,
and, when DATABASE_REPLICA_URL is set, a PostgreSQL replica that list pages read from. The one
switch between them is `session_scope(read_only=True)` (a verb declared `@verb(read_only=...)`
opens that unit of work): it reads the replica when there is one, the primary otherwise, and on
PostgreSQL its transaction is read-only either way, so nothing writes through it.
"""

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


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine on `url`; read_only: every transaction it runs is read-only (a replica's)."""
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
            if read_only:
                cur.execute("PRAGMA query_only=ON")
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
    # psycopg prepares a statement on the server after 5 runs, and PostgreSQL may then plan
    # it once for any value: a list's "status + part of a number" count, planned without the
    # number, reads half the SIM table (bench/README.md, "Plans")
    connect_args: dict = {"prepare_threshold": None}
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    return create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_size=settings.paysim_db_pool_size,
        max_overflow=settings.paysim_db_pool_overflow,
    )


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


_REPLICAS: dict[str, Engine] = {}  # DATABASE_REPLICA_URL -> its engine, made once


def read_engine() -> Engine:
    """Where a read-only unit of work reads: the replica (DATABASE_REPLICA_URL) when one is
    set, else the primary."""
    url = get_settings().database_replica_url
    if not url:
        return get_engine()
    if url not in _REPLICAS:
        _REPLICAS[url] = make_engine(url, read_only=True)
    return _REPLICAS[url]


def _forget_parent_connections() -> None:
    """In a forked backend worker: never reuse the parent's pooled connections (two processes
    on one socket corrupt each other's sessions); the child opens its own."""
    if get_engine.cache_info().currsize:
        get_engine().dispose(close=False)
    for replica in _REPLICAS.values():
        replica.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)


@contextmanager
def session_scope(engine: Engine | None = None, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    read_only: a unit of work that only reads (a list page): on the replica when
    DATABASE_REPLICA_URL is set, else on the primary in a read-only transaction (PostgreSQL),
    so a write on that path fails wherever it runs instead of landing on one server only."""
    engine = engine or (read_engine() if read_only else get_engine())
    # a replica's engine makes every transaction read-only by itself (make_engine)
    mark = read_only and engine.dialect.name == "postgresql" and engine not in _REPLICAS.values()
    with Session(engine, expire_on_commit=False) as session:
        try:
            if mark:
                session.connection().exec_driver_sql("SET TRANSACTION READ ONLY")
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
