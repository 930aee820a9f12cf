"""sims.usage_months: final days of usage_day rolled up into usage_month, and the readers that
take the months from there (usage_history.monthly, usage_view.traffic) giving what the days give."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select

from paysim_app.models.usage import UsageDay, UsageMonth
from paysim_app.sims import usage, usage_history, usage_months, usage_view

NOW = datetime(2026, 12, 6, 14, 30, tzinfo=UTC)  # 17:30 in Moscow


def months_of(session, sim_id):
    rows = session.execute(
        select(UsageMonth.month, UsageMonth.bytes_up, UsageMonth.bytes_down)
        .where(UsageMonth.sim_id == sim_id)
        .order_by(UsageMonth.month)
    ).all()
    return [tuple(r) for r in rows]


def put_days(session, sim, days: dict[date, int]) -> None:
    for day, n in days.items():
        session.add(UsageDay(sim_id=sim.id, day=day, bytes_up=n, bytes_down=10 * n))
    session.commit()


def test_a_final_day_is_one_no_accepted_record_can_reach():
    # the oldest record the ingest takes ended MAX_AGE ago and began MAX_DURATION before that
    assert usage_months.final_day(NOW) == date(2026, 10, 30)
    for now in (
        NOW,
        datetime(2026, 3, 1, 20, 59, tzinfo=UTC),
        datetime(2026, 3, 1, 21, 0, tzinfo=UTC),
    ):
        oldest = now - usage.MAX_AGE - usage.MAX_DURATION
        assert usage.day_of(oldest) > usage_months.final_day(now)


def test_the_oldest_record_accepted_lands_after_the_final_day(session, factory):
    sim = factory.sim()
    end = NOW - usage.MAX_AGE
    start = end - usage.MAX_DURATION
    cdr = {"record_id": "oldest", "iccid": sim.iccid, "start": start.isoformat(),
           "end": end.isoformat(), "bytes_up": 24, "bytes_down": 0}  # fmt: skip
    assert usage.ingest(session, "pgw", [cdr], now=NOW).accepted == 1
    days = session.execute(select(UsageDay.day).where(UsageDay.sim_id == sim.id)).scalars()
    assert min(days) > usage_months.final_day(NOW)


def test_final_days_are_rolled_once_into_their_months(session, factory):
    sim, other = factory.sim(), factory.sim()
    put_days(session, sim, {date(2026, 9, 2): 1, date(2026, 9, 30): 2, date(2026, 10, 1): 4,
                            date(2026, 10, 30): 8, date(2026, 10, 31): 16, date(2026, 12, 5): 32})  # fmt: skip
    put_days(session, other, {date(2026, 10, 15): 100})
    assert usage_months.rolled_through(session) is None
    # from the first day with usage up to 2026-10-30, the last final one
    assert usage_months.roll_up(session, now=NOW, max_days=None) == 59
    session.commit()
    assert usage_months.rolled_through(session) == date(2026, 10, 30)
    assert months_of(session, sim.id) == [(date(2026, 9, 1), 3, 30), (date(2026, 10, 1), 12, 120)]
    assert months_of(session, other.id) == [(date(2026, 10, 1), 100, 1000)]
    # nothing new is final yet: nothing is added again
    assert usage_months.roll_up(session, now=NOW) == 0
    assert usage_months.roll_up(session, now=NOW + timedelta(hours=2)) == 0
    # the next Moscow day becomes final a day later: the 31st joins October
    assert usage_months.roll_up(session, now=NOW + timedelta(days=1)) == 1
    session.commit()
    assert months_of(session, sim.id)[-1] == (date(2026, 10, 1), 28, 280)
    assert months_of(session, other.id) == [(date(2026, 10, 1), 100, 1000)]


def test_a_backlog_is_caught_up_a_step_at_a_time(session, factory):
    sim = factory.sim()
    put_days(session, sim, {date(2026, 6, 1) + timedelta(days=i): 1 for i in range(120)})
    steps = []
    while n := usage_months.roll_up(session, now=NOW, max_days=31):
        steps.append(n)
        session.commit()
    assert steps == [31, 31, 31, 31, 28]  # June 1 .. October 30, the last final day
    assert usage_months.rolled_through(session) == date(2026, 10, 30)
    assert [m[:2] for m in months_of(session, sim.id)] == [
        (date(2026, 6, 1), 30), (date(2026, 7, 1), 31), (date(2026, 8, 1), 31),
        (date(2026, 9, 1), 28),
    ]  # fmt: skip


def test_nothing_to_roll_makes_no_mark(session, factory):
    factory.sim()
    assert usage_months.roll_up(session, now=NOW) == 0
    assert usage_months.rolled_through(session) is None


def test_months_past_two_years_are_dropped(session, factory):
    sim = factory.sim()
    put_days(session, sim, {date(2024, 11, 30): 1, date(2024, 12, 1): 2, date(2026, 10, 1): 4})
    usage_months.roll_up(session, now=NOW, max_days=None)
    session.commit()
    # December 2026 and the 24 months before it are kept
    assert [m[0] for m in months_of(session, sim.id)] == [date(2024, 12, 1), date(2026, 10, 1)]


def test_the_months_read_the_rolled_months_and_the_days_after_them(session, factory):
    sim = factory.sim()
    days = {date(2025, 12, 31): 1, date(2026, 1, 1): 2, date(2026, 6, 15): 3,
            date(2026, 10, 30): 4, date(2026, 10, 31): 5, date(2026, 11, 20): 6,
            date(2026, 12, 6): 7}  # fmt: skip
    put_days(session, sim, days)
    before = usage_history.monthly(session, sim.id, 13, today=date(2026, 12, 6))
    usage_months.roll_up(session, now=NOW, max_days=None)
    session.commit()
    assert usage_history.monthly(session, sim.id, 13, today=date(2026, 12, 6)) == before
    # the rolled days are read from usage_month: without them in usage_day nothing changes
    session.execute(delete(UsageDay).where(UsageDay.day <= date(2026, 10, 30)))
    session.commit()
    after = usage_history.monthly(session, sim.id, 13, today=date(2026, 12, 6))
    assert after == before
    by_month = {m: (up, down) for m, up, down in after}
    assert by_month[date(2026, 10, 1)] == (9, 90)  # the 30th rolled, the 31st a day
    assert by_month[date(2025, 12, 1)] == (1, 10)
    assert usage_history.monthly(session, sim.id, 2, today=date(2026, 12, 6)) == [
        (date(2026, 11, 1), 6, 60),
        (date(2026, 12, 1), 7, 70),
    ]


def test_traffic_is_the_same_for_a_rolled_a_half_rolled_and_a_current_month(session, factory):
    big = factory.tariff("Большой", data_gb=100)
    dealer = factory.partner("Связь-Дон")
    s1 = factory.sim(factory.subscriber(), tariff=big, partner=dealer)
    s2 = factory.sim(factory.subscriber(), tariff=big)
    for sim, d, n in ((s1, date(2026, 9, 3), 10), (s2, date(2026, 9, 30), 30),
                      (s1, date(2026, 10, 2), 1), (s1, date(2026, 10, 31), 2),
                      (s2, date(2026, 10, 31), 4), (s2, date(2026, 12, 1), 5)):  # fmt: skip
        session.add(UsageDay(sim_id=sim.id, day=d, bytes_up=n, bytes_down=n))
    session.commit()
    admin = factory.superadmin()

    def figures():
        return {
            (month, by): [(r.key_id, r.sims, r.bytes) for r in usage_view.traffic(
                session, admin, month, by)]
            for month in ("2026-09", "2026-10", "2026-12")
            for by in ("tariff", "partner")
        }  # fmt: skip

    before = figures()
    assert before[("2026-10", "tariff")] == [(big.id, 2, 14)]
    assert before[("2026-10", "partner")] == [(None, 1, 8), (dealer.partner.id, 1, 6)]
    # September wholly rolled, October up to the 30th
    usage_months.roll_up(session, now=NOW, max_days=None)
    session.commit()
    assert figures() == before
    session.execute(delete(UsageDay).where(UsageDay.day <= date(2026, 10, 30)))
    session.commit()
    assert figures() == before
