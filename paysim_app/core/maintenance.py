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
GROWING = frozenset({"payment", "autopay_run", "receipt"})  # the ones a job grows as it goes
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
    _outside_transaction(engine, statement)
    seconds = time.perf_counter() - started
    log.info("tidied %s after %d rows written: %.1f s", table, rows_written, seconds)
    return seconds


class GrowingTables:
    """Keeps the planner's statistics up with tables a long job grows as it goes (the billing
    cycle's payments and autopay runs: none to 600 000 in a million-SIM cycle). Statistics
    taken while such a table was small make PostgreSQL read all of it for a lookup of a
    batch's 500 rows (a hash join over every payment: 400 ms a batch, against 2 ms once
    analysed), so the cost of each batch grows with the table. Autovacuum analyses a table
    after 10 % of it changed, a minute later at best, and never where it is switched off; the
    job knows what it wrote, so it analyses a table itself each time its rows written since
    the last statistics reach half of the rows those knew (and at least WRITES_WORTH_IT): a
    dozen ANALYZEs of about 0.1 s for 600 000 rows. PostgreSQL only (SQLite plans these from
    its indexes); off with PAYSIM_TIDY_AFTER_JOBS=0. Call `wrote` after a batch's commit."""

    def __init__(self, engine: Engine, tables: tuple[str, ...]) -> None:
        unknown = set(tables) - GROWING
        if unknown:
            raise ValueError(f"not tables the jobs grow: {sorted(unknown)}")
        self.engine, self.tables = engine, tables
        self.active = engine.dialect.name == "postgresql" and get_settings().paysim_tidy_after_jobs
        self.written = 0
        self.known = self._known() if self.active else 0
        self.analysed = 0  # how many times, for the logs and the tests

    def _known(self) -> int:
        """The fewest rows the statistics of these tables know of (never analysed: none)."""
        with self.engine.connect() as conn:
            return int(
                conn.exec_driver_sql(
                    "SELECT min(greatest(reltuples, 0)) FROM pg_class WHERE relname = ANY(%s)",
                    (list(self.tables),),
                ).scalar()
                or 0
            )

    def wrote(self, rows: int) -> None:
        if not self.active:
            return
        self.written += rows
        if self.written < max(WRITES_WORTH_IT, self.known // 2):
            return
        _outside_transaction(self.engine, "ANALYZE " + ", ".join(self.tables))
        self.analysed += 1
        self.written, self.known = 0, self._known()


def _outside_transaction(engine: Engine, statement: str) -> None:
    """On a connection of its own, committed at once: the job's transaction is left as it is."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(statement)
