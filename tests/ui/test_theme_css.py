"""The Radix plugin that imports only the colour scales in use (paysim_app/ui/theme_css.py)."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex.plugins import RadixThemesPlugin

from paysim_app.ui import theme_css
from paysim_app.ui.theme_css import SplitRadixThemesPlugin, check_installed, stylesheets_for

THEME = rx.theme(accent_color="indigo", gray_color="slate", radius="medium")


def test_scales_written_in_the_app_are_kept():
    sheets = SplitRadixThemesPlugin(theme=THEME).get_stylesheet_paths()
    colours = {s.rsplit("/", 1)[1].removesuffix(".css") for s in sheets if "/colors/" in s}
    # the theme's accent and gray, plain gray, and the badge/callout colours of the UI
    assert {"indigo", "slate", "gray", "red", "green", "amber", "orange", "blue"} <= colours
    assert "tomato" not in colours


def test_order_follows_styles_css():
    sheets = stylesheets_for(frozenset({"red", "slate", "gray", "amber"}))
    assert [s.split("@radix-ui/themes/")[1] for s in sheets] == [
        "tokens/colors/gray.css",
        "tokens/colors/slate.css",
        "tokens/colors/amber.css",
        "tokens/colors/red.css",
        "tokens/base.css",
        "components.css",
        "utilities.css",
    ]


def test_an_accent_known_only_at_run_time_keeps_the_full_stylesheet():
    plugin = SplitRadixThemesPlugin(theme=rx.theme(accent_color=rx.Var("x").to(str)))
    assert plugin.get_stylesheet_paths() == (theme_css.FULL_STYLESHEET,)


def test_disabled_plugin_imports_nothing():
    assert SplitRadixThemesPlugin.create_implicit().get_stylesheet_paths() == ()


def test_an_unexpected_upstream_import_fails_loudly(monkeypatch):
    monkeypatch.setattr(
        RadixThemesPlugin, "get_stylesheet_paths", lambda self, **_: ("@radix-ui/themes/x.css",)
    )
    with pytest.raises(RuntimeError, match="expected"):
        SplitRadixThemesPlugin(theme=THEME).get_stylesheet_paths()


def test_a_missing_split_file_fails_loudly(tmp_path):
    package = tmp_path / "@radix-ui" / "themes"
    package.mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="components.css"):
        check_installed(stylesheets_for(frozenset({"gray"})), tmp_path)
    check_installed(stylesheets_for(frozenset({"gray"})), tmp_path / "absent")  # before npm install
