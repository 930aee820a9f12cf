"""Browser journey of the cabinet's profile: personal data on a phone, notification channels, the
signed-in browsers (a second one appears and is signed out from the first), and a change of the
login e-mail confirmed by the link sent to the new address."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.core.outbox import render_for_sending
from paysim_app.db import make_engine
from paysim_app.models import OutboxEmail
from tests.e2e.conftest import WIDTHS, refill, shot, sign_in, staff_login


def _enter(page, customer, name: str = "Мария Деньгова") -> None:
    sign_in(page, customer["login"])
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))
    page.goto("/cabinet/profile")
    expect(page.locator("#full_name")).to_have_value(name)


def _channels(app_env, login: str) -> dict[str, str]:
    with sqlite3.connect(app_env["db"]) as db:
        rows = db.execute(
            "SELECT p.kind, p.channel FROM notification_preference p"
            " JOIN user_account u ON u.id = p.user_id WHERE u.email = ?",
            (login,),
        ).fetchall()
    return dict(rows)


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

    # notification channels: autopay receipts in the cabinet only; security notices locked
    expect(phone.locator("#pref-autopay_ok")).to_have_value("email")
    phone.locator("#pref-autopay_ok").select_option("app")
    expect(phone.get_by_text("Сохранено.")).to_be_visible()
    expect(phone.locator("#pref-autopay_ok")).to_have_value("app")
    expect(phone.locator("#pref-low_balance")).to_have_value("email")
    expect(phone.locator("#pref-row-password_changed")).to_contain_text("E-mail")
    expect(phone.locator("#notify-prefs-locked")).to_contain_text("отключить нельзя")
    expect(phone.locator("#pref-password_changed")).to_have_count(0)
    assert _channels(app_env, customer["login"]) == {"autopay_ok": "app"}
    shot(phone, "profile-390")

    # a second browser signs in: both show two sessions, this one marked
    desk = new_page(WIDTHS["desktop"])
    _enter(desk, customer, "Мария Иванова")
    expect(desk.locator(".session-row")).to_have_count(2)
    expect(desk.locator(".session-row").first).to_contain_text("Это устройство")
    expect(desk.locator("#pref-autopay_ok")).to_have_value("app")
    shot(desk, "profile-1280")

    phone.reload()
    expect(phone.locator(".session-row")).to_have_count(2)
    phone.locator(".revoke-session").click()
    expect(phone.locator(".session-row")).to_have_count(1)
    expect(phone.locator("#no-other-sessions")).to_be_visible()

    # the signed-out browser is sent to the sign-in page on its next step
    desk.goto("/cabinet")
    expect(desk).to_have_url(re.compile(r"/login"))


@pytest.mark.parametrize(("kind", "home"), [("partner", "/partner"), ("support", "/admin")])
def test_partner_and_admin_sign_out_everywhere_else(new_page, app_env, kind, home):
    """Staff and dealers have the same list of signed-in browsers on their profile page (a
    fresh account: signing the demo one out everywhere would sign out the other tests)."""
    login = staff_login(app_env, kind)
    other = new_page(WIDTHS["desktop"])
    sign_in(other, login)
    expect(other).to_have_url(re.compile(rf"{home}/?$"))
    page = new_page(WIDTHS["phone"])
    sign_in(page, login)
    expect(page).to_have_url(re.compile(rf"{home}/?$"))
    page.goto(f"{home}/profile")
    rows = page.locator(".session-row")
    expect(rows.filter(has_text="Это устройство")).to_have_count(1)
    expect(rows).to_have_count(2)
    shot(page, f"profile-{home.strip('/')}-390")
    page.locator("#sign-out-others").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#no-other-sessions")).to_be_visible()
    other.goto(home)
    expect(other).to_have_url(re.compile(r"/login"))


def _confirmation_link(app_env, to: str) -> str:
    """The link as the sender will mail it, read from the app's outbox table."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    try:
        with Session(engine) as session:
            mail = session.exec(
                select(OutboxEmail).where(
                    OutboxEmail.to_address == to, OutboxEmail.kind == "login_confirm"
                )
            ).one()
            assert "token=[[secret]]" in mail.body  # the table itself holds no usable token
            body = render_for_sending(mail, app_env["env"].get("PAYSIM_SECRET_KEY"))
    finally:
        engine.dispose()
    return re.search(r"http://\S+/confirm-login\?token=[\w-]+", body).group(0)


def test_login_email_change_is_confirmed_by_the_link(new_page, customer, app_env, base_url):
    old = customer["login"]
    new = old.replace("@example.ru", "@new-mail.ru")
    desk = new_page(WIDTHS["desktop"])
    _enter(desk, customer)
    expect(desk.locator("#login-current")).to_contain_text(old)

    # a wrong password is refused on its field; the right one sends the link
    desk.locator("#new_login").fill(new.upper())
    desk.locator("#login_password").fill("wrong-password-1")
    desk.locator("#change-login").click()
    expect(desk.locator("#login_password-error")).to_contain_text("неверно")
    expect(desk.locator("#login-pending")).to_have_count(0)
    desk.locator("#new_login").fill(new)
    refill(desk.locator("#login_password"), "demo12345")
    desk.locator("#change-login").click()
    expect(desk.locator("#login-pending")).to_contain_text(new)
    expect(desk.locator("#login_password-error")).to_have_count(0)
    shot(desk, "profile-login-change-1280")

    phone = new_page(WIDTHS["phone"])
    _enter(phone, customer)
    expect(phone.locator("#login-pending")).to_contain_text(new)
    no_scroll = phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll, "the profile scrolls sideways at 390 px"
    shot(phone, "profile-login-change-390")

    # until confirmed, the new address does not sign in
    visitor = new_page(WIDTHS["phone"])
    sign_in(visitor, new)
    expect(visitor.locator("#login-error")).to_be_visible()

    link = _confirmation_link(app_env, new)
    visitor.goto(link.replace(app_env["env"]["PAYSIM_PUBLIC_URL"], base_url))
    visitor.locator("#confirm-login").click()
    expect(visitor.locator("#login-confirmed")).to_contain_text(new)
    shot(visitor, "confirm-login-390")

    # the other sessions ended; the old login no longer works, the new one does
    desk.goto("/cabinet")
    expect(desk).to_have_url(re.compile(r"/login"))
    sign_in(desk, old)
    expect(desk.locator("#login-error")).to_be_visible()
    sign_in(desk, new)
    expect(desk).to_have_url(re.compile(r"/cabinet/?$"))
    desk.goto("/cabinet/profile")
    expect(desk.locator("#login-current")).to_contain_text(new)
    expect(desk.locator("#login-pending")).to_have_count(0)
