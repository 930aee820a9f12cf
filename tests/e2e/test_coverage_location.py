"""'Use my location' on the public coverage check: the browser's geolocation fills the
coordinates and checks them at once (Playwright grants the permission and sets a position near
the demo's Dmitrov station); a browser that refuses gets a clear message and nothing changes.
Screenshots at 390 and 1280 px."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import WIDTHS, shot

DMITROV = {"latitude": 56.3442, "longitude": 37.5204}


def _coordinates(page) -> None:
    page.goto("/coverage")
    page.get_by_role("radio", name="Координаты").click()
    expect(page.locator("#coverage-locate")).to_be_visible()


def test_my_location_fills_the_coordinates_and_checks_them(browser, base_url):
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        context = browser.new_context(
            base_url=base_url, geolocation=DMITROV, permissions=["geolocation"]
        )
        try:
            page = context.new_page()
            page.set_viewport_size({"width": width, "height": 860})
            _coordinates(page)
            page.locator("#coverage-locate").click()
            expect(page.locator("#coverage-lat")).to_have_value("56.34420")
            expect(page.locator("#coverage-lon")).to_have_value("37.52040")
            expect(page.locator("#coverage-quality")).to_have_attribute("data-quality", "good")
            expect(page.locator("#coverage-answer")).to_contain_text("Дмитров")
            expect(page.locator("#coverage-locate-note")).to_have_count(0)
            shot(page, f"coverage-my-location-{width}")
        finally:
            context.close()


def test_a_browser_that_refuses_says_so_and_changes_nothing(browser, base_url):
    context = browser.new_context(base_url=base_url)  # no permission: the browser refuses
    try:
        page = context.new_page()
        page.set_viewport_size({"width": WIDTHS["phone"], "height": 860})
        _coordinates(page)
        page.locator("#coverage-locate").click()
        note = page.locator("#coverage-locate-note")
        expect(note).to_contain_text("Браузер не дал узнать, где вы")
        expect(page.locator("#coverage-lat")).to_have_value("")
        expect(page.locator("#coverage-quality")).to_have_count(0)
        shot(page, "coverage-my-location-denied-390")
    finally:
        context.close()
