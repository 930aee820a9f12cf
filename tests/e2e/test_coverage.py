"""The coverage check in a browser: a visitor (not signed in) finds a settlement by the first
letters of its name and sees the quality with the tariffs that suit it; in the demo's hamlet
without coverage they leave a contact; an admin imports a coverage file whose bad row is
rejected by its line (nothing imported), fixes it and imports it; a base station is switched
off and on again by its "active" box."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, enter, ready, shot, unique_number


def _pick(page, typed: str, name: str) -> None:
    page.locator("#coverage-settlement").fill(typed)
    hit = page.locator(".coverage-hit", has_text=name)
    expect(hit).to_be_visible()
    hit.click()


def test_a_visitor_checks_a_settlement_and_sees_tariffs(new_page):
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page = new_page(width)
        page.goto("/coverage")
        _pick(page, "Тве", "Тверь")
        expect(page.locator("#coverage-quality")).to_have_attribute("data-quality", "good")
        expect(page.locator("#coverage-answer")).to_contain_text("Тверь, Тверская область")
        offers = page.locator("#coverage-offers .coverage-offer")
        expect(offers.first).to_be_visible()
        href = offers.first.locator("a").get_attribute("href")
        assert href.startswith("/cabinet/order?tariff=")
        shot(page, f"coverage-good-{width}")
        # a fair signal: only the tariffs it carries
        _pick(page, "каш", "Кашин")
        expect(page.locator("#coverage-quality")).to_have_attribute("data-quality", "fair")
        expect(page.locator("#coverage-answer")).to_contain_text("до 30 Мбит/с")


def test_coordinates_outside_russia_are_refused(new_page):
    page = new_page(WIDTHS["phone"])
    page.goto("/coverage")
    page.get_by_role("radio", name="Координаты").click()
    page.locator("#coverage-lat").fill("48.8566")
    page.locator("#coverage-lon").fill("2.3522")
    page.locator("#coverage-check-point").click()
    expect(page.locator("#coverage-lat-error")).to_contain_text("за пределами России")
    page.locator("#coverage-lat").fill("56.3442")
    page.locator("#coverage-lon").fill("37.5204")
    page.locator("#coverage-check-point").click()
    expect(page.locator("#coverage-quality")).to_have_attribute("data-quality", "good")
    expect(page.locator("#coverage-answer")).to_contain_text("Дмитров")
    shot(page, "coverage-point-390")


def test_no_coverage_takes_a_contact(new_page, app_env):
    email = f"elkino{unique_number()}@example.ru"
    page = new_page(WIDTHS["phone"])
    page.goto("/coverage")
    _pick(page, "Ёлк", "Ёлкино")
    expect(page.locator("#coverage-quality")).to_have_attribute("data-quality", "none")
    expect(page.locator("#coverage-offers")).to_have_count(0)
    expect(page.locator("#lead-place")).to_have_value("Ёлкино")
    page.locator("#lead-contact").fill(email)
    page.locator("#lead-send").click()
    expect(page.get_by_role("alert")).to_contain_text("Без согласия")
    page.locator("#lead-consent").click()
    page.locator("#lead-send").click()
    expect(page.locator("#coverage-lead-done")).to_contain_text("Ёлкино")
    shot(page, "coverage-lead-390")
    with sqlite3.connect(app_env["db"]) as db:
        [(place,)] = db.execute(
            "SELECT s.name FROM demand_lead d JOIN settlement s ON s.id = d.settlement_id"
            " WHERE d.email = ?",
            [email],
        ).fetchall()
    assert place == "Ёлкино"


def _file(tmp_path, name: str, lines: list[str]):
    path = tmp_path / name
    path.write_text("region;name;kind;quality;lat;lon\n" + "\n".join(lines) + "\n", "utf-8")
    return path


def test_an_admin_imports_coverage_with_a_bad_row_then_fixed(new_page, app_env, tmp_path):
    n = unique_number()
    good = [
        f"Новгородская область;Тестово-{n};село;good;58.5200;31.2700",
        f"Новгородская область;Пробное-{n};деревня;none;;",
    ]
    bad = [*good, f"Новгородская область;Кривое-{n};село;отличное;;"]
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page = new_page(width)
        enter(page, "admin@paysim.demo", "/admin/coverage?tab=import")
        ready(page)
        if width == WIDTHS["phone"]:
            page.set_input_files(
                "#coverage-upload input[type=file]", str(_file(tmp_path, "bad.csv", bad))
            )
            page.locator("#coverage-preview").click()
            expect(page.locator("#coverage-count-reject")).to_have_text("1")
            rejects = page.locator("#coverage-import-reject")
            expect(rejects).to_contain_text("4")
            expect(rejects).to_contain_text("неизвестное качество «отличное»")
            expect(page.locator("#coverage-confirm")).to_have_count(0)
            shot(page, "coverage-import-rejects-390")
            with sqlite3.connect(app_env["db"]) as db:
                found = db.execute(
                    "SELECT count(*) FROM settlement WHERE name LIKE ?", [f"%-{n}"]
                ).fetchone()[0]
            assert found == 0
            continue
        page.set_input_files(
            "#coverage-upload input[type=file]", str(_file(tmp_path, "good.csv", good))
        )
        page.locator("#coverage-preview").click()
        expect(page.locator("#coverage-count-create")).to_have_text("2")
        page.locator("#coverage-confirm").click()
        expect(page.locator("#coverage-import-result")).to_contain_text("Загружено: новых 2")
        shot(page, "coverage-import-done-1280")
    with sqlite3.connect(app_env["db"]) as db:
        rows = db.execute(
            "SELECT name, quality FROM settlement WHERE name LIKE ? ORDER BY name", [f"%-{n}"]
        ).fetchall()
    assert rows == [(f"Пробное-{n}", "none"), (f"Тестово-{n}", "good")]


def test_the_admin_sees_settlements_and_demand(new_page):
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page = new_page(width)
        enter(page, "admin@paysim.demo", "/admin/coverage")
        expect(page.locator("#coverage-settlements")).to_contain_text("Ёлкино")
        shot(page, f"coverage-admin-settlements-{width}")
        page.locator("#tab-demand").click()
        expect(page.locator("#coverage-demand")).to_contain_text("Ёлкино")
        expect(page.locator("#coverage-demand")).to_contain_text("Заречье")
        shot(page, f"coverage-admin-demand-{width}")


def test_a_station_is_switched_off_and_on_by_its_active_box(new_page, app_env):
    """The box is submitted by its name with the station's form; the station keeps what the
    box shows, unticked and ticked again (a new station, so the demo's stay as they are)."""
    code = f"BS-E2E-{unique_number()}"
    page = new_page(WIDTHS["desktop"])
    enter(page, "admin@paysim.demo", "/admin/coverage/stations/new")
    page.locator("#coverage-code").fill(code)
    page.locator("#coverage-lat").fill("57.21")
    page.locator("#coverage-lon").fill("34.51")
    page.locator("#coverage-radius-m").fill("1500")
    expect(page.locator("#coverage-active")).to_have_attribute("aria-checked", "true")
    page.locator("#coverage-save").click()
    expect(page).to_have_url(re.compile(r"/admin/coverage/stations/\d+$"))
    station = page.url

    def saved() -> int:
        with sqlite3.connect(app_env["db"]) as db:
            query = "SELECT is_active FROM base_station WHERE code = ?"
            return db.execute(query, [code]).fetchone()[0]

    assert saved() == 1  # the redirect comes after the commit
    for ticked in ("false", "true"):
        page.goto(station)  # a fresh page: its one toast is this save's
        ready(page)
        box = page.locator("#coverage-active")
        expect(box).to_have_attribute("aria-checked", "false" if ticked == "true" else "true")
        box.click()
        expect(box).to_have_attribute("aria-checked", ticked)
        if ticked == "false":
            shot(page, "coverage-station-inactive-1280")
        page.locator("#coverage-save").click()
        expect(page.locator("[data-sonner-toast]")).to_have_count(1)
        assert saved() == (1 if ticked == "true" else 0)
