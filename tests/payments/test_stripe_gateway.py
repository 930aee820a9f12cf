"""StripeGateway on the real stripe SDK, against the local fake Stripe API (tests/payments/
fake_stripe.py): real requests, form-encoded bodies, Idempotency-Key headers, never the internet."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from paysim_app.payments.base import (
    CardToken,
    ChargeResult,
    GatewayError,
    GatewayRefund,
    WebhookRejected,
)
from paysim_app.payments.declines import DECLINE_CODES
from paysim_app.payments.stripe_gateway import StripeGateway
from tests.payments.fake_stripe import FakeStripe, make_event, sign_webhook, signed_event

WHSEC = "whsec_test_paysim_fake"


@pytest.fixture
def fake(fake_stripe_server: FakeStripe) -> FakeStripe:
    fake_stripe_server.reset()
    _FAKE[:] = [fake_stripe_server]
    return fake_stripe_server


@pytest.fixture
def gateway(fake: FakeStripe) -> StripeGateway:
    # no SDK retries here: a failure must surface at once (retries get their own test)
    return StripeGateway(
        secret_key=fake.api_key, webhook_secret=WHSEC, api_base=fake.url, max_network_retries=0
    )


def start(gateway: StripeGateway, mode: str = "setup", key: str = "setup:1:abcdefgh", **kw):
    params = dict(
        mode=mode,
        reference=key,
        customer="",
        success_url="https://paysim.example/cabinet/cards?setup=1",
        cancel_url="https://paysim.example/cabinet/cards?setup=1&back=1",
        idempotency_key=f"checkout:{key}",
        amount_kop=12_345 if mode == "payment" else None,
    )
    return gateway.start_checkout(**{**params, **kw})


def saved_card(gateway: StripeGateway, number: str) -> tuple[str, CardToken]:
    """A card saved as the subscriber saves one: on Stripe's hosted page (a setup session)."""
    customer = gateway.create_customer(reference=f"subscriber-{number}")
    page = start(gateway, customer=customer, key=f"setup:{number}:{time.monotonic_ns()}")
    fake = _FAKE[0]
    assert fake.pay_session(page.session_id, number, confirm=True) == "complete"
    card = gateway.checkout_result(page.session_id).card
    assert card is not None
    return customer, card


def on_file(fake: FakeStripe, number: str, customer: str | None = None) -> CardToken:
    """A card saved back when it still worked (most declining cards cannot be saved now)."""
    return CardToken(
        fake.card_on_file(number, customer), "visa", number[-4:], 12, 2031, customer or ""
    )


_FAKE: list[FakeStripe] = []


def pay(
    gateway: StripeGateway,
    token: CardToken,
    key: str,
    *,
    off_session: bool = True,
    amount_kop: int = 12_345,
) -> ChargeResult:
    return gateway.charge(
        amount_kop=amount_kop,
        token=token.token,
        customer=token.customer,
        idempotency_key=key,
        off_session=off_session,
        description="Top-up +7 900 000-00-00",
    )


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- the hosted page and saved cards ---------------------------------------------------------------
def test_a_card_saved_on_the_hosted_page_is_charged_off_session(
    gateway: StripeGateway, fake: FakeStripe
):
    assert gateway.name == "stripe"
    customer = gateway.create_customer(reference="u-42", email="anna@example.com")
    assert customer.startswith("cus_")
    created = fake.calls("POST", "/v1/customers")[0].params
    assert created == {"metadata": {"paysim_ref": "u-42"}, "email": "anna@example.com"}
    # asked again (a retry, a second page opened at once): the same customer
    assert gateway.create_customer(reference="u-42", email="anna@example.com") == customer
    assert len(fake.customers) == 1
    assert fake.calls("POST", "/v1/customers")[0].header("Idempotency-Key").startswith("customer:")

    page = start(gateway, customer=customer, locale="en")
    assert page.session_id.startswith("cs_test_")
    assert page.url == f"{fake.url}/pay/{page.session_id}"
    [request] = fake.calls("POST", "/v1/checkout/sessions")
    assert request.header("Idempotency-Key") == "checkout:setup:1:abcdefgh"
    params = dict(request.params)
    assert int(params.pop("expires_at")) == int(page.expires_at.timestamp())
    assert params == {
        "mode": "setup",
        "success_url": "https://paysim.example/cabinet/cards?setup=1",
        "cancel_url": "https://paysim.example/cabinet/cards?setup=1&back=1",
        "payment_method_types": ["card"],
        "client_reference_id": "setup:1:abcdefgh",
        "locale": "en",
        "customer": customer,
        "metadata": {"setup_key": "setup:1:abcdefgh"},
        "setup_intent_data": {"metadata": {"setup_key": "setup:1:abcdefgh"}},
        "currency": "rub",
    }
    opened = gateway.checkout_result(page.session_id)
    assert (opened.status, opened.mode, opened.card, opened.reference) == (
        "open",
        "setup",
        None,
        "setup:1:abcdefgh",
    )
    assert fake.pay_session(page.session_id, "4242 4242 4242 4242") == "complete"
    done = gateway.checkout_result(page.session_id)
    assert done.status == "complete"
    token = done.card
    assert token.token.startswith("pm_")
    assert (token.brand, token.last4, token.exp_month, token.exp_year, token.customer) == (
        "visa",
        "4242",
        12,
        2034,
        customer,
    )
    [read] = fake.calls("GET", f"/v1/checkout/sessions/{page.session_id}")[-1:]
    assert read.params == {
        "expand": ["payment_intent.payment_method", "setup_intent.payment_method"]
    }
    assert fake.payment_methods[token.token]["customer"] == customer

    result = pay(gateway, token, "pay-0001")
    assert result.status == "succeeded"
    assert result.decline_code is None
    assert result.gateway_ref and result.gateway_ref.startswith("pi_")
    [request] = fake.calls("POST", "/v1/payment_intents")
    assert request.header("Idempotency-Key") == "pay-0001"
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.header("Authorization") == f"Bearer {fake.api_key}"
    assert request.params == {
        "amount": "12345",
        "currency": "rub",
        "payment_method": token.token,
        "customer": customer,
        "confirm": "true",
        "off_session": "true",
        "payment_method_types": ["card"],
        "metadata": {"payment_key": "pay-0001"},
        "description": "Top-up +7 900 000-00-00",
    }
    assert fake.charge_count == 1
    # no card data ever went from PaySim to Stripe
    assert fake.calls("POST", "/v1/payment_methods") == []
    sent = json.dumps([r.params for r in fake.requests])
    assert "4242424242424242" not in sent and '"cvc"' not in sent and "card[" not in sent


def test_a_top_up_on_the_hosted_page(gateway: StripeGateway, fake: FakeStripe):
    page = start(gateway, "payment", key="topup:7:abcdefgh", description="PaySim payment 7")
    [request] = fake.calls("POST", "/v1/checkout/sessions")
    assert request.header("Idempotency-Key") == "checkout:topup:7:abcdefgh"
    assert request.params["mode"] == "payment"
    assert request.params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "rub",
                "unit_amount": "12345",
                "product_data": {"name": "PaySim payment 7"},
            },
        }
    ]
    assert request.params["metadata"] == {"payment_key": "topup:7:abcdefgh"}
    assert request.params["payment_intent_data"] == {
        "metadata": {"payment_key": "topup:7:abcdefgh"},
        "description": "PaySim payment 7",
    }
    assert "customer" not in request.params
    # a retried create (same key) is the same session
    assert start(gateway, "payment", key="topup:7:abcdefgh", description="PaySim payment 7") == page
    assert len(fake.checkout_sessions) == 1

    assert fake.pay_session(page.session_id, "5555555555554444") == "complete"
    result = gateway.checkout_result(page.session_id)
    assert (result.status, result.amount_kop, result.reference) == (
        "complete",
        12_345,
        "topup:7:abcdefgh",
    )
    assert (result.charge.status, result.card, result.card_last4, result.card_brand) == (
        "succeeded",
        None,  # not kept: no "save the card"
        "4444",
        "mastercard",
    )
    assert result.charge.gateway_ref in fake.payment_intents
    paid = gateway.parse_webhook(
        *signed_event(fake.event_for(result.charge.gateway_ref, "payment_intent.succeeded"), WHSEC)
    )
    assert (paid.kind, paid.payment_key, paid.amount_kop) == (
        "payment_succeeded",
        "topup:7:abcdefgh",
        12_345,
    )
    [completed] = [e for e in fake.events if e["type"] == "checkout.session.completed"]
    event = gateway.parse_webhook(*signed_event(completed, WHSEC))
    assert (event.kind, event.session_id, event.payment_key) == (
        "checkout_completed",
        page.session_id,
        "topup:7:abcdefgh",
    )


def test_a_top_up_that_saves_the_card(gateway: StripeGateway, fake: FakeStripe):
    customer = gateway.create_customer(reference="u-1")
    page = start(gateway, "payment", key="topup:8:abcdefgh", customer=customer, save_card=True)
    params = fake.calls("POST", "/v1/checkout/sessions")[0].params
    assert params["payment_intent_data"]["setup_future_usage"] == "off_session"
    assert params["customer"] == customer
    assert fake.pay_session(page.session_id, "4000002500003155", confirm=True) == "complete"
    result = gateway.checkout_result(page.session_id)
    assert result.charge.status == "succeeded"
    assert (result.card.last4, result.card.customer) == ("3155", customer)
    # set up for off-session use: autopay charges it without asking the bank again
    assert pay(gateway, result.card, "autopay-3155").status == "succeeded"
    # on-session, the bank wants 3-D Secure again: the payment goes to the hosted page
    assert pay(gateway, result.card, "manual-3155", off_session=False).status == "requires_action"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000069", "expired_card"),
        ("4000000000000127", "incorrect_cvc"),
        ("4242424242424241", "incorrect_number"),  # fails the Luhn check
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000341", "card_declined"),
    ],
)
def test_a_decline_on_the_hosted_page_keeps_it_open(gateway: StripeGateway, fake, number, code):
    page = start(gateway, "payment", key=f"topup:{number}")
    fake.pay_session(page.session_id, number)
    result = gateway.checkout_result(page.session_id)
    assert (result.status, result.charge.status, result.charge.decline_code) == (
        "open",
        "failed",
        code,
    )
    # the payer gives up: the page is closed at Stripe and says so
    closed = gateway.expire_checkout(page.session_id)
    assert (closed.status, closed.charge.decline_code) == ("expired", code)
    assert fake.calls("POST", f"/v1/checkout/sessions/{page.session_id}/expire")
    [expired] = [e for e in fake.events if e["type"] == "checkout.session.expired"]
    assert gateway.parse_webhook(*signed_event(expired, WHSEC)).kind == "checkout_expired"
    # closing it again is answered by Stripe with an error, read as "it is what it is"
    assert gateway.expire_checkout(page.session_id).status == "expired"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000009987", "lost_card"),
        ("4000000000009979", "stolen_card"),
        ("4100000000000019", "fraudulent"),
        ("4000000000000119", "processing_error"),
    ],
)
def test_a_card_the_bank_refuses_to_save(gateway: StripeGateway, fake: FakeStripe, number, code):
    customer = gateway.create_customer(reference="r")
    page = start(gateway, customer=customer)
    assert fake.pay_session(page.session_id, number) == code.replace(
        "card_declined", "generic_decline"
    )
    result = gateway.checkout_result(page.session_id)
    assert (result.status, result.card) == ("open", None)
    assert all(m["customer"] is None for m in fake.payment_methods.values())


def test_a_paid_session_cannot_be_expired(gateway: StripeGateway, fake: FakeStripe):
    page = start(gateway, "payment", key="topup:9:abcdefgh")
    fake.pay_session(page.session_id, "4242424242424242")
    assert gateway.expire_checkout(page.session_id).status == "complete"


def test_the_hosted_page_needs_stripe(fake: FakeStripe):
    down = StripeGateway(
        secret_key="sk_test_x", webhook_secret=WHSEC, api_base=closed_port_url(),
        max_network_retries=0,
    )  # fmt: skip
    for call in (
        lambda: start(down),
        lambda: down.checkout_result("cs_test_x"),
        lambda: down.expire_checkout("cs_test_x"),
    ):
        with pytest.raises(GatewayError):
            call()


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", "card_declined"),  # generic_decline
        ("4000000000009995", "insufficient_funds"),
        ("4000000000009987", "lost_card"),
        ("4100000000000019", "fraudulent"),
        ("4000000000000119", "processing_error"),
        ("4000000000006975", "limit_exceeded"),  # card_velocity_exceeded
        ("4000000000000341", "card_declined"),  # attaches fine, declines every charge
    ],
)
def test_declines_map_to_our_codes(gateway: StripeGateway, fake: FakeStripe, number, code):
    token = on_file(fake, number)
    result = gateway.charge(
        amount_kop=5_000,
        token=token.token,
        customer="",
        idempotency_key=f"pay-{number}",
        off_session=False,
    )
    assert result.status == "failed"
    assert result.decline_code == code
    assert code in DECLINE_CODES
    # the failed PaymentIntent from the 402 body is our reference
    assert result.gateway_ref in fake.payment_intents
    assert fake.payment_intents[result.gateway_ref]["status"] == "requires_payment_method"
    assert fake.charge_count == 1


def test_a_card_that_dies_after_being_saved(gateway: StripeGateway):
    _, token = saved_card(gateway, "4000000000000341")
    assert token.customer.startswith("cus_")
    assert pay(gateway, token, "autopay-1").decline_code == "card_declined"


def test_3ds_card_asks_on_session_and_fails_off_session(gateway: StripeGateway):
    _, token = saved_card(gateway, "4000002760003184")
    manual = pay(gateway, token, "manual-1", off_session=False)
    assert (manual.status, manual.decline_code) == ("requires_action", None)
    autopay = pay(gateway, token, "autopay-1", off_session=True)
    assert (autopay.status, autopay.decline_code) == ("failed", "authentication_required")
    assert autopay.gateway_ref and autopay.gateway_ref.startswith("pi_")


def test_forget_card_detaches_and_swallows_errors(
    gateway: StripeGateway, fake: FakeStripe, caplog: pytest.LogCaptureFixture
):
    _, token = saved_card(gateway, "4242424242424242")
    gateway.forget_card(token.token)
    assert fake.calls("POST", f"/v1/payment_methods/{token.token}/detach")
    assert fake.payment_methods[token.token]["customer"] is None
    with caplog.at_level(logging.WARNING, logger="paysim_app.payments.stripe_gateway"):
        gateway.forget_card(token.token)  # already detached: Stripe says 400
        gateway.forget_card("pm_does_not_exist")  # 404
    assert caplog.text.count("could not detach") == 2
    # a forgotten card cannot be charged again
    result = gateway.charge(
        amount_kop=100, token=token.token, customer="", idempotency_key="late", off_session=True
    )
    assert result.status == "failed"
    assert fake.charge_count == 0


def test_no_card_data_path_is_left(gateway: StripeGateway):
    import paysim_app.payments.stripe_gateway as module

    for gone in ("tokenize", "save_card"):
        assert not hasattr(gateway, gone)
    assert not hasattr(module, "_RedactCardData")


# -- idempotency, failures, reconciliation -------------------------------------------------------
def test_repeat_charge_with_the_same_key_charges_once(gateway: StripeGateway, fake: FakeStripe):
    _, token = saved_card(gateway, "4242424242424242")
    first = pay(gateway, token, "pay-same")
    again = pay(gateway, token, "pay-same")
    assert again == first
    assert fake.charge_count == 1
    assert len(fake.payment_intents) == 1
    requests = fake.calls("POST", "/v1/payment_intents")
    assert [r.header("Idempotency-Key") for r in requests] == ["pay-same", "pay-same"]

    other = pay(gateway, token, "pay-other")
    assert other.gateway_ref != first.gateway_ref
    assert fake.charge_count == 2


def test_a_repeated_decline_is_replayed_not_retried(gateway: StripeGateway, fake: FakeStripe):
    token = on_file(fake, "4000000000009995")
    kwargs = dict(
        amount_kop=700,
        token=token.token,
        customer="",
        idempotency_key="pay-poor",
        off_session=False,
    )
    first = gateway.charge(**kwargs)
    assert gateway.charge(**kwargs) == first
    assert first.decline_code == "insufficient_funds"
    assert fake.charge_count == 1


def test_the_same_key_with_another_amount_is_an_error(gateway: StripeGateway, fake: FakeStripe):
    _, token = saved_card(gateway, "4242424242424242")
    pay(gateway, token, "pay-k", amount_kop=100)
    with pytest.raises(GatewayError, match="IdempotencyError"):
        pay(gateway, token, "pay-k", amount_kop=200)
    assert fake.charge_count == 1


def test_a_lost_response_is_reconciled(gateway: StripeGateway, fake: FakeStripe):
    """Stripe charged, the answer never arrived: the outcome is unknown (GatewayError); lookup by
    key finds the charge, and repeating it with the same key returns it without a second one."""
    _, token = saved_card(gateway, "4242424242424242")
    fake.drop_next_response()
    with pytest.raises(GatewayError):
        pay(gateway, token, "pay-lost")
    assert fake.charge_count == 1

    found = gateway.lookup(idempotency_key="pay-lost", gateway_ref=None)
    assert found is not None and found.status == "succeeded"
    search = fake.calls("GET", "/v1/payment_intents/search")[0].params
    assert search["query"] == "metadata['payment_key']:'pay-lost'"

    repeated = pay(gateway, token, "pay-lost")
    assert repeated == found
    assert fake.charge_count == 1


def test_the_sdk_retries_a_lost_response_with_the_same_key(
    fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
):
    import stripe

    monkeypatch.setattr(stripe.RequestsClient, "_sleep_time_seconds", lambda self, n: 0)
    gateway = StripeGateway(secret_key=fake.api_key, webhook_secret=WHSEC, api_base=fake.url)
    _, token = saved_card(gateway, "4242424242424242")
    fake.drop_next_response()
    result = pay(gateway, token, "pay-retried")
    assert result.status == "succeeded"
    assert fake.charge_count == 1
    keys = [r.header("Idempotency-Key") for r in fake.calls("POST", "/v1/payment_intents")]
    assert keys == ["pay-retried", "pay-retried"]


def test_connection_failure_raises_gateway_error():
    gateway = StripeGateway(
        secret_key="sk_test_x",
        webhook_secret=WHSEC,
        api_base=closed_port_url(),
        max_network_retries=0,
    )
    started = time.monotonic()
    with pytest.raises(GatewayError):
        gateway.charge(
            amount_kop=100, token="pm_x", customer="cus_x", idempotency_key="k", off_session=True
        )
    for call in (
        lambda: gateway.lookup(idempotency_key="k", gateway_ref="pi_x"),
        lambda: gateway.refund(gateway_ref="pi_x", amount_kop=100, idempotency_key="r"),
        lambda: gateway.create_customer(reference="r"),
    ):
        with pytest.raises(GatewayError):
            call()
    gateway.forget_card("pm_x")  # best effort: no exception
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("status", "type_"),
    [
        (500, "api_error"),
        (503, "api_error"),
        (429, "rate_limit_error"),
        (401, "invalid_request_error"),
    ],
)
def test_server_errors_leave_the_outcome_unknown(
    gateway: StripeGateway, fake: FakeStripe, status: int, type_: str
):
    _, token = saved_card(gateway, "4242424242424242")
    fake.fail_next(status, type_)
    with pytest.raises(GatewayError):
        pay(gateway, token, f"pay-{status}")
    assert fake.charge_count == 0


def test_a_wrong_secret_key_is_a_gateway_error(fake: FakeStripe):
    gateway = StripeGateway(secret_key="sk_test_wrong", api_base=fake.url, max_network_retries=0)
    with pytest.raises(GatewayError, match="AuthenticationError"):
        gateway.charge(
            amount_kop=1, token="pm_x", customer="", idempotency_key="k", off_session=False
        )


def test_a_secret_key_is_required():
    with pytest.raises(ValueError):
        StripeGateway(secret_key="", webhook_secret=WHSEC)


def test_lookup(gateway: StripeGateway, fake: FakeStripe):
    _, token = saved_card(gateway, "4242424242424242")
    paid = pay(gateway, token, "pay-ok")
    assert gateway.lookup(idempotency_key="pay-ok", gateway_ref=paid.gateway_ref) == paid
    assert gateway.lookup(idempotency_key="pay-ok", gateway_ref=None) == paid

    poor = on_file(fake, "4000000000009995")
    declined = gateway.charge(
        amount_kop=1, token=poor.token, customer="", idempotency_key="pay-poor", off_session=False
    )
    assert gateway.lookup(idempotency_key="pay-poor", gateway_ref=declined.gateway_ref) == declined
    assert declined == ChargeResult("failed", declined.gateway_ref, "insufficient_funds")

    assert gateway.lookup(idempotency_key="never-seen", gateway_ref=None) is None
    assert gateway.lookup(idempotency_key="never-seen", gateway_ref="pi_unknown") is None
    # a key with a quote cannot break out of the search string
    assert gateway.lookup(idempotency_key="x' OR status:'succeeded", gateway_ref=None) is None


def test_lookup_maps_every_intent_status(gateway: StripeGateway, fake: FakeStripe):
    _, token = saved_card(gateway, "4242424242424242")
    ref = pay(gateway, token, "pay-s").gateway_ref
    intent = fake.payment_intents[ref]
    expected = {
        "processing": ChargeResult("pending", ref),
        "requires_action": ChargeResult("failed", ref, "authentication_required"),
        "requires_payment_method": ChargeResult("failed", ref, "card_declined"),
        "canceled": ChargeResult("failed", ref, "card_declined"),
        "succeeded": ChargeResult("succeeded", ref),
    }
    for status, result in expected.items():
        intent["status"] = status
        assert gateway.lookup(idempotency_key="pay-s", gateway_ref=ref) == result, status
    intent["status"] = "requires_payment_method"
    intent["last_payment_error"] = {"type": "card_error", "code": "expired_card"}
    assert gateway.lookup(idempotency_key="pay-s", gateway_ref=ref).decline_code == "expired_card"


def test_refund(gateway: StripeGateway, fake: FakeStripe):
    _, token = saved_card(gateway, "4242424242424242")
    ref = pay(gateway, token, "pay-r", amount_kop=10_000).gateway_ref
    part = gateway.refund(gateway_ref=ref, amount_kop=4_000, idempotency_key="refund-1")
    assert part.status == "succeeded"
    assert part.gateway_ref and part.gateway_ref.startswith("re_")
    [request] = fake.calls("POST", "/v1/refunds")
    assert request.params == {"payment_intent": ref, "amount": "4000"}
    assert request.header("Idempotency-Key") == "refund-1"

    # the same key again: the same refund, not a second one
    assert gateway.refund(gateway_ref=ref, amount_kop=4_000, idempotency_key="refund-1") == part
    assert len(fake.refunds) == 1

    rest = gateway.refund(gateway_ref=ref, amount_kop=6_000, idempotency_key="refund-2")
    assert rest.status == "succeeded" and rest.gateway_ref != part.gateway_ref
    too_much = gateway.refund(gateway_ref=ref, amount_kop=1, idempotency_key="refund-3")
    assert too_much.status == "failed" and too_much.decline_code in DECLINE_CODES
    assert fake.charges[fake.payment_intents[ref]["latest_charge"]]["refunded"] is True


# -- webhooks ------------------------------------------------------------------------------------
def test_webhook_payment_succeeded(gateway: StripeGateway, fake: FakeStripe):
    _, token = saved_card(gateway, "4242424242424242")
    ref = pay(gateway, token, "pay-wh").gateway_ref
    event = fake.event_for(ref, "payment_intent.succeeded")
    payload, signature = signed_event(event, WHSEC)

    parsed = gateway.parse_webhook(payload, signature)
    assert parsed.event_id == event["id"] and parsed.event_id.startswith("evt_")
    assert parsed.kind == "payment_succeeded"
    assert parsed.raw_type == "payment_intent.succeeded"
    assert parsed.gateway_ref == ref
    assert parsed.payment_key == "pay-wh"
    assert parsed.decline_code is None
    assert parsed.extra == {"amount": 12_345, "amount_received": 12_345, "currency": "rub"}

    # Stripe delivers at least once: the same event again (same bytes, or re-signed on retry)
    assert gateway.parse_webhook(payload, signature) == parsed
    assert gateway.parse_webhook(payload, sign_webhook(payload, WHSEC)) == parsed


def test_webhook_payment_failed_and_refunded(gateway: StripeGateway, fake: FakeStripe):
    _, token = saved_card(gateway, "4000002760003184")
    failed_ref = pay(gateway, token, "pay-3ds").gateway_ref
    _, token = saved_card(gateway, "4242424242424242")
    failed = gateway.parse_webhook(
        *signed_event(fake.event_for(failed_ref, "payment_intent.payment_failed"), WHSEC)
    )
    assert (failed.kind, failed.gateway_ref, failed.payment_key, failed.decline_code) == (
        "payment_failed",
        failed_ref,
        "pay-3ds",
        "authentication_required",
    )

    ref = pay(gateway, token, "pay-ok", off_session=False).gateway_ref
    gateway.refund(gateway_ref=ref, amount_kop=100, idempotency_key="refund-wh")
    refunded = gateway.parse_webhook(*signed_event(fake.event_for(ref, "charge.refunded"), WHSEC))
    assert (refunded.kind, refunded.gateway_ref, refunded.payment_key) == (
        "refunded",
        ref,
        "pay-ok",
    )
    assert refunded.extra["amount_refunded"] == 100


def test_webhook_partial_refund_carries_its_amount_and_id(gateway: StripeGateway, fake: FakeStripe):
    _, token = saved_card(gateway, "4242424242424242")
    ref = pay(gateway, token, "pay-part", amount_kop=10_000).gateway_ref
    first = gateway.refund(gateway_ref=ref, amount_kop=4_000, idempotency_key="part-1")
    gateway.refund(gateway_ref=ref, amount_kop=1_500, idempotency_key="part-2")
    # charge.refunded: the charge, its running total (this API version lists no refunds)
    total = gateway.parse_webhook(*signed_event(fake.event_for(ref, "charge.refunded"), WHSEC))
    assert (total.kind, total.gateway_ref, total.payment_key) == ("refunded", ref, "pay-part")
    assert (total.refunded_total_kop, total.refunds) == (5_500, ())
    # refund.created: one refund, its id and its own amount (found by the PaymentIntent)
    created = [e for e in fake.events if e["type"] == "refund.created"]
    one = gateway.parse_webhook(*signed_event(created[0], WHSEC))
    assert (one.kind, one.raw_type, one.gateway_ref) == ("refunded", "refund.created", ref)
    assert one.refunds == (GatewayRefund(first.gateway_ref, 4_000),)
    assert one.refunded_total_kop is None


def test_webhook_refund_shapes(gateway: StripeGateway):
    listed = {
        "id": "ch_1",
        "object": "charge",
        "amount": 10_000,
        "amount_refunded": 3_000,
        "payment_intent": "pi_1",
        "metadata": {"payment_key": "k"},
        # older API versions list the charge's refunds; a failed one gave nothing back
        "refunds": {
            "object": "list",
            "data": [
                {"id": "re_a", "object": "refund", "amount": 2_000, "status": "succeeded"},
                {"id": "re_b", "object": "refund", "amount": 1_000, "status": "pending"},
                {"id": "re_c", "object": "refund", "amount": 500, "status": "failed"},
            ],
        },
    }
    parsed = gateway.parse_webhook(*signed_event(make_event("charge.refunded", listed), WHSEC))
    assert parsed.refunds == (GatewayRefund("re_a", 2_000), GatewayRefund("re_b", 1_000))
    assert parsed.refunded_total_kop == 3_000
    refund = {"id": "re_x", "object": "refund", "amount": 700, "payment_intent": "pi_1"}
    for type_ in ("refund.updated", "charge.refund.updated"):
        ok = gateway.parse_webhook(
            *signed_event(make_event(type_, {**refund, "status": "succeeded"}), WHSEC)
        )
        assert (ok.kind, ok.refunds) == ("refunded", (GatewayRefund("re_x", 700),))
    for status in ("failed", "canceled"):
        failed = gateway.parse_webhook(
            *signed_event(make_event("refund.failed", {**refund, "status": status}), WHSEC)
        )
        assert (failed.kind, failed.refunds) == ("other", ())
        updated = gateway.parse_webhook(
            *signed_event(make_event("refund.updated", {**refund, "status": status}), WHSEC)
        )
        assert (updated.kind, updated.refunds) == ("other", ())


@pytest.mark.parametrize(
    ("type_", "obj"),
    [
        ("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"}),
        ("charge.refunded", {"id": "ch_1", "amount_refunded": "100", "payment_intent": "pi_1"}),
        ("refund.created", {"id": "re_1", "object": "refund", "payment_intent": "pi_1"}),
        ("refund.created", {"id": "re_1", "amount": -5, "payment_intent": "pi_1"}),
        ("refund.created", {"amount": 100, "payment_intent": "pi_1"}),
    ],
    ids=["charge-no-amount", "charge-amount-text", "refund-no-amount", "refund-negative", "no-id"],
)
def test_a_refund_event_without_a_readable_amount_is_rejected(gateway, type_, obj):
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(*signed_event(make_event(type_, obj), WHSEC))


def test_other_webhooks_are_kind_other(gateway: StripeGateway):
    event = make_event("customer.created", {"id": "cus_1", "object": "customer", "metadata": {}})
    parsed = gateway.parse_webhook(*signed_event(event, WHSEC))
    assert (parsed.kind, parsed.raw_type, parsed.gateway_ref) == (
        "other",
        "customer.created",
        "cus_1",
    )


def _succeeded_event() -> bytes:
    intent = {
        "id": "pi_1",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 100,
        "currency": "rub",
        "metadata": {"payment_key": "pay-1"},
    }
    return json.dumps(make_event("payment_intent.succeeded", intent)).encode()


@pytest.mark.parametrize(
    "make_signature",
    [
        lambda payload: "",
        lambda payload: sign_webhook(payload, "whsec_someone_else"),
        lambda payload: sign_webhook(payload, WHSEC).replace("v1=", "v0="),
        lambda payload: "t=abc,v1=" + "0" * 64,
        lambda payload: sign_webhook(payload, WHSEC, timestamp=int(time.time()) - 3600),
        lambda payload: sign_webhook(payload + b" ", WHSEC),
    ],
    ids=["missing", "other-secret", "other-scheme", "garbage", "stale", "other-body"],
)
def test_webhook_with_a_bad_signature_is_rejected(gateway: StripeGateway, make_signature):
    payload = _succeeded_event()
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(payload, make_signature(payload))


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b"{}",
        b'{"id": "evt_1", "object": "event"}',
        b'{"id": "evt_1", "object": "event", "type": "x", "data": {"object": "nope"}}',
    ],
    ids=["not-json", "not-utf8", "list", "empty", "no-type", "no-object"],
)
def test_malformed_webhook_body_is_rejected(gateway: StripeGateway, payload: bytes):
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(payload, sign_webhook(payload, WHSEC))


def test_webhooks_need_a_webhook_secret(fake: FakeStripe):
    gateway = StripeGateway(secret_key=fake.api_key, webhook_secret="", api_base=fake.url)
    payload = _succeeded_event()
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(payload, sign_webhook(payload, ""))


# -- wiring --------------------------------------------------------------------------------------
def test_get_gateway_builds_the_stripe_gateway_from_settings(
    fake: FakeStripe, monkeypatch: pytest.MonkeyPatch
):
    from paysim_app.payments import get_gateway
    from paysim_app.settings import get_settings

    monkeypatch.setenv("PAYSIM_GATEWAY", "stripe")
    monkeypatch.setenv("STRIPE_SECRET_KEY", fake.api_key)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WHSEC)
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    get_settings.cache_clear()
    get_gateway.cache_clear()
    try:
        gateway = get_gateway()
        assert isinstance(gateway, StripeGateway)
        assert gateway.create_customer(reference="wired").startswith("cus_")
        assert fake.calls("POST", "/v1/customers")
    finally:
        get_settings.cache_clear()
        get_gateway.cache_clear()
