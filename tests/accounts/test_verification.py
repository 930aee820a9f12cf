"""Phones proven by one-time SMS codes (accounts.verification) and what uses them: registration
by phone (nothing exists until the code matches), password reset by code for a phone login,
a new login phone, and the set-password link texted to a phone-only account."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, text
from sqlmodel import select

from paysim_app.accounts import identity, login_change, verification
from paysim_app.core.errors import AuthError, ValidationError
from paysim_app.core.outbox import SECRET, render_for_sending
from paysim_app.core.rate_limits import TooManyAttempts
from paysim_app.db import session_scope
from paysim_app.models import AuthSession, OutboxEmail, PhoneCode, Subscriber, User
from tests.conftest import PASSWORD

PHONE = "+79161234567"
OTHER = "+79161234568"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "Another-pass2"
IP = "203.0.113.7"


def call(engine, fn, *args, **kwargs):
    """One unit of work, the way a page runs a verb: commit, or roll back on error."""
    with session_scope(engine) as s:
        return fn(s, *args, **kwargs)


def refused(engine, fn, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        call(engine, fn, *args, **kwargs)
    return err.value


def texts(engine, to: str = PHONE, kind: str | None = None) -> list[OutboxEmail]:
    with session_scope(engine) as s:
        query = select(OutboxEmail).where(OutboxEmail.to_address == to)
        if kind:
            query = query.where(OutboxEmail.kind == kind)
        return list(s.exec(query.order_by(OutboxEmail.id)).all())


def code_of(engine, to: str = PHONE, kind: str = "sms_code_register") -> str:
    sms = texts(engine, to, kind)[-1]
    return re.search(r"\b(\d{6})\b", render_for_sending(sms)).group(1)


def count(engine, model, *where) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


TICKED = {"personal_data": True, "terms": True}


def start(engine, login=PHONE, **kwargs):
    kwargs.setdefault("ip", IP)
    kwargs.setdefault("personal_data", True)  # both consents ticked (accounts.consent)
    kwargs.setdefault("terms", True)
    return call(engine, identity.start_registration, login, PASSWORD, "Ольга Смс", "en", **kwargs)


# --------------------------------------------------------------------------- registration


def test_registration_by_phone_creates_nothing_until_the_code(engine):
    with time_machine.travel(START, tick=False):
        reg = start(engine, "8 916 123-45-67")
    assert reg.token == "" and reg.actor is None
    assert reg.sent.phone == PHONE
    assert reg.sent.expires_at == START + timedelta(minutes=10)
    assert reg.sent.resend_at == START + timedelta(seconds=60)
    assert count(engine, User) == 0 and count(engine, Subscriber) == 0
    with pytest.raises(AuthError):
        call(engine, identity.sign_in, PHONE, PASSWORD)

    [sms] = texts(engine)
    assert sms.channel == "sms" and sms.kind == "sms_code_register" and sms.locale == "en"
    code = code_of(engine)
    assert SECRET in sms.body and code not in sms.body and sms.secret
    assert render_for_sending(sms).startswith("PaySim: your registration code is")
    with session_scope(engine) as s:  # neither the code nor the password is stored in clear
        raw = s.connection().execute(text("SELECT * FROM phone_code")).all()
    assert all(code not in str(v) and PASSWORD not in str(v) for row in raw for v in row)

    with time_machine.travel(START + timedelta(minutes=3), tick=False):
        token, actor = call(engine, identity.finish_registration, PHONE, code, "UA")
        assert call(engine, identity.resolve_session, token).user_id == actor.user_id
    assert actor.role == "subscriber" and actor.login == PHONE and actor.locale == "en"
    assert actor.full_name == "Ольга Смс" and actor.subscriber_id
    with session_scope(engine) as s:
        user = s.get(User, actor.user_id)
        assert user.phone_verified_at == START + timedelta(minutes=3)
    call(engine, identity.sign_in, PHONE, PASSWORD)  # the password typed in the form
    # the code worked once
    assert refused(engine, identity.finish_registration, PHONE, code).code == "verification.no_code"


def test_registration_by_email_signs_in_at_once(engine):
    reg = start(engine, "olga@example.ru")
    assert reg.sent is None and reg.actor.login == "olga@example.ru"
    assert call(engine, identity.resolve_session, reg.token).user_id == reg.actor.user_id
    with session_scope(engine) as s:
        assert s.get(User, reg.actor.user_id).phone_verified_at is None
    assert count(engine, PhoneCode) == 0


def test_the_direct_page_verb_refuses_a_phone(engine):
    err = refused(engine, identity.register_and_sign_in, PHONE, PASSWORD)
    assert (err.code, err.field) == ("verification.phone_needs_code", "login")
    assert count(engine, User) == 0


def test_registration_form_is_checked_before_a_code_goes(engine, factory):
    factory.subscriber(PHONE)
    assert (
        refused(engine, identity.start_registration, PHONE, PASSWORD, **TICKED).code
        == "auth.login_taken"
    )
    err = refused(engine, identity.start_registration, OTHER, "short", **TICKED)
    assert err.code == "auth.password_too_short"
    assert count(engine, PhoneCode) == 0 and texts(engine, OTHER) == []


def test_a_wrong_code_counts_and_five_void_it(engine):
    start(engine)
    code = code_of(engine)
    for left in (4, 3, 2, 1):
        err = refused(engine, identity.finish_registration, PHONE, wrong(code))
        assert (err.code, err.field, err.params) == (
            "verification.code_wrong",
            "code",
            {"left": left},
        )
    err = refused(engine, identity.finish_registration, PHONE, wrong(code))
    assert err.code == "verification.code_spent"
    # even the right code no longer works: a new one must be asked for
    assert refused(engine, identity.finish_registration, PHONE, code).code == (
        "verification.code_spent"
    )
    assert count(engine, User) == 0


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", None, 123456, ["1"], "٣" * 6])
def test_malformed_codes_are_refused_without_counting(engine, typed):
    start(engine)
    err = refused(engine, identity.finish_registration, PHONE, typed)
    assert (err.code, err.params) == ("verification.code_format", {"digits": 6})
    with session_scope(engine) as s:
        assert s.exec(select(PhoneCode.attempts)).one() == 0


def test_a_code_with_spaces_and_dashes_is_read(engine):
    start(engine)
    code = code_of(engine)
    _token, actor = call(engine, identity.finish_registration, PHONE, f" {code[:3]}-{code[3:]} ")
    assert actor.login == PHONE


def test_a_code_expires_after_ten_minutes(engine):
    with time_machine.travel(START, tick=False) as clock:
        start(engine)
        code = code_of(engine)
        clock.shift(timedelta(minutes=10, seconds=1))
        err = refused(engine, identity.finish_registration, PHONE, code)
    assert err.code == "verification.code_expired"
    assert count(engine, User) == 0


def test_a_code_for_another_number_or_purpose_is_refused(engine, factory):
    start(engine)
    code = code_of(engine)
    start(engine, OTHER, ip="203.0.113.8")
    # PHONE's code typed for OTHER's registration
    other_code = code_of(engine, OTHER)
    if other_code != code:
        err = refused(engine, identity.finish_registration, OTHER, code)
        assert err.code == "verification.code_wrong"
    # a registration code used as a reset code of an existing account's number
    factory.subscriber("+79160000001")
    call(engine, identity.request_password_reset, "+79160000001")
    reset_code = code_of(engine, "+79160000001", "sms_code_reset")
    with session_scope(engine) as s:
        row = s.exec(select(PhoneCode).where(PhoneCode.phone == "+79160000001")).one()
        # the digest is bound to purpose and phone: the same digits for another target differ
        assert row.code_hash != verification._digest("register", "+79160000001", reset_code)
        assert row.code_hash == verification._digest("reset", "+79160000001", reset_code)
    err = refused(engine, identity.finish_registration, "+79160000001", reset_code)
    assert err.code == "verification.no_code"  # no registration waits for that number
    # a code from the registration SMS does not reset a password
    err = refused(engine, identity.reset_password_by_code, PHONE, code, NEW_PASSWORD)
    assert err.code == "verification.no_code"


def test_resend_waits_sixty_seconds_and_voids_the_old_code(engine):
    with time_machine.travel(START, tick=False) as clock:
        start(engine)
        first = code_of(engine)
        clock.shift(timedelta(seconds=42))
        err = refused(engine, identity.resend_registration_code, PHONE, ip=IP)
        assert (err.code, err.params) == ("verification.wait", {"seconds": 18})
        clock.shift(timedelta(seconds=18))
        sent = call(engine, identity.resend_registration_code, PHONE, ip=IP)
        assert sent.resend_at == START + timedelta(seconds=120)
        second = code_of(engine)
        assert len(texts(engine)) == 2
        if first != second:
            err = refused(engine, identity.finish_registration, PHONE, first)
            assert err.code == "verification.code_wrong"
        _token, actor = call(engine, identity.finish_registration, PHONE, second)
    assert actor.full_name == "Ольга Смс"  # the form's data came along with the new code
    with session_scope(engine) as s:  # no code row keeps the password's hash once it is used
        assert s.exec(select(PhoneCode.pending)).all() == ["", ""]


def test_a_numbers_codes_of_past_days_are_dropped_when_it_gets_a_new_one(engine):
    with time_machine.travel(START, tick=False) as clock:
        start(engine)
        start(engine, OTHER)
        clock.shift(timedelta(days=1, seconds=1))
        start(engine)
    with session_scope(engine) as s:
        rows = s.exec(select(PhoneCode.phone, PhoneCode.created_at)).all()
    assert sorted(rows) == [(PHONE, START + timedelta(days=1, seconds=1)), (OTHER, START)]


def test_resend_without_a_waiting_registration_is_refused(engine):
    for phone in (PHONE, "", None, "nobody@example.ru", "+7"):
        err = refused(engine, identity.resend_registration_code, phone)
        assert err.code == "verification.no_code"
    assert texts(engine) == []


def test_codes_to_one_number_are_limited_per_hour_and_day(engine, limits_of):
    limits_of("sms_code.phone=3/hour;sms_code.phone_day=4/day")
    with time_machine.travel(START, tick=False) as clock:
        for n in range(3):
            start(engine, ip=f"198.51.100.{n}")
            clock.shift(timedelta(seconds=61))
        with pytest.raises(TooManyAttempts) as err:
            start(engine, ip="198.51.100.9")
        assert err.value.params["at"] == START + timedelta(hours=1)
        clock.shift(timedelta(hours=1))
        start(engine, ip="198.51.100.9")  # a new hour
        clock.shift(timedelta(hours=1))
        with pytest.raises(TooManyAttempts) as err:
            start(engine, ip="198.51.100.9")  # the day's fourth was the last
        assert err.value.params["at"] == START + timedelta(days=1)  # the window of the first
    assert len(texts(engine)) == 4


def test_codes_from_one_address_are_limited(engine, limits_of):
    limits_of("sms_code.ip=2/hour")
    with time_machine.travel(START, tick=False):
        start(engine, "+79160000001")
        start(engine, "+79160000002")
        with pytest.raises(TooManyAttempts) as err:
            start(engine, "+79160000003")
        assert err.value.params["at"] == START + timedelta(hours=1)
        start(engine, "+79160000003", ip="203.0.113.99")  # another address
    assert count(engine, OutboxEmail) == 3


def test_two_right_submissions_at_once_make_one_account(engine):
    start(engine)
    code = code_of(engine)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call(engine, identity.finish_registration, PHONE, code)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    wins = [r for r in results if isinstance(r, tuple)]
    losses = [r for r in results if isinstance(r, ValidationError)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code in ("verification.no_code", "auth.login_taken")
    assert count(engine, User) == 1 and count(engine, Subscriber) == 1
    assert count(engine, AuthSession) == 1


# --------------------------------------------------------------------------- reset by code


def test_a_phone_account_resets_its_password_by_code(engine, factory):
    factory.subscriber(PHONE)
    one, _ = call(engine, identity.sign_in, PHONE, PASSWORD)
    with session_scope(engine) as s:
        s.exec(select(User)).one().locale = "en"
        s.commit()
    answer = call(engine, identity.request_password_reset, "8 (916) 123-45-67", ip=IP)
    assert answer.kind == "phone" and answer.sent.phone == PHONE
    [sms] = texts(engine)
    assert (sms.kind, sms.channel) == ("sms_code_reset", "sms")
    assert "/reset?token" not in sms.body  # a code, not a link
    assert render_for_sending(sms).startswith("PaySim: your new password code is")
    code = code_of(engine, kind="sms_code_reset")
    # a weak password spends nothing
    err = refused(engine, identity.reset_password_by_code, PHONE, code, "short")
    assert err.code == "auth.password_too_short"
    err = refused(engine, identity.reset_password_by_code, PHONE, wrong(code), NEW_PASSWORD)
    assert err.code == "verification.code_wrong"
    call(engine, identity.reset_password_by_code, PHONE, code, NEW_PASSWORD)
    assert call(engine, identity.resolve_session, one) is None  # every session ended
    call(engine, identity.sign_in, PHONE, NEW_PASSWORD)
    err = refused(engine, identity.reset_password_by_code, PHONE, code, "Third-pass-3")
    assert err.code == "verification.no_code"


def test_a_reset_for_an_unknown_phone_answers_the_same_and_sends_nothing(engine):
    with time_machine.travel(START, tick=False) as clock:
        answer = call(engine, identity.request_password_reset, PHONE, ip=IP)
        assert answer.kind == "phone" and answer.sent.resend_at == START + timedelta(seconds=60)
        assert texts(engine) == []
        clock.shift(timedelta(seconds=10))
        err = refused(engine, identity.resend_reset_code, PHONE, ip=IP)
        assert (err.code, err.params) == ("verification.wait", {"seconds": 50})
        err = refused(engine, identity.reset_password_by_code, PHONE, "123456", NEW_PASSWORD)
        assert err.code == "verification.code_wrong"
    assert count(engine, User) == 0


def test_a_disabled_phone_account_gets_no_code(engine, factory, session):
    sub = factory.subscriber(PHONE)
    session.get(User, sub.user_id).is_active = False
    session.commit()
    assert call(engine, identity.request_password_reset, PHONE).kind == "phone"
    assert texts(engine) == []


def test_an_email_account_keeps_its_link(engine, factory):
    factory.subscriber("olga@example.ru")
    assert call(engine, identity.request_password_reset, "olga@example.ru").kind == "email"
    [mail] = texts(engine, "olga@example.ru")
    assert mail.kind == "password_reset" and "/reset?token=" in mail.body
    assert count(engine, PhoneCode) == 0


def test_reset_codes_are_limited_per_number(engine, factory, limits_of):
    limits_of("reset.login=10/hour;sms_code.phone=2/hour")
    factory.subscriber(PHONE)
    with time_machine.travel(START, tick=False) as clock:
        call(engine, identity.request_password_reset, PHONE)
        clock.shift(timedelta(seconds=61))
        call(engine, identity.resend_reset_code, PHONE)
        clock.shift(timedelta(seconds=61))
        with pytest.raises(TooManyAttempts) as err:
            call(engine, identity.resend_reset_code, PHONE)
    assert err.value.params["at"] == START + timedelta(hours=1)
    assert len(texts(engine)) == 2


@pytest.mark.parametrize("phone", ["", None, 7, "olga@example.ru", "+1"])
def test_reset_by_code_with_a_hostile_phone_is_refused(engine, phone):
    err = refused(engine, identity.reset_password_by_code, phone, "123456", NEW_PASSWORD)
    assert err.code == "verification.no_code"
    assert refused(engine, identity.resend_reset_code, phone).code == "verification.no_code"
    assert texts(engine, phone if isinstance(phone, str) else "") == []


# --------------------------------------------------------------------------- set-password link


def test_the_link_for_a_phone_only_account_goes_by_sms(engine, session):
    user = identity.add_user_without_password(session, "subscriber", "Пётр", phone=PHONE)
    user.locale = "en"
    token = identity.send_reset_link(session, user)
    session.commit()
    [sms] = texts(engine)
    assert (sms.channel, sms.kind, sms.subject) == ("sms", "sms_password_reset", "")
    body = render_for_sending(sms)
    assert token not in sms.body and f"/reset?token={token}" in body
    assert body.startswith("PaySim: set your password at")
    call(engine, identity.reset_password, token, NEW_PASSWORD)
    with session_scope(engine) as s:
        assert s.get(User, user.id).phone_verified_at is not None  # the SMS proved the phone
    call(engine, identity.sign_in, PHONE, NEW_PASSWORD)


# --------------------------------------------------------------------------- login change


def test_a_new_login_phone_uses_the_same_codes(engine, factory, session):
    olga = factory.subscriber("olga@example.ru")
    with time_machine.travel(START, tick=False) as clock:
        info = call(engine, login_change.request_login_change, olga, PHONE, PASSWORD, ip=IP)
        assert info.pending_expires_at == START + timedelta(minutes=10)
        first = code_of(engine, kind="sms_code_login_change")
        clock.shift(timedelta(seconds=30))
        err = refused(engine, login_change.resend_login_code, olga, ip=IP)
        assert (err.code, err.params) == ("verification.wait", {"seconds": 30})
        clock.shift(timedelta(seconds=30))
        info = call(engine, login_change.resend_login_code, olga, ip=IP)
        assert info.pending_expires_at == START + timedelta(minutes=11)
        second = code_of(engine, kind="sms_code_login_change")
        if first != second:
            err = refused(engine, login_change.confirm_login_code, olga, first)
            assert err.code == "verification.code_wrong"
        # another account cannot use Olga's code for its own pending change of the same number
        ivan = factory.subscriber("ivan@example.ru")
        call(engine, login_change.request_login_change, ivan, OTHER, PASSWORD)
        err = refused(engine, login_change.confirm_login_code, ivan, second)
        assert err.code in ("verification.code_wrong", "verification.code_spent")
        call(engine, login_change.confirm_login_code, olga, second)
    with session_scope(engine) as s:
        user = s.get(User, olga.user_id)
        assert user.phone == PHONE and user.phone_verified_at == START + timedelta(minutes=1)


def test_a_cancelled_login_change_voids_its_code(engine, factory):
    olga = factory.subscriber("olga@example.ru")
    call(engine, login_change.request_login_change, olga, PHONE, PASSWORD)
    code = code_of(engine, kind="sms_code_login_change")
    call(engine, login_change.cancel_login_change, olga)
    err = refused(engine, login_change.confirm_login_code, olga, code)
    assert err.code == "login_change.invalid"
    with session_scope(engine) as s:
        assert s.exec(select(PhoneCode.voided_at)).one() is not None


@pytest.mark.parametrize("purpose", ["register", "reset", "login_change"])
@pytest.mark.parametrize("locale", ["ru", "en"])
def test_a_code_sms_is_one_part_in_either_language(purpose, locale):
    from paysim_app.i18n import t
    from paysim_app.messaging.sms_parts import split

    text_ = t(f"verification.sms.{purpose}", locale, code="123456", minutes=10)
    _coding, parts = split(text_)
    assert len(parts) == 1, (len(text_), text_)
