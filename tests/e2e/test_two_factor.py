"""Browser journey of two-factor sign-in: a fresh superadmin enrols an authenticator on the
profile page (the QR code and the key shown, the recovery codes once), signs out, signs in with
the password and a code the test computes with pyotp, and once more with a recovery code; each
sign-in from a browser the admin had not used sends the new-browser notice. An admin of a role
that requires it reaches only the enrolment, then the recovery codes, then the console."""

from __future__ import annotations

import re
import sqlite3
import time

import pyotp
from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.accounts import admins, hash_password, identity, two_factor
from paysim_app.db import make_engine
from paysim_app.models import User
from tests.e2e.conftest import PASSWORD, WIDTHS, enter, shot, sign_in, staff_login, unique_number


def _notices(app_env, login: str) -> int:
    with sqlite3.connect(app_env["db"]) as db:
        (n,) = db.execute(
            "SELECT count(*) FROM notification n JOIN user_account u ON u.id = n.user_id"
            " WHERE u.email = ? AND n.kind = 'new_sign_in'",
            (login,),
        ).fetchone()
    return n


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_enrol_sign_in_with_a_code_and_with_a_recovery_code(new_page, app_env):
    login = staff_login(app_env, "admin")  # not the demo superadmin: other tests sign in as it
    desk = new_page(WIDTHS["desktop"])
    enter(desk, login, "/admin/profile")

    # enrolment: the QR code and the key; a wrong code is refused, the right one turns it on
    desk.locator("#two-factor-start").click()
    qr = desk.locator("#two-factor-qr")
    expect(qr).to_be_visible()
    assert desk.evaluate(
        "() => { const i = document.getElementById('two-factor-qr'); "
        "return i.complete && i.naturalWidth > 100; }"
    ), "the QR code is not drawn"
    secret = desk.locator("#two-factor-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    shot(desk, "two_factor_enrol_1280")
    desk.set_viewport_size({"width": WIDTHS["phone"], "height": 860})
    expect(qr).to_be_visible()
    _no_sideways_scroll(desk)
    shot(desk, "two_factor_enrol_390")
    desk.set_viewport_size({"width": WIDTHS["desktop"], "height": 860})

    totp = pyotp.TOTP(secret)
    desk.locator("#profile-code").fill("000000" if totp.now() != "000000" else "111111")
    desk.locator("#two-factor-confirm").click()
    expect(desk.locator("#two-factor-error")).to_be_visible()
    desk.locator("#profile-code").fill(totp.now())
    desk.locator("#two-factor-confirm").click()
    codes = desk.locator("#recovery-codes .recovery-code")
    expect(codes).to_have_count(10)
    recovery = codes.nth(0).inner_text()
    desk.locator("#codes-done").click()
    expect(desk.locator("#two-factor-state")).to_contain_text("10")

    desk.locator("#sign-out").click()
    expect(desk).to_have_url(re.compile(r"/login"))

    # sign-in on a phone: the password opens no session, the code does
    phone = new_page(WIDTHS["phone"])
    sign_in(phone, login)
    code_field = phone.locator("#code")
    expect(code_field).to_be_visible()
    expect(phone.locator("#two-factor-step")).to_be_visible()
    _no_sideways_scroll(phone)
    shot(phone, "two_factor_code_390")
    assert phone.evaluate("localStorage.getItem('paysim_session') || ''") == ""
    # the next time step's code: within the window, and never the one the enrolment used
    code_field.fill(totp.at(time.time() + 30))
    phone.locator("#verify-code").click()
    expect(phone).to_have_url(re.compile(r"/admin/?$"))

    # sign-in on another desktop browser with a recovery code, which then no longer works
    other = new_page(WIDTHS["desktop"])
    sign_in(other, login)
    expect(other.locator("#code")).to_be_visible()
    shot(other, "two_factor_code_1280")
    other.locator("#code").fill(recovery)
    other.locator("#verify-code").click()
    expect(other).to_have_url(re.compile(r"/admin/?$"))
    expect(other.get_by_text("Резервный код использован. Осталось кодов: 9.")).to_be_visible()
    other.locator("#sign-out").click()
    expect(other).to_have_url(re.compile(r"/login"))
    sign_in(other, login)
    other.locator("#code").fill(recovery)
    other.locator("#verify-code").click()
    expect(other.locator("#login-error")).to_be_visible()
    expect(other).to_have_url(re.compile(r"/login"))

    # the phone and the other browser were new to this admin; the same browser again is not
    assert _notices(app_env, login) == 2


def _admin_of_a_role_that_requires_it(app_env) -> str:
    """A fresh admin in a fresh role that requires two-factor sign-in (no demo account's role
    changes); returns the login."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    login = f"guard{n}-{app_env['port']}@paysim.demo"
    with Session(engine) as session:
        boss = session.exec(select(User).where(User.email == "admin@paysim.demo")).one()
        boss = identity.actor_for(session, boss)
        role_id = admins.create_role(
            session, boss, f"Охрана {n}-{app_env['port']}", "", ["sims.view"]
        )
        two_factor.set_role_two_factor(session, boss, role_id, True)
        user_id = admins.invite_admin(session, boss, login, "Игорь Охранов", role_id)
        session.get(User, user_id).password_hash = hash_password(PASSWORD)
        session.commit()
    engine.dispose()
    return login


def test_a_role_that_requires_it_signs_in_through_the_enrolment(new_page, app_env):
    login = _admin_of_a_role_that_requires_it(app_env)
    phone = new_page(WIDTHS["phone"])
    sign_in(phone, login)
    expect(phone.locator("#two-factor-enrol")).to_be_visible()
    expect(phone.locator("#two-factor-qr")).to_be_visible()
    _no_sideways_scroll(phone)
    shot(phone, "two_factor_sign_in_enrol_390")
    assert phone.evaluate("localStorage.getItem('paysim_session') || ''") == ""
    phone.goto("/admin/sims")  # nothing opens before the enrolment
    expect(phone).to_have_url(re.compile(r"/login"))

    sign_in(phone, login)
    secret = phone.locator("#two-factor-secret").inner_text().replace(" ", "")
    phone.locator("#code").fill(pyotp.TOTP(secret).now())
    phone.locator("#verify-code").click()
    expect(phone.locator("#recovery-codes .recovery-code")).to_have_count(10)
    shot(phone, "two_factor_sign_in_codes_390")
    phone.locator("#codes-done").click()
    expect(phone).to_have_url(re.compile(r"/admin/?$"))
