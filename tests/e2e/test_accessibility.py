"""axe-core (the npm package, injected into the real pages) over every page the app registers:
the signed-out pages and every page of the subscriber's, the partner's and the admin's trees
(pages with an id in the route open a real record of the demo data), on a phone and on a
desktop, in Russian and in English. No serious or critical violation, and every page has its
landmarks: one main, and nothing outside a landmark."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

import paysim_app.paysim_app as app_module
from tests.e2e.conftest import ROOT, WIDTHS, at_width, enter, ready, staff_login, visit

AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
# who opens each tree; the admin is a fresh superadmin (conftest.staff_login): the other browser
# run signs the demo admin in meanwhile and must not find it switched to English
LOGINS = {
    "visitor": None,
    "subscriber": "demo@paysim.demo",
    "partner": "partner@paysim.demo",
    "admin": "a fresh superadmin",
}
# whatever their impact: the shells' landmarks (`region` is content outside any landmark)
LANDMARK_RULES = re.compile(r"^(region|landmark-.*|bypass)$")
NOT_A_PAGE = {"/"}
LANGUAGE_NAMES = {
    "ru": "Язык",
    "en": "Language",
}  # the language picker's label in each  # redirects to the user's tree or to the sign-in


def _role(route: str) -> str:
    tree = route.strip("/").split("/")[0]
    return {"cabinet": "subscriber", "partner": "partner", "admin": "admin"}.get(tree, "visitor")


def _ids(db: Path) -> dict[str, str]:
    """A real record of the seeded demo data for each route parameter, one the role sees."""
    one = "SELECT {} LIMIT 1"
    queries = {
        "cabinet/support/[ticket_id]": "t.id FROM ticket t JOIN subscriber s ON s.id = t.subscriber_id"
        " JOIN user_account u ON u.id = s.user_id WHERE u.email = 'demo@paysim.demo'",
        "cabinet/topup/result": "p.id FROM payment p JOIN subscriber s ON s.id = p.subscriber_id"
        " JOIN user_account u ON u.id = s.user_id WHERE u.email = 'demo@paysim.demo'"
        " AND p.method = 'card' ORDER BY p.id DESC",
        "partner/support/[ticket_id]": "t.id FROM ticket t JOIN user_account u"
        " ON u.partner_id = t.partner_id WHERE u.email = 'partner@paysim.demo'",
        "admin/sims/[sim_id]": "id FROM sim WHERE subscriber_id IS NOT NULL",
        "admin/payments/[payment_id]": "id FROM payment WHERE status = 'succeeded'",
        "admin/tariffs/[tariff_id]": "id FROM tariff",
        "admin/addons/[addon_id]": "id FROM addon_service",
        "admin/activations/[request_id]": "id FROM activation_request ORDER BY status = 'pending' DESC",
        "admin/activations/tariffs/[change_id]": "id FROM tariff_change_request",
        "admin/blocks/[block_id]": "id FROM sim_block",
        "admin/partners/[partner_id]": "partner_id FROM user_account"
        " WHERE email = 'partner@paysim.demo'",
        "admin/subscribers/[subscriber_id]": "s.id FROM subscriber s JOIN user_account u"
        " ON u.id = s.user_id WHERE u.email = 'demo@paysim.demo'",
        "admin/support/[ticket_id]": "id FROM ticket",
        "admin/admins/[user_id]": "id FROM user_account WHERE email = 'support@paysim.demo'",
        "cabinet/order/[order_id]": "o.id FROM sim_order o JOIN user_account u"
        " ON u.id = o.user_id WHERE u.email = 'demo@paysim.demo'",
        "partner/orders/[order_id]": "o.id FROM sim_order o JOIN user_account u"
        " ON u.partner_id = o.partner_id WHERE u.email = 'partner@paysim.demo'",
        "admin/activations/orders/[order_id]": "id FROM sim_order",
        "admin/coverage/settlements/[settlement_id]": "id FROM settlement",
        "admin/coverage/stations/[station_id]": "id FROM base_station",
    }
    with sqlite3.connect(db) as conn:
        found = {route: conn.execute(one.format(q)).fetchone() for route, q in queries.items()}
    missing = [route for route, row in found.items() if row is None]
    assert not missing, f"the demo data has no record for {missing}"
    return {route: str(row[0]) for route, row in found.items()}


def _paths(db: Path) -> dict[str, list[str]]:
    """Every registered page as a path to open, by the role that opens it."""
    ids = _ids(db)
    by_role: dict[str, list[str]] = {role: [] for role in LOGINS}
    for route in app_module.app._unevaluated_pages:
        path = "/" if route == "index" else f"/{route}"
        if path in NOT_A_PAGE:
            continue
        if route == "cabinet/topup/result":
            path = f"{path}?payment={ids[route]}"
        elif route == "admin/search":
            path = f"{path}?q=999"
        elif "[" in route:
            path = re.sub(r"\[\w+\]", ids[route], path)
        by_role[_role(path)].append(path)
    return by_role


def _violations(page) -> list[dict]:
    if not page.evaluate("() => typeof axe !== 'undefined'"):  # once per page load
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']}))"
        ".violations)"
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "where": [n["target"] for n in v["nodes"]][:5],
        }
        for v in json.loads(result)
        if v["impact"] in ("serious", "critical") or LANDMARK_RULES.match(v["id"])
    ]


@pytest.mark.parametrize("role", list(LOGINS))
def test_every_page_has_its_landmarks_and_no_serious_violation(new_page, app_env, role):
    """Each page is opened once and checked twice: in one language at one width, then in the
    other language at the other width, so every page is seen on a phone and on a desktop, in
    Russian and in English. The page keeps where the last check left it (the switch re-renders
    it in place, and resizing is much cheaper than opening it again), so from page to page the
    pairs alternate: (ru, phone) then (en, desktop), then (en, desktop) then (ru, phone).
    What axe finds does not change with the words' language beyond the document's lang, which
    every check sees; the layout does change with the width, and every width is checked on
    every page (two axe runs a page; four would be every pair). After the first page the next
    is opened as a link inside the app opens it (conftest.visit): the same rendered page, at
    half the CPU of loading the app again for each (and axe is injected once)."""
    if not Path(AXE).exists():
        pytest.fail(f"{AXE} is missing: `make setup` installs axe-core")
    paths = _paths(app_env["db"])[role]
    assert paths, f"no page for {role}"
    phone, desktop = WIDTHS["phone"], WIDTHS["desktop"]
    page = new_page(phone)
    if LOGINS[role]:  # the loop below opens the pages
        enter(page, staff_login(app_env, "admin") if role == "admin" else LOGINS[role])
    language = page.get_by_role("combobox", name=re.compile("^(Язык|Language)$"))
    found: dict[str, list] = {}
    # where the page is (a new page keeps the last one's language); None: not chosen here yet
    state: dict = {"lang": None, "width": phone}

    def check(lang: str, width: int, path: str) -> None:
        if state["lang"] != lang:
            language.select_option(lang)
            expect(language).to_have_value(lang)
            # the picker's own label has re-rendered in the language: the page has too, and
            # the document says which language it is in
            expect(
                page.get_by_role("combobox", name=LANGUAGE_NAMES[lang], exact=True)
            ).to_be_visible()
            expect(page.locator("html")).to_have_attribute("lang", lang)
            state["lang"] = lang
        if state["width"] != width:
            at_width(page, width)
            state["width"] = width
        if violations := _violations(page):
            found[f"{lang} {width}px {path}"] = violations

    other = {phone: desktop, desktop: phone}
    try:
        for n, path in enumerate(paths):
            if n == 0:  # the tab is not on the app yet
                page.goto(path)
                ready(page)
            else:  # the page as a link inside the app opens it (no new load of the scripts)
                visit(page, path)
            lang = state["lang"] or "ru"
            check(lang, state["width"], path)
            check("en" if lang == "ru" else "ru", other[state["width"]], path)
    finally:
        language.select_option("ru")  # the demo account's saved language stays Russian
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
