"""What the built frontend holds: no page compiles lucide's DynamicIcon (an icon named by a
state's value), which loads the map of every icon, 233 KB of script, on each page that has one
(ui/components/icons.py draws such icons from static ones)."""

from __future__ import annotations

from tests.e2e.conftest import ROOT


def test_no_page_compiles_a_dynamic_icon(base_url):
    compiled = [
        path
        for folder in ("app", "app_components")
        for path in (ROOT / ".web" / folder).rglob("*.jsx")
    ]
    assert len(compiled) > 50  # the app's pages and memoised components are there
    dynamic = [
        str(path.relative_to(ROOT))
        for path in compiled
        if "lucide-react/dynamic" in path.read_text(encoding="utf-8")
    ]
    assert dynamic == []
