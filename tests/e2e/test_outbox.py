"""The admin outbox in a browser: each message's state, tries, next try and reason; filtered
to failed SMS, one is sent again (it waits again); and a subscriber whose e-mail bounced sees
it on the profile. Phone and desktop layouts (one run, the page resized)."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import expect
from sqlmodel import Session

from paysim_app.accounts import identity
from paysim_app.db import make_engine
from tests.e2e.conftest import (
    PASSWORD,
    WIDTHS,
    at_width,
    enter,
    ready,
    shot,
    shots,
    staff_login,
    unique_number,
)


def _failed_sms(app_env, text: str) -> int:
    with sqlite3.connect(app_env["db"]) as db:
        cur = db.execute(
            "INSERT INTO outbox_email (channel, to_address, subject, body, secret, kind,"
            " attachments, status, next_attempt_at, attempts, last_error, claimed_by,"
            " message_id, locale, created_at)"
            " VALUES ('sms', '+79161112233', '', ?, '', 'sms_code', '', 'failed',"
            " '2026-01-01 00:00:00.000000', 8, 'SMSC: invalid destination (0x0b)', '', '', '',"
            " strftime('%Y-%m-%d %H:%M:%f', 'now'))",
            (text,),
        )
        return cur.lastrowid


def test_admin_filters_failed_messages_and_sends_one_again(new_page, app_env):
    """Driven at 390 px after a look at 1280 px: the phone folds the filters behind a toggle
    and shows the rows as cards, whose checkbox is ticked there; shot at both widths."""
    text = f"Код проверки {unique_number()}"
    row_id = _failed_sms(app_env, text)
    page = new_page(WIDTHS["desktop"])
    enter(page, staff_login(app_env, "admin"), "/admin/outbox")
    ready(page)
    expect(page.locator("#outbox-table")).to_be_visible()
    expect(page.locator("#filter-toggle")).to_be_hidden()  # the desktop shows the filters
    expect(page.locator("#f-status")).to_be_visible()
    at_width(page, WIDTHS["phone"])
    expect(page.locator("#f-status")).to_be_hidden()  # a phone folds them
    page.locator("#filter-toggle").click()
    expect(page.locator("#f-status")).to_be_visible()
    page.locator("#f-status").select_option("failed")
    page.locator("#f-channel").select_option("sms")
    row = page.locator("#outbox-table tr", has_text=text)
    expect(row).to_contain_text("SMSC: invalid destination")
    expect(row).to_contain_text("не доставлено")
    shots(page, "admin-outbox-failed")
    row.get_by_role("checkbox").click()
    page.locator("#outbox-retry").click()
    expect(page.locator("#outbox-notice")).to_contain_text("Снова в очереди: 1")
    expect(page.locator("#outbox-table tr", has_text=text)).to_have_count(0)  # not failed now
    with sqlite3.connect(app_env["db"]) as db:
        status, attempts = db.execute(
            "SELECT status, attempts FROM outbox_email WHERE id = ?", (row_id,)
        ).fetchone()
        (audited,) = db.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'retry_message' AND entity_id = ?",
            (str(row_id),),
        ).fetchone()
    assert (status, attempts, audited) == ("waiting", 0, 1)


def test_a_bounced_e_mail_shows_on_the_profile(new_page, app_env):
    login = f"bounce{unique_number()}-{app_env['port']}@example.ru"
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine) as session:
        identity.register_subscriber(
            session, login, PASSWORD, consent=True, full_name="Ида Отказова"
        )
        session.commit()
    engine.dispose()
    with sqlite3.connect(app_env["db"]) as db:
        db.execute("UPDATE user_account SET bounced_email = ? WHERE email = ?", (login, login))
    page = new_page(WIDTHS["phone"])
    enter(page, login, "/cabinet/profile")
    expect(page.locator("#email-bounced")).to_contain_text(login)
    shot(page, "profile-email-bounced-390")
