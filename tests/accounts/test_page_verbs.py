"""The accounts verbs a page calls as one unit of work: called with a session they join it,
called without one they commit (or roll back) on their own."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from paysim_app.accounts import identity
from paysim_app.core.errors import ValidationError
from paysim_app.models import AuthSession, Subscriber, User
from tests.conftest import PASSWORD

TICKED = {"personal_data": True, "terms": True}  # both consents (accounts.consent)


def _users(engine) -> list[str]:
    with Session(engine) as s:
        return [u.email for u in s.exec(select(User).order_by(User.id))]


def test_register_and_sign_in_with_a_session_joins_it(session, engine):
    token, actor = identity.register_and_sign_in(
        session, "new@example.ru", PASSWORD, "Новый", "en", user_agent="UA", ip="1.2.3.4", **TICKED
    )
    assert _users(engine) == []  # the caller commits
    session.commit()
    assert actor.role == "subscriber" and actor.login == "new@example.ru"
    assert identity.resolve_session(session, token).user_id == actor.user_id
    assert session.get(User, actor.user_id).locale == "en"
    assert session.get(Subscriber, actor.subscriber_id).full_name == "Новый"


def test_register_and_sign_in_without_a_session_commits_both(engine, db_url):
    token, actor = identity.register_and_sign_in(
        "own@example.ru", PASSWORD, user_agent="UA", **TICKED
    )
    assert _users(engine) == ["own@example.ru"]
    assert identity.resolve_session(token).user_id == actor.user_id
    with Session(engine) as s:
        assert len(s.exec(select(AuthSession)).all()) == 1


def test_a_refused_registration_leaves_neither_account_nor_session(engine, db_url):
    identity.register_and_sign_in("taken@example.ru", PASSWORD, **TICKED)
    with pytest.raises(ValidationError) as refused:
        identity.register_and_sign_in("taken@example.ru", PASSWORD, **TICKED)
    assert refused.value.field == "login"
    with pytest.raises(ValidationError):
        identity.register_and_sign_in("weak@example.ru", "short", **TICKED)
    assert _users(engine) == ["taken@example.ru"]
    with Session(engine) as s:
        assert len(s.exec(select(AuthSession)).all()) == 1
