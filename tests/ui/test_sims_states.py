"""The dashboard and SIM page handlers: another subscriber's SIM cannot be made current or
touched, the PUK reaches the browser only after "show", and only the page's inputs can be set."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import Block, Sim
from paysim_app.ui.cabinet.home import CabinetHomeState
from paysim_app.ui.cabinet.sims import SimsState
from tests.ui.test_money_states import _run, _state


@pytest.fixture
def alice_and_bob(factory):
    tariff = factory.tariff("Оптимум", fee_kop=65000)
    alice, bob = factory.subscriber("alice@example.ru"), factory.subscriber("bob@example.ru")
    alice_sim = factory.sim(alice, tariff=tariff, balance_kop=10000)
    bob_sim = factory.sim(bob, tariff=tariff, balance_kop=99900, label="Bob's secret label")
    for sim, puk in ((alice_sim, "11112222"), (bob_sim, "99998888")):
        sim.puk = puk
    factory.session.commit()
    return alice_sim, bob_sim


def test_dashboard_shows_the_own_sim_and_refuses_a_foreign_one(db_url, alice_and_bob):
    alice_sim, bob_sim = alice_and_bob
    state = _state(CabinetHomeState)
    assert state.board["sim"]["id"] == alice_sim.id
    for handler in (CabinetHomeState.select_sim, CabinetHomeState.switch_sim):
        _run(handler, state, str(bob_sim.id))
        assert state.current_sim_id == alice_sim.id
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)
    assert bob_sim.msisdn not in sent and "Bob's secret label" not in sent


def test_puk_only_after_show_and_never_a_foreign_one(db_url, alice_and_bob):
    _, bob_sim = alice_and_bob
    state = _state(SimsState)
    assert "11112222" not in json.dumps(state.dict(), default=str)
    _run(SimsState.show_puk, state)
    assert state.puk == "11112222"
    state.current_sim_id = bob_sim.id  # even a forged current SIM gets nothing
    state.puk = ""
    _run(SimsState.show_puk, state)
    _run(SimsState.block, state)
    assert state.puk == ""
    with session_scope() as session:
        assert session.get(Sim, bob_sim.id).status == "active"
        assert session.exec(select(Block)).first() is None


def test_only_the_page_inputs_can_be_set(db_url, alice_and_bob):
    alice_sim, _ = alice_and_bob
    state = _state(SimsState)
    _run(SimsState.set_text, state, "current_sim_id", "1")
    _run(SimsState.set_text, state, "puk", "x")
    _run(SimsState.set_text, state, "block_reason", "fraud")  # not a subscriber's reason
    assert state.current_sim_id == alice_sim.id and state.puk == "" and state.block_reason == "lost"
    _run(SimsState.set_text, state, "label_input", "x" * 41)
    _run(SimsState.save_label, state)
    assert state.errors["label"]


def test_one_tap_rating_rates_the_own_sim_only(db_url, alice_and_bob):
    from paysim_app.models import QualityRating

    alice_sim, bob_sim = alice_and_bob
    state = _state(CabinetHomeState)
    _run(CabinetHomeState.rate, state, "coverage", 2)
    state.current_sim_id = bob_sim.id  # forged
    _run(CabinetHomeState.rate, state, "voice", 5)
    _run(CabinetHomeState.rate, state, "nonsense", 3)
    with session_scope() as session:
        rows = session.exec(select(QualityRating)).all()
    assert [(r.sim_id, r.aspect, r.stars) for r in rows] == [(alice_sim.id, "coverage", 2)]
