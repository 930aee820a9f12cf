"""The usage tables' write path (migration 0038): no foreign-key check on the hourly rows, the
SIM's integrity kept by usage_day's key, usage_day's updates HOT on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from paysim_app.models import Sim
from paysim_app.sims import usage

NOW = datetime(2026, 12, 6, 14, 30, tzinfo=UTC)


def _record(rid: str, sim, hour: int) -> dict:
    return {
        "record_id": rid,
        "iccid": sim.iccid,
        "start": f"2026-12-06T{hour:02d}:00:00Z",
        "end": f"2026-12-06T{hour:02d}:30:00Z",
        "bytes_up": 10,
        "bytes_down": 90,
    }


def test_hourly_rows_have_no_foreign_key_and_daily_rows_keep_theirs(engine):
    foreign = inspect(engine)
    assert foreign.get_foreign_keys("usage_hour") == []
    [day_key] = foreign.get_foreign_keys("usage_day")
    assert (day_key["referred_table"], day_key["constrained_columns"]) == ("sim", ["sim_id"])


def test_a_sim_with_usage_still_cannot_be_deleted(session, factory):
    """Its hours and its day are written together, and the day's key refuses the delete: no
    hourly row is left without its SIM."""
    sim = factory.sim()
    usage.ingest(session, "pgw", [_record("a", sim, 10)], now=NOW)
    session.commit()
    session.delete(session.get(Sim, sim.id))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert usage.hours_of(session, sim.id)


def test_daily_rows_are_updated_in_place_on_postgres(session, factory, backend):
    """fillfactor 50 leaves room on usage_day's pages: the hourly updates of a day's row are
    HOT (no new index entry), and the record ids' time index is a BRIN."""
    if backend != "postgres":
        pytest.skip("fillfactor, HOT updates and BRIN are PostgreSQL's")
    options = session.execute(
        text("SELECT reloptions FROM pg_class WHERE relname = 'usage_day'")
    ).scalar()
    assert "fillfactor=50" in options
    method = session.execute(
        text(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
            " WHERE c.relname = 'ix_usage_record_seen_received'"
        )
    ).scalar()
    assert method == "brin"
    sims = [factory.sim() for _ in range(20)]
    session.commit()
    # the mediation's hourly batches, each updating every day row, in one transaction so that
    # its own statistics (pg_stat_xact_user_tables) count just these updates
    usage.ingest(session, "pgw", [_record(f"{s.id}-7", s, 7) for s in sims], now=NOW)
    for hour in range(8, 14):
        usage.ingest(session, "pgw", [_record(f"{s.id}-{hour}", s, hour) for s in sims], now=NOW)
    updated, hot = session.execute(
        text(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = 'usage_day'"
        )
    ).one()
    assert updated == 6 * len(sims)
    assert hot == updated
    session.rollback()
