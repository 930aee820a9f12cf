"""Browser journey of the add-on services page: buy one from the balance, be refused when the
balance is short, switch auto-renewal off."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, shot


def test_buy_an_add_on_from_the_balance(new_page, customer):
    page = new_page(WIDTHS["phone"])
    enter(page, customer["login"], "/cabinet/services")
    offers = page.locator(".addon-offer")
    expect(offers.nth(3)).to_be_visible()  # the four demo add-ons (an admin test may add more)
    shot(page, "services-390")
    offers.filter(has_text="Ночной безлимит").locator(".buy-addon").click()  # 99 ₽ of 100 ₽
    page.locator(".confirm-buy").click()
    expect(page.locator(".addon-active")).to_have_count(1)
    expect(page.get_by_text("Услуга подключена.")).to_be_visible()

    expensive = offers.filter(has_text="+10 ГБ")
    expensive.locator(".buy-addon").click()
    page.locator(".confirm-buy").click()
    expect(page.get_by_text("не хватает 149,00")).to_be_visible()
    expect(page.locator(".addon-active")).to_have_count(1)

    page.locator(".renew-switch").click()
    expect(page.locator(".addon-active")).to_contain_text("Не продлевается")
    shot(page, "services-bought-390")

    page.goto("/cabinet")
    expect(page.locator("#dash-balance")).to_contain_text("1,00")
    expect(page.locator("#dash-payments")).to_contain_text("Дополнительная услуга")
    # the dashboard lists the SIM's add-on with its expiry and renewal
    expect(page.locator("#dash-addons .dash-addon")).to_have_count(1)
    expect(page.locator("#dash-addons")).to_contain_text("Ночной безлимит")
    expect(page.locator("#dash-addons")).to_contain_text("Не продлевается")
    shot(page, "dashboard-addons-390")

    desk = new_page(WIDTHS["desktop"])
    enter(desk, customer["login"], "/cabinet/services")
    expect(desk.locator(".addon-offer").nth(3)).to_be_visible()
    shot(desk, "services-1280")
