"""(f) the websocket refuses a foreign Origin; (d) what the browser receives over it holds no
password hash, no stored token hash and no other subscriber's data."""

from __future__ import annotations

import hashlib
import re
import sqlite3

import pytest
import websocket
from playwright.sync_api import expect

from tests.e2e.conftest import ready, sign_in


def _ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"


def test_websocket_refuses_a_foreign_origin(base_url):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(_ws_url(base_url), origin="http://evil.example", timeout=10)
    assert refused.value.status_code == 403


def test_websocket_accepts_the_apps_own_origin(base_url):
    ws = websocket.create_connection(_ws_url(base_url), origin=base_url, timeout=10)
    try:
        assert ws.recv().startswith('0{"sid"')  # engine.io's open packet
    finally:
        ws.close()


def test_frames_sent_to_a_subscriber_hold_no_secret(new_page, base_url, app_env):
    page = new_page()
    frames: list[str] = []
    page.on(
        "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload)))
    )
    sign_in(page, "demo@paysim.demo")
    expect(page.locator(".sim-card")).to_have_count(4)
    page.locator(".sim-card").nth(1).click()
    expect(page.locator(".sim-card").nth(1)).to_have_attribute("aria-current", "true")
    token = page.evaluate("window.localStorage.getItem('paysim_session')")
    assert token and len(token) == 43
    received = "\n".join(frames)
    assert received, "no websocket frame was captured"

    with sqlite3.connect(app_env["db"]) as db:
        password_hashes = [r[0] for r in db.execute("SELECT password_hash FROM user_account")]
        token_hashes = [r[0] for r in db.execute("SELECT token_hash FROM auth_session")]
        others = db.execute(
            "SELECT s.msisdn, sub.email, sub.full_name FROM sim s JOIN subscriber sub ON sub.id = s.subscriber_id "
            "JOIN user_account u ON u.id = sub.user_id WHERE u.email <> 'demo@paysim.demo'"
        ).fetchall()
    assert hashlib.sha256(token.encode()).hexdigest() in token_hashes
    assert "$2b$" not in received
    for secret in password_hashes + token_hashes:
        assert secret not in received
    digits = re.sub(r"\D", "", received)
    for msisdn, email, name in others:
        assert msisdn[2:] not in digits, f"another subscriber's number {msisdn} reached the browser"
        assert email not in received
        assert name not in received


def test_the_next_user_of_a_tab_receives_nothing_of_the_one_who_signed_out(new_page):
    """A shared computer: subscriber A reads her statement (card labels included) and signs out;
    dealer B signs in in the same tab. From then on no frame carries A's card or statement,
    because signing out and in reset every page state of the tab, not only the session's."""
    page = new_page()
    frames: list[str] = []
    page.on(
        "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload)))
    )
    sign_in(page, "demo@paysim.demo")
    expect(page).to_have_url(re.compile(r"/cabinet$"))
    page.goto("/cabinet/payments")
    expect(page.get_by_text("•••• 4242").first).to_be_visible()
    assert any(_card(f) for f in frames), "the statement's card label was not captured"

    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    frames.clear()
    sign_in(page, "partner@paysim.demo")
    expect(page).to_have_url(re.compile(r"/partner$"))
    ready(page)
    page.goto("/cabinet/payments")  # the subscriber's page, by its address
    expect(page).to_have_url(re.compile(r"/partner$"))
    received = "\n".join(frames)
    assert received, "no websocket frame was captured"
    assert not _card(received)


def _card(text: str) -> bool:
    """Whether the text holds the label of A's Visa card, escaped or not."""
    return "•••• 4242" in text or "\\u2022 4242" in text
