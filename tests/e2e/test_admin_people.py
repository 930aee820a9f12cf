"""The admin's Subscribers section and Support inbox in a browser: find a subscriber and
correct a balance on the card; answer a ticket with a canned reply and set its status; what the
support operator may and may not do; phone and desktop layouts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from paysim_app.accounts import identity
from paysim_app.db import make_engine
from paysim_app.models import CannedReply
from paysim_app.support import ticketing
from tests.e2e.conftest import PASSWORD, WIDTHS, enter, ready, shot, unique_number


def _signed_in(new_page, login, width=WIDTHS["desktop"]):
    page = new_page(width)
    enter(page, login)  # the test opens its page
    return page


def _subscriber_id(app_env, login):
    import sqlite3

    with sqlite3.connect(app_env["db"]) as db:
        return db.execute("SELECT id FROM subscriber WHERE email = ?", (login,)).fetchone()[0]


@pytest.fixture
def fresh_ticket(app_env):
    """A new subscriber's ticket (status new) and a canned reply in Russian."""
    n = unique_number()
    engine = make_engine(f"sqlite:///{app_env['db']}")
    subject = f"Нет интернета {app_env['port']}-{n}"
    with Session(engine, expire_on_commit=False) as session:
        actor = identity.register_subscriber(
            session,
            f"ticket{n}-{app_env['port']}@example.ru",
            PASSWORD,
            full_name="Игорь Тикетов",
            consent=True,
        )
        ticket_id = ticketing.open_ticket(session, actor, "connection", subject, "С утра нет сети")
        canned = CannedReply(
            title=f"Перезагрузка {n}",
            body=f"Перезагрузите модем и проверьте баланс ({n}).",
            locale="ru",
        )
        session.add(canned)
        session.commit()
        out = {"id": ticket_id, "subject": subject, "title": canned.title, "body": canned.body}
    engine.dispose()
    return out


def test_admin_finds_a_subscriber_and_corrects_a_balance(new_page, app_env, customer):
    page = _signed_in(new_page, "admin@paysim.demo")
    page.goto("/admin/subscribers")
    expect(page.locator("#admin-subscribers-summary")).to_contain_text(re.compile(r"\d"))
    ready(page)
    page.locator("#list-search").fill(customer["login"])
    page.locator("#list-apply").click()
    expect(page.locator("#admin-subscribers")).to_contain_text("Мария Деньгова")
    expect(page.locator("#admin-subscribers tbody tr")).to_have_count(1)
    expect(page.locator("#admin-subscribers")).to_contain_text("100,00")
    shot(page, "admin-subscribers-search-1280")
    page.locator("#admin-subscribers").get_by_role("link").first.click()
    sub_id = _subscriber_id(app_env, customer["login"])
    expect(page).to_have_url(re.compile(rf"/admin/subscribers/{sub_id}$"))
    expect(page.locator("#sub-balance")).to_contain_text("100,00")
    expect(page.locator("#sub-sims")).to_contain_text("₽")
    ready(page)

    # a correction without a reason is refused and changes nothing
    page.locator("#corr-amount").fill("250,50")
    page.locator("#corr-submit").click()
    expect(page.locator("#corr-error")).to_be_visible()
    expect(page.locator("#sub-balance")).to_contain_text("100,00")

    page.locator("#corr-comment").fill("Компенсация за сбой сети")
    page.locator("#corr-submit").click()
    expect(page.locator("#sub-balance")).to_contain_text("350,50")
    expect(page.locator("#corr-error")).to_have_count(0)
    expect(page.locator("#sub-sims")).to_contain_text("350,50")

    # a leading minus debits
    page.locator("#corr-amount").fill("-50")
    page.locator("#corr-comment").fill("Ошибочное зачисление")
    page.locator("#corr-submit").click()
    expect(page.locator("#sub-balance")).to_contain_text("300,50")
    shot(page, "admin-subscriber-card-1280")


def test_a_double_click_on_the_correction_posts_it_once(new_page, app_env, customer):
    """Both clicks send the same form (its key with it): one ledger entry, the balance moves once,
    and the second answer is the first one's, not an error."""
    import sqlite3

    sub_id = _subscriber_id(app_env, customer["login"])
    page = _signed_in(new_page, "admin@paysim.demo")
    page.goto(f"/admin/subscribers/{sub_id}")
    expect(page.locator("#sub-balance")).to_contain_text("100,00")
    ready(page)
    page.locator("#corr-amount").fill("12,34")
    page.locator("#corr-comment").fill("Двойной клик")
    page.locator("#corr-submit").dblclick()
    expect(page.locator("#sub-balance")).to_contain_text("112,34")
    expect(page.locator("#corr-amount")).to_have_value("")  # answered: a new, empty form
    # the page's events run one after another: once a later one has answered, so has the
    # second click's post
    page.locator("#sub-notes").fill("После двойного клика")
    page.locator("#sub-notes-save").click()
    expect(page.get_by_text("Заметки сохранены.")).to_be_visible()
    expect(page.locator("#sub-balance")).to_contain_text("112,34")
    expect(page.locator("#corr-error")).to_have_count(0)
    with sqlite3.connect(app_env["db"]) as db:
        rows = db.execute(
            "SELECT amount_kop, form_key FROM ledger_entry"
            " WHERE sim_id IN (?, ?) AND comment = 'Двойной клик'",
            customer["sims"],
        ).fetchall()
    assert len(rows) == 1 and rows[0][0] == 1234 and rows[0][1].startswith("correction:")


def test_admin_edits_personal_data_and_notes(new_page, app_env, customer):
    sub_id = _subscriber_id(app_env, customer["login"])
    page = _signed_in(new_page, "admin@paysim.demo")
    page.goto(f"/admin/subscribers/{sub_id}")
    expect(page.locator("#sub-full_name")).to_have_value("Мария Деньгова")
    ready(page)
    page.locator("#sub-address").fill("г. Тверь, ул. Советская, 1")
    page.locator("#sub-save").click()
    expect(page.locator("#sub-form-error")).to_have_count(0)
    page.locator("#sub-phone").fill("+1 555")
    page.locator("#sub-save").click()
    expect(page.locator("#sub-form-error")).to_be_visible()
    expect(page.locator("#sub-phone")).to_have_attribute("aria-invalid", "true")
    page.locator("#sub-notes").fill("Звонил 26.11, просил счёт")
    page.locator("#sub-notes-save").click()
    page.reload()
    expect(page.locator("#sub-address")).to_have_value("г. Тверь, ул. Советская, 1")
    expect(page.locator("#sub-notes")).to_have_value("Звонил 26.11, просил счёт")


def test_support_operator_answers_a_ticket_with_a_canned_reply(new_page, fresh_ticket):
    page = _signed_in(new_page, "support@paysim.demo")
    page.goto("/admin/support")
    expect(page.locator("#admin-support-summary")).to_contain_text(re.compile(r"\d"))
    ready(page)
    page.locator("#list-search").fill(fresh_ticket["subject"])
    page.locator("#list-apply").click()
    expect(page.locator("#admin-support tbody tr")).to_have_count(1)
    expect(page.locator("#admin-support")).to_contain_text("Игорь Тикетов")
    expect(page.locator("#admin-support")).to_contain_text("—")  # no first response yet
    shot(page, "admin-support-inbox-1280")
    page.locator("#admin-support").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/support/{fresh_ticket['id']}$"))
    expect(page.locator("#ticket-thread")).to_contain_text("С утра нет сети")
    expect(page.locator("#ticket-first-response")).to_contain_text("Ответа ещё не было")
    ready(page)

    # an internal note: marked as such in the thread
    page.locator("#reply-body").fill("Проверить соту 12")
    page.locator("#note-add").click()
    expect(page.locator(".message.internal")).to_contain_text("Проверить соту 12")
    expect(page.locator(".message.internal")).to_contain_text("Внутренняя заметка")

    page.locator("#reply-canned").click()
    page.get_by_role("option", name=re.compile(re.escape(fresh_ticket["title"]))).click()
    expect(page.locator("#reply-body")).to_have_value(fresh_ticket["body"])
    page.locator("#reply-status").click()
    page.get_by_role("option", name="Решено", exact=True).click()
    page.locator("#reply-send").click()
    expect(page.locator("#ticket-status-badge")).to_have_text("Решено")
    expect(page.locator("#ticket-thread")).to_contain_text(fresh_ticket["body"])
    expect(page.locator("#reply-body")).to_have_value("")
    expect(page.locator("#ticket-first-response")).to_contain_text(
        "Первый ответ через меньше минуты"
    )

    # then takes it back into work and raises its priority
    page.locator("#ticket-status").click()
    page.get_by_role("option", name="В работе", exact=True).click()
    expect(page.locator("#ticket-status-badge")).to_have_text("В работе")
    page.locator("#ticket-priority").click()
    page.get_by_role("option", name="Срочный", exact=True).click()
    expect(page.locator("#ticket-priority-badge")).to_have_text("Срочный")
    shot(page, "admin-ticket-1280")


def test_support_operator_sees_a_subscriber_but_no_edit_buttons(new_page, app_env, customer):
    sub_id = _subscriber_id(app_env, customer["login"])
    page = _signed_in(new_page, "support@paysim.demo")
    page.goto(f"/admin/subscribers/{sub_id}")
    expect(page.locator("#sub-title")).to_contain_text("Мария Деньгова")
    expect(page.locator("#sub-sims")).to_be_visible()
    for button in ("#sub-save", "#sub-notes-save", "#sub-deactivate", "#sub-reset", "#corr-submit"):
        expect(page.locator(button)).to_have_count(0)
    expect(page.locator("#sub-full_name")).to_have_attribute("readonly", "")
    shot(page, "admin-subscriber-support-1280")


def test_both_lists_on_a_phone(new_page, customer):
    page = _signed_in(new_page, "admin@paysim.demo", WIDTHS["phone"])
    page.goto("/admin/subscribers")
    expect(page.locator("#admin-subscribers")).to_be_visible()
    ready(page)
    page.locator("#list-search").fill("деньгова")
    page.locator("#list-apply").click()
    expect(page.locator("#admin-subscribers")).to_contain_text(customer["login"])
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"]
    shot(page, "admin-subscribers-390")
    page.goto("/admin/support")
    expect(page.locator("#admin-support")).to_be_visible()
    ready(page)
    shot(page, "admin-support-390")
    page.locator("#admin-support").get_by_role("link").first.click()
    expect(page.locator("#ticket-thread")).to_be_visible()
    ready(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"]
    shot(page, "admin-ticket-390")
