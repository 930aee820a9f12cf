"""Browser journeys of the partner's money pages: the demo dealer tops up one of its
subscribers' SIMs with cash (and the subscriber sees it on the dashboard), looks at its
statistics for a period, and opens a support ticket.

The subscriber is made in the app's database for each test, on the demo dealer (SVYAZ), so the
journeys do not disturb the demo accounts other tests read.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.accounts import identity
from paysim_app.db import make_engine
from paysim_app.models import Partner, Sim, Subscriber, Tariff, User
from paysim_app.models.base import utcnow
from tests.e2e.conftest import PASSWORD, WIDTHS, _iccid, enter, ready, shots, unique_number

DEALER = "partner@paysim.demo"


@pytest.fixture
def dealer_customer(app_env):
    """A fresh subscriber of the demo dealer with one active SIM at 0 ₽."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    login = f"dealer-cust{n}-{app_env['port']}@example.ru"
    with Session(engine, expire_on_commit=False) as session:
        partner_id = session.exec(select(User.partner_id).where(User.email == DEALER)).one()
        actor = identity.register_subscriber(
            session, login, PASSWORD, consent=True, full_name="Ольга Наличная"
        )
        sub = session.get(Subscriber, actor.subscriber_id)
        sub.partner_id = partner_id
        session.add(sub)
        tariff = session.exec(select(Tariff).where(Tariff.is_archived == False)).first()  # noqa: E712
        serial = 9_800_000 + (app_env["port"] % 1000) * 100 + n
        sim = Sim(
            iccid=_iccid(serial),
            msisdn=f"+7998{serial:07d}",
            imsi=f"25098{serial:010d}",
            status="active",
            subscriber_id=actor.subscriber_id,
            partner_id=partner_id,
            tariff_id=tariff.id,
            billing_day=28,
            activated_at=utcnow(),
            puk=f"{serial % 10**8:08d}",
        )
        session.add(sim)
        session.commit()
        name = session.get(Partner, partner_id).name
    engine.dispose()
    return {"login": login, "msisdn": sim.msisdn, "partner": name}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_a_dealer_tops_up_its_subscriber_and_the_dashboard_shows_it(new_page, dealer_customer):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    enter(page, DEALER, "/partner/topup")
    ready(page)
    expect(page.locator(".quick-amount")).to_have_count(3)
    # someone else's number is refused like an unknown one
    page.locator("#topup-number").fill("+7 900 000-00-00")
    page.locator(".quick-amount").nth(1).click()  # 500 ₽
    page.locator("#topup-next").click()
    expect(page.locator("#topup-number-error")).to_be_visible()
    shots(page, "partner-topup-refused")
    number = dealer_customer["msisdn"]
    page.locator("#topup-number").fill(f"8 {number[2:5]} {number[5:]}")
    page.locator("#topup-next").click()
    expect(page.locator("#confirm-name")).to_have_text("Ольга Н.")
    expect(page.locator("#confirm-amount")).to_contain_text("500")
    shots(page, "partner-topup-confirm")
    page.locator("#topup-confirm").click()
    expect(page.locator("#topup-done")).to_be_visible()
    expect(page.locator("#topup-done-body")).to_contain_text("500,00")
    recent = "#recent-topups"
    expect(page.locator(recent)).to_contain_text("Ольга Н.")
    shots(page, "partner-topup-done")

    customer = new_page(WIDTHS["desktop"])
    enter(customer, dealer_customer["login"], "/cabinet")
    expect(customer.locator(".sim-card")).to_have_count(1)
    balance = customer.locator(".sim-card").first.locator(".sim-balance")
    expect(balance).to_contain_text("₽")
    assert _digits(balance.inner_text()) == "50000"
    expect(customer.locator("#notices")).to_contain_text("500,00")
    shots(customer, "partner-topup-dashboard")


def test_partner_stats_for_a_period(new_page):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    enter(page, DEALER, "/partner/stats")
    ready(page)
    expect(page.locator("#stat-profit")).to_contain_text("₽")
    expect(page.locator("#chart-profit")).to_be_visible()
    expect(page.locator("#chart-activations")).to_be_visible()
    year_profit = page.locator("#stat-profit").inner_text()
    shots(page, "partner-stats")
    page.locator("#stats-period-from").fill("2020-01-01")
    page.locator("#stats-period-to").fill("2020-01-31")
    page.locator("#stats-period-show").click()
    expect(page.locator("#stat-activations")).to_contain_text("0")
    expect(page.locator("#stat-profit")).not_to_have_text(year_profit)
    # a backwards period is a clear error
    page.locator("#stats-period-from").fill("2020-02-01")
    page.locator("#stats-period-show").click()
    expect(page.locator("#stats-period-error")).to_be_visible()


def test_a_partner_opens_a_ticket_and_answers_in_the_thread(new_page):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    enter(page, DEALER, "/partner/support")
    ready(page)
    subject = f"Не проходит активация {unique_number()}"
    page.locator("#p-support-subject").fill(subject)
    page.locator("#p-support-body").fill("Сим-карта не активируется второй день.")
    page.locator("#p-support-send").click()
    card = page.locator(".ticket-card", has_text=subject)
    expect(card).to_have_count(1)
    shots(page, "partner-support")
    card.click()
    expect(page.locator("#ticket-subject")).to_have_text(subject)
    page.locator("#reply").fill("Номер сим-карты в описании.")
    page.locator("#send-reply").click()
    expect(page.locator(".ticket-message.mine")).to_have_count(2)
    page.locator("#close-ticket").click()
    expect(page.locator("#ticket-closed")).to_be_visible()
    shots(page, "partner-ticket")
