"""The advanced search in a browser: a condition on the admin SIM list goes into the address,
a reload restores it, Back returns to the previous filters, a saved set reopens from the
list's menu, garbage in the address is named and left out; payments filtered by a subscriber
picked by typing, driven at 390 px; the panel shot at 390 and 1280 px."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, ready, shot, shots


def _admin(new_page, width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, "admin@paysim.demo")
    return page


def _condition(page, row: int, field: str, op: str, value: str | None = None) -> None:
    page.locator(f"#adv-field-{row}").select_option(field)
    page.locator(f"#adv-op-{row}").select_option(op)
    if value is not None:
        box = page.locator(f"#adv-value-{row}")
        box.fill(value)
        expect(box).to_have_value(value)


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_conditions_live_in_the_address_back_and_saved(new_page, app_env):
    page = _admin(new_page)
    page.goto("/admin/sims")
    ready(page)
    expect(page.locator("#admin-sims-summary")).to_contain_text(re.compile(r"\d"))
    page.locator("#adv-toggle").click()
    _condition(page, 0, "balance", "lte", "0")
    page.locator("#adv-apply").click()
    expect(page).to_have_url(re.compile(r"balance\.lte=0"))
    first_filter = page.url
    # a second applied condition: a new history entry
    _condition(page, 0, "balance", "gte", "100")
    page.locator("#adv-add").click()
    _condition(page, 1, "status", "in")
    page.locator("#adv-value-1").wait_for(state="detached")  # ticks, not a text box
    # a controlled tick: it turns on when the server's state comes back, not on the click
    tick = page.get_by_label("Активна").first
    tick.click()
    expect(tick).to_be_checked()
    page.locator("#adv-apply").click()
    expect(page).to_have_url(re.compile(r"balance\.gte=100.*status\.in=active|status\.in=active"))
    expect(page).to_have_url(re.compile(r"balance\.gte=100"))
    expect(page.locator("#admin-sims")).not_to_contain_text("На складе")
    rows = page.locator("#admin-sims tbody tr").first.inner_text()
    # the sort goes into the address too (replacing the entry)
    page.locator("#list-sort").select_option("balance")
    expect(page).to_have_url(re.compile(r"sort=balance"))
    # a reload restores the same list and the panel's rows
    page.reload()
    ready(page)
    expect(page.locator("#adv-value-0")).to_have_value("100")
    expect(page.locator("#list-sort")).to_have_value("balance")
    expect(page.locator("#admin-sims tbody tr").first).not_to_be_empty()
    assert rows  # the list was not empty before either
    shot(page, "advanced-search-sims-1280")
    # Back: the previous applied filters
    page.go_back()
    expect(page).to_have_url(first_filter)
    expect(page.locator("#adv-value-0")).to_have_value("0")
    expect(page.locator("#adv-op-0")).to_have_value("lte")
    # save it under a name and reopen it from the menu on a clean list
    page.locator("#saved-name").fill("В минусе или ноль")
    page.locator("#saved-save").click()
    expect(page.locator("#saved-note")).to_contain_text("В минусе или ноль")
    page.goto("/admin/sims")
    ready(page)
    expect(page).not_to_have_url(re.compile(r"balance"))
    page.locator("#saved-menu").click()
    page.locator(".saved-set", has_text="В минусе или ноль").click()
    expect(page).to_have_url(re.compile(r"balance\.lte=0"))
    expect(page.locator("#adv-value-0")).to_have_value("0")


def test_garbage_in_the_address_is_named_not_an_error(new_page, app_env):
    page = _admin(new_page)
    page.goto("/admin/sims?balance.gte=lots&status=nonsense&msisdn.starts=%2B79")
    ready(page)
    expect(page.locator("#url-note")).to_contain_text("balance.gte")
    expect(page.locator("#url-note")).to_contain_text("status")
    expect(page.locator("#adv-value-0")).to_have_value("+79")
    expect(page.locator("#admin-sims-summary")).to_contain_text(re.compile(r"\d"))


def test_payments_by_a_subscriber_picked_by_typing(new_page, app_env):
    """Driven at 390 px: the panel's rows wrap there and the picker's hits are narrowest (the
    riskier layout to type and click in); the result is shot at 390 px and 1280 px."""
    with sqlite3.connect(app_env["db"]) as db:
        sub_id, name = db.execute(
            "SELECT s.id, s.full_name FROM payment p JOIN subscriber s ON s.id = p.subscriber_id"
            " WHERE s.full_name != '' GROUP BY s.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        others = db.execute(
            "SELECT count(*) FROM payment WHERE subscriber_id != ? OR subscriber_id IS NULL",
            (sub_id,),
        ).fetchone()[0]
    page = _admin(new_page, WIDTHS["phone"])
    page.goto("/admin/payments")
    ready(page)
    page.locator("#adv-toggle").click()
    page.locator("#adv-field-0").select_option("subscriber")
    surname = name.split()[-1]
    page.locator("#adv-pick-0").fill(surname[:5])
    hit = page.locator(".adv-hit", has_text=name).first
    expect(hit).to_be_visible()
    hit.click()
    expect(page.locator("#adv-pick-0")).to_have_value(re.compile(re.escape(name)))
    page.locator("#adv-apply").click()
    expect(page).to_have_url(re.compile(rf"subscriber\.eq={sub_id}\b"))
    table = page.locator("#admin-payments")
    expect(table.locator("tbody tr").first).to_contain_text(name)
    assert others > 0  # the filter narrowed the list
    texts = table.locator("tbody tr").all_inner_texts()
    assert texts and all(name in t for t in texts)
    _no_sideways_scroll(page)
    shots(page, "advanced-search-payments")


def test_subscriber_card_links_to_its_filtered_lists(new_page, app_env):
    with sqlite3.connect(app_env["db"]) as db:
        (sub_id,) = db.execute(
            "SELECT subscriber_id FROM payment WHERE subscriber_id IS NOT NULL LIMIT 1"
        ).fetchone()
    page = _admin(new_page, WIDTHS["phone"])
    page.goto(f"/admin/subscribers/{sub_id}")
    ready(page)
    page.locator("#subscriber-payments-link").click()
    expect(page).to_have_url(re.compile(rf"/admin/payments\?subscriber\.eq={sub_id}$"))
    # the picker row shows the subscriber's name, looked up from the id in the address
    expect(page.locator("#adv-pick-0")).to_have_value(re.compile(rf"\(#{sub_id}\)$"))
    expect(page.locator("#admin-payments tbody tr").first).to_be_visible()
    shot(page, "advanced-search-card-link-390")
