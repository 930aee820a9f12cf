"""GET /api/privacy/archive?t=<signed>: the signed-in subscriber's data archive (a ZIP of JSON
files, subscribers.privacy.data_archive).

The profile page signs {session id} for a few minutes (core.signing, purpose "privacy"); here
the signature and the session are checked again and the archive is built for that session's
subscriber only (audited there). Every refusal -- a forged or expired link, a session that
ended, someone who is not a subscriber -- is the same 404.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from paysim_app.accounts import identity
from paysim_app.core import signing
from paysim_app.core.errors import DomainError
from paysim_app.subscribers import privacy

PURPOSE = "privacy"
TTL_SECONDS = 300


def archive_link(session_id: int) -> str:
    return f"/api/privacy/archive?t={signing.sign({'sid': session_id}, PURPOSE, TTL_SECONDS)}"


def _archive(payload: dict) -> privacy.Archive:
    actor = identity.actor_of_session_id(payload.get("sid"))
    return privacy.data_archive(actor)


async def archive(request: Request) -> Response:
    try:
        payload = signing.unsign(request.query_params.get("t", ""), PURPOSE)
        built = await run_in_threadpool(_archive, payload)
    except DomainError:
        return PlainTextResponse(
            "not found", status_code=404, headers={"Cache-Control": "no-store"}
        )
    return Response(
        built.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{built.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
