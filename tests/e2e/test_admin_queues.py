"""The admin's Activation and Blocking sections in a browser: approve an activation request,
reject another with a reason (a field error first), approve a tariff change with its preview,
block a SIM by its number and lift the block (the SIM's status comes back); phone and desktop
layouts."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, ready, shot

# the tab in the address, beside each tab's list keys (act_..., chg_...: ListSpec.address_prefix)
TARIFFS_TAB = re.compile(r"/admin/activations/?\?(.*&)?tab=tariffs(&|$)")
# a section's first tab: the lists write their default filters into the address once loaded
ACTIVATIONS = re.compile(r"/admin/activations/?(\?[^/]*)?$")
BLOCKS = re.compile(r"/admin/blocks/?(\?[^/]*)?$")


def _admin(new_page, width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, "admin@paysim.demo")  # the test opens its page
    return page


def _one(app_env, sql: str, *args):
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute(sql, args).fetchone()


def _pending_requests(app_env) -> list[tuple[int, int | None]]:
    with sqlite3.connect(app_env["db"]) as db:
        return db.execute(
            "SELECT id, subscriber_id FROM activation_request WHERE status = 'pending' ORDER BY id"
        ).fetchall()


def _toast(page, text: str) -> None:
    expect(page.locator("[data-sonner-toast]").filter(has_text=text).first).to_be_visible()


def test_admin_approves_an_activation_request_and_rejects_another_with_a_reason(new_page, app_env):
    pending = _pending_requests(app_env)
    assert len(pending) >= 2, "the demo data has pending activation requests"
    # a subscriber's own claim approves without a new contract; any other one is rejected
    approve = next((rid for rid, sub in pending if sub is not None), pending[0][0])
    reject = next(rid for rid, _ in pending if rid != approve)
    page = _admin(new_page)
    page.goto("/admin/activations")
    expect(page.locator("#admin-activations")).to_contain_text(f"#{approve}")
    expect(page.locator("#admin-activations")).not_to_contain_text("Одобрена")
    shot(page, "admin-activations-1280")

    page.locator("#admin-activations").get_by_role("link", name=f"#{approve}", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/activations/{approve}$"))
    expect(page.locator("#activation-title")).to_contain_text(str(approve))
    expect(page.locator("#activation-iccid")).not_to_be_empty()
    ready(page)
    shot(page, "admin-activation-detail-1280")
    page.locator("#activation-approve").click()
    expect(page).to_have_url(ACTIVATIONS)
    _toast(page, f"№ {approve}")
    decided = page.locator("#admin-activations").get_by_role("link", name=f"#{approve}", exact=True)
    expect(decided).to_have_count(0)
    status, sim_status = _one(
        app_env,
        "SELECT r.status, s.status FROM activation_request r JOIN sim s ON s.id = r.sim_id "
        "WHERE r.id = ?",
        approve,
    )
    assert (status, sim_status) == ("approved", "active")

    page.goto(f"/admin/activations/{reject}")
    expect(page.locator("#activation-title")).to_contain_text(str(reject))
    ready(page)
    page.locator("#activation-reject").click()
    expect(page.locator("#activation-reason-error")).to_be_visible()
    page.locator("#activation-reason").fill("Паспортные данные не совпадают")
    # typing clears the field's error once the server has the text (set_reason): the tab's
    # events are through before the form is sent again
    expect(page.locator("#activation-reason-error")).to_be_hidden()
    page.locator("#activation-reject").click()
    expect(page).to_have_url(ACTIVATIONS)
    _toast(page, f"№ {reject}")
    assert _one(app_env, "SELECT status, reason FROM activation_request WHERE id = ?", reject) == (
        "rejected",
        "Паспортные данные не совпадают",
    )


def test_admin_approves_a_tariff_change_seeing_what_it_settles(new_page, app_env):
    change_id, sim_id = _one(
        app_env,
        "SELECT id, sim_id FROM tariff_change_request WHERE status = 'pending' ORDER BY id",
    )
    page = _admin(new_page)
    page.goto("/admin/activations")
    ready(page)
    page.locator("#tab-tariffs").click()
    expect(page).to_have_url(TARIFFS_TAB)
    expect(page.locator("#admin-tariff-changes")).to_contain_text(f"#{change_id}")
    shot(page, "admin-tariff-changes-1280")
    page.reload()  # the tab survives a reload
    expect(page.locator("#admin-tariff-changes")).to_contain_text(f"#{change_id}")
    page.locator("#admin-tariff-changes").get_by_role(
        "link", name=f"#{change_id}", exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"/admin/activations/tariffs/{change_id}$"))
    expect(page.locator("#change-settle")).not_to_be_empty()
    ready(page)
    page.locator("#change-when").click()
    page.get_by_role("option", name="Сейчас").click()
    expect(page.locator("#change-settle")).to_contain_text("₽")
    page.locator("#change-when").click()
    page.get_by_role("option", name="С нового расчётного периода").click()
    expect(page.locator("#change-settle")).to_have_text("Доплаты и возврата нет.")
    shot(page, "admin-tariff-change-1280")
    page.locator("#change-approve").click()
    expect(page).to_have_url(TARIFFS_TAB)
    _toast(page, f"№ {change_id}")
    status, to_tariff, sim_tariff, effective_on = _one(
        app_env,
        "SELECT r.status, r.to_tariff_id, s.tariff_id, r.effective_on FROM tariff_change_request r "
        "JOIN sim s ON s.id = r.sim_id WHERE r.id = ?",
        change_id,
    )
    # "from the next period": scheduled for the billing cycle, the SIM keeps its tariff until then
    assert status == "scheduled" and effective_on and to_tariff != sim_tariff
    assert sim_id


def test_admin_blocks_a_sim_by_its_number_and_lifts_the_block(new_page, app_env):
    sim_id, msisdn = _one(
        app_env,
        "SELECT id, msisdn FROM sim JOIN sim_balance ON sim_id = id"
        " WHERE status = 'active' AND balance_kop >= 0 "
        "AND id NOT IN (SELECT sim_id FROM tariff_change_request WHERE status = 'pending') "
        "ORDER BY id DESC",
    )
    page = _admin(new_page)
    page.goto("/admin/blocks")
    expect(page.locator("#admin-blocks-summary")).to_contain_text(re.compile(r"\d"))
    ready(page)
    page.locator("#block-sim").fill("12345")
    page.locator("#block-submit").click()
    expect(page.locator("#block-sim-error")).to_be_visible()
    local = msisdn[2:]
    page.locator("#block-sim").fill(f"8 {local[:3]} {local[3:6]}-{local[6:8]}-{local[8:]}")
    page.locator("#block-reason").click()
    page.get_by_role("option", name="Подозрение на мошенничество").click()
    page.locator("#block-comment").fill("Проверка службы безопасности")
    page.locator("#block-submit").click()
    _toast(page, "заблокирована")
    shown = f"+7 {local[:3]} {local[3:6]}-{local[6:8]}-{local[8:]}"
    expect(page.locator("#admin-blocks")).to_contain_text(shown)
    expect(page.locator("#admin-blocks")).to_contain_text("Проверка службы безопасности")
    expect(page.locator("#block-sim")).to_have_value("")
    shot(page, "admin-blocks-1280")
    (block_id,) = _one(
        app_env, "SELECT id FROM sim_block WHERE sim_id = ? AND lifted_at IS NULL", sim_id
    )

    page.goto(f"/admin/sims/{sim_id}")
    expect(page.locator("#sim-status-badge")).to_have_text("Заблокирована")

    page.goto("/admin/blocks")
    page.locator("#admin-blocks").get_by_role("link", name=f"#{block_id}", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/blocks/{block_id}$"))
    expect(page.locator("#block-reason-text")).to_have_text("Подозрение на мошенничество")
    ready(page)
    page.locator("#block-lift").click()
    shot(page, "admin-block-detail-1280")
    page.locator("#block-lift-yes").click()
    expect(page).to_have_url(BLOCKS)
    _toast(page, "Блокировка снята")
    expect(page.locator("#admin-blocks")).not_to_contain_text(shown)

    page.goto(f"/admin/sims/{sim_id}")
    expect(page.locator("#sim-status-badge")).to_have_text("Активна")


@pytest.mark.parametrize("section", ["activations", "blocks"])
def test_the_sections_on_a_phone(new_page, app_env, section):
    page = _admin(new_page, WIDTHS["phone"])
    page.goto(f"/admin/{section}")
    cards = f"#admin-{section}"
    expect(page.locator(cards)).to_be_visible()
    expect(page.locator("#filter-panel")).not_to_be_visible()
    page.locator("#filter-toggle").click()
    expect(page.locator("#filter-panel")).to_be_visible()
    shot(page, f"admin-{section}-390")
    page.locator(cards).get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page).to_have_url(re.compile(rf"/admin/{section}/\d+$"))
    expect(page.locator("#back-link")).to_be_visible()
    shot(page, f"admin-{section[:-1]}-detail-390")


def test_unblock_requests_tab_and_the_support_operator_is_sent_back(new_page, app_env):
    page = _admin(new_page)
    page.goto("/admin/blocks?tab=requests")
    expect(page.locator("#tab-unblocks")).to_have_attribute("data-state", "active")
    expect(page.locator("#admin-unblocks-summary")).to_be_visible()
    shot(page, "admin-unblocks-1280")

    support = new_page()
    enter(support, "support@paysim.demo")
    for path in ("/admin/activations", "/admin/blocks", "/admin/activations/1", "/admin/blocks/1"):
        support.goto(path)
        expect(support).to_have_url(re.compile(r"/admin$"))
