"""The Stripe path in a browser: a top-up with PAYSIM_GATEWAY=stripe (the real SDK against the
local fake Stripe) sends the payer to the fake's hosted Checkout page, Chromium types the card
there (and passes its 3-D Secure step), the page sends it back to the return URL, and the result
is read there. No app build is needed: the cabinet's verbs run in this process."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from paysim_app.billing import topups
from tests.payments.fake_stripe import FakeStripe


@pytest.fixture
def fake(stripe_env, fake_stripe_server, session) -> FakeStripe:
    # the return URLs point at the fake too: the browser lands somewhere that answers
    return stripe_env("whsec_test_browser", PAYSIM_PUBLIC_URL=fake_stripe_server.url)


@pytest.fixture
def tab(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("number", ["4242 4242 4242 4242", "4000 0027 6000 3184"])
def test_a_top_up_paid_on_the_fake_stripe_page_in_a_browser(session, factory, fake, tab, number):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=1000)
    out = topups.top_up_by_card(sub, sim_id=sim.id, amount_kop=30000, request_key="req-000001")
    tab.goto(out.redirect_url)
    expect(tab.locator("h1")).to_contain_text("Pay 300.0 RUB")
    tab.locator("#fake-number").fill(number)
    tab.locator("#fake-exp").fill("12 / 34")
    tab.locator("#fake-cvc").fill("123")
    tab.locator("#fake-pay").click()
    if number.endswith("3184"):
        tab.locator("#fake-3ds-confirm").click()
    expect(tab).to_have_url(f"{fake.url}/cabinet/topup/result?payment={out.payment_id}")
    back = topups.topup_result(sub, out.payment_id)
    assert (back.status, back.balance_kop) == ("succeeded", 31000)


def test_a_declined_card_on_the_fake_stripe_page_then_back(session, factory, fake, tab):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = topups.top_up_by_card(sub, sim_id=sim.id, amount_kop=30000, request_key="req-000002")
    tab.goto(out.redirect_url)
    tab.locator("#fake-number").fill("4000 0000 0000 9995")
    tab.locator("#fake-exp").fill("12 / 34")
    tab.locator("#fake-cvc").fill("123")
    tab.locator("#fake-pay").click()
    expect(tab.locator("#fake-error")).to_have_text("Your card has insufficient funds.")
    tab.locator("#fake-back").click()
    expect(tab).to_have_url(f"{fake.url}/cabinet/topup/result?payment={out.payment_id}&back=1")
    back = topups.topup_result(sub, out.payment_id, abandoned=True)
    assert (back.status, back.decline_code, back.balance_kop) == (
        "failed",
        "insufficient_funds",
        0,
    )
