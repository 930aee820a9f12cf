"""The Radix plugin that imports only the colour scales and components in use
(paysim_app/ui/theme_css.py, radix_css.py) and the icons chunk (paysim_app/ui/vite_chunks.py)."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex.plugins import RadixThemesPlugin

from paysim_app.ui import radix_css, theme_css, vite_chunks
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


# --- components.css pruned to the components in use (paysim_app/ui/radix_css.py) -------------

SAMPLE = """.rt-reset:where(a, button) { all: unset; }
.rt-Button, .rt-Slider .x { color: red; }
.rt-Slider { content: "{ not a block }"; }
.rt-BaseButton:where(.rt-variant-solid):not(.rt-Slider) { animation: rt-used 1s; }
.rt-Button:where(.rt-Slider, .rt-Inset) { margin: 0; }
@media (min-width: 520px) {
    .xs\\:rt-r-size-1.rt-Slider { width: 1px; }
}
@media (min-width: 768px) {
    .sm\\:rt-r-size-1.rt-Button { width: 2px; }
    .rt-SliderThumb { width: 3px; }
}
@keyframes rt-used { from { opacity: 0; } }
@keyframes rt-slider-only { to { opacity: 1; } }
.rt-Slider { animation-name: rt-slider-only; }
"""


def test_parse_and_render_keep_every_rule():
    blocks = radix_css.parse(SAMPLE)
    assert [b.prelude.split(" ")[0] for b in blocks][-4:] == [
        "@media", "@keyframes", "@keyframes", ".rt-Slider",
    ]  # fmt: skip
    assert blocks[2].body.strip() == 'content: "{ not a block }";'
    squash = lambda s: "".join(s.split()).replace(",", "")  # noqa: E731
    assert squash(radix_css.render(blocks)) == squash(SAMPLE)


def test_required_classes_ignore_pseudo_class_arguments():
    assert radix_css.required_classes(".rt-Button:where(.rt-Slider, .rt-Inset)") == {"rt-Button"}
    assert radix_css.required_classes(".rt-A:not(.rt-B) .rt-C > .rt-r-size-1") == {"rt-A", "rt-C"}


def test_prune_drops_only_what_can_never_match():
    out = radix_css.prune_components_css(SAMPLE, {"rt-Button", "rt-BaseButton"})
    assert ".rt-reset:where(a, button)" in out  # no component class: kept
    assert ".rt-Button { color: red; }" in out
    assert ".rt-Slider .x" not in out  # the other selector of the same rule went
    assert "not a block" not in out
    assert ":not(.rt-Slider)" in out and ":where(.rt-Slider, .rt-Inset)" in out
    assert "520px" not in out  # a media query left empty goes
    assert "width: 2px" in out and "SliderThumb" not in out
    assert "@keyframes rt-used" in out and "rt-slider-only" not in out


def _fake_radix(tmp_path):
    package = tmp_path / "@radix-ui" / "themes"
    components = package / "dist" / "esm" / "components"
    (components / "_internal").mkdir(parents=True)
    (components / "index.js").write_text(
        'import{Button as c}from"./button.js";import*as d from"./slider.js";'
        "export{c as Button,d as Slider};"
    )
    (components / "button.js").write_text(
        'import{BaseButton as p}from"./_internal/base-button.js";const o=s("rt-Button");'
    )
    (components / "_internal" / "base-button.js").write_text('s("rt-BaseButton","rt-r-size")')
    (components / "slider.js").write_text('s("rt-SliderRoot")')
    (package / "components.css").write_text(SAMPLE)
    return package


def test_used_classes_follow_the_modules_of_the_imported_names(tmp_path):
    package = _fake_radix(tmp_path)
    used = radix_css.used_classes({"Button"}, package, tmp_path / "no-app")
    assert used == {"rt-Button", "rt-BaseButton"}
    assert radix_css.used_classes({"Button", "Nope"}, package, tmp_path) is None


def test_classes_written_in_the_app_source_are_kept():
    # the data table renders <td class="rt-TableCell"> itself
    assert "rt-TableCell" in radix_css.classes_in_source(theme_css.APP_DIR)


def test_pruned_file_falls_back_to_the_full_stylesheet(tmp_path):
    _fake_radix(tmp_path)
    pruned = theme_css.pruned_components_css({"Button"}, tmp_path)
    assert "width: 2px" in pruned and "SliderThumb" not in pruned
    assert theme_css.pruned_components_css({"Nope"}, tmp_path) == theme_css.FALLBACK
    assert theme_css.pruned_components_css({"Button"}, tmp_path / "absent") == theme_css.FALLBACK


def test_compile_swaps_components_css_for_the_pruned_file():
    from reflex_base.registry import RegistrationContext

    plugin = SplitRadixThemesPlugin(theme=THEME)
    saves, modifies = [], []
    plugin.enter_component(rx.button("x"), page_context=None, compile_context=None)
    registry = RegistrationContext.ensure_context()
    registry.bundled_libraries.append("@radix-ui/themes")
    try:
        plugin.pre_compile(
            add_save_task=lambda fn, *a: saves.append(fn(*a)),
            add_modify_task=lambda path, fn: modifies.append(path),
        )
        assert "@radix-ui/themes" not in registry.bundled_libraries
    finally:
        registry.bundled_libraries[:] = [
            lib for lib in registry.bundled_libraries if lib != "@radix-ui/themes"
        ]
    assert saves[0][1] == theme_css.FALLBACK
    assert saves[0][0] == modifies[0] and modifies[0].endswith("styles/radix_components.css")
    sheets = plugin.get_stylesheet_paths()
    assert "./radix_components.css" in sheets and theme_css.COMPONENTS not in sheets
    assert sheets.index("./radix_components.css") == len(sheets) - 2  # before utilities.css


def test_a_compile_without_radix_components_keeps_components_css():
    plugin = SplitRadixThemesPlugin(theme=THEME)
    plugin.pre_compile(add_save_task=None, add_modify_task=None)
    assert theme_css.COMPONENTS in plugin.get_stylesheet_paths()


# --- the icons in one chunk (paysim_app/ui/vite_chunks.py) ------------------------------------


def test_icons_group_goes_into_reflexs_vite_config():
    from reflex.utils import frontend_skeleton
    from reflex_base.config import get_config

    config = frontend_skeleton._compile_vite_config(get_config())
    edited = vite_chunks.add_icons_group(config)
    assert edited != config and edited.count('"icons"') == 1
    assert edited.index('"icons"') < edited.index('"reflex-env"')
    assert vite_chunks.add_icons_group(edited) == edited  # once


def test_an_unknown_vite_config_is_left_alone():
    assert vite_chunks.add_icons_group("export default {}") == "export default {}"
