"""The admin's Partners section in a browser: create a partner (a bad INN is refused with a field
error first), a partner's statistics for a typed period (figures, SIMs by status, the monthly
charts), the comparison of all partners, a partner user's lost two-factor sign-in reset from the
card, and the support operator kept out; phone and desktop."""

from __future__ import annotations

import re
import sqlite3
from datetime import date

import pyotp
from playwright.sync_api import expect
from sqlmodel import Session, select
from stdnum.ru import inn as ru_inn

from paysim_app.accounts import identity, two_factor
from paysim_app.db import make_engine
from paysim_app.i18n.formats import money, moscow_date
from paysim_app.models import User
from paysim_app.models.base import utcnow
from paysim_app.partners import directory, performance
from tests.e2e.conftest import WIDTHS, enter, ready, shot


def _signed_in(new_page, login="admin@paysim.demo", width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, login)  # the test opens its page
    return page


def _loose(text: str) -> re.Pattern:
    """A money text as a pattern that accepts any (non-breaking) spaces between its parts."""
    return re.compile(r"\s*".join(re.escape(part) for part in text.split()))


def _svyaz_id(app_env) -> int:
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute("SELECT id FROM partner WHERE code = 'SVYAZ'").fetchone()[0]


def _expected(app_env, partner_id: int, date_from: date, date_to: date):
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.email == "admin@paysim.demo")).one()
        actor = identity.actor_for(session, admin)
        stats = performance.partner_stats(session, actor, partner_id, date_from, date_to)
    engine.dispose()
    return stats


def test_admin_creates_a_partner_after_a_bad_inn(new_page, app_env):
    page = _signed_in(new_page)
    page.goto("/admin/partners")
    expect(page.locator("#admin-partners-summary")).to_contain_text(re.compile(r"\d"))
    expect(page.locator("#admin-partners")).to_contain_text("SVYAZ")
    shot(page, "admin-partners-list-1280")
    page.locator("#partner-new").click()
    expect(page).to_have_url(re.compile(r"/admin/partners/new$"))
    ready(page)

    code = f"E2E{app_env['port']}"
    page.locator("#partner-code").fill(code)
    page.locator("#partner-name").fill("ООО «Тест-Связь»")
    page.locator("#partner-inn").fill("1234567890")
    page.locator("#partner-commission-percent").fill("7,5")
    page.locator("#partner-contact-email").fill("test-svyaz@example.com")
    page.locator("#partner-contact-phone").fill("+7 495 000-11-22")
    page.locator("#partner-save").click()
    expect(page.locator("#partner-inn-error")).to_be_visible()
    expect(page.locator("#partner-inn")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/admin/partners/new$"))
    shot(page, "admin-partner-new-error-1280")

    body = f"77{app_env['port'] % 10_000_000:07d}"
    page.locator("#partner-inn").fill(body + ru_inn.calc_company_check_digit(body))
    page.locator("#partner-save").click()
    expect(page).to_have_url(re.compile(r"/admin/partners/\d+$"))
    expect(page.locator("#partner-title")).to_contain_text(code)
    expect(page.locator("#partner-status")).to_contain_text("Активен")
    expect(page.locator("#partner-commission-percent")).to_have_value("7,5")
    expect(page.locator("#partner-users-empty")).to_be_visible()

    # the new partner is found by its code
    page.goto("/admin/partners")
    expect(page.locator("#admin-partners-summary")).to_contain_text(re.compile(r"\d"))
    ready(page)
    page.locator("#list-search").fill(code.lower())
    page.locator("#list-apply").click()
    expect(page.locator("#admin-partners tbody tr")).to_have_count(1)
    expect(page.locator("#admin-partners")).to_contain_text("Тест-Связь")


def test_partner_statistics_for_a_typed_period(new_page, app_env):
    partner_id = _svyaz_id(app_env)
    today = moscow_date(utcnow())
    start = date(today.year - (1 if today.month <= 3 else 0), (today.month - 4) % 12 + 1, 1)
    expected = _expected(app_env, partner_id, start, today)

    for width in (WIDTHS["desktop"], WIDTHS["phone"]):
        page = _signed_in(new_page, width=width)
        page.goto(f"/admin/partners/{partner_id}")
        expect(page.locator("#partner-title")).to_contain_text("SVYAZ")
        expect(page.locator("#stat-sims")).to_have_text(str(expected.sims))
        expect(page.locator("#chart-profit svg.recharts-surface")).to_be_visible()
        shot(page, f"admin-partner-stats-12-months-{width}")  # the default period
        ready(page)
        page.locator("#stats-period-from").fill(start.isoformat())
        page.locator("#stats-period-to").fill(today.isoformat())
        page.locator("#stats-period-show").click()
        expect(page.locator("#stat-profit")).to_have_text(_loose(money(expected.profit_kop)))
        expect(page.locator("#stat-profit-total")).to_have_text(
            _loose(money(expected.profit_total_kop))
        )
        expect(page.locator("#stat-activations")).to_have_text(str(expected.activations))
        expect(page.locator("#stat-payments")).to_contain_text(str(expected.payments_count))
        # the charts are drawn as SVG with a tick per month
        expect(page.locator("#chart-profit svg.recharts-surface")).to_be_visible()
        expect(
            page.locator("#chart-profit .recharts-xAxis .recharts-cartesian-axis-tick")
        ).not_to_have_count(0)
        expect(page.locator("#chart-activations svg.recharts-surface")).to_be_visible()
        active = page.locator("#sims-active")
        expect(active).to_have_attribute("href", f"/admin/sims?partner={partner_id}&status=active")
        expect(active).to_contain_text(str(expected.sims_by_status["active"]))
        shot(page, f"admin-partner-stats-{width}")

    # the status link opens the SIM list filtered by partner and status
    active.click()
    expect(page).to_have_url(re.compile(rf"/admin/sims\?partner={partner_id}&status=active"))
    expect(page.locator("#admin-sims-summary")).to_contain_text(
        str(expected.sims_by_status["active"])
    )


def test_comparison_of_partners(new_page, app_env):
    for width in (WIDTHS["desktop"], WIDTHS["phone"]):
        page = _signed_in(new_page, width=width)
        page.goto("/admin/partners")
        ready(page)  # a link clicked before hydration is lost
        expect(page.locator("#admin-partners-summary")).to_contain_text(re.compile(r"\d"))
        page.locator("#partners-stats").click()
        expect(page).to_have_url(re.compile(r"/admin/partners/stats$"))
        table = "#partners-comparison"
        expect(page.locator(table)).to_contain_text("Связь-Сервис")
        expect(page.locator(table)).to_contain_text("NetPoint")
        ready(page)
        # a period that ends before it starts is refused with the service's message
        page.locator("#cmp-period-from").fill("2026-03-01")
        page.locator("#cmp-period-to").fill("2026-01-01")
        page.locator("#cmp-period-show").click()
        expect(page.locator("#cmp-period-error")).to_be_visible()
        page.locator("#cmp-period-from").fill("2025-01-01")
        page.locator("#cmp-period-show").click()
        expect(page.locator("#cmp-period-error")).to_have_count(0)
        expect(page.locator(table)).to_contain_text("Связь-Сервис")
        shot(page, f"admin-partners-comparison-{width}")


def test_a_partner_users_two_factor_is_reset_from_the_card(new_page, app_env):
    partner_id, email = _svyaz_id(app_env), f"otp{app_env['port']}@svyaz.example.com"
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine) as session:  # a new user of the partner, who enrolled an authenticator
        admin = session.exec(select(User).where(User.email == "admin@paysim.demo")).one()
        view = directory.invite_partner_user(
            session, identity.actor_for(session, admin), partner_id, email
        )
        seller = identity.actor_for(session, session.get(User, view.id))
        secret = two_factor.start_enrolment(session, seller).secret.replace(" ", "")
        two_factor.confirm_enrolment(session, seller, pyotp.TOTP(secret).now())
        session.commit()
    engine.dispose()
    page = _signed_in(new_page, width=WIDTHS["phone"])
    page.goto(f"/admin/partners/{partner_id}")
    ready(page)
    row = page.locator(".partner-user").filter(has_text=email)
    row.locator(".partner-user-two-factor-reset").click()
    yes = page.locator("#partner-user-two-factor-reset-yes")
    expect(yes).to_be_visible()
    shot(page, "admin-partner-user-two-factor-reset-390")
    yes.click()
    expect(row.locator(".partner-user-two-factor-reset")).to_have_count(0)
    expect(page.locator("#invite-error")).to_have_count(0)


def test_support_operator_is_sent_back(new_page):
    page = _signed_in(new_page, "support@paysim.demo", WIDTHS["phone"])
    page.goto("/admin/partners")
    expect(page).to_have_url(re.compile(r"/admin$"))
    page.goto("/admin/partners/stats")
    expect(page).to_have_url(re.compile(r"/admin$"))
    shot(page, "admin-partners-support-390")
