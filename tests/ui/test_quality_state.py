"""QualityState's handlers: a rating lands on the current (own) SIM only, a forged SIM or
speed test is refused, and the browser's report after a test is only a hint."""

from __future__ import annotations

from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import QualityRating
from paysim_app.support import quality
from paysim_app.ui.cabinet.quality import QualityState
from tests.ui.test_state_security import _leaf, _signed_in

FIGS = quality.SpeedFigures(10, 1, 20, 5)


def _ratings() -> list[QualityRating]:
    with session_scope() as session:
        return list(session.exec(select(QualityRating)).all())


def _alice_state(factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    alice_sim, bob_sim = factory.sim(alice), factory.sim(bob)
    state = _leaf(QualityState)
    state.auth_token = _signed_in("alice@example.ru")
    QualityState.load.fn(state)
    assert state.current_sim_id == alice_sim.id
    return state, alice, bob, alice_sim, bob_sim


def test_rate_stores_on_the_current_sim_and_shows_the_support_hint_when_low(db_url, factory):
    state, alice, _, alice_sim, _ = _alice_state(factory)
    QualityState.set_comment.fn(state, "x" * 5000)
    assert len(state.comment) == 1000
    QualityState.set_comment.fn(state, "Нет сети в подвале")
    QualityState.rate.fn(state, "coverage", 2)
    [row] = _ratings()
    assert (row.sim_id, row.aspect, row.stars, row.comment) == (
        alice_sim.id,
        "coverage",
        2,
        "Нет сети в подвале",
    )
    assert state.low_hint and state.rated["coverage"] == 2 and state.comment == ""
    assert state.rating_rows[0]["stars"] == "★★☆☆☆"
    QualityState.rate.fn(state, "voice", 5)
    assert not state.low_hint


def test_a_forged_sim_or_test_is_refused(db_url, factory):
    state, _, bob, _, bob_sim = _alice_state(factory)
    with session_scope() as session:
        bobs_test = quality.record_speed_test(session, bob, bob_sim.id, FIGS)
    state.current_sim_id = bob_sim.id  # a client cannot set it, but even if it could
    QualityState.rate.fn(state, "voice", 1)
    state.current_sim_id = 0
    QualityState.load.fn(state)
    state.tests = [{"id": bobs_test}]  # a forged "latest result"
    state.attach = True
    QualityState.rate.fn(state, "voice", 1)
    QualityState.rate.fn(state, "nonsense", 3)
    QualityState.rate.fn(state, "voice", 99)
    assert _ratings() == []


def test_attach_needs_a_result_and_test_done_reloads_from_the_database(db_url, factory):
    state, alice, _, alice_sim, _ = _alice_state(factory)
    QualityState.set_attach.fn(state, True)
    assert state.attach is False  # nothing to attach yet
    QualityState.test_done.fn(state, {"ok": True, "id": 424242, "download_mbps": 1e9})
    assert state.tests == [] and state.latest["id"] == ""  # the claim is not believed
    with session_scope() as session:
        test_id = quality.record_speed_test(session, alice, alice_sim.id, FIGS)
    QualityState.test_done.fn(state, {"ok": True, "id": test_id})
    assert state.latest["id"] == str(test_id) and state.latest["download"] == "20,0"
    assert not state.running
    QualityState.rate_with_latest.fn(state)
    QualityState.rate.fn(state, "speed", 4)
    [row] = _ratings()
    assert row.speed_test_id == test_id
    QualityState.test_done.fn(state, {"ok": False, "error": "HTTP 500"})
    assert "HTTP 500" in state.test_error
    QualityState.test_done.fn(state, "garbage")
    assert state.test_error
