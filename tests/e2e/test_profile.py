"""Browser journey of the cabinet's profile: personal data on a phone, e-mail switches, and the
signed-in browsers (a second one appears and is signed out from the first)."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, shot, sign_in


def _enter(page, customer, name: str = "Мария Деньгова") -> None:
    sign_in(page, customer["login"])
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))
    page.goto("/cabinet/profile")
    expect(page.locator("#full_name")).to_have_value(name)


def _muted(app_env, login: str) -> str:
    with sqlite3.connect(app_env["db"]) as db:
        (muted,) = db.execute(
            "SELECT email_muted FROM user_account WHERE email = ?", (login,)
        ).fetchone()
    return muted


def test_profile_data_emails_and_sessions(new_page, customer, app_env):
    phone = new_page(WIDTHS["phone"])
    _enter(phone, customer)
    expect(phone.locator("#profile-login")).to_contain_text(customer["login"])

    # personal data: a bad e-mail is refused with a field error, then the data is saved
    phone.locator("#full_name").fill("Мария Иванова")
    phone.locator("#email").fill("maria@")
    phone.locator("#phone").fill("8 916 123 45 67")
    phone.locator("#address").fill("Тульская обл., д. Ясная, ул. Полевая, 5")
    phone.locator("#save-profile").click()
    expect(phone.locator("#email-error")).to_be_visible()
    phone.locator("#email").fill("Maria.Contact@Example.RU")
    phone.locator("#save-profile").click()
    expect(phone.get_by_text("Данные сохранены.")).to_be_visible()
    expect(phone.locator("#email-error")).to_have_count(0)
    phone.reload()
    expect(phone.locator("#full_name")).to_have_value("Мария Иванова")
    expect(phone.locator("#email")).to_have_value("maria.contact@example.ru")
    expect(phone.locator("#phone")).to_have_value("+7 916 123-45-67")
    no_scroll = phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll, "the profile scrolls sideways at 390 px"

    # e-mails: the autopay group off turns each of its kinds off, the others stay on
    expect(phone.locator("#email-autopay")).to_have_attribute("aria-checked", "true")
    phone.locator("#email-autopay").click()
    expect(phone.locator("#email-autopay_failed")).to_have_attribute("aria-checked", "false")
    expect(phone.locator("#email-autopay")).to_have_attribute("aria-checked", "false")
    expect(phone.locator("#email-low_balance")).to_have_attribute("aria-checked", "true")
    muted = set(_muted(app_env, customer["login"]).split(","))
    assert muted == {
        "autopay_ok",
        "autopay_failed",
        "autopay_failed_hard",
        "autopay_cap",
        "autopay_off_no_card",
    }
    shot(phone, "profile-390")

    # a second browser signs in: both show two sessions, this one marked
    desk = new_page(WIDTHS["desktop"])
    _enter(desk, customer, "Мария Иванова")
    expect(desk.locator(".session-row")).to_have_count(2)
    expect(desk.locator(".session-row").first).to_contain_text("Это устройство")
    expect(desk.locator("#email-autopay_ok")).to_have_attribute("aria-checked", "false")
    shot(desk, "profile-1280")

    phone.reload()
    expect(phone.locator(".session-row")).to_have_count(2)
    phone.locator(".revoke-session").click()
    expect(phone.locator(".session-row")).to_have_count(1)
    expect(phone.locator("#no-other-sessions")).to_be_visible()

    # the signed-out browser is sent to the sign-in page on its next step
    desk.goto("/cabinet")
    expect(desk).to_have_url(re.compile(r"/login"))


@pytest.mark.parametrize(
    ("login", "home"), [("partner@paysim.demo", "/partner"), ("support@paysim.demo", "/admin")]
)
def test_partner_and_admin_sign_out_everywhere_else(new_page, login, home):
    """Staff and dealers have the same list of signed-in browsers on their profile page."""
    other = new_page(WIDTHS["desktop"])
    sign_in(other, login)
    expect(other).to_have_url(re.compile(rf"{home}/?$"))
    page = new_page(WIDTHS["phone"])
    sign_in(page, login)
    expect(page).to_have_url(re.compile(rf"{home}/?$"))
    page.goto(f"{home}/profile")
    rows = page.locator(".session-row")
    expect(rows.filter(has_text="Это устройство")).to_have_count(1)
    assert rows.count() >= 2  # the demo account may be signed in by other tests too
    shot(page, f"profile-{home.strip('/')}-390")
    page.locator("#sign-out-others").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#no-other-sessions")).to_be_visible()
    other.goto(home)
    expect(other).to_have_url(re.compile(r"/login"))
