"""CSV export of any list, streamed: the rows come from listing.export_rows in chunks and
leave as CSV lines, so exporting a million SIMs holds a few thousand rows at a time.

`LISTS` names every list that can be exported; the download route looks the name up here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlmodel import Session

from paysim_app.core import export, notify
from paysim_app.core.listing import (
    ExportColumn,
    ListQuery,
    ListSpec,
    count_capped,
    export_rows,
    filtered,
    narrowing,
)
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_time

LINES_PER_CHUNK = 500


def lists() -> dict[str, ListSpec]:
    """Every exportable list by name (imported here, not at module load, to avoid cycles)."""
    from paysim_app.billing import payment_lists
    from paysim_app.catalogue import catalogue_lists
    from paysim_app.core import outbox
    from paysim_app.overview import people_lists, staff_lists
    from paysim_app.partners import cabinet, partner_lists
    from paysim_app.sims import inventory, queue_lists

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
        notify.NOTIFICATION_LIST,
        outbox.OUTBOX_LIST,
    )
    return {spec.name: spec for spec in specs if spec.export}


@verb
def start_export(session: Session, actor: Actor | None, spec: ListSpec, query: ListQuery) -> None:
    """Before the first byte of an export: the actor's right to the list, its filters (a bad
    one refuses the export: ValidationError), and the audit entry, with the rows counted up to
    the list's cap (a bounded count: past it, "more than the cap"). A refusal writes nothing."""
    actor = spec.check(actor)
    count, capped = count_capped(session, filtered(spec, actor, query), spec.count_cap)
    filters, search = narrowing(query)
    export.audit_export(
        session,
        actor,
        spec.name,
        filters=dict(filters),
        search=search,
        sort=query.sort if query.sort in spec.sorts else spec.default_sort,
        descending=query.descending,
        rows=None if capped else count,
        more_than=spec.count_cap if capped else None,
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
