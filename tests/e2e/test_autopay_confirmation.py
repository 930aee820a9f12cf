"""Browser journey of an autopay charge that waits for the subscriber's confirmation: monthly
autopay charges a card that wants 3-D Secure every time (4000 0027 6000 3184) off-session, the
payment waits, the e-mail's link (read from the outbox in the app's database) opens the autopay
page with the payment and its "Confirm payment" button, the sandbox's test payment page asks for
the 3-D Secure step, and the payment is paid and credited once; or the step is failed and the
payment ends failed, no money moved."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from urllib.parse import urlsplit

from playwright.sync_api import expect
from sqlmodel import Session

from paysim_app.accounts import identity
from paysim_app.billing import autopay, cards
from paysim_app.db import make_engine
from paysim_app.payments.sandbox import SandboxGateway
from tests.e2e.conftest import PASSWORD, WIDTHS, at_width, enter, shot, shots
from tests.e2e.test_accessibility import _violations

ASKS = "4000002760003184"


def _waiting_autopay(app_env, customer) -> tuple[int, str]:
    """The customer's first SIM on monthly autopay with a saved 3184 card, charged off-session
    in the app's database as the billing cycle does: (payment id, the e-mail's link)."""
    gateway = SandboxGateway()
    engine = make_engine(f"sqlite:///{app_env['db']}")
    sim_id = customer["sims"][0]
    with Session(engine, expire_on_commit=False) as session:
        _, actor = identity.sign_in(session, customer["login"], PASSWORD)
        session.commit()
        customer_ref = gateway.create_customer(reference=f"subscriber:{actor.subscriber_id}")
        token = gateway.test_card(ASKS, 12, 2034, customer_ref)
        card = cards.keep_card(session, "sandbox", actor.subscriber_id, token)
        session.commit()
        autopay.set_autopay(session, actor, sim_id, autopay.AutopayForm("monthly", card.id))
        session.commit()
        claims = autopay.claim(
            session, [(sim_id, "2026-11", "monthly", 1, customer["fee_kop"])], date.today()
        )
        session.commit()
        counts = autopay.charge_claims(session, gateway, claims)
        assert counts["requires_action"] == 1
    engine.dispose()
    with sqlite3.connect(app_env["db"]) as db:
        (body,) = db.execute(
            "SELECT body FROM outbox_email WHERE kind = 'autopay_confirm' AND to_address = ?",
            (customer["login"],),
        ).fetchone()
    link = re.search(r"https?://\S+/cabinet/autopay\?\S+", body)[0]
    return claims[0].payment_id, link


def _payment(app_env, payment_id: int) -> tuple:
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute(
            "SELECT p.status, p.decline_code, r.status,"
            " (SELECT count(*) FROM ledger_entry e WHERE e.payment_id = p.id)"
            " FROM payment p JOIN autopay_run r ON r.payment_id = p.id WHERE p.id = ?",
            (payment_id,),
        ).fetchone()


def _open_link(page, customer, link: str) -> None:
    parts = urlsplit(link)
    enter(page, customer["login"], f"{parts.path}?{parts.query}")
    expect(page.locator(".autopay-confirm")).to_have_count(1)


def _on_test_page_with_3184(page) -> None:
    expect(page.locator("#sandbox-banner")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/api/sandbox/checkout/cs_sb_"))
    page.locator("#card_number").fill("4000 0027 6000 3184")
    page.locator("#card_expiry").fill("12/34")
    page.locator("#card_cvc").fill("123")
    page.locator("#sandbox-pay").click()
    expect(page.locator("#sandbox-confirm")).to_be_visible()


def test_the_e_mail_link_confirms_the_waiting_payment(new_page, customer, app_env):
    """Driven at 1280 px (no step differs by width); the callout is also shot, checked for
    sideways scrolling and by axe at 390 px."""
    payment_id, link = _waiting_autopay(app_env, customer)
    assert _payment(app_env, payment_id) == (
        "requires_action",
        "authentication_required",
        "requires_action",
        0,
    )
    page = new_page(WIDTHS["desktop"])
    _open_link(page, customer, link)
    waiting = page.locator("#autopay-waiting")
    expect(waiting).to_contain_text("Платёж ждёт вашего подтверждения")
    expect(waiting).to_contain_text("3184")
    expect(page.locator("#autopay-runs")).to_contain_text("Ждёт подтверждения")
    shots(page, "autopay-waiting")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["desktop"]
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        at_width(page, width)
        assert _violations(page) == []  # axe-core: nothing serious on the page with the callout
    language = page.get_by_role("combobox", name=re.compile("^(Язык|Language)$"))
    language.select_option("en")
    expect(waiting).to_contain_text("A payment awaits your confirmation")
    expect(page.locator(f"#autopay-confirm-{payment_id}")).to_have_text("Confirm payment")
    shots(page, "autopay-waiting-en")
    language.select_option("ru")
    expect(page.locator(f"#autopay-confirm-{payment_id}")).to_have_text("Подтвердить платёж")

    page.locator(f"#autopay-confirm-{payment_id}").click()
    _on_test_page_with_3184(page)
    page.locator("#sandbox-confirm").click()
    expect(page.locator("#result-title")).to_have_text("Платёж прошёл")
    assert _payment(app_env, payment_id) == ("succeeded", None, "succeeded", 1)
    # the link now opens nothing to pay
    parts = urlsplit(link)
    page.goto(f"{parts.path}?{parts.query}")
    expect(page.locator("#autopay-state")).to_be_visible()
    expect(page.locator(".autopay-confirm")).to_have_count(0)
    assert _payment(app_env, payment_id) == ("succeeded", None, "succeeded", 1)


def test_the_3ds_step_failed_ends_the_payment_failed(new_page, customer, app_env):
    payment_id, link = _waiting_autopay(app_env, customer)
    page = new_page(WIDTHS["desktop"])
    _open_link(page, customer, link)
    page.locator(f"#autopay-confirm-{payment_id}").click()
    _on_test_page_with_3184(page)
    page.locator("#sandbox-fail").click()
    expect(page.locator("#sandbox-error")).to_be_visible()
    page.locator("#sandbox-back").click()
    expect(page.locator("#result-title")).to_have_text("Платёж не прошёл")
    assert _payment(app_env, payment_id) == ("failed", "authentication_failed", "failed", 0)
    page.goto("/cabinet/autopay")
    expect(page.locator("#autopay-state")).to_be_visible()
    expect(page.locator(".autopay-confirm")).to_have_count(0)
    shot(page, "autopay-confirmation-failed-1280")
