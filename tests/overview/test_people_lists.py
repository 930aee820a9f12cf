"""The Subscribers and Support inbox lists (overview/people_lists.py) over the one list
machinery: filters, search, sorts, refusals, export."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from paysim_app.core import lookups
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.models import Subscriber, Ticket, TicketMessage
from paysim_app.overview import list_export
from paysim_app.overview.people_lists import SUBSCRIBER_LIST, TICKET_LIST, search_subscribers
from paysim_app.support import inbox as sa
from paysim_app.support import ticketing


def page(session, actor, spec, **kw):
    return fetch_page(session, actor, spec, ListQuery(**kw))


def ids(session, actor, spec, **kw):
    return [r["id"] for r in page(session, actor, spec, **kw).rows]


# -- subscribers ------------------------------------------------------------------------------
@pytest.fixture
def people(factory):
    s = factory.session
    dealer = factory.partner(name="Связь-Плюс")
    anna = factory.subscriber("anna@example.ru", full_name="Анна Смирнова")
    petr = factory.subscriber("+79031112233", full_name="Пётр Иванов")
    olga = factory.subscriber("olga@example.ru", full_name="Ольга Кузнецова")
    factory.sim(anna, balance_kop=15000)
    factory.sim(anna, balance_kop=-2000)
    factory.sim(petr)
    row = s.get(Subscriber, olga.subscriber_id)
    row.status, row.partner_id = "inactive", dealer.partner.id
    s.add(row)
    s.commit()
    return {
        "dealer": dealer,
        "anna": anna.subscriber_id,
        "petr": petr.subscriber_id,
        "olga": olga.subscriber_id,
        "admin": factory.superadmin(),
    }


def test_subscriber_rows_carry_sims_balance_and_partner(session, people):
    rows = {r["id"]: r for r in page(session, people["admin"], SUBSCRIBER_LIST).rows}
    anna = rows[people["anna"]]
    assert (anna["sim_count"], anna["balance_kop"], anna["full_name"]) == (
        2,
        13000,
        "Анна Смирнова",
    )
    assert rows[people["olga"]]["partner_name"] == "Связь-Плюс"
    assert rows[people["petr"]]["balance_kop"] == 0


def test_subscribers_filter_by_status_partner_and_period(session, people):
    admin = people["admin"]
    assert ids(session, admin, SUBSCRIBER_LIST, filters={"status": "inactive"}) == [people["olga"]]
    dealer_id = str(people["dealer"].partner.id)
    assert ids(session, admin, SUBSCRIBER_LIST, filters={"partner": dealer_id}) == [people["olga"]]
    assert people["olga"] not in ids(session, admin, SUBSCRIBER_LIST, filters={"partner": "none"})
    assert ids(session, admin, SUBSCRIBER_LIST, filters={"created_from": "2000-01-01"})
    assert ids(session, admin, SUBSCRIBER_LIST, filters={"created_to": "2000-01-01"}) == []


@pytest.mark.parametrize(
    "text,who",
    [
        ("смирнова", "anna"),
        ("АННА", "anna"),
        ("anna@example", "anna"),
        ("+7 903 111-22-33", "petr"),
        ("8 903 111 22 33", "petr"),
        ("1112233", "petr"),
    ],
)
def test_subscribers_search_by_name_email_and_phone(session, people, text, who):
    assert ids(session, people["admin"], SUBSCRIBER_LIST, search=text) == [people[who]]


def test_subscribers_search_by_contract_number(session, people):
    contract = session.get(Subscriber, people["petr"]).contract_no
    assert ids(session, people["admin"], SUBSCRIBER_LIST, search=contract) == [people["petr"]]
    assert ids(session, people["admin"], SUBSCRIBER_LIST, search=contract.lower()) == [
        people["petr"]
    ]


@pytest.mark.parametrize("text", ["speedtest", "Keenetic", "Д-12", "anna.s"])
def test_subscribers_search_for_latin_letters_looks_the_contracts_up_on_their_own(text):
    """On PostgreSQL a text with Latin letters finds the matching contracts first, by their
    own plan (= ANY(ARRAY(...))), not as a filter under the list's LIMIT, where the OR of its
    four indexed conditions was read as a scan of every contract (bench/README.md)."""
    stmt = search_subscribers(select(Subscriber.id), text)
    sql = str(stmt.compile(dialect=postgresql.dialect()))
    assert "subscriber.id = ANY(ARRAY((SELECT subscriber.id" in sql, sql


@pytest.mark.parametrize("cap", [1000, 1])
def test_subscribers_search_for_latin_letters_in_a_list_page(session, people, monkeypatch, cap):
    """A list page looks the contracts of a Latin text up once (core.lookups, inside
    fetch_page): carried as ids while few (cap 1000), past the cap (1) the condition itself
    (text_search.among_or_itself). Both find the same contracts."""
    monkeypatch.setattr(lookups, "LOOKUP_CAP", cap)
    admin = people["admin"]
    assert ids(session, admin, SUBSCRIBER_LIST, search="Smirnova") == [people["anna"]]
    assert ids(session, admin, SUBSCRIBER_LIST, search="Ivanov") == [people["petr"]]
    assert ids(session, admin, SUBSCRIBER_LIST, search="Zzyzxova") == []
    # "a": in more contracts than the cap of 1 (their e-mails): the condition itself, which
    # finds what the ids found alone (outside looked_up_once) do
    alone = sorted(session.execute(search_subscribers(select(Subscriber.id), "a")).scalars())
    assert {people["anna"], people["olga"]} <= set(alone)
    assert sorted(ids(session, admin, SUBSCRIBER_LIST, search="a")) == alone


@pytest.mark.parametrize("sort", ["balance", "sim_count", "full_name", "contract_no", "status"])
def test_subscribers_sort_by_every_declared_column(session, people, sort):
    rows = page(session, people["admin"], SUBSCRIBER_LIST, sort=sort, descending=True).rows
    assert len(rows) == 3
    if sort == "balance":
        assert rows[0]["id"] == people["anna"]
    if sort == "sim_count":
        assert rows[0]["id"] == people["anna"] and rows[-1]["id"] == people["olga"]


@pytest.mark.parametrize(
    "filters",
    [{"status": "gone"}, {"partner": "abc"}, {"created_from": "31.12.2026"}, {"x": "1"}],
)
def test_subscribers_bad_filter_is_refused(session, people, filters):
    with pytest.raises(ValidationError):
        page(session, people["admin"], SUBSCRIBER_LIST, filters=filters)


def test_only_staff_with_subscribers_view_may_list_subscribers(session, factory, people):
    assert len(page(session, factory.support(), SUBSCRIBER_LIST).rows) == 3
    for actor in (factory.partner().actor, factory.subscriber(), None):
        with pytest.raises(PermissionDenied):
            page(session, actor, SUBSCRIBER_LIST)


# -- support inbox -----------------------------------------------------------------------------
@pytest.fixture
def inbox(factory):
    s = factory.session
    alice = factory.subscriber("alice@example.ru", full_name="Алиса Смирнова")
    sim = factory.sim(alice)
    speed = ticketing.open_ticket(
        s, alice, "speed", "Медленный интернет", "Вечером 1 Мбит/с", sim.id
    )
    money = ticketing.open_ticket(s, alice, "payments", "Двойное списание", "Списали дважды")
    s.commit()
    dealer = factory.partner(name="Связь-Плюс")
    ticket = Ticket(
        author_user_id=dealer.user.id,
        partner_id=dealer.partner.id,
        category="sim",
        subject="Нет сим-карт на складе",
        priority="urgent",
    )
    s.add(ticket)
    s.flush()
    s.add(TicketMessage(ticket_id=ticket.id, author_user_id=dealer.user.id, body="Пришлите ещё"))
    s.commit()
    operator = factory.support()
    sa.assign_ticket(s, operator, speed, operator.user_id)
    sa.reply_to_ticket(s, operator, speed, "Перезагрузите модем")
    s.commit()
    return {
        "speed": speed,
        "money": money,
        "partner": ticket.id,
        "operator": operator,
        "admin": factory.superadmin(),
        "alice": alice,
        "dealer": dealer,
    }


def test_ticket_rows_show_customer_assignee_and_first_response(session, inbox):
    rows = {r["id"]: r for r in page(session, inbox["operator"], TICKET_LIST).rows}
    speed = rows[inbox["speed"]]
    assert speed["customer_name"] == "Алиса Смирнова" and speed["status"] == "waiting"
    assert speed["assignee_id"] == inbox["operator"].user_id
    assert speed["first_response_seconds"] is not None and speed["first_response_seconds"] >= 0
    assert rows[inbox["money"]]["first_response_seconds"] is None
    assert rows[inbox["partner"]]["customer_name"] == "Связь-Плюс"
    assert rows[inbox["partner"]]["author_type"] == "partner"


@pytest.mark.parametrize(
    "filters,expected",
    [
        ({"status": "waiting"}, ["speed"]),
        ({"status": "new"}, ["partner", "money"]),
        ({"status": "unresolved"}, ["partner", "money", "speed"]),
        ({"status": "closed"}, []),
        ({"category": "payments"}, ["money"]),
        ({"priority": "urgent"}, ["partner"]),
        ({"assignee": "none"}, ["partner", "money"]),
        ({"author_type": "partner"}, ["partner"]),
        ({"author_type": "subscriber"}, ["money", "speed"]),
        ({"created_from": "2000-01-01", "created_to": "2000-01-02"}, []),
    ],
)
def test_tickets_filter(session, inbox, filters, expected):
    got = ids(session, inbox["admin"], TICKET_LIST, filters=filters, sort="created_at")
    assert sorted(got) == sorted(inbox[k] for k in expected)


def test_tickets_filter_by_assignee(session, inbox):
    mine = {"assignee": str(inbox["operator"].user_id)}
    assert ids(session, inbox["admin"], TICKET_LIST, filters=mine) == [inbox["speed"]]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("медленный", ["speed"]),
        ("алиса", ["money", "speed"]),
        ("связь-плюс", ["partner"]),
        ("%", []),
    ],
)
def test_tickets_search_by_subject_and_customer(session, inbox, text, expected):
    got = ids(session, inbox["admin"], TICKET_LIST, search=text)
    assert sorted(got) == sorted(inbox[k] for k in expected)


@pytest.mark.parametrize("cap", [1000, 1])
def test_tickets_search_by_a_name_shared_with_contracts_without_tickets(
    session, factory, inbox, monkeypatch, cap
):
    """A name finds the tickets of every contract of that name: on PostgreSQL its contracts
    are looked up once for the page's count and rows (core.lookups, inside fetch_page) and
    carried as ids (cap 1000) or, past the cap (1), looked for among the contracts that have
    tickets (core.text_search.among_holders). A namesake without tickets changes nothing; the
    contract number finds its holder's tickets."""
    monkeypatch.setattr(lookups, "LOOKUP_CAP", cap)
    factory.subscriber("alice2@example.ru", full_name="Алиса Смирнова")  # no tickets
    other = factory.subscriber("alice3@example.ru", full_name="Алиса Кузнецова")
    third = ticketing.open_ticket(session, other, "other", "Вопрос", "Как сменить тариф?")
    session.commit()
    contract = session.get(Subscriber, other.subscriber_id).contract_no
    expected = {
        "Смирнова": [inbox["money"], inbox["speed"]],
        "Алиса": [inbox["money"], inbox["speed"], third],
        contract: [third],
    }
    for text, tickets in expected.items():
        got = ids(session, inbox["admin"], TICKET_LIST, search=text)
        assert sorted(got) == sorted(tickets), text


def test_tickets_search_by_number(session, inbox):
    for text in (f"#{inbox['money']}", str(inbox["money"]), f"# {inbox['money']}"):
        assert ids(session, inbox["admin"], TICKET_LIST, search=text) == [inbox["money"]]


@pytest.mark.parametrize(
    "sort", ["updated_at", "created_at", "priority", "status", "first_response"]
)
def test_tickets_sort_by_every_declared_column(session, inbox, sort):
    rows = page(session, inbox["admin"], TICKET_LIST, sort=sort, descending=True).rows
    assert len(rows) == 3
    if sort == "priority":
        assert rows[0]["id"] == inbox["partner"]


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "lost"},
        {"category": "nope"},
        {"priority": "asap"},
        {"assignee": "me"},
        {"author_type": "admin"},
        {"created_to": "yesterday"},
    ],
)
def test_tickets_bad_filter_is_refused(session, inbox, filters):
    with pytest.raises(ValidationError):
        page(session, inbox["admin"], TICKET_LIST, filters=filters)


def test_only_staff_with_support_view_may_list_tickets(session, factory, inbox):
    for actor in (inbox["dealer"].actor, inbox["alice"], None):
        with pytest.raises(PermissionDenied):
            page(session, actor, TICKET_LIST)
    # an admin role without the inbox
    from paysim_app.accounts import identity
    from paysim_app.models import AdminRole, AdminRolePermission, User

    role = AdminRole(name="Billing only")
    session.add(role)
    session.flush()
    session.add(AdminRolePermission(role_id=role.id, permission="payments.view"))
    session.commit()
    user = User(email="billing@example.ru", password_hash="x", role="admin", admin_role_id=role.id)
    session.add(user)
    session.commit()
    billing = identity.actor_for(session, user)
    with pytest.raises(PermissionDenied):
        page(session, billing, TICKET_LIST)
    with pytest.raises(PermissionDenied):
        page(session, billing, SUBSCRIBER_LIST)


def test_both_lists_export_as_csv(session, inbox, people):
    specs = list_export.lists()
    assert specs["subscribers"] is SUBSCRIBER_LIST and specs["tickets"] is TICKET_LIST
    csv = "".join(list_export.csv_chunks(session, inbox["admin"], TICKET_LIST, ListQuery(), "en"))
    assert csv.splitlines()[0].startswith("No.,Subject")
    assert "Связь-Плюс" in csv and "Urgent" in csv
    csv = "".join(
        list_export.csv_chunks(session, people["admin"], SUBSCRIBER_LIST, ListQuery(), "ru")
    )
    assert "Анна Смирнова" in csv and "130,00" in csv
    with pytest.raises(PermissionDenied):
        "".join(list_export.csv_chunks(session, None, TICKET_LIST, ListQuery(), "ru"))
