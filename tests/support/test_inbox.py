"""The admin support inbox: the full thread (internal notes flagged, never shown to the
customer), assigning, replying (first response once, waiting for the customer, notifications),
internal notes, status and priority changes, canned replies, the list's select, refusals for
customers and for roles without the right, and the audit rows of every action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.accounts.passwords import hash_password
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.models import (
    AdminRole,
    AdminRolePermission,
    AuditLog,
    CannedReply,
    Notification,
    OutboxEmail,
    Ticket,
    TicketMessage,
    User,
)
from paysim_app.support import inbox as sa
from paysim_app.support import ticketing


def _role_admin(session, name: str, *permissions: str, active: bool = True):
    role = AdminRole(name=name)
    session.add(role)
    session.flush()
    session.add_all(AdminRolePermission(role_id=role.id, permission=p) for p in permissions)
    user = User(
        email=f"{name.lower()}@example.ru",
        password_hash=hash_password("Secret-pass1"),
        role="admin",
        full_name=name,
        admin_role_id=role.id,
        is_active=active,
    )
    session.add(user)
    session.commit()
    return identity.actor_for(session, user)


@pytest.fixture
def world(factory):
    s = factory.session
    alice = factory.subscriber("alice@example.ru", full_name="Алиса Смирнова")
    sim = factory.sim(alice)
    tid = ticketing.open_ticket(s, alice, "speed", "Медленный интернет", "Вечером 1 Мбит/с", sim.id)
    s.commit()
    dealer = factory.partner(name="Связь-Плюс")
    ticket = Ticket(
        author_user_id=dealer.user.id,
        partner_id=dealer.partner.id,
        category="sim",
        subject="Нет сим-карт на складе",
    )
    s.add(ticket)
    s.flush()
    s.add(TicketMessage(ticket_id=ticket.id, author_user_id=dealer.user.id, body="Пришлите ещё"))
    s.commit()
    return {
        "alice": alice,
        "sim": sim,
        "tid": tid,
        "dealer": dealer,
        "ptid": ticket.id,
        "admin": factory.superadmin(),
        "support": factory.support(),
    }


def _ticket(session, tid) -> Ticket:
    session.expire_all()
    return session.get(Ticket, tid)


def _audit(session, action: str) -> list[AuditLog]:
    return session.exec(
        select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    ).all()


# -- reading -------------------------------------------------------------------------------------


def test_thread_shows_every_message_with_authors_customer_and_sim(session, world):
    op = world["support"]
    sa.reply_to_ticket(session, op, world["tid"], "Перезагрузите модем")
    sa.add_internal_note(session, op, world["tid"], "Похоже на перегрузку соты")
    session.commit()
    th = sa.admin_thread(session, op, world["tid"])
    assert (th.author_type, th.customer_name, th.msisdn) == (
        "subscriber",
        "Алиса Смирнова",
        world["sim"].msisdn,
    )
    assert th.contract_no.startswith("PS-") and th.subscriber_id == world["alice"].subscriber_id
    assert [(m.body, m.author_role, m.is_staff, m.is_internal) for m in th.messages] == [
        ("Вечером 1 Мбит/с", "subscriber", False, False),
        ("Перезагрузите модем", "admin", True, False),
        ("Похоже на перегрузку соты", "admin", True, True),
    ]
    assert th.messages[0].author_name == "Алиса Смирнова"
    assert th.messages[1].author_name == "Админ"
    assert th.first_response_seconds is not None and th.first_response_seconds >= 0
    assert th.rating is None


def test_a_partners_ticket_names_the_partner(session, world):
    th = sa.admin_thread(session, world["admin"], world["ptid"])
    assert (th.author_type, th.customer_name, th.contract_no, th.msisdn) == (
        "partner",
        "Связь-Плюс",
        "",
        "",
    )
    assert th.first_response_at is None and th.first_response_seconds is None
    assert [m.author_role for m in th.messages] == ["partner"]


def test_internal_notes_never_reach_the_customers_thread(session, world):
    op = world["support"]
    sa.add_internal_note(session, op, world["tid"], "Клиент звонил трижды")
    sa.reply_to_ticket(session, op, world["tid"], "Проверили базовую станцию")
    session.commit()
    thread = ticketing.ticket_thread(session, world["alice"], world["tid"])
    assert [m.body for m in thread.messages] == ["Вечером 1 Мбит/с", "Проверили базовую станцию"]
    assert not any("трижды" in m.body for m in thread.messages)
    assert len(sa.admin_thread(session, op, world["tid"]).messages) == 3
    # nor the notifications or e-mails: only the reply is announced
    texts = " ".join(n.body for n in session.exec(select(Notification)).all())
    texts += " ".join(m.body for m in session.exec(select(OutboxEmail)).all())
    assert "трижды" not in texts


def test_an_internal_note_changes_neither_status_nor_updated(session, world):
    before = _ticket(session, world["tid"])
    status, updated = before.status, before.updated_at
    mid = sa.add_internal_note(session, world["support"], world["tid"], "заметка")
    session.commit()
    after = _ticket(session, world["tid"])
    assert (after.status, after.updated_at, after.first_response_at) == (status, updated, None)
    assert session.get(TicketMessage, mid).is_internal
    assert [a.after for a in _audit(session, "ticket.note")] == [f'{{"message_id": {mid}}}']


def test_missing_ticket_is_not_found(session, world):
    for call in (
        lambda: sa.admin_thread(session, world["admin"], 9999),
        lambda: sa.reply_to_ticket(session, world["admin"], 9999, "x"),
        lambda: sa.change_ticket_status(session, world["admin"], "1", "open"),
    ):
        with pytest.raises(NotFound):
            call()


# -- refusals ------------------------------------------------------------------------------------


def test_customers_and_admins_without_the_right_are_refused_everything(session, factory, world):
    viewer = _role_admin(session, "Viewer", "support.view")
    sims_only = _role_admin(session, "Simmer", "sims.view", "sims.edit", "subscribers.edit")
    canned = CannedReply(title="Привет", body="Здравствуйте!")
    session.add(canned)
    session.commit()
    tid = world["tid"]
    writes = [
        lambda a: sa.assign_ticket(session, a, tid, None),
        lambda a: sa.reply_to_ticket(session, a, tid, "ответ"),
        lambda a: sa.add_internal_note(session, a, tid, "заметка"),
        lambda a: sa.change_ticket_status(session, a, tid, "resolved"),
        lambda a: sa.change_ticket_priority(session, a, tid, "high"),
        lambda a: sa.create_canned_reply(session, a, "Т", "Текст"),
        lambda a: sa.update_canned_reply(session, a, canned.id, "Т", "Текст"),
        lambda a: sa.archive_canned_reply(session, a, canned.id),
    ]
    reads = [
        lambda a: sa.admin_thread(session, a, tid),
        lambda a: sa.list_canned_replies(session, a),
        lambda a: sa.assignees(session, a),
        lambda a: sa.admin_attachment(session, a, 1),
    ]
    for actor in (world["alice"], world["dealer"].actor, sims_only, None):
        for call in writes + reads:
            with pytest.raises(PermissionDenied):
                call(actor)
    for call in writes:
        with pytest.raises(PermissionDenied):
            call(viewer)
    sa.admin_thread(session, viewer, tid)  # viewing is enough to read
    actions = session.exec(select(AuditLog.action).where(AuditLog.entity != "user")).all()
    assert actions == ["ticket.open"]
    assert _ticket(session, tid).status == "new"


# -- assigning -----------------------------------------------------------------------------------


def test_assign_only_to_an_active_admin_who_sees_the_inbox(session, factory, world):
    op, admin = world["support"], world["admin"]
    sa.assign_ticket(session, admin, world["tid"], op.user_id)
    session.commit()
    th = sa.admin_thread(session, admin, world["tid"])
    assert (th.assignee_user_id, th.assignee_name) == (op.user_id, "Админ")
    cashier = _role_admin(session, "Cashier", "payments.view")
    gone = _role_admin(session, "Gone", "support.view", active=False)
    for bad in (cashier.user_id, gone.user_id, world["alice"].user_id, 9999, "1"):
        with pytest.raises(ValidationError) as err:
            sa.assign_ticket(session, admin, world["tid"], bad)
        assert err.value.code == "admin_support.error.assignee"
    assert {a.user_id for a in sa.assignees(session, admin)} == {op.user_id, admin.user_id}
    sa.assign_ticket(session, admin, world["tid"], None)
    session.commit()
    assert _ticket(session, world["tid"]).assignee_user_id is None
    rows = _audit(session, "ticket.assign")
    assert [(r.before, r.after) for r in rows] == [
        ('{"assignee_user_id": null}', f'{{"assignee_user_id": {op.user_id}}}'),
        (f'{{"assignee_user_id": {op.user_id}}}', '{"assignee_user_id": null}'),
    ]


# -- replying ------------------------------------------------------------------------------------


def test_reply_sets_first_response_once_waits_for_the_customer_and_notifies(session, world):
    op = world["support"]
    sa.reply_to_ticket(session, op, world["tid"], "  Перезагрузите модем  ")
    session.commit()
    t1 = _ticket(session, world["tid"])
    assert t1.status == "waiting" and t1.first_response_at is not None
    first = t1.first_response_at
    assert session.exec(
        select(TicketMessage).where(TicketMessage.body == "Перезагрузите модем")
    ).one()
    # the customer answers: open again (support.ticketing); our second answer keeps the first time
    ticketing.reply(session, world["alice"], world["tid"], "Не помогло")
    session.commit()
    assert _ticket(session, world["tid"]).status == "open"
    sa.reply_to_ticket(session, op, world["tid"], "Завтра приедет инженер")
    session.commit()
    t2 = _ticket(session, world["tid"])
    assert (t2.status, t2.first_response_at) == ("waiting", first)
    notes = session.exec(
        select(Notification)
        .where(Notification.user_id == world["alice"].user_id)
        .order_by(Notification.id)
    ).all()
    assert [n.kind for n in notes] == ["ticket_reply", "ticket_reply"]
    assert notes[0].title == f"Ответ поддержки по обращению № {world['tid']}"
    assert "Медленный интернет" in notes[0].body
    mails = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "ticket_reply")).all()
    assert [m.to_address for m in mails] == ["alice@example.ru"] * 2
    audits = _audit(session, "ticket.reply")
    assert len(audits) == 2 and "first_response_at" in audits[0].after
    assert "first_response_at" not in audits[1].after
    assert audits[0].before == '{"status": "new"}' and audits[0].actor_user_id == op.user_id


def test_reply_with_a_chosen_status_and_resolve_invites_a_rating(session, world):
    op = world["support"]
    sa.reply_to_ticket(session, op, world["tid"], "Работаем", status="open")
    assert _ticket(session, world["tid"]).status == "open"
    sa.reply_to_ticket(session, op, world["tid"], "Починили", status="resolved")
    session.commit()
    assert _ticket(session, world["tid"]).status == "resolved"
    kinds = session.exec(select(Notification.kind).order_by(Notification.id)).all()
    assert kinds == ["ticket_reply", "ticket_resolved"]
    assert ticketing.ticket_thread(session, world["alice"], world["tid"]).can_rate
    # an answer to a resolved ticket keeps it resolved
    sa.reply_to_ticket(session, op, world["tid"], "PS: и сменили частоту")
    assert _ticket(session, world["tid"]).status == "resolved"


def test_reply_validation_and_a_closed_ticket(session, world):
    op, tid = world["support"], world["tid"]
    for bad in ("", "   ", "x" * 5001, None):
        with pytest.raises(ValidationError):
            sa.reply_to_ticket(session, op, tid, bad)
    for bad in ("new", "done", ""):
        with pytest.raises(ValidationError) as err:
            sa.reply_to_ticket(session, op, tid, "ok", status=bad)
        assert err.value.code == "admin_support.error.status"
    sa.change_ticket_status(session, op, tid, "closed")
    session.commit()
    with pytest.raises(DomainError) as err:
        sa.reply_to_ticket(session, op, tid, "Ещё")
    assert err.value.code == "admin_support.error.closed"
    with pytest.raises(DomainError):
        sa.reply_to_ticket(session, op, tid, "Ещё", status="closed")
    # reopening with the answer is allowed
    sa.reply_to_ticket(session, op, tid, "Открыли снова", status="waiting")
    session.commit()
    assert _ticket(session, tid).status == "waiting"
    assert len(_audit(session, "ticket.reply")) == 1


def test_a_partners_ticket_is_answered_to_the_partners_user(session, world):
    sa.reply_to_ticket(session, world["admin"], world["ptid"], "Отправим завтра")
    session.commit()
    note = session.exec(select(Notification)).one()
    assert note.user_id == world["dealer"].user.id and note.kind == "ticket_reply"
    mail = session.exec(select(OutboxEmail)).one()
    assert mail.to_address == world["dealer"].login


# -- status and priority ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["open", "waiting", "resolved", "closed"])
def test_status_changes_are_audited(session, world, target):
    op, tid = world["support"], world["tid"]
    sa.change_ticket_status(session, op, tid, target)
    session.commit()
    assert _ticket(session, tid).status == target
    (row,) = _audit(session, "ticket.status")
    assert (row.before, row.after) == ('{"status": "new"}', f'{{"status": "{target}"}}')
    kinds = session.exec(select(Notification.kind)).all()
    assert kinds == (["ticket_resolved"] if target == "resolved" else [])
    sa.change_ticket_status(session, op, tid, target)  # the same again: nothing happens
    session.commit()
    assert len(_audit(session, "ticket.status")) == 1


def test_status_and_priority_refuse_unknown_words(session, world):
    op, tid = world["support"], world["tid"]
    for bad in ("new", "deleted", None, 1):
        with pytest.raises(ValidationError):
            sa.change_ticket_status(session, op, tid, bad)
    for bad in ("critical", "", None):
        with pytest.raises(ValidationError):
            sa.change_ticket_priority(session, op, tid, bad)
    sa.change_ticket_priority(session, op, tid, "urgent")
    session.commit()
    assert _ticket(session, tid).priority == "urgent"
    (row,) = _audit(session, "ticket.priority")
    assert (row.before, row.after) == ('{"priority": "normal"}', '{"priority": "urgent"}')


def test_resolved_ticket_rated_by_the_customer_shows_in_the_inbox(session, world):
    sa.change_ticket_status(session, world["support"], world["tid"], "resolved")
    session.commit()
    ticketing.rate_ticket(session, world["alice"], world["tid"], 5, "Спасибо")
    session.commit()
    th = sa.admin_thread(session, world["support"], world["tid"])
    assert (th.rating, th.rating_comment) == (5, "Спасибо")
    # the customer writes again: the resolved ticket is open again
    ticketing.reply(session, world["alice"], world["tid"], "Опять плохо")
    session.commit()
    assert _ticket(session, world["tid"]).status == "open"


# -- canned replies --------------------------------------------------------------------------


def test_canned_replies_crud(session, world):
    op = world["support"]
    a = sa.create_canned_reply(session, op, "  Перезагрузка ", "Перезагрузите модем.", "ru")
    b = sa.create_canned_reply(session, op, "Reboot", "Please restart the modem.", "en")
    session.commit()
    assert [r.title for r in sa.list_canned_replies(session, op)] == ["Reboot", "Перезагрузка"]
    assert [r.id for r in sa.list_canned_replies(session, op, locale="en")] == [b]
    sa.update_canned_reply(session, op, a, "Перезагрузка модема", "Выключите модем на 10 с.")
    sa.archive_canned_reply(session, op, b)
    session.commit()
    shown = sa.list_canned_replies(session, op)
    assert [(r.id, r.title, r.body) for r in shown] == [
        (a, "Перезагрузка модема", "Выключите модем на 10 с.")
    ]
    assert {r.id for r in sa.list_canned_replies(session, op, include_archived=True)} == {a, b}
    sa.archive_canned_reply(session, op, b, archived=False)
    session.commit()
    assert len(sa.list_canned_replies(session, op)) == 2
    actions = session.exec(
        select(AuditLog.action).where(AuditLog.entity == "canned_reply").order_by(AuditLog.id)
    ).all()
    assert actions == [
        "canned_reply.create",
        "canned_reply.create",
        "canned_reply.update",
        "canned_reply.archive",
        "canned_reply.unarchive",
    ]


def test_canned_reply_validation(session, world):
    op = world["support"]
    for title, body, locale in (
        ("", "Текст", "ru"),
        ("x" * 121, "Текст", "ru"),
        ("Т", "  ", "ru"),
        ("Т", "x" * 5001, "ru"),
        ("Т", "Текст", "de"),
    ):
        with pytest.raises(ValidationError):
            sa.create_canned_reply(session, op, title, body, locale)
    with pytest.raises(NotFound):
        sa.update_canned_reply(session, op, 9999, "Т", "Текст")
    with pytest.raises(ValidationError):
        sa.list_canned_replies(session, op, locale="xx")
    assert session.exec(select(func.count()).select_from(CannedReply)).one() == 0


# -- the list ------------------------------------------------------------------------------------


def test_ticket_rows_select_has_the_list_columns(session, world):
    op = world["support"]
    sa.assign_ticket(session, world["admin"], world["ptid"], op.user_id)
    sa.reply_to_ticket(session, op, world["ptid"], "Отправим")
    # a known first response time: 90 minutes after creation
    t = session.get(Ticket, world["ptid"])
    t.first_response_at = t.created_at + timedelta(minutes=90)
    session.commit()
    rows = {r.id: r for r in session.execute(sa.ticket_rows_select()).all()}
    sub_row, partner_row = rows[world["tid"]], rows[world["ptid"]]
    assert sub_row._fields == (
        "id",
        "subject",
        "category",
        "status",
        "priority",
        "author_type",
        "customer_name",
        "contract_no",
        "subscriber_id",
        "partner_id",
        "msisdn",
        "assignee_id",
        "assignee_name",
        "created_at",
        "updated_at",
        "first_response_seconds",
        "rating",
    )
    assert (sub_row.author_type, sub_row.customer_name, sub_row.msisdn) == (
        "subscriber",
        "Алиса Смирнова",
        world["sim"].msisdn,
    )
    assert (sub_row.first_response_seconds, sub_row.assignee_name) == (None, None)
    assert (partner_row.author_type, partner_row.customer_name) == ("partner", "Связь-Плюс")
    assert (partner_row.assignee_id, partner_row.assignee_name) == (op.user_id, "Админ")
    assert partner_row.first_response_seconds == 5400 and partner_row.status == "waiting"
    # the generic list machinery filters and sorts on the labelled columns
    query = sa.ticket_rows_select()
    cols = query.selected_columns
    found = session.execute(
        query.where(cols.author_type == "partner").order_by(cols.first_response_seconds.desc())
    ).all()
    assert [r.id for r in found] == [world["ptid"]]
