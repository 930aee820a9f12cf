"""Reading the file: sniffing its encoding, its lines and cells, the ICCID/MSISDN/IMSI formats
(with the Luhn digit), partner and tariff codes, and the header; or an Excel workbook's first
sheet (core.spreadsheet), whose rows become the same text cells a CSV line gives."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlmodel import Session, select

from paysim_app.core import spreadsheet
from paysim_app.sims.importing.report import OPTIONAL, REQUIRED
from paysim_app.sims.own_sims import activation_code_hash

_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+")
_MSISDN = re.compile(r"(?:\+7|7|8)(\d{10})")
_MSISDN_STRIP = str.maketrans("", "", " -()\u00a0.\t")
_DIGITS_STRIP = str.maketrans("", "", " -\u00a0\t")
_CODE = re.compile(r"[A-Za-z0-9\s-]{4,32}")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# what a Windows-1251 text of ours may contain: printable ASCII, Russian letters and the usual
# typographic signs; anything else (controls, Serbian letters, symbols) is not a real text
_NOT_SENSIBLE_1251 = re.compile(
    "[^\t\x20-\x7e\u0410-\u044f\u0401\u0451\u2116\u00ab\u00bb"
    "\u2013\u2014\u00a0\u201c\u201d\u201e\u2018\u2019\u2026]"
)
_DOUBLED = bytes.maketrans(b"0123456789", bytes((2 * d) // 10 + (2 * d) % 10 for d in range(10)))


@dataclass
class _Sniff:
    sha256: str
    size: int
    encoding: str  # utf-8 | utf-8-sig | cp1251
    bad_lines: set[int]
    error: str = ""
    zipped: bool = False  # starts as a zip archive does (an .xlsx workbook)


def _sniff(fh: BinaryIO) -> _Sniff:
    """One pass over the bytes: sha256, size, and the encoding (with the lines that are broken)."""
    digest, size = hashlib.sha256(), 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = clean = True
    head = b""
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < 8:
            head += chunk[:8]
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        if clean and _CONTROL.search(chunk):
            clean = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    sniff = _Sniff(digest.hexdigest(), size, "utf-8", set())
    bom = head.startswith(codecs.BOM_UTF8)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # an .xlsx / .xls workbook
        sniff.error = "not_csv"
        sniff.zipped = head.startswith(b"PK\x03\x04")
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 ("Unicode text" in Excel)
        sniff.error = "encoding"
    if sniff.error or (utf8 and clean):
        sniff.encoding = "utf-8-sig" if bom else "utf-8"
        return sniff
    # the slow path, only for files with broken or non-UTF-8 lines: decide line by line
    fh.seek(0)
    bad_utf8: set[int] = set()
    good_non_ascii = 0
    for number, raw in enumerate(fh, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_utf8.add(number)
            continue
        if _CONTROL.search(raw):
            bad_utf8.add(number)
        elif not raw.isascii():
            good_non_ascii += 1
    if bom or good_non_ascii > len(bad_utf8):
        sniff.encoding, sniff.bad_lines = ("utf-8-sig" if bom else "utf-8"), bad_utf8
        return sniff
    fh.seek(0)
    sniff.encoding = "cp1251"
    for number, raw in enumerate(fh, start=1):
        try:
            decoded = raw.decode("cp1251")
        except UnicodeDecodeError:
            sniff.bad_lines.add(number)
            continue
        if _NOT_SENSIBLE_1251.search(decoded.rstrip("\r\n")):
            sniff.bad_lines.add(number)
    return sniff


def _text_lines(fh: BinaryIO, sniff: _Sniff) -> Iterator[str]:
    """The file's lines as text (line endings kept, for the csv module)."""
    fh.seek(0)
    if not sniff.bad_lines:
        wrapper = io.TextIOWrapper(fh, encoding=sniff.encoding, newline="")
        try:
            yield from wrapper
        finally:
            try:
                wrapper.detach()
            except ValueError:  # the file was closed first
                pass
        return
    encoding = "utf-8" if sniff.encoding.startswith("utf-8") else sniff.encoding
    for raw in fh:
        yield raw.decode(encoding, errors="replace")


def _clean(cell: str) -> str:
    """A cell without surrounding spaces and without the apostrophe that marks text in Excel
    (and that core.export puts before a cell that looks like a formula)."""
    cell = cell.strip()
    if cell.startswith("'"):
        cell = cell[1:].strip()
    return cell


def _code_hash(code: str) -> str:
    """sims.own_sims.activation_code_hash, with a shortcut for codes already without spaces
    and dashes (the same result)."""
    if code.isalnum() and code.isascii():
        return hashlib.sha256(f"paysim-activation:{code.upper()}".encode()).hexdigest()
    return activation_code_hash(code)


def _luhn_ok(digits: str) -> bool:
    """The Luhn check digit of an ASCII digit string (sums over bytes: fast)."""
    data = digits.encode("ascii")
    plain = data[-1::-2]
    return (sum(plain) - 48 * len(plain) + sum(data[-2::-2].translate(_DOUBLED))) % 10 == 0


def _iccid(raw: str) -> tuple[str, str]:
    """(normalised ICCID, '') or (raw, reason)."""
    if raw.isdigit() and raw.isascii() and 19 <= len(raw) <= 20:  # the usual case, fast
        return (raw, "") if _luhn_ok(raw) else (raw, "iccid_luhn")
    if not raw:
        return raw, "iccid_missing"
    if _SCIENTIFIC.fullmatch(raw):
        return raw, "iccid_scientific"
    digits = raw.translate(_DIGITS_STRIP)
    if not (digits.isdigit() and digits.isascii() and 19 <= len(digits) <= 20):
        return raw, "iccid_format"
    if not _luhn_ok(digits):
        return digits, "iccid_luhn"
    return digits, ""


def normalise_msisdn(raw: str) -> str | None:
    """+7 and 10 digits from 8XXXXXXXXXX, +7..., 7... with spaces/dashes/brackets; else None."""
    match = _MSISDN.fullmatch(raw.translate(_MSISDN_STRIP))
    if match is None or not match.group(1).isascii():
        return None
    return "+7" + match.group(1)


def _msisdn(raw: str) -> tuple[str, str]:
    if len(raw) == 12 and raw.startswith("+7") and raw[2:].isdigit() and raw.isascii():
        return raw, ""  # already +7XXXXXXXXXX
    if not raw:
        return raw, "msisdn_missing"
    if _SCIENTIFIC.fullmatch(raw):
        return raw, "msisdn_scientific"
    normal = normalise_msisdn(raw)
    return (normal, "") if normal else (raw, "msisdn_format")


def _imsi(raw: str) -> tuple[str, str]:
    if len(raw) == 15 and raw.isdigit() and raw.isascii():
        return raw, ""
    if not raw:
        return raw, "imsi_missing"
    if _SCIENTIFIC.fullmatch(raw):
        return raw, "imsi_scientific"
    digits = raw.translate(_DIGITS_STRIP)
    if not (digits.isdigit() and digits.isascii() and len(digits) == 15):
        return raw, "imsi_format"
    return digits, ""


@dataclass
class _Codes:
    """Partner and tariff codes -> (id, usable); exact match first, then case-insensitive."""

    ids: dict[str, tuple[int, bool]]
    folded: dict[str, tuple[int, bool]]
    by_id: dict[int, str]

    @classmethod
    def load(cls, session: Session, model, usable) -> _Codes:
        ids, folded, by_id = {}, {}, {}
        for row in session.execute(select(model.id, model.code, usable)).all():
            ids[row[1]] = (row[0], bool(row[2]))
            folded.setdefault(row[1].upper(), (row[0], bool(row[2])))
            by_id[row[0]] = row[1]
        return cls(ids, folded, by_id)

    def find(self, code: str) -> tuple[int, bool] | None:
        return self.ids.get(code) or self.folded.get(code.upper())


@dataclass
class _Header:
    delimiter: str  # '' for a workbook
    index: dict[str, int]  # known column -> position
    width: int
    first_data_line: int  # line number after the header
    lines: Iterator  # the rest of the file: text lines, or a workbook's (row number, cells)


def _header(lines: Iterator[str], bad_lines: set[int]) -> tuple[_Header | None, str, dict]:
    """Find the header: (header, '', {}) or (None, error code, params)."""
    number, delimiter = 0, ""
    for line in lines:
        number += 1
        stripped = line.strip().lstrip("\ufeff").strip()
        if not stripped or not stripped.strip(",;"):
            continue
        if number in bad_lines:
            return None, "encoding", {}
        if stripped.lower().startswith("sep=") and len(stripped) == 5:  # Excel's sep=; line
            delimiter = stripped[4]
            continue
        delimiter = delimiter or (";" if stripped.count(";") > stripped.count(",") else ",")
        cells = [
            c.strip().strip('"').strip().lower()
            for c in next(csv.reader([stripped], delimiter=delimiter))
        ]
        index, error, params = _columns(cells)
        if error:
            return None, error, params
        return _Header(delimiter, index, len(cells), number + 1, lines), "", {}
    return None, "empty", {}


def _columns(names: list[str]) -> tuple[dict[str, int], str, dict]:
    """The header's known columns by position, or an error code (no_header, missing_columns)."""
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in REQUIRED + OPTIONAL and name not in index:
            index[name] = position
    if not index:
        return index, "no_header", {}
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        return index, "missing_columns", {"columns": ", ".join(missing)}
    return index, "", {}


# ------------------------------------------------------------------------------ Excel workbooks
# a spreadsheet keeps 15 significant digits: a longer number in a numeric cell lost its last ones
_EXACT_DIGITS = 10**15
MAX_XLSX_ROWS = spreadsheet.SHEET_MAX_ROWS  # what Excel itself can put on a sheet


def xlsx_text(value: object) -> str:
    """A workbook cell as the text a CSV of it would hold. A number that a spreadsheet cannot
    hold exactly (more than 15 digits, e.g. an ICCID typed into a numeric cell) comes out in
    the scientific form Excel shows (8.97010123456789E+18), so the row is refused with the
    same reason as in a CSV saved from Excel; a whole number of at most 15 digits is its
    digits (an MSISDN or an IMSI in a numeric cell is exact)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _CONTROL_TEXT.sub("", value) if _CONTROL_TEXT.search(value) else value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value) if abs(value) < _EXACT_DIGITS else f"{float(value):.15G}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_DIGITS:
            return str(int(value))
        return f"{value:.15G}"
    if hasattr(value, "isoformat"):  # a date or a time Excel made of the cell
        return value.isoformat()
    return str(value)


class XlsxTooManyRows(Exception):
    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


def xlsx_header(fh: BinaryIO) -> tuple[_Header | None, str, dict]:
    """The first sheet's header row (the first row with a value), like _header for a CSV:
    (header, '', {}) with `lines` the rest of the rows as (Excel's row number, text cells), or
    (None, error code, params). A broken workbook raises spreadsheet.WorkbookError."""
    rows = spreadsheet.open_rows(fh)
    for number, values in rows:
        names = [xlsx_text(v).strip().strip("'").strip().lower() for v in values]
        if not any(names):
            continue
        index, error, params = _columns(names)
        if error:
            rows.close()
            return None, error, params
        return _Header("", index, len(names), number + 1, _xlsx_rows(rows)), "", {}
    return None, "empty", {}


def _xlsx_rows(rows: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in rows:
            if number > MAX_XLSX_ROWS:
                raise XlsxTooManyRows(MAX_XLSX_ROWS)
            yield number, [xlsx_text(v) for v in values]
    finally:
        rows.close()
