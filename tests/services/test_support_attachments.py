"""Ticket attachments: the type comes from the bytes, 5 MB at most, stored under a random name,
readable only through the owner's ticket."""

from __future__ import annotations

import pytest

from paysim_app.services import attachments, support
from paysim_app.services.errors import PermissionDenied, ValidationError
from paysim_app.settings import get_settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(get_settings(), "paysim_attachments_dir", str(tmp_path))
    return tmp_path


def test_types_are_read_from_the_bytes(folder):
    assert attachments.kind_of(PNG) == "png" and attachments.kind_of(PDF) == "pdf"
    assert attachments.kind_of(b"\xff\xd8\xff\xe0" + b"0" * 8) == "jpg"
    assert attachments.kind_of(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    for bad in (b"<svg onload=alert(1)>", b"MZ\x90\x00", b"GIF89a"):
        with pytest.raises(ValidationError):
            attachments.save(bad, "shot.png")  # a picture's name does not make it one
    with pytest.raises(ValidationError):
        attachments.save(b"", "empty.png")
    with pytest.raises(ValidationError):
        attachments.save(PNG + b"0" * attachments.MAX_BYTES, "huge.png")
    assert list(folder.iterdir()) == []


def test_stored_under_a_random_name_with_a_safe_display_name(folder):
    stored = attachments.save(PNG, "../../etc/скрин<1>.png")
    assert attachments.is_stored_name(stored.stored) and stored.stored.endswith(".png")
    assert "/" not in stored.name and "<" not in stored.name
    assert (folder / stored.stored).read_bytes() == PNG


def test_a_ticket_carries_its_file_to_its_owner_only(session, factory):
    alice, bob = factory.subscriber(), factory.subscriber()
    stored = attachments.save(PDF, "bill.pdf")
    ticket_id = support.open_ticket(
        session, alice, "payments", "Двойное списание", "Прикладываю выписку", attachment=stored
    )
    session.commit()
    thread = support.ticket_thread(session, alice, ticket_id)
    message_id = thread.messages[0].id
    assert thread.messages[0].attachment_name == "bill.pdf"
    name, data, mime = support.attachment(session, alice, message_id)
    assert (name, data, mime) == ("bill.pdf", PDF, "application/pdf")
    with pytest.raises(PermissionDenied):
        support.attachment(session, bob, message_id)
    with pytest.raises(ValidationError):  # a forged stored name never reaches the disk
        support.open_ticket(
            session,
            alice,
            "other",
            "Тема",
            "Текст",
            attachment=attachments.StoredFile("x", "../../../etc/passwd"),
        )


def test_replies_carry_files_both_ways_and_each_side_reads_them(session, factory):
    from paysim_app.services import support_admin

    alice, bob = factory.subscriber(), factory.subscriber()
    staff = factory.support()
    ticket_id = support.open_ticket(session, alice, "speed", "Медленно", "Вечером 1 Мбит/с")
    session.commit()
    shot = attachments.save(PNG, "speed.png")
    mine = support.reply(session, alice, ticket_id, "Вот скриншот", attachment=shot)
    answer = support_admin.reply_to_ticket(
        session,
        staff,
        ticket_id,
        "Инструкция во вложении",
        attachment=attachments.save(PDF, "apn.pdf"),
    )
    session.commit()
    thread = support.ticket_thread(session, alice, ticket_id)
    assert [m.attachment_name for m in thread.messages] == ["", "speed.png", "apn.pdf"]
    assert support.attachment(session, alice, answer)[:2] == ("apn.pdf", PDF)
    assert support_admin.admin_attachment(session, staff, mine)[:2] == ("speed.png", PNG)
    with pytest.raises(PermissionDenied):
        support.attachment(session, bob, answer)
    forged = attachments.StoredFile("x", "../../../etc/passwd")
    with pytest.raises(ValidationError):
        support.reply(session, alice, ticket_id, "Ещё", attachment=forged)
    session.rollback()
    with pytest.raises(ValidationError):
        support_admin.reply_to_ticket(session, staff, ticket_id, "Ещё", attachment=forged)
    session.rollback()
    assert len(support.ticket_thread(session, alice, ticket_id).messages) == 3
