"""CSV or Excel export of any list, streamed: the rows come from listing.export_rows in chunks
and leave as CSV lines, so exporting a million SIMs holds a few thousand rows at a time. The
.xlsx is written row by row too (core.spreadsheet: openpyxl's write-only mode, the workbook
spooled to a temporary file) and then streamed out. Writing a workbook costs about 8 times
the CPU of the CSV (measured: 100 000 SIMs, 15 s against 2 s, a 3.8 MB file, memory flat),
and a zip can only leave once complete, so a workbook holds XLSX_MAX_ROWS rows at most: past
them a second sheet says so, and the CSV, which streams as it goes and has no cap, has every
row.

`LISTS` names every list that can be exported; the download route looks the name up here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from sqlmodel import Session

from paysim_app.core import export, notify, spreadsheet
from paysim_app.core.errors import ValidationError
from paysim_app.core.listing import (
    ExportColumn,
    ListQuery,
    ListSpec,
    count_capped,
    export_rows,
    filtered,
    narrowing,
    planned,
    replica_for,
)
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_time

LINES_PER_CHUNK = 500
FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 100_000  # rows of a list's workbook (Excel's sheet itself takes 1 048 575)


def lists() -> dict[str, ListSpec]:
    """Every exportable list by name (imported here, not at module load, to avoid cycles)."""
    from paysim_app.billing import payment_lists
    from paysim_app.catalogue import catalogue_lists
    from paysim_app.core import outbox
    from paysim_app.coverage import DEMAND_LIST, SETTLEMENT_LIST, STATION_LIST
    from paysim_app.overview import people_lists, staff_lists
    from paysim_app.partners import cabinet, partner_lists
    from paysim_app.sims import inventory, queue_lists, usage_list
    from paysim_app.support import ticketing

    specs = (
        inventory.SIM_LIST,
        payment_lists.PAYMENT_LIST,
        partner_lists.PARTNER_LIST,
        people_lists.SUBSCRIBER_LIST,
        people_lists.TICKET_LIST,
        staff_lists.ADMIN_LIST,
        staff_lists.AUDIT_LIST,
        staff_lists.RATING_LIST,
        queue_lists.ACTIVATION_LIST,
        queue_lists.TARIFF_CHANGE_LIST,
        queue_lists.BLOCK_LIST,
        queue_lists.UNBLOCK_LIST,
        catalogue_lists.TARIFF_LIST,
        catalogue_lists.ADDON_LIST,
        cabinet.PARTNER_SIM_LIST,
        cabinet.PARTNER_SUBSCRIBER_LIST,
        cabinet.PARTNER_REQUEST_LIST,
        partner_lists.PARTNER_PAYMENT_LIST,
        ticketing.OWN_TICKET_LIST,
        usage_list.USAGE_LIST,
        notify.NOTIFICATION_LIST,
        outbox.OUTBOX_LIST,
        DEMAND_LIST,
        SETTLEMENT_LIST,
        STATION_LIST,
    )
    return {spec.name: spec for spec in specs if spec.export}


@verb
def start_export(
    session: Session,
    actor: Actor | None,
    spec: ListSpec,
    query: ListQuery,
    file_format: str = "csv",
) -> None:
    """Before the first byte of an export: the actor's right to the list, its filters (a bad
    one refuses the export: ValidationError), and the audit entry (with the file's format),
    with the rows counted up to the list's cap (a bounded count: past it, "more than the
    cap"). A refusal writes nothing."""
    actor = spec.check(actor)
    if file_format not in FORMATS:
        raise ValidationError("list.error.format", field="format")
    with planned(session, spec):
        count, capped = count_capped(session, filtered(spec, actor, query), spec.count_cap)
    filters, search, conditions = narrowing(query)
    export.audit_export(
        session,
        actor,
        spec.name,
        filters={**dict(filters), **{f"{c.field}.{c.op}": c.value for c in conditions}},
        search=search,
        sort=query.sort if query.sort in spec.sorts else spec.default_sort,
        descending=query.descending,
        rows=None if capped else count,
        more_than=spec.count_cap if capped else None,
        file_format=file_format,
    )


def _value(column: ExportColumn, value: object, locale: str) -> object:
    if value is None:
        return ""
    if column.kind == "money":
        return export.amount(int(value), locale)
    if column.kind == "time" and isinstance(value, datetime):
        return moscow_time(value)
    if column.kind == "word":
        return t(f"{column.prefix}{value}", locale)
    return value


def csv_chunks(
    session: Session, actor: Actor | None, spec: ListSpec, query: ListQuery, locale: str
) -> Iterator[str]:
    """The CSV as text chunks: a BOM and `;` for Russian Excel, commas for English."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if locale == "ru" else ",", lineterminator="\r\n")
    rows = export_rows(session, actor, spec, query)  # checks the permission on first next()
    first = next(rows, None)
    writer.writerow([export.neutralise(t(c.header_key, locale)) for c in spec.export])
    pending = 0
    for row in [first] if first is not None else []:
        writer.writerow([export.neutralise(_value(c, row.get(c.key), locale)) for c in spec.export])
    yield ("\ufeff" if locale == "ru" else "") + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow([export.neutralise(_value(c, row.get(c.key), locale)) for c in spec.export])
        pending += 1
        if pending >= LINES_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def _cell(column: ExportColumn, value: object, locale: str) -> object:
    """A typed cell's value: kopecks stay kopecks (the sheet writes roubles), times stay times."""
    if value is None:
        return None
    if column.kind == "word":
        return t(f"{column.prefix}{value}", locale)
    return value


_KIND = {"money": "money", "time": "text", "word": "text", "text": "text"}


@verb(read_only=replica_for)
def xlsx_file(
    session: Session, actor: Actor | None, spec: ListSpec, query: ListQuery, locale: str
) -> IO[bytes]:
    """The list as one .xlsx workbook, positioned at its start (the caller streams and closes
    it). The same rows and columns as the CSV, typed; past a sheet's rows, a note sheet."""
    rows = export_rows(session, actor, spec, query)  # checks the permission on first next()
    first = next(rows, None)
    columns = [
        spreadsheet.Column(t(c.header_key, locale), _KIND.get(c.kind, "text")) for c in spec.export
    ]
    writer = spreadsheet.SheetWriter(t("list.sheet_title", locale), columns)
    cut = False
    for row in [first] if first is not None else []:
        writer.add([_cell(c, row.get(c.key), locale) for c in spec.export])
    for row in rows:
        if not writer.room or writer.rows >= XLSX_MAX_ROWS:
            cut = True
            break
        writer.add([_cell(c, row.get(c.key), locale) for c in spec.export])
    if cut:
        rows.close()
        spreadsheet.add_sheet(
            writer,
            t("list.sheet_note_title", locale),
            [t("list.sheet_cut", locale, rows=writer.rows)],
        )
    return writer.save()
