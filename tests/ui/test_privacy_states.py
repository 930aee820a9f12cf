"""The pages of personal data: registration without both ticks, the consent page after a new
version, the profile's archive link (the route answers the owner's session only) and the
request to close; the console's publishing form."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import select
from starlette.testclient import TestClient

import paysim_app.paysim_app  # noqa: F401
from paysim_app.accounts import consent, identity
from paysim_app.api.privacy import archive_link
from paysim_app.api.routes import api
from paysim_app.db import session_scope
from paysim_app.models import ClosureRequest, User
from paysim_app.ui.admin.privacy import LegalTextsState
from paysim_app.ui.auth.consent import ConsentState, LegalState
from paysim_app.ui.auth.states import RegisterState
from paysim_app.ui.cabinet.privacy import PrivacyState
from tests.conftest import PASSWORD
from tests.ui.test_money_states import _run
from tests.ui.test_state_security import _leaf, _signed_in


def _register(form: dict):
    state = _leaf(RegisterState)
    _run(RegisterState.on_load, state)
    out = _run(RegisterState.submit, state, form)
    return state, out


def test_registration_without_both_ticks_says_so_and_creates_nothing(db_url):
    base = {
        "login": "new@example.ru",
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        "full_name": "Нина",
    }
    for ticks in ({}, {"consent_personal_data": "on"}, {"consent_terms": "on"}):
        state, _ = _register({**base, **ticks})
        assert state.errors == {"consent": state._t("consent.required")}
    with session_scope() as s:
        assert s.exec(select(User)).all() == []
    state, out = _register({**base, "consent_personal_data": "on", "consent_terms": "on"})
    assert state.errors == {} and out is not None and state.auth_token


def test_the_consent_page_shows_the_new_version_and_records_acceptance(db_url, factory):
    sub = factory.subscriber("alice@example.ru")
    admin = factory.superadmin()
    state = _leaf(ConsentState)
    state.auth_token = _signed_in(sub.login)
    assert _run(ConsentState.load, state) is not None  # nothing due: home
    consent.publish_version(admin, "terms", "Условия, редакция 2", "Terms, version 2")
    assert identity.resolve_session(state.auth_token).consent_due
    _run(ConsentState.load, state)
    assert [x["doc"] for x in state.shown] == ["terms"]
    assert "редакция 2" in state.shown[0]["body"] and "2" in state.shown[0]["edition"]
    state.locale = "en"
    state._follow_locale()  # as the door does before its next event
    assert state.shown[0]["body"] == "Terms, version 2"
    _run(ConsentState.accept, state, {})
    assert state.error and identity.resolve_session(state.auth_token).consent_due
    _run(ConsentState.accept, state, {"accept_terms": "on"})
    assert state.error == "" and not identity.resolve_session(state.auth_token).consent_due


def test_the_legal_page_is_public(db_url):
    state = _leaf(LegalState)
    _run(LegalState.load, state)
    assert [x["anchor"] for x in state.shown] == ["personal-data", "terms"]


def test_the_archive_link_opens_for_its_session_only(db_url, factory):
    factory.subscriber("alice@example.ru", full_name="Алиса")
    state = _leaf(PrivacyState)
    state.auth_token = _signed_in("alice@example.ru")
    out = _run(PrivacyState.download, state)
    assert out is not None
    sid = identity.session_id_of(state.auth_token)
    client = TestClient(api)
    answer = client.get(archive_link(sid))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as z:
        assert "Алиса" in z.read("contract.json").decode()
    assert client.get(archive_link(sid) + "x").status_code == 404  # altered
    assert client.get("/api/privacy/archive").status_code == 404
    identity.sign_out(state.auth_token)
    assert client.get(archive_link(sid)).status_code == 404  # the session ended
    admin = factory.superadmin()
    with session_scope() as s:
        token, _ = identity.sign_in(s, admin.login, PASSWORD)
    assert client.get(archive_link(identity.session_id_of(token))).status_code == 404


def test_asking_to_close_from_the_profile(db_url, factory):
    factory.subscriber("alice@example.ru")
    state = _leaf(PrivacyState)
    state.auth_token = _signed_in("alice@example.ru")
    _run(PrivacyState.load, state)
    assert state.pending_since == ""
    _run(PrivacyState.ask_closure, state, {"close_password": "wrong"})
    assert state.password_error and state.pending_since == ""
    _run(PrivacyState.ask_closure, state, {"close_password": PASSWORD})
    assert state.password_error == "" and state.pending_since and state.pending_text
    _run(PrivacyState.ask_closure, state, {"close_password": PASSWORD})
    assert state.error  # one request at a time
    _run(PrivacyState.withdraw, state)
    assert state.pending_since == ""
    with session_scope() as s:
        assert [r.status for r in s.exec(select(ClosureRequest))] == ["withdrawn"]


def test_publishing_from_the_console(db_url, factory):
    admin = factory.superadmin()
    state = _leaf(LegalTextsState)
    state.auth_token = _signed_in(admin.login)
    _run(LegalTextsState.load, state)
    assert {h["version"] for h in state.history} == {"1"}
    _run(LegalTextsState.set_field, state, "doc", "terms")
    _run(LegalTextsState.publish, state)
    assert state.field == "body_ru" and state.error
    _run(LegalTextsState.set_field, state, "body_ru", "Новые условия")
    _run(LegalTextsState.set_field, state, "body_en", "New terms")
    _run(LegalTextsState.set_field, state, "nonsense", "x")
    _run(LegalTextsState.publish, state)
    assert state.error == "" and state.history[0]["version"] == "2"
    assert state.form["body_ru"] == ""
