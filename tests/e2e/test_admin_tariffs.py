"""The admin's Tariffs section in a browser: create a tariff (a refused fee first), find it in
the list, archive it (it leaves the cabinet's catalogue), change its fee (the new fee waits for
next month), delete it; a used tariff's delete is refused; the add-on tab; pages shot at
390 px and 1280 px."""

from __future__ import annotations

import re
import sqlite3
import uuid

from playwright.sync_api import expect

from paysim_app.catalogue.tariffs import next_period
from tests.e2e.conftest import WIDTHS, enter, ready, shot, shots


def _admin(new_page, width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, "admin@paysim.demo")  # the test opens its page
    return page


def _used_tariff(app_env) -> int:
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute(
            "SELECT tariff_id FROM sim WHERE tariff_id IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()[0]


def _goto(page, path: str) -> None:
    page.goto(path)
    ready(page)


def test_admin_creates_finds_archives_reprices_and_deletes_a_tariff(new_page, app_env, customer):
    code = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    name = f"Тест {code}"
    page = _admin(new_page)
    _goto(page, "/admin/tariffs")
    expect(page.locator("#admin-tariffs-summary")).to_contain_text(re.compile(r"\d"))
    page.locator("#tariff-new").click()
    expect(page).to_have_url(re.compile(r"/admin/tariffs/new$"))
    ready(page)
    page.locator("#tariff-code").fill(code)
    page.locator("#tariff-name").fill(name)
    page.locator("#tariff-monthly_fee_kop").fill("4,5,0")
    page.locator("#tariff-data_gb").fill("25")
    page.locator("#tariff-speed_mbps").fill("50")
    page.locator("#tariff-save").click()
    expect(page.locator("#tariff-monthly_fee_kop-error")).to_contain_text("1500,50")
    expect(page.locator("#tariff-monthly_fee_kop")).to_have_attribute("aria-invalid", "true")
    page.locator("#tariff-monthly_fee_kop").fill("450")
    page.locator("#tariff-save").click()
    expect(page).to_have_url(re.compile(r"/admin/tariffs/\d+$"))
    tariff_url = page.url
    expect(page.locator("#tariff-title")).to_have_text(name)
    expect(page.locator("#tariff-fee-info")).to_contain_text("450")
    expect(page.locator("#tariff-data-info")).to_contain_text("25")

    # the list finds it by a part of its code
    _goto(page, "/admin/tariffs")
    page.locator("#list-search").fill(code[-6:].lower())
    page.locator("#list-apply").click()
    expect(page.locator("#admin-tariffs")).to_contain_text(name)
    expect(page.locator("#admin-tariffs-summary")).to_contain_text("1")
    shot(page, "admin-tariffs-list-1280")

    # on sale: a subscriber sees it in the cabinet's catalogue
    cabinet = new_page()
    enter(cabinet, customer["login"])
    _goto(cabinet, "/cabinet/tariffs")
    expect(cabinet.locator("#tariff-cards")).to_contain_text(name)

    # archive: no longer sold
    page.locator("#admin-tariffs").get_by_role("link", name=name).click()
    expect(page).to_have_url(tariff_url)
    ready(page)
    page.locator("#tariff-archive").click()
    expect(page.locator("#tariff-status")).to_have_text("В архиве")
    expect(page.locator("#tariff-unarchive")).to_be_visible()
    _goto(cabinet, "/cabinet/tariffs")
    expect(cabinet.locator("#tariff-cards")).not_to_contain_text(name)
    _goto(page, "/admin/tariffs?status=archived")
    expect(page.locator("#admin-tariffs")).to_contain_text(name)

    # a new fee waits for next month; the form keeps showing it
    _goto(page, tariff_url)
    page.locator("#tariff-unarchive").click()
    expect(page.locator("#tariff-status")).to_have_text("В продаже")
    page.locator("#tariff-monthly_fee_kop").fill("600")
    page.locator("#tariff-save").click()
    year, month = next_period().split("-")
    waiting = page.locator("#tariff-waiting")
    expect(waiting).to_contain_text(f"01.{month}.{year}")
    expect(waiting).to_contain_text("600")
    expect(page.locator("#tariff-fee-info")).to_contain_text("450")
    page.reload()
    ready(page)
    expect(page.locator("#tariff-monthly_fee_kop")).to_have_value("600")
    expect(page.locator("#tariff-waiting")).to_contain_text("600")
    shot(page, "admin-tariff-edit-1280")

    # never used: it can be deleted, after a confirmation
    page.locator("#tariff-delete").click()
    page.locator("#tariff-delete-yes").click()
    expect(page).to_have_url(re.compile(r"/admin/tariffs$"))
    ready(page)
    page.locator("#list-search").fill(code)
    page.locator("#list-apply").click()
    expect(page.locator("#admin-tariffs-empty")).to_be_visible()


def test_deleting_a_used_tariff_is_refused_with_the_reason(new_page, app_env):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = _admin(new_page)
    _goto(page, f"/admin/tariffs/{_used_tariff(app_env)}")
    expect(page.locator("#tariff-title")).not_to_be_empty()
    page.locator("#tariff-delete").click()
    page.locator("#tariff-delete-yes").click()
    expect(page.locator("#tariff-error")).to_contain_text("удалить его нельзя")
    expect(page).to_have_url(re.compile(r"/admin/tariffs/\d+$"))
    shots(page, "admin-tariff-refused")


def test_admin_creates_an_addon_on_the_second_tab(new_page, app_env):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    code = f"ADD-{uuid.uuid4().hex[:6].upper()}"
    name = f"Услуга {code}"
    page = _admin(new_page)
    _goto(page, "/admin/tariffs")
    expect(page.locator("#admin-tariffs-summary")).to_contain_text(re.compile(r"\d"))
    shots(page, "admin-tariffs")
    page.locator("#tab-addons").click()
    expect(page).to_have_url(re.compile(r"/admin/tariffs\?tab=addons$"))
    expect(page.locator("#admin-addons-summary")).to_contain_text(re.compile(r"\d"))
    page.locator("#addon-new").click()
    expect(page).to_have_url(re.compile(r"/admin/addons/new$"))
    ready(page)
    page.locator("#addon-code").fill(code)
    page.locator("#addon-name").fill(name)
    page.locator("#addon-price_kop").fill("149,90")
    page.locator("#addon-period_days").fill("0")
    page.locator("#addon-save").click()
    expect(page.locator("#addon-period_days-error")).to_contain_text("366")
    page.locator("#addon-period_days").fill("7")
    page.locator("#addon-save").click()
    expect(page).to_have_url(re.compile(r"/admin/addons/\d+$"))
    expect(page.locator("#addon-title")).to_have_text(name)
    expect(page.locator("#addon-price-info")).to_contain_text("149,90")
    shots(page, "admin-addon-card")
    page.locator("#catalogue-back").click()
    expect(page).to_have_url(re.compile(r"/admin/tariffs\?tab=addons$"))
    view = "#admin-addons"
    expect(page.locator(view)).to_contain_text(name)
    shots(page, "admin-addons")
    page.locator("#tab-tariffs").click()
    expect(page).to_have_url(re.compile(r"/admin/tariffs$"))
    expect(page.locator("#admin-tariffs-summary")).to_be_visible()


def test_support_operator_is_sent_back_from_the_tariffs_section(new_page):
    page = new_page()
    enter(page, "support@paysim.demo")
    for path in ("/admin/tariffs", "/admin/tariffs?tab=addons", "/admin/addons/new"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/admin$"))
