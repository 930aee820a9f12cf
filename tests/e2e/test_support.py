"""Browser journey of the cabinet's support: open a ticket on a phone, find it in the list, read
the thread, answer it and close it; the same pages on a desktop."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, choose_file, enter, ready, shot


def _enter(page, customer) -> None:
    enter(page, customer["login"], "/cabinet/support")
    expect(page.locator("#support-empty")).to_be_visible()
    ready(page)  # set_input_files does not wait for the page's fieldset to be enabled


def test_open_reply_and_close_a_ticket(new_page, customer):
    page = new_page(WIDTHS["phone"])
    _enter(page, customer)
    page.locator("#support-category").click()
    page.get_by_role("option", name="Скорость интернета").click()
    page.locator("#support-subject").fill("Медленный интернет вечером")
    page.locator("#support-body").fill("После 20:00 скорость падает до 1 Мбит/с.")
    page.locator("#support-sim").click()
    page.get_by_role("option").nth(1).click()  # the first SIM of the contract
    page.locator("#support-send").click()
    card = page.locator(".ticket-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Медленный интернет вечером")
    expect(card.locator(".ticket-status")).to_have_text("Новое")
    expect(page.locator("#support-subject")).to_have_value("")
    shot(page, "support-390")

    card.click()
    expect(page).to_have_url(re.compile(r"/cabinet/support/\d+$"))
    expect(page.locator("#ticket-subject")).to_have_text("Медленный интернет вечером")
    expect(page.locator(".ticket-message")).to_have_count(1)
    page.locator("#reply").fill("Сегодня опять то же самое.")
    page.locator("#send-reply").click()
    expect(page.locator(".ticket-message")).to_have_count(2)
    expect(page.locator(".ticket-message").nth(1)).to_contain_text("опять")
    shot(page, "support-thread-390")

    page.locator("#close-ticket").click()
    page.locator("#confirm-close").click()
    expect(page.locator("#ticket-status")).to_have_text("Закрыто")
    expect(page.locator("#ticket-closed")).to_be_visible()
    expect(page.locator("#reply")).to_have_count(0)

    desk = new_page(WIDTHS["desktop"])
    enter(desk, customer["login"], "/cabinet/support")
    expect(desk.locator(".ticket-card")).to_have_count(1)
    desk.locator("#f-status").select_option(label="В работе")
    expect(desk.locator("#support-empty")).to_be_visible()
    desk.locator("#f-status").select_option(label="Закрыто")
    expect(desk.locator(".ticket-card")).to_have_count(1)
    shot(desk, "support-1280")
    desk.locator(".ticket-card").click()
    expect(desk.locator("#ticket-closed")).to_be_visible()
    shot(desk, "support-thread-1280")


def test_a_foreign_or_unknown_ticket_is_not_shown(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    enter(
        page, customer["login"], "/cabinet/support/1"
    )  # a demo subscriber's ticket (or none): never this one's
    expect(page.locator("#ticket-not-found")).to_be_visible()
    expect(page.locator("#ticket-thread")).to_have_count(0)


def test_a_screenshot_goes_with_a_new_ticket_and_a_wrong_file_is_refused(
    new_page, customer, tmp_path
):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    fake = tmp_path / "virus.png"
    fake.write_bytes(b"MZ\x90\x00 not a picture")
    choose_file(page, "ticket-file", fake)
    expect(page.locator("#ticket-file-error")).to_contain_text("PNG")
    shot_file = tmp_path / "screen.png"
    shot_file.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 256)
    choose_file(page, "ticket-file", shot_file)
    expect(page.locator("#ticket-file-name")).to_have_text("screen.png")
    page.locator("#support-subject").fill("Нет связи на даче")
    page.locator("#support-body").fill("Скриншот настроек роутера во вложении.")
    page.locator("#support-send").click()
    card = page.locator(".ticket-card")
    expect(card).to_have_count(1)
    card.click()
    attachment = page.locator(".attachment")
    expect(attachment).to_have_text("screen.png")
    with page.expect_download() as download:
        attachment.click()
    assert open(download.value.path(), "rb").read().startswith(b"\x89PNG")

    # a reply takes a file too; support reads it and answers with one of its own
    pdf = tmp_path / "bill.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 256)
    choose_file(page, "reply-file", pdf)
    expect(page.locator("#reply-file-name")).to_have_text("bill.pdf")
    page.locator("#reply").fill("И выписка с двойным списанием.")
    page.locator("#send-reply").click()
    expect(attachment).to_have_count(2)
    expect(attachment.nth(1)).to_have_text("bill.pdf")
    expect(page.locator("#reply-file-name")).to_have_count(0)
    ticket_path = page.url.split("/cabinet/support/")[1].strip("/")

    staff = new_page(WIDTHS["desktop"])
    enter(staff, "support@paysim.demo", f"/admin/support/{ticket_path}")
    files = staff.locator(".message .attachment")
    expect(files).to_have_count(2)
    with staff.expect_download() as download:
        files.nth(1).click()
    assert open(download.value.path(), "rb").read().startswith(b"%PDF")
    answer = tmp_path / "apn.png"
    answer.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 128)
    choose_file(staff, "admin-reply-file", answer)
    expect(staff.locator("#admin-reply-file-name")).to_have_text("apn.png")
    staff.locator("#reply-body").fill("Настройки APN на снимке.")
    staff.locator("#reply-send").click()
    expect(files).to_have_count(3)
    shot(staff, "admin-ticket-files-1280")
    page.reload()
    expect(attachment).to_have_count(3)
    expect(attachment.nth(2)).to_have_text("apn.png")
    shot(page, "support-thread-files-1280")


def test_a_file_chosen_while_the_last_one_uploads_replaces_it(new_page, customer, tmp_path):
    """A big file is still on its way when the customer picks another: the second is the one
    that goes with the ticket (Reflex would drop a second upload to the picker meanwhile)."""
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer)
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"x" * (5 * 1024 * 1024 - 64))
    small = tmp_path / "router.png"
    small.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 256)
    picker = page.locator("#ticket-file input[type=file]")
    picker.set_input_files(str(big))  # not waited for: its request is still open
    picker.set_input_files(str(small))
    expect(page.locator("#ticket-file-name")).to_have_text("router.png")
