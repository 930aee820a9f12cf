"""A bulk job tidies the table it wrote much of (VACUUM (ANALYZE) on PostgreSQL, ANALYZE on
SQLite) after its commit; a small job leaves it alone, and so does PAYSIM_TIDY_AFTER_JOBS=0."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from paysim_app.core import maintenance
from paysim_app.settings import get_settings


def vacuums(engine, backend: str) -> int:
    """How many times PostgreSQL has vacuumed the sim table by hand (SQLite: its stat rows)."""
    with engine.connect() as conn:
        if backend == "postgres":
            # the statistics collector reports with a delay: ask for a fresh snapshot
            conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            return conn.execute(
                text("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'sim'")
            ).scalar_one()
        found = conn.execute(
            text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).first()
        if found is None:
            return 0
        return conn.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'sim'")).scalar()


def test_a_big_job_tidies_the_table(engine, backend, factory):
    factory.sim()  # SQLite's ANALYZE writes stat rows only for a table with rows
    before = vacuums(engine, backend)
    seconds = maintenance.after_bulk_write(engine, "sim", maintenance.WRITES_WORTH_IT)
    assert seconds is not None and seconds >= 0
    assert vacuums(engine, backend) > before


def test_a_small_job_leaves_the_table_alone(engine, backend, factory):
    factory.sim()
    before = vacuums(engine, backend)
    assert maintenance.after_bulk_write(engine, "sim", maintenance.WRITES_WORTH_IT - 1) is None
    assert vacuums(engine, backend) == before


def test_the_setting_switches_it_off(engine, backend, factory, monkeypatch):
    monkeypatch.setattr(get_settings(), "paysim_tidy_after_jobs", False)
    factory.sim()
    before = vacuums(engine, backend)
    assert maintenance.after_bulk_write(engine, "sim", 10 * maintenance.WRITES_WORTH_IT) is None
    assert vacuums(engine, backend) == before


def test_only_the_tables_the_jobs_write(engine):
    with pytest.raises(ValueError):
        maintenance.after_bulk_write(engine, "sim; DROP TABLE sim", 10**6)


def analyses(engine, table: str) -> int:
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return conn.execute(
            text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
        ).scalar_one()


def test_a_growing_table_is_analysed_once_the_job_wrote_half_of_what_its_statistics_knew(
    engine, backend
):
    growing = maintenance.GrowingTables(engine, ("payment", "autopay_run"))
    if backend != "postgres":  # SQLite plans these lookups from its indexes
        assert not growing.active
        growing.wrote(10**6)
        assert growing.analysed == 0
        return
    before = analyses(engine, "payment")
    growing.known = 50_000  # the statistics knew of 50 000 rows
    growing.wrote(20_000)
    assert growing.analysed == 0 and analyses(engine, "payment") == before
    growing.wrote(5_000)  # 25 000 written since: half of what they knew
    assert growing.analysed == 1
    assert analyses(engine, "payment") == before + 1
    assert analyses(engine, "autopay_run") >= 1
    # the count starts again from the fresh statistics (an empty table: WRITES_WORTH_IT)
    assert growing.written == 0 and growing.known == 0
    growing.wrote(maintenance.WRITES_WORTH_IT - 1)
    assert growing.analysed == 1


def test_growing_tables_are_left_alone_when_tidying_is_off(engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "paysim_tidy_after_jobs", False)
    growing = maintenance.GrowingTables(engine, ("payment",))
    growing.wrote(10**6)
    assert not growing.active and growing.analysed == 0


def test_only_the_tables_the_jobs_grow(engine):
    with pytest.raises(ValueError):
        maintenance.GrowingTables(engine, ("payment", "user_account"))
