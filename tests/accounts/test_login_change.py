"""Changing the login: the current password (with a lock after a few wrong ones), a pending
address confirmed from the new address before it is used, a notice to the old one, a re-check
that nobody took the address meanwhile, the user's other sessions ended. An admin editing a
subscriber's contact e-mail or phone never touches the login or where recovery goes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import text
from sqlmodel import select

from paysim_app.accounts import identity, login_change, profile
from paysim_app.core.errors import AuthError, PermissionDenied, ValidationError
from paysim_app.core.outbox import SECRET, render_for_sending
from paysim_app.models import LoginChange, PasswordResetToken, User
from paysim_app.models.base import utcnow
from paysim_app.subscribers import contracts as subs
from tests.conftest import PASSWORD
from tests.money_helpers import emails, fresh

LINK = re.compile(r"https://lk\.paysim\.test/confirm-login\?token=([A-Za-z0-9_-]+)")


def _request(session, actor, new_login, password=PASSWORD):
    info = login_change.request_login_change(
        session, actor, new_login, password, base_url="https://lk.paysim.test"
    )
    session.commit()
    return info


def _link_token(session, to: str) -> str:
    [mail] = emails(session, to=to, kind="login_confirm")
    return LINK.search(render_for_sending(mail)).group(1)


def _code(session, to: str) -> str:
    mail = emails(session, to=to, kind="sms_code_login_change")[-1]
    return re.search(r"\b(\d{6})\b", render_for_sending(mail)).group(1)


def _error(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        call(*args, **kwargs)
    return err.value


def _signs_in(session, login: str) -> bool:
    try:
        identity.sign_in(session, login, PASSWORD)
    except AuthError:
        return False
    session.commit()
    return True


def test_a_new_email_is_used_only_after_its_link_is_opened(session, factory):
    olga = factory.subscriber("olga@example.ru")
    this_browser, _ = identity.sign_in(session, "olga@example.ru", PASSWORD)
    other_browser, _ = identity.sign_in(session, "olga@example.ru", PASSWORD)
    identity.request_password_reset(session, "olga@example.ru")  # a link to the old address
    session.commit()

    info = _request(session, olga, "  Olga.New@Mail.RU ")
    assert (info.email, info.pending_kind, info.pending_value) == (
        "olga@example.ru",
        "email",
        "olga.new@mail.ru",
    )
    token = _link_token(session, "olga.new@mail.ru")
    [notice] = emails(session, to="olga@example.ru", kind="login_change_notice")
    assert "olga.new@mail.ru" in notice.body
    # only a keyed digest of the token is stored; the outbox keeps it encrypted
    raw = repr(session.connection().execute(text("SELECT * FROM login_change")).all())
    raw += repr(session.connection().execute(text("SELECT body, secret FROM outbox_email")).all())
    assert token not in raw

    # until confirmed: sign-in and recovery keep using the old address
    assert not _signs_in(session, "olga.new@mail.ru")
    assert _signs_in(session, "olga@example.ru")
    identity.request_password_reset(session, "olga.new@mail.ru")
    session.commit()
    assert emails(session, to="olga.new@mail.ru", kind="password_reset") == []

    assert login_change.confirm_login_link(session, token, keep_token=this_browser) == (
        "olga.new@mail.ru"
    )
    session.commit()
    assert fresh(session, User, olga.user_id).email == "olga.new@mail.ru"
    assert identity.resolve_session(session, this_browser) is not None
    assert identity.resolve_session(session, other_browser) is None
    # the reset link mailed to the old address no longer works
    assert all(r.used_at for r in session.exec(select(PasswordResetToken)).all())
    assert _signs_in(session, "olga.new@mail.ru") and not _signs_in(session, "olga@example.ru")
    assert login_change.login_info(session, olga).pending_kind == ""
    # a link works once
    assert _error(login_change.confirm_login_link, session, token).code == "login_change.invalid"


def test_wrong_passwords_lock_the_change_with_a_time_to_come_back(session, factory):
    olga = factory.subscriber("olga@example.ru")
    for _ in range(login_change.MAX_FAILURES - 1):
        err = _error(_request, session, olga, "new@mail.ru", "Wrong-pass1")
        assert (err.code, err.field) == ("auth.current_password_wrong", "current")
    err = _error(_request, session, olga, "new@mail.ru", "Wrong-pass1")
    assert err.code == "login_change.locked" and re.fullmatch(r"\d\d:\d\d", err.params["until"])
    # locked: even the right password is refused, and nothing was sent
    assert _error(_request, session, olga, "new@mail.ru").code == "login_change.locked"
    assert emails(session) == []
    with time_machine.travel(utcnow() + timedelta(minutes=login_change.LOCK_MINUTES, seconds=5)):
        assert _request(session, olga, "new@mail.ru").pending_value == "new@mail.ru"


def test_an_address_taken_meanwhile_is_refused_at_confirmation(session, factory):
    olga = factory.subscriber("olga@example.ru")
    _request(session, olga, "shared@mail.ru")
    token = _link_token(session, "shared@mail.ru")
    factory.subscriber("shared@mail.ru")  # someone registers it before Olga confirms
    err = _error(login_change.confirm_login_link, session, token)
    assert err.code == "auth.login_taken"
    assert fresh(session, User, olga.user_id).email == "olga@example.ru"
    assert login_change.login_info(session, olga).pending_kind == ""


@pytest.mark.parametrize(
    ("new_login", "password", "field", "code"),
    [
        ("", PASSWORD, "new_login", "error.required"),
        ("not a login", PASSWORD, "new_login", "auth.login_invalid"),
        ("+1 202 555 0100", PASSWORD, "new_login", "auth.login_invalid"),
        ("x" * 300 + "@mail.ru", PASSWORD, "new_login", "auth.login_invalid"),
        ("new@mail.ru", "", "current", "error.required"),
        ("OLGA@example.ru", PASSWORD, "new_login", "login_change.same"),
        ("taken@mail.ru", PASSWORD, "new_login", "auth.login_taken"),
        (None, PASSWORD, "new_login", "error.required"),
    ],
)
def test_bad_input_names_the_field_and_sends_nothing(
    session, factory, new_login, password, field, code
):
    olga = factory.subscriber("olga@example.ru")
    factory.subscriber("taken@mail.ru")
    err = _error(_request, session, olga, new_login, password)
    assert (err.field, err.code) == (field, code)
    assert emails(session) == [] and session.exec(select(LoginChange)).all() == []


def test_staff_keep_an_email_login(session, factory):
    admin = factory.superadmin()
    err = _error(_request, session, admin, "+7 916 123-45-67")
    assert (err.field, err.code) == ("new_login", "login_change.email_only")
    assert _request(session, admin, "boss@paysim.ru").pending_value == "boss@paysim.ru"


def test_a_new_phone_is_confirmed_by_a_code(session, factory):
    olga = factory.subscriber("olga@example.ru")
    this_browser, _ = identity.sign_in(session, "olga@example.ru", PASSWORD)
    other_browser, _ = identity.sign_in(session, "olga@example.ru", PASSWORD)
    session.commit()
    info = _request(session, olga, "8 916 123-45-67")
    assert (info.pending_kind, info.pending_value) == ("phone", "+79161234567")
    [sms] = emails(session, to="+79161234567", kind="sms_code_login_change")
    assert SECRET in sms.body and sms.secret
    code = _code(session, "+79161234567")
    assert code not in sms.body
    # no phone login yet, so the notice goes to the e-mail login
    assert emails(session, to="olga@example.ru", kind="login_change_notice")
    wrong = "000000" if code != "000000" else "111111"
    err = _error(login_change.confirm_login_code, session, olga, wrong, this_browser)
    assert (err.field, err.code) == ("code", "verification.code_wrong")
    err = _error(login_change.confirm_login_code, session, olga, "12", this_browser)
    assert err.code == "verification.code_format"
    assert not _signs_in(session, "+79161234567")

    info = login_change.confirm_login_code(session, olga, f" {code[:3]}-{code[3:]} ", this_browser)
    session.commit()
    assert (info.email, info.phone, info.pending_kind) == ("olga@example.ru", "+79161234567", "")
    assert identity.resolve_session(session, this_browser) is not None
    assert identity.resolve_session(session, other_browser) is None
    assert _signs_in(session, "+7 916 123 45 67") and _signs_in(session, "olga@example.ru")


def test_too_many_wrong_codes_void_the_code(session, factory):
    olga = factory.subscriber("olga@example.ru")
    _request(session, olga, "+79161234567")
    code = _code(session, "+79161234567")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(login_change.CODE_ATTEMPTS - 1):
        err = _error(login_change.confirm_login_code, session, olga, wrong)
        assert err.code == "verification.code_wrong"
    err = _error(login_change.confirm_login_code, session, olga, wrong)
    assert err.code == "verification.code_spent"
    # the right code no longer helps: a new one must be asked for
    err = _error(login_change.confirm_login_code, session, olga, code)
    assert err.code == "verification.code_spent"
    assert fresh(session, User, olga.user_id).phone is None


def test_an_expired_link_and_a_cancelled_change_do_nothing(session, factory):
    olga = factory.subscriber("olga@example.ru")
    _request(session, olga, "late@mail.ru")
    token = _link_token(session, "late@mail.ru")
    later = utcnow() + timedelta(hours=login_change.LINK_HOURS, minutes=1)
    with time_machine.travel(later):
        assert login_change.login_info(session, olga).pending_kind == ""
        err = _error(login_change.confirm_login_link, session, token)
        assert err.code == "login_change.invalid"
    # a second request replaces the first; cancelling drops it
    _request(session, olga, "again@mail.ru")
    again = _link_token(session, "again@mail.ru")
    assert login_change.cancel_login_change(session, olga).pending_kind == ""
    session.commit()
    assert _error(login_change.confirm_login_link, session, again).code == "login_change.invalid"
    for forged in ("", "x" * 500, None, 42):
        err = _error(login_change.confirm_login_link, session, forged)
        assert err.code == "login_change.invalid"
    assert fresh(session, User, olga.user_id).email == "olga@example.ru"


def test_a_disabled_or_missing_user_cannot_change_the_login(session, factory):
    olga = factory.subscriber("olga@example.ru")
    with pytest.raises(PermissionDenied):
        login_change.login_info(session, None)
    session.get(User, olga.user_id).is_active = False
    session.commit()
    with pytest.raises(PermissionDenied):
        _request(session, olga, "new@mail.ru")


def test_admin_contact_edits_leave_the_login_and_recovery_alone(session, factory):
    olga = factory.subscriber("olga@example.ru", full_name="Ольга")
    admin = factory.superadmin()
    subs.update_subscriber(
        session, admin, olga.subscriber_id, "Ольга", "contact@mail.ru", "+79161234567", "", ""
    )
    session.commit()
    user = fresh(session, User, olga.user_id)
    assert (user.email, user.phone) == ("olga@example.ru", None)
    # recovery asked for the new contact address finds no account; the login's still works
    identity.request_password_reset(session, "contact@mail.ru")
    identity.request_password_reset(session, "+79161234567")
    session.commit()
    assert emails(session, kind="password_reset") == []
    assert subs.send_password_reset(session, admin, olga.subscriber_id) == "olga@example.ru"
    session.commit()
    assert [m.to_address for m in emails(session, kind="password_reset")] == ["olga@example.ru"]
    assert not _signs_in(session, "contact@mail.ru") and _signs_in(session, "olga@example.ru")
    # the subscriber's own contact edit does not move the login either
    profile.update_profile(session, olga, "Ольга", "mine@mail.ru", "", "")
    session.commit()
    assert fresh(session, User, olga.user_id).email == "olga@example.ru"


def test_a_phone_login_is_recovered_by_phone_not_by_an_edited_contact_email(session, factory):
    ivan = factory.subscriber("+79161112233")
    admin = factory.superadmin()
    subs.update_subscriber(
        session, admin, ivan.subscriber_id, "Иван", "someone.else@mail.ru", "", "", ""
    )
    session.commit()
    assert subs.send_password_reset(session, admin, ivan.subscriber_id) == "+79161112233"
    identity.request_password_reset(session, "+7 916 111-22-33")
    session.commit()
    # the admin's link and the visitor's code both go by SMS to the login phone
    assert [m.to_address for m in emails(session, kind="sms_password_reset")] == ["+79161112233"]
    assert [m.to_address for m in emails(session, kind="sms_code_reset")] == ["+79161112233"]
    assert emails(session, to="someone.else@mail.ru") == []


def test_confirmations_sent_are_capped_per_user(session, factory, limits_of):
    from paysim_app.core.rate_limits import TooManyAttempts

    limits_of("login_change.user=2/hour")
    olga = factory.subscriber("olga@example.ru")
    _request(session, olga, "8 916 123-45-67")
    _request(session, olga, "8 916 123-45-68")
    with pytest.raises(TooManyAttempts):
        _request(session, olga, "8 916 123-45-69")
    session.rollback()
    assert emails(session, to="+79161234569", kind="sms_code_login_change") == []


def test_wrong_passwords_on_either_form_share_one_allowance(session, factory):
    """The password change and the login change count wrong current passwords together, so an
    open session does not get a fresh set of guesses on each form."""
    olga = factory.subscriber("olga@example.ru")
    for _ in range(login_change.MAX_FAILURES - 1):
        with pytest.raises(ValidationError):
            identity.change_password(session, olga, "Wrong-pass1", "Brand-new-pass9")
    err = _error(_request, session, olga, "new@mail.ru", "Wrong-pass1")
    assert err.code == "login_change.locked"
    assert _error(_request, session, olga, "new@mail.ru").code == "login_change.locked"


def test_the_link_to_a_new_address_goes_out_in_the_users_language(session, factory):
    """The new address is nobody's yet: the row says whose it is, so the e-mail around the
    English body (its footer, its html lang) is English too."""
    from paysim_app.messaging import compose, delivery

    olga = factory.subscriber("olga@example.ru")
    session.get(User, olga.user_id).locale = "en"
    session.commit()
    _request(session, olga, "olga.new@mail.ru")
    [mail] = emails(session, to="olga.new@mail.ru", kind="login_confirm")
    [notice] = emails(session, to="olga@example.ru", kind="login_change_notice")
    for row in (mail, notice):
        assert (row.user_id, row.locale) == (olga.user_id, "en")
    recipient = delivery._recipients(session, [mail])[mail.id]  # as the sender resolves it
    assert recipient == compose.Recipient(olga.user_id, "en")
    email = compose.compose_email(session, mail, recipient)
    assert "sent automatically" in email.text and '<html lang="en">' in email.html
    assert "Это письмо" not in email.text
