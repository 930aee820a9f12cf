"""services/quality: speed test results and quick ratings — validation, ownership, listings.
Runs on SQLite and (with PAYSIM_TEST_POSTGRES_URL) on PostgreSQL through the db fixtures."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.models import QualityRating, SpeedTest
from paysim_app.support import quality
from paysim_app.support.quality import SpeedFigures

GOOD = SpeedFigures(ping_ms=20.6, jitter_ms=2.2, download_mbps=35.55, upload_mbps=9.0)


@pytest.fixture
def people(factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    return {
        "alice": alice,
        "alice_sim": factory.sim(alice).id,
        "alice_sim2": factory.sim(alice).id,
        "bob": bob,
        "bob_sim": factory.sim(bob).id,
    }


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_speed_test_is_stored_in_kbit_with_the_user_agent(session, people):
    test_id = quality.record_speed_test(
        session, people["alice"], people["alice_sim"], GOOD, "UA/1.0 " + "x" * 400
    )
    session.commit()
    row = session.get(SpeedTest, test_id)
    assert (row.sim_id, row.user_id) == (people["alice_sim"], people["alice"].user_id)
    assert (row.ping_ms, row.jitter_ms, row.download_kbps, row.upload_kbps) == (21, 2, 35550, 9000)
    assert row.user_agent.startswith("UA/1.0") and len(row.user_agent) == 300


@pytest.mark.parametrize(
    "figures",
    [
        SpeedFigures(-1, 1, 1, 1),
        SpeedFigures(1, -0.1, 1, 1),
        SpeedFigures(1, 1, float("nan"), 1),
        SpeedFigures(1, 1, 1, float("inf")),
        SpeedFigures(1, 1, 10_000.5, 1),
        SpeedFigures(1, 1, 1, "5"),
        SpeedFigures(1, 1, None, 1),
        SpeedFigures(True, 1, 1, 1),
        SpeedFigures(60_001, 1, 1, 1),
    ],
)
def test_bad_figures_are_refused_and_nothing_is_stored(session, people, figures):
    with pytest.raises(ValidationError) as err:
        quality.record_speed_test(session, people["alice"], people["alice_sim"], figures)
    assert err.value.code == "quality.error.figure"
    session.rollback()
    assert count(session, SpeedTest) == 0


def test_the_extremes_are_accepted(session, people):
    figures = SpeedFigures(0, 0, 10_000, 0)
    assert quality.record_speed_test(session, people["alice"], people["alice_sim"], figures)


def test_someone_elses_or_a_missing_sim_is_refused(session, people, factory):
    for sim_id in (people["bob_sim"], 999_999, "1", None):
        with pytest.raises(PermissionDenied):
            quality.record_speed_test(session, people["alice"], sim_id, GOOD)
        with pytest.raises(PermissionDenied):
            quality.rate(session, people["alice"], sim_id, "voice", 5)
    session.rollback()
    assert count(session, SpeedTest) == count(session, QualityRating) == 0


def test_partners_and_admins_cannot_rate_or_record(session, people, factory):
    bundle = factory.partner()
    partner_sim = factory.sim(factory.subscriber(), partner=bundle).id
    admin = factory.superadmin()
    for actor, sim_id in ((bundle.actor, partner_sim), (admin, people["alice_sim"])):
        with pytest.raises(PermissionDenied):
            quality.record_speed_test(session, actor, sim_id, GOOD)
        with pytest.raises(PermissionDenied):
            quality.rate(session, actor, sim_id, "coverage", 3)
        with pytest.raises(PermissionDenied):
            quality.my_ratings(session, actor)


def test_a_rating_is_stored_with_its_comment(session, people):
    rating_id = quality.rate(
        session, people["alice"], people["alice_sim"], "speed", 4, "  Вечером медленно  "
    )
    session.commit()
    row = session.get(QualityRating, rating_id)
    assert (row.aspect, row.stars, row.comment, row.speed_test_id) == (
        "speed",
        4,
        "Вечером медленно",
        None,
    )
    assert (row.sim_id, row.user_id) == (people["alice_sim"], people["alice"].user_id)


@pytest.mark.parametrize(
    ("aspect", "stars", "comment", "code"),
    [
        ("internet", 4, "", "quality.error.aspect"),
        ("", 4, "", "quality.error.aspect"),
        ("voice", 0, "", "quality.error.stars"),
        ("voice", 6, "", "quality.error.stars"),
        ("voice", "5", "", "quality.error.stars"),
        ("voice", True, "", "quality.error.stars"),
        ("voice", 3.0, "", "quality.error.stars"),
        ("voice", 3, "x" * 1001, "quality.error.comment"),
        ("voice", 3, 42, "error.invalid"),
    ],
)
def test_bad_ratings_are_refused(session, people, aspect, stars, comment, code):
    with pytest.raises(ValidationError) as err:
        quality.rate(session, people["alice"], people["alice_sim"], aspect, stars, comment)
    assert err.value.code == code
    session.rollback()
    assert count(session, QualityRating) == 0


def test_every_aspect_and_star_count_and_a_1000_char_comment(session, people):
    for aspect in quality.ASPECTS:
        for stars in range(1, 6):
            quality.rate(session, people["alice"], people["alice_sim"], aspect, stars)
    quality.rate(session, people["alice"], people["alice_sim"], "voice", 1, "я" * 1000)
    session.commit()
    assert count(session, QualityRating) == 16


def test_a_rating_may_attach_only_the_actors_own_test_of_that_sim(session, people):
    mine = quality.record_speed_test(session, people["alice"], people["alice_sim"], GOOD)
    other_sim = quality.record_speed_test(session, people["alice"], people["alice_sim2"], GOOD)
    bobs = quality.record_speed_test(session, people["bob"], people["bob_sim"], GOOD)
    session.commit()
    rating_id = quality.rate(
        session, people["alice"], people["alice_sim"], "speed", 2, speed_test_id=mine
    )
    assert session.get(QualityRating, rating_id).speed_test_id == mine
    for test_id in (bobs, other_sim, 999_999, "1"):
        with pytest.raises(PermissionDenied):
            quality.rate(
                session, people["alice"], people["alice_sim"], "speed", 2, speed_test_id=test_id
            )
    session.commit()
    assert count(session, QualityRating) == 1


def test_listings_show_only_the_actors_own_rows_newest_first(session, people):
    first = quality.record_speed_test(session, people["alice"], people["alice_sim"], GOOD)
    second = quality.record_speed_test(session, people["alice"], people["alice_sim"], GOOD)
    elsewhere = quality.record_speed_test(session, people["alice"], people["alice_sim2"], GOOD)
    quality.record_speed_test(session, people["bob"], people["bob_sim"], GOOD)
    quality.rate(session, people["alice"], people["alice_sim"], "voice", 5, "ok", second)
    quality.rate(session, people["bob"], people["bob_sim"], "voice", 1, "bob's")
    session.commit()

    tests = quality.my_speed_tests(session, people["alice"], people["alice_sim"])
    assert [t.id for t in tests] == [second, first]
    assert tests[0].download_kbps == 35550 and tests[0].msisdn.startswith("+7")
    every = quality.my_speed_tests(session, people["alice"])
    assert {t.id for t in every} == {first, second, elsewhere}
    [rating] = quality.my_ratings(session, people["alice"], people["alice_sim"])
    assert (rating.aspect, rating.stars, rating.comment, rating.speed_test_id) == (
        "voice",
        5,
        "ok",
        second,
    )
    assert quality.my_ratings(session, people["alice"], people["alice_sim2"]) == []
    with pytest.raises(PermissionDenied):
        quality.my_speed_tests(session, people["alice"], people["bob_sim"])
    with pytest.raises(PermissionDenied):
        quality.my_ratings(session, people["alice"], people["bob_sim"])


def test_listings_keep_to_the_limit(session, people):
    for _ in range(5):
        quality.record_speed_test(session, people["alice"], people["alice_sim"], GOOD)
    session.commit()
    assert len(quality.my_speed_tests(session, people["alice"], limit=3)) == 3
    assert len(quality.my_speed_tests(session, people["alice"], limit=10_000)) == 5
