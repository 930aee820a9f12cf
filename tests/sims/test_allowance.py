"""sims.allowance: the period's allowance from the tariff, the packs bought in the period, the
usage counted (night-unlimited hours left out), and the speed it gives (booster, limited)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.models import AddonService, SimAddon, UsageHour
from paysim_app.models.usage import UsageDay
from paysim_app.sims import allowance, usage
from paysim_app.sims.allowance import GB

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # 15:00 in Moscow


def use(session, sim, at: datetime, n: int) -> None:
    """n bytes in the hour `at`, written as the ingest writes them: the hour and its Moscow day
    (the allowance counts the days, and the night hours of a SIM with a night add-on)."""
    up, down = n // 4, n - n // 4
    session.add(UsageHour(sim_id=sim.id, hour=at, bytes_up=up, bytes_down=down))
    day = session.get(UsageDay, (sim.id, usage.day_of(at)))
    if day is None:
        session.add(UsageDay(sim_id=sim.id, day=usage.day_of(at), bytes_up=up, bytes_down=down))
    else:
        day.bytes_up, day.bytes_down = day.bytes_up + up, day.bytes_down + down
    session.commit()


def addon(session, code: str, kind: str, **params) -> AddonService:
    a = AddonService(code=code, name=code, price_kop=1000, period_days=30, kind=kind, **params)
    session.add(a)
    session.commit()
    return a


def own(session, sim, a: AddonService, start: datetime, days: int = 30) -> None:
    session.add(
        SimAddon(sim_id=sim.id, addon_id=a.id, started_at=start, expires_at=start + timedelta(days))
    )
    session.commit()


# -- the pure rules ----------------------------------------------------------------------------
def test_night_hours_may_cross_midnight():
    assert [h for h in range(24) if allowance.is_night_hour(h, 1, 7)] == [1, 2, 3, 4, 5, 6]
    assert [h for h in range(24) if allowance.is_night_hour(h, 23, 2)] == [0, 1, 23]


def test_effective_speed_rules():
    assert allowance.effective_speed(50_000, 128, False, None) == (50_000, False)
    assert allowance.effective_speed(50_000, 128, True, None) == (128, True)
    assert allowance.effective_speed(50_000, 128, True, 100_000) == (100_000, False)


def test_period_boundaries_are_moscow_dates():
    # 20:59 UTC on the 30th is 23:59 in Moscow: still November's period for billing day 1
    assert allowance.period_of(1, datetime(2026, 11, 30, 20, 59, tzinfo=UTC)) == (
        date(2026, 11, 1),
        date(2026, 12, 1),
    )
    assert allowance.period_of(1, datetime(2026, 11, 30, 21, 0, tzinfo=UTC)) == (
        date(2026, 12, 1),
        date(2027, 1, 1),
    )
    # billing day 28 (the latest a SIM may have): February's period runs to March 28th
    assert allowance.period_of(28, datetime(2027, 3, 1, tzinfo=UTC)) == (
        date(2027, 2, 28),
        date(2027, 3, 28),
    )
    assert allowance.period_of(28, datetime(2028, 2, 28, 10, tzinfo=UTC)) == (
        date(2028, 2, 28),
        date(2028, 3, 28),
    )
    lo, hi = allowance.utc_bounds(date(2026, 12, 1), date(2027, 1, 1))
    assert lo == datetime(2026, 11, 30, 21, tzinfo=UTC) and hi == datetime(
        2026, 12, 31, 21, tzinfo=UTC
    )


def test_packs_and_boosters_pure():
    lo, hi = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    packs = [(lo - timedelta(seconds=1), 10), (lo, 5), (hi, 7)]
    assert allowance.pack_bytes_in(packs, lo, hi) == 5 * GB
    boosters = [(NOW - timedelta(days=1), NOW + timedelta(days=1), 100), (NOW, NOW, 500)]
    assert allowance.active_booster(boosters, NOW) == (100_000, NOW + timedelta(days=1))
    assert allowance.active_booster(boosters, NOW + timedelta(days=2)) is None


# -- against the database ----------------------------------------------------------------------
def test_tariff_allowance_usage_in_the_period_only(session, factory):
    tariff = factory.tariff(data_gb=10, speed_mbps=50, limited_speed_kbps=256)
    sim = factory.sim(factory.subscriber(), tariff=tariff, status="active", billing_day=5)
    use(session, sim, datetime(2026, 12, 4, 20, tzinfo=UTC), 9 * GB)  # 23:00 Moscow: the 4th
    use(session, sim, datetime(2026, 12, 4, 21, tzinfo=UTC), 3 * GB)  # 00:00 on the 5th
    use(session, sim, datetime(2026, 12, 6, 11, tzinfo=UTC), 2 * GB)
    a = allowance.of_sim(session, sim.id, now=NOW)
    assert (a.period_start, a.period_end) == (date(2026, 12, 5), date(2027, 1, 5))
    assert a.tariff_bytes == 10 * GB and a.pack_bytes == 0
    assert a.used_bytes == a.counted_bytes == 5 * GB
    assert a.left_bytes == 5 * GB and a.percent_used == 50.0
    assert not a.exhausted and a.speed_kbps == 50_000 and not a.limited
    use(session, sim, datetime(2026, 12, 6, 10, tzinfo=UTC), 5 * GB)
    a = allowance.of_sim(session, sim.id, now=NOW)
    assert a.exhausted and a.left_bytes == 0 and a.limited and a.speed_kbps == 256


def test_a_pack_counts_in_the_period_it_was_bought_in(session, factory):
    tariff = factory.tariff(data_gb=10)
    sim = factory.sim(factory.subscriber(), tariff=tariff, status="active", billing_day=1)
    pack = addon(session, "P10", "data_pack", data_gb=10)
    own(session, sim, pack, datetime(2026, 11, 30, 20, tzinfo=UTC))  # 23:00 Moscow, November
    use(session, sim, datetime(2026, 12, 2, tzinfo=UTC), 12 * GB)
    a = allowance.of_sim(session, sim.id, now=NOW)
    assert a.pack_bytes == 0 and a.exhausted and a.limited
    own(session, sim, pack, datetime(2026, 12, 5, tzinfo=UTC))
    own(session, sim, pack, datetime(2026, 12, 6, tzinfo=UTC))
    a = allowance.of_sim(session, sim.id, now=NOW)
    assert a.pack_bytes == 20 * GB and a.total_bytes == 30 * GB
    assert a.left_bytes == 18 * GB and not a.exhausted and a.percent_used == 40.0


def test_night_unlimited_leaves_its_moscow_hours_out_while_active(session, factory):
    tariff = factory.tariff(data_gb=10)
    sim = factory.sim(factory.subscriber(), tariff=tariff, status="active", billing_day=1)
    night = addon(session, "NIGHT", "night_unlimited", night_from_hour=23, night_to_hour=2)
    own(session, sim, night, datetime(2026, 12, 2, 12, tzinfo=UTC), days=3)  # until Dec 5 12:00
    # Moscow 23:00, 00:00, 01:00 are UTC 20:00, 21:00, 22:00 of the day before
    use(session, sim, datetime(2026, 12, 2, 20, tzinfo=UTC), 1 * GB)  # 23:00 MSK: free
    use(session, sim, datetime(2026, 12, 2, 21, tzinfo=UTC), 2 * GB)  # 00:00 MSK, 3rd: free
    use(session, sim, datetime(2026, 12, 2, 22, tzinfo=UTC), 4 * GB)  # 01:00 MSK: free
    use(session, sim, datetime(2026, 12, 2, 23, tzinfo=UTC), 8 * GB // 10)  # 02:00: counted
    use(session, sim, datetime(2026, 12, 2, 19, tzinfo=UTC), 100)  # 22:00: counted
    use(session, sim, datetime(2026, 12, 1, 20, tzinfo=UTC), 7)  # 23:00 before it began
    use(session, sim, datetime(2026, 12, 5, 20, tzinfo=UTC), 11)  # 23:00 after it ended
    a = allowance.of_sim(session, sim.id, now=NOW)
    assert a.used_bytes == 7 * GB + 8 * GB // 10 + 118
    assert a.free_bytes == 7 * GB
    assert a.counted_bytes == 8 * GB // 10 + 118


def test_two_night_addons_never_subtract_an_hour_twice(session, factory):
    sim = factory.sim(factory.subscriber(), tariff=factory.tariff(data_gb=10), status="active")
    for code in ("N1", "N2"):
        own(
            session,
            sim,
            addon(session, code, "night_unlimited", night_from_hour=1, night_to_hour=7),
            datetime(2026, 12, 1, tzinfo=UTC),
        )
    use(session, sim, datetime(2026, 12, 3, 0, tzinfo=UTC), 5 * GB)  # 03:00 MSK
    a = allowance.of_sim(session, sim.id, now=NOW)
    assert (a.used_bytes, a.counted_bytes) == (5 * GB, 0)


def test_a_booster_lifts_the_limit_while_it_lasts(session, factory):
    tariff = factory.tariff(data_gb=1, speed_mbps=20, limited_speed_kbps=128)
    sim = factory.sim(factory.subscriber(), tariff=tariff, status="active")
    use(session, sim, datetime(2026, 12, 3, tzinfo=UTC), 2 * GB)
    boost = addon(session, "BOOST", "speed_booster", speed_mbps=100)
    own(session, sim, boost, NOW - timedelta(days=1), days=7)
    a = allowance.of_sim(session, sim.id, now=NOW)
    assert a.exhausted and not a.limited and a.speed_kbps == 100_000
    assert a.booster_until == NOW + timedelta(days=6)
    later = allowance.of_sim(session, sim.id, now=NOW + timedelta(days=7))
    assert later.limited and later.speed_kbps == 128 and later.booster_until is None


def test_unlimited_tariff_and_a_sim_without_tariff(session, factory):
    sub = factory.subscriber()
    unlimited = factory.sim(
        sub, tariff=factory.tariff(data_gb=None, speed_mbps=30), status="active"
    )
    use(session, unlimited, datetime(2026, 12, 3, tzinfo=UTC), 900 * GB)
    a = allowance.of_sim(session, unlimited.id, now=NOW)
    assert a.unlimited and a.total_bytes is None and a.left_bytes is None
    assert a.percent_used is None and not a.exhausted and a.speed_kbps == 30_000
    bare = factory.sim()
    b = allowance.of_sim(session, bare.id, now=NOW)
    assert b.tariff_bytes == 0 and b.speed_kbps == 0 and b.exhausted and not b.limited


def test_batch_matches_one_by_one_in_three_queries(session, factory, engine):
    from sqlalchemy import event

    sub = factory.subscriber()
    sims = [
        factory.sim(sub, tariff=factory.tariff(data_gb=5 + i), status="active", billing_day=1 + i)
        for i in range(6)
    ]
    for i, sim in enumerate(sims):
        use(session, sim, datetime(2026, 12, 5, 12, tzinfo=UTC), (i + 1) * GB)
        use(session, sim, datetime(2026, 11, 20, 12, tzinfo=UTC), 100)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        batch = allowance.of_sims(session, [s.id for s in sims] + [999_999], now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3
    assert set(batch) == {s.id for s in sims}
    for sim in sims:
        assert batch[sim.id] == allowance.of_sim(session, sim.id, now=NOW)


def test_bad_input(session, factory):
    with pytest.raises(NotFound):
        allowance.of_sim(session, 999_999, now=NOW)
    with pytest.raises(NotFound):
        allowance.of_sim(session, "1", now=NOW)
    with pytest.raises(ValidationError):
        allowance.of_sims(session, "1,2", now=NOW)
    with pytest.raises(ValidationError):
        allowance.of_sims(session, [1, "2"], now=NOW)
    sim = factory.sim()
    with pytest.raises(ValidationError):
        allowance.daily(session, sim.id, date(2026, 12, 5), date(2026, 12, 1))
    with pytest.raises(ValidationError):
        allowance.daily(session, sim.id, date(2025, 1, 1), date(2026, 12, 1))
    with pytest.raises(ValidationError):
        allowance.monthly(session, sim.id, 0)
    with pytest.raises(NotFound):
        allowance.monthly(session, 999_999, 3)


def test_daily_and_monthly_totals(session, factory):
    sim = factory.sim(factory.subscriber(), tariff=factory.tariff(data_gb=10), billing_day=10)
    use(session, sim, datetime(2026, 12, 4, 20, tzinfo=UTC), 100)  # 23:00 MSK on the 4th
    use(session, sim, datetime(2026, 12, 4, 21, tzinfo=UTC), 200)  # 00:00 MSK on the 5th
    use(session, sim, datetime(2026, 12, 5, 10, tzinfo=UTC), 300)
    use(session, sim, datetime(2026, 11, 9, 10, tzinfo=UTC), 7)  # period Oct 10 .. Nov 10
    assert allowance.daily(session, sim.id, date(2026, 12, 3), date(2026, 12, 6)) == [
        (date(2026, 12, 3), 0),
        (date(2026, 12, 4), 100),
        (date(2026, 12, 5), 500),
        (date(2026, 12, 6), 0),
    ]
    months = allowance.monthly(session, sim.id, 3, now=NOW)
    assert [(m.start, m.end, m.used_bytes) for m in months] == [
        (date(2026, 9, 10), date(2026, 10, 10), 0),
        (date(2026, 10, 10), date(2026, 11, 10), 7),
        (date(2026, 11, 10), date(2026, 12, 10), 600),
    ]
