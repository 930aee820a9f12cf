"""The code steps of the registration and forgotten-password pages and the login card's "send
again", driven as a raw websocket client could: hostile arguments, no code waiting, a number
that is not the tab's own. The code never reaches the browser's state."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlmodel import func, select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.accounts import identity
from paysim_app.core.outbox import render_for_sending
from paysim_app.db import session_scope
from paysim_app.models import AuthSession, OutboxEmail, PhoneCode, User
from paysim_app.ui.auth.states import ForgotState, RegisterState
from paysim_app.ui.components.login_change import LoginChangeState
from tests.conftest import PASSWORD
from tests.ui.test_money_states import _run, _state
from tests.ui.test_state_security import _leaf

PHONE = "+79161234567"
NEW_PASSWORD = "Another-pass2"
HOSTILE = [None, "text", 42, [], {"code": None}, {"code": ["123456"]}, {"code": "9" * 100000}]


def _async(handler, state, *args):
    return asyncio.run(handler.fn(state, *args))


def _code(kind: str, to: str = PHONE) -> str:
    with session_scope() as session:
        sms = session.exec(
            select(OutboxEmail)
            .where(OutboxEmail.kind == kind, OutboxEmail.to_address == to)
            .order_by(OutboxEmail.id.desc())
        ).first()
        return re.search(r"\b(\d{6})\b", render_for_sending(sms)).group(1)


def _count(model) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _registering(login: str = "8 916 123-45-67"):
    state = _leaf(RegisterState)
    _run(RegisterState.on_load, state)
    form = {
        "login": login,
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        "full_name": "Ольга",
        "consent_personal_data": "on",  # both consents ticked (accounts.consent)
        "consent_terms": "on",
    }
    out = _async(RegisterState.submit, state, form)
    assert (out is None) == (not login.endswith(".ru"))  # a phone stays; an e-mail moves on
    return state


def test_register_by_phone_shows_the_code_step_and_signs_in_on_the_right_code(db_url):
    state = _registering()
    assert state.errors == {} and "+7\u00a0916\u00a0123-45-67" in state.code_text
    assert state.auth_token == "" and _count(User) == 0
    code = _code("sms_code_register")
    assert code not in json.dumps(state.dict(), default=str)

    for hostile in HOSTILE:
        _async(RegisterState.confirm, state, hostile)
        assert list(state.errors) == ["code"] and "6" in state.errors["code"]
    wrong = "000000" if code != "000000" else "111111"
    _async(RegisterState.confirm, state, {"code": wrong})
    assert "4" in state.errors["code"]  # attempts left
    assert _count(User) == 0

    redirect = _async(RegisterState.confirm, state, {"code": code})
    assert redirect is not None and state.auth_token
    assert _count(User) == 1 and _count(AuthSession) == 1
    with session_scope() as session:
        assert session.exec(select(User.phone)).one() == PHONE


def test_the_code_step_without_a_waiting_number_does_nothing(db_url):
    state = _leaf(RegisterState)
    _run(RegisterState.on_load, state)
    _async(RegisterState.confirm, state, {"code": "123456"})
    assert list(state.errors) == ["code"]
    _run(RegisterState.resend, state)
    assert list(state.errors) == ["code"]
    page = _leaf(ForgotState)
    _run(ForgotState.on_load, page)
    _async(
        ForgotState.reset_by_code,
        page,
        {"code": "123456", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert list(page.errors) == ["code"]
    _run(ForgotState.resend, page)
    assert list(page.errors) == ["code"]
    assert _count(OutboxEmail) == 0 and _count(PhoneCode) == 0


def test_resend_too_early_says_in_how_many_seconds_and_another_number_starts_over(db_url):
    state = _registering()
    _run(RegisterState.resend, state)
    assert re.search(r"через \d+ с", state.errors["code"])
    assert _count(OutboxEmail) == 1
    _run(RegisterState.other_number, state)
    assert state.code_text == "" and state.errors == {}
    _async(RegisterState.confirm, state, {"code": _code("sms_code_register")})
    assert list(state.errors) == ["code"] and _count(User) == 0  # the number was forgotten


def test_the_form_sent_again_too_soon_says_so_above_the_form(db_url):
    state = _registering()
    _run(RegisterState.on_load, state)  # the page opened again: the form, not the code step
    assert state.code_text == ""
    form = {"login": PHONE, "password": PASSWORD, "password_repeat": PASSWORD, "full_name": ""}
    form |= {"consent_personal_data": "on", "consent_terms": "on"}
    assert _async(RegisterState.submit, state, form) is None
    assert list(state.errors) == ["form"] and re.search(r"через \d+ с", state.errors["form"])
    assert state.code_text == "" and _count(OutboxEmail) == 1


def test_register_by_email_signs_in_at_once(db_url):
    state = _registering("olga@example.ru")
    assert state.code_text == "" and state.auth_token
    assert _count(PhoneCode) == 0


@pytest.fixture
def olga(factory):
    return factory.subscriber(PHONE)


def test_forgot_by_phone_asks_for_the_code_and_the_new_password(db_url, olga):
    page = _leaf(ForgotState)
    _run(ForgotState.on_load, page)
    _run(ForgotState.submit, page, {"login": "8 916 123 45 67"})
    assert page.error == "" and not page.sent and "+7\u00a0916\u00a0123-45-67" in page.code_text
    code = _code("sms_code_reset")
    assert code not in json.dumps(page.dict(), default=str)
    for hostile in HOSTILE:
        _async(ForgotState.reset_by_code, page, hostile)
        assert page.errors and not page.done
    form = {"code": code, "password": NEW_PASSWORD, "password_repeat": "Other-pass-3"}
    _async(ForgotState.reset_by_code, page, form)
    assert list(page.errors) == ["password_repeat"]
    form = {"code": code, "password": "short", "password_repeat": "short"}
    _async(ForgotState.reset_by_code, page, form)
    assert list(page.errors) == ["password"]
    form = {"code": code, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
    _async(ForgotState.reset_by_code, page, form)
    assert page.done and page.errors == {}
    with session_scope() as session:
        identity.sign_in(session, PHONE, NEW_PASSWORD)


def test_forgot_for_an_unknown_phone_looks_the_same(db_url):
    page = _leaf(ForgotState)
    _run(ForgotState.on_load, page)
    _run(ForgotState.submit, page, {"login": PHONE})
    assert page.error == "" and "+7\u00a0916\u00a0123-45-67" in page.code_text
    assert _count(OutboxEmail) == 0
    for hostile in (None, "x", {"login": ["+79161234567"]}):
        other = _leaf(ForgotState)
        _run(ForgotState.submit, other, hostile)
        assert other.error and other.code_text == ""


def test_the_login_card_sends_the_code_again_only_after_a_minute(db_url, factory):
    factory.subscriber("olga@example.ru")
    state = _state(LoginChangeState, "olga@example.ru")
    asyncio.run(LoginChangeState.submit.fn(state, {"new_login": PHONE, "login_password": PASSWORD}))
    assert state.pending_kind == "phone"
    _run(LoginChangeState.resend_code, state)
    assert list(state.errors) == ["login_code"] and re.search(r"\d+ с", state.errors["login_code"])
    signed_out = _leaf(LoginChangeState)
    assert _run(LoginChangeState.resend_code, signed_out) is not None  # to the sign-in page
    assert _count(OutboxEmail) == 2  # the code and the notice to the old login, nothing more
