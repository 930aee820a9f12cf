"""POST /api/usage: the network's mediation system delivers usage records (sims.usage).

Authorization: Bearer <the sender's token from PAYSIM_USAGE_TOKENS>. The body is a JSON array of
records (or {"records": [...]}) with Content-Type application/json, or CSV with a header row with
Content-Type text/csv. The answer: {"accepted", "duplicates", "rejected": [{index, record_id,
reason}]}; 401 without the right token, 413 over PAYSIM_USAGE_MAX_BODY bytes (read in chunks,
stopped at the cap) or over PAYSIM_USAGE_MAX_RECORDS records, 415 for another content type,
400 for a body that is not JSON or CSV of records.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from paysim_app.core.errors import ValidationError
from paysim_app.settings import get_settings
from paysim_app.sims import usage

NO_CACHE = {"Cache-Control": "no-store"}
PARSERS = {"application/json": usage.parse_json, "text/csv": usage.parse_csv}


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status, headers=NO_CACHE)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _ingest(sender: str, records: list) -> dict:
    return usage.ingest(sender, records).as_dict()  # its own unit of work, committed once


async def receive(request: Request) -> JSONResponse:
    sender = usage.sender_for(_bearer(request))
    if sender is None:
        return JSONResponse(
            {"error": "auth.required"},
            status_code=401,
            headers={**NO_CACHE, "WWW-Authenticate": "Bearer"},
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    parser = PARSERS.get(media)
    if parser is None:
        return _error(415, "usage.content_type")
    settings = get_settings()
    cap = settings.paysim_usage_max_body
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return _error(413, "usage.body_too_large")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > cap:
                return _error(413, "usage.body_too_large")
    except ClientDisconnect:
        return _error(400, "usage.unreadable")
    try:
        records = parser(bytes(body))
    except ValidationError as err:
        return _error(400, err.code)
    if len(records) > settings.paysim_usage_max_records:
        return _error(413, "usage.too_many_records")
    report = await run_in_threadpool(_ingest, sender, records)
    return JSONResponse(report, headers=NO_CACHE)
