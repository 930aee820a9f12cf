"""The customer's and the dealer's own lists on the shared list state: the cabinet's payment
history (and the others moved with it) restores itself from the address, applies the advanced
search, and whatever another owner's id or condition the browser sends, shows nothing of it."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

import paysim_app.paysim_app  # noqa: F401
from paysim_app.ui.cabinet.payments import PaymentsState
from tests.billing.test_receipts import pay
from tests.ui.test_advanced_search_states import _run, _state


@pytest.fixture
def books(session, factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    home = factory.sim(alice, balance_kop=1000, label="Дом")
    bobs = factory.sim(bob, balance_kop=5000, label="Bob's secret label")
    return {
        "home": home,
        "bobs": bobs,
        "paid": pay(session, home, 40000),
        "declined": pay(session, home, 70000, status="failed"),
        "bob_paid": pay(session, bobs, 90000),
    }


def _payments(path: str, login: str = "alice@example.ru"):
    return _state(PaymentsState, path, login)


def test_the_history_restores_itself_from_the_address(db_url, books):
    home = books["home"]
    path = f"/cabinet/payments?sim={home.id}&status=succeeded&amount.gte=100&sort=amount&asc=1"
    state = _payments(path)
    assert [r["payment_id"] for r in state._raw] == [books["paid"]]
    assert state.filters["sim"] == str(home.id) and state.filters["status"] == "succeeded"
    assert state._applied == [["amount", "gte", "100"]] and state.adv_open
    assert state.sort == "amount" and not state.descending and state.url_note == ""
    assert dict(parse_qsl(state._url_applied)) == dict(parse_qsl(path.partition("?")[2]))
    assert state.rows[0]["operation"] == "Картой Visa •••• 4242" and state.rows[0]["receipt_href"]
    # garbage in the address is left out and named
    state = _payments("/cabinet/payments?status=stolen&amount.sql=1&sort=id")
    assert len(state._raw) == 3
    assert all(k in state.url_note for k in ("status", "amount.sql", "sort"))


def test_the_panel_applies_conditions_and_pushes_the_address(db_url, books):
    state = _payments("/cabinet/payments")
    assert len(state._raw) == 3
    _run(PaymentsState.toggle_advanced, state)
    _run(PaymentsState.adv_set, state, 0, "field", "amount")
    _run(PaymentsState.adv_set, state, 0, "op", "between")
    _run(PaymentsState.adv_set, state, 0, "value", "300")
    _run(PaymentsState.adv_set, state, 0, "value2", "800")
    out = str(_run(PaymentsState.adv_apply, state))
    assert {r["payment_id"] for r in state._raw} == {books["paid"], books["declined"]}
    assert "pushState" in out and "amount.between=300..800" in state._url_applied
    _run(PaymentsState.clear, state)
    assert len(state._raw) == 3 and state._url_applied == ""


@pytest.mark.parametrize(
    "address",
    [
        "?sim={bobs}",
        "?msisdn.eq={bobs_number}",
        "?q={bobs_number}",
        "?amount.eq=900",
        "?sim={bobs}&status=succeeded",
    ],
)
def test_another_contracts_ids_and_filters_show_nothing(db_url, books, address):
    bobs = books["bobs"]
    query = address.format(bobs=bobs.id, bobs_number=bobs.msisdn.replace("+", "%2B"))
    state = _payments(f"/cabinet/payments{query}")
    assert state._raw == [] and state.rows == [] and state.total == 0
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)
    assert "Bob's secret label" not in sent and "900,00" not in sent
    # the same from the page's own events
    state = _payments("/cabinet/payments")
    _run(PaymentsState.set_filter, state, "sim", str(bobs.id))
    assert state._raw == [] and state.list_error  # "not yours", not an empty history


def test_the_subscribers_filter_options_are_its_own_sims(db_url, books):
    state = _payments("/cabinet/payments")
    values = [o["value"] for o in state.sim_filter_options]
    assert values == ["all", str(books["home"].id)]


# -- the cabinet's tickets -------------------------------------------------------------------------
@pytest.fixture
def desk(session, factory):
    from paysim_app.support import ticketing

    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    slow = ticketing.open_ticket(session, alice, "speed", "Медленно вечером", "1 Мбит/с")
    pay = ticketing.open_ticket(session, alice, "payments", "Двойное списание", "Списали дважды")
    theirs = ticketing.open_ticket(session, bob, "payments", "Bob's secret subject", "secret")
    session.commit()
    return {"slow": slow, "pay": pay, "theirs": theirs}


def test_the_tickets_restore_themselves_from_the_address(db_url, desk):
    from paysim_app.ui.cabinet.support import SupportState

    path = "/cabinet/support?category=payments&subject.contains=списание&q=дважды"
    state = _state(SupportState, path, "alice@example.ru")
    assert [r["href"] for r in state.rows] == [f"/cabinet/support/{desk['pay']}"]
    assert state.filters["category"] == "payments" and state.search == "дважды"
    assert state._applied == [["subject", "contains", "списание"]] and state.url_note == ""
    # a link from the dashboard's rating keeps its own key beside the list's
    state = _state(SupportState, "/cabinet/support?rating=999&status=new", "alice@example.ru")
    assert len(state.rows) == 2 and state.rating_note == ""


@pytest.mark.parametrize("address", ["?q=%23{theirs}", "?q=secret", "?subject.contains=Bob"])
def test_another_contracts_tickets_show_nothing(db_url, desk, address):
    from paysim_app.ui.cabinet.support import SupportState

    state = _state(
        SupportState, "/cabinet/support" + address.format(theirs=desk["theirs"]), "alice@example.ru"
    )
    assert state.rows == [] and state.total == 0
    assert "Bob's secret" not in json.dumps(state.dict(), default=str, ensure_ascii=False)
