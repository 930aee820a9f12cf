"""The admin outbox (core.outbox.OUTBOX_LIST and retry_messages): filters by state and channel,
secrets masked, and "send again" for failed messages only, audited, for admins who manage
accounts only."""

from __future__ import annotations

import pytest
from sqlmodel import select

from paysim_app.core import outbox
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.models import AuditLog, OutboxEmail


def _rows(session) -> dict[str, int]:
    ids = {}
    for status, channel in (("waiting", "email"), ("failed", "email"), ("failed", "sms")):
        row = OutboxEmail(
            channel=channel,
            to_address="+79161234567" if channel == "sms" else "ivan@example.ru",
            subject="",
            body=f"Код {outbox.SECRET}",
            secret=outbox.seal("735119"),
            kind="phone_code",
            status=status,
            attempts=8 if status == "failed" else 0,
            last_error="connection: Connection refused (after 8 tries)"
            if status == "failed"
            else "",
        )
        session.add(row)
        session.commit()
        ids[f"{status}-{channel}"] = row.id
    return ids


def _page(session, actor, **filters):
    return fetch_page(session, actor, outbox.OUTBOX_LIST, ListQuery(filters=filters))


def test_the_list_filters_by_state_and_channel_and_masks_secrets(session, factory):
    admin = factory.superadmin()
    ids = _rows(session)
    assert len(_page(session, admin).rows) == 3
    failed = _page(session, admin, status="failed")
    assert {r["id"] for r in failed.rows} == {ids["failed-email"], ids["failed-sms"]}
    [sms] = _page(session, admin, status="failed", channel="sms").rows
    assert sms["id"] == ids["failed-sms"] and "after 8 tries" in sms["last_error"]
    assert outbox.staff_text(sms["body"], sms["secret"], demo=False) == "Код ••••••"
    with pytest.raises(ValidationError):
        _page(session, admin, status="lost")
    with pytest.raises(PermissionDenied):
        _page(session, factory.admin(ROLE_SUPPORT))


def test_send_again_requeues_failed_messages_only_and_audits_each(session, factory):
    admin = factory.superadmin()
    ids = _rows(session)
    asked = [ids["failed-email"], ids["waiting-email"], 999_999, -1, True, "7"]
    assert outbox.retry_messages(session, admin, asked) == 1
    session.commit()
    session.expire_all()
    row = session.get(OutboxEmail, ids["failed-email"])
    assert (row.status, row.attempts) == ("waiting", 0)
    assert session.get(OutboxEmail, ids["failed-sms"]).status == "failed"
    [entry] = session.exec(select(AuditLog).where(AuditLog.action == "retry_message")).all()
    assert entry.entity_id == str(ids["failed-email"]) and entry.actor_user_id == admin.user_id
    assert "after 8 tries" in entry.before
    assert outbox.retry_messages(session, admin, [ids["failed-email"]]) == 0  # not failed now


def test_send_again_needs_admins_manage(session, factory):
    ids = _rows(session)
    with pytest.raises(PermissionDenied):
        outbox.retry_messages(session, factory.admin(ROLE_SUPPORT), [ids["failed-email"]])
    subscriber = factory.subscriber()
    with pytest.raises(PermissionDenied):
        outbox.retry_messages(session, subscriber, [ids["failed-email"]])
    with pytest.raises(PermissionDenied):
        outbox.retry_messages(session, None, [ids["failed-email"]])
    session.expire_all()
    assert session.get(OutboxEmail, ids["failed-email"]).status == "failed"


def test_a_message_sent_again_that_fails_again_tells_the_admins_again(session, factory):
    from datetime import timedelta

    from paysim_app.messaging import delivery
    from paysim_app.messaging.base import PermanentFailure
    from paysim_app.models import Notification
    from paysim_app.models.base import utcnow

    class Refusing:
        def send(self, message) -> list[str]:
            raise PermanentFailure("invalid destination")

    admin = factory.superadmin()
    row = outbox.queue_sms(session, "+70000000000", "Текст", "sms_code")
    session.commit()
    for n in (1, 2):
        delivery.deliver_due(sms_sender=Refusing(), now=utcnow() + timedelta(seconds=n))
        session.expire_all()
        assert session.get(OutboxEmail, row.id).status == "failed"
        notes = session.exec(select(Notification).where(Notification.user_id == admin.user_id))
        assert len(notes.all()) == n
        outbox.retry_messages(session, admin, [row.id])
        session.commit()
