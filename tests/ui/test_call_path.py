"""SessionState._call / _call_async: the one way a page calls the domain. The signed-in actor
goes first, a refusal comes back as the page's message (never an exception), nobody signed in
is sent to the sign-in page, and a public verb gets no actor."""

from __future__ import annotations

import asyncio

from paysim_app.core.errors import DomainError, ValidationError
from paysim_app.ui.cabinet.home import CabinetHomeState
from tests.ui.test_state_security import _leaf, _signed_in


def _state(factory, login: str = "call@example.ru"):
    factory.subscriber(login)
    state = _leaf(CabinetHomeState)
    state.auth_token = _signed_in(login)
    return state


def _echo(actor, *args, **kwargs):
    return actor, args, kwargs


def _refuse(actor):
    raise DomainError("error.not_found")


def _bad_field(actor):
    raise ValidationError("error.not_found", field="amount")


def test_the_signed_in_actor_goes_first_and_the_value_comes_back(db_url, factory):
    state = _state(factory)
    res = state._call(_echo, 1, two=2)
    assert res
    actor, args, kwargs = res.value
    assert (actor.login, args, kwargs) == ("call@example.ru", (1,), {"two": 2})
    assert (res.error, res.field, res.redirect) == ("", "", None)


def test_a_refusal_is_the_pages_message_in_its_language(db_url, factory):
    state = _state(factory)
    res = state._call(_refuse)
    assert not res and res.code == "error.not_found" and res.field == ""
    assert res.error == state._t("error.not_found") and res.error != "error.not_found"
    state.locale = "en"
    assert state._call(_refuse).error == state._t("error.not_found")


def test_a_refused_value_names_its_field(db_url, factory):
    res = _state(factory)._call(_bad_field)
    assert not res and res.field == "amount"


def test_nobody_signed_in_is_sent_to_sign_in_and_the_verb_never_runs(db_url):
    state = _leaf(CabinetHomeState)
    ran = []
    res = state._call(lambda actor: ran.append(actor))
    assert not res and res.redirect is not None and ran == []
    res = asyncio.run(state._call_async(lambda actor: ran.append(actor)))
    assert not res and res.redirect is not None and ran == []


def test_a_public_verb_gets_no_actor(db_url):
    state = _leaf(CabinetHomeState)
    res = state._call(lambda *args: args, "x", public=True)
    assert res and res.value == ("x",)


def test_call_async_runs_the_verb_in_a_worker_thread(db_url, factory):
    import threading

    state = _state(factory)
    loop_thread = threading.get_ident()
    res = asyncio.run(state._call_async(lambda actor: (actor.login, threading.get_ident())))
    login, thread = res.value
    assert login == "call@example.ru" and thread != loop_thread
    assert not asyncio.run(state._call_async(_refuse))
