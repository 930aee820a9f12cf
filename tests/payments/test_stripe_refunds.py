"""Refunds in parts on the real path: the stripe SDK against the local fake Stripe, its signed
webhooks posted to /api/stripe/webhook. A refund made in Stripe's dashboard arrives twice over
(charge.refunded with the running total, refund.created with the refund's id and amount), in
either order and redelivered: it is booked once, for its amount. The admin's refund of the rest
goes through the same SDK and its webhooks book nothing more."""

from __future__ import annotations

import warnings

import pytest
from sqlmodel import select

from paysim_app.api.routes import api
from paysim_app.billing import payments
from paysim_app.models import Commission, LedgerEntry, Payment
from paysim_app.payments import CardToken, get_gateway
from tests.money_helpers import assert_ledger_consistent
from tests.payments.fake_stripe import FakeStripe, signed_event

WHSEC = "whsec_test_partial_refunds"
AMOUNT = 50000


@pytest.fixture
def fake(stripe_env, session) -> FakeStripe:
    """PAYSIM_GATEWAY=stripe aimed at the fake: the webhook route and the admin's refund use it."""
    return stripe_env(WHSEC)


@pytest.fixture
def client(session, fake):
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


@pytest.fixture
def paid(session, factory, fake):
    """A card payment of 500 ₽ made through Stripe (the fake), for a partner's SIM at 5 %."""
    gateway = get_gateway()
    sim = factory.sim(factory.subscriber(), partner=factory.partner(), balance_kop=1000)
    customer = gateway.create_customer(reference=f"subscriber:{sim.subscriber_id}")
    card = CardToken(fake.card_on_file("4242424242424242", customer), "visa", "4242", 12, 2031)
    payment = payments.new_payment(
        session,
        sim=sim,
        amount_kop=AMOUNT,
        method="card",
        idempotency_key=f"topup:{sim.id}:partial-refunds",
        gateway=gateway.name,
    )
    status = payments.charge_and_settle(
        session, gateway, payment, token=card.token, customer=customer, off_session=False
    )
    assert status == "succeeded"
    return {"pid": payment.id, "sim_id": sim.id, "ref": payment.gateway_ref}


def deliver(client, event: dict) -> tuple[int, str]:
    payload, signature = signed_event(event, WHSEC)
    response = client.post(
        "/api/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": signature, "content-type": "application/json"},
    )
    return response.status_code, response.json().get("outcome", "")


def events_of(fake: FakeStripe, refund_id: str) -> dict[str, dict]:
    """The two events Stripe sends for one refund."""
    created = next(
        e
        for e in fake.events
        if e["type"] == "refund.created" and e["data"]["object"]["id"] == refund_id
    )
    at = fake.events.index(created)
    charge = next(e for e in reversed(fake.events[:at]) if e["type"] == "charge.refunded")
    return {"refund.created": created, "charge.refunded": charge}


def book(session, pid: int) -> dict:
    session.expire_all()
    p = session.get(Payment, pid)
    return {
        "status": p.status,
        "refunded": p.refunded_kop,
        "ledger": session.exec(
            select(LedgerEntry.amount_kop)
            .where(LedgerEntry.payment_id == pid, LedgerEntry.kind == "refund")
            .order_by(LedgerEntry.id)
        ).all(),
        "commission": sum(
            session.exec(select(Commission.amount_kop).where(Commission.payment_id == pid)).all()
        ),
    }


@pytest.mark.parametrize("first", ["refund.created", "charge.refunded"])
def test_a_dashboard_refund_in_part_is_booked_once_whatever_the_order(
    session, client, fake, paid, first
):
    gateway = get_gateway()
    refund = gateway.refund(gateway_ref=paid["ref"], amount_kop=15000, idempotency_key="dash-1")
    events = events_of(fake, refund.gateway_ref)
    second = "charge.refunded" if first == "refund.created" else "refund.created"
    assert deliver(client, events[first]) == (200, "applied")
    assert deliver(client, events[second]) == (200, "duplicate")
    assert deliver(client, events[first]) == (200, "duplicate")  # Stripe redelivers
    assert book(session, paid["pid"]) == {
        "status": "succeeded",
        "refunded": 15000,
        "ledger": [-15000],
        "commission": 2500 - payments.commission_of(15000, 500),
    }
    assert assert_ledger_consistent(session, paid["sim_id"]).balance_kop == 1000 + AMOUNT - 15000


def test_the_admin_refunds_the_rest_through_stripe_and_its_webhooks_book_nothing_more(
    session, client, fake, factory, paid
):
    gateway = get_gateway()
    part = gateway.refund(gateway_ref=paid["ref"], amount_kop=15000, idempotency_key="dash-1")
    for event in events_of(fake, part.gateway_ref).values():
        deliver(client, event)
    admin = factory.superadmin()
    assert payments.refund_payment(session, admin, gateway, paid["pid"], "остаток") == 35000
    session.commit()
    [request] = [r for r in fake.calls("POST", "/v1/refunds") if r.params["amount"] == "35000"]
    assert request.header("Idempotency-Key").endswith(":15000")
    rest = [e for e in fake.events if e["type"] == "refund.created"][-1]["data"]["object"]
    for event in events_of(fake, rest["id"]).values():
        assert deliver(client, event) == (200, "duplicate")
    charge = fake.charges[fake.payment_intents[paid["ref"]]["latest_charge"]]
    assert (charge["amount_refunded"], charge["refunded"]) == (AMOUNT, True)
    assert book(session, paid["pid"]) == {
        "status": "refunded",
        "refunded": AMOUNT,
        "ledger": [-15000, -35000],
        "commission": 0,
    }
    assert assert_ledger_consistent(session, paid["sim_id"]).balance_kop == 1000


def test_several_dashboard_refunds_add_up_to_a_refunded_payment(session, client, fake, paid):
    gateway = get_gateway()
    for n, kop in enumerate((10000, 25000, 15000)):
        refund = gateway.refund(gateway_ref=paid["ref"], amount_kop=kop, idempotency_key=f"d{n}")
        events = events_of(fake, refund.gateway_ref)
        deliver(client, events["charge.refunded"])
        deliver(client, events["refund.created"])
    assert book(session, paid["pid"]) == {
        "status": "refunded",
        "refunded": AMOUNT,
        "ledger": [-10000, -25000, -15000],
        "commission": 0,
    }
