"""Browser journeys of the notification centre, one per role: a subscriber follows the header
badge to the page, filters by SIM and marks one read (the badge goes down); a dealer reads the
rejection of its activation request with the reason; a support operator sees a new ticket.
Screenshots at 390 and 1280 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.accounts import identity
from paysim_app.core import notify
from paysim_app.db import make_engine
from paysim_app.models import Partner, Sim, Tariff, User
from paysim_app.partners import cabinet
from paysim_app.sims import activations
from paysim_app.support import ticketing
from tests.e2e.conftest import WIDTHS, enter, shot, staff_login, unique_number


def _db(app_env):
    return make_engine(f"sqlite:///{app_env['db']}")


def _both_widths(page, name: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 860})
        expect(page.locator("#notifications")).to_be_visible()
        no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert no_scroll, f"{name} scrolls sideways at {width} px"
        shot(page, f"{name}-{width}" if label else name)


def test_subscriber_badge_page_filter_and_mark_read(new_page, customer, app_env):
    engine = _db(app_env)
    first, second = customer["sims"]
    with Session(engine) as session:
        notify.notify_sim_owners(
            session,
            [(first, "sim_restored", {}), (second, "sim_suspended", {"debt_kop": 5000})],
        )
        notify.notify_sim_owners(session, [(second, "sim_restored", {})])
        session.commit()
    engine.dispose()

    page = new_page(WIDTHS["phone"])
    enter(page, customer["login"], "/cabinet")
    badge = page.locator("#notify-badge-count")
    expect(badge).to_have_text("3")
    page.locator("#notify-badge").click()
    expect(page).to_have_url(re.compile(r"/cabinet/notifications$"))
    expect(page.locator("#notifications .row-card")).to_have_count(3)

    # the filter by SIM: only the second SIM's two
    page.locator("#filter-toggle").click()
    page.locator("#f-sim").select_option(str(second))
    expect(page.locator("#notifications .row-card")).to_have_count(2)
    expect(page.locator("#notifications-summary")).to_contain_text("2")

    # mark one read: the badge counts two
    page.locator("#notifications .row-select").first.click()
    expect(page.locator("#notifications .row-select").first).to_be_checked()
    page.locator("#notify-mark-selected").click()
    expect(page.locator("#notify-marked")).to_contain_text("1")
    expect(badge).to_have_text("2")
    expect(page.locator("#notifications")).to_contain_text("Прочитано")
    _both_widths(page, "notifications-cabinet")

    # all read: no badge left
    page.locator("#notify-mark-all").click()
    expect(badge).to_have_count(0)


def test_partner_reads_the_rejection_of_its_request(new_page, app_env):
    engine = _db(app_env)
    n = unique_number()
    login = f"dealer{n}-{app_env['port']}@example.ru"
    with Session(engine, expire_on_commit=False) as session:
        partner = Partner(code=f"N{n:05d}", name=f"Дилер Уведомлений {n}", commission_bp=500)
        session.add(partner)
        session.flush()
        user = identity.add_user_without_password(
            session, "partner", "Павел Продавцов", email=login, partner_id=partner.id
        )
        user.password_hash = session.exec(
            select(User.password_hash).where(User.email == "partner@paysim.demo")
        ).one()
        tariff = session.exec(select(Tariff).where(Tariff.is_archived == False)).first()  # noqa: E712
        serial = 9_800_000 + n
        from tests.e2e.conftest import _iccid

        sim = Sim(
            iccid=_iccid(serial),
            msisdn=f"+7998{serial:07d}",
            imsi=f"25098{serial:010d}",
            status="in_stock",
            partner_id=partner.id,
        )
        session.add(sim)
        session.commit()
        seller = identity.actor_for(session, user)
        form = cabinet.SaleForm(
            "Ирина Покупкина",
            f"+7916{serial:07d}",
            f"irina{n}@example.ru",
            "4510 111222",
            str(tariff.id),
            consent=True,
        )
        sale = cabinet.sell_sim(session, seller, sim.id, form)
        session.commit()
        admin = identity.actor_for(
            session,
            session.exec(select(User).where(User.email == staff_login(app_env, "admin"))).one(),
        )
        activations.reject_activation(session, admin, sale.request_id, "Паспорт не читается")
        session.commit()
    engine.dispose()

    page = new_page(WIDTHS["phone"])
    enter(page, login, "/partner/notifications")
    row = page.locator("#notifications .row-card").first
    expect(row).to_contain_text(f"Заявка №{sale.request_id} отклонена")
    expect(row).to_contain_text("Паспорт не читается")
    expect(page.locator("#notify-badge-count")).to_have_text("1")
    _both_widths(page, "notifications-partner")


def test_support_operator_sees_a_new_ticket(new_page, customer, app_env):
    operator = staff_login(app_env, "support")
    engine = _db(app_env)
    with Session(engine) as session:
        author = identity.actor_for(
            session, session.exec(select(User).where(User.email == customer["login"])).one()
        )
        ticket_id = ticketing.open_ticket(
            session, author, "speed", "Пропадает интернет вечером", "С 20:00 до 23:00 нет сети"
        )
        session.commit()
    engine.dispose()

    page = new_page(WIDTHS["desktop"])
    enter(page, operator, "/admin")
    expect(page.locator("#notify-badge-count")).to_be_visible()
    page.locator("#notify-badge").click()
    expect(page).to_have_url(re.compile(r"/admin/notifications$"))
    row = page.locator("#notifications .row-card").first
    expect(row).to_contain_text(f"Новое обращение №{ticket_id}")
    expect(row).to_contain_text("Пропадает интернет вечером")
    _both_widths(page, "notifications-admin")
