"""Browser journey of data usage: the dashboard's card (a progress bar, the sentence, the chart by
day, the forecast and the buy-a-pack button when low) at 390 and 1280 px, buying the pack from
there; the SIM page's months; the partner's usage column; the admin's SIM card and the traffic
statistics on /admin."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.billing import ledger
from paysim_app.billing.ledger import Posting
from paysim_app.db import make_engine
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import Sim, Tariff, User
from paysim_app.models.base import utcnow
from paysim_app.sims import usage
from tests.e2e.conftest import WIDTHS, enter, shot, staff_login

GB = 10**9


def _usage_for(app_env: dict, sim_id: int) -> dict:
    """The customer's first SIM on a 15 GB tariff, with the demo dealer as its partner, 12.9 GB
    used over the last days and 200 ₽ more on its balance (a pack costs 150 ₽)."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine, expire_on_commit=False) as session:
        tariff = session.exec(select(Tariff).where(Tariff.code == "START")).one()
        dealer = session.exec(select(User).where(User.email == "partner@paysim.demo")).one()
        sim = session.get(Sim, sim_id)
        sim.tariff_id, sim.partner_id = tariff.id, dealer.partner_id
        # a billing day 8-10 days back (the 1st when that would be past the 28th): the week of
        # usage below lies inside the current period whatever today is
        back = moscow_date(utcnow()) - timedelta(days=10)
        sim.billing_day = back.day if back.day <= 28 else 1
        ledger.post(session, Posting(sim.id, "adjustment", 20000, comment="e2e setup"))
        session.commit()
        end = utcnow() - timedelta(minutes=10)
        records = []
        for i, gb in enumerate((1.1, 2.4, 0.6, 3.0, 1.8, 2.2, 1.8)):
            stop = end - timedelta(days=i)
            records.append(
                {
                    "record_id": f"e2e-usage-{sim.id}-{i}",
                    "iccid": sim.iccid,
                    "start": (stop - timedelta(minutes=50)).isoformat(),
                    "end": stop.isoformat(),
                    "bytes_up": int(gb * GB) // 10,
                    "bytes_down": int(gb * GB) - int(gb * GB) // 10,
                }
            )
        usage.ingest(session, "pgw-e2e", records)
        session.commit()
        msisdn = sim.msisdn
    engine.dispose()
    return {"tariff_gb": tariff.data_gb, "msisdn": msisdn}


def _no_sideways_scroll(page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the page scrolls sideways by {wide}px"


def test_usage_on_the_dashboard_sim_page_partner_and_admin(new_page, customer, app_env):
    sim_id = customer["sims"][0]
    facts = _usage_for(app_env, sim_id)

    page = new_page(WIDTHS["phone"])
    enter(page, customer["login"], "/cabinet")
    card = page.locator("#dash-usage")
    expect(card).to_be_visible()
    # 12.9 of 15 GB (the days add up to 12.9; which ones fall in the period depends on the day)
    sentence = page.locator("#usage-sentence")
    expect(sentence).to_contain_text(f"из {facts['tariff_gb']}\u00a0ГБ, осталось")
    bar = page.locator("#usage-bar")
    expect(bar).to_have_attribute("role", "progressbar")
    expect(bar).to_have_attribute("aria-label", "Использовано 86 % трафика периода")
    expect(bar).to_have_attribute("aria-valuenow", "86")
    expect(page.locator("#usage-chart .recharts-bar-rectangle").first).to_be_visible()
    expect(page.locator("#usage-outlook")).to_be_visible()
    buy = page.locator("#usage-buy")
    expect(buy).to_contain_text("+10 ГБ")
    page.wait_for_timeout(300)  # the chart's first paint
    _no_sideways_scroll(page)
    shot(page, "usage-dashboard-390")

    desk = new_page(WIDTHS["desktop"])
    enter(desk, customer["login"], "/cabinet")
    expect(desk.locator("#usage-chart .recharts-bar-rectangle").first).to_be_visible()
    expect(desk.locator("#usage-buy")).to_be_visible()
    desk.wait_for_timeout(300)
    _no_sideways_scroll(desk)
    shot(desk, "usage-dashboard-1280")

    # buy the pack from the card: confirm, then 12.9 of 25 GB (at this pace it would still
    # run out before the period ends, so the card keeps offering one)
    buy.click()
    expect(page.get_by_role("alertdialog")).to_contain_text("добавит 10 ГБ")
    page.locator("#usage-buy-yes").click()
    expect(page.get_by_text("Услуга подключена.")).to_be_visible()
    expect(sentence).to_contain_text(f"из {facts['tariff_gb'] + 10}\u00a0ГБ")
    expect(bar).to_have_attribute("aria-valuenow", "52")
    expect(page.locator("#dash-addons")).to_contain_text("+10 ГБ")

    # the SIM page: usage by month
    page.goto("/cabinet/sims")
    months = page.locator("#sim-months")
    expect(months).to_contain_text("ГБ")
    expect(page.locator("#months-chart .recharts-bar-rectangle").first).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "usage-sim-months-390")

    # the partner: its subscribers with their usage this month
    partner = new_page(WIDTHS["desktop"])
    number = facts["msisdn"][-7:]
    enter(partner, staff_login(app_env, "partner"), f"/partner/subscribers?q={number}")
    rows = partner.locator("#partner-subscriber-list")
    expect(rows).to_contain_text("Трафик за месяц")
    expect(rows).to_contain_text("ГБ")
    shot(partner, "usage-partner-subscribers-1280")

    # the admin: the SIM card's usage and the month's traffic on the overview
    admin = new_page(WIDTHS["desktop"])
    enter(admin, staff_login(app_env, "admin"), f"/admin/sims/{sim_id}")
    expect(admin.locator("#sim-usage-sentence")).to_contain_text(
        f"из {facts['tariff_gb'] + 10}\u00a0ГБ"
    )
    expect(admin.locator("#sim-usage-months")).to_contain_text("ГБ")
    shot(admin, "usage-admin-sim-1280")
    admin.goto("/admin")
    expect(admin.locator("#traffic-tariff")).to_contain_text("Старт")
    expect(admin.locator("#traffic-partner")).to_be_visible()
    shot(admin, "usage-admin-traffic-1280")
