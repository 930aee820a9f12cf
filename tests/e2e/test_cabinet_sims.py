"""Browser journeys of the cabinet's dashboard and SIM pages: the header's SIM switcher, the
current SIM's dashboard, technical data with the PUK behind "show", a label, blocking a lost
SIM and asking to unblock it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, ready, shot


def _enter(page, customer) -> None:
    enter(page, customer["login"], "/cabinet")
    expect(page.locator(".sim-card")).to_have_count(2)


def test_dashboard_follows_the_sim_switcher(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    expect(page.locator("#dash-number")).to_have_text(re.compile(r"^\+7 999 "))
    first = page.locator("#dash-number").inner_text()
    expect(page.locator("#dash-balance")).to_contain_text("100,00")
    expect(page.locator("#dash-next-fee")).to_contain_text("₽")
    expect(page.locator("#dash-payments")).to_contain_text("Корректировка")
    shot(page, "dashboard-1280")
    page.locator("#sim-switcher").select_option(index=1)
    expect(page.locator("#dash-number")).not_to_have_text(first)
    expect(page.locator("#dash-balance")).to_contain_text("0,00")

    phone = new_page(WIDTHS["phone"])
    _enter(phone, customer)
    expect(phone.locator("#dash-number")).to_be_visible()
    phone.locator("#dash-rate-coverage-2").click()  # one tap rates; a low mark offers support
    expect(phone.locator("#dash-low-hint")).to_be_visible()
    expect(phone.locator("#dash-rate-coverage-2")).to_have_attribute("aria-pressed", "true")
    shot(phone, "dashboard-390")
    phone.locator("#menu-button").click()
    expect(phone.locator("#sim-switcher-drawer")).to_be_visible()

    # the low mark goes to support with the rating attached
    phone.goto("/cabinet")
    ready(phone)
    phone.locator("#dash-rate-coverage-1").click()
    expect(phone.locator("#dash-rate-coverage-1")).to_have_attribute("aria-pressed", "true")
    phone.locator("#dash-to-support").click()
    expect(phone.locator("#rating-note")).to_contain_text("★☆☆☆☆")
    ready(phone)
    phone.locator("#support-subject").fill("Нет сети у дома")
    phone.locator("#support-body").fill("Связь пропадает весь вечер.")
    phone.locator("#support-send").click()
    expect(phone.locator(".ticket-card")).to_have_count(1)
    expect(phone.locator("#rating-note")).to_have_count(0)
    phone.locator(".ticket-card").first.click()
    expect(phone.get_by_text("Оценка: ★☆☆☆☆")).to_be_visible()


def test_sim_details_puk_label_block_and_unblock_request(new_page, customer):
    page = new_page(WIDTHS["phone"])
    _enter(page, customer)
    page.goto("/cabinet/sims")
    expect(page.locator("#sim-iccid")).to_have_text(re.compile(r"^\d{19,20}$"))
    expect(page.locator("#sim-apn")).to_have_text("internet.paysim")
    expect(page.locator("#sim-puk")).to_have_count(0)
    page.locator("#show-puk").click()
    expect(page.locator("#sim-puk")).to_have_text(re.compile(r"^\d{8}$"))
    page.locator("#sim-label").fill("Мой роутер")
    page.locator("#save-label").click()
    expect(page.locator("#sim-list")).to_contain_text("Мой роутер")
    shot(page, "sims-390")

    page.locator("#block-reason").get_by_role("radio").nth(1).click()  # stolen
    page.locator("#block-sim").click()
    page.locator("#confirm-block").click()
    expect(page.locator("#block-info")).to_contain_text("украдена")
    page.locator("#ask-unblock").click()
    expect(page.locator("#unblock-pending")).to_be_visible()
    shot(page, "sims-blocked-390")

    desk = new_page(WIDTHS["desktop"])
    _enter(desk, customer)
    expect(desk.locator("#dash-note")).to_contain_text("Заблокирована")
    expect(desk.locator("#dash-requests")).to_contain_text("Разблокировка")
    desk.goto("/cabinet/sims")
    expect(desk.locator("#block-info")).to_be_visible()
    shot(desk, "sims-1280")


def test_a_wrong_pack_code_is_refused(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    page.goto("/cabinet/sims")
    page.locator("#iccid").fill("123")
    page.locator("#code").fill("ABCD")
    page.locator("#claim-sim").click()
    expect(page.locator("#iccid-error")).to_be_visible()
    page.locator("#iccid").fill("89701990000000000009")
    page.locator("#claim-sim").click()
    expect(page.locator("#claim-error")).to_be_visible()


def test_a_revealed_puk_is_forgotten_when_the_page_is_left(new_page, customer):
    page = new_page(WIDTHS["desktop"])  # the side menu is on screen
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws))
    _enter(page, customer)
    page.goto("/cabinet/sims")
    page.locator("#show-puk").click()
    expect(page.locator("#sim-puk")).to_have_text(re.compile(r"^\d{8}$"))
    digits = page.locator("#sim-puk").inner_text()
    later: list[str] = []
    sockets[-1].on("framereceived", lambda payload: later.append(str(payload)))
    # leaving the page in the app (no reload): the server's copy is emptied, a delta says so
    emptied = re.compile(r'"puk(_rx_state_)?":""')
    with sockets[-1].expect_event(
        "framereceived", predicate=lambda payload: bool(emptied.search(str(payload)))
    ):
        page.locator("a[href='/cabinet/payments']").first.click()
    expect(page).to_have_url(re.compile(r"/cabinet/payments"))
    # no frame after leaving sets it again (the digits alone may also sit inside the ICCID)
    assert f'"{digits}"' not in "\n".join(later)
