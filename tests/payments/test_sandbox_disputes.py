"""The sandbox walks the dispute path too: its test card 4000 0000 0000 0259 pays and is then
disputed (charge.dispute.created, signed like Stripe's, to the webhook endpoint), and it finds
a hosted-page payment by our key in the session's metadata, as Stripe's search does."""

from __future__ import annotations

import json

from paysim_app.billing import topups
from paysim_app.models import Payment
from paysim_app.payments.sandbox import SandboxGateway
from tests.money_helpers import fresh
from tests.payments.checkout_helpers import deliver, pay_on_page, session_of, types


def test_the_0259_card_pays_then_its_payment_is_disputed(session, factory):
    sent: list[tuple[bytes, str]] = []
    gw = SandboxGateway(deliver=lambda body, sig: sent.append((body, sig)))
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=0)
    out = topups.top_up_by_card(
        session, sub, gw, sim_id=sim.id, amount_kop=30000, request_key="req-dispute1"
    )
    session.commit()
    assert pay_on_page(gw, out.redirect_url, "4000 0000 0000 0259").kind == "complete"
    assert types(sent) == [
        "payment_intent.succeeded",
        "checkout.session.completed",
        "charge.dispute.created",
    ]
    dispute = json.loads(sent[-1][0])["data"]["object"]
    assert (dispute["amount"], dispute["status"], dispute["reason"]) == (
        30000,
        "needs_response",
        "fraudulent",
    )
    assert deliver(sent) == ["applied", "duplicate", "applied"]
    payment = fresh(session, Payment, out.payment_id)
    assert (payment.status, payment.dispute) == ("succeeded", "open")


def test_the_sandbox_finds_a_hosted_page_payment_by_its_key(session, factory):
    gw = SandboxGateway(deliver=lambda *_: None)
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=0)
    out = topups.top_up_by_card(
        session, sub, gw, sim_id=sim.id, amount_kop=30000, request_key="req-lookup1"
    )
    session.commit()
    key = fresh(session, Payment, out.payment_id).idempotency_key
    assert gw.lookup(idempotency_key=key, gateway_ref=None).status == "pending"  # open page
    pay_on_page(gw, out.redirect_url, "4242424242424242")
    found = gw.lookup(idempotency_key=key, gateway_ref=None)
    assert found.status == "succeeded" and found.gateway_ref.startswith("pi_sb_")
    assert gw.lookup(idempotency_key="topup:0:nobody", gateway_ref=None) is None
    # a page closed unpaid is a failed payment
    other = topups.top_up_by_card(
        session, sub, gw, sim_id=sim.id, amount_kop=30000, request_key="req-lookup2"
    )
    session.commit()
    gw.expire_checkout(session_of(other.redirect_url))
    other_key = fresh(session, Payment, other.payment_id).idempotency_key
    assert gw.lookup(idempotency_key=other_key, gateway_ref=None).status == "failed"
