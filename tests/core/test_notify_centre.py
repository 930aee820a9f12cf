"""The notification centre: each user's own list (paged in SQL, filters by kind, SIM, read),
marking read without trusting ids from the browser, the unread count, and who is told what:
partners of their activation decisions and (if they opt in) low balances, admins of new items
in the queues their role may work, everyone of a changed password or a new card."""

from __future__ import annotations

import pytest

from paysim_app.accounts import admins
from paysim_app.core import notify
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.partners import cabinet
from paysim_app.sims import activations
from paysim_app.support import ticketing
from tests.money_helpers import emails, notifications

LIST = notify.NOTIFICATION_LIST


def _note(session, user_id, kind="ticket_reply", sim_id=None, n=1):
    for i in range(n):
        notify.notify_user(
            session, user_id, kind, {"id": i, "subject": "s", "msisdn": "x"}, sim_id=sim_id
        )
    session.commit()


def test_the_list_is_the_actors_own_filtered_and_paged(session, factory):
    alice, bob = factory.subscriber(), factory.subscriber()
    sim_a, sim_b = factory.sim(alice), factory.sim(alice)
    _note(session, alice.user_id, n=30)
    notify.notify_sim_owners(
        session, [(sim_a.id, "sim_restored", {}), (sim_b.id, "sim_restored", {})]
    )
    _note(session, bob.user_id, n=3)
    first = fetch_page(session, alice, LIST, ListQuery(page_size=25))
    assert first.total == 32 and len(first.rows) == 25 and first.has_next
    ids = {r["id"] for r in first.rows}
    assert not ids & {n.id for n in notifications(session, bob)}
    by_kind = fetch_page(session, alice, LIST, ListQuery(filters={"kind": "sim_restored"}))
    assert by_kind.total == 2
    found = fetch_page(session, alice, LIST, ListQuery(search="снова работает"))
    assert found.total == 2  # the two sim_restored ones, found by their title
    assert fetch_page(session, bob, LIST, ListQuery(search="снова работает")).total == 0
    by_sim = fetch_page(session, alice, LIST, ListQuery(filters={"sim": str(sim_b.id)}))
    assert [r["sim_id"] for r in by_sim.rows] == [sim_b.id]
    # a SIM of somebody else finds nothing of theirs
    other_sim = factory.sim(bob)
    notify.notify_sim_owners(session, [(other_sim.id, "sim_restored", {})])
    session.commit()
    assert (
        fetch_page(session, alice, LIST, ListQuery(filters={"sim": str(other_sim.id)})).total == 0
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"kind": "no_such_kind"},
        {"kind": "x" * 5000},
        {"sim": "1 OR 1=1"},
        {"sim": "-1"},
        {"state": "maybe"},
        {"user_id": "1"},  # not a filter of this list
    ],
)
def test_hostile_filters_are_refused(session, factory, filters):
    sub = factory.subscriber()
    with pytest.raises(ValidationError):
        fetch_page(session, sub, LIST, ListQuery(filters=filters))


def test_nobody_signed_in_gets_nothing(session):
    with pytest.raises(PermissionDenied):
        fetch_page(session, None, LIST, ListQuery())
    for verb in (notify.count_unread, notify.mark_everything_read, notify.notification_sims):
        with pytest.raises(PermissionDenied):
            verb(session, None)
    with pytest.raises(PermissionDenied):
        notify.mark_read(session, None, [1])


def test_marking_read_touches_only_the_actors_own(session, factory):
    alice, bob = factory.subscriber(), factory.subscriber()
    _note(session, alice.user_id, n=2)
    _note(session, bob.user_id, n=2)
    mine = [n.id for n in notifications(session, alice)]
    theirs = [n.id for n in notifications(session, bob)]
    assert notify.count_unread(session, alice) == 2
    # bob's ids sent as alice's change nothing
    assert notify.mark_read(session, alice, theirs) == 0
    assert notify.mark_read(session, alice, [str(mine[0]), theirs[0]]) == 1
    session.commit()
    assert notify.count_unread(session, alice) == 1
    assert notify.count_unread(session, bob) == 2
    # once read, marking again counts nothing
    assert notify.mark_read(session, alice, [mine[0]]) == 0
    notify.mark_everything_read(session, alice)
    session.commit()
    assert notify.count_unread(session, alice) == 0 and notify.count_unread(session, bob) == 2


@pytest.mark.parametrize(
    "ids",
    [
        None,
        "1",
        5,
        {"id": 1},
        [True],
        [1.5],
        ["1; DROP TABLE notification"],
        ["9" * 13],
        [None],
        list(range(notify.MARK_MAX + 1)),
    ],
)
def test_mark_read_refuses_hostile_ids(session, factory, ids):
    sub = factory.subscriber()
    _note(session, sub.user_id)
    with pytest.raises(ValidationError):
        notify.mark_read(session, sub, ids)
    session.rollback()
    assert notify.count_unread(session, sub) == 1


def test_the_sim_choices_are_the_subscribers_own(session, factory):
    alice, bob = factory.subscriber(), factory.subscriber()
    mine = factory.sim(alice)
    factory.sim(bob)
    assert [s.id for s in notify.notification_sims(session, alice)] == [mine.id]
    assert notify.notification_sims(session, factory.superadmin()) == []


def test_a_new_ticket_reaches_the_admins_who_work_support_only(session, factory):
    support, boss = factory.support(), factory.superadmin()
    sales = factory.admin_user(ROLE_SUPPORT)  # support too
    sub = factory.subscriber()
    tid = ticketing.open_ticket(session, sub, "speed", "Медленно", "Вечером 1 Мбит/с")
    session.commit()
    for admin in (support, boss):
        notes = notifications(session, admin, "ticket_new")
        assert len(notes) == 1 and f"{tid}" in notes[0].title
    assert len(notifications(session, sales.id, "ticket_new")) == 1
    assert notifications(session, sub, "ticket_new") == []
    # a role that may only look at the inbox, or works other queues, is not told
    for name, perms in (("Читатель", ("support.view",)), ("SIM", ("sims.view", "sims.edit"))):
        admins.create_role(session, boss, name, permissions=perms)
        session.commit()
        onlooker = factory.admin_user(name)
        tid = ticketing.open_ticket(session, sub, "speed", "Снова медленно", "Днём тоже")
        session.commit()
        assert notifications(session, onlooker.id) == []
        assert len(notifications(session, support, "ticket_new")) >= 2


def test_a_partners_activation_decision_reaches_its_users_not_a_rivals(session, factory):
    mine, rival = factory.partner(), factory.partner()
    tariff = factory.tariff()
    admin = factory.superadmin()
    stock = [factory.sim(partner=mine, status="in_stock") for _ in range(2)]
    form = cabinet.SaleForm(
        "Пётр Новиков",
        "+79161112233",
        "petr@example.ru",
        "4510 123456",
        str(tariff.id),
        consent=True,
    )
    first = cabinet.sell_sim(session, mine.actor, stock[0].id, form)
    form2 = cabinet.SaleForm(
        "Анна Лис", "+79161112244", "anna@example.ru", "4510 654321", str(tariff.id), consent=True
    )
    second = cabinet.sell_sim(session, mine.actor, stock[1].id, form2)
    session.commit()
    # the new requests wait in the queue: the admins who may decide them are told
    assert len(notifications(session, admin, "activation_new")) == 2
    activations.approve_activation(session, admin, first.request_id)
    activations.reject_activation(session, admin, second.request_id, "Паспорт не читается")
    session.commit()
    approved = notifications(session, mine.user.id, "partner_activation_approved")
    rejected = notifications(session, mine.user.id, "partner_activation_rejected")
    assert len(approved) == 1 and len(rejected) == 1
    assert "Паспорт не читается" in rejected[0].body
    # told once, under the partner's kind (not the subscriber's activation_rejected too)
    assert notifications(session, mine.user.id, "activation_rejected") == []
    assert notifications(session, rival.user.id) == []


def test_partner_low_balance_only_for_those_who_opted_in(session, factory):
    dealer, quiet = factory.partner(), factory.partner()
    sub = factory.subscriber()
    sims = [factory.sim(sub, partner=dealer, balance_kop=100), factory.sim(sub, partner=quiet)]
    assert notify.set_channel(session, dealer.actor, "partner_low_balance", "app") == "app"
    session.commit()
    assert notify.notify_partners_low_balance(session, [s.id for s in sims]) == 1
    session.commit()
    assert len(notifications(session, dealer.user.id, "partner_low_balance")) == 1
    assert notifications(session, quiet.user.id) == []
    # the same day again: told once
    assert notify.notify_partners_low_balance(session, [sims[0].id]) == 0
    # a partner may switch it off again; "off" exists only for opt-in kinds
    assert notify.set_channel(session, dealer.actor, "partner_low_balance", "off") == "off"


def test_password_change_and_new_card_are_security_notices(session, factory):
    from paysim_app.accounts import identity
    from tests.conftest import PASSWORD

    sub = factory.subscriber()
    notify.set_channel(session, sub, "ticket_reply", "app")  # another kind, for contrast
    session.commit()
    identity.change_password(session, sub, PASSWORD, "Another-Pass-2026!")
    session.commit()
    assert len(notifications(session, sub, "password_changed")) == 1
    assert len(emails(session, to=sub.login, kind="password_changed")) == 1
    factory.card(sub)
    notes = notifications(session, sub, "card_added")
    assert len(notes) == 1 and "4242" in notes[0].title
    assert len(emails(session, to=sub.login, kind="card_added")) == 1


def test_preferences_show_what_the_account_can_use(session, factory):
    sub = factory.subscriber()
    rows = {r.kind: r for r in notify.get_preferences(session, sub)}
    assert rows["password_changed"].locked and rows["password_changed"].channel == "email"
    assert "sms" not in rows["low_balance"].channels  # no verified phone
    assert "ticket_new" not in rows  # an admin's kind
    partner = factory.partner()
    prow = {r.kind: r for r in notify.get_preferences(session, partner.actor)}
    assert prow["partner_low_balance"].channel == "off"
    assert "off" in prow["partner_low_balance"].channels
    admin_rows = {r.kind for r in notify.get_preferences(session, factory.superadmin())}
    assert {"ticket_new", "message_failed", "new_sign_in"} <= admin_rows
    assert "card_added" not in admin_rows


def test_an_admins_badge_counts_what_still_waits(session, factory):
    """Another admin decided the request, an operator answered the ticket, the failed message
    went back to the queue: those notices count as read; what still waits is counted."""
    from paysim_app.core import outbox
    from paysim_app.messaging import delivery
    from paysim_app.messaging.base import PermanentFailure
    from paysim_app.support import inbox

    class Refusing:
        def send(self, message) -> list[str]:
            raise PermanentFailure("invalid destination")

    boss, other = factory.superadmin(), factory.superadmin()
    dealer, tariff, sub = factory.partner(), factory.tariff(), factory.subscriber()
    stock = [factory.sim(partner=dealer, status="in_stock") for _ in range(2)]
    requests = [
        cabinet.sell_sim(
            session,
            dealer.actor,
            sim.id,
            cabinet.SaleForm(
                f"Клиент {n}",
                f"+7916111224{n}",
                f"c{n}@example.ru",
                "4510 123456",
                str(tariff.id),
                consent=True,
            ),
        ).request_id
        for n, sim in enumerate(stock)
    ]
    tickets = [
        ticketing.open_ticket(session, sub, "speed", f"Медленно {n}", "Вечером") for n in (1, 2)
    ]
    sms = outbox.queue_sms(session, "+70000000000", "Текст", "sms_code")
    session.commit()
    delivery.deliver_due(sms_sender=Refusing())
    session.expire_all()
    assert notify.count_unread(session, boss) == 5  # 2 requests, 2 tickets, 1 failed message
    # someone else deals with one of each
    activations.approve_activation(session, other, requests[0])
    inbox.reply_to_ticket(session, other, tickets[0], "Проверили, исправлено")
    outbox.retry_messages(session, other, [sms.id])
    session.commit()
    assert notify.count_unread(session, boss) == 2
    session.commit()
    unread = {n.kind for n in notifications(session, boss) if n.read_at is None}
    assert unread == {"activation_new", "ticket_new"}
    # the list shows the same: the settled ones are read
    page = fetch_page(session, boss, LIST, ListQuery(filters={"state": "unread"}))
    assert page.total == 2
    # a subscriber's or a partner's notices are never settled this way
    assert notify.settle_handled(session, sub) == 0
    assert notify.settle_handled(session, dealer.actor) == 0
    # the other admin, who acted, has the same count
    assert notify.count_unread(session, other) == 2
