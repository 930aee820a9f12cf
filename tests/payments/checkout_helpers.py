"""The payer's side of the hosted page, for the service tests: what a person does on the
sandbox's test payment page, and the webhooks the sandbox sends afterwards, delivered to the
app's real endpoint."""

from __future__ import annotations

import json
import warnings
from urllib.parse import urlsplit

from paysim_app.api.routes import api
from paysim_app.payments.sandbox import PageOutcome, SandboxGateway

with warnings.catch_warnings():  # starlette's note about httpx: the client works as it is
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def session_of(url: str) -> str:
    """The session id at the end of a hosted page's URL."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def pay_on_page(
    gateway: SandboxGateway,
    url: str,
    number: str,
    *,
    expiry: str = "12/34",
    cvc: str = "123",
    confirm: bool | None = None,
) -> PageOutcome:
    """Type a card on the test page; `confirm` answers a 3-D Secure step if one comes."""
    sid = session_of(url)
    outcome = gateway.pay(sid, number, expiry, cvc)
    if outcome.kind == "challenge" and confirm is not None:
        outcome = gateway.confirm(sid, confirm)
    return outcome


def types(sent: list[tuple[bytes, str]]) -> list[str]:
    return [json.loads(payload)["type"] for payload, _ in sent]


def post_webhook(payload: bytes, signature: str) -> tuple[int, dict]:
    """POST one event to /api/stripe/webhook as the provider does: (status, JSON answer)."""
    with TestClient(api) as client:
        answer = client.post(
            "/api/stripe/webhook",
            content=payload,
            headers={"stripe-signature": signature, "content-type": "application/json"},
        )
    return answer.status_code, answer.json()


def deliver(sent: list[tuple[bytes, str]]) -> list[str]:
    """Deliver every kept event (and forget them); returns the endpoint's outcomes."""
    outcomes = []
    while sent:
        payload, signature = sent.pop(0)
        status, body = post_webhook(payload, signature)
        outcomes.append(body.get("outcome", str(status)))
    return outcomes
