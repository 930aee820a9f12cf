"""Ticket attachments: the type comes from the bytes, 5 MB at most, stored under a random name,
readable only through the owner's ticket."""

from __future__ import annotations

import os
import time

import pytest

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.permissions import Actor
from paysim_app.core.rate_limits import TooManyAttempts
from paysim_app.settings import get_settings
from paysim_app.support import attachments, ticketing

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64
STAFF = Actor(user_id=1, role="admin")  # staff have no daily quota: no database needed


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    # an environment variable, not a patched attribute: the database fixtures renew the settings
    monkeypatch.setenv("PAYSIM_ATTACHMENTS_DIR", str(tmp_path / "files"))
    get_settings.cache_clear()
    yield tmp_path / "files"
    get_settings.cache_clear()


def test_types_are_read_from_the_bytes(folder):
    assert attachments.kind_of(PNG) == "png" and attachments.kind_of(PDF) == "pdf"
    assert attachments.kind_of(b"\xff\xd8\xff\xe0" + b"0" * 8) == "jpg"
    assert attachments.kind_of(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    for bad in (b"<svg onload=alert(1)>", b"MZ\x90\x00", b"GIF89a"):
        with pytest.raises(ValidationError):
            attachments.save(bad, "shot.png", STAFF)  # a picture's name does not make it one
    with pytest.raises(ValidationError):
        attachments.save(b"", "empty.png", STAFF)
    with pytest.raises(ValidationError):
        attachments.save(PNG + b"0" * attachments.MAX_BYTES, "huge.png", STAFF)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_stored_under_a_random_name_with_a_safe_display_name(folder):
    stored = attachments.save(PNG, "../../etc/скрин<1>.png", STAFF)
    assert attachments.is_stored_name(stored.stored) and stored.stored.endswith(".png")
    assert "/" not in stored.name and "<" not in stored.name
    assert (folder / stored.stored).read_bytes() == PNG


def test_a_ticket_carries_its_file_to_its_owner_only(session, factory):
    alice, bob = factory.subscriber(), factory.subscriber()
    stored = attachments.save(PDF, "bill.pdf", alice)
    ticket_id = ticketing.open_ticket(
        session, alice, "payments", "Двойное списание", "Прикладываю выписку", attachment=stored
    )
    session.commit()
    thread = ticketing.ticket_thread(session, alice, ticket_id)
    message_id = thread.messages[0].id
    assert thread.messages[0].attachment_name == "bill.pdf"
    name, data, mime = ticketing.attachment(session, alice, message_id)
    assert (name, data, mime) == ("bill.pdf", PDF, "application/pdf")
    with pytest.raises(PermissionDenied):
        ticketing.attachment(session, bob, message_id)
    with pytest.raises(ValidationError):  # a forged stored name never reaches the disk
        ticketing.open_ticket(
            session,
            alice,
            "other",
            "Тема",
            "Текст",
            attachment=attachments.StoredFile("x", "../../../etc/passwd"),
        )


def test_replies_carry_files_both_ways_and_each_side_reads_them(session, factory):
    from paysim_app.support import inbox

    alice, bob = factory.subscriber(), factory.subscriber()
    staff = factory.support()
    ticket_id = ticketing.open_ticket(session, alice, "speed", "Медленно", "Вечером 1 Мбит/с")
    session.commit()
    shot = attachments.save(PNG, "speed.png", alice)
    mine = ticketing.reply(session, alice, ticket_id, "Вот скриншот", attachment=shot)
    answer = inbox.reply_to_ticket(
        session,
        staff,
        ticket_id,
        "Инструкция во вложении",
        attachment=attachments.save(PDF, "apn.pdf", staff),
    )
    session.commit()
    thread = ticketing.ticket_thread(session, alice, ticket_id)
    assert [m.attachment_name for m in thread.messages] == ["", "speed.png", "apn.pdf"]
    assert ticketing.attachment(session, alice, answer)[:2] == ("apn.pdf", PDF)
    assert inbox.admin_attachment(session, staff, mine)[:2] == ("speed.png", PNG)
    with pytest.raises(PermissionDenied):
        ticketing.attachment(session, bob, answer)
    forged = attachments.StoredFile("x", "../../../etc/passwd")
    with pytest.raises(ValidationError):
        ticketing.reply(session, alice, ticket_id, "Ещё", attachment=forged)
    session.rollback()
    with pytest.raises(ValidationError):
        inbox.reply_to_ticket(session, staff, ticket_id, "Ещё", attachment=forged)
    session.rollback()
    assert len(ticketing.ticket_thread(session, alice, ticket_id).messages) == 3


def test_a_customers_daily_quota(session, factory, limits_of, folder):
    limits_of("attachments.user=2/day")
    alice, bob = factory.subscriber(), factory.subscriber()
    attachments.save(PNG, "1.png", alice)
    attachments.save(PNG, "2.png", alice)
    with pytest.raises(TooManyAttempts):
        attachments.save(PNG, "3.png", alice)
    attachments.save(PNG, "1.png", bob)
    assert len(list(folder.iterdir())) == 3  # the refused one was never written


def test_files_no_message_took_are_swept_after_an_hour(session, factory, folder):
    alice = factory.subscriber()
    sent = attachments.save(PDF, "bill.pdf", alice)
    ticketing.open_ticket(session, alice, "payments", "Счёт", "Во вложении", attachment=sent)
    session.commit()
    left = attachments.save(PNG, "left.png", alice)
    fresh = attachments.save(PNG, "fresh.png", alice)
    hour_ago = time.time() - attachments.KEEP_UNSENT.total_seconds() - 60
    for f in (sent, left):
        os.utime(folder / f.stored, (hour_ago, hour_ago))
    (folder / "notes.txt").write_text("not ours")
    os.utime(folder / "notes.txt", (hour_ago, hour_ago))
    assert attachments.sweep_unsent(session, batch=1) == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [sent.stored, fresh.stored, "notes.txt"]
    )
    # a form still holding the swept file says so instead of sending a message without it
    with pytest.raises(ValidationError, match="attachment_expired"):
        ticketing.open_ticket(session, alice, "other", "Тема", "Текст", attachment=left)
