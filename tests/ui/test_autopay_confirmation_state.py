"""The autopay page's side of a charge waiting for the subscriber's confirmation: the e-mail's
link lands on it and names the payment, "Confirm payment" goes to the hosted page, and nobody
else's payment can be confirmed or even named from it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.billing import autopay
from paysim_app.db import session_scope
from paysim_app.models import Notification, Payment
from paysim_app.payments import get_gateway
from paysim_app.ui.cabinet.autopay import AutopayState
from tests.ui.test_money_states import _leaf, _router, _run, _signed_in


@pytest.fixture
def waiting(session, factory):
    """Alice's monthly autopay (a 3184 card) charged off-session: it waits for her."""
    tariff = factory.tariff("Оптимум", fee_kop=65000)
    alice = factory.subscriber("alice@example.ru")
    factory.subscriber("bob@example.ru")
    sim = factory.sim(alice, tariff=tariff, balance_kop=0)
    card = factory.card(alice, "4000002760003184")
    autopay.set_autopay(session, alice, sim.id, autopay.AutopayForm("monthly", card.id))
    session.commit()
    claims = autopay.claim(session, [(sim.id, "2026-11", "monthly", 1, 65000)], date.today())
    session.commit()
    assert autopay.charge_claims(session, get_gateway(), claims)["requires_action"] == 1
    note = session.exec(select(Notification).where(Notification.kind == "autopay_confirm")).one()
    return sim, claims[0].payment_id, re.search(r"(/cabinet/autopay\?\S+)", note.body)[1]


def _page(login: str, path: str) -> AutopayState:
    state = _leaf(AutopayState)
    state.auth_token = _signed_in(login)
    state.router = _router(path)
    _run(AutopayState.load, state)
    return state


def test_the_link_shows_the_waiting_payment_and_confirm_goes_to_the_hosted_page(db_url, waiting):
    sim, payment_id, path = waiting
    state = _page("alice@example.ru", path)
    assert (state.link_error, state.linked_payment) == ("", payment_id)
    [row] = state.waiting_rows
    assert (row["id"], row["linked"], row["on_page"]) == (str(payment_id), "1", "")
    assert "650" in row["body"]
    script = _run(AutopayState.confirm_payment, state, str(payment_id))
    assert "/api/sandbox/checkout/cs_sb_" in str(script)
    with session_scope() as s:
        assert s.get(Payment, payment_id).status == "pending"


def test_someone_elses_link_or_payment_shows_and_opens_nothing(db_url, waiting):
    sim, payment_id, path = waiting
    bob = _page("bob@example.ru", path)
    assert bob.link_error and bob.linked_payment == 0
    assert bob.waiting_rows == []
    _run(AutopayState.confirm_payment, bob, str(payment_id))
    forged = _page("alice@example.ru", f"/cabinet/autopay?sim={sim.id}&confirm=abc.def")
    assert forged.link_error and forged.linked_payment == 0
    with session_scope() as s:
        assert s.get(Payment, payment_id).status == "requires_action"
