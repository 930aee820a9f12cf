"""POST /api/stripe/webhook: a gateway event, verified with the signing secret, applied once.

Any failure to verify is a 400 and changes nothing; a verified event the domain already applied
answers 200 again (Stripe redelivers until it gets a 2xx). A refund of a payment that is still
pending here is answered 409, so that Stripe delivers it again once the payment has settled.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from paysim_app.billing import payments
from paysim_app.db import session_scope
from paysim_app.payments import WebhookRejected, get_gateway

log = logging.getLogger("paysim.webhook")
MAX_BODY = 256 * 1024


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


async def stripe_webhook(request: Request) -> JSONResponse:
    body = await _read_capped(request)
    if body is None:
        return JSONResponse({"error": "too large"}, status_code=413)
    signature = request.headers.get("stripe-signature", "")
    try:
        event = get_gateway().parse_webhook(body, signature)
    except WebhookRejected as exc:
        log.warning("webhook rejected: %s", exc)
        return JSONResponse({"error": "invalid signature or body"}, status_code=400)
    with session_scope() as session:
        outcome = payments.apply_event(session, event)
    # "early": a refund of a payment that has not settled here yet; any status but 2xx makes
    # Stripe deliver it again later (for up to three days), by when the payment has settled
    status = 409 if outcome == "early" else 200
    return JSONResponse({"received": True, "outcome": outcome}, status_code=status)
