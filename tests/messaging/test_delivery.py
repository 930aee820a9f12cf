"""messaging.delivery: the outbox drained through a real SMTP server (aiosmtpd) on SQLite and
PostgreSQL: delivered, retried with backoff, failed with the reason, bounced, server down or
dropping, claims that expire, two workers at once, and the SMS channel beside it."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import timedelta

from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.core import outbox
from paysim_app.messaging import delivery
from paysim_app.messaging.base import PermanentFailure, Sms, TemporaryFailure
from paysim_app.models import Notification, OutboxEmail, Subscriber, User
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings
from tests.messaging.conftest import aim_smtp

SECRET_TOKEN = "Reset-Token-0123456789abcdefXYZ"


class FakeSms:
    """An SmsSender that records what it was given (and fails on demand)."""

    def __init__(self, fail: Exception | None = None):
        self.sent: list[Sms] = []
        self.fail = fail

    def send(self, message: Sms) -> list[str]:
        if self.fail is not None:
            raise self.fail
        self.sent.append(message)
        return [f"smsc-{message.reference}-1", f"smsc-{message.reference}-2"]


def _user(factory, session, email: str, locale: str = "ru") -> User:
    actor = factory.subscriber(email)
    user = session.get(User, actor.user_id)
    user.locale = locale
    session.add(user)
    session.commit()
    return user


def _queue(session, to: str, kind: str = "", **kw) -> int:
    mail = outbox.queue_email(
        session, to, kw.pop("subject", "Тема"), kw.pop("body", "Текст письма."), kind=kind, **kw
    )
    session.commit()
    return mail.id


def _row(session, row_id: int) -> OutboxEmail:
    session.expire_all()
    return session.get(OutboxEmail, row_id)


def _run(**kw) -> dict[str, int]:
    kw.setdefault("sms_sender", FakeSms())
    return delivery.deliver_due(**kw)


def test_backoff_grows_and_is_capped():
    assert [delivery.backoff(n).total_seconds() // 60 for n in range(1, 8)] == [
        1,
        5,
        15,
        60,
        180,
        180,
        180,
    ]


def test_delivered_in_the_recipients_language_with_secret_attachment_and_unsubscribe_where_due(
    session, factory, smtp, caplog
):
    caplog.set_level(logging.DEBUG, logger="paysim")
    en = _user(factory, session, "anna@example.ru", "en")
    ru = _user(factory, session, "boris@example.ru", "ru")

    @outbox.attachment_renderer("testdoc")
    def _doc(_session, ref_id, locale):
        return outbox.Attachment(f"doc-{ref_id}-{locale}.pdf", "application/pdf", b"%PDF-1.4")

    note = _queue(session, en.email, "low_balance", subject="Low balance", body="Top up soon.")
    reset = _queue(
        session,
        ru.email,
        "password_reset",
        subject="Сброс пароля",
        body=f"Ссылка: http://localhost:3000/reset?token={outbox.SECRET}\nДо встречи.",
        secret=SECRET_TOKEN,
        attachments=outbox.attachment_ref("testdoc", 5),
    )
    stranger = _queue(session, "nobody@example.ru", "low_balance", body="Kто-то.")

    assert _run() == {"claimed": 3, "sent": 3, "retry": 0, "failed": 0, "lost": 0}
    by_to = {r.rcpt_tos[0]: r.message for r in smtp.received}
    assert set(by_to) == {"anna@example.ru", "boris@example.ru", "nobody@example.ru"}

    msg = by_to["anna@example.ru"]
    assert msg["From"] == "PaySim <noreply@mail.paysim.test>" and msg["Date"]
    assert msg["Message-ID"] == _row(session, note).message_id
    assert msg["Message-ID"].endswith("@mail.paysim.test>")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Top up soon." in text and "sent automatically" in text  # English footer
    assert '<html lang="en">' in html and "Top up soon." in html
    link = msg["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://localhost:3000/api/unsubscribe?token=")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text and f'href="{link}"' in html

    mail = by_to["boris@example.ru"]
    assert mail["List-Unsubscribe"] is None  # a password reset cannot be switched off
    text = mail.get_body(("plain",)).get_content()
    assert f"/reset?token={SECRET_TOKEN}" in text and "автоматически" in text
    html = mail.get_body(("html",)).get_content()
    assert f'<a href="http://localhost:3000/reset?token={SECRET_TOKEN}"' in html
    [doc] = list(mail.iter_attachments())
    assert doc.get_filename() == "doc-5-ru.pdf" and doc.get_content() == b"%PDF-1.4"
    # an address nobody owns: nobody to unsubscribe
    assert by_to["nobody@example.ru"]["List-Unsubscribe"] is None

    for row_id in (note, reset, stranger):
        row = _row(session, row_id)
        assert (row.status, row.attempts, row.claimed_by) == ("sent", 1, "")
        assert row.sent_at is not None and row.message_id
    app_log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("paysim"))
    assert "outbox" in app_log or "delivery" in app_log or app_log == ""
    assert SECRET_TOKEN not in app_log
    assert _run()["claimed"] == 0  # nothing is sent twice


def test_html_escapes_the_body(session, factory, smtp):
    _queue(session, "x@example.ru", subject="<b>hi</b>", body='<script>alert(1)</script> & "q"')
    _run()
    html = smtp.received[0].message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    assert "<b>hi</b>" not in html


def test_a_451_waits_with_backoff_then_is_delivered(session, smtp):
    row_id = _queue(session, "ivan@example.ru")
    smtp.data_replies.append("451 4.3.0 greylisted, try later")
    before = utcnow()
    assert _run()["retry"] == 1
    row = _row(session, row_id)
    assert (row.status, row.attempts) == ("waiting", 1)
    assert "451 4.3.0 greylisted" in row.last_error
    assert timedelta(seconds=50) < row.next_attempt_at - before < timedelta(seconds=70)
    assert _run()["claimed"] == 0  # not due yet
    assert _run(now=utcnow() + timedelta(minutes=2))["sent"] == 1
    row = _row(session, row_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert len(smtp.received) == 1


def test_a_550_fails_at_once_marks_the_address_bounced_and_tells_the_user_and_admins(
    session, factory, smtp
):
    admin = factory.superadmin()
    user = _user(factory, session, "gone@example.ru", "en")
    smtp.refuse["gone@example.ru"] = "550 5.1.1 <gone@example.ru>: no such user"
    row_id = _queue(session, "gone@example.ru", "autopay_ok")

    assert _run()["failed"] == 1
    row = _row(session, row_id)
    assert row.status == "failed" and "550 5.1.1" in row.last_error
    assert session.get(User, user.id).bounced_email == "gone@example.ru"
    actor = identity.actor_for(session, session.get(User, user.id))
    assert outbox.bounced_address(session, actor) == "gone@example.ru"  # the profile's line
    [told] = session.exec(
        select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "email_bounced"
        )
    ).all()
    assert "gone@example.ru" in told.title
    admin_notes = session.exec(
        select(Notification).where(Notification.user_id == admin.user_id)
    ).all()
    assert [n.kind for n in admin_notes] == ["message_failed"]
    assert str(row_id) in admin_notes[0].title and "550" in admin_notes[0].body
    # the bounce notice is in-app only: nothing more is queued to the dead address
    queued = session.exec(
        select(OutboxEmail).where(OutboxEmail.to_address == "gone@example.ru")
    ).all()
    assert [q.id for q in queued] == [row_id]
    _run()  # (an admin's e-mail copy of "message failed", if their settings ask for one)
    assert all(r.rcpt_tos != ["gone@example.ru"] for r in smtp.received)
    # a new address is not the bounced one: the profile's line goes away by itself
    fixed = session.get(User, user.id)
    contract = session.exec(select(Subscriber).where(Subscriber.user_id == user.id)).one()
    assert outbox.bounced_address(session, actor) == "gone@example.ru"
    fixed.email = contract.email = "anna.new@example.ru"
    session.add_all([fixed, contract])
    session.commit()
    assert outbox.bounced_address(session, actor) == ""
    assert outbox.bounced_address(session, admin) == ""


def test_server_down_every_message_waits_with_backoff(session, smtp, dead_port, monkeypatch):
    aim_smtp(monkeypatch, dead_port)
    ids = [_queue(session, f"u{n}@example.ru") for n in range(3)]
    counts = _run()
    assert counts["retry"] == 3 and counts["sent"] == 0
    for row_id in ids:
        row = _row(session, row_id)
        assert (row.status, row.attempts) == ("waiting", 1)
        assert row.last_error.startswith("connection")
    aim_smtp(monkeypatch, smtp.port)  # the server is back
    assert _run(now=utcnow() + timedelta(minutes=2))["sent"] == 3
    assert len(smtp.received) == 3


def test_a_server_that_accepts_then_drops_leaves_the_message_waiting(
    session, smtp, dropping_server, monkeypatch
):
    port, accepted = dropping_server
    aim_smtp(monkeypatch, port)
    row_id = _queue(session, "ivan@example.ru")
    assert _run()["retry"] == 1
    row = _row(session, row_id)
    assert row.status == "waiting" and "closed" in row.last_error and accepted
    aim_smtp(monkeypatch, smtp.port)
    assert _run(now=utcnow() + timedelta(minutes=2))["sent"] == 1


def test_after_the_last_try_the_message_fails_with_the_reason(
    session, factory, dead_port, monkeypatch
):
    admin = factory.superadmin()
    aim_smtp(monkeypatch, dead_port, PAYSIM_DELIVERY_ATTEMPTS="3")
    row_id = _queue(session, "ivan@example.ru")
    when = utcnow()
    for expected in ("retry", "retry", "failed"):
        assert _run(now=when)[expected] == 1
        when += timedelta(hours=4)
    row = _row(session, row_id)
    assert row.status == "failed" and row.attempts == 3
    assert row.last_error.startswith("connection") and "(after 3 tries)" in row.last_error
    [note] = session.exec(select(Notification).where(Notification.user_id == admin.user_id)).all()
    assert note.kind == "message_failed"
    # an e-mail copy of that notice (if the admin wants one) fails the same way; its failure
    # tells nobody again: no loop
    copy = outbox.queue_email(session, "admin@example.ru", "t", "b", kind="message_failed")
    session.commit()
    for _ in range(3):
        _run(now=when)
        when += timedelta(hours=4)
    session.expire_all()
    assert {(r.status, r.attempts) for r in session.exec(select(OutboxEmail)).all()} == {
        ("failed", 3)
    }
    assert session.get(OutboxEmail, copy.id).status == "failed"
    assert len(session.exec(select(Notification)).all()) == 1


def test_a_claim_whose_worker_died_is_due_again_after_it_expires(session, smtp):
    row_id = _queue(session, "ivan@example.ru")
    assert delivery.claim(session, "dead-worker", ("email",), 10, utcnow()) == [row_id]
    assert _row(session, row_id).status == "sending"
    assert _run()["claimed"] == 0  # still claimed
    later = utcnow() + timedelta(seconds=get_settings().paysim_delivery_claim_seconds + 1)
    assert _run(now=later)["sent"] == 1
    row = _row(session, row_id)
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 2, "")


def test_an_outcome_is_not_written_over_another_workers_claim(session):
    row_id = _queue(session, "ivan@example.ru")
    delivery.claim(session, "w1", ("email",), 10, utcnow())
    row = _row(session, row_id)
    assert delivery._record_sent(session, row, "w2", "<x@y>") is False
    session.commit()
    assert _row(session, row_id).status == "sending"


def test_two_workers_draining_at_once_send_each_message_exactly_once(session, smtp):
    ids = [_queue(session, f"u{n}@example.ru", subject=f"N{n}") for n in range(40)]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while delivery.deliver_due(limit=3, sms_sender=FakeSms())["claimed"]:
                pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    ids_sent = Counter(r.message["Message-ID"] for r in smtp.received)
    assert len(ids_sent) == 40 and set(ids_sent.values()) == {1}
    session.expire_all()
    rows = session.exec(select(OutboxEmail).where(OutboxEmail.id.in_(ids))).all()
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}


def test_without_smtp_host_e_mails_wait_outside_demo_and_go_to_the_log_in_demo(
    session, monkeypatch
):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    get_settings.cache_clear()
    row_id = _queue(session, "ivan@example.ru")
    assert _run()["claimed"] == 0
    assert _row(session, row_id).status == "waiting"
    monkeypatch.setenv("PAYSIM_DEMO", "1")
    get_settings.cache_clear()
    try:
        assert _run()["sent"] == 1
    finally:
        monkeypatch.setenv("PAYSIM_DEMO", "0")
        get_settings.cache_clear()
    assert _row(session, row_id).status == "sent"


def test_the_sms_sandbox_sends_only_in_demo_mode_and_text_messages_wait_outside_it(
    session, monkeypatch
):
    """Outside demo mode the sandbox would mark a code 'sent' while nothing leaves the machine:
    without PAYSIM_SMS_PROVIDER=smpp a text message waits, as an e-mail waits without SMTP_HOST."""
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("PAYSIM_SMS_PROVIDER", "sandbox")
    get_settings.cache_clear()
    row = outbox.queue_sms(session, "+79161234567", f"Код: {outbox.SECRET}", "phone_code", "482913")
    session.commit()
    assert delivery.deliver_due()["claimed"] == 0
    assert _row(session, row.id).status == "waiting"
    monkeypatch.setenv("PAYSIM_DEMO", "1")
    get_settings.cache_clear()
    try:
        assert delivery.deliver_due()["sent"] == 1
    finally:
        monkeypatch.setenv("PAYSIM_DEMO", "0")
        get_settings.cache_clear()
    assert _row(session, row.id).status == "sent"


def test_sms_rows_go_to_the_sms_sender_with_their_code_and_retry_alike(session, smtp):
    code_row = outbox.queue_sms(
        session, "+79161234567", f"Код: {outbox.SECRET}", "phone_code", "482913"
    )
    old_style = outbox.queue_email(session, "+79160000000", "", "Текст", kind="sms_code")
    session.commit()
    assert (code_row.channel, old_style.channel) == ("sms", "sms")
    fake = FakeSms()
    assert delivery.deliver_due(sms_sender=fake)["sent"] == 2
    assert {(m.to, m.text) for m in fake.sent} == {
        ("+79161234567", "Код: 482913"),
        ("+79160000000", "Текст"),
    }
    assert smtp.received == []
    row = _row(session, code_row.id)
    assert row.status == "sent" and row.message_id == f"smsc-{code_row.id}-1,smsc-{code_row.id}-2"

    later = outbox.queue_sms(session, "+79161234567", "Ещё", "phone_code")
    never = outbox.queue_sms(session, "+70000000000", "Нет", "phone_code")
    session.commit()
    delivery.deliver_due(sms_sender=FakeSms(TemporaryFailure("SMSC throttled (0x58)")))
    assert _row(session, later.id).status == "waiting"
    delivery.deliver_due(
        sms_sender=FakeSms(PermanentFailure("invalid destination")),
        now=utcnow() + timedelta(minutes=2),
    )
    assert _row(session, later.id).status == "failed"
    assert _row(session, never.id).last_error == "invalid destination"


def test_a_secret_sealed_with_a_lost_key_fails_the_message(session, smtp):
    mail = OutboxEmail(
        to_address="ivan@example.ru",
        subject="s",
        body=f"code {outbox.SECRET}",
        secret=outbox.seal("123456", "another-key"),
    )
    session.add(mail)
    session.commit()
    assert _run()["failed"] == 1
    assert "secret" in _row(session, mail.id).last_error
    assert smtp.received == []


def test_the_scheduler_job_drains_batch_after_batch(session, smtp, monkeypatch):
    from paysim_app.jobs import scheduler

    monkeypatch.setenv("PAYSIM_DELIVERY_BATCH", "2")
    get_settings.cache_clear()
    for n in range(5):
        _queue(session, f"u{n}@example.ru")
    scheduler.delivery_job()  # three batches of at most 2, one connection each
    assert len(smtp.received) == 5 and smtp.connections == 3
    session.expire_all()
    assert {r.status for r in session.exec(select(OutboxEmail)).all()} == {"sent"}
    assert "delivery" in {job.id for job in scheduler.build_scheduler().get_jobs()}


def test_a_slow_server_gives_the_rest_back_before_the_claim_runs_out(session, smtp, monkeypatch):
    ids = [_queue(session, f"u{n}@example.ru") for n in range(3)]
    clock = [0.0]
    monkeypatch.setattr(delivery, "_clock", lambda: clock[0])

    class Slow:
        def send(self, message) -> None:
            clock[0] += 1000  # each send "takes" longer than a claim lasts
            smtp.received.append(message)

    counts = delivery.deliver_due(email_sender=Slow(), sms_sender=FakeSms())
    assert (counts["sent"], counts["released"]) == (1, 2)
    rows = [_row(session, i) for i in ids]
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1), ("waiting", 0), ("waiting", 0)]
    assert all(r.claimed_by == "" for r in rows)
    clock[0] = 0.0
    assert _run()["sent"] == 2  # due again at once, through the real server


def test_a_phone_queued_as_an_e_mail_fails_without_reaching_the_server(session, smtp):
    row_id = _queue(session, "+79161234567", "password_reset")  # as before SMS existed
    assert _run()["failed"] == 1
    assert _row(session, row_id).last_error == "not an e-mail address: +79161234567"
    assert smtp.received == [] and smtp.connections == 0
