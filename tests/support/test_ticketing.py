"""Support tickets from the cabinet: opening one and its validation, the own list with filters,
search and paging, the thread without staff notes, replies that reopen, closing, rating, and
another subscriber's tickets refused everywhere."""

from __future__ import annotations

import pytest
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.models import AuditLog, Ticket, TicketMessage, User
from paysim_app.support import ticketing


@pytest.fixture
def world(factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    sim = factory.sim(alice)
    bob_sim = factory.sim(bob)
    return {"alice": alice, "bob": bob, "sim": sim, "bob_sim": bob_sim}


def _open(
    session, actor, subject="Нет связи на даче", category="connection", body="Пропала", sim_id=None
) -> int:
    tid = ticketing.open_ticket(session, actor, category, subject, body, sim_id)
    session.commit()
    return tid


def _set_status(session, tid: int, status: str) -> None:
    ticket = session.get(Ticket, tid)
    ticket.status = status
    session.add(ticket)
    session.commit()


def _ticket(session, tid: int) -> Ticket:
    session.expire_all()
    return session.get(Ticket, tid)


# -- opening -------------------------------------------------------------------------------------


def test_open_ticket_with_a_sim_and_its_first_message(session, world):
    tid = _open(
        session,
        world["alice"],
        "  Медленный   интернет ",
        "speed",
        " Вечером 1 Мбит/с ",
        world["sim"].id,
    )
    t = _ticket(session, tid)
    assert (t.status, t.category, t.subject, t.sim_id) == (
        "new",
        "speed",
        "Медленный интернет",
        world["sim"].id,
    )
    assert t.subscriber_id == world["alice"].subscriber_id
    msgs = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == tid)).all()
    assert [m.body for m in msgs] == ["Вечером 1 Мбит/с"]
    assert session.exec(select(AuditLog).where(AuditLog.action == "ticket.open")).first()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "ab"}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"body": ""}, "body"),
        ({"body": "  \n "}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"category": "fraud"}, "category"),
        ({"category": None}, "category"),
    ],
)
def test_open_ticket_refuses_bad_input_and_saves_nothing(session, world, kwargs, field):
    args = {"category": "other", "subject": "Вопрос", "body": "Текст", **kwargs}
    with pytest.raises(ValidationError) as err:
        ticketing.open_ticket(
            session, world["alice"], args["category"], args["subject"], args["body"]
        )
    assert err.value.field == field
    session.rollback()
    assert session.exec(select(Ticket)).first() is None


def test_open_ticket_limits_are_inclusive(session, world):
    _open(session, world["alice"], subject="abc", body="x")
    _open(session, world["alice"], subject="x" * 200, body="y" * 5000)
    assert len(session.exec(select(Ticket)).all()) == 2


def test_open_ticket_about_someone_elses_or_a_missing_sim_is_refused(session, world):
    for sim_id in (world["bob_sim"].id, 999_999):
        with pytest.raises(ValidationError) as err:
            ticketing.open_ticket(session, world["alice"], "sim", "Чужая сим", "текст", sim_id)
        assert err.value.field == "sim"
    session.rollback()
    assert session.exec(select(Ticket)).first() is None


def test_only_a_subscriber_opens_tickets_here(session, factory, world):
    with pytest.raises(PermissionDenied):
        ticketing.open_ticket(session, factory.superadmin(), "other", "Вопрос", "Текст")
    with pytest.raises(PermissionDenied):
        ticketing.open_ticket(session, None, "other", "Вопрос", "Текст")


# -- listing -------------------------------------------------------------------------------------


def test_list_shows_only_the_own_tickets_newest_first(session, world):
    a1 = _open(session, world["alice"], "Первое обращение")
    a2 = _open(session, world["alice"], "Второе обращение", sim_id=world["sim"].id)
    _open(session, world["bob"], "Обращение Боба")
    page = ticketing.list_tickets(session, world["alice"])
    assert [r.id for r in page.rows] == [a2, a1]
    assert page.total == 2 and page.pages == 1
    assert page.rows[0].msisdn == world["sim"].msisdn and page.rows[1].msisdn == ""
    assert [r.subject for r in ticketing.list_tickets(session, world["bob"]).rows] == [
        "Обращение Боба"
    ]


def test_list_filters_by_status_category_and_subject(session, world):
    speed = _open(session, world["alice"], "Медленный интернет", "speed")
    pay = _open(session, world["alice"], "Не прошёл платёж", "payments")
    _open(session, world["alice"], "Speed test fails", "speed")
    _set_status(session, pay, "resolved")
    alice = world["alice"]
    assert [r.id for r in ticketing.list_tickets(session, alice, status="resolved").rows] == [pay]
    assert {r.category for r in ticketing.list_tickets(session, alice, category="speed").rows} == {
        "speed"
    }
    assert [r.id for r in ticketing.list_tickets(session, alice, search="медленный").rows] == [
        speed
    ]
    assert [r.id for r in ticketing.list_tickets(session, alice, search="Медленный").rows] == [
        speed
    ]
    assert len(ticketing.list_tickets(session, alice, search="SPEED").rows) == 1
    assert ticketing.list_tickets(session, alice, search="100%").total == 0
    assert ticketing.list_tickets(session, alice, category="speed", status="resolved").total == 0
    with pytest.raises(ValidationError):
        ticketing.list_tickets(session, alice, status="bogus")
    with pytest.raises(ValidationError):
        ticketing.list_tickets(session, alice, category="bogus")


def test_list_pages_in_sql(session, world):
    for i in range(5):
        _open(session, world["alice"], f"Вопрос {i}")
    first = ticketing.list_tickets(session, world["alice"], page_size=2)
    assert (len(first.rows), first.total, first.pages, first.page) == (2, 5, 3, 1)
    last = ticketing.list_tickets(session, world["alice"], page=99, page_size=2)
    assert (len(last.rows), last.page) == (1, 3)
    seen = {
        r.id
        for p in (1, 2, 3)
        for r in ticketing.list_tickets(session, world["alice"], page=p, page_size=2).rows
    }
    assert len(seen) == 5


# -- thread, reply, close, rate --------------------------------------------------------------


def test_thread_hides_staff_notes_and_marks_who_wrote(session, factory, world):
    tid = _open(session, world["alice"])
    staff = factory.support()
    session.add(TicketMessage(ticket_id=tid, author_user_id=staff.user_id, body="Ответ"))
    session.add(
        TicketMessage(ticket_id=tid, author_user_id=staff.user_id, body="секрет", is_internal=True)
    )
    session.commit()
    thread = ticketing.ticket_thread(session, world["alice"], tid)
    assert [(m.body, m.mine) for m in thread.messages] == [("Пропала", True), ("Ответ", False)]
    assert thread.can_reply and thread.can_close and not thread.can_rate


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("new", "new"),
        ("open", "open"),
        ("waiting", "open"),
        ("resolved", "open"),
    ],
)
def test_reply_reopens_a_waiting_or_resolved_ticket(session, world, before, after):
    tid = _open(session, world["alice"])
    _set_status(session, tid, before)
    ticketing.reply(session, world["alice"], tid, "Всё ещё не работает")
    session.commit()
    assert _ticket(session, tid).status == after
    assert len(ticketing.ticket_thread(session, world["alice"], tid).messages) == 2


def test_reply_validates_and_a_closed_ticket_takes_no_reply(session, world):
    tid = _open(session, world["alice"])
    with pytest.raises(ValidationError):
        ticketing.reply(session, world["alice"], tid, " ")
    with pytest.raises(ValidationError):
        ticketing.reply(session, world["alice"], tid, "x" * 5001)
    ticketing.close_ticket(session, world["alice"], tid)
    session.commit()
    assert _ticket(session, tid).status == "closed"
    with pytest.raises(DomainError, match="support.error.closed"):
        ticketing.reply(session, world["alice"], tid, "ещё")
    with pytest.raises(DomainError, match="support.error.closed"):
        ticketing.close_ticket(session, world["alice"], tid)
    thread = ticketing.ticket_thread(session, world["alice"], tid)
    assert not thread.can_reply and not thread.can_close and len(thread.messages) == 1


def test_rate_only_a_resolved_ticket_once(session, world):
    tid = _open(session, world["alice"])
    with pytest.raises(DomainError, match="support.error.not_resolved"):
        ticketing.rate_ticket(session, world["alice"], tid, 5)
    _set_status(session, tid, "resolved")
    assert ticketing.ticket_thread(session, world["alice"], tid).can_rate
    for bad in (0, 6, "5", True, None):
        with pytest.raises(ValidationError):
            ticketing.rate_ticket(session, world["alice"], tid, bad)
    with pytest.raises(ValidationError):
        ticketing.rate_ticket(session, world["alice"], tid, 4, "x" * 1001)
    ticketing.rate_ticket(session, world["alice"], tid, 4, " Помогли быстро ")
    session.commit()
    t = _ticket(session, tid)
    assert (t.rating, t.rating_comment, t.status) == (4, "Помогли быстро", "resolved")
    with pytest.raises(DomainError, match="support.error.rated"):
        ticketing.rate_ticket(session, world["alice"], tid, 5)
    assert not ticketing.ticket_thread(session, world["alice"], tid).can_rate


def test_someone_elses_ticket_is_refused_everywhere(session, factory, world):
    tid = _open(session, world["bob"])
    _set_status(session, tid, "resolved")
    alice = world["alice"]
    for call in (
        lambda: ticketing.ticket_thread(session, alice, tid),
        lambda: ticketing.reply(session, alice, tid, "hi"),
        lambda: ticketing.close_ticket(session, alice, tid),
        lambda: ticketing.rate_ticket(session, alice, tid, 1),
        lambda: ticketing.ticket_thread(session, alice, 999_999),
        lambda: ticketing.ticket_thread(session, alice, "1"),
        lambda: ticketing.ticket_thread(session, factory.superadmin(), tid),
    ):
        with pytest.raises(PermissionDenied):
            call()
    session.rollback()
    t = _ticket(session, tid)
    assert (t.status, t.rating) == ("resolved", None)
    assert len(session.exec(select(TicketMessage)).all()) == 1


# -- a partner's tickets -------------------------------------------------------------------------


def test_a_partner_opens_lists_reads_answers_and_closes_its_own_tickets(session, factory, world):
    dealer, other = factory.partner(), factory.partner()
    colleague = factory.partner()  # another user of the same partner, made below
    user = session.get(User, colleague.user.id)
    user.partner_id = dealer.partner.id
    session.add(user)
    session.commit()
    colleague_actor = identity.actor_for(session, user)
    sim = factory.sim(world["alice"], partner=dealer)
    tid = _open(session, dealer.actor, "Не проходит активация", "sim", "Текст", sim_id=sim.id)
    ticket = _ticket(session, tid)
    assert (ticket.partner_id, ticket.subscriber_id, ticket.sim_id) == (
        dealer.partner.id,
        None,
        sim.id,
    )
    _open(session, other.actor, "Вопрос другого дилера")
    _open(session, world["alice"], "Вопрос абонента дилера")
    mine = ticketing.list_tickets(session, dealer.actor)
    assert [r.id for r in mine.rows] == [tid] and mine.rows[0].msisdn == sim.msisdn
    assert [r.id for r in ticketing.list_tickets(session, colleague_actor).rows] == [tid]
    assert [r.subject for r in ticketing.list_tickets(session, other.actor).rows] == [
        "Вопрос другого дилера"
    ]
    # the subscriber does not see the partner's ticket, even about its own SIM
    assert tid not in [r.id for r in ticketing.list_tickets(session, world["alice"]).rows]
    ticketing.reply(session, colleague_actor, tid, "Дополнение")
    session.commit()
    thread = ticketing.ticket_thread(session, dealer.actor, tid)
    assert [m.mine for m in thread.messages] == [True, True]
    ticketing.close_ticket(session, dealer.actor, tid)
    session.commit()
    assert _ticket(session, tid).status == "closed"
    assert session.exec(
        select(AuditLog).where(AuditLog.action == "ticket.close", AuditLog.entity_id == str(tid))
    ).one()


def test_a_partner_cannot_touch_another_partners_or_a_subscribers_ticket(session, factory, world):
    dealer, other = factory.partner(), factory.partner()
    theirs = _open(session, other.actor, "Чужой вопрос")
    subscribers = _open(session, world["alice"], "Вопрос абонента")
    for tid in (theirs, subscribers, 999_999):
        for call in (
            lambda tid=tid: ticketing.ticket_thread(session, dealer.actor, tid),
            lambda tid=tid: ticketing.reply(session, dealer.actor, tid, "hi"),
            lambda tid=tid: ticketing.close_ticket(session, dealer.actor, tid),
        ):
            with pytest.raises(PermissionDenied):
                call()
    # nor can a subscriber read a partner's ticket
    with pytest.raises(PermissionDenied):
        ticketing.ticket_thread(session, world["alice"], theirs)
    # a partner's ticket about another partner's SIM is refused as a field error
    with pytest.raises(ValidationError) as err:
        ticketing.open_ticket(
            session, dealer.actor, "sim", "Чужая сим", "текст", factory.sim(partner=other).id
        )
    assert err.value.field == "sim"
    session.rollback()
    assert len(session.exec(select(TicketMessage)).all()) == 2


# -- a low rating goes to support -----------------------------------------------------------------


def test_a_low_rating_goes_with_a_new_ticket_once_and_only_the_owners(session, world):
    from paysim_app.models import QualityRating
    from paysim_app.support import quality

    alice, bob = world["alice"], world["bob"]
    rid = quality.rate(session, alice, world["sim"].id, "speed", 2, "вечером 1 Мбит/с")
    session.commit()
    report = quality.rating_to_report(session, alice, rid)
    assert (report.sim_id, quality.TICKET_CATEGORY[report.aspect]) == (world["sim"].id, "speed")
    with pytest.raises(PermissionDenied):  # someone else's rating
        ticketing.open_ticket(session, bob, "speed", "Медленно", "Очень медленно", rating_id=rid)
    session.rollback()
    tid = ticketing.open_ticket(
        session, alice, "speed", "Медленно", "Очень медленно", rating_id=rid
    )
    session.commit()
    session.expire_all()
    assert session.get(QualityRating, rid).ticket_id == tid
    ticket = session.get(Ticket, tid)
    assert ticket.sim_id == world["sim"].id  # the rated SIM, though the form named none
    thread = ticketing.ticket_thread(session, alice, tid)
    assert "★★☆☆☆" in thread.messages[0].body and "вечером 1 Мбит/с" in thread.messages[0].body
    with pytest.raises(PermissionDenied):  # a rating goes with one ticket only
        ticketing.open_ticket(session, alice, "speed", "Ещё раз", "Снова медленно", rating_id=rid)


def test_a_speed_test_goes_with_a_new_ticket_once_and_only_the_owners(session, world):
    from paysim_app.models import SpeedTest
    from paysim_app.support import quality

    alice, bob = world["alice"], world["bob"]
    figures = quality.SpeedFigures(
        ping_ms=41.6, jitter_ms=7.2, download_mbps=1.234, upload_mbps=0.5
    )
    test_id = quality.record_speed_test(session, alice, world["sim"].id, figures, "Firefox")
    session.commit()
    report = quality.speed_test_to_report(session, alice, test_id)
    assert (report.sim_id, report.download_kbps, report.ping_ms) == (world["sim"].id, 1234, 42)
    with pytest.raises(PermissionDenied):  # someone else's result
        quality.speed_test_to_report(session, bob, test_id)
    with pytest.raises(PermissionDenied):
        ticketing.open_ticket(
            session, bob, "speed", "Медленно", "Очень медленно", speed_test_id=test_id
        )
    session.rollback()
    tid = ticketing.open_ticket(
        session, alice, "speed", "Медленно", "Очень медленно", speed_test_id=test_id
    )
    session.commit()
    session.expire_all()
    assert session.get(SpeedTest, test_id).ticket_id == tid
    assert session.get(Ticket, tid).sim_id == world["sim"].id  # the measured SIM
    body = ticketing.ticket_thread(session, alice, tid).messages[0].body
    assert "пинг 42 мс" in body and "загрузка 1,23 Мбит/с" in body and "отдача 0,50 Мбит/с" in body
    with pytest.raises(PermissionDenied):  # a result goes with one ticket only
        ticketing.open_ticket(session, alice, "speed", "Ещё раз", "Снова", speed_test_id=test_id)
    session.rollback()
    with pytest.raises(PermissionDenied):  # and a forged id is refused the same way
        ticketing.open_ticket(session, alice, "speed", "Ещё раз", "Снова", speed_test_id="1")
