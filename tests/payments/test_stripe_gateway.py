"""StripeGateway on the real stripe SDK, against the local fake Stripe API (tests/payments/
fake_stripe.py): real requests, form-encoded bodies, Idempotency-Key headers, never the internet."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator

import pytest

from paysim_app.payments.base import (
    CardInput,
    CardRejected,
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


@pytest.fixture(scope="module")
def server() -> Iterator[FakeStripe]:
    with pytest.MonkeyPatch.context() as mp:
        # requests honours *_PROXY variables; 127.0.0.1 must never go through a proxy
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        with FakeStripe() as fake:
            yield fake


@pytest.fixture
def fake(server: FakeStripe) -> FakeStripe:
    server.reset()
    return server


@pytest.fixture
def gateway(fake: FakeStripe) -> StripeGateway:
    # no SDK retries here: a failure must surface at once (retries get their own test)
    return StripeGateway(
        secret_key=fake.api_key, webhook_secret=WHSEC, api_base=fake.url, max_network_retries=0
    )


def card(number: str, cvc: str = "314", exp_year: int = 2031) -> CardInput:
    return CardInput(number=number, exp_month=12, exp_year=exp_year, cvc=cvc)


def saved_card(gateway: StripeGateway, number: str) -> tuple[str, CardToken]:
    customer = gateway.create_customer(reference=f"subscriber-{number}")
    return customer, gateway.save_card(gateway.tokenize(card(number)), customer=customer)


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


# -- cards ---------------------------------------------------------------------------------------
def test_tokenize_save_and_charge_a_good_card(gateway: StripeGateway, fake: FakeStripe):
    assert gateway.name == "stripe"
    customer = gateway.create_customer(reference="u-42", email="anna@example.com")
    assert customer.startswith("cus_")
    created = fake.calls("POST", "/v1/customers")[0].params
    assert created == {"metadata": {"paysim_ref": "u-42"}, "email": "anna@example.com"}

    token = gateway.tokenize(card("4242424242424242"))
    assert token.token.startswith("pm_")
    assert (token.brand, token.last4, token.exp_month, token.exp_year) == ("visa", "4242", 12, 2031)
    assert token.customer == ""
    sent = fake.calls("POST", "/v1/payment_methods")[0].params
    assert sent == {
        "type": "card",
        "card": {"number": "4242424242424242", "exp_month": "12", "exp_year": "2031", "cvc": "314"},
    }

    saved = gateway.save_card(token, customer=customer)
    assert saved == CardToken(token.token, "visa", "4242", 12, 2031, customer=customer)
    setup = fake.calls("POST", "/v1/setup_intents")[0].params
    assert setup == {
        "customer": customer,
        "payment_method": token.token,
        "usage": "off_session",
        "confirm": "true",
        "payment_method_types": ["card"],
    }
    assert fake.payment_methods[token.token]["customer"] == customer

    result = pay(gateway, saved, "pay-0001")
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
    intent = fake.payment_intents[result.gateway_ref]
    assert (intent["status"], intent["amount_received"], intent["currency"]) == (
        "succeeded",
        12_345,
        "rub",
    )
    assert fake.charge_count == 1


def test_a_one_time_on_session_charge_needs_no_customer(gateway: StripeGateway, fake: FakeStripe):
    token = gateway.tokenize(card("5555555555554444"))
    assert token.brand == "mastercard"
    result = gateway.charge(
        amount_kop=100, token=token.token, customer="", idempotency_key="once", off_session=False
    )
    assert result.status == "succeeded"
    params = fake.calls("POST", "/v1/payment_intents")[0].params
    assert "customer" not in params and "description" not in params
    assert params["off_session"] == "false"


@pytest.mark.parametrize(
    ("number", "cvc", "exp_year", "code"),
    [
        ("4000000000000069", "314", 2031, "expired_card"),
        ("4000000000000127", "314", 2031, "incorrect_cvc"),
        ("4242424242424241", "314", 2031, "incorrect_number"),  # fails the Luhn check
        ("4242424242424242", "314", 2020, "expired_card"),  # invalid_expiry_year
    ],
)
def test_tokenize_rejections(gateway: StripeGateway, number, cvc, exp_year, code):
    with pytest.raises(CardRejected) as rejected:
        gateway.tokenize(card(number, cvc, exp_year))
    assert rejected.value.decline_code == code
    assert number not in str(rejected.value) and number not in repr(rejected.value)


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
def test_save_card_rejections(gateway: StripeGateway, fake: FakeStripe, number, code):
    customer = gateway.create_customer(reference="r")
    token = gateway.tokenize(card(number))
    with pytest.raises(CardRejected) as rejected:
        gateway.save_card(token, customer=customer)
    assert rejected.value.decline_code == code
    assert fake.payment_methods[token.token]["customer"] is None


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
    token = gateway.tokenize(card(number))
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


def test_3ds_card_succeeds_on_session_and_fails_off_session(gateway: StripeGateway):
    _, token = saved_card(gateway, "4000002760003184")
    assert pay(gateway, token, "manual-1", off_session=False).status == "succeeded"
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


def test_card_data_never_reaches_the_log(gateway: StripeGateway, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG, logger="stripe")
    gateway.tokenize(card("4000056655665556", cvc="951"))
    with pytest.raises(CardRejected):
        gateway.tokenize(card("4000000000000127", cvc="951"))
    assert "Post details" in caplog.text  # the SDK did log the request bodies...
    assert "card[cvc]=[redacted]" in caplog.text
    for secret in ("4000056655665556", "4000000000000127", "cvc]=951"):
        assert secret not in caplog.text  # ...without the number or CVC


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
    token = gateway.tokenize(card("4000000000009995"))
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
    # the card form promises CardRejected: "processing_error" reads as "try again later"
    for call in (
        lambda: gateway.tokenize(card("4242424242424242")),
        lambda: gateway.save_card(CardToken("pm_x", "visa", "4242", 12, 2031), customer="cus_x"),
    ):
        with pytest.raises(CardRejected) as rejected:
            call()
        assert rejected.value.decline_code == "processing_error"
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

    poor = gateway.tokenize(card("4000000000009995"))
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
