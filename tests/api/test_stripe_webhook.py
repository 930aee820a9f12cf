"""POST /api/stripe/webhook through the Starlette app Reflex mounts (`paysim_app.api.routes.api`).

A verified event settles its payment once; a repeat answers 200 "duplicate" and changes nothing;
anything that does not verify is a 400 and changes nothing. Both gateways: the sandbox (HMAC hex
of the body) and the real StripeGateway (Stripe's `t=...,v1=...` scheme, the stripe SDK's own
verification). The route opens its own session through get_engine(), which the `db_url` fixture
(through `session`) points at this test's database."""

from __future__ import annotations

import json
import time
import warnings
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from paysim_app.api.routes import api
from paysim_app.api.stripe_webhook import MAX_BODY
from paysim_app.billing import payments
from paysim_app.models import Commission, LedgerEntry, Payment, Sim
from paysim_app.payments import get_gateway
from paysim_app.payments.sandbox import SandboxGateway
from paysim_app.settings import get_settings
from tests.payments.fake_stripe import make_event, sign_webhook, signed_event

if TYPE_CHECKING:
    from starlette.testclient import TestClient

URL = "/api/stripe/webhook"
AMOUNT = 30000
STRIPE_WHSEC = "whsec_test_endpoint_secret"


@pytest.fixture(autouse=True)
def _fresh_gateway():
    get_gateway.cache_clear()
    yield
    get_gateway.cache_clear()
    get_settings.cache_clear()  # a test may have changed the gateway's environment


@pytest.fixture
def client(session):  # `session` first: the database the route will use
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        # starlette 1.10 asks for httpx2; the pinned httpx still drives the TestClient
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


@pytest.fixture
def pending(session, factory):
    """A card payment waiting for the gateway, for a SIM with a partner (5 % commission)."""
    partner = factory.partner()
    sim = factory.sim(
        factory.subscriber(), tariff=factory.tariff(), partner=partner, balance_kop=1000
    )
    payment = payments.new_payment(
        session,
        sim=sim,
        amount_kop=AMOUNT,
        method="card",
        idempotency_key=f"card:{sim.id}:webhook-test",
        gateway="sandbox",
    )
    session.commit()
    return payment


def sandbox_event(payment_key: str | None, kind: str = "payment_succeeded", **extra) -> bytes:
    body = {
        "id": "evt_sb_1",
        "kind": kind,
        "payment_key": payment_key,
        "gateway_ref": "pi_sb_webhook",
        **extra,
    }
    return json.dumps(body).encode()


def sandbox_post(client: TestClient, body: bytes, signature: str | None = None):
    signature = SandboxGateway("whsec_sandbox").sign(body) if signature is None else signature
    return client.post(
        URL,
        content=body,
        headers={"stripe-signature": signature, "content-type": "application/json"},
    )


def state(session, payment: Payment) -> dict:
    """Everything the webhook may change for this payment."""
    session.expire_all()
    row = session.get(Payment, payment.id)
    sim = session.get(Sim, payment.sim_id)
    return {
        "status": row.status,
        "gateway_ref": row.gateway_ref,
        "balance": sim.balance_kop,
        "ledger_sum": session.execute(
            select(func.sum(LedgerEntry.amount_kop)).where(LedgerEntry.sim_id == sim.id)
        ).scalar_one(),
        "credits": session.execute(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.payment_id == payment.id)
        ).scalar_one(),
        "commissions": session.execute(
            select(func.count()).select_from(Commission).where(Commission.payment_id == payment.id)
        ).scalar_one(),
    }


# --------------------------------------------------------------------------- sandbox gateway


def test_a_signed_success_credits_the_sim_once(client, session, pending):
    before = state(session, pending)
    response = sandbox_post(client, sandbox_event(pending.idempotency_key))
    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "applied"}
    after = state(session, pending)
    assert after == {
        "status": "succeeded",
        "gateway_ref": "pi_sb_webhook",
        "balance": before["balance"] + AMOUNT,
        "ledger_sum": 1000 + AMOUNT,
        "credits": 1,
        "commissions": 1,
    }
    accrual = session.execute(
        select(Commission).where(Commission.payment_id == pending.id)
    ).scalar_one()
    assert accrual.amount_kop == payments.commission_of(AMOUNT, 500)


def test_the_same_event_twice_is_a_duplicate_and_changes_nothing(client, session, pending):
    body = sandbox_event(pending.idempotency_key)
    assert sandbox_post(client, body).json()["outcome"] == "applied"
    once = state(session, pending)
    response = sandbox_post(client, body)
    assert response.status_code == 200  # Stripe keeps redelivering until it gets a 2xx
    assert response.json() == {"received": True, "outcome": "duplicate"}
    assert state(session, pending) == once


def test_a_failure_after_success_does_not_undo_it(client, session, pending):
    assert sandbox_post(client, sandbox_event(pending.idempotency_key)).status_code == 200
    once = state(session, pending)
    late = sandbox_event(
        pending.idempotency_key, kind="payment_failed", decline_code="card_declined"
    )
    assert sandbox_post(client, late).json()["outcome"] == "duplicate"
    assert state(session, pending) == once


def test_a_signed_failure_fails_the_payment_without_money(client, session, pending):
    before = state(session, pending)
    body = sandbox_event(
        pending.idempotency_key, kind="payment_failed", decline_code="insufficient_funds"
    )
    assert sandbox_post(client, body).json()["outcome"] == "applied"
    after = state(session, pending)
    assert after["status"] == "failed"
    assert {k: after[k] for k in ("balance", "ledger_sum", "credits", "commissions")} == {
        k: before[k] for k in ("balance", "ledger_sum", "credits", "commissions")
    }
    session.expire_all()
    assert session.get(Payment, pending.id).decline_code == "insufficient_funds"


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "0" * 64,
        "deadbeef",
        "sha256=whatever",
    ],
    ids=["missing", "zeros", "short", "garbage"],
)
def test_a_bad_signature_is_400_and_changes_nothing(client, session, pending, signature):
    before = state(session, pending)
    response = sandbox_post(client, sandbox_event(pending.idempotency_key), signature)
    assert response.status_code == 400
    assert "outcome" not in response.json()
    assert state(session, pending) == before


def test_a_signature_of_another_body_or_secret_is_400(client, session, pending):
    before = state(session, pending)
    body = sandbox_event(pending.idempotency_key)
    other_body = sandbox_event(pending.idempotency_key, gateway_ref="pi_other")
    assert sandbox_post(client, body, SandboxGateway().sign(other_body)).status_code == 400
    forged = SandboxGateway("whsec_someone_else").sign(body)
    assert sandbox_post(client, body, forged).status_code == 400
    assert state(session, pending) == before


def test_no_signature_header_at_all_is_400(client, session, pending):
    before = state(session, pending)
    response = client.post(URL, content=sandbox_event(pending.idempotency_key))
    assert response.status_code == 400
    assert state(session, pending) == before


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"id": "evt_1"}',
        b'{"kind": "payment_succeeded"}',
        b"\xff\xfe\x00",
    ],
    ids=["empty", "not-json", "list", "no-kind", "no-id", "not-utf8"],
)
def test_a_malformed_body_is_400_even_when_signed(client, session, pending, body):
    before = state(session, pending)
    response = sandbox_post(client, body)
    assert response.status_code == 400
    assert state(session, pending) == before


def test_an_unknown_payment_key_is_200_unknown(client, session, pending):
    before = state(session, pending)
    response = sandbox_post(client, sandbox_event("card:999999:nobody"))
    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "unknown"}
    assert state(session, pending) == before


def test_an_event_we_do_not_handle_is_200_ignored(client, session, pending):
    before = state(session, pending)
    response = sandbox_post(client, sandbox_event(pending.idempotency_key, kind="other"))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert state(session, pending) == before


def test_a_body_over_256_kb_is_413(client, session, pending):
    before = state(session, pending)
    body = sandbox_event(pending.idempotency_key, padding="x" * MAX_BODY)
    assert len(body) > 256 * 1024
    response = sandbox_post(client, body)  # correctly signed, and still refused
    assert response.status_code == 413
    assert state(session, pending) == before


def test_a_body_of_exactly_the_limit_is_read(client, session, pending):
    body = sandbox_event(pending.idempotency_key)
    body = body[:-1] + b', "padding": "' + b"x" * (MAX_BODY - len(body) - 15) + b'"}'
    assert len(body) == MAX_BODY
    assert sandbox_post(client, body).json()["outcome"] == "applied"


def test_only_post_is_routed(client, session):
    assert client.get(URL).status_code == 405


def test_the_configured_webhook_secret_is_used(client, session, pending, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_configured")
    get_settings.cache_clear()
    get_gateway.cache_clear()
    body = sandbox_event(pending.idempotency_key)
    assert sandbox_post(client, body).status_code == 400  # the default secret no longer works
    signature = SandboxGateway("whsec_configured").sign(body)
    assert sandbox_post(client, body, signature).json()["outcome"] == "applied"


def test_a_partial_refund_is_booked_for_its_amount_once(client, session, pending):
    assert sandbox_post(client, sandbox_event(pending.idempotency_key)).status_code == 200
    paid = state(session, pending)
    refund = sandbox_event(
        pending.idempotency_key, kind="refunded", id="evt_sb_r1", refund_id="re_1", amount_kop=100
    )
    assert sandbox_post(client, refund).json()["outcome"] == "applied"
    once = state(session, pending)
    assert once["status"] == "succeeded"  # 299 ₽ of it still stand
    assert once["balance"] == paid["balance"] - 100 == once["ledger_sum"]
    assert (once["credits"], once["commissions"]) == (2, 2)  # a refund entry, its reversal
    assert sandbox_post(client, refund).json()["outcome"] == "duplicate"
    total = sandbox_event(
        pending.idempotency_key, kind="refunded", id="evt_sb_r2", refunded_total_kop=100
    )
    assert sandbox_post(client, total).json()["outcome"] == "duplicate"
    assert state(session, pending) == once
    session.expire_all()
    assert session.get(Payment, pending.id).refunded_kop == 100


def test_a_refund_without_an_amount_is_400(client, session, pending):
    assert sandbox_post(client, sandbox_event(pending.idempotency_key)).status_code == 200
    before = state(session, pending)
    body = sandbox_event(pending.idempotency_key, kind="refunded", id="evt_sb_r")
    assert sandbox_post(client, body).status_code == 400
    assert state(session, pending) == before


def test_a_refund_that_overtakes_the_payments_success_is_asked_again(client, session, pending):
    """409: Stripe delivers it again later, by when the payment has settled."""
    before = state(session, pending)
    refund = sandbox_event(
        pending.idempotency_key, kind="refunded", id="evt_sb_r", refund_id="re_1", amount_kop=500
    )
    response = sandbox_post(client, refund)
    assert response.status_code == 409
    assert response.json()["outcome"] == "early"
    assert state(session, pending) == before
    assert sandbox_post(client, sandbox_event(pending.idempotency_key)).status_code == 200
    assert sandbox_post(client, refund).json()["outcome"] == "applied"
    assert state(session, pending)["balance"] == before["balance"] + AMOUNT - 500


# --------------------------------------------------------------------------- stripe gateway


@pytest.fixture
def stripe_gateway(session, monkeypatch):
    """PAYSIM_GATEWAY=stripe: get_gateway() builds the real StripeGateway (no network needed to
    verify a webhook)."""
    monkeypatch.setenv("PAYSIM_GATEWAY", "stripe")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_webhook_only")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", STRIPE_WHSEC)
    get_settings.cache_clear()
    get_gateway.cache_clear()
    from paysim_app.payments.stripe_gateway import StripeGateway

    assert isinstance(get_gateway(), StripeGateway)
    yield
    get_gateway.cache_clear()
    monkeypatch.undo()
    get_settings.cache_clear()


def intent_event(payment: Payment, type_: str = "payment_intent.succeeded", **fields) -> dict:
    intent = {
        "id": "pi_3WebhookTest",
        "object": "payment_intent",
        "amount": payment.amount_kop,
        "amount_received": payment.amount_kop,
        "currency": "rub",
        "status": "succeeded",
        "metadata": {"payment_key": payment.idempotency_key},
        **fields,
    }
    return make_event(type_, intent, event_id="evt_webhook_test")


def stripe_post(client: TestClient, payload: bytes, signature: str):
    return client.post(
        URL,
        content=payload,
        headers={"Stripe-Signature": signature, "content-type": "application/json"},
    )


def test_stripe_signed_success_credits_once_and_repeats_are_duplicates(
    client, session, pending, stripe_gateway
):
    payload, signature = signed_event(intent_event(pending), STRIPE_WHSEC)
    response = stripe_post(client, payload, signature)
    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "applied"}
    once = state(session, pending)
    assert once["status"] == "succeeded" and once["gateway_ref"] == "pi_3WebhookTest"
    assert once["balance"] == 1000 + AMOUNT and once["credits"] == 1
    # Stripe redelivers the same event (with a fresh signature timestamp)
    again = stripe_post(client, payload, sign_webhook(payload, STRIPE_WHSEC))
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert state(session, pending) == once


def test_stripe_payment_failed_fails_the_payment(client, session, pending, stripe_gateway):
    event = intent_event(
        pending,
        "payment_intent.payment_failed",
        status="requires_payment_method",
        last_payment_error={"code": "card_declined", "decline_code": "insufficient_funds"},
    )
    response = stripe_post(client, *signed_event(event, STRIPE_WHSEC))
    assert response.json()["outcome"] == "applied"
    after = state(session, pending)
    assert after["status"] == "failed" and after["credits"] == 0 and after["balance"] == 1000


@pytest.mark.parametrize(
    "make_signature",
    [
        lambda payload: sign_webhook(payload, "whsec_someone_else"),
        lambda payload: sign_webhook(payload, STRIPE_WHSEC).replace("v1=", "v0="),
        lambda payload: sign_webhook(payload, STRIPE_WHSEC, timestamp=int(time.time()) - 3600),
        lambda payload: sign_webhook(payload + b" ", STRIPE_WHSEC),
        lambda payload: SandboxGateway(STRIPE_WHSEC).sign(payload),  # the sandbox's scheme
        lambda payload: "",
    ],
    ids=[
        "other-secret",
        "wrong-scheme",
        "replayed-an-hour-later",
        "other-body",
        "sandbox-hex",
        "missing",
    ],
)
def test_stripe_bad_signature_is_400_and_changes_nothing(
    client, session, pending, stripe_gateway, make_signature
):
    before = state(session, pending)
    payload = json.dumps(intent_event(pending), indent=2).encode()
    response = stripe_post(client, payload, make_signature(payload))
    assert response.status_code == 400
    assert state(session, pending) == before


def test_stripe_malformed_body_is_400(client, session, pending, stripe_gateway):
    before = state(session, pending)
    for payload in (b"not json", b'{"id": "evt_1", "object": "event"}'):
        response = stripe_post(client, payload, sign_webhook(payload, STRIPE_WHSEC))
        assert response.status_code == 400, payload
    assert state(session, pending) == before


def test_stripe_unknown_payment_is_200_unknown(client, session, pending, stripe_gateway):
    before = state(session, pending)
    event = make_event(
        "payment_intent.succeeded",
        {
            "id": "pi_3Unknown",
            "object": "payment_intent",
            "amount": 100,
            "status": "succeeded",
            "metadata": {"payment_key": "card:0:not-ours"},
        },
    )
    response = stripe_post(client, *signed_event(event, STRIPE_WHSEC))
    assert response.status_code == 200 and response.json()["outcome"] == "unknown"
    assert state(session, pending) == before


def test_stripe_other_event_types_are_ignored(client, session, pending, stripe_gateway):
    event = make_event("customer.created", {"id": "cus_1", "object": "customer"})
    response = stripe_post(client, *signed_event(event, STRIPE_WHSEC))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
