"""support.inbox.admin_ticket_page: the ticket page's one read (thread, assignees, canned
replies), inside a caller's unit of work or in its own."""

from __future__ import annotations

import pytest

from paysim_app.core.errors import NotFound, PermissionDenied
from paysim_app.support import inbox as sa
from paysim_app.support import ticketing


@pytest.fixture
def ticket(factory):
    s = factory.session
    alice = factory.subscriber("alice@example.ru", full_name="Алиса Смирнова")
    tid = ticketing.open_ticket(s, alice, "speed", "Медленный интернет", "Вечером 1 Мбит/с")
    s.commit()
    return tid


def test_with_a_session_the_page_joins_it(session, factory, ticket):
    op = factory.support()
    sa.create_canned_reply(session, op, "Перезагрузка", "Перезагрузите модем", "ru")
    page = sa.admin_ticket_page(session, op, ticket)
    assert page.thread.id == ticket and page.thread.subject == "Медленный интернет"
    assert [m.body for m in page.thread.messages] == ["Вечером 1 Мбит/с"]
    assert op.user_id in {a.user_id for a in page.assignees}
    assert [c.title for c in page.canned] == ["Перезагрузка"]


def test_without_a_session_the_page_reads_in_its_own_unit_of_work(session, factory, ticket):
    op = factory.support()
    session.commit()
    page = sa.admin_ticket_page(op, ticket)
    assert page.thread.id == ticket and page.canned == []
    assert [m.body for m in page.thread.messages] == ["Вечером 1 Мбит/с"]


def test_refusals_come_from_the_verb(session, factory, ticket):
    op = factory.support()
    alice = factory.subscriber("bob@example.ru")
    session.commit()
    with pytest.raises(NotFound):
        sa.admin_ticket_page(op, ticket + 999)
    with pytest.raises(PermissionDenied):
        sa.admin_ticket_page(alice, ticket)
