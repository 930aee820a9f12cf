"""CSV import of SIMs in the browser: a Russian-Excel file (cp1251, `;`) is previewed and
confirmed; a file with bad rows lists each with its line and reason and cannot be confirmed;
an Excel workbook (.xlsx) goes the same way, its ICCID typed as a number refused with the
"format the column as text" reason."""

from __future__ import annotations

import sqlite3

from openpyxl import Workbook
from playwright.sync_api import expect
from stdnum import luhn

from tests.e2e.conftest import WIDTHS, enter, ready, shot


def _iccid(serial: int) -> str:
    body = f"897019955{serial:09d}"
    return body + luhn.calc_check_digit(body)


def _csv(tmp_path, name: str, rows: list[str], encoding: str = "cp1251"):
    path = tmp_path / name
    text = (
        "iccid;msisdn;imsi;status;partner_code;tariff_code;action\r\n" + "\r\n".join(rows) + "\r\n"
    )
    path.write_bytes(text.encode(encoding))
    return path


def _admin_on_import(new_page, width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, "admin@paysim.demo", "/admin/sims/import")
    ready(page)
    return page


def test_import_previews_then_confirms_a_cp1251_semicolon_file(new_page, app_env, tmp_path):
    rows = [
        f"{_iccid(n)};8 (977) 55{n:01d}-00-0{n};25099550000000{n};;SVYAZ;;" for n in range(1, 4)
    ]
    path = _csv(tmp_path, "склад.csv", rows)
    page = _admin_on_import(new_page)
    page.set_input_files("#import-upload input[type=file]", str(path))
    page.locator("#import-preview").click()
    expect(page.locator("#import-counts")).to_be_visible()
    expect(page.locator("#import-count-create")).to_contain_text("3")
    expect(page.locator("#import-count-reject")).to_contain_text("0")
    shot(page, "admin-import-preview-1280")
    expect(page.locator("#import-confirm")).to_be_enabled()
    page.locator("#import-confirm").click()
    expect(page.locator("#import-result")).to_contain_text("Импорт выполнен")
    with sqlite3.connect(app_env["db"]) as db:
        found = db.execute(
            "SELECT count(*) FROM sim WHERE iccid IN (?, ?, ?) AND status = 'in_stock'",
            [_iccid(n) for n in range(1, 4)],
        ).fetchone()[0]
    assert found == 3


def test_bad_rows_are_listed_with_line_and_reason_and_nothing_imports(new_page, app_env, tmp_path):
    good = f"{_iccid(7)};+79775570007;250995500000007;;;;"
    wrong_luhn = _iccid(8)[:-1] + str((int(_iccid(8)[-1]) + 1) % 10)
    rows = [
        good,  # line 2
        f"{wrong_luhn};+79775570008;250995500000008;;;;",  # line 3: check digit
        f"{_iccid(9)};+79775570009;2509955;;;;",  # line 4: short IMSI
        good,  # line 5: the same SIM twice in one file
    ]
    path = _csv(tmp_path, "bad.csv", rows, encoding="utf-8")
    page = _admin_on_import(new_page, WIDTHS["phone"])
    page.set_input_files("#import-upload input[type=file]", str(path))
    page.locator("#import-preview").click()
    expect(page.locator("#import-count-reject")).to_contain_text("3")
    expect(page.locator("#import-rejects")).to_contain_text("3")
    expect(page.locator("#import-confirm")).to_be_disabled()
    shot(page, "admin-import-rejects-390")
    with page.expect_download() as info:
        page.locator("#import-download-rejects").click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    assert "reason" in text.splitlines()[0]
    with sqlite3.connect(app_env["db"]) as db:
        assert (
            db.execute("SELECT count(*) FROM sim WHERE msisdn = '+79775570007'").fetchone()[0] == 0
        )


def _xlsx(tmp_path, name: str, rows: list[list[object]]):
    book = Workbook()
    sheet = book.active
    sheet.append(["iccid", "msisdn", "imsi", "status"])
    for values in rows:
        sheet.append(values)
    path = tmp_path / name
    book.save(path)
    return path


def test_an_xlsx_workbook_is_previewed_and_confirmed(new_page, app_env, tmp_path):
    good = [[_iccid(n), f"+79775580{n:03d}", f"2509955800000{n:02d}", ""] for n in (11, 12)]
    # an ICCID typed as a number (8.97E+18); an IMSI as a number is exact and passes
    typed_as_number = [float(_iccid(13)), "+79775580013", 250995580000013, ""]
    page = _admin_on_import(new_page, WIDTHS["phone"])
    page.set_input_files(
        "#import-upload input[type=file]",
        str(_xlsx(tmp_path, "склад.xlsx", [*good, typed_as_number])),
    )
    page.locator("#import-preview").click()
    expect(page.locator("#import-count-create")).to_contain_text("2")
    expect(page.locator("#import-count-reject")).to_contain_text("1")
    expect(page.locator("#import-info")).to_contain_text("Excel")
    rejects = page.locator("#import-rejects")
    expect(rejects).to_contain_text("текстовый формат")  # the CSV's scientific-form reason
    expect(rejects.locator("tbody tr").first).to_contain_text("4")  # Excel's row 4
    expect(page.locator("#import-confirm")).to_be_disabled()
    shot(page, "admin-import-xlsx-rejects-390")

    page.locator("#import-reset").click()
    # the reset clears the selected file: it must be done before the next one is chosen
    expect(page.locator("#import-count-create")).to_have_count(0)
    page.set_input_files(
        "#import-upload input[type=file]", str(_xlsx(tmp_path, "склад-2.xlsx", good))
    )
    page.locator("#import-preview").click()
    expect(page.locator("#import-count-create")).to_contain_text("2")
    expect(page.locator("#import-confirm")).to_be_enabled()
    page.locator("#import-confirm").click()
    expect(page.locator("#import-result")).to_contain_text("Импорт выполнен")
    with sqlite3.connect(app_env["db"]) as db:
        found = db.execute(
            "SELECT count(*) FROM sim WHERE iccid IN (?, ?)", [_iccid(11), _iccid(12)]
        ).fetchone()[0]
    assert found == 2
