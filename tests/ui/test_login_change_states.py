"""The login card and the confirmation page: errors land on their fields, the password check
runs in a thread, a confirmed address becomes the login and ends the other sessions, and no
link token or code reaches the browser."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from reflex.istate.data import RouterData
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.accounts import identity
from paysim_app.core.outbox import render_for_sending
from paysim_app.db import session_scope
from paysim_app.models import OutboxEmail, User
from paysim_app.ui.auth.confirm_login import ConfirmLoginState
from paysim_app.ui.components.login_change import LoginChangeState
from tests.conftest import PASSWORD
from tests.ui.test_money_states import _run, _state
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def olga(factory):
    return factory.subscriber("olga@example.ru")


def _submit(state, new_login: str, password: str = PASSWORD):
    form = {"new_login": new_login, "login_password": password}
    return asyncio.run(LoginChangeState.submit.fn(state, form))


def _sent_mail(kind: str) -> str:
    with session_scope() as session:
        mail = session.exec(select(OutboxEmail).where(OutboxEmail.kind == kind)).one()
        return render_for_sending(mail)


def _login_of(user_id: int) -> tuple[str | None, str | None]:
    with session_scope() as session:
        user = session.get(User, user_id)
        return user.email, user.phone


def test_bad_input_and_a_wrong_password_land_on_their_fields(db_url, olga):
    state = _state(LoginChangeState, "olga@example.ru")
    assert "olga@example.ru" in state.current_text and state.pending_kind == ""
    _submit(state, "nope")
    assert list(state.errors) == ["new_login"]
    _submit(state, "new@mail.ru", "Wrong-pass1")
    assert list(state.errors) == ["login_password"]
    _submit(state, "new@mail.ru", {"not": "text"})
    assert list(state.errors) == ["login_password"]
    with session_scope() as session:
        assert session.exec(select(OutboxEmail)).all() == []


def test_an_email_change_waits_then_the_link_page_confirms_it(db_url, olga):
    state = _state(LoginChangeState, "olga@example.ru")
    other = _signed_in("olga@example.ru")
    _submit(state, "Olga.New@Mail.ru")
    assert not state.errors
    assert (state.pending_kind, state.pending_value) == ("email", "olga.new@mail.ru")
    assert "olga.new@mail.ru" in state.pending_text
    token = re.search(r"confirm-login\?token=([\w-]+)", _sent_mail("login_confirm")).group(1)
    assert token not in json.dumps(state.dict(), default=str)

    page = _leaf(ConfirmLoginState)
    page.auth_token = state.auth_token  # opened in the same browser
    page.router = RouterData.from_router_data(
        {
            "asPath": f"/confirm-login?token={token}",
            "pathname": "/confirm-login",
            "query": {"token": token},
            "headers": {"origin": "http://localhost"},
        }
    )
    _run(ConfirmLoginState.on_load, page)
    _run(ConfirmLoginState.confirm, page)
    assert page.error == "" and page.done == "olga.new@mail.ru"
    assert "olga.new@mail.ru" in page.done_text
    assert _login_of(olga.user_id) == ("olga.new@mail.ru", None)
    with session_scope() as session:
        assert identity.resolve_session(session, other) is None
        assert identity.resolve_session(session, state.auth_token) is not None
    _run(ConfirmLoginState.confirm, page)  # a second press: the link is spent
    assert page.error


def test_a_phone_change_is_confirmed_by_its_code_or_cancelled(db_url, olga):
    state = _state(LoginChangeState, "olga@example.ru")
    _submit(state, "+7 916 123-45-67")
    assert state.pending_kind == "phone"
    code = re.search(r"\b(\d{6})\b", _sent_mail("sms_code_login_change")).group(1)
    _run(LoginChangeState.confirm_code, state, {"login_code": "12"})
    assert list(state.errors) == ["login_code"]
    _run(LoginChangeState.confirm_code, state, {"login_code": code})
    assert not state.errors and state.pending_kind == ""
    assert state.login_phone == "+79161234567" and "+7 916 123-45-67" in state.current_text
    assert _login_of(olga.user_id) == ("olga@example.ru", "+79161234567")

    _submit(state, "olga.other@mail.ru")
    assert state.pending_kind == "email"
    _run(LoginChangeState.cancel, state)
    assert state.pending_kind == "" and state.pending_text == ""


def test_a_signed_out_tab_is_sent_to_sign_in(db_url, olga):
    state = _leaf(LoginChangeState)
    assert _submit(state, "new@mail.ru") is not None
    assert _run(LoginChangeState.confirm_code, state, {"login_code": "123456"}) is not None
    assert _run(LoginChangeState.cancel, state) is not None
    assert _login_of(olga.user_id) == ("olga@example.ru", None)
