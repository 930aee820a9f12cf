"""The speed test's backend, speaking LibreSpeed's protocol under /api/speedtest/.

GET  garbage?ckSize=N  N MiB (default 4, at most 100) of incompressible bytes, in 1 MiB chunks
GET/POST empty         reads and discards the body (upload test, ping), answers 200 empty
GET  getIP             {"processedString": <client address>, "rawIspInfo": ""}
POST result            a measured result for one of the caller's SIMs, stored with the SIM,
                       the time and the user agent (Authorization: Bearer <session token>)

garbage and empty answer 403 without `t=<pass>`: a short-lived pass the subscriber's speed-test
page gets when a test starts (support.quality.speed_test_pass, limited per address), so the
server's bandwidth is not free for anyone to draw on.
The client address is the peer address of the connection (no X-Forwarded-For is trusted).
"""

from __future__ import annotations

import json
import logging
import os

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from paysim_app.accounts import identity
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.db import session_scope
from paysim_app.support import quality

log = logging.getLogger("paysim.speedtest")

CHUNK = 1024 * 1024
DEFAULT_CHUNKS = 4
MAX_CHUNKS = 100  # the page asks for 100 MiB per request and opens another while time is left
MAX_UPLOAD = 64 * 1024 * 1024
MAX_RESULT_BODY = 4096
# one pre-generated random MiB: random bytes do not compress, so no proxy can shrink the test
_RANDOM = os.urandom(CHUNK)

NO_CACHE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0, s-maxage=0",
    "Pragma": "no-cache",
}


def _chunks(value: str | None) -> int:
    try:
        n = int(value) if value is not None else DEFAULT_CHUNKS
    except ValueError:
        n = DEFAULT_CHUNKS
    return max(1, min(n, MAX_CHUNKS))


def _refused(request: Request) -> Response | None:
    """403 unless the request carries a valid speed-test pass."""
    try:
        quality.check_speed_test_pass(request.query_params.get("t", ""))
    except PermissionDenied:
        return _error(403, "error.forbidden")
    return None


async def garbage(request: Request) -> Response:
    if refused := _refused(request):
        return refused
    count = _chunks(request.query_params.get("ckSize"))

    async def stream():
        for _ in range(count):
            yield _RANDOM

    headers = {
        **NO_CACHE,
        "Content-Description": "File Transfer",
        "Content-Disposition": "attachment; filename=random.dat",
        "Content-Transfer-Encoding": "binary",
        "Content-Length": str(count * CHUNK),
    }
    return StreamingResponse(stream(), media_type="application/octet-stream", headers=headers)


async def empty(request: Request) -> Response:
    """Read and drop the body (never more than MAX_UPLOAD), then answer 200 with nothing."""
    if refused := _refused(request):
        return refused
    received = 0
    if request.method == "POST":
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > MAX_UPLOAD:
                    return Response(status_code=413, headers=NO_CACHE)
        except ClientDisconnect:  # the test stops its upload when its time is up: not an error
            return Response(status_code=499, headers=NO_CACHE)
    return Response(status_code=200, headers={**NO_CACHE, "Connection": "keep-alive"})


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


async def get_ip(request: Request) -> JSONResponse:
    return JSONResponse(
        {"processedString": client_address(request), "rawIspInfo": ""}, headers=NO_CACHE
    )


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status, headers=NO_CACHE)


async def result(request: Request) -> JSONResponse:
    """Store a result measured in the browser for one of the signed-in subscriber's SIMs."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_RESULT_BODY:
            return _error(413, "too large")
    token = _bearer(request)
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    with session_scope() as session:
        actor = identity.resolve_session(session, token)
        if actor is None:
            return _error(401, "auth.required")
        if not isinstance(data, dict):
            return _error(400, "error.invalid")
        sim_id = data.get("sim_id")
        if isinstance(sim_id, bool) or not isinstance(sim_id, int):
            return _error(400, "error.invalid")
        figures = quality.SpeedFigures(
            ping_ms=data.get("ping_ms"),
            jitter_ms=data.get("jitter_ms"),
            download_mbps=data.get("download_mbps"),
            upload_mbps=data.get("upload_mbps"),
        )
        try:
            new_id = quality.record_speed_test(
                session, actor, sim_id, figures, request.headers.get("user-agent", "")
            )
        except ValidationError as err:
            return _error(400, err.code)
        except PermissionDenied:
            return _error(403, "error.forbidden")
        except DomainError as err:
            return _error(400, err.code)
    return JSONResponse({"id": new_id}, headers=NO_CACHE)
