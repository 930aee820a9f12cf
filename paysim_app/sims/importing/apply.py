"""Applying the checked rows: the import lock, the deletes, updates and creates, the paced
chunks of new SIMs on PostgreSQL (and their removal when a later step fails), the unlock."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import Session

from paysim_app.core.pacing import Pacer
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings
from paysim_app.sims.importing.staging import ROWS, _drop_tables, _postgres, _sql

LOCK_KEY = 0x5349_4D49_4D50  # PostgreSQL advisory lock: one writing import at a time
logger = logging.getLogger(__name__)


def _lock(session: Session) -> None:
    """Writing imports run one at a time: the second waits and then sees the first's SIMs."""
    if _postgres(session):
        _sql(session, "SELECT pg_advisory_xact_lock(:key)", key=LOCK_KEY)
    else:
        # any write takes SQLite's database lock (held to the end of the transaction)
        _sql(session, "UPDATE sim SET id = id WHERE 1 = 0")


def _apply(session: Session, creates: int, pacer: Pacer, finish: Callable[[], None]) -> None:
    """Write the checked rows (deletes, updates, then the new SIMs in line order), then call
    `finish` (the audit entry) in the same transaction as the last writes."""
    chunk = get_settings().paysim_import_chunk_rows
    if _postgres(session) and chunk and creates > chunk:
        _apply_in_chunks(session, chunk, pacer, finish)
    else:
        _apply_rest(session, utcnow(), with_creates=True)
        finish()


def _apply_rest(session: Session, now, with_creates: bool) -> None:
    _sql(
        session,
        f"""DELETE FROM sim WHERE id IN (
            SELECT sim_id FROM {ROWS} WHERE reason IS NULL AND action = 'delete'
                AND sim_id IS NOT NULL)""",
    )
    _sql(
        session,
        f"""UPDATE sim SET msisdn = r.msisdn, imsi = r.imsi, status = r.t_status,
            partner_id = r.t_partner_id, tariff_id = r.t_tariff_id,
            activation_code_hash = r.t_code_hash, updated_at = :now,
            activated_at = CASE WHEN r.t_status = 'active' AND sim.activated_at IS NULL
                THEN :now ELSE sim.activated_at END
        FROM {ROWS} r
        WHERE sim.id = r.sim_id AND r.reason IS NULL AND r.action = 'upsert' AND r.changed = 1""",
        now=now,
    )
    if with_creates:
        _insert_creates(session, now)
    if _postgres(session):
        # fresh statistics with the rows: after a million new SIMs the planner's old picture
        # makes the filtered SIM list walk the primary key, and autovacuum may be off or late.
        # ANALYZE counts this transaction's own new rows.
        _sql(session, "ANALYZE sim")


_CREATES = f"FROM {ROWS} WHERE reason IS NULL AND action = 'upsert' AND sim_id IS NULL"


def _insert_creates(session: Session, now, lines: tuple[int, int] | None = None) -> None:
    """INSERT the new SIMs, all of them or those of the file lines [first, end)."""
    within = " AND line >= :first AND line < :end" if lines else ""
    first, end = lines or (0, 0)
    _sql(
        session,
        f"""INSERT INTO sim (iccid, msisdn, imsi, status, partner_id, tariff_id,
            activation_code_hash, label, billing_day, puk, activated_at,
            created_at, updated_at)
        SELECT iccid, msisdn, imsi, t_status, t_partner_id, t_tariff_id, t_code_hash, '', 1,
            '', CASE WHEN t_status = 'active' THEN :now END, :now, :now
        {_CREATES}{within} ORDER BY line""",
        now=now,
        first=first,
        end=end,
    )


def _apply_in_chunks(
    session: Session, chunk: int, pacer: Pacer, finish: Callable[[], None]
) -> None:
    """PostgreSQL, many new SIMs: commit them in chunks of `chunk` file lines first,
    then the deletes, updates (and the caller's audit entry) in the caller's transaction.

    Why: one transaction inserting a million SIMs leaves a million uncommitted entries at the
    top of the SIM primary key, and every newest-first SIM list page walks backward through
    them checking each one's visibility for as long as the import runs. With chunks at most one
    chunk is uncommitted, and a Pacer between chunks leaves CPU to the web workers.

    All or nothing still holds for every failure the code sees: the checks ran under the lock
    before the first chunk, and a failed chunk or later statement removes the SIMs the earlier
    chunks committed (they are new, nothing refers to them yet). A crash in the middle leaves
    the committed chunks: importing the same file again shows them as unchanged and creates
    the rest. The commits go through the DBAPI connection so that the session keeps this
    connection and its TEMP tables; a session-level advisory lock keeps other imports out
    between the transactions (the transaction-level one ends with the first commit).
    """
    now = utcnow()
    raw = session.connection().connection.dbapi_connection
    _sql(session, "SELECT pg_advisory_lock(:key)", key=LOCK_KEY)
    first, last = _sql(session, f"SELECT min(line), max(line) {_CREATES}").one()
    committed_to = first  # the lines before this one are committed
    try:
        _sql(session, f"CREATE INDEX ON {ROWS} (line)")
        while committed_to <= last:
            end = committed_to + chunk
            _insert_creates(session, now, (committed_to, end))
            raw.commit()
            committed_to = end
            pacer.batch_done()
        _lock(session)  # the transaction-level lock again, for the caller's commit
        _apply_rest(session, now, with_creates=False)
        finish()
    except BaseException:
        raw.rollback()
        _remove_created(session, raw, first, committed_to)
        raise
    finally:
        _unlock(session)


def _remove_created(session: Session, raw, first: int, end: int) -> None:
    """Undo the committed chunks of a failed import (best effort: it is already failing)."""
    if end <= first:
        return  # nothing was committed (nor the TEMP tables: they went with the rollback)
    try:
        _sql(
            session,
            f"DELETE FROM sim WHERE iccid IN (SELECT iccid {_CREATES} "
            "AND line >= :first AND line < :end)",
            first=first,
            end=end,
        )
        _drop_tables(session)  # they outlived the first commit: not left on a pooled connection
        raw.commit()
        logger.warning("SIM import failed: removed the SIMs of lines %s..%s", first, end - 1)
    except Exception:
        raw.rollback()
        logger.exception("SIM import failed and its SIMs of lines %s..%s stay", first, end - 1)


def _unlock(session: Session) -> None:
    try:
        _sql(session, "SELECT pg_advisory_unlock(:key)", key=LOCK_KEY)
    except Exception:
        # a pooled connection must never keep the lock: closing it releases every lock it holds
        session.connection().invalidate()
        raise
