"""Journeys with the keyboard alone (Tab, arrows, Space, Enter; no mouse): sign in, reach the
top-up page through the menu and pay with a new card, then open a support ticket with a chosen
topic. Each focused control must also show where the focus is (a visible focus ring)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, WIDTHS, ready

MAX_TABS = 80
# a focus ring on the control, its ::before, or its frame (Radix draws a text field's ring on
# the field's root and a radio's on the radio's ::before)
FOCUS_SHOWN = """() => {
  const ring = s => (s.outlineStyle !== 'none' && s.outlineWidth !== '0px') || s.boxShadow !== 'none';
  for (let e = document.activeElement, i = 0; e && i < 3; e = e.parentElement, i++) {
    if (ring(getComputedStyle(e)) || ring(getComputedStyle(e, '::before'))) return true;
  }
  return false;
}"""


def _tab_to(page, selector: str) -> None:
    """Press Tab until the focus is on `selector`, as a keyboard user would."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            outline = page.evaluate(FOCUS_SHOWN)
            assert outline, f"{selector} takes the focus without showing it"
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {selector}")


def _type(page, selector: str, text: str) -> None:
    """Tab to a field and type; check what it holds. A websocket reconnect re-hydrates the page
    and disables its fieldset for a moment (forms.ready_fieldset): the field loses the focus and
    the rest of the keys. A user would see it and type again, so the test does, once."""
    for _attempt in range(2):
        _tab_to(page, selector)
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(text)
        if page.locator(selector).input_value() == text:
            return
        ready(page)
    raise AssertionError(f"{selector} holds {page.locator(selector).input_value()!r}, not {text!r}")


def test_sign_in_top_up_and_open_a_ticket_with_the_keyboard(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    page.goto("/login")
    expect(page.locator("#login")).to_be_enabled()
    _type(page, "#login", customer["login"])
    _type(page, "#password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))
    ready(page)

    # the menu: Tab to "Top up", Enter
    _tab_to(page, "nav a[href='/cabinet/topup']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cabinet/topup/?$"))
    ready(page)
    _type(page, "#amount", "300")
    _tab_to(page, "#pay-with [role=radio][data-state=checked], #pay-with [role=radio]")
    page.keyboard.press("End")  # a radio group moves with the arrows: the last is "new card"
    expect(page.locator("#pay-with [role=radio]").last).to_have_attribute("data-state", "checked")
    _tab_to(page, "#pay")
    page.keyboard.press("Enter")
    # the card goes on the payment provider's page (the sandbox's test page), by keyboard too
    expect(page.locator("#sandbox-banner")).to_be_visible()
    _type(page, "#card_number", "4242424242424242")
    _type(page, "#card_expiry", "1234")
    _type(page, "#card_cvc", "123")
    page.keyboard.press("Enter")
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")

    # support: a new ticket, the topic chosen in a select with the arrows
    page.goto("/cabinet/support")
    ready(page)
    _tab_to(page, "#support-category")
    page.keyboard.press("Enter")
    page.keyboard.press("Home")  # the topics: connection, internet speed, payments, ...
    expect(page.get_by_role("option", name="Связь")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("option", name="Скорость интернета")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#support-category")).to_contain_text("Скорость интернета")
    _type(page, "#support-subject", "Медленно вечером")
    _type(page, "#support-body", "После 20:00 скорость падает.")
    _tab_to(page, "#support-send")
    page.keyboard.press("Enter")
    expect(page.locator(".ticket-card").first).to_contain_text("Медленно вечером")
