"""The customer's and the dealer's own lists on the shared list machinery, in a browser: the
cabinet's payment history filtered and narrowed by the advanced search keeps it all in the
address (a copied link opens the same rows, Back returns to the previous filters); the dealer's
payments with their commission; both at 390 and 1280 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, paid_by_card, ready, shot


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_cabinet_payments_advanced_search_round_trip(new_page, app_env, customer):
    home, cams = customer["sims"]
    for sim, kop in ((home, 50000), (home, 12345), (cams, 30000)):
        paid_by_card(app_env, sim, kop)
    page = new_page(WIDTHS["desktop"])
    enter(page, customer["login"], "/cabinet/payments")
    ready(page)
    rows = page.locator("#statement tbody tr")
    expect(rows).to_have_count(4)  # the setup entry and three card top-ups
    # a filter: a new history entry with the filter in the address
    page.locator("#f-method").select_option("card")
    expect(page).to_have_url(re.compile(r"method=card"))
    expect(rows).to_have_count(3)
    first_filter = page.url
    # the advanced search: amount from 200 ₽
    page.locator("#adv-toggle").click()
    page.locator("#adv-field-0").select_option("amount")
    page.locator("#adv-op-0").select_option("gte")
    page.locator("#adv-value-0").fill("200")
    expect(page.locator("#adv-value-0")).to_have_value("200")
    page.locator("#adv-apply").click()
    expect(page).to_have_url(re.compile(r"amount\.gte=200"))
    expect(rows).to_have_count(2)
    expect(page.locator("#statement")).not_to_contain_text("123,45")
    shown = rows.all_inner_texts()
    copied = page.url
    shot(page, "cabinet-payments-advanced-1280")
    # the copied address in another tab of the same subscriber: the same rows, the same panel
    other = new_page(WIDTHS["phone"])
    enter(other, customer["login"], copied)
    ready(other)
    cards = other.locator("#statement .row-card")
    expect(cards).to_have_count(2)
    expect(other.locator("#adv-value-0")).to_have_value("200")
    expect(other.locator("#f-method")).to_have_value("card")
    _no_sideways_scroll(other)
    shot(other, "cabinet-payments-advanced-390")
    # a reload of the copied address: the same rows
    page.reload()
    ready(page)
    expect(rows).to_have_count(2)
    assert rows.all_inner_texts() == shown
    # Back: the previous filters (the method only)
    page.go_back()
    expect(page).to_have_url(first_filter)
    expect(rows).to_have_count(3)
    expect(page.locator("#statement")).to_contain_text("123,45")


def test_cabinet_payments_with_another_contracts_sim_show_nothing(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    enter(page, customer["login"], "/cabinet/payments?sim=1")  # the demo subscriber's SIM
    ready(page)
    expect(page.locator("#list-error")).to_be_visible()
    expect(page.locator("#statement tbody tr")).to_have_count(0)


def test_the_dealers_payments_with_their_commission(new_page):
    page = new_page(WIDTHS["desktop"])
    enter(page, "partner@paysim.demo", "/partner/payments")
    ready(page)
    table = page.locator("#partner-payments")
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(page.locator("#partner-payments-summary")).to_contain_text(re.compile(r"\d"))
    shot(page, "partner-payments-1280")
    page.locator("#f-status").select_option("succeeded")
    expect(page).to_have_url(re.compile(r"status=succeeded"))
    expect(table).not_to_contain_text("Отклонён")
    expect(table.locator("tbody tr").first).to_contain_text("₽")
    page.reload()
    ready(page)
    expect(page.locator("#f-status")).to_have_value("succeeded")
    phone = new_page(WIDTHS["phone"])
    enter(phone, "partner@paysim.demo", "/partner/payments")
    ready(phone)
    expect(phone.locator("#partner-payments .row-card").first).to_be_visible()
    _no_sideways_scroll(phone)
    shot(phone, "partner-payments-390")
