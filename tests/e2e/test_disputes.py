"""Browser journeys of disputes and the admin's partial refunds.

- The card holder's bank disputes a card payment: on a sandbox payment's card the admin plays
  the bank ("The bank disputes the payment", then "Dispute lost"); the sandbox sends Stripe's
  charge.dispute.* events, signed, to the app's webhook, and the card follows them: the status,
  the dispute with its history, what was debited. The subscriber's history shows the payment
  as disputed, then the dispute lost and the debit.
- The admin refunds part of a payment twice; a third refund over what is left is refused with
  a message that says how much is left, and nothing moves.

The payments are written through the domain's own verbs straight into the app's database (a
card payment settled as the gateway would), so the journeys do not depend on the card pages.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import Session

from paysim_app.billing import payments
from paysim_app.db import make_engine
from paysim_app.models import Sim
from tests.e2e.conftest import (
    WIDTHS,
    enter,
    paid_by_card,
    ready,
    shot,
    shots,
    staff_login,
    unique_number,
)


def _paid(app_env, sim_id: int, amount_kop: int = 50000) -> int:
    return paid_by_card(app_env, sim_id, amount_kop)


def _history_row(page, pid_amount: str):
    return page.locator("#statement tbody tr", has_text="4242").filter(has_text=pid_amount)


def test_a_disputed_payment_shows_on_the_admin_card_and_in_the_history(new_page, app_env, customer):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    pid = _paid(app_env, customer["sims"][0])
    admin = new_page(WIDTHS["desktop"])
    enter(admin, staff_login(app_env, "admin"), f"/admin/payments/{pid}")
    ready(admin)
    expect(admin.locator("#payment-status")).to_have_text("Проведён")
    expect(admin.locator("#payment-simulate")).to_be_visible()
    admin.locator("#dispute-open").click()
    # the sandbox's charge.dispute.created comes back through the webhook; the card follows
    expect(admin.locator("#payment-status")).to_have_text("Оспорен банком")
    disputes = admin.locator("#payment-disputes")
    expect(disputes).to_contain_text("fraudulent")
    expect(disputes).to_contain_text("Открыт")
    expect(admin.locator("#payment-dispute-history")).to_contain_text("charge.dispute.created")
    expect(admin.locator("#refund-submit")).to_have_count(0)  # a disputed payment is not refunded
    shots(admin, "dispute-admin-open")

    subscriber = new_page(WIDTHS["desktop"])
    enter(subscriber, customer["login"], "/cabinet/payments")
    row = _history_row(subscriber, "+500,00")
    expect(row).to_contain_text("Оспорен банком")

    admin.locator("#dispute-lost").click()
    expect(admin.locator("#payment-status")).to_have_text("Спор проигран")
    expect(disputes).to_contain_text("Проигран")
    expect(disputes).to_contain_text(re.compile(r"-500,00\s₽"))
    expect(admin.locator("#payment-dispute-history tbody tr")).to_have_count(2)
    expect(admin.locator("#dispute-open")).to_have_count(0)
    expect(admin.locator("#payment-simulate")).to_have_count(0)
    shots(admin, "dispute-admin-lost")

    subscriber.reload()
    expect(_history_row(subscriber, "+500,00")).to_contain_text("Спор проигран")
    expect(subscriber.locator("#statement")).to_contain_text(re.compile(r"-500,00"))
    shots(subscriber, "dispute-history")


def test_an_admin_refunds_part_twice_and_more_than_the_rest_is_refused(new_page, app_env, customer):
    pid = _paid(app_env, customer["sims"][1])
    admin = new_page()
    enter(admin, staff_login(app_env, "admin"), f"/admin/payments/{pid}")
    ready(admin)
    expect(admin.locator("#payment-status")).to_have_text("Проведён")
    for amount, refunded in (("150", "150,00"), ("200,50", "350,50")):
        admin.locator("#refund-amount").fill(amount)
        admin.locator("#refund-comment").fill(f"Частичный возврат {amount}")
        admin.locator("#refund-submit").click()
        expect(admin.locator("#payment-refunded")).to_contain_text(
            re.compile(rf"^{refunded}\s₽ из 500,00")
        )
        expect(admin.locator("#refund-amount")).to_have_value("")
    expect(admin.locator("#payment-status")).to_have_text("Частично возвращён")
    expect(admin.locator("#payment-refunds tbody tr")).to_have_count(2)
    expect(admin.locator("#refund-submit")).to_contain_text("Вернуть остаток 149,50")
    # a third, over what is left: refused, with what is left
    admin.locator("#refund-amount").fill("200")
    admin.locator("#refund-comment").fill("Слишком много")
    admin.locator("#refund-submit").click()
    expect(admin.locator("#refund-error")).to_contain_text(
        re.compile(r"можно вернуть не больше 149,50\s₽")
    )
    expect(admin.locator("#payment-refunded")).to_contain_text(re.compile(r"^350,50\s₽ из"))
    expect(admin.locator("#payment-refunds tbody tr")).to_have_count(2)
    shot(admin, "refund-too-much-1280")

    subscriber = new_page(WIDTHS["phone"])
    enter(subscriber, customer["login"], "/cabinet/payments")
    expect(_history_row(subscriber, "+500,00")).to_contain_text("Частично возвращён")
    expect(subscriber.locator("#statement")).to_contain_text("-200,50")


def test_a_payment_unknown_past_a_day_is_settled_by_hand(new_page, app_env, customer):
    """The janitor could not find it at the provider past a day: its card says "Unknown — check
    by hand" and the admin settles it as the provider's dashboard shows."""
    from sqlalchemy import update

    from paysim_app.models import Payment
    from paysim_app.models.base import utcnow

    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine, expire_on_commit=False) as session:
        payment = payments.new_payment(
            session,
            sim=session.get(Sim, customer["sims"][1]),
            amount_kop=30000,
            method="card",
            idempotency_key=f"e2e-unknown-{app_env['port']}-{unique_number()}",
            gateway="sandbox",
        )
        pid, key = payment.id, payment.idempotency_key
        session.execute(update(Payment).where(Payment.id == pid).values(unknown_since=utcnow()))
        session.commit()
    engine.dispose()
    admin = new_page(WIDTHS["phone"])
    enter(admin, staff_login(app_env, "admin"), f"/admin/payments/{pid}")
    ready(admin)
    expect(admin.locator("#payment-status")).to_have_text("Неизвестно — проверить вручную")
    expect(admin.locator("#payment-unknown")).to_contain_text(key)
    shot(admin, "payment-unknown-390")
    admin.locator("#settle-succeeded").click()
    expect(admin.locator("#settle-error")).to_contain_text("Заполните")
    admin.locator("#settle-comment").fill("В кабинете провайдера платёж прошёл")
    admin.locator("#settle-succeeded").click()
    expect(admin.locator("#payment-status")).to_have_text("Проведён")
    expect(admin.locator("#payment-unknown")).to_have_count(0)
