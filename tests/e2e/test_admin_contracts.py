"""Browser journey of the back office's contracts: an admin opens a contract for a walk-in
customer, puts a SIM from stock on it (found by typing part of its number) and sees it active,
then moves it to another contract from the SIM's card."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.db import make_engine
from paysim_app.models import Partner, Sim, Subscriber, User
from tests.e2e.conftest import (
    WIDTHS,
    _iccid,
    enter,
    ready,
    shot,
    staff_login,
    unique_number,
)


def _stock_sim(app_env: dict) -> tuple[int, str]:
    """A SIM in the operator's stock with a number no other test uses."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    serial = 9_700_000 + unique_number() * 10 + app_env["port"] % 10
    with Session(engine, expire_on_commit=False) as session:
        sim = Sim(
            iccid=_iccid(serial),
            msisdn=f"+7999{serial:07d}",
            imsi=f"25099{serial:010d}",
            status="in_stock",
            puk=f"{serial % 10**8:08d}",
        )
        session.add(sim)
        session.commit()
    engine.dispose()
    return sim.id, sim.msisdn


def _contract_of(app_env: dict, login: str) -> str:
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == login)).one()
        contract = session.exec(
            select(Subscriber.contract_no).where(Subscriber.user_id == user.id)
        ).one()
    engine.dispose()
    return contract


def test_create_a_contract_put_a_sim_on_it_and_move_it(new_page, app_env, customer):
    admin = staff_login(app_env, "admin")
    n = unique_number()
    sim_id, msisdn = _stock_sim(app_env)

    page = new_page(WIDTHS["desktop"])
    enter(page, admin, "/admin/subscribers")
    ready(page)  # the list has loaded and written its filters into the address
    page.wait_for_load_state("networkidle")
    page.locator("#new-contract").click()
    expect(page).to_have_url(re.compile(r"/admin/subscribers/new$"))
    page.locator("#new-full_name").fill("Ольга Договорова")
    page.locator("#new-document_no").fill(f"45{n:02d} {app_env['port']:06d}")
    page.locator("#new-email").fill(f"walkin{n}-{app_env['port']}@example.ru")
    shot(page, "admin-new-contract-1280")
    page.locator("#new-create").click()
    expect(page).to_have_url(re.compile(r"/admin/subscribers/\d+$"))
    expect(page.locator("#put-sims")).to_be_visible()

    # the stock picker: part of the number, then the hit
    page.locator("#put-search").fill(msisdn[-7:])
    hit = page.locator(f"#put-search-hit-{sim_id}")
    expect(hit).to_contain_text(msisdn)
    hit.click()
    expect(page.locator(f"#put-chosen-{sim_id}")).to_be_visible()
    shot(page, "admin-put-sims-1280")
    page.locator("#put-submit").click()
    expect(page.get_by_text("ссылка для создания пароля")).to_be_visible()
    expect(page.locator("#sub-sims")).to_contain_text(msisdn[-4:])
    expect(page.locator("#sub-sims")).to_contain_text("Активна")

    phone = new_page(WIDTHS["phone"])
    enter(phone, admin, page.url.replace(page.url.split("/admin")[0], ""))
    expect(phone.locator("#put-sims")).to_be_visible()
    shot(phone, "admin-contract-card-390")

    # the move: from the SIM's card to the customer's contract
    target = _contract_of(app_env, customer["login"])
    page.goto(f"/admin/sims/{sim_id}")
    page.locator("#move-open").click()
    page.locator("#move-search").fill(target)
    page.locator("#move-search-hits button").first.click()
    page.locator("#move-reason").fill("семья: номер переходит к дочери")
    shot(page, "admin-move-sim-1280")
    page.locator("#move-submit").click()
    expect(page.get_by_text(f"перенесена на договор {target}")).to_be_visible()
    expect(page.locator("#info-subscriber")).to_contain_text(target)

    phone.goto(f"/admin/sims/{sim_id}")
    phone.locator("#move-open").click()
    expect(phone.locator("#move-search")).to_be_visible()
    shot(phone, "admin-move-sim-390")


def test_a_partners_cash_limit_and_the_settlement_tables(new_page, app_env):
    """The admin sets a fresh partner's daily cash limit on its card; the demo dealer's card,
    the comparison and the dealer's own statistics show cash collected against commission."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    with Session(engine, expire_on_commit=False) as session:
        fresh = Partner(code=f"LIM{n}{app_env['port']}", name=f"Лимитов и К {n}", commission_bp=500)
        session.add(fresh)
        session.commit()
        dealer_id = session.exec(
            select(User.partner_id).where(User.email == "partner@paysim.demo")
        ).one()
    engine.dispose()
    admin = staff_login(app_env, "admin")

    page = new_page(WIDTHS["desktop"])
    enter(page, admin, f"/admin/partners/{fresh.id}")
    expect(page.locator("#cash-limit-shown")).to_have_text("без лимита")
    page.locator("#cash-limit").fill("abc")
    page.locator("#cash-limit-save").click()
    expect(page.locator("#cash-limit-error")).to_be_visible()
    page.locator("#cash-limit").fill("5 000")
    page.locator("#cash-limit-save").click()
    expect(page.locator("#cash-limit-shown")).to_contain_text("5 000,00")
    page.reload()
    expect(page.locator("#cash-limit")).to_have_value("5000")

    page.goto(f"/admin/partners/{dealer_id}")
    expect(page.locator("#partner-stats")).to_be_visible()
    page.locator("#settlement").or_(page.get_by_text("За период нет наличных")).first.wait_for()
    shot(page, "admin-partner-settlement-1280")
    page.goto("/admin/partners/stats")
    expect(page.locator("#partners-comparison")).to_contain_text("К перечислению оператору")
    shot(page, "admin-partners-comparison-1280")

    phone = new_page(WIDTHS["phone"])
    enter(phone, staff_login(app_env, "partner"), "/partner/stats")
    expect(phone.get_by_text("Расчёты с оператором")).to_be_visible()
    expect(phone.locator("#settlement")).to_contain_text("К перечислению оператору")
    shot(phone, "partner-settlement-390")
