"""(b) and (d) at the state level: a state event with someone else's SIM id is refused, and the
state a signed-in subscriber's browser receives holds no secret and no other user's data."""

from __future__ import annotations

import json

import pytest
import reflex as rx
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.accounts import identity
from paysim_app.db import session_scope
from paysim_app.models import AuthSession, User
from paysim_app.ui.cabinet.home import CabinetHomeState
from tests.conftest import PASSWORD


def _leaf(cls: type[rx.State]):
    root = rx.State(_reflex_internal_init=True)
    return root.get_substate(cls.get_full_name().split("."))


def _signed_in(login: str) -> str:
    with session_scope() as session:
        token, _ = identity.sign_in(session, login, PASSWORD)
    return token


@pytest.fixture
def two_subscribers(factory):
    tariff = factory.tariff("Оптимум", fee_kop=65000)
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    alice_sim = factory.sim(alice, tariff=tariff, balance_kop=12345, label="Дом")
    bob_sim = factory.sim(bob, tariff=tariff, balance_kop=99900, label="Bob's secret label")
    return alice, bob, alice_sim, bob_sim


def test_select_sim_with_another_subscribers_sim_is_refused(db_url, two_subscribers):
    _, _, alice_sim, bob_sim = two_subscribers
    state = _leaf(CabinetHomeState)
    state.auth_token = _signed_in("alice@example.ru")
    CabinetHomeState.load.fn(state)
    assert state.current_sim_id == alice_sim.id

    result = CabinetHomeState.select_sim.fn(state, bob_sim.id)
    assert state.current_sim_id == alice_sim.id  # unchanged
    assert result is not None  # a refusal toast, not data
    assert bob_sim.msisdn not in json.dumps(state.dict(), default=str)
    # a string, a nonsense value and a missing id are refused the same way
    for bad in (str(bob_sim.id), "1; DROP TABLE sim", None, 10**9):
        CabinetHomeState.select_sim.fn(state, bad)
        assert state.current_sim_id == alice_sim.id


def test_select_sim_without_a_session_does_nothing(db_url, two_subscribers):
    _, _, _, bob_sim = two_subscribers
    state = _leaf(CabinetHomeState)
    state.auth_token = "not-a-real-token"
    CabinetHomeState.select_sim.fn(state, bob_sim.id)
    assert state.current_sim_id == 0
    assert state.sims == []


def test_serialised_state_of_a_subscriber_holds_no_secret(db_url, two_subscribers):
    _, _, alice_sim, bob_sim = two_subscribers
    token = _signed_in("alice@example.ru")
    state = _leaf(CabinetHomeState)
    state.auth_token = token
    CabinetHomeState.load.fn(state)
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)

    assert alice_sim.msisdn[2:5] in sent.replace(" ", "")  # the subscriber's own data is there
    with session_scope() as session:
        hashes = list(session.exec(select(User.password_hash)))
        token_hashes = list(session.exec(select(AuthSession.token_hash)))
    for secret in hashes + token_hashes:
        assert secret not in sent
    assert "$2b$" not in sent
    assert bob_sim.msisdn not in sent and "Bob's secret label" not in sent
    assert "bob@example.ru" not in sent
    # backend-only vars never go to the browser
    assert "_user_id" not in sent


def test_an_id_from_the_browser_is_a_positive_int4_or_minus_one():
    from paysim_app.ui.components.ids import browser_id

    assert [browser_id(v) for v in ("42", 7, " 3 ")] == [42, 7, 3]
    odd = ("", "abc", "1.5", "0", "-5", str(2**31), "9" * 30, None, "1e3")
    assert [browser_id(v) for v in odd] == [-1] * len(odd)
