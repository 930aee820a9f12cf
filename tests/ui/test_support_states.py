"""The support pages' handlers: the list and a new ticket go through the service, a ticket of
another subscriber is never shown, answered, closed or rated, whatever id the browser sends."""

from __future__ import annotations

import json

import pytest
from reflex.istate.data import RouterData
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import Ticket, TicketMessage
from paysim_app.support import ticketing
from paysim_app.ui.cabinet.support import SupportState, TicketState
from tests.ui.test_money_states import _run, _state
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def tickets(factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    alice_sim = factory.sim(alice)
    bob_sim = factory.sim(bob)
    s = factory.session
    mine = ticketing.open_ticket(s, alice, "speed", "Медленно вечером", "1 Мбит/с")
    theirs = ticketing.open_ticket(
        s, bob, "payments", "Bob's secret subject", "Bob's secret body", bob_sim.id
    )
    s.get(Ticket, theirs).status = "resolved"
    s.commit()
    return {"mine": mine, "theirs": theirs, "alice_sim": alice_sim, "bob_sim": bob_sim}


def _ticket_state(ticket_id: int | str):
    state = _leaf(TicketState)
    state.auth_token = _signed_in("alice@example.ru")
    state.router = RouterData.from_router_data(
        {
            "asPath": f"/cabinet/support/{ticket_id}",
            "pathname": "/cabinet/support/[ticket_id]",
            "query": {"ticket_id": str(ticket_id)},
            "headers": {"origin": "http://localhost"},
        }
    )
    _run(TicketState.load, state)
    return state


def _sent(state) -> str:
    return json.dumps(state.dict(), default=str, ensure_ascii=False)


def test_list_shows_own_tickets_and_opens_a_new_one(db_url, tickets):
    state = _state(SupportState)
    assert [c["subject"] for c in state.rows] == ["Медленно вечером"]
    assert "Bob's secret" not in _sent(state)
    _run(SupportState.set_new, state, "category", "sim")
    _run(SupportState.set_new, state, "sim", str(tickets["alice_sim"].id))
    _run(SupportState.submit, state, {"subject": "Не работает сим", "body": "Совсем"})
    assert [c["subject"] for c in state.rows][0] == "Не работает сим"
    assert state.total == 2 and state.errors["subject"] == ""
    _run(SupportState.set_filter, state, "category", "speed")
    assert [c["subject"] for c in state.rows] == ["Медленно вечером"]
    _run(SupportState.set_filter, state, "category", "bogus")  # refused: a message, no rows
    assert state.list_error and state.rows == []
    _run(SupportState.set_filter, state, "category", "speed")
    assert [c["subject"] for c in state.rows] == ["Медленно вечером"]


def test_new_ticket_bad_input_and_a_foreign_sim_are_field_errors(db_url, tickets):
    state = _state(SupportState)
    _run(SupportState.submit, state, {"subject": "ab", "body": "x"})
    assert state.errors["subject"]
    state.new_sim = str(tickets["bob_sim"].id)  # even a forged choice of Bob's SIM
    _run(SupportState.submit, state, {"subject": "Чужая сим", "body": "x"})
    assert state.errors["sim"]
    with session_scope() as session:
        assert len(session.exec(select(Ticket)).all()) == 2  # nothing new


def test_own_thread_reply_close(db_url, tickets):
    state = _ticket_state(tickets["mine"])
    assert state.head["subject"] == "Медленно вечером"
    assert [m["body"] for m in state.messages] == ["1 Мбит/с"]
    _run(TicketState.reply, state, {"reply": "Всё ещё медленно"})
    assert [m["body"] for m in state.messages][-1] == "Всё ещё медленно"
    _run(TicketState.reply, state, {"reply": "  "})
    assert state.reply_error
    _run(TicketState.close, state)
    assert state.ticket["status"] == "closed" and state.head["can_reply"] == ""


def test_another_subscribers_ticket_is_refused(db_url, tickets):
    theirs = tickets["theirs"]
    state = _ticket_state(theirs)
    assert state.ticket == {} and state.head["found"] == ""
    assert "Bob's secret" not in _sent(state)
    state = _ticket_state(tickets["mine"])
    state.ticket = {**state.ticket, "id": theirs}  # a forged id cannot reach Bob's ticket
    state.rating = "5"
    _run(TicketState.reply, state, {"reply": "hijack"})
    _run(TicketState.rate, state, {"rating_comment": "x"})
    _run(TicketState.close, state)
    assert "Bob's secret" not in _sent(state)
    with session_scope() as session:
        t = session.get(Ticket, theirs)
        assert (t.status, t.rating) == ("resolved", None)
        bodies = session.exec(
            select(TicketMessage.body).where(TicketMessage.ticket_id == theirs)
        ).all()
        assert bodies == ["Bob's secret body"]
    for junk in ("abc", "-1", "999999"):
        assert _ticket_state(junk).ticket == {}


def test_rating_a_resolved_ticket(db_url, tickets):
    with session_scope() as session:
        session.get(Ticket, tickets["mine"]).status = "resolved"
    state = _ticket_state(tickets["mine"])
    assert state.head["can_rate"] == "1"
    _run(TicketState.rate, state, {"rating_comment": ""})
    assert state.rate_error  # no stars chosen
    _run(TicketState.set_rating, state, "9")
    assert state.rating == ""
    _run(TicketState.set_rating, state, "4")
    _run(TicketState.rate, state, {"rating_comment": "Спасибо"})
    assert state.ticket["rating"] == 4 and state.head["can_rate"] == ""
    assert "4" in state.head["rated"]
