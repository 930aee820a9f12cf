"""Browser journeys of a new customer's way in: a visitor opens the public tariff catalogue and
"how to connect" without signing in (phone and desktop), the sign-in page links to them; a
freshly registered subscriber lands on /cabinet, which offers the ways on (add a SIM from its
pack, order one, check coverage), and the sections that need a SIM say so instead of a wrong
message."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, WIDTHS, ready, shot, unique_number
from tests.e2e.test_accessibility import _violations


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_visitor_reads_the_tariffs_and_how_to_connect(new_page, base_url):
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page = new_page(width)
        page.goto("/tariffs")
        expect(page).to_have_title(re.compile("Тарифы PaySim"))
        description = page.locator("meta[name=description]")
        expect(description).to_have_attribute("content", re.compile("4G"))
        expect(page.get_by_role("heading", name="Тарифы", level=1)).to_be_visible()
        cards = page.locator(".public-tariff")
        expect(cards.first).to_be_visible()
        expect(cards.first).to_contain_text("₽")
        expect(cards.first).to_contain_text("Мбит/с")
        order = cards.first.locator(".order-tariff")
        expect(order).to_have_attribute("href", re.compile(r"^/cabinet/order\?tariff=\d+$"))
        expect(page.locator(".public-addon").first).to_be_visible()
        expect(page.locator("#public-sign-in")).to_be_visible()
        expect(page.locator("header nav:visible")).to_have_count(1)  # one row of links
        _no_sideways_scroll(page)
        assert _violations(page) == []  # axe-core: landmarks, no serious violation
        shot(page, f"public-tariffs-{width}")

        page.locator("header").get_by_role("link", name="Как подключиться").first.click()
        expect(page).to_have_url(re.compile(r"/connect$"))
        expect(page.get_by_role("heading", name="Как подключиться", level=1)).to_be_visible()
        for step in ("coverage", "tariff", "get", "activate", "topup"):
            expect(page.locator(f"#connect-{step}")).to_be_visible()
        expect(page.locator("#connect-get a[href='/cabinet/order']")).to_be_visible()
        expect(page.locator("#connect-coverage a[href='/coverage']")).to_be_visible()
        _no_sideways_scroll(page)
        shot(page, f"public-connect-{width}")

    # English, from the header's switch
    page.locator("select[aria-label='Язык']").select_option("en")
    expect(page.get_by_role("heading", name="How to connect", level=1)).to_be_visible()
    page.locator("select[aria-label='Language']").select_option("ru")


def test_the_sign_in_page_links_to_the_public_pages(new_page, base_url):
    page = new_page(WIDTHS["phone"])
    page.goto("/login")
    links = page.locator("#auth-public-links")
    for href in ("/tariffs", "/coverage", "/connect"):
        expect(links.locator(f"a[href='{href}']")).to_be_visible()
    links.locator("a[href='/tariffs']").click()
    expect(page).to_have_url(re.compile(r"/tariffs$"))
    page.goto("/register")
    expect(page.locator("#auth-public-links a[href='/connect']")).to_be_visible()


def test_a_new_subscriber_lands_on_an_empty_cabinet_that_leads_somewhere(new_page, base_url):
    page = new_page(WIDTHS["phone"])
    page.goto("/register")
    page.locator("#full_name").fill("Вера Новосёлова")
    page.locator("#login").fill(f"vera{unique_number()}.{base_url[-4:]}@example.ru")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_repeat").fill(PASSWORD)
    for tick in ("#consent-personal-data", "#consent-terms"):  # when the form asks for consent
        if page.locator(tick).count():
            page.locator(tick).click()
    page.locator("#register").click()

    expect(page).to_have_url(re.compile(r"/cabinet$"))
    empty = page.locator("#no-sims")
    expect(empty).to_contain_text("На договоре пока нет сим-карт")
    expect(page.locator("#add-sim #iccid")).to_be_visible()  # the add form itself
    expect(page.locator("#empty-order")).to_have_attribute("href", "/cabinet/order")
    expect(page.locator("#empty-coverage")).to_have_attribute("href", "/coverage")
    _no_sideways_scroll(page)
    assert _violations(page) == []
    shot(page, "empty-cabinet-390")

    # the form refuses a wrong ICCID under its field
    page.locator("#iccid").fill("1234")
    page.locator("#code").fill("AB12-CD34")
    page.locator("#claim-sim").click()
    expect(page.locator("#iccid-error")).to_be_visible()

    page.goto("/cabinet/tariffs")
    expect(page.locator("#no-sims")).to_contain_text("Тариф подключается к сим-карте")
    expect(page.get_by_text("которые можно пополнить")).to_have_count(0)
    expect(page.locator("#empty-add")).to_have_attribute("href", "/cabinet/sims#add-sim")
    shot(page, "empty-tariffs-390")

    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    page.goto("/cabinet/topup")
    expect(page.locator("#no-sims")).to_contain_text("Пополняется баланс сим-карты")
    ready(page)
    shot(page, "empty-topup-1280")
    page.goto("/cabinet/services")
    expect(page.locator("#no-sims")).to_contain_text("Дополнительные услуги")
    page.goto("/cabinet/payments")
    expect(page.locator("#no-sims")).to_contain_text("пополнения и списания")
    page.goto("/cabinet/sims")
    expect(page.locator("#no-sims #add-sim #iccid")).to_be_visible()
    page.goto("/cabinet")
    expect(page.locator("#no-sims")).to_be_visible()
    shot(page, "empty-cabinet-1280")
