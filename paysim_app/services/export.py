"""CSV export of any list: safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab/CR) would be run as a formula by Excel or LibreOffice
("CSV injection"); such cells are prefixed with an apostrophe. Russian Excel expects `;` and a
UTF-8 BOM, so the Russian export uses both; the English one uses commas.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

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
