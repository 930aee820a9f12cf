"""Channels per kind: in-app only, e-mail or SMS as each user chooses; security notices locked;
SMS only to a verified phone; the one-click unsubscribe; the bulk path reads preferences once."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import select

from paysim_app.core import notify
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.models import Notification, NotificationPreference, User
from paysim_app.models.base import utcnow
from tests.money_helpers import count, emails, fresh, notifications


def test_unsubscribe_turns_the_email_copy_off_and_keeps_the_in_app_one(session, factory):
    sub = factory.subscriber()
    assert notify.unsubscribe(session, sub.user_id, "low_balance") is True
    session.commit()
    notify.notify_user(session, sub.user_id, "low_balance", {"msisdn": "x", "balance_kop": 5})
    session.commit()
    assert [n.kind for n in notifications(session, sub)] == ["low_balance"]
    assert emails(session, kind="low_balance") == []
    # once more: still off, still True
    assert notify.unsubscribe(session, sub.user_id, "low_balance") is True


@pytest.mark.parametrize(
    ("kind", "who"),
    [
        ("password_changed", None),  # security: cannot be switched off
        ("card_added", None),
        ("new_sign_in", None),
        ("no_such_kind", None),
        ("ticket_new", None),  # an admin's kind: a subscriber does not get it
        ("low_balance", 10**9),  # nobody
        ("low_balance", "1"),  # not an id
    ],
)
def test_unsubscribe_refuses_what_cannot_be_switched_off(session, factory, kind, who):
    sub = factory.subscriber()
    assert notify.unsubscribe(session, sub.user_id if who is None else who, kind) is False
    session.commit()
    assert session.get(NotificationPreference, (sub.user_id, kind)) is None


def test_security_notices_go_by_email_whatever_was_stored(session, factory):
    sub = factory.subscriber()
    # even a row written behind the verbs' back does not silence a security notice
    session.add(NotificationPreference(user_id=sub.user_id, kind="password_changed", channel="app"))
    session.commit()
    notify.notify_user(session, sub.user_id, "password_changed", {})
    session.commit()
    assert len(notifications(session, sub, "password_changed")) == 1
    assert len(emails(session, to=sub.login, kind="password_changed")) == 1
    with pytest.raises(ValidationError):
        notify.set_channel(session, sub, "password_changed", "app")


def test_in_app_only_sends_no_copy_and_email_sends_one(session, factory):
    sub = factory.subscriber()
    assert notify.set_channel(session, sub, "ticket_reply", "app") == "app"
    session.commit()
    notify.notify_user(session, sub.user_id, "ticket_reply", {"id": 1, "subject": "s"})
    session.commit()
    assert emails(session, kind="ticket_reply") == []
    notify.set_channel(session, sub, "ticket_reply", "email")
    session.commit()
    notify.notify_user(session, sub.user_id, "ticket_reply", {"id": 2, "subject": "s"})
    session.commit()
    assert len(emails(session, kind="ticket_reply")) == 1
    assert len(notifications(session, sub, "ticket_reply")) == 2


def _phone_proven(session, actor, proven: bool) -> None:
    user = fresh(session, User, actor.user_id)
    user.phone_verified_at = utcnow() if proven else None
    session.commit()


def test_sms_goes_to_a_verified_phone(session, factory):
    sub = factory.subscriber(login="+79161230002")
    _phone_proven(session, sub, True)
    assert notify.set_channel(session, sub, "low_balance", "sms") == "sms"
    session.commit()
    notify.notify_user(session, sub.user_id, "low_balance", {"msisdn": "x", "balance_kop": 5})
    notify.notify_user(session, sub.user_id, "password_changed", {})  # no e-mail: by SMS
    session.commit()
    sent = emails(session, to="+79161230002")
    assert [(m.channel, m.kind) for m in sent] == [
        ("sms", "low_balance"),
        ("sms", "password_changed"),
    ]
    assert all(m.user_id == sub.user_id for m in sent)


def test_sms_refused_without_a_verified_phone(session, factory):
    sub = factory.subscriber(login="+79161230001")
    _phone_proven(session, sub, False)
    with pytest.raises(ValidationError):
        notify.set_channel(session, sub, "low_balance", "sms")
    # an account without e-mail cannot choose e-mail either
    with pytest.raises(ValidationError):
        notify.set_channel(session, sub, "low_balance", "email")
    session.rollback()
    # a row stored behind the verbs' back falls back to in-app only: no copy to an unverified phone
    session.add(NotificationPreference(user_id=sub.user_id, kind="low_balance", channel="sms"))
    session.commit()
    notify.notify_user(session, sub.user_id, "low_balance", {"msisdn": "x", "balance_kop": 5})
    session.commit()
    assert len(notifications(session, sub, "low_balance")) == 1
    assert emails(session, kind="low_balance") == []


@pytest.mark.parametrize(
    ("kind", "channel"),
    [
        ("low_balance", "off"),  # "off" only for opt-in kinds
        ("low_balance", "fax"),
        ("low_balance", None),
        ("low_balance", ["email"]),
        (["low_balance"], "app"),
        ("partner_low_balance", "email"),  # a partner's kind
        ("ticket_new", "app"),  # an admin's kind
        ("x" * 10_000, "app"),
    ],
)
def test_set_channel_refuses_hostile_arguments(session, factory, kind, channel):
    sub = factory.subscriber()
    with pytest.raises(ValidationError):
        notify.set_channel(session, sub, kind, channel)
    session.rollback()
    assert count(session, NotificationPreference) == 0


def test_set_channel_needs_a_live_account_of_that_role(session, factory):
    sub = factory.subscriber()
    with pytest.raises(PermissionDenied):
        notify.set_channel(session, None, "low_balance", "app")
    user = fresh(session, User, sub.user_id)
    user.is_active = False
    session.commit()
    with pytest.raises(PermissionDenied):
        notify.set_channel(session, sub, "low_balance", "app")


def test_bulk_path_reads_preferences_in_one_query(session, factory, engine):
    sims = []
    for _ in range(5):
        sub = factory.subscriber()
        notify.set_channel(session, sub, "low_balance", "app")
        sims.append(factory.sim(sub, balance_kop=100))
    session.commit()
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        sent = notify.notify_sim_owners(
            session, [(s.id, "low_balance", {"balance_kop": 100}) for s in sims]
        )
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert sent == 5
    assert sum("notification_preference" in s for s in seen) == 1
    assert emails(session, kind="low_balance") == []  # all chose in-app only
    # and each note knows its SIM, for the filter by SIM
    session.expire_all()
    noted = session.exec(select(Notification.sim_id).where(Notification.kind == "low_balance"))
    assert sorted(noted.all()) == sorted(s.id for s in sims)
