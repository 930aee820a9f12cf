"""Browser journeys of the money pages: top-up (success and decline) through the sandbox's test
payment page, saved cards, monthly autopay, and the payment history with its filters and CSV — on
the real production build.

Each test gets its own subscriber with its own SIMs (written straight into the app's
database), so the journeys do not disturb the demo accounts other tests read.
"""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, shot, shots


def _enter(page, customer) -> None:
    """Signed in without the sign-in page (conftest.enter; test_journeys tests the form): the
    test's next page.goto opens the page it is about."""
    enter(page, customer["login"])


def _balance(page, sim_index: int = 0) -> str:
    page.goto("/cabinet")
    balance = page.locator(".sim-card").nth(sim_index).locator(".sim-balance")
    expect(balance).to_contain_text("₽")
    return balance.inner_text()


def _pay_new_card(
    page,
    number: str,
    amount_button: str | None = "500",
    *,
    save: bool = False,
    confirm: bool | None = None,
):
    """Top up with a new card: "Pay" in the cabinet, the card on the sandbox's test payment
    page (the provider's hosted page), back to the result page. A declined card is told on the
    test page; the payer then goes back to PaySim without paying."""
    page.goto("/cabinet/topup")
    expect(page.locator("#amount")).to_be_visible()
    if amount_button:
        page.locator(".quick-amount", has_text=re.compile(rf"^{amount_button}\s")).first.click()
    page.locator("#pay-with").get_by_role("radio").last.click()  # "new card"
    if save:
        page.locator("#save-card").click()
    page.locator("#pay").click()
    on_test_page(page, number, confirm=confirm)


def on_test_page(page, number: str, *, confirm: bool | None = None) -> None:
    expect(page.locator("#sandbox-banner")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/api/sandbox/checkout/cs_sb_"))
    page.locator("#card_number").fill(number)
    page.locator("#card_expiry").fill("12/34")
    page.locator("#card_cvc").fill("123")
    page.locator("#sandbox-pay").click()
    if confirm is not None:
        expect(page.locator("#sandbox-confirm")).to_be_visible()
        page.locator("#sandbox-confirm" if confirm else "#sandbox-fail").click()
    result = page.locator("#result-title, #setup-result, #sandbox-error")
    expect(result.first).to_be_visible()
    if page.locator("#sandbox-error").count():
        page.locator("#sandbox-back").click()


def test_top_up_with_4242_succeeds_and_the_dashboard_balance_changes(new_page, customer):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    assert re.sub(r"\s", "", _balance(page)) == "100,00₽"
    page.goto("/cabinet/topup")
    expect(page.locator(".quick-amount")).to_have_count(4)
    shots(page, "topup")
    _pay_new_card(page, "4242 4242 4242 4242")
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")
    expect(page.locator("#result-body")).to_contain_text("500,00")
    shots(page, "topup-ok")
    assert re.sub(r"\s", "", _balance(page)) == "600,00₽"


def test_a_double_click_on_pay_charges_once(new_page, customer, app_env):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    page.goto("/cabinet/topup")
    expect(page.locator("#amount")).to_be_visible()
    page.locator(".quick-amount", has_text=re.compile(r"^500\s")).first.click()
    page.locator("#pay-with").get_by_role("radio").last.click()
    page.locator("#pay").dblclick()  # two submits, the second queued behind the first
    on_test_page(page, "4242 4242 4242 4242")
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")
    assert re.sub(r"\s", "", _balance(page)) == "600,00₽"
    with sqlite3.connect(app_env["db"]) as db:
        (charged,) = db.execute(
            "SELECT count(*) FROM payment WHERE sim_id = ? AND method = 'card'",
            (customer["sims"][0],),
        ).fetchone()
    assert charged == 1


def test_a_declined_card_shows_the_reason_and_leaves_the_balance(new_page, customer):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    before = _balance(page)
    _pay_new_card(page, "4000 0000 0000 0002")
    expect(page.locator("#result-title")).to_have_text("Платёж не прошёл")
    expect(page.locator("#decline-reason")).to_have_text("Банк отклонил платёж.")
    expect(page.locator("#decline-advice")).to_contain_text("другую карту")
    expect(page.locator("#try-again")).to_be_visible()
    shots(page, "topup-declined")
    assert _balance(page) == before


def test_bad_input_is_refused_in_the_form_and_on_the_test_page(new_page, customer):
    page = new_page(WIDTHS["phone"])
    _enter(page, customer)
    page.goto("/cabinet/topup")
    expect(page.locator("#card_number")).to_have_count(0)  # no card fields of ours
    page.locator("#amount").fill("5")
    page.locator("#pay").click()
    expect(page.locator("#amount-error")).to_contain_text("10")
    shot(page, "topup-errors-390")
    expect(page).to_have_url(re.compile(r"/cabinet/topup/?$"))
    page.locator("#amount").fill("500")
    page.locator("#pay").click()
    expect(page.locator("#sandbox-banner")).to_be_visible()
    page.locator("#card_number").fill("4242 4242 4242 4241")
    page.locator("#card_expiry").fill("12/34")
    page.locator("#card_cvc").fill("123")
    page.locator("#sandbox-pay").click()
    expect(page.locator("#sandbox-error")).to_have_text("Проверьте номер карты: в нём ошибка.")
    expect(page.locator("#card_number")).to_have_attribute("aria-invalid", "true")
    page.locator("#card_number").fill("4242 4242 4242 4242")
    page.locator("#card_expiry").fill("01/20")
    page.locator("#card_cvc").fill("123")
    page.locator("#sandbox-pay").click()
    expect(page.locator("#card_expiry")).to_have_attribute("aria-invalid", "true")


def test_a_card_is_saved_and_monthly_autopay_set_up(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    _pay_new_card(page, "4242424242424242", save=True)
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")
    page.goto("/cabinet/cards")
    card = page.locator(".saved-card")
    expect(card).to_have_count(1)
    expect(card.locator(".card-number")).to_have_text("•••• 4242")
    expect(card).to_contain_text("Основная")
    shot(page, "cards-1280")
    page.goto("/cabinet/autopay")
    expect(page.locator("#autopay-state")).to_have_text("Выключен")
    expect(page.locator("#autopay-runway")).to_contain_text("хватит до")
    page.locator("#autopay-monthly_cap").fill("2000")
    page.locator("#autopay-save").click()
    expect(page.locator("#autopay-state")).to_have_text("Включён")
    expect(page.locator("#autopay-next")).to_contain_text("Следующее списание")
    shot(page, "autopay-1280")
    phone = new_page(WIDTHS["phone"])
    _enter(phone, customer)
    phone.goto("/cabinet/autopay")
    expect(phone.locator("#autopay-state")).to_have_text("Включён")
    shot(phone, "autopay-390")
    page.locator("#autopay-off").click()
    expect(page.locator("#autopay-state")).to_have_text("Выключен")


def test_payment_history_filters_search_and_csv(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    _pay_new_card(page, "4242424242424242")
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")
    _pay_new_card(page, "4000000000009995", amount_button="300")
    expect(page.locator("#result-title")).to_have_text("Платёж не прошёл")
    page.goto("/cabinet/payments")
    rows = page.locator("#statement tbody tr")
    expect(rows).to_have_count(3)  # the opening balance, the top-up, the declined payment
    expect(page.locator("#statement")).to_contain_text("На карте недостаточно средств.")
    shot(page, "payments-1280")

    page.locator("#f-status").select_option(label="Отклонён")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("300,00")

    page.locator("#list-reset").click()
    expect(rows).to_have_count(3)
    page.locator("#list-search").fill("4242")
    page.locator("#list-apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("500,00")

    page.locator("#list-reset").click()
    page.locator("#f-amount_min").fill("400")
    page.locator("#list-apply").click()
    expect(rows).to_have_count(1)

    page.locator("#list-reset").click()
    expect(rows).to_have_count(3)
    with page.expect_download() as download:
        page.locator("#list-export").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("Дата;Номер;Операция")
    assert len(text.strip().splitlines()) == 4
    assert "500,00" in text and "Отклонён" in text

    phone = new_page(WIDTHS["phone"])
    _enter(phone, customer)
    phone.goto("/cabinet/payments")
    expect(phone.locator("#statement .row-card")).to_have_count(3)
    expect(phone.locator("#filter-panel")).to_be_hidden()  # folded on a phone
    shot(phone, "payments-390")
    phone.locator("#filter-toggle").click()
    expect(phone.locator("#filter-panel")).to_be_visible()
    phone.locator("#f-status").select_option(label="Отклонён")
    expect(phone.locator("#statement .row-card")).to_have_count(1)


def test_a_refund_in_part_shows_as_such_to_the_subscriber_and_the_admin(
    new_page, app_env, customer
):
    """The gateway gave back 150 ₽ of a 500 ₽ card payment (its webhook, straight into the app's
    database here): the history and the admin's card say "partly refunded, 150 of 500", and the
    admin's refund gives back only the 350 ₽ left."""
    from sqlmodel import Session

    from paysim_app.billing import payments
    from paysim_app.db import make_engine
    from paysim_app.models import Sim
    from paysim_app.payments import ChargeResult, GatewayEvent, GatewayRefund

    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine, expire_on_commit=False) as session:
        payment = payments.new_payment(
            session,
            sim=session.get(Sim, customer["sims"][0]),
            amount_kop=50000,
            method="card",
            idempotency_key=f"e2e-partial-{customer['sims'][0]}",
            gateway="sandbox",
            card_brand="visa",
            card_last4="4242",
        )
        session.commit()
        pid, key = payment.id, payment.idempotency_key
        payments.settle(session, [(pid, ChargeResult("succeeded", f"pi_e2e_{pid}"))])
        session.commit()
        refund = GatewayEvent(
            f"evt_e2e_{pid}",
            "refunded",
            payment_key=key,
            refunds=(GatewayRefund(f"re_e2e_{pid}", 15000),),
        )
        assert payments.apply_event(session, refund) == "applied"
        session.commit()
    engine.dispose()

    page = new_page()
    _enter(page, customer)
    page.goto("/cabinet/payments")
    topup = page.locator("#statement tbody tr", has_text="4242").filter(has_text="+500,00")
    expect(topup).to_contain_text("Частично возвращён")
    expect(topup).to_contain_text(re.compile(r"возвращено 150,00\s₽ из 500,00\s₽"))
    expect(page.locator("#statement")).to_contain_text("-150,00")
    assert re.sub(r"\s", "", _balance(page)) == "450,00₽"  # 100 + 500 - 150

    admin = new_page()
    enter(admin, "admin@paysim.demo", f"/admin/payments/{pid}")
    expect(admin.locator("#payment-status")).to_have_text("Частично возвращён")
    expect(admin.locator("#payment-refunded")).to_contain_text(re.compile(r"^150,00\s₽ из 500,00"))
    expect(admin.locator("#payment-refunds")).to_contain_text(f"re_e2e_{pid}")
    expect(admin.locator("#refund-submit")).to_contain_text("Вернуть остаток 350,00")
    shot(admin, "admin-payment-partly-refunded-1280")
    admin.locator("#refund-comment").fill("Клиент отказался от остатка")
    admin.locator("#refund-submit").click()
    expect(admin.locator("#payment-status")).to_have_text("Возвращён")
    expect(admin.locator("#payment-refunded")).to_contain_text(re.compile(r"^500,00\s₽ из 500,00"))
    expect(admin.locator("#payment-refunds tbody tr")).to_have_count(2)
    assert re.sub(r"\s", "", _balance(page)) == "100,00₽"
