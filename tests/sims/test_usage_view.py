"""sims.usage_view: the dashboard's usage card (numbers, zero-filled days, the forecast, the pack
offer), a SIM's months, the partner's totals and the admin's traffic statistics, each with who
may read it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.i18n.formats import data_of, data_size
from paysim_app.models import AddonService
from paysim_app.models.usage import UsageDay
from paysim_app.sims import usage, usage_view

GB = 10**9
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # 15:00 in Moscow; billing day 1: Dec 1 - Jan 1


def feed(session, sim, days: dict[date, int], hour_utc: int = 10) -> None:
    """Bytes per Moscow day through the feed's own ingest (usage_hour and usage_day)."""
    records = []
    for d, n in days.items():
        start = datetime(d.year, d.month, d.day, hour_utc, tzinfo=UTC)
        records.append(
            {
                "record_id": f"{sim.id}-{d.isoformat()}-{hour_utc}",
                "iccid": sim.iccid,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=50)).isoformat(),
                "bytes_up": n // 10,
                "bytes_down": n - n // 10,
            }
        )
    report = usage.ingest(session, "pgw", records, now=NOW)
    assert report.accepted == len(records)
    session.commit()


def pack(session, code: str, price_kop: int, gb: int = 10, archived: bool = False):
    a = AddonService(
        code=code,
        name=f"+{gb} ГБ",
        price_kop=price_kop,
        period_days=30,
        kind="data_pack",
        data_gb=gb,
        is_archived=archived,
    )
    session.add(a)
    session.commit()
    return a


@pytest.fixture
def holder(factory):
    return factory.subscriber()


def test_the_card_gives_numbers_zero_filled_days_and_a_forecast(session, factory, holder):
    tariff = factory.tariff(data_gb=10)
    sim = factory.sim(holder, tariff=tariff, billing_day=1)
    pack(session, "P15", 15000)
    cheap = pack(session, "P99", 9900, gb=5)
    pack(session, "OLD", 100, archived=True)  # not on sale
    on = {date(2026, 12, d): int(1.2 * GB) for d in (1, 2, 4, 5, 6)}
    feed(session, sim, on)

    card = usage_view.sim_usage(session, holder, sim.id, now=NOW)
    assert (card.period_start, card.period_end, card.last_day) == (
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2026, 12, 31),
    )
    assert not card.unlimited and not card.exhausted and not card.limited
    assert card.used_bytes == 6 * GB and card.allowance_bytes == 10 * GB
    assert card.left_bytes == 4 * GB and card.percent == pytest.approx(60.0)
    # every day of the period so far, the 3rd (no usage) as a zero
    assert [(d.day.day, d.bytes) for d in card.days] == [
        (1, int(1.2 * GB)), (2, int(1.2 * GB)), (3, 0), (4, int(1.2 * GB)),
        (5, int(1.2 * GB)), (6, int(1.2 * GB)),
    ]  # fmt: skip
    # the pace: 6 GB over Dec 1 00:00 Moscow (Nov 30 21:00 UTC) .. now = 5.625 days;
    # 4 GB left last 3.75 days: Dec 10 06:00 UTC, the 10th in Moscow
    assert card.pace_bytes_per_day == int(6 * GB / 5.625)
    assert card.runs_out_on == date(2026, 12, 10)
    assert card.offer_pack and card.pack is not None
    assert (card.pack.addon_id, card.pack.price_kop, card.pack.data_gb) == (cheap.id, 9900, 5)


def test_the_pace_is_the_last_seven_days(session, factory, holder):
    tariff = factory.tariff(data_gb=30)
    sim = factory.sim(holder, tariff=tariff, billing_day=1)
    late = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
    # a heavy first week, then a quiet one: the forecast follows the quiet week
    days = {date(2026, 12, d): 3 * GB for d in range(1, 7)}
    days |= {date(2026, 12, d): 10**8 for d in range(14, 21)}
    records = [
        {"record_id": f"r{d}", "iccid": sim.iccid,
         "start": datetime(d.year, d.month, d.day, 10, tzinfo=UTC).isoformat(),
         "end": datetime(d.year, d.month, d.day, 10, 50, tzinfo=UTC).isoformat(),
         "bytes_up": 0, "bytes_down": n}
        for d, n in days.items()
    ]  # fmt: skip
    assert usage.ingest(session, "pgw", records, now=late).accepted == len(days)
    session.commit()
    card = usage_view.sim_usage(session, holder, sim.id, now=late)
    assert card.used_bytes == 18 * GB + 7 * 10**8
    # window Dec 14 00:00 Moscow (13th 21:00 UTC) .. Dec 20 12:00 UTC = 6.625 days
    assert card.pace_bytes_per_day == int(7 * 10**8 / 6.625)
    assert card.runs_out_on is None  # 11.3 GB at 0.1 GB a day lasts to January
    assert card.percent == pytest.approx(62.333, abs=0.01)
    assert not card.offer_pack and card.pack is None


def test_low_usage_lasts_and_offers_nothing(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=50), billing_day=1)
    pack(session, "P1", 9900)
    feed(session, sim, {date(2026, 12, 5): 2 * GB})
    card = usage_view.sim_usage(session, holder, sim.id, now=NOW)
    assert card.runs_out_on is None and not card.offer_pack and card.pack is None
    assert card.percent == pytest.approx(4.0)


def test_a_nearly_used_allowance_offers_a_pack_even_when_it_lasts(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=10), billing_day=6)
    pack(session, "P1", 9900)
    # billing day 6: the period began today; 8.5 GB today
    feed(session, sim, {date(2026, 12, 6): int(8.5 * GB)})
    card = usage_view.sim_usage(session, holder, sim.id, now=NOW)
    assert card.period_start == date(2026, 12, 6) and len(card.days) == 1
    assert card.percent == pytest.approx(85.0) and card.offer_pack
    # at 8.5 GB a day (a day at least, though only 15 hours passed) 1.5 GB last ~4 hours
    assert card.runs_out_on == date(2026, 12, 6)


def test_used_up_is_limited_without_a_forecast(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=5, limited_speed_kbps=256))
    pack(session, "P1", 9900)
    feed(session, sim, {date(2026, 12, 2): 6 * GB})
    card = usage_view.sim_usage(session, holder, sim.id, now=NOW)
    assert card.exhausted and card.limited and card.speed_kbps == 256
    assert card.left_bytes == 0 and card.percent == 100.0
    assert card.runs_out_on is None and card.offer_pack


def test_a_blocked_sim_is_not_offered_a_pack_it_cannot_buy(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=5), status="blocked")
    pack(session, "P1", 9900)
    feed(session, sim, {date(2026, 12, 2): 6 * GB})
    card = usage_view.sim_usage(session, holder, sim.id, now=NOW)
    assert card.exhausted and not card.offer_pack


def test_unlimited_has_no_allowance_forecast_or_offer(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=None))
    pack(session, "P1", 9900)
    feed(session, sim, {date(2026, 12, 2): 60 * GB})
    card = usage_view.sim_usage(session, holder, sim.id, now=NOW)
    assert card.unlimited and card.allowance_bytes is None and card.left_bytes is None
    assert card.percent is None and card.runs_out_on is None and not card.offer_pack
    assert card.used_bytes == 60 * GB


def test_no_usage_at_all(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=10))
    card = usage_view.sim_usage(session, holder, sim.id, now=NOW)
    assert card.used_bytes == 0 and card.left_bytes == 10 * GB and card.pace_bytes_per_day == 0
    assert [d.bytes for d in card.days] == [0] * 6 and card.runs_out_on is None


def test_the_card_and_the_months_are_the_subscribers_own(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=10))
    stranger = factory.subscriber()
    dealer = factory.partner()
    sim_of_dealer = factory.sim(holder, partner=dealer, tariff=factory.tariff(data_gb=10))
    for actor, sim_id in (
        (stranger, sim.id),
        (dealer.actor, sim_of_dealer.id),  # a dealer never reads a subscriber's usage card
        (factory.support(), sim.id),  # an admin without sims.view
        (None, sim.id),
        (holder, 10**9),  # no such SIM: the same refusal
        (holder, str(sim.id)),  # ids from the browser are ints or nothing
        (holder, True),
    ):
        with pytest.raises(PermissionDenied):
            usage_view.sim_usage(session, actor, sim_id, now=NOW)
        with pytest.raises(PermissionDenied):
            usage_view.sim_months(session, actor, sim_id)
    admin = factory.superadmin()
    assert usage_view.sim_usage(session, admin, sim.id, now=NOW).sim_id == sim.id
    assert len(usage_view.sim_months(session, admin, sim.id)) == 12


def test_a_naive_clock_is_refused(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=10))
    with pytest.raises(ValidationError):
        usage_view.sim_usage(session, holder, sim.id, now=datetime(2026, 12, 6, 12))


def test_months_are_calendar_months_with_zeros(session, factory, holder):
    sim = factory.sim(holder, tariff=factory.tariff(data_gb=10))
    for d, up, down in ((date(2026, 1, 31), 1, 9), (date(2026, 10, 1), 2, 20),
                        (date(2026, 10, 31), 3, 30), (date(2026, 12, 6), 4, 40),
                        (date(2025, 12, 31), 100, 100)):  # fmt: skip
        session.add(UsageDay(sim_id=sim.id, day=d, bytes_up=up, bytes_down=down))
    session.commit()
    months = usage_view.sim_months(session, holder, sim.id, today=date(2026, 12, 6))
    assert [m.month for m in months] == [date(2026, m, 1) for m in range(1, 13)]
    by = {m.month.month: (m.bytes_up, m.bytes_down, m.bytes) for m in months}
    assert by[1] == (1, 9, 10) and by[10] == (5, 50, 55) and by[12] == (4, 40, 44)
    assert by[2] == (0, 0, 0)
    with pytest.raises(ValidationError):
        usage_view.sim_months(session, holder, sim.id, months=0)


def test_partner_totals_this_and_last_month_for_its_own_sims_only(session, factory, holder):
    dealer, rival = factory.partner(), factory.partner()
    a = factory.sim(holder, partner=dealer)
    b = factory.sim(factory.subscriber(), partner=dealer)
    theirs = factory.sim(factory.subscriber(), partner=rival)
    for sim, d, n in ((a, date(2026, 12, 1), 5), (a, date(2026, 12, 6), 7),
                      (a, date(2026, 11, 30), 11), (a, date(2026, 11, 1), 13),
                      (a, date(2026, 10, 31), 1000), (theirs, date(2026, 12, 2), 99)):  # fmt: skip
        session.add(UsageDay(sim_id=sim.id, day=d, bytes_up=n, bytes_down=n))
    session.commit()
    got = usage_view.partner_totals(
        session, dealer.actor, [a.id, b.id, theirs.id, 10**9], today=date(2026, 12, 6)
    )
    # the rival's SIM and the unknown id are left out; b has no usage
    assert got == {a.id: (24, 48), b.id: (0, 0)}
    assert usage_view.partner_totals(session, dealer.actor, []) == {}
    assert usage_view.partner_totals(session, rival.actor, [a.id]) == {}
    for bad in ("1,2", [str(a.id)], [True], None):
        with pytest.raises(ValidationError):
            usage_view.partner_totals(session, dealer.actor, bad)
    with pytest.raises(ValidationError):
        usage_view.partner_totals(session, dealer.actor, list(range(1, 1002)))
    for actor in (holder, factory.superadmin(), None):
        with pytest.raises(PermissionDenied):
            usage_view.partner_totals(session, actor, [a.id])


def test_traffic_by_tariff_and_by_partner_for_a_month(session, factory, holder):
    big, small = factory.tariff("Большой", data_gb=100), factory.tariff("Малый", data_gb=5)
    dealer = factory.partner("Связь-Дон")
    s1 = factory.sim(holder, tariff=big, partner=dealer)
    s2 = factory.sim(factory.subscriber(), tariff=big)
    s3 = factory.sim(factory.subscriber(), tariff=small, partner=dealer)
    s4 = factory.sim(factory.subscriber())  # no tariff, no partner
    for sim, d, n in ((s1, date(2026, 11, 3), 10), (s1, date(2026, 11, 30), 10),
                      (s2, date(2026, 11, 15), 30), (s3, date(2026, 11, 1), 4),
                      (s4, date(2026, 11, 20), 1), (s1, date(2026, 12, 1), 500),
                      (s3, date(2026, 10, 31), 700)):  # fmt: skip
        session.add(UsageDay(sim_id=sim.id, day=d, bytes_up=n, bytes_down=n))
    session.commit()
    admin = factory.superadmin()
    by_tariff = usage_view.traffic(session, admin, "2026-11", "tariff")
    assert [(r.key_id, r.name, r.sims, r.bytes) for r in by_tariff] == [
        (big.id, "Большой", 2, 100),
        (small.id, "Малый", 1, 8),
        (None, "", 1, 2),
    ]
    by_partner = usage_view.traffic(session, admin, "2026-11", "partner")
    assert [(r.key_id, r.name, r.sims, r.bytes) for r in by_partner] == [
        (None, "", 2, 62),
        (dealer.partner.id, "Связь-Дон", 2, 48),
    ]
    assert usage_view.traffic(session, admin, "2025-01", "tariff") == []
    for month, by in (("2026-13", "tariff"), ("11.2026", "tariff"), (202611, "tariff"),
                      ("2026-11", "sim"), ("", "partner"), ("1999-01", "partner")):  # fmt: skip
        with pytest.raises(ValidationError):
            usage_view.traffic(session, admin, month, by)
    for actor in (factory.support(), holder, dealer.actor, None):
        with pytest.raises(PermissionDenied):
            usage_view.traffic(session, actor, "2026-11", "tariff")


def test_recent_months_and_sizes():
    assert usage_view.recent_months(date(2026, 1, 15), 3) == ["2026-01", "2025-12", "2025-11"]
    assert len(usage_view.recent_months(date(2026, 12, 6))) == 13
    assert usage_view.parse_month("2026-02") == date(2026, 2, 1)
    assert data_of(7_400_000_000, 50 * GB, "ru") == "7,4 из 50\u00a0ГБ"
    assert data_of(7_400_000_000, 50 * GB, "en") == "7.4 of 50\u00a0GB"
    assert data_of(850_000_000, 50 * GB, "ru") == "850\u00a0МБ из 50\u00a0ГБ"
    assert data_size(42_600_000_000, "ru") == "42,6\u00a0ГБ"
    assert data_size(999_960_000, "en") == "1\u00a0GB"  # not 1,000 MB
    assert data_size(1, "en") == "0.1\u00a0MB" and data_size(0, "en") == "0\u00a0MB"
