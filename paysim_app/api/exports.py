"""GET /api/export/{list}?t=<signed>: a list's filtered rows as a CSV or .xlsx download.

The page's state signs {session id, list name, filters, locale, format} for a few minutes
(core.signing): the format is part of the signed token, never a parameter of its own. Here the
signature, the session, the permission and the filters are checked again before the first
byte, the export is audited (who, which list, format, filters, sort, rows), and the rows
stream out in chunks (CSV), or the workbook is written row by row to a spooled temporary file
in a worker thread and then streamed (xlsx). A refused export is not audited.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse

from paysim_app.accounts import identity
from paysim_app.core import signing, spreadsheet, utcnow
from paysim_app.core.errors import DomainError, ValidationError
from paysim_app.core.listing import Condition, ListQuery
from paysim_app.db import session_scope
from paysim_app.i18n.formats import moscow_date
from paysim_app.overview import list_export

PURPOSE = "export"


def export_link(
    session_id: int, name: str, query: ListQuery, locale: str, file_format: str = "csv"
) -> str:
    token = signing.sign(
        {
            "sid": session_id,
            "list": name,
            "f": dict(query.filters),
            "s": query.search,
            "o": query.sort,
            "d": query.descending,
            "l": locale,
            "x": file_format,
            "c": [[c.field, c.op, c.value] for c in query.conditions],
        },
        PURPOSE,
    )
    return f"/api/export/{name}?t={token}"


async def export_csv(request: Request):
    name = request.path_params["name"]
    try:
        payload = signing.unsign(request.query_params.get("t", ""), PURPOSE)
        spec = list_export.lists().get(name)
        if spec is None or payload.get("list") != name:
            return PlainTextResponse("not found", status_code=404)
        file_format = str(payload.get("x") or "csv")  # links signed before xlsx are CSV
        query = ListQuery(
            filters={k: str(v) for k, v in dict(payload.get("f") or {}).items()},
            search=str(payload.get("s") or ""),
            sort=str(payload.get("o") or ""),
            descending=bool(payload.get("d", True)),
            conditions=tuple(
                Condition(str(f), str(o), str(v)) for f, o, v in list(payload.get("c") or [])
            ),
        )
        with session_scope() as session:
            actor = identity.actor_of_session_id(session, payload.get("sid"))
            # refused before the first byte, else audited (committed before the rows leave)
            list_export.start_export(session, actor, spec, query, file_format)
    except ValidationError:
        return PlainTextResponse("bad filter", status_code=400)
    except DomainError:
        return PlainTextResponse("forbidden", status_code=403)
    locale = "en" if payload.get("l") == "en" else "ru"
    stem = f"paysim-{name}-{moscow_date(utcnow()):%Y%m%d}"
    if file_format == "xlsx":
        # the workbook is complete before its first byte can leave (a zip ends with its index)
        book = await run_in_threadpool(list_export.xlsx_file, actor, spec, query, locale)
        book.seek(0, 2)
        size = book.tell()
        book.seek(0)
        return StreamingResponse(
            spreadsheet.chunks(book),
            media_type=spreadsheet.MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{stem}.xlsx"',
                "Content-Length": str(size),
                "Cache-Control": "no-store",
            },
        )

    def chunks():
        # the rows of a list that may read the replica are read there (the audit entry above
        # was written to the primary)
        with session_scope(read_only=spec.reads_replica) as session:
            yield from list_export.csv_chunks(session, actor, spec, query, locale)

    filename = f"{stem}.csv"
    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
