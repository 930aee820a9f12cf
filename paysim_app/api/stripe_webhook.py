"""POST /api/stripe/webhook: a gateway event, verified with the signing secret, applied once.

The same endpoint takes Stripe's events and the sandbox's (which sends Stripe's events, signed
the same way, from its test payment page). Any failure to verify is a 400 and changes nothing; a
verified event the domain already applied answers 200 again (Stripe redelivers until it gets a
2xx). Answered with another status, so that the provider delivers the event again later:
- 409, a refund of a payment that is still pending here (by then the payment has settled);
- 503, an event about a hosted page that we could not look up at the provider just now.
An event for a payment we do not know, or one whose amount is not the payment's, is answered
200 and changes nothing (logged: a person looks at those).
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from paysim_app.billing import checkout
from paysim_app.db import session_scope
from paysim_app.payments import WebhookRejected, get_gateway

log = logging.getLogger("paysim.webhook")
MAX_BODY = 256 * 1024
_REDELIVER = {"early": 409, "retry": 503}


async def _read_capped(request: Request) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY (never buffering more than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def _apply(body: bytes, signature: str) -> tuple[str, int]:
    gateway = get_gateway()
    try:
        event = gateway.parse_webhook(body, signature)
    except WebhookRejected as exc:
        log.warning("webhook rejected: %s", exc)
        return "rejected", 400
    with session_scope() as session:
        outcome = checkout.apply_event(session, gateway, event)
    if outcome in ("unknown", "mismatch"):
        log.warning("webhook %s (%s): %s", event.event_id, event.raw_type, outcome)
    return outcome, _REDELIVER.get(outcome, 200)


async def stripe_webhook(request: Request) -> JSONResponse:
    body = await _read_capped(request)
    if body is None:
        return JSONResponse({"error": "too large"}, status_code=413)
    signature = request.headers.get("stripe-signature", "")
    # the domain and a hosted-page look-up block: never on the event loop
    outcome, status = await run_in_threadpool(_apply, body, signature)
    if outcome == "rejected":
        return JSONResponse({"error": "invalid signature or body"}, status_code=400)
    return JSONResponse({"received": True, "outcome": outcome}, status_code=status)
