"""An autopay charge that Stripe refuses off-session for want of 3-D Secure, on the real path:
the stripe SDK against the local fake Stripe, its hosted page and its signed webhooks. The
payment waits for the subscriber (Stripe's own payment_failed webhook, before or after the
direct answer, changes nothing more), "Confirm payment" opens a Checkout Session for that amount
with the card's customer, and the payment is credited once whatever order the return URL and
the webhooks come in."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from paysim_app.billing import autopay, cards, confirmations, topups
from paysim_app.models import AutopayRun, LedgerEntry, Payment
from paysim_app.payments import CardToken, get_gateway
from tests.money_helpers import assert_ledger_consistent
from tests.payments import test_stripe_checkout as checkout_tests
from tests.payments.test_stripe_checkout import deliver, session_id

# the fake Stripe and the settings that point the app at it (stripe_env in tests/conftest.py)
fake = checkout_tests.fake

ASKS = "4000002760003184"


def waiting_payment(session, factory, fake):
    sub = factory.subscriber()
    sim = factory.sim(sub, tariff=factory.tariff(fee_kop=50000), balance_kop=0)
    customer = get_gateway().create_customer(reference=f"subscriber:{sub.subscriber_id}")
    token = CardToken(fake.card_on_file(ASKS, customer), "visa", "3184", 12, 2031, customer)
    card = cards.keep_card(session, "stripe", sub.subscriber_id, token)
    session.commit()
    autopay.set_autopay(session, sub, sim.id, autopay.AutopayForm("monthly", card.id))
    session.commit()
    claims = autopay.claim(session, [(sim.id, "2026-11", "monthly", 1, 50000)], date.today())
    session.commit()
    counts = autopay.charge_claims(session, get_gateway(), claims)
    assert counts == {"succeeded": 0, "failed": 0, "pending": 0, "requires_action": 1}
    return sub, sim, card, claims[0].payment_id


def test_off_session_authentication_required_waits_then_pays_on_stripes_page(
    session, factory, fake
):
    sub, sim, card, payment_id = waiting_payment(session, factory, fake)
    intent = fake.calls("POST", "/v1/payment_intents")[0].params
    assert (intent["off_session"], intent["amount"]) == ("true", "50000")
    p = session.get(Payment, payment_id)
    session.refresh(p)
    assert (p.status, p.decline_code) == ("requires_action", "authentication_required")
    assert p.gateway_ref and p.gateway_ref.startswith("pi_")
    # Stripe's own report of the refused attempt: the payment already waits
    assert deliver(fake, "payment_intent.payment_failed") == ["duplicate"]
    fake.events.clear()

    url = confirmations.start_confirmation(session, sub, get_gateway(), payment_id)
    params = fake.calls("POST", "/v1/checkout/sessions")[0].params
    assert params["customer"] == card.gateway_customer
    assert params["line_items"][0]["price_data"]["unit_amount"] == "50000"
    assert params["metadata"] == {"payment_key": p.idempotency_key}
    assert params["success_url"].endswith(f"/cabinet/topup/result?payment={payment_id}")
    assert fake.pay_session(session_id(url), ASKS, confirm=True) == "complete"
    # webhooks first, twice, then the subscriber comes back: credited once
    assert deliver(fake) == ["applied", "duplicate"]
    assert deliver(fake) == ["duplicate", "duplicate"]
    back = topups.topup_result(sub, payment_id)
    assert (back.status, back.balance_kop) == ("succeeded", 50000)
    assert assert_ledger_consistent(session, sim.id).balance_kop == 50000
    topups_ = session.exec(
        select(LedgerEntry).where(LedgerEntry.sim_id == sim.id, LedgerEntry.kind == "topup")
    ).all()
    assert len(topups_) == 1
    session.expire_all()
    [run] = session.exec(select(AutopayRun).where(AutopayRun.sim_id == sim.id)).all()
    assert run.status == "succeeded"


def test_the_webhook_before_the_answer_holds_it_once(session, factory, fake):
    """payment_intent.payment_failed delivered while the payment is still pending here (autopay
    has not read Stripe's answer yet: the payment is put back to pending to stand for that
    moment) holds it; its redelivery is a duplicate."""
    sub, sim, card, payment_id = waiting_payment(session, factory, fake)
    with session.begin_nested():
        session.execute(
            Payment.__table__.update()
            .where(Payment.__table__.c.id == payment_id)
            .values(status="pending", confirm_by=None)
        )
    session.commit()
    assert deliver(fake, "payment_intent.payment_failed") == ["applied"]
    assert deliver(fake, "payment_intent.payment_failed") == ["duplicate"]
    session.expire_all()
    assert session.get(Payment, payment_id).status == "requires_action"
