"""Browser journeys of receipts: the subscriber downloads a payment's receipt from the payment
history (a PDF with the payment's fields), the dealer sees the receipt of its cash top-up
beside it, the admin downloads it from the payment card and sees that the e-mail carries it.

The payments are written through the domain's own verbs straight into the app's database (a
card payment settled as the gateway would, a dealer's cash top-up), so the journeys do not
depend on the card pages another test drives.
"""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import Session, select

from paysim_app.accounts import hash_password, identity
from paysim_app.billing import partner_topups, payments
from paysim_app.core import form_keys
from paysim_app.db import make_engine
from paysim_app.models import Partner, Payment, Sim, User
from paysim_app.payments import ChargeResult
from tests.e2e.conftest import (
    PASSWORD,
    WIDTHS,
    enter,
    paid_by_card,
    shots,
    staff_login,
    unique_number,
)


def _paid(app_env, sim_id: int, amount_kop: int = 45000) -> int:
    return paid_by_card(app_env, sim_id, amount_kop)


def _fresh_dealer(app_env) -> str:
    """A dealer of its own (not the demo one, whose figures the other browser run reads) with
    one user; returns the user's login."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    login = f"dealer{n}-{app_env['port']}@example.ru"
    with Session(engine, expire_on_commit=False) as session:
        partner = Partner(code=f"RC{app_env['port']}{n}", name=f"Связь-Маркет {n}")
        session.add(partner)
        session.flush()
        user = identity.add_user_without_password(
            session, "partner", "Пётр Дилеров", email=login, partner_id=partner.id
        )
        user.password_hash = hash_password(PASSWORD)
        session.commit()
    engine.dispose()
    return login


def _dealer_cash(app_env, sim_id: int, dealer_login: str) -> int:
    """The dealer takes 300 ₽ in cash for the SIM (made the dealer's first)."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.email == dealer_login)).one()
        session.get(Sim, sim_id).partner_id = user.partner_id
        session.commit()
        done = partner_topups.partner_topup(
            session, identity.actor_for(session, user), sim_id, 30000, form_keys.new_key()
        )
        session.commit()
    engine.dispose()
    return done.payment_id


def _msisdn(app_env, sim_id: int) -> str:
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine) as session:
        msisdn = session.get(Sim, sim_id).msisdn
    engine.dispose()
    return msisdn


def _pdf_text(download) -> str:
    text = PdfReader(io.BytesIO(download.path().read_bytes())).pages[0].extract_text()
    return " ".join(text.replace("\u00a0", " ").split())


def test_the_subscriber_downloads_the_receipt_from_the_payment_history(new_page, app_env, customer):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    pid = _paid(app_env, customer["sims"][0])
    page = new_page(WIDTHS["desktop"])
    enter(page, customer["login"], "/cabinet/payments")  # the form: test_journeys
    link = page.locator("#statement a[download]", has_text="Чек (PDF)")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", re.compile(rf"^/api/receipts/{pid}\?t="))
    shots(page, "receipts-history")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"chek-platezh-{pid}.pdf"
    text = _pdf_text(download)
    for expected in ("КАССОВЫЙ ЧЕК", f"Платёж № {pid}", "450,00 ₽", "Visa •••• 4242"):
        assert expected in text, expected


def test_a_signed_out_session_makes_the_link_useless(new_page, app_env, customer):
    pid = _paid(app_env, customer["sims"][0], 12300)
    page = new_page()
    enter(page, customer["login"], "/cabinet/payments")  # the form: test_journeys
    link = page.locator("#statement a[download]").first
    expect(link).to_have_attribute("href", re.compile(rf"^/api/receipts/{pid}\?t="))
    href = link.get_attribute("href")
    assert page.request.get(href).status == 200
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert page.request.get(href).status == 404


def test_the_dealer_and_the_admin_have_the_receipt_and_the_email_carries_it(
    new_page, app_env, customer
):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    dealer = _fresh_dealer(app_env)
    cash = _dealer_cash(app_env, customer["sims"][1], dealer)
    page = new_page(WIDTHS["desktop"])
    enter(page, dealer, "/partner/topup")
    link = page.locator("#recent-topups a[download]").first
    expect(link).to_have_attribute("href", re.compile(rf"^/api/receipts/{cash}\?t="))
    shots(page, "receipts-partner")
    with page.expect_download() as info:
        link.click()
    assert "Наличными" in _pdf_text(info.value)
    # a new cash top-up: its receipt is offered on the result step, to print for the customer
    page.locator("#topup-number").fill(_msisdn(app_env, customer["sims"][1]))
    page.locator(".quick-amount").nth(1).click()  # 500 ₽
    page.locator("#topup-next").click()
    page.locator("#topup-confirm").click()
    receipt = page.locator("#topup-receipt")
    expect(receipt).to_be_visible()
    shots(page, "receipts-partner-done")
    with page.expect_download() as info:
        receipt.click()
    assert "500,00 ₽" in _pdf_text(info.value)

    admin = new_page(WIDTHS["desktop"])
    enter(admin, staff_login(app_env, "admin"), f"/admin/payments/{cash}")
    expect(admin.locator("#payment-receipt")).to_be_visible()
    expect(admin.locator("#payment-receipts")).to_contain_text("Приход")
    shots(admin, "receipts-admin-card")
    with admin.expect_download() as info:
        admin.locator("#payment-receipt").click()
    assert info.value.suggested_filename == f"chek-platezh-{cash}.pdf"
    assert f"Платёж № {cash}" in _pdf_text(info.value)
    # the subscriber's e-mail for that payment names its attachment in the outbox
    admin.goto("/admin/outbox")
    row = admin.locator("#outbox-table tr", has_text=f"Платёж № {cash}")
    expect(row.first).to_contain_text("Вложение: кассовый чек №")
    shots(admin, "receipts-outbox")


def test_a_payment_without_a_receipt_has_no_link(new_page, app_env, customer):
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine) as session:
        declined = payments.new_payment(
            session,
            sim=session.get(Sim, customer["sims"][0]),
            amount_kop=77700,
            method="card",
            idempotency_key=f"e2e-declined-{app_env['port']}-{unique_number()}",
            gateway="sandbox",
        )
        pid = declined.id
        session.commit()
        payments.settle(session, [(pid, ChargeResult("failed", None, "card_declined"))])
        session.commit()
        assert session.get(Payment, pid).status == "failed"
    engine.dispose()
    page = new_page()
    enter(page, customer["login"], "/cabinet/payments")  # the form: test_journeys
    expect(page.locator("#statement")).to_contain_text("777,00")
    expect(page.locator("#statement a[download]")).to_have_count(0)
