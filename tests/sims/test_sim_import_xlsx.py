"""SIM import from an Excel workbook (.xlsx): the first sheet's rows go through the CSV's
checks, preview and all-or-nothing rule, with Excel's row numbers as the lines; a number a
spreadsheet could not keep exactly (an ICCID in a numeric cell, 8.97E+18) is refused with the
CSV's "scientific" reason; an empty sheet, a damaged, password-protected or fake workbook, a
zip bomb and too many rows are refused whole, and nothing is imported."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from paysim_app.core import spreadsheet
from paysim_app.core.errors import ValidationError
from paysim_app.models import Sim
from paysim_app.sims import importing as si
from paysim_app.sims.importing import reading
from tests.conftest import make_iccid, make_imsi, make_msisdn
from tests.sims.test_sim_import import (  # noqa: F401 - fixtures
    BASE,
    HEADER,
    admin,
    csv_bytes,
    imports_folder,
    reasons,
    row,
    sim_count,
    world,
)

COLUMNS = HEADER.split(",")


def cells(n: int, **over) -> list[object]:
    values = dict(zip(COLUMNS, row(n, **over).split(","), strict=True))
    return [values[c] for c in COLUMNS]


def xlsx_bytes(*rows: list[object] | None, header: list[object] | None = None, start=1) -> bytes:
    """A workbook whose first sheet has the header at row `start`, then the rows (None: a
    blank row). Strings stay strings; numbers are written as numbers, as Excel keeps them."""
    book = Workbook()
    sheet = book.active
    sheet.title = "SIM"
    at = start
    for values in [header or COLUMNS, *rows]:
        if values is not None:
            for col, value in enumerate(values, start=1):
                if value not in (None, ""):
                    sheet.cell(row=at, column=col, value=value)
        at += 1
    book.create_sheet("other").append(["iccid", "msisdn", "imsi"])  # only the first counts
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(session, admin, data, name="stock.xlsx", dry_run=True, **kw):  # noqa: F811
    return si.import_sims(session, admin, data, file_name=name, dry_run=dry_run, **kw)


def test_a_good_workbook_imports(session, admin):  # noqa: F811
    data = xlsx_bytes(cells(1), cells(2), cells(3, status="blocked"))
    report = run(session, admin, data, dry_run=False)
    assert report.ok and report.applied and report.created == 3
    assert (report.encoding, report.rows) == ("xlsx", 3)
    assert sim_count(session) == 3
    sim = session.exec(Sim.__table__.select().where(Sim.iccid == make_iccid(BASE + 3))).one()
    assert (sim.msisdn, sim.imsi, sim.status) == (
        make_msisdn(BASE + 3),
        make_imsi(BASE + 3),
        "blocked",
    )
    # the same file again changes nothing
    again = run(session, admin, data, dry_run=False)
    assert (again.created, again.unchanged) == (0, 3)


def test_the_preview_is_the_csvs_for_the_same_rows(session, admin, world):  # noqa: F811
    p, tr = world["partner"].code, world["tariff"].code
    rows = [
        row(1, partner=p, tariff=tr),
        row(2, status="on_the_moon"),
        row(3, imsi="12345"),
        row(1),  # a duplicate ICCID
        row(4, partner=world["gone"].code),
        f"{world['stock'].iccid},{world['stock'].msisdn},{world['stock'].imsi},,,,delete",
    ]
    by_csv = run(session, admin, csv_bytes(*rows), name="stock.csv")
    workbook = xlsx_bytes(*[r.split(",") for r in rows])
    by_xlsx = run(session, admin, workbook)
    assert by_xlsx.counts() == by_csv.counts()
    assert by_xlsx.samples == by_csv.samples  # the same lines, kinds, reasons and refs
    assert by_xlsx.rejected == 4 and sim_count(session) == 4  # the world's SIMs only


def test_excel_row_numbers_are_the_lines(session, admin):  # noqa: F811
    """A header under two blank rows, a blank row between SIMs: lines are Excel's rows."""
    data = xlsx_bytes(cells(1), None, cells(2, imsi="x"), start=3)
    report = run(session, admin, data)
    assert report.rows == 2 and reasons(report) == [(6, "imsi_format")]
    assert [r.line for r in report.samples["create"]] == [4]


def test_numbers_excel_could_not_keep_are_refused_as_in_a_csv(session, admin):  # noqa: F811
    iccid = make_iccid(BASE + 1)
    lossy = [float(iccid), make_msisdn(BASE + 1), make_imsi(BASE + 1)]  # 8.970199000007E+18
    exact_int = [int(make_iccid(BASE + 2)), make_msisdn(BASE + 2), make_imsi(BASE + 2)]
    as_text = [make_iccid(BASE + 3), make_msisdn(BASE + 3), "2.50990000700003E+14"]
    msisdn = [make_iccid(BASE + 4), 7.9990700004e10 + 0.5, make_imsi(BASE + 4)]
    # an MSISDN and an IMSI in numeric cells are exact (15 digits at most): they pass
    fine = [make_iccid(BASE + 5), int(make_msisdn(BASE + 5)[1:]), int(make_imsi(BASE + 5))]
    header = ["iccid", "msisdn", "imsi"]
    data = xlsx_bytes(lossy, exact_int, as_text, msisdn, fine, header=header)
    report = run(session, admin, data, dry_run=False)
    assert reasons(report) == [
        (2, "iccid_scientific"),
        (3, "iccid_scientific"),
        (4, "imsi_scientific"),
        (5, "msisdn_format"),
    ]
    assert report.created == 1 and not report.applied and sim_count(session) == 0
    # the rejects show what Excel shows, with the same clear reason as for a CSV
    rejected = {r.line: r for r in report.samples["reject"]}
    assert rejected[2].iccid == "8.970199000007E+18"  # as Excel shows it
    text = si.reason_text("iccid_scientific", "en")
    assert "8.9E+19" in text and "text" in text
    fine_row = report.samples["create"][0]
    assert (fine_row.msisdn, fine_row.imsi) == (make_msisdn(BASE + 5), make_imsi(BASE + 5))


def test_the_cell_text_of_numbers():
    assert reading.xlsx_text(8.97010123456789e18) == "8.97010123456789E+18"
    assert reading.xlsx_text(8970101234567890123) == "8.97010123456789E+18"
    assert reading.xlsx_text(250011234567890) == "250011234567890"
    assert reading.xlsx_text(79161234567.0) == "79161234567"
    assert reading.xlsx_text(1.5) == "1.5"
    assert reading.xlsx_text(True) == "TRUE" and reading.xlsx_text(None) == ""
    assert reading.xlsx_text("a\x00b") == "ab"


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _bomb() -> bytes:
    """A workbook whose sheet unpacks to 64 MB of blanks (a few dozen kB packed)."""
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes(cells(1))))
    entries = {n: good.read(n) for n in good.namelist()}
    entries["xl/worksheets/sheet1.xml"] += b" " * (64 << 20)
    return _zip(entries)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: xlsx_bytes(header=[None]), "empty"),
        (lambda: xlsx_bytes(), "empty"),  # a header and no SIM
        (lambda: xlsx_bytes(["a", "b"], header=["name", "phone"]), "no_header"),
        (lambda: xlsx_bytes(cells(1), header=["iccid", "msisdn"]), "missing_columns"),
        (lambda: xlsx_bytes(cells(1))[:-200], "xlsx_broken"),  # cut short
        (lambda: b"PK\x03\x04\x14\x00\x06\x00 not really a zip", "xlsx_broken"),
        (lambda: _zip({"xl/workbook.xml": b"<workbook><broken"}), "xlsx_broken"),
        (lambda: _zip({"word/document.xml": b"<doc/>"}), "not_xlsx"),  # a .docx
        (lambda: csv_bytes(row(1)), "not_xlsx"),  # a CSV named .xlsx
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "xlsx_encrypted"),
        (lambda: _bomb(), "xlsx_too_big"),
    ],
    ids=[
        "blank-sheet",
        "header-only",
        "no-header",
        "column",
        "truncated",
        "bad-zip",
        "bad-xml",
        "docx",
        "csv",
        "encrypted",
        "bomb",
    ],
)
def test_workbooks_that_cannot_be_read_are_refused_whole(session, admin, monkeypatch, make, error):  # noqa: F811
    monkeypatch.setattr(spreadsheet, "MAX_UNPACKED_BYTES", 16 << 20)
    report = run(session, admin, make(), dry_run=False)
    assert (report.error, report.rows, report.applied, report.ok) == (error, 0, False, False)
    assert si.error_text(report, "en") != f"sim_import.error.{error}"
    assert si.error_text(report, "ru") != f"sim_import.error.{error}"
    assert sim_count(session) == 0


def test_too_many_rows_are_refused_and_nothing_is_imported(session, admin, monkeypatch):  # noqa: F811
    monkeypatch.setattr(reading, "MAX_XLSX_ROWS", 5)  # Excel's own limit, lowered
    report = run(session, admin, xlsx_bytes(*[cells(n) for n in range(1, 6)]), dry_run=False)
    assert (report.error, report.error_params) == ("xlsx_too_many_rows", {"rows": "5"})
    assert "5" in si.error_text(report, "en") and sim_count(session) == 0
    assert run(session, admin, xlsx_bytes(*[cells(n) for n in range(1, 5)]), dry_run=False).ok


def test_a_workbook_under_another_name_is_read_as_one(session, admin):  # noqa: F811
    report = run(session, admin, xlsx_bytes(cells(1)), name="stock.csv")
    assert report.ok and report.encoding == "xlsx"
    # an old .xls (or an encrypted workbook) named .csv is not a CSV
    assert run(session, admin, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", name="a.csv").error == "not_csv"


def test_upload_preview_then_confirm_all_or_nothing(session, admin, imports_folder):  # noqa: F811
    bad = si.store_upload(admin, xlsx_bytes(cells(1), cells(2, imsi="1")), "склад.xlsx")
    preview = si.preview_upload(session, admin, bad)
    assert (preview.created, preview.rejected, preview.dry_run) == (1, 1, True)
    name, rejects = si.read_rejects(admin, bad)
    assert name == "склад-rejects.csv" and b"imsi" in rejects
    confirmed = si.confirm_upload(session, admin, bad)
    assert not confirmed.applied and sim_count(session) == 0  # nothing while a row is bad

    good = si.store_upload(admin, xlsx_bytes(cells(1), cells(2)), "склад.xlsx")
    assert si.preview_upload(session, admin, good).ok
    done = si.confirm_upload(session, admin, good)
    session.commit()
    assert done.applied and done.created == 2 and sim_count(session) == 2


def test_an_oversize_workbook_upload_is_refused_and_removed(admin, imports_folder):  # noqa: F811
    data = xlsx_bytes(*[cells(n) for n in range(1, 50)])
    with pytest.raises(ValidationError) as refused:
        si.receive_upload(admin, io.BytesIO(data), "big.xlsx", limit=len(data) - 1)
    assert refused.value.code == "sim_import.error.too_large"
    assert list(imports_folder.glob("*")) == []
