"""The embedded SandboxGateway: Stripe's test cards and decline codes without keys or network."""

from __future__ import annotations

import json

import pytest

from paysim_app.payments.base import (
    CardInput,
    CardRejected,
    ChargeResult,
    GatewayEvent,
    GatewayRefund,
    WebhookRejected,
)
from paysim_app.payments.declines import DECLINE_CODES
from paysim_app.payments.sandbox import TEST_CARDS, SandboxGateway

SECRET = "whsec_test_sandbox"
OK = "succeeded"

# number -> (rejected by tokenize, rejected by save_card, charge on-session, charge off-session);
# a charge is (status, decline_code) and is made with the token whether or not it was saved.
EXPECTED: dict[str, tuple[str | None, str | None, tuple, tuple]] = {
    "4242424242424242": (None, None, (OK, None), (OK, None)),
    "4000056655665556": (None, None, (OK, None), (OK, None)),
    "5555555555554444": (None, None, (OK, None), (OK, None)),
    "2223003122003222": (None, None, (OK, None), (OK, None)),
    "5200828282828210": (None, None, (OK, None), (OK, None)),
    "2200000000000004": (None, None, (OK, None), (OK, None)),
    "4000000000000002": (
        None,
        "card_declined",
        ("failed", "card_declined"),
        ("failed", "card_declined"),
    ),
    "4000000000009995": (
        None,
        "insufficient_funds",
        ("failed", "insufficient_funds"),
        ("failed", "insufficient_funds"),
    ),
    "4000000000009987": (None, "lost_card", ("failed", "lost_card"), ("failed", "lost_card")),
    "4000000000009979": (None, "stolen_card", ("failed", "stolen_card"), ("failed", "stolen_card")),
    "4000000000000069": ("expired_card", None, None, None),
    "4000000000000127": ("incorrect_cvc", None, None, None),
    "4000000000000119": (
        None,
        "processing_error",
        ("failed", "processing_error"),
        ("failed", "processing_error"),
    ),
    "4100000000000019": (None, "fraudulent", ("failed", "fraudulent"), ("failed", "fraudulent")),
    "4000000000006975": (None, None, ("failed", "limit_exceeded"), ("failed", "limit_exceeded")),
    "4000002760003184": (None, None, (OK, None), ("failed", "authentication_required")),
    "4000000000000341": (None, None, ("failed", "card_declined"), ("failed", "card_declined")),
}


@pytest.fixture
def gateway() -> SandboxGateway:
    return SandboxGateway(webhook_secret=SECRET)


def card(number: str, cvc: str = "314") -> CardInput:
    return CardInput(number=number, exp_month=12, exp_year=2031, cvc=cvc)


def test_every_sandbox_test_card_has_an_expectation():
    assert set(EXPECTED) == set(TEST_CARDS)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_test_card_outcomes(gateway: SandboxGateway, number: str):
    tokenize_error, save_error, on_session, off_session = EXPECTED[number]
    if tokenize_error:
        with pytest.raises(CardRejected) as rejected:
            gateway.tokenize(card(number))
        assert rejected.value.decline_code == tokenize_error
        return

    token = gateway.tokenize(card(number))
    assert token.token.startswith("pm_sb_")
    assert token.last4 == number[-4:]
    assert (token.exp_month, token.exp_year) == (12, 2031)
    assert number not in token.token

    customer = gateway.create_customer(reference="subscriber-1")
    if save_error:
        with pytest.raises(CardRejected) as rejected:
            gateway.save_card(token, customer=customer)
        assert rejected.value.decline_code == save_error
    else:
        saved = gateway.save_card(token, customer=customer)
        assert saved.customer == customer
        assert saved.token == token.token

    for off, (status, code) in ((False, on_session), (True, off_session)):
        result = gateway.charge(
            amount_kop=10_000,
            token=token.token,
            customer=customer,
            idempotency_key=f"pay-{number}-{off}",
            off_session=off,
        )
        assert (result.status, result.decline_code) == (status, code), f"off_session={off}"
        assert result.gateway_ref and result.gateway_ref.startswith("pi_sb_")
        assert code is None or code in DECLINE_CODES


def test_brands(gateway: SandboxGateway):
    brands = {
        n: gateway.tokenize(card(n)).brand
        for n in ("4242424242424242", "5555555555554444", "2223003122003222", "2200000000000004")
    }
    assert brands == {
        "4242424242424242": "visa",
        "5555555555554444": "mastercard",
        "2223003122003222": "mastercard",
        "2200000000000004": "mir",
    }


def test_repeat_charge_with_the_same_key_returns_the_same_result(gateway: SandboxGateway):
    for number in ("4242424242424242", "4000000000009995"):
        token = gateway.tokenize(card(number)).token
        kwargs = dict(amount_kop=5_000, token=token, customer="", off_session=False)
        first = gateway.charge(idempotency_key=f"key-{number}", **kwargs)
        again = gateway.charge(idempotency_key=f"key-{number}", **kwargs)
        other = gateway.charge(idempotency_key=f"other-{number}", **kwargs)
        assert again == first
        assert other.status == first.status
        assert other.gateway_ref != first.gateway_ref


def test_sandbox_is_a_pure_function_of_its_inputs():
    """Two processes (two instances) agree: the outcome rides in the token, the ref in the key."""
    a, b = SandboxGateway(SECRET), SandboxGateway(SECRET)
    token = a.tokenize(card("4000002760003184")).token
    kwargs = dict(amount_kop=100, token=token, customer="c", idempotency_key="k", off_session=True)
    assert (
        a.charge(**kwargs)
        == b.charge(**kwargs)
        == ChargeResult("failed", a.charge(**kwargs).gateway_ref, "authentication_required")
    )
    assert a.create_customer(reference="r") == b.create_customer(reference="r")
    assert a.refund(gateway_ref="pi", amount_kop=1, idempotency_key="r") == b.refund(
        gateway_ref="pi", amount_kop=1, idempotency_key="r"
    )


def test_lookup_refund_and_forget(gateway: SandboxGateway):
    assert gateway.lookup(idempotency_key="k", gateway_ref=None) is None
    refund = gateway.refund(gateway_ref="pi_sb_x", amount_kop=500, idempotency_key="refund-1")
    assert refund.status == "succeeded"
    assert refund.gateway_ref and refund.gateway_ref.startswith("re_sb_")
    assert gateway.forget_card("pm_sb_00abc") is None


def test_card_input_repr_hides_number_and_cvc():
    secret = CardInput(number="4000002760003184", exp_month=3, exp_year=2030, cvc="987")
    for text in (repr(secret), str(secret), f"{secret!r}", repr([secret])):
        assert "4000002760003184" not in text
        assert "400000276000" not in text
        assert "987" not in text
        assert "3184" in text
    assert repr(secret) == "CardInput(****3184, 03/2030)"


def _event(**body) -> bytes:
    return json.dumps({"id": "evt_1", "kind": "payment_succeeded", **body}).encode()


def test_webhook_sign_and_parse(gateway: SandboxGateway):
    payload = _event(gateway_ref="pi_sb_1", payment_key="pay-1")
    event = gateway.parse_webhook(payload, gateway.sign(payload))
    assert event == GatewayEvent(
        event_id="evt_1",
        kind="payment_succeeded",
        gateway_ref="pi_sb_1",
        payment_key="pay-1",
        raw_type="payment_succeeded",
    )
    failed = _event(kind="payment_failed", decline_code="insufficient_funds")
    assert gateway.parse_webhook(failed, gateway.sign(failed)).decline_code == "insufficient_funds"
    # a duplicate delivery parses to the same event (applying it once is the domain's job)
    assert gateway.parse_webhook(payload, gateway.sign(payload)) == event


@pytest.mark.parametrize(
    "signature",
    ["", "0" * 64, "not-hex", SandboxGateway("whsec_other").sign(_event())],
    ids=["missing", "zeros", "garbage", "other-secret"],
)
def test_webhook_with_a_bad_signature_is_rejected(gateway: SandboxGateway, signature: str):
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(_event(), signature)


def test_tampered_webhook_is_rejected(gateway: SandboxGateway):
    signature = gateway.sign(_event(payment_key="pay-1"))
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(_event(payment_key="pay-2"), signature)


@pytest.mark.parametrize("payload", [b"not json", b"[]", b'{"kind": "other"}', b"\xff\xfe"])
def test_malformed_webhook_body_is_rejected(gateway: SandboxGateway, payload: bytes):
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(payload, gateway.sign(payload))


def test_a_refund_webhook_carries_its_amount_and_id(gateway: SandboxGateway):
    one = _event(kind="refunded", payment_key="pay-1", refund_id="re_sb_1", amount_kop=15000)
    event = gateway.parse_webhook(one, gateway.sign(one))
    assert (event.kind, event.refunds, event.refunded_total_kop) == (
        "refunded",
        (GatewayRefund("re_sb_1", 15000),),
        None,
    )
    total = _event(kind="refunded", payment_key="pay-1", refunded_total_kop=20000)
    event = gateway.parse_webhook(total, gateway.sign(total))
    assert (event.refunds, event.refunded_total_kop) == ((), 20000)


@pytest.mark.parametrize(
    "body",
    [
        {},  # no amount at all: never read as "all of it"
        {"refund_id": "re_1"},
        {"refund_id": "re_1", "amount_kop": 0},
        {"refund_id": "re_1", "amount_kop": "100"},
        {"refund_id": "re_1", "amount_kop": True},
        {"refund_id": "", "amount_kop": 100},
        {"refund_id": 7, "amount_kop": 100},
        {"refunded_total_kop": -1},
        {"refunded_total_kop": 1.5},
    ],
)
def test_a_refund_webhook_without_a_readable_amount_is_rejected(gateway: SandboxGateway, body):
    payload = _event(kind="refunded", payment_key="pay-1", **body)
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(payload, gateway.sign(payload))
