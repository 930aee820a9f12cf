"""Excel workbooks (.xlsx): written and read with openpyxl, streaming both ways.

Writing (`SheetWriter`): openpyxl's write-only mode keeps one row in memory and the sheet in a
temporary file; the finished workbook goes to a SpooledTemporaryFile (memory up to
SPOOL_BYTES, then disk) that the caller streams out. Cells are typed: numbers as numbers,
money (kopecks) as roubles with two decimals and a number format, times as Moscow date-times,
dates as dates; the header row is bold and frozen; the column widths come from the header and
the first rows. A text that looks like a formula (= + - @) is written as a text cell with
Excel's quote prefix: it is shown as typed and never run, not even after an edit; characters
a workbook cannot hold (controls) are dropped.

Reading (`open_rows`): the first sheet's rows as tuples of cell values, with Excel's row
numbers, after the archive has been checked: it must be a zip with a workbook in it (a
password-protected workbook is an OLE container, not a zip), its declared uncompressed size is
capped (a zip bomb is refused before anything is unpacked; zipfile never inflates an entry
past its declared size), and the XML is parsed through defusedxml (openpyxl uses it when
installed). A problem is a `WorkbookError` with a code: not_xlsx, xlsx_encrypted, xlsx_broken,
xlsx_too_big.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, BinaryIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from paysim_app.settings import get_settings

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header included
SPOOL_BYTES = 16 * 1024 * 1024  # a workbook up to this size never touches the disk
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # what an uploaded workbook may unpack to
MONEY_FORMAT = "#,##0.00"
TIME_FORMAT = "DD.MM.YYYY HH:MM"
DATE_FORMAT = "DD.MM.YYYY"
KINDS = ("text", "number", "money", "time", "date")
_WIDTH_SAMPLE = 200  # rows looked at for the column widths
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_FIXED_WIDTH = {"money": 14, "time": 17, "date": 12}
_FORMULA_START = ("=", "+", "-", "@")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted workbook, or an old .xls


class WorkbookError(Exception):
    """A workbook that cannot be read; `code` says why (see the module's docstring)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # one of KINDS; "text" writes numbers and dates it is given as such


def clean_text(value: str) -> str:
    """Text a workbook can hold: the control characters XML 1.0 forbids are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def moscow_naive(value: datetime) -> datetime:
    """A stored (UTC) time as the naive Moscow wall-clock time Excel shows."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(get_settings().paysim_timezone)).replace(tzinfo=None)


class SheetWriter:
    """One sheet written row by row (write-only mode); `save()` gives the workbook's bytes as a
    file positioned at its start. Rows past Excel's sheet limit raise OverflowError: the caller
    decides what to say (see `room`)."""

    def __init__(self, title: str, columns: Sequence[Column]):
        for column in columns:
            if column.kind not in KINDS:
                raise ValueError(f"unknown column kind {column.kind!r}")
        self.columns = tuple(columns)
        self.rows = 0
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(clean_text(title)[:31] or "Sheet1")
        self._bold = Font(bold=True)
        self._pending: list[list[object]] | None = []  # the rows the widths are taken from
        self._widths = [max(_MIN_WIDTH, len(c.header) + 2) for c in self.columns]

    @property
    def room(self) -> int:
        """Data rows the sheet still takes."""
        return SHEET_MAX_ROWS - 1 - self.rows

    def add(self, values: Sequence[object]) -> None:
        if self.room <= 0:
            raise OverflowError("the sheet is full")
        row = [self._cell(c.kind, v) for c, v in zip(self.columns, values, strict=False)]
        self.rows += 1
        if self._pending is None:
            self._sheet.append(row)
            return
        self._pending.append(row)
        for i, value in enumerate(values[: len(self.columns)]):
            if self.columns[i].kind == "text" and value is not None:
                self._widths[i] = max(self._widths[i], min(_MAX_WIDTH, len(str(value)) + 2))
        if len(self._pending) >= _WIDTH_SAMPLE:
            self._start()

    def _start(self) -> None:
        """The widths, the frozen header and the header itself; then the rows held so far."""
        sheet = self._sheet
        for i, column in enumerate(self.columns, start=1):
            width = _FIXED_WIDTH.get(column.kind, self._widths[i - 1])
            sheet.column_dimensions[get_column_letter(i)].width = max(
                width, min(_MAX_WIDTH, len(column.header) + 2)
            )
        sheet.freeze_panes = "A2"
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(sheet, clean_text(column.header))
            cell.data_type = "s"
            cell.font = self._bold
            header.append(cell)
        sheet.append(header)
        for row in self._pending or ():
            sheet.append(row)
        self._pending = None

    def _cell(self, kind: str, value: object) -> object:
        if value is None or value == "":
            return None
        if kind == "money":
            return self._styled(int(value) / 100, MONEY_FORMAT)
        if isinstance(value, datetime):
            return self._styled(moscow_naive(value), TIME_FORMAT)
        if isinstance(value, date):
            return self._styled(value, DATE_FORMAT)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float | Decimal) and kind in ("text", "number"):
            return value
        text = clean_text(str(value))
        if text.startswith(_FORMULA_START):
            # a text cell (openpyxl would take "=..." for a formula) with the quote prefix
            cell = WriteOnlyCell(self._sheet, text)
            cell.data_type = "s"
            cell.quotePrefix = True
            return cell
        return text

    def _styled(self, value: object, number_format: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self._sheet, value)
        cell.number_format = number_format
        return cell

    def save(self) -> IO[bytes]:
        """The finished workbook, positioned at its start (the caller closes it)."""
        if self._pending is not None:
            self._start()
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        try:
            self._book.save(out)
        except BaseException:
            out.close()
            raise
        out.seek(0)
        return out


def add_sheet(writer: SheetWriter, title: str, lines: Sequence[str]) -> None:
    """A second sheet of plain lines (a note about the first one), before save()."""
    sheet = writer._book.create_sheet(clean_text(title)[:31] or "Note")
    sheet.column_dimensions["A"].width = 100
    for line in lines:
        sheet.append([clean_text(line)])


def chunks(fh: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    """A saved workbook's bytes in blocks, closing the file at the end."""
    try:
        while block := fh.read(size):
            yield block
    finally:
        fh.close()


# ------------------------------------------------------------------------------------ reading
def check_archive(fh: BinaryIO, max_unpacked: int | None = None) -> None:
    """Refuse what is not a workbook we may open, before openpyxl unpacks anything."""
    max_unpacked = MAX_UNPACKED_BYTES if max_unpacked is None else max_unpacked
    fh.seek(0)
    head = fh.read(8)
    fh.seek(0)
    if head.startswith(_OLE):
        raise WorkbookError("xlsx_encrypted")
    if not head.startswith(b"PK\x03\x04"):
        raise WorkbookError("not_xlsx")
    try:
        with zipfile.ZipFile(fh) as archive:
            entries = archive.infolist()
            names = {info.filename for info in entries}
            unpacked = sum(info.file_size for info in entries)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise WorkbookError("xlsx_broken") from exc
    finally:
        fh.seek(0)
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise WorkbookError("not_xlsx")
    if unpacked > max_unpacked or len(entries) > 10_000:
        raise WorkbookError("xlsx_too_big")


def is_workbook(fh: BinaryIO) -> bool:
    """Whether the bytes are an .xlsx workbook's archive (whatever its size)."""
    try:
        check_archive(fh, max_unpacked=2**63)
    except WorkbookError:
        return False
    return True


def open_rows(
    fh: BinaryIO, max_unpacked: int | None = None
) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(Excel's row number, the row's cell values) of the first sheet's rows that hold a
    value (blank rows are skipped). Raises WorkbookError (before the first row, or when
    the sheet's XML turns out broken half-way)."""
    check_archive(fh, max_unpacked)
    try:
        book = load_workbook(fh, read_only=True, data_only=True, keep_links=False)
    except WorkbookError:
        raise
    except Exception as exc:  # openpyxl raises whatever its parsers meet
        raise WorkbookError("xlsx_broken") from exc
    try:
        if not book.worksheets:
            raise WorkbookError("xlsx_broken")
        sheet = book.worksheets[0]
        if not hasattr(sheet, "iter_rows"):  # a chart sheet first
            raise WorkbookError("xlsx_broken")
        sheet.reset_dimensions()  # the stored dimension may be wrong: read every row there is
        try:
            # missing rows come as empty ones, so the count is Excel's row number
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if values and any(v is not None for v in values):
                    yield number, tuple(values)
        except WorkbookError:
            raise
        except Exception as exc:
            raise WorkbookError("xlsx_broken") from exc
    finally:
        book.close()
