"""Top-ups and saved cards on the real path with PAYSIM_GATEWAY=stripe: the cabinet's verbs, the
stripe SDK against the local fake Stripe, its hosted page, and its signed webhooks posted to
/api/stripe/webhook. Whatever order the return URL and the webhooks come in, the SIM is credited
once; a card is kept once; a page left unpaid expires; nothing of a card reaches PaySim."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from paysim_app.api.routes import api
from paysim_app.billing import cards, checkout, topups
from paysim_app.models import LedgerEntry, Payment, SavedCard, Sim
from paysim_app.payments import CardToken, get_gateway
from tests.money_helpers import assert_ledger_consistent
from tests.payments.checkout_helpers import TestClient
from tests.payments.fake_stripe import FakeStripe, signed_event

WHSEC = "whsec_test_checkout"


@pytest.fixture
def fake(stripe_env, session) -> FakeStripe:
    return stripe_env(WHSEC)


def deliver(fake: FakeStripe, *types: str) -> list[str]:
    """Post the fake's events (of these types, in order) to the webhook; their outcomes."""
    outcomes = []
    with TestClient(api) as client:
        for event in [e for e in fake.events if not types or e["type"] in types]:
            payload, signature = signed_event(event, WHSEC)
            answer = client.post(
                "/api/stripe/webhook",
                content=payload,
                headers={"Stripe-Signature": signature, "content-type": "application/json"},
            )
            outcomes.append(answer.json().get("outcome", str(answer.status_code)))
    return outcomes


def session_id(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def top_up(sub, sim, key="req-000001", amount=30000, **kw):
    return topups.top_up_by_card(sub, sim_id=sim.id, amount_kop=amount, request_key=key, **kw)


def test_a_new_card_is_paid_on_stripes_page_and_credited_once(session, factory, fake):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=1000)
    out = top_up(sub, sim, save_card=True)
    assert out.status == "pending" and out.redirect_url.startswith(f"{fake.url}/pay/cs_test_")
    sid = session_id(out.redirect_url)
    params = fake.calls("POST", "/v1/checkout/sessions")[0].params
    assert params["success_url"].endswith(f"/cabinet/topup/result?payment={out.payment_id}")
    assert params["cancel_url"].endswith(f"?payment={out.payment_id}&back=1")
    key = f"topup:{sim.id}:req-000001"
    assert params["payment_intent_data"] == {
        "metadata": {"payment_key": key},
        "description": f"PaySim payment {out.payment_id}",
        "setup_future_usage": "off_session",
    }
    assert params["customer"].startswith("cus_")

    assert fake.pay_session(sid, "4242 4242 4242 4242") == "complete"
    # the webhooks first, each twice (Stripe redelivers), then the subscriber comes back
    assert deliver(fake) == ["applied", "duplicate"]
    assert deliver(fake) == ["duplicate", "duplicate"]
    back = topups.topup_result(sub, out.payment_id)
    assert (back.status, back.balance_kop, back.card_saved) == ("succeeded", 31000, True)
    p = session.get(Payment, out.payment_id)
    session.refresh(p)
    assert (p.card_last4, p.card_brand, p.gateway_ref) == (
        "4242",
        "visa",
        fake.checkout_sessions[sid]["payment_intent"],
    )
    [card] = session.exec(select(SavedCard)).all()
    assert (card.gateway, card.last4, card.gateway_customer) == (
        "stripe",
        "4242",
        params["customer"],
    )
    assert fake.payment_methods[card.gateway_token]["customer"] == card.gateway_customer
    assert assert_ledger_consistent(session, sim.id).balance_kop == 31000
    # PaySim never sent Stripe a card
    assert fake.calls("POST", "/v1/payment_methods") == []
    assert "4242424242424242" not in json.dumps([r.params for r in fake.requests])

    # the saved card pays at once (on-session, no page)
    again = top_up(sub, sim, key="req-000002", card_id=card.id)
    assert (again.status, again.balance_kop, again.redirect_url) == ("succeeded", 61000, "")


def test_a_saved_card_whose_bank_wants_3ds_goes_to_stripes_page(session, factory, fake):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    customer = get_gateway().create_customer(reference=f"subscriber:{sub.subscriber_id}")
    token = CardToken(
        fake.card_on_file("4000002760003184", customer), "visa", "3184", 12, 2031, customer
    )
    card = cards.keep_card(session, "stripe", sub.subscriber_id, token)
    session.commit()
    out = top_up(sub, sim, card_id=card.id)
    assert out.status == "pending" and "/pay/cs_test_" in out.redirect_url
    first_intent = fake.calls("POST", "/v1/payment_intents")[0]
    assert first_intent.params["off_session"] == "false"
    assert fake.pay_session(session_id(out.redirect_url), "4000002760003184", confirm=True) == (
        "complete"
    )
    back = topups.topup_result(sub, out.payment_id)
    assert (back.status, back.balance_kop) == ("succeeded", 30000)
    assert deliver(fake, "payment_intent.succeeded", "checkout.session.completed") == [
        "duplicate",
        "duplicate",
    ]


def test_a_decline_then_leaving_the_page(session, factory, fake):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(sub, sim)
    sid = session_id(out.redirect_url)
    assert fake.pay_session(sid, "4000000000000002") == "generic_decline"
    assert deliver(fake) == ["noted"]
    assert topups.topup_result(sub, out.payment_id).status == "pending"
    back = topups.topup_result(sub, out.payment_id, abandoned=True)
    assert (back.status, back.decline_code, back.balance_kop) == ("failed", "card_declined", 0)
    assert fake.checkout_sessions[sid]["status"] == "expired"
    assert deliver(fake, "checkout.session.expired") == ["duplicate"]
    assert session.exec(select(LedgerEntry).where(LedgerEntry.sim_id == sim.id)).all() == []


def test_stripes_own_expiry_event_expires_the_payment(session, factory, fake):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(sub, sim)
    get_gateway().expire_checkout(session_id(out.redirect_url))  # as Stripe's timer does
    assert deliver(fake) == ["applied"]
    session.expire_all()
    assert session.get(Payment, out.payment_id).status == "expired"
    assert session.get(Sim, sim.id).balance_kop == 0


def test_a_card_added_on_stripes_page(session, factory, fake):
    sub = factory.subscriber()
    url = checkout.start_card_setup(sub)
    params = fake.calls("POST", "/v1/checkout/sessions")[0].params
    assert params["mode"] == "setup" and params["customer"].startswith("cus_")
    assert fake.pay_session(session_id(url), "5555555555554444") == "complete"
    assert deliver(fake) == ["applied", "duplicate"]
    [card] = session.exec(select(SavedCard)).all()
    assert (card.brand, card.last4, card.is_default) == ("mastercard", "4444", True)
    setup_id = int(params["success_url"].rsplit("=", 1)[-1])
    out = checkout.card_setup_result(sub, setup_id)
    assert (out.status, out.card_id, out.last4) == ("complete", card.id, "4444")


def test_stripe_down_when_the_webhook_asks_for_the_page(session, factory, fake):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(sub, sim)
    fake.pay_session(session_id(out.redirect_url), "4242424242424242")
    completed = [e for e in fake.events if e["type"] == "checkout.session.completed"]
    fake.events[:] = completed
    fake.fail_next(503)
    assert deliver(fake) == ["retry"]  # answered 503: Stripe delivers it again later
    assert deliver(fake) == ["applied"]
    session.expire_all()
    assert session.get(Sim, sim.id).balance_kop == 30000
