"""Registration, sign-in throttling, server-side sessions, password change and reset."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event, func, text
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.core.errors import AuthError, PermissionDenied, ValidationError
from paysim_app.core.outbox import SECRET, render_for_sending
from paysim_app.db import session_scope
from paysim_app.models import (
    AuditLog,
    AuthSession,
    LoginThrottle,
    OutboxEmail,
    PasswordResetToken,
    Subscriber,
    User,
)
from tests.conftest import PASSWORD

NEW_PASSWORD = "Another-pass2"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
RESET_LINK_RE = re.compile(r"/reset\?token=([A-Za-z0-9_-]+)")


def call(engine, fn, *args, **kwargs):
    """One unit of work, the way a page handler runs a service: commit, or roll back on error."""
    with session_scope(engine) as s:
        return fn(s, *args, **kwargs)


def sign_in(engine, login, password=PASSWORD, **kwargs):
    return call(engine, identity.sign_in, login, password, **kwargs)


def resolve(engine, token):
    return call(engine, identity.resolve_session, token)


def count(engine, model, *where) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def auth_error(engine, login, password=PASSWORD) -> AuthError:
    with pytest.raises(AuthError) as err:
        sign_in(engine, login, password)
    return err.value


def outbox(engine) -> list[OutboxEmail]:
    with session_scope(engine) as s:
        return list(s.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all())


# --------------------------------------------------------------------------- registration


def test_register_by_email_creates_a_user_and_a_contract(session, engine):
    actor = identity.register_subscriber(session, " Ivan@Example.RU ", PASSWORD, "Иван Петров")
    session.commit()

    assert actor.role == "subscriber"
    assert actor.login == "ivan@example.ru"
    assert actor.full_name == "Иван Петров"
    assert actor.subscriber_id is not None
    assert actor.permissions == frozenset()
    user = session.get(User, actor.user_id)
    assert (user.email, user.phone, user.role) == ("ivan@example.ru", None, "subscriber")
    assert user.password_hash != PASSWORD
    assert user.password_hash.startswith("$2b$04$")  # PAYSIM_BCRYPT_ROUNDS=4 in tests
    sub = session.get(Subscriber, actor.subscriber_id)
    assert sub.user_id == user.id
    assert sub.contract_no == "PS-0000001"
    assert (sub.email, sub.phone, sub.full_name) == ("ivan@example.ru", "", "Иван Петров")


@pytest.mark.parametrize("login", ["+7 999 123-45-67", "89991234567"])
def test_register_by_phone_stores_the_normalised_number(session, login):
    actor = identity.register_subscriber(session, login, PASSWORD)
    session.commit()

    assert actor.login == "+79991234567"
    user = session.get(User, actor.user_id)
    assert (user.email, user.phone) == (None, "+79991234567")
    assert session.get(Subscriber, actor.subscriber_id).phone == "+79991234567"


def test_contract_numbers_follow_each_other(session):
    first = identity.register_subscriber(session, "a@example.ru", PASSWORD)
    second = identity.register_subscriber(session, "b@example.ru", PASSWORD)
    session.commit()
    numbers = [session.get(Subscriber, a.subscriber_id).contract_no for a in (first, second)]
    assert numbers == ["PS-0000001", "PS-0000002"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ivan@example.ru", "IVAN@example.ru "),
        ("+7 999 123-45-67", "89991234567"),
        ("89991234567", "9991234567"),
    ],
)
def test_duplicate_login_is_refused_with_a_field_error(session, engine, first, second):
    identity.register_subscriber(session, first, PASSWORD)
    session.commit()

    with pytest.raises(ValidationError) as err:
        identity.register_subscriber(session, second, "Other-pass-9")
    session.rollback()

    assert err.value.code == "auth.login_taken"
    assert err.value.field == "login"
    assert count(engine, User) == 1
    assert count(engine, Subscriber) == 1


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("", "auth.password_too_short"),
        ("Ab1-", "auth.password_too_short"),
        ("Abc-123", "auth.password_too_short"),  # 7 characters
        ("12345678901", "auth.password_too_weak"),  # digits only
        ("abcdefghijk", "auth.password_too_weak"),  # letters only
        ("парольпароль", "auth.password_too_weak"),
        ("ab1ab1ab1ab1", "auth.password_too_weak"),  # three different characters
    ],
)
def test_weak_or_short_password_is_refused(session, engine, password, code):
    with pytest.raises(ValidationError) as err:
        identity.register_subscriber(session, "ivan@example.ru", password)
    session.rollback()

    assert err.value.code == code
    assert err.value.field == "password"
    assert count(engine, User) == 0


def test_password_over_72_bytes_is_a_validation_error_not_a_crash(session, engine):
    password = "я" * 40  # 40 characters, 80 bytes: bcrypt 5 would raise ValueError
    with pytest.raises(ValidationError) as err:
        identity.register_subscriber(session, "ivan@example.ru", password)
    session.rollback()

    assert err.value.code == "auth.password_too_long"
    assert err.value.field == "password"
    assert err.value.params == {"max": 72}
    assert count(engine, User) == 0


def test_password_of_exactly_72_bytes_works(session, engine):
    password = "ab1-" + "я" * 34  # 72 bytes
    assert len(password.encode()) == 72
    identity.register_subscriber(session, "ivan@example.ru", password)
    session.commit()

    _token, actor = sign_in(engine, "ivan@example.ru", password)
    assert actor.login == "ivan@example.ru"


@pytest.mark.parametrize("login", ["", "abc", "123", "a@", "+1 212 555 0100"])
def test_register_with_a_bad_login_is_refused(session, engine, login):
    with pytest.raises(ValidationError) as err:
        identity.register_subscriber(session, login, PASSWORD)
    session.rollback()
    assert (err.value.code, err.value.field) == ("auth.login_invalid", "login")
    assert count(engine, User) == 0


# --------------------------------------------------------------------------- sign-in


def test_sign_in_by_email(factory, engine):
    subscriber = factory.subscriber("ivan@example.ru")

    token, actor = sign_in(engine, "  IVAN@example.ru", user_agent="pytest")

    assert TOKEN_RE.match(token)
    assert actor.user_id == subscriber.user_id
    assert actor.subscriber_id == subscriber.subscriber_id
    with session_scope(engine) as s:
        assert s.get(User, actor.user_id).last_login_at is not None
        row = s.exec(select(AuthSession).where(AuthSession.user_id == actor.user_id)).one()
        assert row.user_agent == "pytest"


@pytest.mark.parametrize("typed", ["+7 999 123-45-67", "89991234567", "8 (999) 123 45 67"])
def test_sign_in_by_phone_however_it_is_written(factory, engine, typed):
    subscriber = factory.subscriber("+79991234567")
    _token, actor = sign_in(engine, typed)
    assert actor.user_id == subscriber.user_id
    assert actor.login == "+79991234567"


def test_wrong_password_and_unknown_login_get_the_same_answer(factory, engine):
    factory.subscriber("ivan@example.ru")

    wrong = auth_error(engine, "ivan@example.ru", "Wrong-pass-1")
    unknown = auth_error(engine, "nobody@example.ru", PASSWORD)
    garbage = auth_error(engine, "not a login", PASSWORD)

    for err in (wrong, unknown, garbage):
        assert (err.code, err.field, err.params) == ("auth.invalid_credentials", None, {})
    assert count(engine, AuthSession) == 0


def test_sign_in_with_a_password_over_72_bytes_just_fails(factory, engine):
    factory.subscriber("ivan@example.ru")
    assert auth_error(engine, "ivan@example.ru", "я" * 40).code == "auth.invalid_credentials"
    assert auth_error(engine, "nobody@example.ru", "я" * 40).code == "auth.invalid_credentials"


def test_a_failure_is_counted_even_when_the_caller_rolls_back(factory, engine):
    factory.subscriber("ivan@example.ru")
    auth_error(engine, "ivan@example.ru", "Wrong-pass-1")  # session_scope rolled back
    with session_scope(engine) as s:
        assert s.get(LoginThrottle, "email:ivan@example.ru").failures == 1


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(factory, engine):
    factory.subscriber("ivan@example.ru")
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            assert auth_error(engine, "ivan@example.ru", "Wrong-pass-1").code == (
                "auth.invalid_credentials"
            )

        locked = auth_error(engine, "ivan@example.ru", PASSWORD)

    assert locked.code == "auth.locked"
    assert locked.params == {"minutes": 15}
    assert count(engine, AuthSession) == 0


def at_once(n: int, fn) -> list[object]:
    """fn() in n threads released together; each one's result or exception."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_sign_ins_of_one_login_at_once_all_succeed(factory, engine):
    # the first attempts of a login both inserted its throttle row: a unique violation
    factory.subscriber("ivan@example.ru")
    results = at_once(4, lambda: sign_in(engine, "ivan@example.ru"))
    assert all(isinstance(r, tuple) for r in results), results
    assert count(engine, AuthSession) == 4


def test_wrong_passwords_at_once_are_each_counted(factory, engine):
    factory.subscriber("ivan@example.ru")
    results = at_once(4, lambda: sign_in(engine, "ivan@example.ru", "Wrong-pass-1"))
    assert all(isinstance(r, AuthError) for r in results), results
    with session_scope(engine) as s:
        assert s.get(LoginThrottle, "email:ivan@example.ru").failures == 4


def test_the_lock_is_per_login_whatever_way_the_phone_is_written(factory, engine):
    factory.subscriber("+79991234567")
    for _ in range(5):
        auth_error(engine, "89991234567", "Wrong-pass-1")
    assert auth_error(engine, "+7 999 123-45-67", PASSWORD).code == "auth.locked"


def test_a_login_that_does_not_exist_is_locked_the_same_way(factory, engine):
    factory.subscriber("ivan@example.ru")
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            assert auth_error(engine, "ghost@example.ru").code == "auth.invalid_credentials"
        locked = auth_error(engine, "ghost@example.ru")
    assert (locked.code, locked.params) == ("auth.locked", {"minutes": 15})
    # other logins are not affected
    _token, actor = sign_in(engine, "ivan@example.ru")
    assert actor.login == "ivan@example.ru"


def test_the_lock_expires_after_15_minutes(factory, engine):
    factory.subscriber("ivan@example.ru")
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            auth_error(engine, "ivan@example.ru", "Wrong-pass-1")

        clock.shift(timedelta(minutes=14, seconds=30))
        still = auth_error(engine, "ivan@example.ru", PASSWORD)
        assert (still.code, still.params) == ("auth.locked", {"minutes": 1})

        clock.shift(timedelta(seconds=30))  # exactly 15 minutes after the lock
        token, actor = sign_in(engine, "ivan@example.ru")
        assert actor.login == "ivan@example.ru"
        assert resolve(engine, token) is not None


def test_after_the_lock_the_count_starts_again_from_zero(factory, engine):
    factory.subscriber("ivan@example.ru")
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            auth_error(engine, "ivan@example.ru", "Wrong-pass-1")
        clock.shift(timedelta(minutes=16))
        # one more wrong password after the lock is the first of a new five, not a new lock
        assert auth_error(engine, "ivan@example.ru", "Wrong-pass-1").code == (
            "auth.invalid_credentials"
        )
        _token, actor = sign_in(engine, "ivan@example.ru")
    assert actor.login == "ivan@example.ru"


def test_a_success_resets_the_failure_counter(factory, engine):
    factory.subscriber("ivan@example.ru")
    for _ in range(4):
        auth_error(engine, "ivan@example.ru", "Wrong-pass-1")
    sign_in(engine, "ivan@example.ru")
    with session_scope(engine) as s:
        throttle = s.get(LoginThrottle, "email:ivan@example.ru")
        assert (throttle.failures, throttle.locked_until) == (0, None)

    for _ in range(4):
        auth_error(engine, "ivan@example.ru", "Wrong-pass-1")
    _token, actor = sign_in(engine, "ivan@example.ru")  # 4 + 4 failures never made a lock
    assert actor.login == "ivan@example.ru"


def test_a_disabled_account_cannot_sign_in(factory, session, engine):
    subscriber = factory.subscriber("ivan@example.ru")
    admin = factory.superadmin()
    identity.set_user_active(session, admin, subscriber.user_id, False)
    session.commit()

    assert auth_error(engine, "ivan@example.ru").code == "auth.account_disabled"
    assert auth_error(engine, "ivan@example.ru", "Wrong-pass-1").code == (
        "auth.invalid_credentials"
    )


# --------------------------------------------------------------------------- sessions


def test_the_browser_gets_a_random_token_and_we_keep_only_its_sha256(factory, engine):
    factory.subscriber("ivan@example.ru")
    with time_machine.travel(START, tick=False):
        token, _actor = sign_in(engine, "ivan@example.ru")

    assert len(token) == 43 and TOKEN_RE.match(token)
    with session_scope(engine) as s:
        row = s.exec(select(AuthSession)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.revoked_at is None
        assert row.expires_at - row.created_at == timedelta(days=30)
        raw_rows = s.connection().execute(text("SELECT * FROM auth_session")).all()
    assert raw_rows
    for raw in raw_rows:
        for value in raw:
            assert token not in str(value)


def test_each_sign_in_gives_a_new_token_and_revokes_the_previous_one(factory, engine):
    factory.subscriber("ivan@example.ru")
    first, _ = sign_in(engine, "ivan@example.ru")
    second, actor = sign_in(engine, "ivan@example.ru", previous_token=first)

    assert first != second
    assert resolve(engine, first) is None
    assert resolve(engine, second).user_id == actor.user_id


def test_two_browsers_have_two_live_sessions(factory, engine):
    factory.subscriber("ivan@example.ru")
    phone, _ = sign_in(engine, "ivan@example.ru")
    laptop, _ = sign_in(engine, "ivan@example.ru")
    assert phone != laptop
    assert resolve(engine, phone) is not None
    assert resolve(engine, laptop) is not None


def test_resolve_session_returns_the_actor(factory, engine):
    subscriber = factory.subscriber("ivan@example.ru", full_name="Иван Петров")
    token, _ = sign_in(engine, "ivan@example.ru")

    actor = resolve(engine, token)

    assert actor == subscriber
    assert (actor.role, actor.login, actor.full_name) == (
        "subscriber",
        "ivan@example.ru",
        "Иван Петров",
    )


def test_resolve_session_returns_the_admin_with_its_permissions(factory, engine):
    factory.admin_user("Support operator", email="support@example.ru")
    token, _ = sign_in(engine, "support@example.ru")
    actor = resolve(engine, token)
    assert actor.role == "admin"
    assert actor.permissions == {"support.view", "support.edit", "subscribers.view"}


@pytest.mark.parametrize("token", [None, "", "garbage", "x" * 43, "x" * 500, 123])
def test_resolve_session_refuses_unknown_tokens(factory, engine, token):
    factory.subscriber("ivan@example.ru")
    sign_in(engine, "ivan@example.ru")
    assert resolve(engine, token) is None


def test_sign_out_ends_that_session_only(factory, engine):
    factory.subscriber("ivan@example.ru")
    here, _ = sign_in(engine, "ivan@example.ru")
    there, _ = sign_in(engine, "ivan@example.ru")

    call(engine, identity.sign_out, here)

    assert resolve(engine, here) is None
    assert resolve(engine, there) is not None
    call(engine, identity.sign_out, None)  # nothing to do, no error
    call(engine, identity.sign_out, "")


def test_change_password_ends_every_other_session(factory, engine):
    factory.subscriber("ivan@example.ru")
    mine, actor = sign_in(engine, "ivan@example.ru")
    other, _ = sign_in(engine, "ivan@example.ru")

    fresh = call(engine, identity.change_password, actor, PASSWORD, NEW_PASSWORD)

    assert TOKEN_RE.match(fresh)
    assert resolve(engine, mine) is None
    assert resolve(engine, other) is None
    assert resolve(engine, fresh).user_id == actor.user_id
    assert auth_error(engine, "ivan@example.ru", PASSWORD).code == "auth.invalid_credentials"
    _token, again = sign_in(engine, "ivan@example.ru", NEW_PASSWORD)
    assert again.user_id == actor.user_id


@pytest.mark.parametrize(
    ("current", "new", "code", "field"),
    [
        ("Wrong-pass-1", NEW_PASSWORD, "auth.current_password_wrong", "current"),
        (PASSWORD, PASSWORD, "auth.password_same", "new"),
        (PASSWORD, "short", "auth.password_too_short", "new"),
        (PASSWORD, "я" * 40, "auth.password_too_long", "new"),
    ],
)
def test_change_password_refusals_change_nothing(factory, engine, current, new, code, field):
    factory.subscriber("ivan@example.ru")
    token, actor = sign_in(engine, "ivan@example.ru")

    with pytest.raises(ValidationError) as err:
        call(engine, identity.change_password, actor, current, new)

    assert (err.value.code, err.value.field) == (code, field)
    assert resolve(engine, token) is not None
    sign_in(engine, "ivan@example.ru", PASSWORD)


def test_disabling_a_user_ends_its_sessions_at_once(factory, engine):
    subscriber = factory.subscriber("ivan@example.ru")
    admin = factory.superadmin()
    token, _ = sign_in(engine, "ivan@example.ru")

    call(engine, identity.set_user_active, admin, subscriber.user_id, False)

    assert resolve(engine, token) is None
    with session_scope(engine) as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "user.set_active")).one()
        assert entry.actor_user_id == admin.user_id
        assert entry.entity_id == str(subscriber.user_id)
        assert '"is_active": true' in entry.before and '"is_active": false' in entry.after

    # enabling again lets the user sign in anew; the old session stays dead
    call(engine, identity.set_user_active, admin, subscriber.user_id, True)
    new_token, _ = sign_in(engine, "ivan@example.ru")
    assert resolve(engine, token) is None
    assert resolve(engine, new_token) is not None


def test_a_disabled_user_is_refused_even_with_a_live_session_row(factory, session, engine):
    subscriber = factory.subscriber("ivan@example.ru")
    token, _ = sign_in(engine, "ivan@example.ru")
    user = session.get(User, subscriber.user_id)
    user.is_active = False  # e.g. switched off directly in the database
    session.commit()
    assert resolve(engine, token) is None


def test_only_an_admin_with_the_right_may_disable_a_user(factory, engine):
    subscriber = factory.subscriber("ivan@example.ru")
    other = factory.subscriber("petr@example.ru")
    support = factory.support()
    token, _ = sign_in(engine, "ivan@example.ru")

    for actor in (support, other, subscriber):
        with pytest.raises(PermissionDenied):
            call(engine, identity.set_user_active, actor, subscriber.user_id, False)

    assert resolve(engine, token) is not None
    assert count(engine, AuditLog, AuditLog.action == "user.set_active") == 0


def test_an_admin_cannot_disable_itself(factory, engine):
    admin = factory.superadmin()
    with pytest.raises(ValidationError) as err:
        call(engine, identity.set_user_active, admin, admin.user_id, False)
    assert err.value.code == "admins.cannot_disable_self"


def test_set_user_active_on_a_missing_user_is_refused(factory, engine):
    admin = factory.superadmin()
    with pytest.raises(PermissionDenied):
        call(engine, identity.set_user_active, admin, 999_999, False)


def test_a_subscribers_session_lasts_30_days_while_used_and_14_idle(factory, engine):
    factory.subscriber("ivan@example.ru")
    with time_machine.travel(START, tick=False) as clock:
        token, _ = sign_in(engine, "ivan@example.ru")
        for _ in range(29):  # used every day: alive until the 30th
            clock.shift(timedelta(days=1))
            assert resolve(engine, token) is not None
        clock.shift(timedelta(days=1, minutes=1))  # 30 days after sign-in
        assert resolve(engine, token) is None
    with time_machine.travel(START, tick=False) as clock:
        token, _ = sign_in(engine, "ivan@example.ru")
        clock.shift(timedelta(days=13, hours=23))
        assert resolve(engine, token) is not None
        clock.shift(timedelta(days=14, minutes=1))  # 14 days without an event
        assert resolve(engine, token) is None


def test_a_staff_session_ends_after_30_idle_minutes_or_12_hours(factory, engine):
    factory.admin_user(email="boss@example.ru")
    with time_machine.travel(START, tick=False) as clock:
        token, _ = sign_in(engine, "boss@example.ru")
        clock.shift(timedelta(minutes=29))
        assert resolve(engine, token) is not None
        clock.shift(timedelta(minutes=31))  # 31 minutes since the last event
        assert resolve(engine, token) is None
    with time_machine.travel(START, tick=False) as clock:
        token, _ = sign_in(engine, "boss@example.ru")
        for _ in range(47):  # an event every quarter of an hour for 11 h 45 min
            clock.shift(timedelta(minutes=15))
            assert resolve(engine, token) is not None
        clock.shift(timedelta(minutes=16))
        assert resolve(engine, token) is None


def test_a_deactivated_partners_users_lose_access_at_once(factory, engine, session):
    from paysim_app.models import Partner

    bundle = factory.partner(login="dealer@example.ru")
    token, _ = sign_in(engine, "dealer@example.ru")
    assert resolve(engine, token) is not None
    partner = session.get(Partner, bundle.partner.id)
    partner.is_active = False
    session.add(partner)
    session.commit()
    assert resolve(engine, token) is None
    with pytest.raises(AuthError):
        sign_in(engine, "dealer@example.ru")


def test_resolve_session_refreshes_last_seen_now_and_then(factory, engine):
    factory.subscriber("ivan@example.ru")
    with time_machine.travel(START, tick=False) as clock:
        token, _ = sign_in(engine, "ivan@example.ru")
        clock.shift(timedelta(minutes=1))
        resolve(engine, token)
        with session_scope(engine) as s:
            assert s.exec(select(AuthSession)).one().last_seen_at == START
        clock.shift(timedelta(minutes=10))
        resolve(engine, token)
        with session_scope(engine) as s:
            assert s.exec(select(AuthSession)).one().last_seen_at == START + timedelta(minutes=11)


# --------------------------------------------------------------------------- password reset


def _reset_token(engine) -> str:
    mails = [m for m in outbox(engine) if m.kind == "password_reset"]
    match = RESET_LINK_RE.search(render_for_sending(mails[-1]))
    assert match, mails[-1].body
    return match.group(1)


@pytest.mark.parametrize("login", ["nobody@example.ru", "+7 999 000-00-00", "abc", ""])
def test_reset_request_for_an_unknown_login_sends_nothing(factory, engine, login):
    factory.subscriber("ivan@example.ru")
    call(engine, identity.request_password_reset, login)
    assert outbox(engine) == []
    assert count(engine, PasswordResetToken) == 0


def test_reset_request_for_a_disabled_account_sends_nothing(factory, session, engine):
    subscriber = factory.subscriber("ivan@example.ru")
    session.get(User, subscriber.user_id).is_active = False
    session.commit()
    call(engine, identity.request_password_reset, "ivan@example.ru")
    assert outbox(engine) == []


def test_reset_request_queues_exactly_one_mail_with_a_link(factory, engine):
    factory.subscriber("ivan@example.ru")

    with time_machine.travel(START, tick=False):
        call(engine, identity.request_password_reset, "IVAN@example.ru")

    mails = outbox(engine)
    assert len(mails) == 1
    mail = mails[0]
    assert mail.to_address == "ivan@example.ru"
    assert mail.kind == "password_reset"
    assert mail.sent_at is None
    assert "http://localhost:3000/reset?token=" in mail.body
    token = _reset_token(engine)
    assert TOKEN_RE.match(token)
    with session_scope(engine) as s:
        row = s.exec(select(PasswordResetToken)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.expires_at - row.created_at == timedelta(minutes=30)
        raw_rows = s.connection().execute(text("SELECT * FROM password_reset_token")).all()
    assert all(token not in str(value) for raw in raw_rows for value in raw)


@pytest.mark.parametrize(
    ("locale", "subject", "said", "not_said"),
    [
        ("ru", "PaySim: новый пароль", "действует 30 мин.", "valid"),
        ("en", "PaySim: a new password", "for 30 min", "действует"),
    ],
)
def test_the_reset_mail_is_in_its_owners_language(
    factory, session, engine, locale, subject, said, not_said
):
    user_id = factory.subscriber("ivan@example.ru").user_id
    session.get(User, user_id).locale = locale
    session.commit()
    call(engine, identity.request_password_reset, "ivan@example.ru")
    [mail] = outbox(engine)
    assert (mail.subject, mail.user_id, mail.locale) == (subject, user_id, locale)
    assert said in mail.body and not_said not in mail.body
    assert "/reset?token=" + SECRET in mail.body  # the token itself is sealed


def test_reset_link_uses_the_given_base_url(factory, engine):
    factory.subscriber("ivan@example.ru")
    call(engine, identity.request_password_reset, "ivan@example.ru", "https://lk.paysim.ru/")
    assert "https://lk.paysim.ru/reset?token=" in outbox(engine)[0].body


def test_reset_token_works_once(factory, engine):
    factory.subscriber("ivan@example.ru")
    call(engine, identity.request_password_reset, "ivan@example.ru")
    token = _reset_token(engine)

    call(engine, identity.reset_password, token, NEW_PASSWORD)

    _token, actor = sign_in(engine, "ivan@example.ru", NEW_PASSWORD)
    assert actor.login == "ivan@example.ru"
    assert auth_error(engine, "ivan@example.ru", PASSWORD).code == "auth.invalid_credentials"
    with pytest.raises(ValidationError) as err:
        call(engine, identity.reset_password, token, "Third-pass-3")
    assert (err.value.code, err.value.field) == ("auth.reset_invalid", "token")
    sign_in(engine, "ivan@example.ru", NEW_PASSWORD)  # the second try changed nothing


@pytest.mark.parametrize("token", ["", "garbage", "x" * 43, "x" * 500])
def test_reset_with_an_unknown_token_fails(factory, engine, token):
    factory.subscriber("ivan@example.ru")
    call(engine, identity.request_password_reset, "ivan@example.ru")
    with pytest.raises(ValidationError) as err:
        call(engine, identity.reset_password, token, NEW_PASSWORD)
    assert err.value.code == "auth.reset_invalid"


def test_reset_token_expires_after_30_minutes(factory, engine):
    factory.subscriber("ivan@example.ru")
    factory.subscriber("petr@example.ru")
    with time_machine.travel(START, tick=False) as clock:
        call(engine, identity.request_password_reset, "ivan@example.ru")
        ivan_token = _reset_token(engine)
        call(engine, identity.request_password_reset, "petr@example.ru")
        petr_token = _reset_token(engine)

        clock.shift(timedelta(minutes=29))
        call(engine, identity.reset_password, petr_token, NEW_PASSWORD)  # still valid

        clock.shift(timedelta(minutes=2))  # 31 minutes after the request
        with pytest.raises(ValidationError) as err:
            call(engine, identity.reset_password, ivan_token, NEW_PASSWORD)
    assert err.value.code == "auth.reset_invalid"
    sign_in(engine, "ivan@example.ru", PASSWORD)  # unchanged
    sign_in(engine, "petr@example.ru", NEW_PASSWORD)


def test_reset_with_a_weak_password_keeps_the_token_usable(factory, engine):
    factory.subscriber("ivan@example.ru")
    call(engine, identity.request_password_reset, "ivan@example.ru")
    token = _reset_token(engine)

    with pytest.raises(ValidationError) as err:
        call(engine, identity.reset_password, token, "short")
    assert (err.value.code, err.value.field) == ("auth.password_too_short", "password")

    call(engine, identity.reset_password, token, NEW_PASSWORD)
    sign_in(engine, "ivan@example.ru", NEW_PASSWORD)


def test_reset_revokes_every_session(factory, engine):
    factory.subscriber("ivan@example.ru")
    one, _ = sign_in(engine, "ivan@example.ru")
    two, _ = sign_in(engine, "ivan@example.ru")
    call(engine, identity.request_password_reset, "ivan@example.ru")

    call(engine, identity.reset_password, _reset_token(engine), NEW_PASSWORD)

    assert resolve(engine, one) is None
    assert resolve(engine, two) is None


def test_reset_lifts_the_sign_in_lock(factory, engine):
    factory.subscriber("+79991234567")
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            auth_error(engine, "+79991234567", "Wrong-pass-1")
        assert auth_error(engine, "+79991234567").code == "auth.locked"

        call(engine, identity.request_password_reset, "8 999 123 45 67")  # a code by SMS
        [sms] = [m for m in outbox(engine) if m.kind == "sms_code_reset"]
        code = re.search(r"\b(\d{6})\b", render_for_sending(sms)).group(1)
        call(engine, identity.reset_password_by_code, "+79991234567", code, NEW_PASSWORD)

        _token, actor = sign_in(engine, "+79991234567", NEW_PASSWORD)  # same minute, no lock
    assert actor.login == "+79991234567"


# --------------------------------------------------------------------------- create_admin


def test_create_admin_with_a_builtin_role(session, engine):
    user = identity.create_admin(session, "Boss@Example.ru", PASSWORD, "Superadmin", "Босс")
    session.commit()
    assert (user.email, user.role, user.full_name) == ("boss@example.ru", "admin", "Босс")
    assert count(engine, AuditLog, AuditLog.action == "admin.create") == 1
    _token, actor = sign_in(engine, "boss@example.ru")
    assert actor.can("admins.manage")


@pytest.mark.parametrize(
    ("email", "role", "code", "field"),
    [
        ("+79991234567", "Superadmin", "auth.login_invalid", "email"),
        ("boss@example.ru", "Nonexistent role", "admins.unknown_role", "role"),
    ],
)
def test_create_admin_refusals(session, engine, email, role, code, field):
    with pytest.raises(ValidationError) as err:
        identity.create_admin(session, email, PASSWORD, role)
    session.rollback()
    assert (err.value.code, err.value.field) == (code, field)
    assert count(engine, User) == 0


def test_create_admin_refuses_a_taken_email(factory, session):
    factory.subscriber("boss@example.ru")
    with pytest.raises(ValidationError) as err:
        identity.create_admin(session, "boss@example.ru", PASSWORD, "Superadmin")
    assert (err.value.code, err.value.field) == ("auth.login_taken", "email")


def test_set_locale(factory, session, engine):
    subscriber = factory.subscriber("ivan@example.ru")
    identity.set_locale(session, subscriber, "en")
    session.commit()
    assert resolve(engine, sign_in(engine, "ivan@example.ru")[0]).locale == "en"
    with pytest.raises(ValidationError):
        identity.set_locale(session, subscriber, "de")


def test_the_doors_check_asks_the_database_once_or_twice(factory, engine):
    """resolve_session runs on every event of a signed-in tab: the session, its user, the
    dealer and the contract in one statement; the role's permissions (staff) or the legal
    texts' versions beside the user's consents (subscribers) in a second one."""
    factory.subscriber("ivan@example.ru")
    factory.admin_user("Support operator", email="support@example.ru")
    dealer = factory.partner(login="dealer@example.ru")
    sent: list[str] = []
    listen = lambda *a: sent.append(a[2])  # noqa: E731
    for login, expected in (("ivan@example.ru", 2), ("support@example.ru", 2), (dealer.login, 1)):
        token, _ = sign_in(engine, login)
        resolve(engine, token)  # the legal texts' first versions are published by now
        event.listen(engine, "before_cursor_execute", listen)
        try:
            sent.clear()
            assert resolve(engine, token) is not None
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == expected, sent
