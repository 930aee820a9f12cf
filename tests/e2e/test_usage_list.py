"""The subscriber's usage list (/cabinet/usage) in a browser, on the demo subscriber's six months
of usage: opened from the dashboard's usage card, narrowed by a date range and a minimum total;
the rows change, the address carries the filters and a reload shows the same rows; shot at 390
and 1280 px."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import text
from sqlmodel import Session

from paysim_app.db import make_engine
from paysim_app.i18n.formats import moscow_date
from paysim_app.models.base import utcnow
from tests.e2e.conftest import WIDTHS, enter, ready, shot, shots

DEMO = "demo@paysim.demo"
MB = 10**6


def _totals_mb(app_env: dict, first: date, last: date) -> list[int]:
    """Whole megabytes of each of the demo subscriber's SIM-days from `first` to `last`."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    with Session(engine) as session:
        rows = session.execute(
            text(
                "SELECT (d.bytes_up + d.bytes_down + :half) / :mb FROM usage_day d"
                " JOIN sim s ON s.id = d.sim_id"
                " JOIN subscriber b ON b.id = s.subscriber_id"
                " JOIN user_account u ON u.id = b.user_id"
                " WHERE u.email = :email AND d.day >= :first AND d.day <= :last"
            ),
            {"half": MB // 2, "mb": MB, "email": DEMO, "first": first, "last": last},
        ).all()
    engine.dispose()
    return sorted(int(r[0]) for r in rows)


def _found(n: int):
    # in either language: the demo subscriber's saved language is the other run's to switch
    return re.compile(rf"(Найдено|Found):\s{n}$")


def _megabytes(cell: str) -> float:
    number, unit = cell.replace("\u00a0", " ").rsplit(" ", 1)
    if unit in ("GB", "MB"):  # English: 1,234.5
        value = float(number.replace(",", ""))
    else:  # Russian: 1 234,5
        value = float(number.replace(" ", "").replace(",", "."))
    return value * 1000 if unit in ("ГБ", "GB") else value


def test_usage_list_filtered_by_dates_and_a_minimum_total(new_page, app_env):
    today = moscow_date(utcnow())
    first, last = today - timedelta(days=14), today - timedelta(days=1)
    in_range = _totals_mb(app_env, first, last)
    assert len(in_range) > 5, "the demo subscriber has usage in the last two weeks"
    floor = in_range[len(in_range) // 2]  # about half the days are at least this much
    above = [mb for mb in in_range if mb >= floor]

    page = new_page(WIDTHS["desktop"])
    enter(page, DEMO, "/cabinet")
    page.locator("#usage-all").click()
    expect(page).to_have_url(re.compile(r"/cabinet/usage/?$"))
    ready(page)
    rows = page.locator("#usage-list tbody tr")
    expect(rows).to_have_count(25)  # a full first page of six months
    summary = page.locator("#usage-list-summary")
    expect(summary).to_contain_text(re.compile(r"\d"))
    everything = summary.inner_text()

    # a date range: applied at once, in the address
    page.locator("#f-date_from").fill(first.isoformat())
    expect(page).to_have_url(re.compile(rf"date_from={first.isoformat()}"))
    page.locator("#f-date_to").fill(last.isoformat())
    expect(page).to_have_url(re.compile(rf"date_to={last.isoformat()}"))
    expect(summary).to_have_text(_found(len(in_range)))
    assert summary.inner_text() != everything
    shown_days = {
        date(int(y), int(m), int(d))
        for d, m, y in re.findall(
            r"(\d\d)\.(\d\d)\.(\d{4})", page.locator("#usage-list").inner_text()
        )
    }
    assert shown_days and all(first <= d <= last for d in shown_days)

    # a minimum total in MB: typed, then applied with the search button
    page.locator("#f-total_min").fill(str(floor))
    page.locator("#list-apply").click()
    expect(page).to_have_url(re.compile(rf"total_min={floor}"))
    expect(summary).to_have_text(_found(len(above)))
    totals = page.locator("#usage-list tbody tr td:nth-child(5)").all_inner_texts()
    assert totals and all(_megabytes(t) >= floor - 50 for t in totals)  # 1,2 ГБ is 1150..1249 MB
    kept = page.url
    assert "date_from=" in kept and "date_to=" in kept and "total_min=" in kept
    shots(page, "cabinet-usage-list")

    # the address alone opens the same list
    other = new_page(WIDTHS["phone"])
    enter(other, DEMO, kept)
    ready(other)
    expect(other.locator("#usage-list-summary")).to_have_text(_found(len(above)))
    expect(other.locator("#f-total_min")).to_have_value(str(floor))
    shot(other, "cabinet-usage-list-from-address-390")


def test_another_contracts_sim_in_the_address_shows_nothing(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    enter(page, customer["login"], "/cabinet/usage?sim=1")  # the demo subscriber's SIM
    ready(page)
    expect(page.locator("#list-error")).to_be_visible()
    expect(page.locator("#usage-list tbody tr")).to_have_count(0)
