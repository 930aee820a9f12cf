"""The balance correction's handler on the admin's subscriber card: the form carries a key (made
when the form is opened), the values and the key travel with the post, and the same post
delivered twice (a double click, a replayed websocket event) corrects once and answers alike."""

from __future__ import annotations

import re

import pytest
from reflex.istate.data import RouterData
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import LedgerEntry, Sim
from paysim_app.ui.admin.subscribers import AdminSubscriberState
from tests.ui.test_money_states import _run
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def card(factory):
    factory.admin_user(email="boss@example.ru")
    alice = factory.subscriber("alice@example.ru")
    sim = factory.sim(alice, balance_kop=10000)
    return {"sub_id": alice.subscriber_id, "sim_id": sim.id}


def _state(subscriber_id: int):
    state = _leaf(AdminSubscriberState)
    state.auth_token = _signed_in("boss@example.ru")
    state.router = RouterData.from_router_data(
        {
            "asPath": f"/admin/subscribers/{subscriber_id}",
            "pathname": "/admin/subscribers/[subscriber_id]",
            "query": {"subscriber_id": str(subscriber_id)},
            "headers": {"origin": "http://localhost"},
        }
    )
    _run(AdminSubscriberState.load, state)
    return state


def _corrections(sim_id: int) -> list[LedgerEntry]:
    with session_scope() as session:
        return list(
            session.exec(
                select(LedgerEntry).where(
                    LedgerEntry.sim_id == sim_id,
                    LedgerEntry.kind == "adjustment",
                    LedgerEntry.comment != "test setup",
                )
            ).all()
        )


def _said(event) -> str:
    """A toast event as text (without the addresses of the objects in it)."""
    return re.sub(r" at 0x[0-9a-f]+", "", str(event))


def _balance(sim_id: int) -> int:
    with session_scope() as session:
        return session.get(Sim, sim_id).balance_kop


def test_the_same_post_twice_corrects_once_and_answers_alike(db_url, card):
    state = _state(card["sub_id"])
    key = state.correction_key
    assert key and state.correction["sim"] == str(card["sim_id"])
    post = {
        "sim": str(card["sim_id"]),
        "sign": "credit",
        "amount": "250,50",
        "comment": "Компенсация за сбой",
        "form_key": key,
    }
    first = _run(AdminSubscriberState.correct, state, post)
    assert state.correction_key != key  # answered: the form is new, with a new key
    assert state.correction["amount"] == ""
    again = _run(AdminSubscriberState.correct, state, post)  # the second click's event
    assert _said(again) == _said(first) and state.correction_error == ""
    assert [e.amount_kop for e in _corrections(card["sim_id"])] == [25050]
    assert _balance(card["sim_id"]) == 35050
    # the new form posts a new correction
    _run(AdminSubscriberState.set_correction, state, "amount", "-50")
    _run(AdminSubscriberState.set_correction, state, "comment", "Ошибочное зачисление")
    _run(AdminSubscriberState.correct, state)  # no form data: the state's values and key
    assert _balance(card["sim_id"]) == 30050
    assert len(_corrections(card["sim_id"])) == 2


def test_a_post_without_a_usable_key_is_refused(db_url, card):
    state = _state(card["sub_id"])
    post = {"sim": str(card["sim_id"]), "amount": "10", "comment": "Бонус", "form_key": "x"}
    _run(AdminSubscriberState.correct, state, post)
    assert state.correction_error and _corrections(card["sim_id"]) == []
