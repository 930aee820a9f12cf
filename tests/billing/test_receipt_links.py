"""The receipt links on the pages: the subscriber's payment history, the dealer's recent cash
top-ups and the admin's payment card each offer the PDF of a payment that has one (and only
such), as a signed link the download route accepts for that reader alone."""

from __future__ import annotations

import warnings

import pytest
from sqlmodel import Session, select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.api.routes import api
from paysim_app.billing import partner_topups
from paysim_app.core import form_keys
from paysim_app.db import get_engine
from paysim_app.models import Sim
from paysim_app.ui.admin.payments import AdminPaymentState
from paysim_app.ui.cabinet.payments import PaymentsState
from paysim_app.ui.partner.topup import PartnerTopupState
from tests.billing.test_receipts import pay
from tests.ui.test_money_states import _run
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def client(db_url):
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


@pytest.fixture
def world(session, factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    dealer = factory.partner(login="dealer@example.ru")
    alice_sim = factory.sim(alice, partner=dealer)
    bob_sim = factory.sim(bob)
    paid = pay(session, alice_sim, 40000)
    failed = pay(session, alice_sim, 70000, status="failed")
    bobs = pay(session, bob_sim, 90000)
    cash = partner_topups.partner_topup(
        session, dealer.actor, alice_sim.id, 30000, form_keys.new_key()
    )
    session.commit()
    return {"paid": paid, "failed": failed, "bobs": bobs, "cash": cash.payment_id}


def _state(cls, login: str):
    state = _leaf(cls)
    state.auth_token = _signed_in(login)
    _run(cls.load, state)
    return state


def test_the_history_links_each_credited_payment_to_its_receipt(db_url, world, client):
    state = _state(PaymentsState, "alice@example.ru")
    rows = state.rows
    linked = [r for r in rows if r["receipt_href"]]
    # the card payment and the dealer's cash top-up; not the declined payment
    assert len(linked) == 2 and {r["receipt"] for r in linked} == {"Чек (PDF)"}
    assert all(r["receipt"] == "—" for r in rows if not r["receipt_href"])
    hrefs = {r["receipt_href"].split("?")[0] for r in linked}
    assert hrefs == {f"/api/receipts/{world['paid']}", f"/api/receipts/{world['cash']}"}
    for row in linked:
        response = client.get(row["receipt_href"])
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    # Bob's history has his own receipt only, and Alice's link is no use to him
    bob = _state(PaymentsState, "bob@example.ru")
    [bob_row] = [r for r in bob.rows if r["receipt_href"]]
    assert bob_row["receipt_href"].startswith(f"/api/receipts/{world['bobs']}?")
    [alices] = [r["receipt_href"] for r in linked if f"/{world['paid']}?" in r["receipt_href"]]
    forged = alices.replace(f"/api/receipts/{world['paid']}?", f"/api/receipts/{world['bobs']}?")
    assert client.get(forged).status_code == 404


def test_the_dealers_recent_top_ups_link_their_receipts(db_url, world, client):
    state = _state(PartnerTopupState, "dealer@example.ru")
    [row] = state.recent_rows
    assert row["receipt"] == "Чек (PDF)"
    assert row["receipt_href"].startswith(f"/api/receipts/{world['cash']}?")
    assert client.get(row["receipt_href"]).status_code == 200


def test_the_dealers_done_step_links_the_new_top_ups_receipt(db_url, world, factory, client):
    with Session(get_engine()) as session:
        sim_id = session.exec(select(Sim.id).where(Sim.partner_id.is_not(None))).first()
    state = _state(PartnerTopupState, "dealer@example.ru")
    state.step, state._sim_id, state._amount_kop = "confirm", sim_id, 25000
    _run(PartnerTopupState.confirm, state)
    assert state.step == "done"
    newest = state.recent[0]["payment_id"]
    assert state.done["receipt"].startswith(f"/api/receipts/{newest}?t=")
    assert client.get(state.done["receipt"]).status_code == 200


def test_the_admin_card_downloads_the_receipt_and_shows_its_registration(
    db_url, world, factory, client, monkeypatch
):
    admin = factory.admin_user("Superadmin")
    state = _leaf(AdminPaymentState)
    state.auth_token = _signed_in(admin.email)
    monkeypatch.setattr(type(state), "_payment_id", lambda self: world["paid"], raising=True)
    _run(AdminPaymentState.load, state)
    assert state.payment["receipt"] == "1"
    [row] = state.receipt_rows
    assert (row["kind"], row["state"]) == ("Приход", "ожидает регистрации")
    event = _run(AdminPaymentState.download_receipt, state)
    url = str(event)
    assert f"/api/receipts/{world['paid']}?t=" in url
    link = url[url.index("/api/receipts/") :].split('"')[0].split("\\")[0]
    assert client.get(link).status_code == 200
    # a declined payment has nothing to print
    monkeypatch.setattr(type(state), "_payment_id", lambda self: world["failed"])
    _run(AdminPaymentState.load, state)
    assert state.payment["receipt"] == "" and state.receipt_rows == []
