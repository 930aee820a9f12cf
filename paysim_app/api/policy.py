"""GET /api/policy: the network's packet core reads the SIMs' policy (sims.policy.feed).

Authorization: Bearer <a sender's token from PAYSIM_USAGE_TOKENS> (the same senders as POST
/api/usage). Query: `since` (the `next` of the previous answer; absent: every SIM's policy from
the beginning, a full snapshot in pages) and `limit` (1..10000, default 1000). The answer:
{"items": [{iccid, imsi, msisdn, state, speed_kbps, static_ip, changed_at}], "next": cursor,
"more": bool}; ask again with `next` (at once while `more`, later otherwise). 401 without the
right token, 400 for a cursor or a limit that is not one.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from paysim_app.api.usage import NO_CACHE, _bearer, _error
from paysim_app.core.errors import ValidationError
from paysim_app.sims import policy, usage


def _page(since: str | None, limit: int) -> dict:
    return policy.feed(since, limit).as_dict()  # its own unit of work (read only)


async def feed(request: Request) -> JSONResponse:
    if usage.sender_for(_bearer(request)) is None:
        return JSONResponse(
            {"error": "auth.required"},
            status_code=401,
            headers={**NO_CACHE, "WWW-Authenticate": "Bearer"},
        )
    since = request.query_params.get("since")
    raw_limit = request.query_params.get("limit")
    try:
        if raw_limit is None:
            limit = policy.DEFAULT_LIMIT
        elif raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 6:
            limit = policy.check_limit(int(raw_limit))
        else:
            raise ValidationError("policy.error.limit", max=policy.MAX_LIMIT)
        if since is not None:
            policy.decode_cursor(since)
    except ValidationError as err:
        return _error(400, err.code)
    page = await run_in_threadpool(_page, since, limit)
    return JSONResponse(page, headers=NO_CACHE)
