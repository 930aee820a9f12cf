"""The profile page's handlers: bad input becomes a field error, another user's session cannot
be ended, and no token hash reaches the browser. (The channel of each notification kind, which
replaced the e-mail switches, is tests/ui/test_notification_states.py's.)"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.accounts import identity
from paysim_app.db import session_scope
from paysim_app.models import AuthSession, Subscriber, User
from paysim_app.ui.cabinet.profile import ProfileState
from paysim_app.ui.components.sessions import SessionsState
from tests.ui.test_money_states import _run, _state
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def alice_and_bob(factory):
    return factory.subscriber("alice@example.ru"), factory.subscriber("bob@example.ru")


def test_load_fills_the_form_and_marks_this_browser(db_url, alice_and_bob):
    _signed_in("alice@example.ru")  # another browser of alice's
    state = _state(ProfileState)
    assert state.full_name == "Иван Петров" and state.login == "alice@example.ru"
    assert state.contract_no.startswith("PS-")
    sessions = _leaf(SessionsState)
    sessions.auth_token = state.auth_token  # the same browser
    _run(SessionsState.load, sessions)
    assert [r["current"] for r in sessions.session_rows] == ["1", ""]
    assert sessions.has_others
    with session_scope() as session:
        hashes = session.exec(select(AuthSession.token_hash)).all()
    sent = json.dumps([state.dict(), sessions.dict()], default=str)
    assert not any(h in sent for h in hashes)


def test_save_shows_field_errors_then_saves(db_url, alice_and_bob):
    state = _state(ProfileState)
    form = {"full_name": "Алиса", "email": "nope", "phone": "", "address": ""}
    _run(ProfileState.save_personal, state, form)
    assert state.errors["email"] and not state.errors["full_name"]
    _run(ProfileState.save_personal, state, {**form, "email": "a@b.ru", "phone": "9161234567"})
    assert not any(state.errors.values())
    assert (state.phone, state.user_name) == ("+7 916 123-45-67", "Алиса")
    with session_scope() as session:
        sub = session.exec(select(Subscriber).where(Subscriber.email == "a@b.ru")).one()
        assert sub.phone == "+79161234567" and session.get(User, sub.user_id).full_name == "Алиса"


def test_only_the_form_fields_can_be_set(db_url, alice_and_bob):
    state = _state(ProfileState)
    _run(ProfileState.set_field, state, "contract_no", "PS-9999999")
    _run(ProfileState.set_field, state, "login", "x")
    _run(ProfileState.set_field, state, "address", "д" * 1000)
    assert state.contract_no.startswith("PS-0") and state.login == "alice@example.ru"
    assert len(state.address) == 300


def test_bobs_session_cannot_be_ended_from_alices_page(db_url, alice_and_bob):
    _, bob = alice_and_bob
    bob_token = _signed_in("bob@example.ru")
    with session_scope() as session:
        bob_ids = session.exec(
            select(AuthSession.id).where(AuthSession.user_id == bob.user_id)
        ).all()
    state = _state(SessionsState)
    for forged in (*[str(i) for i in bob_ids], "abc", "-1"):
        _run(SessionsState.revoke, state, forged)
    with session_scope() as session:
        assert identity.resolve_session(session, bob_token) is not None


def test_sign_out_others_keeps_this_browser(db_url, alice_and_bob):
    other = _signed_in("alice@example.ru")
    state = _state(SessionsState)
    _run(SessionsState.sign_out_others, state)
    assert [r["current"] for r in state.session_rows] == ["1"] and not state.has_others
    with session_scope() as session:
        assert identity.resolve_session(session, other) is None
        assert identity.resolve_session(session, state.auth_token) is not None


def test_revoking_an_own_other_session(db_url, alice_and_bob):
    other = _signed_in("alice@example.ru")
    state = _state(SessionsState)
    other_id = next(r["id"] for r in state.session_rows if not r["current"])
    _run(SessionsState.revoke, state, other_id)
    assert len(state.session_rows) == 1
    with session_scope() as session:
        assert identity.resolve_session(session, other) is None


def test_a_partner_is_sent_away(db_url, factory):
    bundle = factory.partner()
    state = _leaf(ProfileState)
    state.auth_token = _signed_in(bundle.login)
    assert _run(ProfileState.load, state) is not None
    assert state.full_name == ""


@pytest.mark.parametrize("who", ["partner", "admin"])
def test_partners_and_admins_see_and_end_their_own_sessions(db_url, factory, who):
    login = factory.partner().login if who == "partner" else factory.admin_user().email
    other = _signed_in(login)
    state = _state(SessionsState, login)
    assert [r["current"] for r in state.session_rows] == ["1", ""]
    _run(SessionsState.sign_out_others, state)
    assert [r["current"] for r in state.session_rows] == ["1"]
    with session_scope() as session:
        assert identity.resolve_session(session, other) is None
        assert identity.resolve_session(session, state.auth_token) is not None
