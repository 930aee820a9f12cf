"""support/quality_report: the admin's quality overview (stars per month / tariff / partner,
median speed figures) and the list SELECT of ratings, on a small fixture with known figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.models import QualityRating, SpeedTest, Ticket
from paysim_app.support import quality_report as qa

JAN1, MAR31 = date(2025, 1, 1), date(2025, 3, 31)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def world(session, factory):
    alpha = factory.tariff("Alpha")
    beta = factory.tariff("Beta")
    north = factory.partner("Дилер Север").partner
    south = factory.partner("Дилер Юг").partner
    alice = factory.subscriber(full_name="Алиса Иванова")
    bob = factory.subscriber(full_name="Борис Смирнов")
    s1 = factory.sim(alice, tariff=alpha, partner=north)
    s2 = factory.sim(bob, tariff=beta)
    s3 = factory.sim(alice, partner=south)  # no tariff

    def test(sim, user, when, down, up, ping):
        row = SpeedTest(
            sim_id=sim.id,
            user_id=user.user_id,
            ping_ms=ping,
            jitter_ms=1,
            download_kbps=down,
            upload_kbps=up,
            created_at=when,
        )
        session.add(row)
        session.flush()
        return row

    alpha_tests = [
        test(s1, alice, at(2025, 1, 5, 12), 10000, 1000, 30),
        test(s1, alice, at(2025, 1, 6, 12), 30000, 3000, 10),
        test(s1, alice, at(2025, 1, 7, 12), 20000, 2000, 20),
    ]
    test(s2, bob, at(2025, 1, 31, 22), 1000, 100, 5)  # 01:00 on 1 Feb in Moscow
    test(s2, bob, at(2025, 2, 2, 12), 10000, 400, 100)
    test(s2, bob, at(2025, 2, 3, 12), 3000, 300, 7)
    test(s2, bob, at(2025, 2, 4, 12), 2000, 200, 6)
    test(s1, alice, at(2025, 4, 2, 12), 999999, 99999, 1)  # after the period

    ticket = Ticket(
        author_user_id=alice.user_id,
        subscriber_id=alice.subscriber_id,
        sim_id=s1.id,
        category="speed",
        subject="Медленно",
    )
    session.add(ticket)
    session.flush()

    def rate(sim, user, when, aspect, stars, **kw):
        row = QualityRating(
            sim_id=sim.id, user_id=user.user_id, aspect=aspect, stars=stars, created_at=when, **kw
        )
        session.add(row)
        session.flush()
        return row.id

    ids = {
        "r1": rate(s1, alice, at(2025, 1, 10, 10), "voice", 5),
        "r2": rate(
            s1,
            alice,
            at(2025, 1, 20, 10),
            "speed",
            1,
            comment="еле грузит",
            ticket_id=ticket.id,
            speed_test_id=alpha_tests[0].id,
        ),
        "r3": rate(s2, bob, at(2025, 1, 31, 22, 30), "coverage", 4),  # February in Moscow
        "r4": rate(s2, bob, at(2025, 2, 15, 10), "speed", 2),
        "r5": rate(s3, alice, at(2025, 3, 31, 20, 30), "voice", 3),  # 23:30 on 31 March, Moscow
        "late": rate(s1, alice, at(2025, 3, 31, 21, 30), "voice", 1),  # 00:30 on 1 April
        "early": rate(s1, alice, at(2024, 12, 31, 20), "voice", 1),  # 23:00 on 31 December
    }
    session.commit()
    return {
        "ids": ids,
        "ticket": ticket.id,
        "alpha": alpha,
        "beta": beta,
        "north": north,
        "south": south,
        "s1": s1,
        "s2": s2,
        "alice": alice,
        "speed_test": alpha_tests[0].id,
    }


@pytest.fixture
def boss(factory):
    return factory.superadmin()


def test_overview_figures(session, world, boss):
    o = qa.quality_overview(session, boss, JAN1, MAR31)
    assert (o.ratings, o.low, o.average) == (5, 2, 3.0)
    assert o.speed_statistic == "median"
    months = {m.key: m for m in o.months}
    assert list(months) == ["2025-01", "2025-02", "2025-03"]
    jan, feb, mar = months["2025-01"], months["2025-02"], months["2025-03"]
    assert (jan.ratings, jan.low, jan.average, jan.voice, jan.speed, jan.coverage) == (
        2,
        1,
        3.0,
        5.0,
        1.0,
        None,
    )
    assert (feb.ratings, feb.voice, feb.speed, feb.coverage) == (2, None, 2.0, 4.0)
    assert (mar.ratings, mar.voice, mar.low) == (1, 3.0, 0)

    tariffs = [
        (r.key, r.name, r.ratings, r.average, r.voice, r.speed, r.coverage) for r in o.by_tariff
    ]
    assert tariffs == [
        (str(world["alpha"].id), "Alpha", 2, 3.0, 5.0, 1.0, None),
        (str(world["beta"].id), "Beta", 2, 3.0, None, 2.0, 4.0),
        ("", "", 1, 3.0, 3.0, None, None),  # the SIM without a tariff comes last
    ]
    partners = [(r.key, r.name, r.ratings, r.low) for r in o.by_partner]
    assert partners == [
        (str(world["north"].id), "Дилер Север", 2, 1),
        (str(world["south"].id), "Дилер Юг", 1, 0),
        ("", "", 2, 1),  # the operator's own SIMs
    ]

    speed = [
        (s.key, s.name, s.tests, s.download_kbps, s.upload_kbps, s.ping_ms)
        for s in o.speed_by_tariff
    ]
    assert speed == [
        (str(world["alpha"].id), "Alpha", 3, 20000.0, 2000.0, 20.0),  # odd count: the middle one
        (str(world["beta"].id), "Beta", 4, 2500.0, 250.0, 6.5),  # even: mean of the two middle
    ]
    by_month = [(s.key, s.tests, s.download_kbps, s.ping_ms) for s in o.speed_by_month]
    assert by_month == [
        ("2025-01", 3, 20000.0, 20.0),
        ("2025-02", 4, 2500.0, 6.5),  # includes the test at 01:00 Moscow on 1 February
        ("2025-03", 0, None, None),
    ]


def test_one_day_and_an_empty_period(session, world, boss):
    o = qa.quality_overview(session, boss, date(2025, 3, 31), date(2025, 3, 31))
    assert (o.ratings, [m.key for m in o.months]) == (1, ["2025-03"])
    empty = qa.quality_overview(session, boss, date(2023, 11, 1), date(2024, 1, 31))
    assert (empty.ratings, empty.low, empty.average) == (0, 0, None)
    assert [m.key for m in empty.months] == ["2023-11", "2023-12", "2024-01"]
    assert all(m.ratings == 0 and m.average is None for m in empty.months)
    assert empty.by_tariff == () and empty.speed_by_tariff == ()
    assert [s.tests for s in empty.speed_by_month] == [0, 0, 0]


@pytest.mark.parametrize(
    ("date_from", "date_to", "code"),
    [
        (MAR31, JAN1, "admin_quality.error.period_order"),
        ("2025-01-01", MAR31, "admin_quality.error.period"),
        (JAN1, None, "admin_quality.error.period"),
        (at(2025, 1, 1), MAR31, "admin_quality.error.period"),
        (date(2020, 1, 1), MAR31, "admin_quality.error.period_long"),
    ],
)
def test_bad_periods_are_refused(session, boss, date_from, date_to, code):
    with pytest.raises(ValidationError) as err:
        qa.quality_overview(session, boss, date_from, date_to)
    assert err.value.code == code


def test_the_overview_needs_quality_view(session, factory, world):
    for who in (factory.admin(ROLE_SUPPORT), world["alice"], None):
        with pytest.raises(PermissionDenied):
            qa.quality_overview(session, who, JAN1, MAR31)


def test_rating_rows_low_ones_first_with_names_and_links(session, world):
    stmt = qa.filter_rating_to(qa.filter_rating_from(qa.rating_rows_select(), JAN1), MAR31)
    rows = (
        session.execute(
            stmt.order_by(
                QualityRating.stars.asc(), QualityRating.created_at.desc(), QualityRating.id
            )
        )
        .mappings()
        .all()
    )
    ids = world["ids"]
    assert [r["id"] for r in rows] == [ids["r2"], ids["r4"], ids["r5"], ids["r3"], ids["r1"]]
    low = rows[0]
    assert low["msisdn"] == world["s1"].msisdn
    assert (low["subscriber_name"], low["tariff_name"], low["partner_name"]) == (
        "Алиса Иванова",
        "Alpha",
        "Дилер Север",
    )
    assert (low["stars"], low["aspect"], low["comment"]) == (1, "speed", "еле грузит")
    assert (low["ticket_id"], low["ticket_status"]) == (world["ticket"], "new")
    assert (low["speed_test_id"], low["download_kbps"], low["ping_ms"]) == (
        world["speed_test"],
        10000,
        30,
    )
    bob = next(r for r in rows if r["id"] == ids["r4"])
    assert (bob["subscriber_name"], bob["partner_name"], bob["ticket_id"]) == (
        "Борис Смирнов",
        None,
        None,
    )


def test_rating_filters_and_search(session, world):
    base = qa.rating_rows_select()
    ids = world["ids"]

    def found(stmt):
        return sorted(r.id for r in session.execute(stmt))

    assert found(qa.filter_rating_aspect(base, "coverage")) == [ids["r3"]]
    assert found(qa.filter_rating_max_stars(base, 1)) == sorted(
        [ids["r2"], ids["late"], ids["early"]]
    )
    assert found(qa.filter_rating_tariff(base, world["beta"].id)) == sorted([ids["r3"], ids["r4"]])
    assert found(qa.filter_rating_partner(base, world["south"].id)) == [ids["r5"]]
    assert found(qa.filter_rating_has_ticket(base, "yes")) == [ids["r2"]]
    assert ids["r2"] not in found(qa.filter_rating_has_ticket(base, "no"))
    number = world["s2"].msisdn  # +7999XXXXXXX
    assert found(qa.search_ratings(base, "8" + number[2:])) == sorted([ids["r3"], ids["r4"]])
    assert found(qa.search_ratings(base, number[-4:])) == sorted([ids["r3"], ids["r4"]])
    assert found(qa.search_ratings(base, "Борис")) == sorted([ids["r3"], ids["r4"]])
    assert found(qa.search_ratings(base, "%")) == []


def test_rating_rows_need_no_ticket_or_sim(session, factory):
    alice = factory.subscriber(full_name="Без сим")
    session.add(QualityRating(sim_id=None, user_id=alice.user_id, aspect="voice", stars=4))
    session.commit()
    (row,) = session.execute(qa.rating_rows_select()).mappings().all()
    assert (row["msisdn"], row["tariff_name"], row["subscriber_name"]) == (None, None, "Без сим")
    assert session.execute(select(QualityRating.id)).scalar_one() == row["id"]
