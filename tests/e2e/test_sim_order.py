"""A new customer's way in, in the browser: a visitor checks the coverage of their town, follows a
tariff's order link, registers on the way (the address comes back to the order form, the tariff
preselected) and orders with pick-up at the demo dealer of their town, paying the first top-up
at once on the sandbox's test payment page (held on the order); the dealer hands a SIM of its
stock out on the order's page (the sale form prefilled, "prepaid" shown), the admin approves the
activation request, and the SIM shows in the customer's cabinet with the prepayment on its
balance. Screenshots at 390 and 1280 px."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.db import make_engine
from paysim_app.models import Partner, Sim, Tariff
from tests.e2e.conftest import (
    PASSWORD,
    WIDTHS,
    _iccid,
    enter,
    ready,
    shot,
    staff_login,
    unique_number,
)

DEALER = "partner@paysim.demo"


def _one(app_env, sql: str, *args):
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute(sql, args).fetchone()


def _world(app_env) -> dict:
    """A login for the new customer (registered in the browser), and a SIM in the demo dealer's
    stock."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    login = f"order{n}-{app_env['port']}@example.ru"
    with Session(engine, expire_on_commit=False) as session:
        dealer_id = _one(app_env, "SELECT partner_id FROM user_account WHERE email = ?", DEALER)[0]
        partner = session.get(Partner, dealer_id)
        tariff = session.exec(
            select(Tariff).where(Tariff.is_archived == False, Tariff.is_public == True)  # noqa: E712
        ).first()
        serial = 9_800_000 + n
        sim = Sim(
            iccid=_iccid(serial),
            msisdn=f"+7999{serial:07d}",
            imsi=f"25099{serial:010d}",
            status="in_stock",
            partner_id=dealer_id,
            tariff_id=tariff.id,
            puk=f"{serial % 10**8:08d}",
        )
        session.add(sim)
        session.commit()
        town = "Дмитров" if "Дмитров" in partner.address else partner.address.split(",")[1]
    engine.dispose()
    return {
        "login": login,
        "tariff_id": tariff.id,
        "tariff": tariff.name,
        "sim_id": sim.id,
        "msisdn": sim.msisdn,
        "partner": partner.name,
        "town": town.replace("г.", "").strip(),
    }


def test_order_with_pickup_handed_out_approved_and_in_the_cabinet(new_page, app_env):
    w = _world(app_env)

    # a visitor checks the coverage of the dealer's town and follows a tariff's order link
    page = new_page(WIDTHS["phone"])
    page.goto("/coverage")
    page.locator("#coverage-settlement").fill(w["town"][:3])
    page.locator(".coverage-hit", has_text=w["town"]).click()
    expect(page.locator("#coverage-quality")).to_have_attribute("data-quality", "good")
    offer = page.locator(f'#coverage-offers a[href="/cabinet/order?tariff={w["tariff_id"]}"]')
    offer.click()
    # signed out: the sign-in page, whose registration link keeps where the visitor was going
    expect(page).to_have_url(re.compile(r"/login\?next="))
    register = page.get_by_role("link", name="Нет кабинета? Зарегистрироваться")
    # its address carries `next` once the page's state has the router's query (after hydration)
    expect(register).to_have_attribute("href", re.compile(r"/register\?next="))
    register.click()
    expect(page).to_have_url(re.compile(r"/register\?next="))
    page.locator("#full_name").fill("Ольга Заказова")
    page.locator("#login").fill(w["login"])
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_repeat").fill(PASSWORD)
    page.locator("#consent-personal-data").click()
    page.locator("#consent-terms").click()
    page.locator("#register").click()
    # registered: back on the order form with the tariff of the link
    expect(page).to_have_url(re.compile(rf"/cabinet/order\?tariff={w['tariff_id']}$"))
    expect(page.locator("#order-tariff")).to_contain_text(w["tariff"])
    page.locator("#order-phone").fill("+7 915 321-00-77")
    page.locator("#order-settlement").fill(w["town"])
    page.locator("#order-find-partners").click()
    page.locator("#order-partner").click()
    page.get_by_role("option").filter(has_text=w["partner"]).first.click()
    page.locator("#order-submit").click()  # no document yet: refused on its field
    expect(page.locator("#order-document_no-error")).to_be_visible()
    assert _one(
        app_env,
        "SELECT count(*) FROM sim_order o JOIN subscriber s ON s.id = "
        "o.subscriber_id JOIN user_account u ON u.id = s.user_id WHERE u.email = ?",
        w["login"],
    ) == (0,)
    shot(page, "order-form-error-390")
    page.locator("#order-document_no").fill("4510 654321")
    page.locator("#order-submit").click()  # without the consent box: refused
    expect(page.get_by_role("alert").filter(has_text="соглас").first).to_be_visible()
    page.locator("#order-consent").click()
    page.locator("#order-submit").click()
    expect(page).to_have_url(re.compile(r"/cabinet/order/\d+$"))
    order_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#order-status")).to_have_text("Новый")
    expect(page.locator("#order-timeline")).to_contain_text("Новый")
    shot(page, "order-page-new-390")

    # the first top-up right away: an amount out of the limits is refused on the page, then the
    # sandbox's test payment page (the top-up's checkout) and back to the order, held there
    amount = page.locator("#order-prepay-amount")
    expect(amount).not_to_have_value("")  # the tariff's fee suggested
    amount.fill("5")
    page.locator("#order-prepay").click()
    expect(page.locator("#order-prepay-error")).to_be_visible()
    amount.fill("750")
    page.locator("#order-prepay").click()
    expect(page.locator("#sandbox-banner")).to_be_visible()
    expect(page.locator("#sandbox-amount")).to_contain_text("750,00")
    page.locator("#card_number").fill("4242 4242 4242 4242")
    page.locator("#card_expiry").fill("12/34")
    page.locator("#card_cvc").fill("123")
    page.locator("#sandbox-pay").click()
    expect(page).to_have_url(re.compile(rf"/cabinet/order/{order_id}\?prepayment=\d+"))
    expect(page.locator("#order-prepaid")).to_contain_text("750,00")
    expect(page.locator("#order-prepaid")).to_contain_text("ждут на заказе")
    expect(page.locator("#order-prepay")).to_have_count(0)  # one prepayment per order
    shot(page, "order-page-prepaid-390")
    assert _one(
        app_env,
        "SELECT status, sim_id, amount_kop FROM payment WHERE order_id = ?",
        order_id,
    ) == ("succeeded", None, 75000)

    # the dealer hands a SIM of its stock out; the sale form comes filled from the order
    dealer = new_page(WIDTHS["desktop"])
    enter(dealer, staff_login(app_env, "partner"), "/partner/activations")
    ready(dealer)
    expect(dealer.locator("#partner-orders")).to_contain_text(f"#{order_id}")
    shot(dealer, "partner-orders-1280")
    dealer.goto(f"/partner/orders/{order_id}")
    ready(dealer)
    expect(dealer.locator("#order-prepaid")).to_contain_text("750,00")
    expect(dealer.locator("#handout-customer_name")).to_have_value("Ольга Заказова")
    expect(dealer.locator("#handout-document")).to_have_value("4510 654321")
    dealer.locator("#handout-stock-search").fill(w["msisdn"][-7:])
    dealer.get_by_role("button", name="Найти").click()
    dealer.locator("#handout-sim").click()
    # the search's answer, not the stock shown before it (its options may end in the same digits)
    expect(dealer.get_by_role("option")).to_have_count(1)
    dealer.get_by_role("option").filter(has_text=w["msisdn"][-2:]).click()
    shot(dealer, "partner-order-handout-1280")
    dealer.locator("#handout-submit").click()
    expect(dealer.locator("#order-status")).to_have_text("Выдан, ждёт активации")
    request_id, sub_id = _one(
        app_env,
        "SELECT r.id, r.subscriber_id FROM activation_request r JOIN sim_order o "
        "ON o.activation_request_id = r.id WHERE o.id = ?",
        order_id,
    )
    assert sub_id is not None  # the request goes to the ordering contract

    # the admin sees the order in the Activation section and approves the request
    admin = new_page(WIDTHS["desktop"])
    enter(admin, staff_login(app_env, "admin"), "/admin/activations?tab=orders")
    ready(admin)
    expect(admin.locator("#admin-orders")).to_contain_text(f"#{order_id}")
    shot(admin, "admin-orders-1280")
    admin.goto(f"/admin/activations/{request_id}")
    ready(admin)
    admin.locator("#activation-approve").click()
    expect(admin).to_have_url(re.compile(r"/admin/activations(\?.*)?$"))
    assert _one(app_env, "SELECT subscriber_id, status FROM sim WHERE id = ?", w["sim_id"]) == (
        sub_id,
        "active",
    )

    # the prepayment went to the SIM's balance with the approval, once
    assert _one(app_env, "SELECT balance_kop FROM sim_balance WHERE sim_id = ?", w["sim_id"]) == (
        75000,
    )
    assert _one(
        app_env, "SELECT count(*), sum(amount_kop) FROM ledger_entry WHERE sim_id = ?", w["sim_id"]
    ) == (1, 75000)

    # the customer: the order is active, the prepayment credited to the SIM, which is in the
    # cabinet with it on its balance
    for width in ("phone", "desktop"):
        page = new_page(WIDTHS[width])
        enter(page, w["login"], f"/cabinet/order/{order_id}")
        expect(page.locator("#order-status")).to_have_text("Подключён")
        expect(page.locator("#order-prepaid")).to_contain_text("зачислено")
        expect(page.locator("#order-topup")).to_be_visible()
        shot(page, f"order-page-active-{WIDTHS[width]}")
    page.goto("/cabinet")
    balance = page.locator(".sim-card").first.locator(".sim-balance")
    expect(balance).to_contain_text("750,00")
    shot(page, "order-cabinet-balance-1280")
    page.goto("/cabinet/sims")
    expect(page.get_by_text(w["msisdn"][-5:-3], exact=False).first).to_be_visible()
    shot(page, "order-cabinet-sims-1280")
    page.goto("/cabinet/order")
    expect(page.locator(f"#my-order-{order_id}")).to_contain_text("Подключён")
    shot(page, "order-form-1280")
