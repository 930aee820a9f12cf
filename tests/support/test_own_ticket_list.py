"""The customer's own tickets as a list of the shared machinery (ticketing.OWN_TICKET_LIST):
filters, the search (subject, message text, number; never support's internal notes), the
advanced search's operators per column type, and nothing of another contract's or dealer's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import Condition, ListQuery, fetch_page
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import Ticket
from paysim_app.models.base import utcnow
from paysim_app.support import inbox, ticketing

SPEC = ticketing.OWN_TICKET_LIST


@pytest.fixture
def desk(session, factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    dealer = factory.partner("Связь-Плюс")
    alice_sim = factory.sim(alice)
    bob_sim = factory.sim(bob)
    staff = factory.superadmin()
    slow = ticketing.open_ticket(
        session, alice, "speed", "Медленно вечером", "1 Мбит/с", alice_sim.id
    )
    pay = ticketing.open_ticket(session, alice, "payments", "Двойное списание", "Списали дважды")
    theirs = ticketing.open_ticket(
        session, bob, "payments", "Bob's secret subject", "Bob's secret body", bob_sim.id
    )
    shop = ticketing.open_ticket(session, dealer.actor, "other", "Договор дилера", "Акт сверки")
    inbox.add_internal_note(session, staff, pay, "служебная заметка: кэшбэк")
    session.get(Ticket, slow).status = "resolved"
    session.get(Ticket, slow).rating = 4
    session.commit()
    return {
        "alice": alice,
        "bob": bob,
        "dealer": dealer,
        "slow": slow,
        "pay": pay,
        "theirs": theirs,
        "shop": shop,
        "alice_sim": alice_sim,
        "bob_sim": bob_sim,
        "staff": staff,
    }


def ids(session, actor, **kw) -> set[int]:
    conditions = tuple(Condition(*c) for c in kw.pop("conditions", ()))
    query = ListQuery(page_size=100, conditions=conditions, **kw)
    return {r["id"] for r in fetch_page(session, actor, SPEC, query).rows}


def test_each_customer_lists_its_own_tickets_only(session, desk):
    assert ids(session, desk["alice"]) == {desk["slow"], desk["pay"]}
    assert ids(session, desk["bob"]) == {desk["theirs"]}
    assert ids(session, desk["dealer"].actor) == {desk["shop"]}
    with pytest.raises(PermissionDenied):
        fetch_page(session, desk["staff"], SPEC, ListQuery())
    with pytest.raises(PermissionDenied):
        fetch_page(session, None, SPEC, ListQuery())


def test_another_owners_ticket_never_shows(session, desk):
    alice, theirs = desk["alice"], desk["theirs"]
    assert ids(session, alice, search=f"#{theirs}") == set()
    assert ids(session, alice, search="secret") == set()
    assert ids(session, alice, conditions=[("msisdn", "eq", desk["bob_sim"].msisdn)]) == set()
    assert ids(session, alice, conditions=[("subject", "contains", "Bob")]) == set()
    assert ids(session, desk["dealer"].actor, search="Медленно") == set()


def test_filters_and_search(session, desk):
    alice, slow, pay = desk["alice"], desk["slow"], desk["pay"]
    assert ids(session, alice, filters={"status": "resolved"}) == {slow}
    assert ids(session, alice, filters={"category": "payments"}) == {pay}
    assert ids(session, alice, search="медленно") == {slow}  # the subject, any letter case
    assert ids(session, alice, search="дважды") == {pay}  # a message's text
    assert ids(session, alice, search="кэшбэк") == set()  # never support's internal notes
    assert ids(session, alice, search=str(pay)) == {pay}
    assert ids(session, alice, search="100%_") == set()
    for bad in ({"status": "lost"}, {"category": "x"}, {"owner": "1"}):
        with pytest.raises(ValidationError):
            fetch_page(session, alice, SPEC, ListQuery(filters=bad))


def test_advanced_search_operators_per_column_type(session, desk):
    alice, slow, pay = desk["alice"], desk["slow"], desk["pay"]

    def cond(*c):
        return ids(session, alice, conditions=list(c))

    assert cond(("subject", "starts", "двойное")) == {pay}
    assert cond(("subject", "eq", "Медленно вечером")) == {slow}
    assert cond(("msisdn", "filled")) == {slow} and cond(("msisdn", "empty")) == {pay}
    assert cond(("category", "in", "speed,payments")) == {slow, pay}
    assert cond(("status", "not_in", "resolved")) == {pay}
    assert cond(("rating", "gte", "4")) == {slow} and cond(("rating", "empty")) == {pay}
    assert cond(("rating", "between", "1..3")) == set()
    today = moscow_date(utcnow())
    assert cond(("created_at", "on", today.isoformat())) == {slow, pay}
    assert cond(("updated_at", "from", (today + timedelta(days=1)).isoformat())) == set()
    assert cond(("category", "in", "speed"), ("status", "in", "resolved")) == {slow}
    for bad in (("rating", "gte", "много"), ("status", "in", "lost"), ("subject", "gte", "a")):
        with pytest.raises(ValidationError):
            cond(bad)
