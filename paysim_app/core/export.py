"""CSV export of any list: safe to open in a spreadsheet (the .xlsx one: core.spreadsheet).

A cell that starts with = + - @ (or a tab/CR) would be run as a formula by Excel or LibreOffice
("CSV injection"); such cells are prefixed with an apostrophe. Russian Excel expects `;` and a
UTF-8 BOM, so the Russian export uses both; the English one uses commas.

Every export is audited (`audit_export`), once it is allowed and before its first row leaves:
who took which list, with which filters, search and sort, and how many rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

from sqlmodel import Session

from paysim_app.core import audit
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+([.,]\d+)?")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def amount(kop: int | None, locale: str = "ru") -> str:
    """Kopecks as a plain number a spreadsheet can add up: -500,00 (ru) or -500.00 (en)."""
    if kop is None:
        return ""
    sign = "-" if kop < 0 else ""
    text = f"{sign}{abs(kop) // 100}.{abs(kop) % 100:02d}"
    return text.replace(".", ",") if locale == "ru" else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]], locale: str = "ru") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if locale == "ru" else ",", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return "\ufeff" + buffer.getvalue()


@verb
def audit_export(
    session: Session,
    actor: Actor,
    name: str,
    *,
    filters: Mapping[str, object],
    search: str = "",
    sort: str = "",
    descending: bool = True,
    rows: int | None = None,
    more_than: int | None = None,
    file_format: str = "csv",
) -> None:
    """The audit entry of one export ("list.export" on entity "list", id = the list's name):
    the file's format (csv or xlsx), the filters that were set, the search and the sort, and
    the row count (`rows`), or, when counting all of them would cost more than the export is
    worth, `more_than` the cap."""
    after: dict[str, object] = {
        "format": file_format,
        "filters": {k: str(v) for k, v in sorted(filters.items()) if v not in (None, "")},
        "search": search,
        "sort": sort,
        "descending": descending,
    }
    if rows is not None:
        after["rows"] = rows
    if more_than is not None:
        after["rows_more_than"] = more_than
    audit.record(session, actor, "list.export", "list", name, after=after)
