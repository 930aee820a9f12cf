"""Limits on abuse, as a person meets them: a clear refusal that says when to try again."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, ready, shot


def test_a_fourth_reset_link_in_an_hour_is_refused_with_the_time_to_try_again(new_page):
    page = new_page(WIDTHS["phone"])
    for _ in range(3):  # reset.login: three e-mails an hour to one login
        page.goto("/forgot")
        ready(page)
        page.locator("#login").fill("limits-reset@paysim.demo")
        page.locator("#send-link").click()
        expect(page.locator("#forgot-sent")).to_be_visible()
    page.goto("/forgot")
    ready(page)
    page.locator("#login").fill("Limits-Reset@paysim.demo")  # the same login, written otherwise
    page.locator("#send-link").click()
    error = page.locator("#forgot-error")
    expect(error).to_contain_text(re.compile(r"(try again at|Попробуйте снова в) .*\d{2}:\d{2}"))
    expect(page.locator("#forgot-sent")).to_have_count(0)
    shot(page, "forgot-too-many-390")
