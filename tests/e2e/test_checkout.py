"""Browser journeys through the sandbox's TEST payment page (the provider's hosted page in the
demo and the tests): 3-D Secure confirmed and failed, saving a card on a top-up, adding a card,
a page left without paying — each back in the cabinet with the right result and balance."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, shot, shots
from tests.e2e.test_money import _balance, _enter, _pay_new_card, on_test_page


def _payments(app_env, sim_id: int) -> list[tuple[str, str | None]]:
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute(
            "SELECT status, decline_code FROM payment WHERE sim_id = ? AND method = 'card'"
            " ORDER BY id",
            (sim_id,),
        ).fetchall()


def _start_top_up(page, amount_button: str = "500") -> None:
    page.goto("/cabinet/topup")
    expect(page.locator("#amount")).to_be_visible()
    page.locator(".quick-amount", has_text=re.compile(rf"^{amount_button}\s")).first.click()
    page.locator("#pay-with").get_by_role("radio").last.click()
    page.locator("#pay").click()
    expect(page.locator("#sandbox-banner")).to_be_visible()


def test_the_test_page_looks_right_in_both_languages(new_page, customer):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    _start_top_up(page)
    expect(page.locator("#sandbox-banner")).to_have_text(
        "Тестовый платёж — настоящие деньги не списываются"
    )
    expect(page.locator("#sandbox-amount")).to_contain_text("500,00")
    shots(page, "sandbox-page-ru")
    page.locator("a.lang").click()
    expect(page.locator("#sandbox-banner")).to_have_text("Test payment — no real money")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shots(page, "sandbox-page-en")
    page.locator("#card_number").fill("4000 0027 6000 3184")
    page.locator("#card_expiry").fill("12/34")
    page.locator("#card_cvc").fill("123")
    page.locator("#sandbox-pay").click()
    expect(page.locator("#sandbox-confirm")).to_be_visible()
    shots(page, "sandbox-3ds-en")
    # nothing fits only at one width: no horizontal scrolling (390 px: shots checks it)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["desktop"]


def test_top_up_with_3184_confirmed(new_page, customer, app_env):
    page = new_page(WIDTHS["phone"])
    _enter(page, customer)
    _pay_new_card(page, "4000 0027 6000 3184", confirm=True)
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")
    expect(page.locator("#result-body")).to_contain_text("600,00")  # the new balance
    assert _payments(app_env, customer["sims"][0]) == [("succeeded", None)]
    assert re.sub(r"\s", "", _balance(page)) == "600,00₽"


def test_top_up_with_3184_failed(new_page, customer, app_env):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    _pay_new_card(page, "4000 0027 6000 3184", confirm=False)
    expect(page.locator("#result-title")).to_have_text("Платёж не прошёл")
    expect(page.locator("#decline-reason")).to_have_text(
        "Платёж не подтверждён в банке (3-D Secure)."
    )
    shot(page, "topup-3ds-failed-1280")
    assert _payments(app_env, customer["sims"][0]) == [("failed", "authentication_failed")]
    assert re.sub(r"\s", "", _balance(page)) == "100,00₽"


def test_top_up_and_save_the_card_then_pay_with_it(new_page, customer, app_env):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    _pay_new_card(page, "5555 5555 5555 4444", save=True)
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")
    expect(page.locator("#topup-result")).to_contain_text("Карта сохранена")
    page.goto("/cabinet/cards")
    expect(page.locator(".saved-card .card-number")).to_have_text("•••• 4444")
    # the saved card pays at once, without the hosted page
    page.goto("/cabinet/topup")
    expect(page.locator("#pay-with")).to_contain_text("4444")
    page.locator(".quick-amount", has_text=re.compile(r"^300\s")).first.click()
    page.locator("#pay").click()
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")
    assert re.sub(r"\s", "", _balance(page)) == "900,00₽"
    assert _payments(app_env, customer["sims"][0]) == [("succeeded", None)] * 2


def test_add_a_card_on_the_hosted_page(new_page, customer):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    page.goto("/cabinet/cards")
    expect(page.locator("#no-cards")).to_be_visible()
    shots(page, "cards-empty")
    page.locator("#add-card").click()
    expect(page.locator("#sandbox-banner")).to_be_visible()
    expect(page.locator("#sandbox-title")).to_have_text("Добавление карты")
    on_test_page(page, "4000 0025 0000 3155", confirm=True)
    expect(page.locator("#setup-result")).to_have_text("Карта Visa •••• 3155 сохранена.")
    expect(page.locator(".saved-card .card-number")).to_have_text("•••• 3155")
    shots(page, "cards-added")


def test_a_declined_card_is_not_added(new_page, customer):
    page = new_page(WIDTHS["phone"])
    _enter(page, customer)
    page.goto("/cabinet/cards")
    page.locator("#add-card").click()
    on_test_page(page, "4000 0000 0000 0002")
    expect(page.locator("#setup-result")).to_contain_text("Карта не добавлена")
    expect(page.locator("#no-cards")).to_be_visible()


def test_a_page_left_without_paying_expires(new_page, customer, app_env):
    page = new_page(WIDTHS["phone"])
    _enter(page, customer)
    _start_top_up(page)
    page.locator("#sandbox-back").click()
    expect(page.locator("#result-title")).to_have_text("Оплата не завершена")
    expect(page.locator("#result-body")).to_contain_text("Деньги не списаны")
    shot(page, "topup-expired-390")
    assert _payments(app_env, customer["sims"][0]) == [("expired", None)]
    page.goto("/cabinet/payments")
    expect(page.locator("#statement")).to_contain_text("Не завершён")
    assert re.sub(r"\s", "", _balance(page)) == "100,00₽"
