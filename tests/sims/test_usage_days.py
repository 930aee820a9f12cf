"""usage_day: the feed's sums per SIM per Moscow day, kept beside the hourly ones; the histories
read from it (sims.usage_history), the retention sweep, and the migration's backfill."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlmodel import select

from paysim_app.core.errors import ValidationError
from paysim_app.db import make_engine
from paysim_app.models.usage import UsageDay, UsageHour
from paysim_app.sims import usage, usage_history
from tests.conftest import (
    BACKENDS,
    alembic_config,
    create_postgres_database,
    drop_postgres_database,
)

NOW = datetime(2026, 12, 6, 14, 30, tzinfo=UTC)
REVISION = "0026_usage_day"


def rec(rid, sim, start, end, up=100, down=900):
    return {"record_id": rid, "iccid": sim.iccid, "start": start, "end": end,
            "bytes_up": up, "bytes_down": down}  # fmt: skip


def days_of(session, sim_id):
    rows = session.exec(
        select(UsageDay.day, UsageDay.bytes_up, UsageDay.bytes_down)
        .where(UsageDay.sim_id == sim_id)
        .order_by(UsageDay.day)
    ).all()
    return [tuple(r) for r in rows]


def test_the_moscow_day_begins_at_21_utc(session, factory):
    sim = factory.sim()
    report = usage.ingest(
        session,
        "pgw",
        [
            rec("before", sim, "2026-12-04T20:10:00Z", "2026-12-04T20:59:59Z", 1, 10),
            rec("at", sim, "2026-12-04T21:00:00Z", "2026-12-04T21:20:00Z", 2, 20),
            rec("after", sim, "2026-12-05T20:30:00+00:00", "2026-12-05T23:40:00+03:00", 4, 40),
        ],
        now=NOW,
    )
    assert report.accepted == 3
    # 21:00 UTC on the 4th is 00:00 on the 5th in Moscow; 20:30-20:40 UTC on the 5th is still the 5th
    assert days_of(session, sim.id) == [(date(2026, 12, 4), 1, 10), (date(2026, 12, 5), 6, 60)]
    assert usage.day_of(datetime(2026, 12, 4, 20, 59, tzinfo=UTC)) == date(2026, 12, 4)
    assert usage.day_of(datetime(2026, 12, 4, 21, 0, tzinfo=UTC)) == date(2026, 12, 5)


def test_a_record_spanning_midnight_is_split_between_the_days(session, factory):
    sim = factory.sim()
    # 20:30 .. 21:30 UTC: half before Moscow midnight, half after
    usage.ingest(
        session,
        "pgw",
        [rec("x", sim, "2026-12-04T20:30:00Z", "2026-12-04T21:30:00Z", 1001, 3)],
        now=NOW,
    )
    assert days_of(session, sim.id) == [(date(2026, 12, 4), 500, 1), (date(2026, 12, 5), 501, 2)]
    hours = usage.hours_of(session, sim.id)
    assert sum(h[1] for h in hours) == 1001 and sum(h[2] for h in hours) == 3


def test_days_add_up_and_a_resend_adds_nothing(session, factory):
    sim = factory.sim()
    batch = [
        rec(f"h{h}", sim, f"2026-12-05T{h:02d}:00:00Z", f"2026-12-05T{h:02d}:59:00Z", h, 10 * h)
        for h in range(24)
    ]
    assert usage.ingest(session, "pgw", batch, now=NOW).accepted == 24
    assert usage.ingest(session, "pgw", batch, now=NOW).accepted == 0
    early, late = sum(range(21)), sum(range(21, 24))  # Moscow: 00-20 UTC the 5th, 21-23 the 6th
    assert days_of(session, sim.id) == [
        (date(2026, 12, 5), early, 10 * early),
        (date(2026, 12, 6), late, 10 * late),
    ]


def test_daily_fills_the_days_without_usage_with_zeros(session, factory):
    sim, other = factory.sim(), factory.sim()
    usage.ingest(
        session,
        "pgw",
        [
            rec("a", sim, "2026-12-02T10:00:00Z", "2026-12-02T10:30:00Z", 5, 50),
            rec("b", sim, "2026-12-04T10:00:00Z", "2026-12-04T10:30:00Z", 7, 70),
            rec("c", other, "2026-12-03T10:00:00Z", "2026-12-03T10:30:00Z", 9, 90),
        ],
        now=NOW,
    )
    assert usage_history.daily(session, sim.id, date(2026, 12, 1), date(2026, 12, 5)) == [
        (date(2026, 12, 1), 0, 0),
        (date(2026, 12, 2), 5, 50),
        (date(2026, 12, 3), 0, 0),
        (date(2026, 12, 4), 7, 70),
        (date(2026, 12, 5), 0, 0),
    ]
    assert usage_history.daily(session, sim.id, date(2026, 12, 4), date(2026, 12, 4)) == [
        (date(2026, 12, 4), 7, 70)
    ]


def test_monthly_gives_calendar_months_with_zeros(session, factory):
    sim = factory.sim()
    for day, up in ((date(2025, 12, 31), 1), (date(2026, 1, 1), 2), (date(2026, 1, 31), 3),
                    (date(2026, 11, 15), 4), (date(2026, 12, 6), 5), (date(2025, 11, 30), 99)):  # fmt: skip
        session.add(UsageDay(sim_id=sim.id, day=day, bytes_up=up, bytes_down=10 * up))
    session.commit()
    months = usage_history.monthly(session, sim.id, 12, today=date(2026, 12, 6))
    assert [m[0] for m in months] == [date(2026, m, 1) for m in range(1, 13)]
    by_month = {m: (up, down) for m, up, down in months}
    assert by_month[date(2026, 1, 1)] == (5, 50)
    assert by_month[date(2026, 11, 1)] == (4, 40)
    assert by_month[date(2026, 12, 1)] == (5, 50)
    assert by_month[date(2026, 6, 1)] == (0, 0)
    # 13 months reach back to December 2025 (the 31st counted), not to November
    longer = usage_history.monthly(session, sim.id, 13, today=date(2026, 12, 6))
    assert longer[0] == (date(2025, 12, 1), 1, 10)
    assert usage_history.monthly(session, sim.id, 1, today=date(2026, 12, 6)) == [
        (date(2026, 12, 1), 5, 50)
    ]


def test_totals_for_many_sims_in_one_query(session, factory):
    from sqlalchemy import event

    sims = [factory.sim() for _ in range(4)]
    for i, sim in enumerate(sims[:3]):
        session.add(UsageDay(sim_id=sim.id, day=date(2026, 12, 1), bytes_up=i, bytes_down=100))
        session.add(UsageDay(sim_id=sim.id, day=date(2026, 11, 30), bytes_up=1000, bytes_down=0))
    session.commit()
    statements: list[str] = []
    engine = session.get_bind()

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        got = usage_history.totals(
            session, [s.id for s in sims], date(2026, 12, 1), date(2026, 12, 31)
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert got == {sims[0].id: 100, sims[1].id: 101, sims[2].id: 102, sims[3].id: 0}
    assert len(statements) == 1
    assert usage_history.totals(session, [], date(2026, 12, 1), date(2026, 12, 31)) == {}


def test_bad_periods_are_refused(session, factory):
    sim = factory.sim()
    for since, until in (
        (date(2026, 12, 5), date(2026, 12, 4)),
        (date(2025, 1, 1), date(2026, 12, 31)),  # over usage_history.MAX_DAYS
        ("2026-12-01", date(2026, 12, 4)),
    ):
        with pytest.raises(ValidationError) as err:
            usage_history.daily(session, sim.id, since, until)
        assert err.value.code == "usage.bad_period"
    for months in (0, 14, -1, True, "12"):
        with pytest.raises(ValidationError):
            usage_history.monthly(session, sim.id, months)
    with pytest.raises(ValidationError) as err:
        usage_history.totals(session, list(range(1, 1002)), date(2026, 12, 1), date(2026, 12, 2))
    assert err.value.code == "usage.too_many_sims"


def test_the_sweep_keeps_70_days_of_hours_and_13_months_of_days(session, factory, monkeypatch):
    sim = factory.sim()
    for days_ago in (71, 69):
        session.add(
            UsageHour(
                sim_id=sim.id,
                hour=NOW.replace(minute=0) - timedelta(days=days_ago),
                bytes_up=1,
                bytes_down=1,
            )  # fmt: skip
        )
    # today (Moscow) is 2026-12-06: days from 2025-11-01 on are kept
    for day in (date(2025, 10, 31), date(2025, 11, 1), date(2026, 12, 6)):
        session.add(UsageDay(sim_id=sim.id, day=day, bytes_up=1, bytes_down=1))
    session.commit()
    assert usage.sweep(session, now=NOW) == 2
    session.commit()
    hours = usage.hours_of(session, sim.id)
    assert [h[0] for h in hours] == [NOW.replace(minute=0) - timedelta(days=69)]
    assert [d[0] for d in days_of(session, sim.id)] == [date(2025, 11, 1), date(2026, 12, 6)]
    # the hours' retention is a setting
    from paysim_app.settings import get_settings

    monkeypatch.setenv("PAYSIM_USAGE_KEEP_HOURS_DAYS", "60")
    get_settings.cache_clear()
    try:
        assert usage.sweep(session, now=NOW) == 1
    finally:
        monkeypatch.delenv("PAYSIM_USAGE_KEEP_HOURS_DAYS")
        get_settings.cache_clear()
    assert usage.hours_of(session, sim.id) == []


# --------------------------------------------------------------------------- the migration


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"paysim_usage_day_migration_{os.getpid()}"
    try:
        yield create_postgres_database(name)
    finally:
        drop_postgres_database(name)


def test_the_migration_backfills_days_from_the_hours(empty_url):
    cfg = alembic_config(empty_url)
    before = ScriptDirectory.from_config(cfg).get_revision(REVISION).down_revision
    command.upgrade(cfg, before)
    engine = make_engine(empty_url)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO sim (id, iccid, msisdn, imsi, status, label, balance_kop,"
                    " billing_day, puk, created_at, updated_at) VALUES (7, '8970199000000000015',"
                    " '+79160000001', '250990000000001', 'active', '', 0, 1, '12345678', :at, :at)"
                ),
                {"at": at},
            )
            for hour, up in (
                (datetime(2025, 12, 4, 20, tzinfo=UTC), 1),  # the 4th in Moscow
                (datetime(2025, 12, 4, 21, tzinfo=UTC), 2),  # the 5th
                (datetime(2025, 12, 5, 20, tzinfo=UTC), 4),  # the 5th
                (datetime(2025, 12, 5, 21, tzinfo=UTC), 8),  # the 6th
            ):
                conn.execute(
                    sa.text(
                        "INSERT INTO usage_hour (sim_id, hour, bytes_up, bytes_down)"
                        " VALUES (7, :hour, :up, :down)"
                    ),
                    {"hour": hour, "up": up, "down": 10 * up},
                )
        command.upgrade(cfg, REVISION)
        with engine.connect() as conn:
            got = conn.execute(
                sa.text("SELECT day, bytes_up, bytes_down FROM usage_day ORDER BY day")
            ).all()
        assert [(str(d)[:10], up, down) for d, up, down in got] == [
            ("2025-12-04", 1, 10),
            ("2025-12-05", 6, 60),
            ("2025-12-06", 8, 80),
        ]
        command.downgrade(cfg, before)
        assert "usage_day" not in sa.inspect(engine).get_table_names()
        assert "ix_usage_hour_hour" not in {
            i["name"] for i in sa.inspect(engine).get_indexes("usage_hour")
        }
    finally:
        engine.dispose()
