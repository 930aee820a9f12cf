"""A stored attachment that is gone from the disk is a refusal (NotFound), never an OSError:
the download verb called without a session rolls back and the page shows its refusal."""

from __future__ import annotations

import pytest

from paysim_app.core.errors import NotFound
from paysim_app.core.permissions import Actor
from paysim_app.settings import get_settings
from paysim_app.support import attachments, ticketing

PDF = b"%PDF-1.7\n" + b"x" * 64


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYSIM_ATTACHMENTS_DIR", str(tmp_path / "files"))
    get_settings.cache_clear()
    yield tmp_path / "files"
    get_settings.cache_clear()


def test_a_file_gone_from_the_disk_is_not_found(folder):
    stored = attachments.save(PDF, "bill.pdf", Actor(user_id=1, role="admin"))
    assert attachments.read(stored.stored)[0] == PDF
    (folder / stored.stored).unlink()
    with pytest.raises(NotFound):
        attachments.read(stored.stored)


def test_the_download_verb_refuses_a_vanished_file_with_and_without_a_session(
    session, factory, folder
):
    alice = factory.subscriber()
    stored = attachments.save(PDF, "bill.pdf", alice)
    ticket_id = ticketing.open_ticket(
        session, alice, "payments", "Выписка", "Файл", attachment=stored
    )
    session.commit()
    message_id = ticketing.ticket_thread(session, alice, ticket_id).messages[0].id
    assert ticketing.attachment(alice, message_id)[1] == PDF  # its own unit of work
    (folder / stored.stored).unlink()
    with pytest.raises(NotFound):
        ticketing.attachment(session, alice, message_id)
    with pytest.raises(NotFound):
        ticketing.attachment(alice, message_id)
