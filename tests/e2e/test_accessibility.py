"""axe-core (the npm package, injected into the real pages) finds no serious or critical
accessibility violation on the subscriber's dashboard, top-up, payments, tickets and speed-test
pages, on a phone and on a desktop."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, WIDTHS, ready, sign_in

AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "dashboard": "/cabinet",
    "topup": "/cabinet/topup",
    "payments": "/cabinet/payments",
    "tickets": "/cabinet/support",
    "speed-test": "/cabinet/quality",
}


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "where": [n["target"] for n in v["nodes"]][:5],
        }
        for v in json.loads(result)
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [WIDTHS["phone"], WIDTHS["desktop"]])
def test_cabinet_pages_have_no_serious_accessibility_violation(new_page, customer, width):
    if not Path(AXE).exists():
        pytest.fail(f"{AXE} is missing: `make setup` installs axe-core")
    page = new_page(width)
    sign_in(page, customer["login"])
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))
    found = {}
    for name, path in PAGES.items():
        page.goto(path)
        ready(page)
        if violations := _violations(page):
            found[name] = violations
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
