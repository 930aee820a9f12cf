"""The profile: personal data with validation, e-mail preferences that notify honours (both
the single and the bulk path), and the user's own sessions (one or all of them signed out)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from paysim_app.accounts import identity, profile
from paysim_app.core import notify
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.models import AuthSession, Subscriber, User
from paysim_app.models.base import utcnow
from tests.conftest import PASSWORD
from tests.money_helpers import emails, fresh, notifications

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def _sign_in(session, login: str, agent: str = CHROME) -> str:
    token, _ = identity.sign_in(session, login, PASSWORD, user_agent=agent)
    session.commit()
    return token


# --------------------------------------------------------------------------- personal data


def test_update_writes_the_contract_and_the_display_name_not_the_login(session, factory):
    actor = factory.subscriber("olga@example.ru", full_name="Ольга")
    data = profile.update_profile(
        session,
        actor,
        "  Ольга   Смирнова ",
        "Olga.Contact@Mail.RU",
        "8 (916) 123-45-67",
        " Тула, ул. Ленина, 1 ",
    )
    session.commit()
    assert (data.full_name, data.email, data.phone, data.address) == (
        "Ольга Смирнова",
        "olga.contact@mail.ru",
        "+79161234567",
        "Тула, ул. Ленина, 1",
    )
    sub = session.exec(select(Subscriber).where(Subscriber.user_id == actor.user_id)).one()
    assert (sub.full_name, sub.email, sub.phone) == (data.full_name, data.email, data.phone)
    user = fresh(session, User, actor.user_id)
    assert user.full_name == "Ольга Смирнова"
    assert user.email == "olga@example.ru" and user.phone is None  # the login stays
    assert profile.get_profile(session, actor) == data
    # contact e-mail and phone may be left empty
    data = profile.update_profile(session, actor, "Ольга", "", "", "")
    assert (data.email, data.phone, data.address) == ("", "", "")


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        (("", "a@b.ru", "", ""), "full_name", "profile.error.name_required"),
        (("x" * 201, "", "", ""), "full_name", "profile.error.too_long"),
        (("Ольга", "not-an-email", "", ""), "email", "profile.error.email"),
        (("Ольга", "olga@", "", ""), "email", "profile.error.email"),
        (("Ольга", "", "+1 202 555 0100", ""), "phone", "profile.error.phone"),
        (("Ольга", "", "12345", ""), "phone", "profile.error.phone"),
        (("Ольга", "", "", "д" * 301), "address", "profile.error.too_long"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(session, factory, fields, field, code):
    actor = factory.subscriber("olga@example.ru", full_name="Ольга")
    before = profile.get_profile(session, actor)
    with pytest.raises(ValidationError) as err:
        profile.update_profile(session, actor, *fields)
    assert (err.value.field, err.value.code) == (field, code)
    session.rollback()
    assert profile.get_profile(session, actor) == before


def test_only_a_subscriber_has_a_contract_profile(session, factory):
    partner = factory.partner()
    with pytest.raises(PermissionDenied):
        profile.update_profile(session, partner.actor, "Имя", "", "", "")
    with pytest.raises(PermissionDenied):
        profile.get_profile(session, None)


# --------------------------------------------------------------------------- sessions


def test_sessions_list_marks_this_browser_and_hides_ended_ones(session, factory):
    actor = factory.subscriber("olga@example.ru")
    other = factory.subscriber("ivan@example.ru")
    here = _sign_in(session, "olga@example.ru")
    _sign_in(session, "olga@example.ru", IPHONE)
    gone = _sign_in(session, "olga@example.ru")
    _sign_in(session, "ivan@example.ru")
    identity.sign_out(session, gone)
    old = AuthSession(
        user_id=actor.user_id,
        token_hash="x" * 64,
        user_agent=CHROME,
        expires_at=utcnow() - timedelta(minutes=1),
    )
    session.add(old)
    session.commit()
    rows = profile.list_sessions(session, actor, here)
    assert [r.is_current for r in rows] == [True, False]
    assert [r.device for r in rows] == ["Chrome 120 · Linux", "Safari 17 · iOS"]
    assert len(profile.list_sessions(session, other, "")) == 1


def test_a_session_of_someone_else_is_refused(session, factory):
    actor = factory.subscriber("olga@example.ru")
    other = factory.subscriber("ivan@example.ru")
    _sign_in(session, "olga@example.ru")
    theirs = _sign_in(session, "ivan@example.ru")
    [their_row] = profile.list_sessions(session, other, theirs)
    for forged in (their_row.id, 999_999, "1", None):
        with pytest.raises(PermissionDenied):
            profile.revoke_session(session, actor, forged)
    session.rollback()
    assert identity.resolve_session(session, theirs) is not None


def test_revoke_one_own_session(session, factory):
    actor = factory.subscriber("olga@example.ru")
    here = _sign_in(session, "olga@example.ru")
    phone = _sign_in(session, "olga@example.ru", IPHONE)
    [_, phone_row] = profile.list_sessions(session, actor, here)
    profile.revoke_session(session, actor, phone_row.id)
    session.commit()
    assert identity.resolve_session(session, phone) is None
    assert identity.resolve_session(session, here) is not None


def test_sign_out_everywhere_keeps_the_current_one_or_not(session, factory):
    actor = factory.subscriber("olga@example.ru")
    other = factory.subscriber("ivan@example.ru")
    here = _sign_in(session, "olga@example.ru")
    elsewhere = [_sign_in(session, "olga@example.ru", IPHONE) for _ in range(2)]
    theirs = _sign_in(session, "ivan@example.ru")
    assert profile.sign_out_everywhere(session, actor, here, keep_current=True) == 2
    session.commit()
    assert identity.resolve_session(session, here) is not None
    assert all(identity.resolve_session(session, tok) is None for tok in elsewhere)
    assert [r.is_current for r in profile.list_sessions(session, actor, here)] == [True]
    assert profile.sign_out_everywhere(session, actor, here, keep_current=False) == 1
    session.commit()
    assert identity.resolve_session(session, here) is None
    assert identity.resolve_session(session, theirs) is not None  # another user's: untouched
    assert profile.list_sessions(session, other, theirs)[0].is_current


def test_short_user_agent():
    assert profile.short_user_agent("") == ""
    assert profile.short_user_agent(CHROME) == "Chrome 120 · Linux"
    assert profile.short_user_agent(IPHONE) == "Safari 17 · iOS"
    assert profile.short_user_agent("curl/8.1") == "curl/8.1"
    assert len(profile.short_user_agent("z" * 300)) == 61


# --------------------------------------------------------------------------- in-app only kinds


def test_notify_user_writes_the_notification_but_no_mail_for_a_muted_kind(session, factory):
    actor = factory.subscriber("olga@example.ru")
    for kind in ("autopay_ok", "autopay_failed", "autopay_failed_hard"):
        assert notify.set_channel(session, actor, kind, "app") == "app"
    session.commit()
    assert notify.notify_user(
        session,
        actor.user_id,
        "autopay_failed",
        {"msisdn": "x", "amount_kop": 100, "decline_code": "card_declined"},
    )
    assert notify.notify_user(
        session, actor.user_id, "sim_restored", {"msisdn": "x"}, dedup_key="r1"
    )
    session.commit()
    assert [n.kind for n in notifications(session, actor)] == ["autopay_failed", "sim_restored"]
    assert [m.kind for m in emails(session, "olga@example.ru")] == ["sim_restored"]


@pytest.mark.parametrize("dedup", [None, "p:{sim}:{kind}"], ids=["bulk", "dedup"])
def test_notify_sim_owners_skips_muted_mails_in_both_paths(session, factory, dedup):
    muted = factory.subscriber("muted@example.ru")
    loud = factory.subscriber("loud@example.ru")
    notify.set_channel(session, muted, "low_balance", "app")
    session.commit()
    sims = [factory.sim(muted), factory.sim(loud)]
    items = [
        (s.id, kind, {"fee_kop": 50000, "amount_kop": 50000, "date": utcnow().date()})
        for s in sims
        for kind in ("low_balance", "sim_restored")
    ]
    assert notify.notify_sim_owners(session, items, dedup=dedup) == 4
    session.commit()
    assert sorted(n.kind for n in notifications(session, muted)) == ["low_balance", "sim_restored"]
    assert [m.kind for m in emails(session, "muted@example.ru")] == ["sim_restored"]
    assert sorted(m.kind for m in emails(session, "loud@example.ru")) == [
        "low_balance",
        "sim_restored",
    ]


def test_recipients_is_two_queries(session, factory, engine):
    from sqlalchemy import event

    subs = [factory.subscriber() for _ in range(3)]
    sims = [factory.sim(s) for s in subs]
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        owners = notify._recipients(session, [s.id for s in sims])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # the owners in one query, their channel preferences in one more
    assert len(owners) == 3 and len(statements) == 2
    assert all(o[2].chosen == {} for o in owners.values())
