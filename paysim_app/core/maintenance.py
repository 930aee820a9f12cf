"""Tidying a table after a bulk job wrote much of it: VACUUM (ANALYZE) on PostgreSQL, ANALYZE
on SQLite.

An import of a million SIMs or a billing cycle that moves the balance of every active SIM leaves
the table's new row versions unmarked in PostgreSQL's visibility map and its statistics stale.
Until autovacuum gets there (minutes later; never where it is switched off) the lists' counts
and filters visit the heap for every such row instead of answering from the index, and the
planner estimates from the old table, so the admin SIM list's status filter turns several
times slower after an import. The job that did the writing knows, so it tidies up at once. VACUUM (not FULL) takes no lock that stops reads or writes.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy.engine import Engine

from paysim_app.settings import get_settings

WRITES_WORTH_IT = 10_000  # rows written by one job from which the table is tidied
TABLES = frozenset({"sim", "ledger_entry", "payment", "commission"})  # the ones jobs bulk-write
log = logging.getLogger(__name__)


def after_bulk_write(engine: Engine, table: str, rows_written: int) -> float | None:
    """Tidy `table` when a committed job wrote at least WRITES_WORTH_IT rows of it; returns
    the seconds it took, None when it was not worth it or PAYSIM_TIDY_AFTER_JOBS is off.
    Runs outside any transaction (VACUUM cannot run inside one): call it after the commit."""
    if table not in TABLES:
        raise ValueError(f"not a table the jobs tidy: {table!r}")
    if rows_written < WRITES_WORTH_IT or not get_settings().paysim_tidy_after_jobs:
        return None
    started = time.perf_counter()
    statement = (
        f"VACUUM (ANALYZE) {table}" if engine.dialect.name == "postgresql" else f"ANALYZE {table}"
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(statement)
    seconds = time.perf_counter() - started
    log.info("tidied %s after %d rows written: %.1f s", table, rows_written, seconds)
    return seconds
