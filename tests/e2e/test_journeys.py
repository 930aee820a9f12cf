"""Browser journeys of the foundation: sign-in per role, guards, lock, drawer, language,
registration, password change and reset — on the real production build."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, WIDTHS, ready, shot, shots, sign_in

ROLES = {
    "subscriber": ("demo@paysim.demo", "/cabinet"),
    "partner": ("partner@paysim.demo", "/partner"),
    "admin": ("admin@paysim.demo", "/admin"),
    "support": ("support@paysim.demo", "/admin"),
}


def _url(base_url: str, path: str) -> re.Pattern:
    return re.compile("^" + re.escape(base_url + path) + "/?$")


def test_subscriber_sees_each_sim_with_number_status_balance_tariff(new_page, base_url):
    """Driven at 1280 px (no step differs by width; the phone's drawer has its own test); the
    page is also shot and checked for sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    sign_in(page, "demo@paysim.demo")
    expect(page).to_have_url(_url(base_url, "/cabinet"))
    cards = page.locator(".sim-card")
    expect(cards).to_have_count(4)
    expect(cards.first.locator(".sim-number")).to_have_text(
        re.compile(r"^\+7 \d{3} \d{3}-\d{2}-\d{2}$")
    )
    expect(cards.first.locator(".sim-balance")).to_contain_text("₽")
    expect(page.get_by_text("Активна").first).to_be_visible()
    expect(page.get_by_text("Приостановлена за долг")).to_be_visible()
    expect(page.get_by_text("Заблокирована")).to_be_visible()
    expect(page.locator(".sim-tariff").first).not_to_be_empty()
    # the desktop's sidebar instead of the phone's drawer (test_phone_layout_uses_a_drawer)
    expect(page.locator("#menu-button")).to_be_hidden()
    expect(page.get_by_role("navigation").get_by_role("link", name="Платежи")).to_be_visible()
    shots(page, "cabinet-home")


def test_subscriber_signs_in_by_phone(new_page, base_url):
    page = new_page()
    sign_in(page, "+7 999 000-00-01")
    expect(page).to_have_url(_url(base_url, "/cabinet"))
    expect(page.locator(".sim-card")).to_have_count(4)


def test_partner_sees_its_sims_by_status_and_subscribers(new_page, base_url):
    page = new_page()
    sign_in(page, "partner@paysim.demo")
    expect(page).to_have_url(_url(base_url, "/partner"))
    expect(page.locator("#partner-name")).not_to_be_empty()
    expect(page.locator("#partner-sims-total")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#partner-subscribers")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#partner-sims-in_stock")).to_have_text(re.compile(r"^\d+$"))
    shot(page, "partner-home-1280")


def test_admin_sees_every_figure(new_page, base_url):
    page = new_page()
    sign_in(page, "admin@paysim.demo")
    expect(page).to_have_url(_url(base_url, "/admin"))
    for figure in (
        "admin-subscribers",
        "admin-open-activations",
        "admin-open-tickets",
        "admin-payments-today",
        "admin-payments-today-sum",
    ):
        expect(page.locator(f"#{figure}")).to_be_visible()
    expect(page.locator("#admin-sims-active")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#admin-payments-today")).to_have_text(re.compile(r"^[1-9]\d*$"))
    shot(page, "admin-home-1280")


def test_support_operator_sees_only_its_sections(new_page, base_url):
    page = new_page()
    sign_in(page, "support@paysim.demo")
    expect(page).to_have_url(_url(base_url, "/admin"))
    expect(page.locator("#admin-open-tickets")).to_be_visible()
    expect(page.locator("#admin-subscribers")).to_be_visible()
    expect(page.locator("#admin-payments-today")).to_have_count(0)
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Поддержка")).to_be_visible()
    expect(nav.get_by_role("link", name="Платежи")).to_have_count(0)
    page.goto("/admin/payments")  # no payments.view: back to the admin home
    expect(page).to_have_url(_url(base_url, "/admin"))


def test_subscriber_opening_admin_pages_is_sent_home(new_page, base_url):
    page = new_page()
    sign_in(page, "demo@paysim.demo")
    expect(page).to_have_url(_url(base_url, "/cabinet"))
    for path in ("/admin", "/admin/sims", "/partner/stats"):
        page.goto(path)
        expect(page).to_have_url(_url(base_url, "/cabinet"))


def test_signed_out_visitor_comes_back_to_the_page_asked_for(new_page, base_url):
    page = new_page()
    page.goto("/cabinet/payments")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcabinet%2Fpayments$"))
    page.locator("#login").fill("demo@paysim.demo")
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    expect(page).to_have_url(_url(base_url, "/cabinet/payments"))
    expect(page.get_by_role("heading", name="История платежей")).to_be_visible()


def test_wrong_password_shows_the_error_and_the_sixth_shows_the_lock(new_page, base_url):
    page = new_page()
    page.goto("/login")
    page.locator("#login").fill("lock-me@paysim.demo")
    error, password = page.locator("#login-error"), page.locator("#password")
    for attempt in range(1, 6):
        password.fill(f"wrong-{attempt}")
        page.locator("#sign-in").click()
        # this attempt's answer: the refused password is emptied (the text is the same each time)
        expect(password).to_have_value("")
        expect(error).to_have_text("Неверный логин или пароль.")
    password.fill("wrong-6")
    page.locator("#sign-in").click()
    expect(error).to_contain_text("Вход заблокирован")
    shot(page, "login-locked-1280")


def test_phone_layout_uses_a_drawer_and_desktop_a_sidebar(new_page, base_url):
    """Driven at 390 px: the drawer is the phone's. The desktop's sidebar (signed in at 1280 px,
    no menu button) is checked by test_subscriber_sees_each_sim_with_number_status_...."""
    phone = new_page(WIDTHS["phone"])
    sign_in(phone, "demo@paysim.demo")
    expect(phone).to_have_url(_url(base_url, "/cabinet"))
    expect(phone.locator("#menu-button")).to_be_visible()
    expect(phone.get_by_role("navigation")).to_have_count(0)
    phone.locator("#menu-button").click()
    drawer = phone.locator("#nav-drawer")
    expect(drawer).to_be_visible()
    expect(drawer.get_by_role("link", name="Главная")).to_be_in_viewport(ratio=1)  # slid in
    shot(phone, "cabinet-drawer-390")
    drawer.get_by_role("link", name="Профиль").click()
    expect(phone).to_have_url(_url(base_url, "/cabinet/profile"))
    no_scroll = phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll, "the page scrolls sideways at 390 px"


def test_language_switch_turns_the_cabinet_english(new_page, base_url):
    page = new_page()
    sign_in(page, "demo@paysim.demo")
    expect(page.get_by_role("heading", name="Мои сим-карты")).to_be_visible()
    page.get_by_role("combobox", name="Язык").select_option("en")
    expect(page.get_by_role("heading", name="My SIM cards")).to_be_visible()
    expect(page.get_by_text("Suspended for debt")).to_be_visible()
    shot(page, "cabinet-home-en-1280")
    page.reload()
    expect(page.get_by_role("heading", name="My SIM cards")).to_be_visible()


def test_register_change_password_sign_out_and_in_again(new_page, base_url):
    page = new_page(WIDTHS["phone"])
    page.goto("/register")
    page.locator("#full_name").fill("Ольга Новикова")
    page.locator("#login").fill("olga@example.ru")
    page.locator("#password").fill("short")
    page.locator("#password_repeat").fill("short")
    page.locator("#consent-personal-data").click()  # both consents (accounts.consent)
    page.locator("#consent-terms").click()
    page.locator("#register").click()
    expect(page.locator("#password-error")).to_contain_text("не короче 8")
    page.locator("#password").fill("olga-pass-2026")
    page.locator("#password_repeat").fill("olga-pass-2026")
    page.locator("#register").click()
    expect(page).to_have_url(_url(base_url, "/cabinet"))
    expect(page.locator("#no-sims")).to_be_visible()
    shot(page, "register-done-390")

    page.goto("/cabinet/profile")
    page.locator("#current").fill("wrong-password-1")
    page.locator("#new").fill("olga-new-2027")
    page.locator("#new_repeat").fill("olga-new-2027")
    page.locator("#change-password").click()
    expect(page.locator("#current-error")).to_be_visible()
    page.locator("#current").fill("olga-pass-2026")
    page.locator("#change-password").click()
    expect(page.locator("#password-changed")).to_be_visible()

    page.locator("#sign-out").click()
    expect(page).to_have_url(_url(base_url, "/login"))
    sign_in(page, "olga@example.ru", "olga-pass-2026")
    expect(page.locator("#login-error")).to_be_visible()
    sign_in(page, "olga@example.ru", "olga-new-2027")
    expect(page).to_have_url(_url(base_url, "/cabinet"))


def test_password_reset_through_the_outbox(new_page, base_url, app_env):
    visitor = new_page()
    visitor.goto("/forgot")
    ready(visitor)
    visitor.locator("#login").fill("reset-me@paysim.demo")
    visitor.locator("#send-link").click()
    expect(visitor.locator("#forgot-sent")).to_be_visible()  # same answer for an unknown login

    # a real account: register one, then ask for the link (a phone login gets a code instead:
    # tests/e2e/test_phone_verification.py)
    visitor.goto("/register")
    visitor.locator("#login").fill("journey-reset@example.ru")
    visitor.locator("#password").fill("phone-pass-1")
    visitor.locator("#password_repeat").fill("phone-pass-1")
    visitor.locator("#consent-personal-data").click()
    visitor.locator("#consent-terms").click()
    visitor.locator("#register").click()
    expect(visitor).to_have_url(_url(base_url, "/cabinet"))
    visitor.locator("#sign-out").click()
    # the sign-out's answer (to /login; with ?next= when an event of the cabinet was refused
    # meanwhile) must arrive before the next page: the tab keeps its token across a navigation,
    # so a late answer would carry the new page away to /login
    expect(visitor).to_have_url(re.compile(r"/login"))
    visitor.goto("/forgot")
    ready(visitor)
    visitor.locator("#login").fill("Journey-Reset@example.ru")
    visitor.locator("#send-link").click()
    expect(visitor.locator("#forgot-sent")).to_be_visible()

    # the admin reads the link in the outbox (demo mode)
    admin = new_page()
    sign_in(admin, "admin@paysim.demo")
    expect(admin).to_have_url(_url(base_url, "/admin"))
    admin.goto("/admin/outbox")
    row = admin.locator("#outbox-table tr", has_text="journey-reset@example.ru").first
    expect(row).to_be_visible()
    link = re.search(r"http://\S+/reset\?token=[\w-]+", row.inner_text()).group(0)
    shot(admin, "admin-outbox-1280")

    visitor.goto(link.replace("http://localhost:3000", base_url))
    visitor.locator("#password").fill("phone-pass-2")
    visitor.locator("#password_repeat").fill("phone-pass-2")
    visitor.locator("#save-password").click()
    expect(visitor.locator("#reset-done")).to_be_visible()
    visitor.goto(link.replace("http://localhost:3000", base_url))  # a second use fails
    visitor.locator("#password").fill("phone-pass-3")
    visitor.locator("#password_repeat").fill("phone-pass-3")
    visitor.locator("#save-password").click()
    expect(visitor.locator("#reset-error")).to_be_visible()
    sign_in(visitor, "journey-reset@example.ru", "phone-pass-2")
    expect(visitor).to_have_url(_url(base_url, "/cabinet"))

    with sqlite3.connect(app_env["db"]) as db:
        (used,) = db.execute(
            "SELECT count(*) FROM password_reset_token WHERE used_at IS NOT NULL"
        ).fetchone()
    assert used == 1
