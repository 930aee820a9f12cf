"""GET /api/receipts/{payment id}?t=<signed>: a payment's cash receipt as a PDF download.

The page's state signs {session id, payment id, locale} (core.signing; valid for a staff
session's lifetime, the session itself is checked live); here the signature, the session and
the reader's right to the payment are checked again (billing.receipts: the payment's subscriber,
the dealer of its own cash top-up, an admin with payments.view). Every refusal -- a forged or
expired link, a session that ended, someone else's payment, a payment without a receipt -- is
the same 404, so the answer tells nothing about payments one may not see.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from paysim_app.accounts import identity
from paysim_app.billing import receipts
from paysim_app.core import signing
from paysim_app.core.errors import DomainError

PURPOSE = "receipt"
TTL_SECONDS = 12 * 3600


def receipt_link(session_id: int, payment_id: int, locale: str) -> str:
    token = signing.sign(
        {"sid": session_id, "p": payment_id, "l": "en" if locale == "en" else "ru"},
        PURPOSE,
        ttl_seconds=TTL_SECONDS,
    )
    return f"/api/receipts/{payment_id}?t={token}"


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404, headers={"Cache-Control": "no-store"})


def _pdf(payload: dict, payment_id: int) -> tuple[str, bytes]:
    actor = identity.actor_of_session_id(payload.get("sid"))
    return receipts.receipt_pdf(actor, payment_id, str(payload.get("l") or "ru"))


async def receipt_pdf(request: Request) -> Response:
    raw = request.path_params.get("payment_id", "")
    if not raw.isdigit() or len(raw) > 18:
        return _not_found()
    payment_id = int(raw)
    try:
        payload = signing.unsign(request.query_params.get("t", ""), PURPOSE)
        if payload.get("p") != payment_id:
            return _not_found()
        filename, pdf = await run_in_threadpool(_pdf, payload, payment_id)
    except DomainError:  # PermissionDenied (the link), NotFound (the payment or the reader)
        return _not_found()
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
