"""The outbox keeps no usable link secret in plain text: the row holds a placeholder and the
secret encrypted; the sender gets the whole body back, staff see the secret masked (whole in
demo mode), and outside demo mode no log line carries it."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text
from sqlmodel import select

from paysim_app.accounts import admins, identity
from paysim_app.core import outbox
from paysim_app.core.errors import PermissionDenied
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.models import OutboxEmail
from paysim_app.settings import get_settings
from tests.money_helpers import emails

LINK = re.compile(r"https://lk\.paysim\.test/reset\?token=([A-Za-z0-9_-]{40,})")


def _raw_rows(session) -> str:
    """Every text column of every outbox row as the database holds it."""
    query = text("SELECT to_address, subject, body, secret, kind, last_error FROM outbox_email")
    return repr(session.connection().execute(query).all())


def _reset(session, factory, login="ivan@example.ru") -> tuple[OutboxEmail, str]:
    factory.subscriber(login)
    identity.request_password_reset(session, login, "https://lk.paysim.test")
    session.commit()
    [mail] = emails(session, kind="password_reset")
    token = LINK.search(outbox.render_for_sending(mail)).group(1)
    return mail, token


def test_the_row_holds_no_usable_token_and_the_sender_gets_it_back(session, factory):
    mail, token = _reset(session, factory)
    assert token not in _raw_rows(session)
    # one link: the e-mail is in its owner's language only
    assert mail.body.count(f"/reset?token={outbox.SECRET}") == 1 and mail.secret
    sent = outbox.render_for_sending(mail)
    assert sent.count(f"https://lk.paysim.test/reset?token={token}") == 1
    assert outbox.SECRET not in sent
    # the token really is the one that resets the password
    identity.reset_password(session, token, "Another-pass2")
    session.commit()


def test_a_changed_secret_key_cannot_read_old_rows(session, factory):
    mail, _ = _reset(session, factory)
    with pytest.raises(outbox.SecretUnreadable):
        outbox.render_for_sending(mail, secret_key="another-key-" + "x" * 40)
    masked = outbox.render_for_staff(mail, demo=False)
    assert "token=••••••" in masked


def test_staff_see_the_token_masked_outside_demo_mode(session, factory):
    mail, token = _reset(session, factory)
    admin = factory.superadmin()
    [row] = [r for r in outbox.recent_emails(session, admin) if r.id == mail.id]
    assert token not in row.body
    assert f"https://lk.paysim.test/reset?token=••••••{token[-4:]}" in row.body
    with pytest.raises(PermissionDenied):
        outbox.recent_emails(session, factory.admin(ROLE_SUPPORT))


def test_demo_mode_shows_the_whole_link_to_staff_and_in_the_log(
    session, factory, monkeypatch, caplog
):
    monkeypatch.setattr(get_settings(), "paysim_demo", True)
    with caplog.at_level(logging.WARNING, logger="paysim.outbox"):
        mail, token = _reset(session, factory)
    assert f"https://lk.paysim.test/reset?token={token}" in caplog.text
    [row] = [r for r in outbox.recent_emails(session, factory.superadmin()) if r.id == mail.id]
    assert f"https://lk.paysim.test/reset?token={token}" in row.body
    assert token not in _raw_rows(session)  # the table holds it encrypted in demo mode too


def test_outside_demo_mode_no_log_line_carries_the_token(session, factory, caplog):
    with caplog.at_level(logging.DEBUG):
        _, token = _reset(session, factory)
        admin = factory.superadmin()
        invited = admins.invite_admin(
            session, admin, "new.admin@example.ru", "Ольга", admin_role_id(session), "https://x"
        )
        session.commit()
    assert invited
    [invite] = emails(session, kind="admin_invite")
    invite_token = outbox.render_for_sending(invite).split("token=")[1].split()[0]
    assert token not in caplog.text and invite_token not in caplog.text
    assert invite_token not in _raw_rows(session)


def admin_role_id(session) -> int:
    from paysim_app.models import AdminRole

    return session.exec(select(AdminRole.id).where(AdminRole.name == ROLE_SUPPORT)).one()


def test_a_secret_must_go_through_the_placeholder(session):
    with pytest.raises(ValueError):
        outbox.queue_email(session, "a@b.ru", "s", "link: https://x/reset?token=abc", secret="abc")
    with pytest.raises(ValueError):
        outbox.queue_email(session, "a@b.ru", "s", "no placeholder here", secret="abc")
    assert session.exec(select(OutboxEmail)).all() == []


def test_short_secrets_are_masked_whole_and_plain_mail_is_untouched(session):
    outbox.queue_email(
        session, "+79161234567", "code", f"Код: {outbox.SECRET}", "sms_code", "580917"
    )
    outbox.queue_email(session, "a@b.ru", "hello", "no secret here", "ticket_reply")
    outbox.queue_emails(session, [("c@d.ru", "bulk", "plain", "low_balance")])
    session.commit()
    code, plain, bulk = session.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert outbox.render_for_staff(code, demo=False) == "Код: ••••••"
    assert outbox.render_for_sending(code) == "Код: 580917"
    assert "580917" not in _raw_rows(session)
    for mail, body in ((plain, "no secret here"), (bulk, "plain")):
        assert mail.secret == ""
        assert outbox.render_for_sending(mail) == outbox.render_for_staff(mail) == body
