"""Disputes, the admin's partial refunds and payments in flight past a day, on the real path:
the stripe SDK against the local fake Stripe, its signed webhooks posted to /api/stripe/webhook.

- A dispute (Stripe's 4000 0000 0000 0259 is disputed after paying; `fake.open_dispute` for any
  charge) marks the payment disputed, then won or lost; a lost one debits the SIM once, whatever
  the order of charge.dispute.created / updated / closed and their redeliveries.
- The admin refunds part of a payment, twice, and a third refund over what is left is refused
  before Stripe is asked; the refund's own webhooks, even when they arrive before the admin's
  call returns, book nothing more.
- The janitor never re-sends a charge older than Stripe's memory of idempotency keys: it finds
  the payment by our key in the metadata (search) and settles it as it was, or leaves it to a
  person ("unknown, check by hand"), who settles it on its card.
"""

from __future__ import annotations

import json
import random
import warnings
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update
from sqlmodel import select

from paysim_app.api.routes import api
from paysim_app.billing import checkout, payment_lists, payments, topups
from paysim_app.core.errors import DomainError, ValidationError
from paysim_app.models import (
    AuditLog,
    Commission,
    LedgerEntry,
    Notification,
    Payment,
    SavedCard,
)
from paysim_app.models.base import utcnow
from paysim_app.payments import CardToken, GatewayError, get_gateway
from paysim_app.payments.stripe_gateway import StripeGateway
from tests.money_helpers import assert_ledger_consistent, fresh
from tests.payments.fake_stripe import FakeStripe, signed_event

WHSEC = "whsec_test_disputes"
AMOUNT = 50000


@pytest.fixture
def fake(stripe_env, session) -> FakeStripe:
    return stripe_env(WHSEC)


@pytest.fixture
def client(session, fake):
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


def pay(session, factory, fake, number="4242424242424242", method="card") -> dict:
    """A payment of 500 ₽ with a saved card, through Stripe (the fake), for a partner's SIM."""
    gateway = get_gateway()
    sim = factory.sim(factory.subscriber(), partner=factory.partner(), balance_kop=1000)
    customer = gateway.create_customer(reference=f"subscriber:{sim.subscriber_id}")
    card = CardToken(fake.card_on_file(number, customer), "visa", number[-4:], 12, 2031)
    payment = payments.new_payment(
        session,
        sim=sim,
        amount_kop=AMOUNT,
        method=method,
        idempotency_key=f"{method}:{sim.id}:disputes",
        gateway=gateway.name,
    )
    status = payments.charge_and_settle(
        session, gateway, payment, token=card.token, customer=customer, off_session=False
    )
    return {"pid": payment.id, "sim_id": sim.id, "status": status, "card": card}


@pytest.fixture
def paid(session, factory, fake):
    p = pay(session, factory, fake)
    assert p["status"] == "succeeded"
    return p


def deliver(client, event: dict) -> tuple[int, str]:
    payload, signature = signed_event(event, WHSEC)
    response = client.post(
        "/api/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": signature, "content-type": "application/json"},
    )
    return response.status_code, response.json().get("outcome", "")


def book(session, pid: int) -> dict:
    session.expire_all()
    p = session.get(Payment, pid)
    return {
        "status": p.status,
        "dispute": p.dispute,
        "refunded": p.refunded_kop,
        "chargeback": p.chargeback_kop,
        "debits": session.exec(
            select(LedgerEntry.amount_kop)
            .where(LedgerEntry.payment_id == pid, LedgerEntry.kind == "refund")
            .order_by(LedgerEntry.id)
        ).all(),
        "commission": sum(
            session.exec(select(Commission.amount_kop).where(Commission.payment_id == pid)).all()
        ),
    }


# -- disputes ------------------------------------------------------------------------------------------
def test_the_0259_card_is_disputed_after_paying_and_the_payment_shows_it(
    session, client, fake, factory
):
    p = pay(session, factory, fake, "4000000000000259")
    assert p["status"] == "succeeded"
    created = [e for e in fake.events if e["type"] == "charge.dispute.created"]
    assert len(created) == 1
    assert deliver(client, created[0]) == (200, "applied")
    assert book(session, p["pid"])["dispute"] == "open"
    admin = factory.superadmin()
    card = payment_lists.payment_card(session, admin, p["pid"])
    assert card.display_status == "disputed"
    assert not card.refundable


@pytest.mark.parametrize("order", ["in_order", "closed_first", "shuffled"])
def test_a_lost_dispute_debits_once_whatever_the_order(session, client, fake, paid, order):
    ref = fresh(session, Payment, paid["pid"]).gateway_ref
    dispute_id = fake.open_dispute(ref)
    fake.update_dispute(dispute_id, "under_review")
    fake.update_dispute(dispute_id, "lost")
    events = [e for e in fake.events if e["type"].startswith("charge.dispute.")]
    assert [e["type"] for e in events] == [
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
    ]
    if order == "closed_first":
        events = events[::-1]
    elif order == "shuffled":
        events = events + events
        random.Random(7).shuffle(events)
    outcomes = [deliver(client, e) for e in events]
    assert all(status == 200 for status, _ in outcomes)
    assert book(session, paid["pid"]) == {
        "status": "succeeded",
        "dispute": "lost",
        "refunded": 0,
        "chargeback": AMOUNT,
        "debits": [-AMOUNT],
        "commission": 0,
    }
    assert assert_ledger_consistent(session, paid["sim_id"]).balance_kop == 1000


def test_a_won_dispute_keeps_the_money(session, client, fake, paid):
    ref = fresh(session, Payment, paid["pid"]).gateway_ref
    dispute_id = fake.open_dispute(ref, amount=20000, reason="product_not_received")
    won = fake.update_dispute(dispute_id, "won")
    created = next(e for e in fake.events if e["type"] == "charge.dispute.created")
    assert deliver(client, created) == (200, "applied")
    assert deliver(client, won) == (200, "applied")
    assert deliver(client, won) == (200, "duplicate")
    b = book(session, paid["pid"])
    assert (b["dispute"], b["debits"], b["chargeback"]) == ("won", [], 0)


def test_a_dispute_for_an_unknown_charge_changes_nothing(session, client, fake, factory):
    other = FakeStripe()  # a charge of some other account's: no payment of ours
    intent = {"id": "pi_not_ours", "latest_charge": "ch_not_ours"}
    other.payment_intents[intent["id"]] = intent
    other.charges["ch_not_ours"] = {
        "id": "ch_not_ours",
        "amount": 100,
        "amount_refunded": 0,
        "currency": "rub",
    }
    other.open_dispute("pi_not_ours")
    assert deliver(client, other.events[-1]) == (200, "unknown")


# -- the admin's partial refunds -------------------------------------------------------------------------
def test_the_admin_refunds_part_twice_and_more_than_the_rest_is_refused(
    session, client, fake, factory, paid
):
    admin = factory.superadmin()
    gateway = get_gateway()
    pid = paid["pid"]
    assert (
        payments.refund_payment(session, admin, gateway, pid, "часть", amount_text="150") == 15000
    )
    session.commit()
    assert payments.refund_payment(session, admin, gateway, pid, "ещё", amount_kop=20000) == 20000
    session.commit()
    asked = len(fake.calls("POST", "/v1/refunds"))
    with pytest.raises(ValidationError) as refused:
        payments.refund_payment(session, admin, gateway, pid, "лишнее", amount_text="150,01")
    assert refused.value.code == "payment.error.refund_too_much"
    assert refused.value.params == {"left_kop": 15000}
    assert len(fake.calls("POST", "/v1/refunds")) == asked  # Stripe was not asked
    for bad in ("0", "-5", "abc"):
        with pytest.raises(ValidationError):
            payments.refund_payment(session, admin, gateway, pid, "x", amount_text=bad)
    # the refunds' webhooks, redelivered: nothing more
    for event in [e for e in fake.events if e["type"] in ("refund.created", "charge.refunded")]:
        assert deliver(client, event) == (200, "duplicate")
    b = book(session, pid)
    assert (b["status"], b["refunded"], b["debits"]) == ("succeeded", 35000, [-15000, -20000])
    assert b["commission"] == 2500 - payments.commission_of(35000, 500)
    audits = session.exec(select(AuditLog).where(AuditLog.action == "payment.refund")).all()
    assert len(audits) == 2
    # the rest, then nothing is left
    assert payments.refund_payment(session, admin, gateway, pid, "остаток") == 15000
    session.commit()
    assert book(session, pid)["status"] == "refunded"
    with pytest.raises(DomainError):
        payments.refund_payment(session, admin, gateway, pid, "ещё", amount_kop=1)


class RacingGateway(StripeGateway):
    """Stripe's webhooks for a refund arrive (and are booked) before the refund call returns."""

    client = None

    def refund(self, **kw):
        result = super().refund(**kw)
        for event in self.fake.events:
            if event["type"] in ("refund.created", "charge.refunded"):
                deliver(self.client, event)
        return result


def test_a_refund_reported_before_the_admins_call_returns_is_that_refund(
    session, client, fake, factory, paid
):
    admin = factory.superadmin()
    gateway = RacingGateway(secret_key=fake.api_key, webhook_secret=WHSEC, api_base=fake.url)
    gateway.fake, gateway.client = fake, client
    pid = paid["pid"]
    assert payments.refund_payment(session, admin, gateway, pid, "часть", amount_kop=10000) == 10000
    session.commit()
    b = book(session, pid)
    assert (b["refunded"], b["debits"]) == (10000, [-10000])
    # the webhook booked it first; the admin's call recognised it as the admin's
    audit = session.exec(select(AuditLog).where(AuditLog.action == "payment.refund")).one()
    assert json.loads(audit.after)["amount_kop"] == 10000
    card = payment_lists.payment_card(session, admin, pid)
    # Stripe's running total (charge.refunded) may have booked the money first; the refund by
    # its id is the admin's, and the books moved once
    assert [r.by for r in card.refunds if r.ref.startswith("re_")] == ["Админ"]
    assert sum(r.applied_kop for r in card.refunds) == 10000
    # the whole rest, reported first as well: no "not refundable", no second line
    assert payments.refund_payment(session, admin, gateway, pid, "остаток") == 40000
    session.commit()
    b = book(session, pid)
    assert (b["status"], b["refunded"], b["debits"]) == ("refunded", AMOUNT, [-10000, -40000])


# -- payments in flight past a day ---------------------------------------------------------------------
def age(session, pid: int, hours: int) -> None:
    session.execute(
        update(Payment)
        .where(Payment.id == pid)
        .values(created_at=utcnow() - timedelta(hours=hours))
    )
    session.commit()


def pending_autopay(session, factory, fake, *, charged: bool) -> dict:
    """An autopay charge left pending: Stripe made it and the answer was lost (`charged`), or
    the process died before asking."""
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=0)
    customer = get_gateway().create_customer(reference=f"subscriber:{sim.subscriber_id}")
    card = SavedCard(
        subscriber_id=sim.subscriber_id,
        gateway="stripe",
        gateway_token=fake.card_on_file("4242424242424242", customer),
        gateway_customer=customer,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2034,
    )
    session.add(card)
    session.commit()
    payment = payments.new_payment(
        session,
        sim=sim,
        amount_kop=AMOUNT,
        method="autopay",
        idempotency_key=f"autopay:{sim.id}:late",
        gateway="stripe",
        card_id=card.id,
    )
    session.commit()
    if charged:
        fake.drop_next_response()
        lossy = StripeGateway(
            secret_key=fake.api_key, api_base=fake.url, max_network_retries=0, timeout=5
        )
        with pytest.raises(GatewayError):  # the answer was lost on purpose
            lossy.charge(
                amount_kop=AMOUNT,
                token=card.gateway_token,
                customer=customer,
                idempotency_key=payment.idempotency_key,
                off_session=True,
            )
    return {"pid": payment.id, "sim_id": sim.id}


def test_past_a_day_the_janitor_finds_a_charge_by_metadata_and_never_resends(
    session, fake, factory
):
    p = pending_autopay(session, factory, fake, charged=True)
    assert fake.charge_count == 1
    age(session, p["pid"], 30)
    posts = len(fake.calls("POST", "/v1/payment_intents"))
    assert payments.reconcile_pending(session, get_gateway(), older_than=timedelta(minutes=5)) == 1
    assert len(fake.calls("POST", "/v1/payment_intents")) == posts  # nothing sent again
    searches = fake.calls("GET", "/v1/payment_intents/search")
    assert searches and "autopay:" in searches[-1].params["query"]
    assert fresh(session, Payment, p["pid"]).status == "succeeded"
    assert assert_ledger_consistent(session, p["sim_id"]).balance_kop == AMOUNT


def test_past_a_day_a_charge_not_found_is_left_to_a_person(session, fake, factory):
    admin = factory.superadmin()
    p = pending_autopay(session, factory, fake, charged=False)
    age(session, p["pid"], 30)
    assert payments.reconcile_pending(session, get_gateway(), older_than=timedelta(minutes=5)) == 0
    assert fake.charge_count == 0
    assert fake.calls("POST", "/v1/payment_intents") == []  # never re-sent
    payment = fresh(session, Payment, p["pid"])
    assert (payment.status, payment.unknown_since is not None) == ("pending", True)
    card = payment_lists.payment_card(session, admin, p["pid"])
    assert (card.display_status, card.unknown, card.can_settle) == ("unknown", True, True)
    notes = session.exec(
        select(Notification.kind).where(Notification.user_id == admin.user_id)
    ).all()
    assert notes == ["payment_unknown"]
    # the next run leaves it alone (and tells nobody again)
    payments.reconcile_pending(session, get_gateway(), older_than=timedelta(minutes=5))
    assert (
        len(session.exec(select(Notification).where(Notification.user_id == admin.user_id)).all())
        == 1
    )
    # a person settles it as the dashboard shows: once, audited
    with pytest.raises(ValidationError):
        payments.settle_by_hand(session, admin, p["pid"], "succeeded", " ")
    with pytest.raises(ValidationError):
        payments.settle_by_hand(session, admin, p["pid"], "maybe", "x")
    assert payments.settle_by_hand(session, admin, p["pid"], "succeeded", "paid in dashboard") == (
        "succeeded"
    )
    session.commit()
    assert assert_ledger_consistent(session, p["sim_id"]).balance_kop == AMOUNT
    with pytest.raises(DomainError) as again:
        payments.settle_by_hand(session, admin, p["pid"], "failed", "twice")
    assert again.value.code == "payment.error.not_unknown"
    audit = session.exec(select(AuditLog).where(AuditLog.action == "payment.settled_by_hand")).one()
    assert json.loads(audit.after)["comment"] == "paid in dashboard"


def test_within_a_day_an_autopay_charge_not_found_is_repeated_under_its_key(session, fake, factory):
    p = pending_autopay(session, factory, fake, charged=False)
    age(session, p["pid"], 2)
    assert payments.reconcile_pending(session, get_gateway(), older_than=timedelta(minutes=5)) == 1
    assert fake.charge_count == 1
    assert fresh(session, Payment, p["pid"]).status == "succeeded"


def test_settling_by_hand_needs_the_right_and_an_unknown_payment(session, fake, factory, paid):
    with pytest.raises(DomainError) as not_unknown:
        payments.settle_by_hand(session, factory.superadmin(), paid["pid"], "failed", "x")
    assert not_unknown.value.code == "payment.error.not_unknown"
    with pytest.raises(DomainError):
        payments.settle_by_hand(session, factory.support(), paid["pid"], "failed", "x")


def test_a_hosted_page_past_a_day_that_stripe_cannot_read_is_found_by_metadata(
    session, fake, factory
):
    """A top-up on Stripe's page whose session cannot be read any more (resource missing):
    the checkout janitor looks the payment up by our key, never simply marks it failed."""
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=0)
    out = topups.top_up_by_card(sub, sim_id=sim.id, amount_kop=AMOUNT, request_key="req-late")
    pid, session_id = out.payment_id, urlsplit(out.redirect_url).path.rsplit("/", 1)[-1]
    fake.pay_session(session_id, "4242424242424242")
    del fake.checkout_sessions[session_id]  # Stripe answers "no such session"
    age(session, pid, 30)
    session.execute(
        update(Payment)
        .where(Payment.id == pid)
        .values(checkout_expires_at=utcnow() - timedelta(hours=29))
    )
    session.commit()
    checkout.expire_stale(session, get_gateway())
    assert fresh(session, Payment, pid).status == "succeeded"
    assert assert_ledger_consistent(session, sim.id).balance_kop == AMOUNT


# -- item 7's faults on the Stripe path (the sandbox's are in tests/billing/test_topups.py) ----------
def top_up_on_stripe(factory, amount=30000, key="req-fault1"):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=0)
    out = topups.top_up_by_card(sub, sim_id=sim.id, amount_kop=amount, request_key=key)
    return sub, sim, out, urlsplit(out.redirect_url).path.rsplit("/", 1)[-1]


def test_stripe_a_webhook_with_another_amount_moves_no_money(session, client, fake, factory):
    _sub, sim, out, sid = top_up_on_stripe(factory)
    assert fake.pay_session(sid, "4242424242424242") == "complete"
    event = next(e for e in fake.events if e["type"] == "payment_intent.succeeded")
    forged = json.loads(json.dumps(event))
    forged["id"] = "evt_forged_amount"
    forged["data"]["object"]["amount"] = forged["data"]["object"]["amount_received"] = 9_000_000
    assert deliver(client, forged) == (200, "mismatch")
    assert fresh(session, Payment, out.payment_id).status == "pending"
    # the true events then credit it, once
    outcomes = [deliver(client, e)[1] for e in fake.events] + [deliver(client, event)[1]]
    assert outcomes.count("applied") == 1
    assert assert_ledger_consistent(session, sim.id).balance_kop == 30000


def test_stripe_a_webhook_for_an_unknown_payment_and_the_same_event_twice(
    session, client, fake, factory
):
    _sub, sim, out, sid = top_up_on_stripe(factory)
    fake.pay_session(sid, "4242424242424242")
    completed = next(e for e in fake.events if e["type"] == "checkout.session.completed")
    assert deliver(client, completed) == (200, "applied")
    assert deliver(client, completed) == (200, "duplicate")
    stranger = json.loads(json.dumps(completed))
    stranger["id"] = "evt_stranger"
    stranger["data"]["object"]["id"] = "cs_test_not_ours"
    stranger["data"]["object"]["metadata"] = {"payment_key": "topup:0:nobody"}
    assert deliver(client, stranger) == (200, "unknown")
    assert assert_ledger_consistent(session, sim.id).balance_kop == 30000


def test_stripe_down_when_pay_is_clicked_takes_nothing(session, fake, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=0)
    fake.fail_next(500)  # Stripe answers the first request (the customer's) with an error
    with pytest.raises(DomainError) as err:
        topups.top_up_by_card(sub, sim_id=sim.id, amount_kop=30000, request_key="req-down1")
    assert err.value.code == "checkout.error.unavailable"
    assert fake.charge_count == 0
    assert assert_ledger_consistent(session, sim.id).balance_kop == 0


def test_stripe_the_return_url_opened_by_someone_else_asks_stripe_nothing(session, fake, factory):
    _sub, _sim, out, sid = top_up_on_stripe(factory)
    fake.pay_session(sid, "4242424242424242")
    other = factory.subscriber()
    reads = len(fake.requests)
    with pytest.raises(DomainError) as err:
        topups.topup_result(other, out.payment_id)
    assert err.value.code == "error.not_found"
    assert len(fake.requests) == reads
    assert fresh(session, Payment, out.payment_id).status == "pending"


def test_stripe_a_closed_tab_expires_and_takes_nothing(session, client, fake, factory):
    _sub, sim, out, sid = top_up_on_stripe(factory)
    session.execute(
        update(Payment)
        .where(Payment.id == out.payment_id)
        .values(checkout_expires_at=utcnow() - timedelta(minutes=10))
    )
    session.commit()
    checkout.expire_stale(session, get_gateway())
    assert fresh(session, Payment, out.payment_id).status == "expired"
    assert fake.checkout_sessions[sid]["status"] == "expired"
    assert fake.pay_session(sid, "4242424242424242") == "closed"
    assert fake.charge_count == 0
    assert assert_ledger_consistent(session, sim.id).balance_kop == 0
