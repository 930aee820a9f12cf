"""Browser journeys of phones proven by SMS codes: registering by phone (the code step, a wrong
code refused, the right one, read from the app's outbox, opens the cabinet) and a forgotten
password by phone (the code and the new password on one step, then signing in with it)."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from paysim_app.core.outbox import unseal
from tests.e2e.conftest import PASSWORD, WIDTHS, enter, shot, sign_in, unique_number

NEW_PASSWORD = "Another-pass2"


def _phone(app_env) -> tuple[str, str]:
    """A number nobody in the run uses: (as typed, E.164)."""
    n = (app_env["port"] % 1000) * 100 + unique_number()
    digits = f"977{n:07d}"
    return f"+7 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}", f"+7{digits}"


def _code(app_env, phone: str, kind: str) -> str:
    """The code of the newest SMS of `kind` to `phone`, unsealed as the sender would."""
    with sqlite3.connect(app_env["db"]) as db:
        body, secret = db.execute(
            "SELECT body, secret FROM outbox_email WHERE to_address = ? AND kind = ?"
            " ORDER BY id DESC LIMIT 1",
            (phone, kind),
        ).fetchone()
    code = unseal(secret)
    assert re.fullmatch(r"\d{6}", code) and code not in body
    return code


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_register_by_phone_then_reset_the_password_by_code(new_page, app_env):
    typed, phone = _phone(app_env)
    page = new_page(WIDTHS["desktop"])
    page.goto("/register")
    page.locator("#full_name").fill("Ольга Кодова")
    page.locator("#login").fill(typed)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_repeat").fill(PASSWORD)
    page.locator("#consent-personal-data").click()  # both consents (accounts.consent)
    page.locator("#consent-terms").click()
    page.locator("#register").click()

    sent = page.locator("#code-sent")
    expect(sent).to_contain_text(typed.replace(" ", "\u00a0"))  # kept on one line
    assert page.evaluate("localStorage.getItem('paysim_session') || ''") == ""
    shot(page, "phone_code_1280")
    page.set_viewport_size({"width": WIDTHS["phone"], "height": 860})
    expect(sent).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "phone_code_390")

    code = _code(app_env, phone, "sms_code_register")
    page.locator("#code").fill(_wrong(code))
    page.locator("#confirm-code").click()
    expect(page.locator("#code-error")).to_contain_text("4")  # attempts left
    page.locator("#resend-code").click()  # too early: says in how many seconds
    expect(page.locator("#code-error")).to_contain_text(re.compile(r"\d+ с"))
    page.locator("#code").fill(code)
    page.locator("#confirm-code").click()
    expect(page).to_have_url(re.compile(r"/cabinet$"))
    expect(page.locator("body")).to_contain_text("Ольга Кодова")

    # the password forgotten: a code to the phone, the new password, signing in with it
    other = new_page(WIDTHS["phone"])
    other.goto("/forgot")
    other.locator("#login").fill(typed)
    other.locator("#send-link").click()
    expect(other.locator("#code-sent")).to_contain_text(typed.replace(" ", "\u00a0"))
    _no_sideways_scroll(other)
    shot(other, "phone_reset_code_390")
    code = _code(app_env, phone, "sms_code_reset")
    other.locator("#code").fill(code)
    other.locator("#password").fill(NEW_PASSWORD)
    other.locator("#password_repeat").fill(NEW_PASSWORD)
    other.locator("#confirm-code").click()
    expect(other.locator("#reset-done")).to_be_visible()
    _no_sideways_scroll(other)
    shot(other, "phone_reset_done_390")

    sign_in(other, typed, NEW_PASSWORD)
    expect(other).to_have_url(re.compile(r"/cabinet$"))
    # the reset ended the session the registration opened
    page.reload()
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_phone_added_on_the_profile_is_confirmed_by_code_and_then_offers_sms(
    new_page, app_env, customer
):
    """An e-mail customer names a phone on the login card: nothing changes until the code sent
    to it is entered (a wrong one is counted); then the phone signs in too and the notification
    channels offer SMS, which they did not before."""
    typed, phone = _phone(app_env)
    shown = typed  # as the page formats it: +7 977 123-45-67
    desk = new_page(WIDTHS["desktop"])
    enter(desk, customer["login"], "/cabinet/profile")
    expect(desk.locator("#login-current")).to_contain_text(customer["login"])
    expect(desk.locator("#pref-low_balance")).to_be_visible()
    expect(desk.locator("#pref-low_balance option[value='sms']")).to_have_count(0)

    desk.locator("#new_login").fill(typed)
    desk.locator("#login_password").fill(PASSWORD)
    desk.locator("#change-login").click()
    expect(desk.locator("#login-pending")).to_contain_text(shown[-9:])
    expect(desk.locator("#login-current")).not_to_contain_text(shown[-9:])
    code = _code(app_env, phone, "sms_code_login_change")
    desk.locator("#login_code").fill(_wrong(code))
    desk.locator("#confirm-login-code").click()
    expect(desk.locator("#login_code-error")).to_contain_text("4")  # attempts left
    shot(desk, "phone_login_change_1280")

    small = new_page(WIDTHS["phone"])
    enter(small, customer["login"], "/cabinet/profile")
    expect(small.locator("#login-pending")).to_contain_text(shown[-9:])
    _no_sideways_scroll(small)
    shot(small, "phone_login_change_390")
    small.locator("#login_code").fill(code)
    small.locator("#confirm-login-code").click()
    expect(small.locator("#login-pending")).to_have_count(0)
    expect(small.locator("#login-current")).to_contain_text(shown[-9:])
    expect(small.locator("#login-current")).to_contain_text(customer["login"])

    # the proven phone: SMS is a channel now, and the phone signs in
    small.reload()
    choice = small.locator("#pref-low_balance")
    expect(choice.locator("option[value='sms']")).to_have_count(1)
    choice.select_option("sms")
    expect(choice).to_have_value("sms")
    _no_sideways_scroll(small)
    shot(small, "phone_login_change_done_390")
    with sqlite3.connect(app_env["db"]) as db:
        saved = db.execute(
            "SELECT p.channel FROM notification_preference p JOIN user_account u"
            " ON u.id = p.user_id WHERE u.email = ? AND p.kind = 'low_balance'",
            (customer["login"],),
        ).fetchone()
    assert saved == ("sms",)
    other = new_page(WIDTHS["phone"])
    sign_in(other, typed)
    expect(other).to_have_url(re.compile(r"/cabinet$"))
