"""Browser journeys of /cabinet/quality on the real production build: a one-tap rating on a
phone, and a short speed test on a desktop that runs against /api/speedtest/, stores its
result for the SIM and shows the four figures and the stored row.

The subscriber is fresh (written straight into the app's database), so the demo accounts that
other tests read stay as they are.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.accounts import identity
from paysim_app.db import make_engine
from paysim_app.models import QualityRating, Sim, SpeedTest, Tariff
from paysim_app.models.base import utcnow
from tests.e2e.conftest import PASSWORD, WIDTHS, enter, shot, unique_number

FIGURE = re.compile(r"^\d+([.,]\d+)?$")


@pytest.fixture
def customer(app_env):
    """A fresh subscriber with one active SIM on a demo tariff."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    login = f"quality{n}-{app_env['port']}@example.ru"
    with Session(engine, expire_on_commit=False) as session:
        actor = identity.register_subscriber(
            session, login, PASSWORD, consent=True, full_name="Олег Замеров"
        )
        tariff = session.exec(select(Tariff).where(Tariff.is_archived == False)).first()  # noqa: E712
        serial = 9_600_000 + n
        sim = Sim(
            iccid=_iccid(serial),
            msisdn=f"+7999{serial:07d}",
            imsi=f"25099{serial:010d}",
            status="active",
            subscriber_id=actor.subscriber_id,
            tariff_id=tariff.id,
            billing_day=28,
            activated_at=utcnow(),
        )
        session.add(sim)
        session.commit()
        sim_id = sim.id
    engine.dispose()
    return {"login": login, "sim": sim_id, "user_id": actor.user_id, "db": app_env["db"]}


def _iccid(serial: int) -> str:
    from stdnum import luhn

    body = f"897010{serial:012d}"
    return body + luhn.calc_check_digit(body)


def _rows(customer, model):
    engine = make_engine(f"sqlite:///{customer['db']}")
    try:
        with Session(engine) as session:
            return session.exec(select(model).where(model.user_id == customer["user_id"])).all()
    finally:
        engine.dispose()


def _enter(page, customer, url: str = "/cabinet/quality") -> None:
    enter(page, customer["login"], url)
    expect(page.locator("#rate-speed-4")).to_be_visible()


def test_one_tap_rates_internet_speed_four_stars_on_a_phone(new_page, customer):
    page = new_page(WIDTHS["phone"])
    _enter(page, customer)
    expect(page.locator("#ratings-empty")).to_be_visible()
    box = page.locator("#rate-speed-4").bounding_box()
    assert box["width"] >= 40 and box["height"] >= 40  # a real touch target
    shot(page, "quality-390")
    page.locator("#rate-comment").fill("Вечером скорость падает")
    page.locator("#rate-speed-4").click()
    expect(page.locator("#rate-speed-4")).to_have_attribute("aria-pressed", "true")
    cards = page.locator("#ratings .row-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Скорость интернета")
    expect(cards.first).to_contain_text("★★★★☆")
    expect(cards.first).to_contain_text("Вечером скорость падает")
    expect(page.locator("#low-hint")).to_have_count(0)
    expect(page.locator("#rate-comment")).to_have_value("")
    shot(page, "quality-rated-390")
    [rating] = _rows(customer, QualityRating)
    assert (rating.aspect, rating.stars, rating.sim_id) == ("speed", 4, customer["sim"])
    assert rating.comment == "Вечером скорость падает"

    page.locator("#rate-coverage-1").click()  # a poor rating points to support
    expect(page.locator("#low-hint")).to_be_visible()
    expect(page.locator("#to-support")).to_have_attribute("href", "/cabinet/support")
    expect(cards).to_have_count(2)
    shot(page, "quality-low-390")


def test_a_short_speed_test_shows_four_figures_and_is_stored(new_page, customer):
    page = new_page(WIDTHS["desktop"])
    _enter(page, customer, "/cabinet/quality?speedtest_seconds=1")
    expect(page.locator("#speed-tests-empty")).to_be_visible()
    expect(page.locator("#st-download")).to_have_text("—")
    page.locator("#speedtest-start").click()
    expect(page.locator("#speedtest-start")).to_be_disabled()
    rows = page.locator("#speed-tests tbody tr")
    expect(rows).to_have_count(1)
    expect(page.locator("#speedtest-start")).to_be_enabled()
    for key in ("ping", "jitter", "download", "upload"):
        expect(page.locator(f"#st-{key}")).to_have_text(FIGURE)
    assert float(page.locator("#st-download").inner_text().replace(",", ".")) > 0
    assert float(page.locator("#st-upload").inner_text().replace(",", ".")) > 0
    expect(page.locator("#speedtest-error")).to_have_count(0)
    shot(page, "quality-speedtest-1280")

    [test] = _rows(customer, SpeedTest)
    assert test.sim_id == customer["sim"]
    assert test.download_kbps > 0 and test.upload_kbps > 0
    assert "Chrome" in test.user_agent
    expect(rows.first).to_contain_text(page.locator("#st-download").inner_text())

    # attach the result to a rating
    page.locator("#speedtest-rate").click()
    expect(page.locator("#rate-attach")).to_have_attribute("data-state", "checked")
    page.locator("#rate-speed-5").click()
    rating_rows = page.locator("#ratings tbody tr")
    expect(rating_rows).to_have_count(1)
    expect(rating_rows.first).to_contain_text("↓")
    [rating] = _rows(customer, QualityRating)
    assert rating.speed_test_id == test.id and rating.stars == 5
    shot(page, "quality-rated-1280")

    # and send the result to support with a new ticket
    page.locator("#speedtest-report").click()
    expect(page).to_have_url(re.compile(rf"/cabinet/support/?\?speedtest={test.id}$"))
    expect(page.locator("#speed-note")).to_contain_text("Мбит/с")
    expect(page.locator("#support-category")).to_contain_text("Скорость интернета")
    page.locator("#support-subject").fill("Низкая скорость")
    page.locator("#support-body").fill("Замер приложен.")
    page.locator("#support-send").click()
    page.locator(".ticket-card").first.click()
    expect(page.locator(".ticket-message").first).to_contain_text("Проверка скорости")
    [test] = _rows(customer, SpeedTest)
    assert test.ticket_id is not None
