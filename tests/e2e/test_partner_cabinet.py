"""The partner cabinet in a browser: the demo dealer sells an in-stock SIM (a field error first),
the admin approves the request, the dealer sees the SIM active in its list and one more
subscriber on its home page; the pages on a phone, with no id twice on a page."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, ready, shot

PARTNER = "partner@paysim.demo"
BUYER_EMAIL = "buyer.e2e@example.ru"


def _one(app_env, sql: str, *args):
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute(sql, args).fetchone()


def _partner_page(new_page, width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, PARTNER, "/partner")
    return page


def _free_phone(app_env) -> str:
    for n in range(100):
        candidate = f"+7999555{n:04d}"
        if _one(app_env, "SELECT 1 FROM user_account WHERE phone = ?", candidate) is None:
            return candidate
    raise AssertionError("no free phone number for the buyer")


def _toast(page, text: str) -> None:
    expect(page.locator("[data-sonner-toast]").filter(has_text=text).first).to_be_visible()


def test_partner_sells_a_sim_the_admin_approves_and_the_partner_sees_it_active(new_page, app_env):
    partner_id = _one(app_env, "SELECT partner_id FROM user_account WHERE email = ?", PARTNER)[0]
    page = _partner_page(new_page)
    subscribers = _one(  # what the home page counts: distinct contracts on the dealer's SIMs
        app_env,
        "SELECT count(DISTINCT subscriber_id) FROM sim WHERE partner_id = ?",
        partner_id,
    )[0]
    expect(page.locator("#partner-subscribers")).to_have_text(str(subscribers))
    expect(page.locator("#partner-open-requests")).to_have_text(re.compile(r"^\d+$"))
    shot(page, "partner-home-1280")

    # the SIM list: only this dealer's SIMs; an in-stock one links to the sale form
    page.goto("/partner/sims?status=in_stock")
    ready(page)
    expect(page.locator("#partner-sims tbody tr").first).to_contain_text("На складе")
    expect(page.locator("#partner-sims")).not_to_contain_text("Активна")
    shot(page, "partner-sims-1280")
    with page.expect_download() as download:  # the CSV holds this dealer's stock SIMs only
        page.locator("#list-export").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    stock = _one(
        app_env,
        "SELECT count(*) FROM sim WHERE partner_id = ? AND status = 'in_stock'",
        partner_id,
    )[0]
    assert csv_text.startswith("Номер;ICCID;Статус") and len(csv_text.splitlines()) == stock + 1
    page.locator("#partner-sims tbody tr").first.get_by_role("link", name="Продать").click()
    expect(page).to_have_url(re.compile(r"/partner/activations\?sim=\d+$"))
    sim_id = int(page.url.rsplit("=", 1)[1])
    msisdn, sim_partner, status = _one(
        app_env, "SELECT msisdn, partner_id, status FROM sim WHERE id = ?", sim_id
    )
    assert (sim_partner, status) == (partner_id, "in_stock")

    # the sale form: the SIM is preselected; a bad document number is refused on its field
    ready(page)
    expect(page.locator("#sale-sim")).to_contain_text(msisdn[-2:])
    page.locator("#sale-customer_name").fill("Покупатель Тестовый")
    page.locator("#sale-phone").fill(_free_phone(app_env))
    page.locator("#sale-email").fill(BUYER_EMAIL)
    page.locator("#sale-document").fill("12")
    page.locator("#sale-tariff").click()
    page.get_by_role("option").first.click()
    page.locator("#sale-submit").click()
    expect(page.locator("#sale-document-error")).to_be_visible()
    assert _one(app_env, "SELECT status FROM sim WHERE id = ?", sim_id) == ("in_stock",)
    shot(page, "partner-sale-error-1280")
    page.locator("#sale-document").fill("4510 123456")
    page.locator("#sale-submit").click()  # without the customer's consent: refused
    expect(page.get_by_text("Без согласия клиента продажа невозможна.")).to_be_visible()
    page.locator("#sale-consent").click()
    page.locator("#sale-submit").click()
    _toast(page, "отправлена")
    request_id, req_status, document = _one(
        app_env,
        "SELECT id, status, customer_document FROM activation_request "
        "WHERE sim_id = ? AND partner_id = ? ORDER BY id DESC",
        sim_id,
        partner_id,
    )
    assert (req_status, document) == ("pending", "4510 123456")
    expect(page.locator("#partner-requests")).to_contain_text(f"#{request_id}")
    expect(page.locator("#partner-requests")).to_contain_text("Покупатель Тестовый")
    assert _one(app_env, "SELECT status FROM sim WHERE id = ?", sim_id) == ("awaiting_activation",)
    shot(page, "partner-activations-1280")

    # the admin approves it
    admin = new_page()
    enter(admin, "admin@paysim.demo", f"/admin/activations/{request_id}")
    expect(admin.locator("#activation-title")).to_contain_text(str(request_id))
    ready(admin)
    admin.locator("#activation-approve").click()
    # back on the queue (its tabs' filters in the address: act_status=pending...)
    expect(admin).to_have_url(re.compile(r"/admin/activations(\?.*)?$"))
    assert _one(app_env, "SELECT status FROM sim WHERE id = ?", sim_id) == ("active",)

    # the dealer sees the SIM active, the new subscriber, and one more on its home page
    page.goto("/partner/sims")
    ready(page)
    page.locator("#list-search").fill(msisdn[-10:])
    page.locator("#list-apply").click()
    expect(page.locator("#partner-sims tbody tr")).to_have_count(1)
    expect(page.locator("#partner-sims tbody tr").first).to_contain_text("Активна")
    expect(page.locator("#partner-sims tbody tr").first).to_contain_text("Покупатель Тестовый")
    page.goto("/partner/subscribers")
    ready(page)
    page.locator("#list-search").fill("Покупатель Тестовый")
    page.locator("#list-apply").click()
    expect(page.locator("#partner-subscriber-list tbody tr")).to_have_count(1)
    shot(page, "partner-subscribers-1280")
    page.goto("/partner/activations")
    expect(page.locator("#partner-requests")).to_contain_text("Одобрена")
    page.goto("/partner")
    expect(page.locator("#partner-subscribers")).to_have_text(str(subscribers + 1))


@pytest.mark.parametrize(
    "path", ["/partner", "/partner/sims", "/partner/activations", "/partner/subscribers"]
)
def test_the_partner_pages_on_a_phone(new_page, path):
    page = _partner_page(new_page, WIDTHS["phone"])
    page.goto(path)
    ready(page)
    if path == "/partner":
        expect(page.locator("#partner-sims-total")).to_have_text(re.compile(r"^[1-9]\d*$"))
    else:  # /partner/activations has two lists (pick-up orders and requests), each its toggle
        expect(page.locator(".filter-toggle").first).to_be_visible()
    if path == "/partner/activations":
        expect(page.locator("#sale-submit")).to_be_visible()
        expect(page.locator(".filter-toggle")).to_have_count(2)
    twice = page.evaluate(
        "() => { const n = {}; for (const e of document.querySelectorAll('[id]'))"
        " n[e.id] = (n[e.id] || 0) + 1; return Object.keys(n).filter(k => n[k] > 1); }"
    )
    assert twice == [], f"{path}: ids used twice: {twice}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTHS["phone"] + 1, f"{path} scrolls sideways: {width}px"
    shot(page, f"partner{path.replace('/partner', '').replace('/', '-') or '-home'}-390")
