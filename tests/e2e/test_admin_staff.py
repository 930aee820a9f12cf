"""The Admins, Audit and Quality sections in a browser: invite an admin (the mail shows in the
outbox), edit a role's permissions and meet the self-demotion refusal, filter the audit log by
action, open the quality page for a period; the support operator is sent back. Each journey
runs once, its pages shot (and checked for sideways scrolling) at 390 px and 1280 px."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import (
    REVIEW_SHOTS,
    WIDTHS,
    at_width,
    enter,
    ready,
    shot,
    shots,
    unique_number,
)


def _admin(new_page, width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, "admin@paysim.demo")  # the test opens its page
    return page


def _open(page, path: str, shown: str):
    page.goto(path)
    expect(page.locator(shown)).to_be_visible()
    ready(page)


def test_admin_invites_an_admin_and_the_mail_shows_in_the_outbox(new_page, app_env):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = _admin(new_page)
    _open(page, "/admin/admins", "#invite-email")
    email = f"new-admin-{unique_number()}-{app_env['port']}@paysim.demo"
    page.locator("#invite-email").fill(email)
    page.locator("#invite-full-name").fill("Новый Администратор")
    page.locator("#invite-role").click()
    page.get_by_role("option", name="Support operator").click()
    page.locator("#invite-submit").click()
    view = "#admin-admins"
    expect(page.locator(view)).to_contain_text(email)
    expect(page.locator("#invite-email")).to_have_value("")
    shots(page, "admin-admins")
    with sqlite3.connect(app_env["db"]) as db:
        (user_id,) = db.execute("SELECT id FROM user_account WHERE email = ?", (email,)).fetchone()
    # an e-mail already in use is refused with a clear message and invites nobody
    page.locator("#invite-email").fill("admin@paysim.demo")
    page.locator("#invite-full-name").fill("Кто-то")
    page.locator("#invite-submit").click()
    expect(page.locator("#invite-error")).to_be_visible()

    page.goto("/admin/outbox")
    expect(page.locator("body")).to_contain_text(email)
    expect(page.locator("body")).to_contain_text("/reset?token=")

    _open(page, f"/admin/admins/{user_id}", "#admin-name")
    expect(page.locator("#admin-role-name")).to_have_text("Support operator")
    shots(page, "admin-admin-card")
    # disable (after a confirmation), then enable again
    page.locator("#admin-disable").click()
    page.locator("#admin-disable-yes").click()
    expect(page.locator("#admin-enable")).to_be_visible()
    expect(page.locator("#admin-disable")).to_have_count(0)
    page.locator("#admin-enable").click()
    expect(page.locator("#admin-disable")).to_be_visible()


def test_admin_edits_a_role_and_cannot_remove_its_own_manage_right(new_page):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = _admin(new_page)
    _open(page, "/admin/admins/roles", "#perm-grid")
    # the support operator's role gains the blocks section
    page.locator(".role-item", has_text="Support operator").click()
    expect(page.locator("#role-title")).to_have_text("Support operator")
    box = page.locator("#perm-blocks-view")
    if box.get_attribute("aria-checked") == "true":
        box.click()  # an earlier run ticked it: start from unticked
        page.locator("#role-save").click()
        expect(box).to_have_attribute("aria-checked", "false")
    box.click()
    expect(box).to_have_attribute("aria-checked", "true")
    page.locator("#role-save").click()
    expect(page.get_by_text("Роль сохранена.").first).to_be_visible()
    page.reload()
    expect(page.locator("#perm-grid")).to_be_visible()
    ready(page)
    page.locator(".role-item", has_text="Support operator").click()
    expect(page.locator("#role-title")).to_have_text("Support operator")
    expect(page.locator("#perm-blocks-view")).to_have_attribute("aria-checked", "true")
    shots(page, "admin-roles")

    # its own role: dropping admins.manage is refused, and nothing changes
    page.locator(".role-item", has_text="Superadmin").click()
    expect(page.locator("#role-title")).to_have_text("Superadmin")
    manage = page.locator("#perm-admins-manage")
    expect(manage).to_have_attribute("aria-checked", "true")
    manage.click()
    expect(manage).to_have_attribute("aria-checked", "false")
    page.locator("#role-save").click()
    expect(page.locator("#role-error")).to_contain_text("Нельзя лишить себя права")
    shots(page, "admin-roles-refused")
    page.reload()
    expect(page.locator("#perm-grid")).to_be_visible()
    ready(page)
    page.locator(".role-item", has_text="Superadmin").click()
    expect(page.locator("#perm-admins-manage")).to_have_attribute("aria-checked", "true")


def test_admin_creates_and_deletes_a_role(new_page, app_env):
    page = _admin(new_page)
    _open(page, "/admin/admins/roles", "#perm-grid")
    page.locator("#role-new").click()
    name = f"Кассир {app_env['port']}"
    page.locator("#role-name").fill(name)
    page.locator("#perm-payments-refund").click()
    expect(page.locator("#perm-payments-view")).to_have_attribute("aria-checked", "true")
    page.locator("#role-save").click()
    expect(page.locator("#role-title")).to_have_text(name)
    expect(page.locator("#role-list")).to_contain_text(name)
    page.locator("#role-delete").click()
    page.locator("#role-delete-yes").click()
    expect(page.locator("#role-list")).not_to_contain_text(name)


def test_admin_filters_the_audit_log_by_action(new_page):
    """Driven at 390 px after a look at 1280 px: the filters sit behind the phone's toggle (at
    1280 px they are shown, without it); the result is shot at both widths."""
    page = _admin(new_page)
    _open(page, "/admin/audit", "#admin-audit-summary")
    expect(page.locator("#admin-audit-summary")).to_contain_text(re.compile(r"\d"))
    expect(page.locator("#filter-toggle")).to_be_hidden()
    expect(page.locator("#f-action")).to_be_visible()
    at_width(page, WIDTHS["phone"])
    expect(page.locator("#f-action")).to_be_hidden()
    page.locator("#filter-toggle").click()
    expect(page.locator("#f-action")).to_be_visible()
    # a native <select>: the first real action after "any"
    action = page.locator("#f-action option").nth(1).inner_text().strip()
    page.locator("#f-action").select_option(index=1)
    view = "#admin-audit"
    expect(page.locator(view)).to_contain_text(action)
    ready(page)
    rows = page.locator(f"{view} tbody tr")
    # retried until the filtered page has replaced the unfiltered one: every row is that action
    expect(rows.filter(has_not_text=action)).to_have_count(0)
    expect(rows.first).to_contain_text(action)
    # a row's before/after opens below the table
    page.locator(".audit-entry").first.click()
    expect(page.locator("#audit-detail-title")).to_contain_text(action)
    shots(page, "admin-audit")


def test_admin_opens_the_quality_page_for_a_period(new_page):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = _admin(new_page)
    _open(page, "/admin/quality", "#period-from")
    expect(page.locator("#q-ratings")).to_have_text(re.compile(r"\d"))
    expect(page.locator("#period-from")).to_have_value(re.compile(r"\d{4}-\d\d-\d\d"))
    expect(page.locator("#chart-stars")).to_be_visible()
    # a dot per month and aspect rated (a line needs two: an aspect rated in one month only
    # is a dot, and its line's path has no size)
    expect(page.locator("#chart-stars .recharts-line-dot").first).to_be_visible()
    shots(page, "admin-quality")
    for width in (WIDTHS["phone"], WIDTHS["desktop"]) if REVIEW_SHOTS else ():
        at_width(page, width)  # the chart's top, as a screen shows it
        shot(page, f"admin-quality-top-{width}", full_page=False)
    # a long period: at least as many ratings as the default six months
    before = int(re.sub(r"\D", "", page.locator("#q-ratings").inner_text()) or 0)
    page.locator("#period-from").fill("2020-01-01")
    expect(page.locator("#period-from")).to_have_value("2020-01-01")
    ready(page)
    expect(page.locator("#q-ratings")).to_have_text(re.compile(r"\d"))
    after = int(re.sub(r"\D", "", page.locator("#q-ratings").inner_text()) or 0)
    assert after >= before
    # the list shows the low ones first
    view = "#admin-ratings"
    expect(page.locator(view)).to_contain_text("★")
    first = page.locator(view).get_by_text(re.compile(r"[★☆]{5} \d")).first.inner_text()
    assert first.strip().endswith(("1", "2")), first
    # a period that ends before it starts is refused clearly
    page.locator("#period-to").fill("2019-01-01")
    expect(page.locator("#quality-error")).to_be_visible()


def test_support_operator_is_sent_back_from_admins_audit_and_quality(new_page):
    page = new_page(WIDTHS["desktop"])
    enter(page, "support@paysim.demo")
    for path in ("/admin/admins", "/admin/admins/roles", "/admin/audit", "/admin/quality"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/admin$"))
