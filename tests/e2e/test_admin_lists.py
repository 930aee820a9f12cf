"""The admin's SIM and payment lists in a browser: search, filter, page, open a SIM's card,
edit it, bulk-assign selected rows, export as CSV and .xlsx; phone and desktop layouts (mostly
shot by resizing the same page)."""

from __future__ import annotations

import re
import sqlite3

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, ready, shot, shots


def _admin(new_page, width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, "admin@paysim.demo")  # the test opens its page
    return page


def _some_sim(app_env, status="active"):
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute(
            "SELECT id, msisdn, iccid FROM sim WHERE status = ? ORDER BY id LIMIT 1", (status,)
        ).fetchone()


def test_admin_finds_a_sim_by_part_of_its_number_and_opens_its_card(new_page, app_env):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    sim_id, msisdn, iccid = _some_sim(app_env)
    page = _admin(new_page)
    page.goto("/admin/sims")
    expect(page.locator("#admin-sims-summary")).to_contain_text(re.compile(r"\d"))
    ready(page)
    tail = msisdn[-7:]
    page.locator("#list-search").fill(f"{tail[:3]}-{tail[3:5]}-{tail[5:]}")
    page.locator("#list-apply").click()
    view = "#admin-sims"
    expect(page.locator(view)).to_contain_text(iccid)
    expect(page.locator("#admin-sims-summary")).to_contain_text("1")
    shots(page, "admin-sims-search")
    page.locator(view).get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/sims/{sim_id}$"))
    expect(page.locator("#info-iccid")).to_have_text(iccid)
    expect(page.locator("#sim-history")).to_be_visible()
    shots(page, "admin-sim-card")


def test_admin_filters_pages_and_bulk_assigns_stock_sims(new_page, app_env):
    page = _admin(new_page)
    page.goto("/admin/sims")
    ready(page)
    page.locator("#f-status").select_option(label="На складе")
    expect(page.locator("#admin-sims")).not_to_contain_text("Активна")
    first = page.locator("#admin-sims tbody tr").first.inner_text()
    if page.locator("#admin-sims-next").is_enabled():
        page.locator("#admin-sims-next").click()
        expect(page.locator("#admin-sims-page")).to_contain_text("2")
        expect(page.locator("#admin-sims tbody tr").first).not_to_have_text(first)
        page.locator("#admin-sims-prev").click()
        expect(page.locator("#admin-sims-page")).to_contain_text("1")
    rows = page.locator("#admin-sims tbody tr")
    rows.nth(0).locator(".row-select").click()
    rows.nth(1).locator(".row-select").click()
    expect(page.locator("#bulk-count")).to_contain_text("2")
    page.locator("#bulk-value").select_option(index=1)  # the first after the "—"
    page.locator("#bulk-run").click()
    # a SIM that already had the chosen partner is skipped, not changed twice
    expect(page.locator("#bulk-message")).to_contain_text(
        re.compile(r"Изменено: (2, пропущено: 0|1, пропущено: 1|0, пропущено: 2)")
    )
    shot(page, "admin-sims-bulk-1280")


def test_admin_edits_a_sim_and_sees_the_change_in_its_history(new_page, app_env):
    sim_id, _msisdn, _iccid = _some_sim(app_env, "in_stock")
    page = _admin(new_page)
    page.goto(f"/admin/sims/{sim_id}")
    expect(page.locator("#info-iccid")).not_to_be_empty()
    ready(page)
    page.locator("#sim-activation_code").fill("NEW-CODE-42")
    page.locator("#sim-save").click()
    expect(page.locator("#sim-history")).to_contain_text("sim.edit")
    page.locator("#sim-msisdn").fill("+1 555")
    page.locator("#sim-save").click()
    expect(page.locator("#sim-form-error")).to_be_visible()


def test_admin_payments_filter_totals_and_a_payment_card(new_page, app_env):
    page = _admin(new_page)
    page.goto("/admin/payments")
    expect(page.locator("#payments-totals")).to_contain_text("₽")
    ready(page)
    page.locator("#f-status").select_option(label="Отклонён")
    expect(page.locator("#admin-payments")).not_to_contain_text("Проведён")
    shot(page, "admin-payments-1280")
    page.locator("#admin-payments").get_by_role("link").first.click()
    expect(page.locator("#payment-title")).to_contain_text("#")
    expect(page.locator("#payment-decline")).not_to_have_text("—")


def test_admin_exports_the_filtered_sims_as_csv(new_page, app_env):
    page = _admin(new_page)
    page.goto("/admin/sims")
    ready(page)
    page.locator("#filter-toggle").is_visible()
    with page.expect_download() as info:
        page.locator("#list-export").click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("ICCID;")
    assert len(text.splitlines()) > 2


def test_admin_exports_the_filtered_sims_as_xlsx(new_page, app_env):
    """The same list as an Excel workbook: typed cells under a bold frozen header."""
    page = _admin(new_page, WIDTHS["phone"])
    page.goto("/admin/sims")
    ready(page)
    page.locator("#filter-toggle").click()
    shot(page, "admin-sims-export-390")
    with page.expect_download() as info:
        page.locator("#list-export-xlsx").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    with open(info.value.path(), "rb") as fh:
        sheet = load_workbook(fh).active
    assert sheet["A1"].value == "ICCID" and sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet.max_row > 2
    header = [c.value for c in sheet[1]]
    balance = sheet.cell(row=2, column=header.index("Баланс") + 1)
    assert balance.data_type == "n" and balance.number_format == "#,##0.00"
    with sqlite3.connect(app_env["db"]) as db:
        total = db.execute("SELECT count(*) FROM sim").fetchone()[0]
    assert sheet.max_row == min(total, 100_000) + 1


def test_support_operator_is_sent_back_from_the_sim_list(new_page):
    page = new_page()
    enter(page, "support@paysim.demo", "/admin/sims")
    expect(page).to_have_url(re.compile(r"/admin$"))
    page.goto("/admin/payments/1")
    expect(page).to_have_url(re.compile(r"/admin$"))


def test_the_header_search_box_finds_a_sim_from_any_admin_page(new_page, app_env):
    sim_id, msisdn, _ = _some_sim(app_env)
    page = _admin(new_page, WIDTHS["desktop"])
    page.goto("/admin/payments")
    ready(page)
    page.locator("#global-search").fill(msisdn[-7:])  # the shell's header slot of the console
    page.locator("#global-search").press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/search\?q="))
    expect(page.locator("#search-hits").locator(f"a[href='/admin/sims/{sim_id}']")).to_be_visible()
