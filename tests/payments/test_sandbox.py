"""The embedded SandboxGateway: Stripe's test cards and decline codes without keys or network,
its hosted test page (sessions in the database) and the Stripe events it sends."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from paysim_app.payments import stripe_events
from paysim_app.payments.base import (
    ChargeResult,
    GatewayError,
    GatewayEvent,
    GatewayRefund,
    WebhookRejected,
)
from paysim_app.payments.declines import DECLINE_CODES
from paysim_app.payments.sandbox import TEST_CARDS, SandboxGateway, read_test_card

SECRET = "whsec_test_sandbox"
OK = "succeeded"

# number -> (declined when typed on the page in any mode, declined when saved on a setup page,
# charge on-session, charge off-session); a charge is (status, decline_code) with the card's
# token; "requires_action": the bank wants 3-D Secure, so the payment goes to the hosted page.
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
    "4000002760003184": (
        None,
        None,
        ("requires_action", None),
        ("failed", "authentication_required"),
    ),
    "4000002500003155": (None, None, ("requires_action", None), (OK, None)),
    "4000000000000341": (None, None, ("failed", "card_declined"), ("failed", "card_declined")),
    # pays; the bank disputes the payment afterwards (test_sandbox_disputes)
    "4000000000000259": (None, None, (OK, None), (OK, None)),
}


@pytest.fixture
def gateway() -> SandboxGateway:
    return SandboxGateway(webhook_secret=SECRET)


@pytest.fixture
def sent() -> list[dict]:
    return []


@pytest.fixture
def paging(sent) -> SandboxGateway:
    """A sandbox whose events are kept (decoded) instead of posted; sessions in the test's
    database."""
    gw = SandboxGateway(SECRET, public_url="https://paysim.example/")

    def keep(payload: bytes, signature: str) -> None:
        sent.append(gw.parse_webhook(payload, signature))

    gw._deliver = keep
    return gw


def card(number: str):
    return SandboxGateway(SECRET).test_card(number, 12, 2031)


def start(gw: SandboxGateway, mode="payment", key="checkout:topup:1:abcdefgh", **kw):
    params = dict(
        mode=mode,
        reference=key.removeprefix("checkout:"),
        customer="cus_sb_1",
        success_url="https://paysim.example/ok",
        cancel_url="https://paysim.example/back",
        idempotency_key=key,
        amount_kop=50_000 if mode == "payment" else None,
    )
    return gw.start_checkout(**{**params, **kw})


def test_every_sandbox_test_card_has_an_expectation():
    assert set(EXPECTED) == set(TEST_CARDS)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_test_card_outcomes(paging: SandboxGateway, db_url, number: str):
    at_entry, at_setup, on_session, off_session = EXPECTED[number]
    # typed on a payment page
    page = start(paging, key=f"checkout:topup:{number}")
    typed = paging.pay(page.session_id, number, "12/31", "314")
    if at_entry:
        assert (typed.kind, typed.code) == ("declined", at_entry)
    elif on_session[0] == "requires_action":
        assert typed.kind == "challenge"
    else:
        assert (typed.kind, typed.code) == (
            ("complete", None) if on_session[0] == OK else ("declined", on_session[1])
        )
    # typed on a setup page ("add a card")
    setup = start(paging, "setup", key=f"checkout:setup:{number}")
    saved = paging.pay(setup.session_id, number, "12/31", "314")
    refused = at_entry or at_setup
    if refused:
        assert (saved.kind, saved.code) == ("declined", refused)
        return
    if saved.kind == "challenge":
        saved = paging.confirm(setup.session_id, True)
    assert saved.kind == "complete"
    token = paging.checkout_result(setup.session_id).card
    assert token.token.startswith("pm_sb_") and number not in token.token
    assert (token.last4, token.exp_month, token.exp_year) == (number[-4:], 12, 2031)
    assert token.customer == "cus_sb_1"

    for off, (status, code) in ((False, on_session), (True, off_session)):
        result = paging.charge(
            amount_kop=10_000,
            token=token.token,
            customer=token.customer,
            idempotency_key=f"pay-{number}-{off}",
            off_session=off,
        )
        assert (result.status, result.decline_code) == (status, code), f"off_session={off}"
        assert result.gateway_ref and result.gateway_ref.startswith("pi_sb_")
        assert code is None or code in DECLINE_CODES


def test_brands(gateway: SandboxGateway):
    brands = {
        n: gateway.test_card(n, 12, 2031).brand
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
        token = card(number).token
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
    token = card("4000002760003184").token
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


def test_lookup_refund_and_forget(gateway: SandboxGateway, db_url):
    assert gateway.lookup(idempotency_key="k", gateway_ref=None) is None
    refund = gateway.refund(gateway_ref="pi_sb_x", amount_kop=500, idempotency_key="refund-1")
    assert refund.status == "succeeded"
    assert refund.gateway_ref and refund.gateway_ref.startswith("re_sb_")
    assert gateway.forget_card("pm_sb_00abc") is None


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


# --------------------------------------------------------------------------- the test page


def test_a_session_follows_from_its_key(paging: SandboxGateway, db_url):
    first = start(paging)
    assert start(paging) == first  # a retried create finds the first session
    assert first.url == f"https://paysim.example/api/sandbox/checkout/{first.session_id}"
    assert first.expires_at > datetime.now(UTC) + timedelta(minutes=29)
    with pytest.raises(ValueError):
        start(paging, amount_kop=1)  # the same key with other parameters
    assert start(paging, key="checkout:topup:1:other123").session_id != first.session_id
    with pytest.raises(GatewayError):
        paging.checkout_result("cs_sb_nonexistent")


def test_a_paid_page_sends_stripes_events_and_reads_back(paging, sent, db_url):
    page = start(paging, save_card=True)
    assert paging.checkout_result(page.session_id).status == "open"
    assert paging.pay(page.session_id, "4242 4242 4242 4242", "12/34", "123").kind == "complete"
    assert [e.raw_type for e in sent] == ["payment_intent.succeeded", "checkout.session.completed"]
    paid, done = sent
    assert (paid.kind, paid.payment_key, paid.amount_kop) == (
        "payment_succeeded",
        "topup:1:abcdefgh",
        50_000,
    )
    assert (done.kind, done.session_id, done.payment_key) == (
        "checkout_completed",
        page.session_id,
        "topup:1:abcdefgh",
    )
    result = paging.checkout_result(page.session_id)
    assert (result.status, result.charge.status, result.amount_kop) == ("complete", OK, 50_000)
    assert (result.card.last4, result.card.brand, result.card_last4) == ("4242", "visa", "4242")
    # a complete page takes nothing more, and cannot be expired
    assert paging.pay(page.session_id, "4242424242424242", "12/34", "123").kind == "closed"
    assert paging.expire_checkout(page.session_id).status == "complete"


def test_a_declined_attempt_keeps_the_page_open(paging, sent, db_url):
    page = start(paging)
    typed = paging.pay(page.session_id, "4000000000009995", "12/34", "123")
    assert (typed.kind, typed.code) == ("declined", "insufficient_funds")
    [failed] = sent
    assert (failed.kind, failed.decline_code) == ("payment_failed", "insufficient_funds")
    result = paging.checkout_result(page.session_id)
    assert (result.status, result.charge.status, result.charge.decline_code) == (
        "open",
        "failed",
        "insufficient_funds",
    )
    assert paging.page(page.session_id).decline_code == "insufficient_funds"


@pytest.mark.parametrize(
    ("number", "expiry", "cvc", "code", "field"),
    [
        ("4242424242424241", "12/30", "123", "card.error.number", "card_number"),  # Luhn
        ("4242 4242 420", "12/30", "123", "card.error.number", "card_number"),
        ("", "12/30", "123", "card.error.number", "card_number"),
        ("4242424242424242", "10/26", "123", "card.error.expired", "card_expiry"),
        ("4242424242424242", "13/30", "123", "card.error.expiry", "card_expiry"),
        ("4242424242424242", "12/60", "123", "card.error.expiry", "card_expiry"),
        ("4242424242424242", "12/30", "12", "card.error.cvc", "card_cvc"),
    ],
)
def test_the_page_refuses_what_a_card_form_refuses(
    paging, sent, db_url, number, expiry, cvc, code, field
):
    page = start(paging)
    with time_machine.travel(datetime(2026, 11, 26, 12, tzinfo=UTC), tick=False):
        typed = paging.pay(page.session_id, number, expiry, cvc)
    assert (typed.kind, typed.code, typed.field) == ("invalid", code, field)
    assert sent == [] and paging.page(page.session_id).decline_code is None


@pytest.mark.parametrize(
    ("typed", "month", "year"),
    [
        ("12/30", 12, 2030),
        (" 1 / 2031 ", 1, 2031),
        ("12-30", 12, 2030),
        ("12.30", 12, 2030),
        ("12 30", 12, 2030),
        ("1230", 12, 2030),
        ("122030", 12, 2030),
    ],
)
def test_the_expiry_is_read_as_people_type_it(typed, month, year):
    got = read_test_card("4242 4242-4242 4242", typed, "123", today=date(2026, 11, 26))
    assert got == ("4242424242424242", month, year)


@pytest.mark.parametrize("typed", ["", "13/30", "00/30", "123", "12345", "12/3", "1/2/30", "ab/cd"])
def test_an_unreadable_expiry_is_refused(typed):
    with pytest.raises(ValueError) as err:
        read_test_card("4242424242424242", typed, "123", today=date(2026, 11, 26))
    assert err.value.args[0] == "card_expiry"


def test_the_3ds_step(paging, sent, db_url):
    page = start(paging)
    assert paging.pay(page.session_id, "4000002760003184", "12/34", "123").kind == "challenge"
    view = paging.page(page.session_id)
    assert (view.challenge, view.card_last4) == (True, "3184")
    assert paging.checkout_result(page.session_id).charge is None  # waiting for the payer
    # another card cannot be typed while the bank waits
    assert paging.pay(page.session_id, "4242424242424242", "12/34", "123").kind == "closed"
    failed = paging.confirm(page.session_id, False)
    assert (failed.kind, failed.code) == ("declined", "authentication_failed")
    assert sent[-1].decline_code == "authentication_failed"
    # a second try passes it
    assert paging.pay(page.session_id, "4000002760003184", "12/34", "123").kind == "challenge"
    assert paging.confirm(page.session_id, True).kind == "complete"
    assert paging.confirm(page.session_id, True).kind == "closed"


def test_a_page_expires_at_its_time_or_when_closed(paging, sent, db_url):
    page = start(paging)
    closed = paging.expire_checkout(page.session_id)
    assert (closed.status, closed.charge) == ("expired", None)
    assert [e.kind for e in sent] == ["checkout_expired"]
    assert paging.pay(page.session_id, "4242424242424242", "12/34", "123").kind == "closed"
    assert paging.expire_checkout(page.session_id).status == "expired"
    assert len(sent) == 1  # said once

    late = start(paging, key="checkout:topup:1:late0001")
    with time_machine.travel(late.expires_at + timedelta(seconds=1), tick=False):
        assert paging.page(late.session_id).status == "expired"
    assert [e.kind for e in sent] == ["checkout_expired", "checkout_expired"]


def test_stripe_signed_events_are_verified(gateway: SandboxGateway):
    body = {
        "id": "evt_1",
        "type": "checkout.session.expired",
        "data": {"object": {"id": "cs_1", "metadata": {"payment_key": "k"}}},
    }
    payload = json.dumps(body).encode()
    event = gateway.parse_webhook(payload, stripe_events.sign(payload, SECRET))
    assert (event.kind, event.session_id, event.payment_key) == ("checkout_expired", "cs_1", "k")
    for bad in (
        stripe_events.sign(payload, "whsec_other"),
        stripe_events.sign(payload, SECRET, timestamp=int(time.time()) - 3600),  # replayed
        "t=abc,v1=00",
        "t=1",
    ):
        with pytest.raises(WebhookRejected):
            gateway.parse_webhook(payload, bad)
    with pytest.raises(WebhookRejected):
        gateway.parse_webhook(b"[]", stripe_events.sign(b"[]", SECRET))


# the real delivery, as the app runs it (tests/conftest keeps the events instead)
POST_IN_BACKGROUND = SandboxGateway._post_in_background


def test_events_are_posted_to_the_apps_webhook_signed_like_stripes(db_url):
    """The sandbox POSTs each event to <PAYSIM_PUBLIC_URL>/api/stripe/webhook, retrying an
    answer that is not 2xx, never through a proxy."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    got: list[tuple[str, bytes, str]] = []
    arrived = threading.Event()

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, body, self.headers["Stripe-Signature"]))
            self.send_response(503 if len(got) == 1 else 200)  # the first try is refused
            self.end_headers()
            if len(got) == 2:
                arrived.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        gw = SandboxGateway(SECRET, public_url=f"http://127.0.0.1:{server.server_address[1]}")
        gw._deliver = lambda payload, sig: POST_IN_BACKGROUND(gw, payload, sig)
        page = start(gw, key="checkout:topup:1:posted01")
        gw.expire_checkout(page.session_id)
        assert arrived.wait(10)
    finally:
        server.shutdown()
        server.server_close()
    (path, body, signature), again = got
    assert again == got[0]  # the same event, delivered again
    assert path == "/api/stripe/webhook"
    event = gw.parse_webhook(body, signature)
    assert (event.kind, event.session_id) == ("checkout_expired", page.session_id)
