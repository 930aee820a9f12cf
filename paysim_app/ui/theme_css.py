"""Radix Themes with only the colour scales and the components the app uses.

Reflex's RadixThemesPlugin imports `@radix-ui/themes/styles.css`: every one of the 31 colour
scales, light, dark and P3. With the 10 scales PaySim uses the built, render-blocking stylesheet
drops from 699 KB (83 KB gzip) to 631 KB (64 KB gzip). Radix ships the same CSS split (tokens/base.css, tokens/colors/<scale>.css, components.css, utilities.css), so
this subclass keeps everything the plugin does (the Theme wrapper, the npm dependency) and
swaps that one import for the split files with the scales in use.

The scales in use are every string literal in the app's Python source that names a Radix scale
(`color_scheme="red"`, `rx.color("amber", 9)`, `{"active": "green"}` maps fed to badges at run
time), plus the theme's accent and gray. A new colour written anywhere in paysim_app is picked
up by the next compile; a colour that only arrives from the database would not be (none does).

Components: while the pages compile, the plugin notes every name the app imports from
`@radix-ui/themes` (an `enter_component` hook); once Radix is installed it writes the installed
`components.css` pruned to the rules those components can ever match (paysim_app/ui/radix_css.py:
432 KB, 32 KB gzip -> 274 KB, 20 KB gzip) to `.web/styles/radix_components.css` and imports that
in its place. The built global stylesheet goes from 631 KB (64 KB gzip) to 502 KB (55 KB gzip),
with the computed style of every element of /login, /cabinet and /admin/sims unchanged. A compile
that saw no Radix component, or a name it cannot find in Radix's index, keeps the full file.

Scripts: Reflex puts every plugin dependency on `window.__reflex` for dynamic (eval'd)
components, so root.jsx does `import * as radix_ui_themes from "@radix-ui/themes"`: all of Radix
Themes in the scripts of every page (about 27 KB gzip that no page runs). PaySim has no dynamic
components, so the plugin takes Radix off that list (`expose_on_window=True` restores it; so
does an app that registers it with reflex_base.components.dynamic.bundle_library).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from pathlib import Path
from typing import Any

from reflex.plugins import RadixThemesPlugin
from reflex.utils.prerequisites import get_web_dir
from reflex.vars.base import LiteralVar
from reflex_base.registry import RegistrationContext

from paysim_app.ui import radix_css

FULL_STYLESHEET = "@radix-ui/themes/styles.css"
_PACKAGE = "@radix-ui/themes"
COMPONENTS = f"{_PACKAGE}/components.css"
PRUNED_NAME = "radix_components.css"  # written into .web/styles/ beside the root stylesheet
FALLBACK = f"@import url('{COMPONENTS}');\n"
# in the order styles.css concatenates them (it matters: base.css remaps --gray-* to the theme's
# gray with a selector of the same specificity as the scales' own `.light` rules)
GRAYS = ("gray", "mauve", "slate", "sage", "olive", "sand")
ACCENTS = (
    "amber", "blue", "bronze", "brown", "crimson", "cyan", "gold", "grass", "green", "indigo",
    "iris", "jade", "lime", "mint", "orange", "pink", "plum", "purple", "red", "ruby", "sky",
    "teal", "tomato", "violet", "yellow",
)  # fmt: skip
SCALES = frozenset(GRAYS + ACCENTS)
APP_DIR = Path(__file__).resolve().parent.parent  # the paysim_app package
logger = logging.getLogger(__name__)


@functools.cache
def scales_in_source(root: Path = APP_DIR) -> frozenset[str]:
    """Radix scale names written as quoted strings in the package's Python files (not this one).

    A plain text scan, not a parse: 1.5 MB of source in milliseconds, and a false hit (a quoted
    "red" in a docstring) only keeps one more ~5 KB scale.
    """
    alternatives = "|".join(sorted(SCALES))
    quoted = re.compile(rf"""(["'])({alternatives})\1""")
    found: set[str] = set()
    for path in root.rglob("*.py"):
        if path.resolve() != Path(__file__).resolve():
            found.update(m.group(2) for m in quoted.finditer(path.read_text(encoding="utf-8")))
    return frozenset(found)


def _literal(value: Any) -> str | None:
    """The string behind a theme prop (None when unset or only known at run time)."""
    if isinstance(value, LiteralVar):
        value = getattr(value, "_var_value", None)
    return value if isinstance(value, str) else None


def stylesheets_for(scales: frozenset[str]) -> tuple[str, ...]:
    """The split Radix files, in styles.css order, for these scales."""
    colours = [s for s in GRAYS if s in scales] + [s for s in ACCENTS if s in scales]
    return (
        *(f"{_PACKAGE}/tokens/colors/{scale}.css" for scale in colours),
        f"{_PACKAGE}/tokens/base.css",
        f"{_PACKAGE}/components.css",
        f"{_PACKAGE}/utilities.css",
    )


def check_installed(sheets: tuple[str, ...], node_modules: Path) -> None:
    """Fail the compile when the installed Radix package lacks one of the split files.

    Before the first npm install there is nothing to check; the bundler would fail anyway.
    """
    if not (node_modules / _PACKAGE).is_dir():
        return
    missing = [sheet for sheet in sheets if not (node_modules / sheet).is_file()]
    if missing:
        msg = f"{_PACKAGE} in {node_modules} has no {', '.join(missing)}"
        raise FileNotFoundError(msg)


def _is_radix(library: str) -> bool:
    """Whether an import's library is the Radix Themes package itself ("@radix-ui/themes@3.3.0"
    or "@radix-ui/themes"), not a subpath like "@radix-ui/themes/styles.css"."""
    return library == _PACKAGE or library.startswith(f"{_PACKAGE}@")


def radix_names(imports: dict[str, Any]) -> set[str]:
    """Names imported from Radix Themes in a component's parsed imports ({lib: [ImportVar]})."""
    names = set()
    for library, import_vars in imports.items():
        if _is_radix(library):
            names.update(iv.tag for iv in import_vars if iv.tag)
    return names


def pruned_components_css(names: set[str], node_modules: Path | None = None) -> str:
    """components.css with only the rules these Radix Themes imports can match (FALLBACK, an
    import of the whole file, when Radix is not installed or an import name is unknown)."""
    package_dir = (node_modules or get_web_dir() / "node_modules") / _PACKAGE
    if not (package_dir / "components.css").is_file():
        logger.warning("%s is not installed: keeping the full components.css", _PACKAGE)
        return FALLBACK
    used = radix_css.used_classes(names, package_dir, APP_DIR)
    if used is None:
        logger.warning("unknown Radix Themes import among %s: keeping components.css", names)
        return FALLBACK
    css = (package_dir / "components.css").read_text(encoding="utf-8")
    pruned = radix_css.prune_components_css(css, used)
    logger.debug("components.css pruned to %d of %d bytes", len(pruned), len(css))
    return f"/* {COMPONENTS} pruned to the components PaySim uses (theme_css.py) */\n{pruned}"


@dataclasses.dataclass
class SplitRadixThemesPlugin(RadixThemesPlugin):
    """RadixThemesPlugin whose global stylesheet carries only the colour scales and components
    in use, and that does not put all of Radix Themes on window.__reflex."""

    expose_on_window: bool = False
    _radix_names: set[str] = dataclasses.field(default_factory=set, init=False, repr=False)
    _pruned: bool = dataclasses.field(default=False, init=False, repr=False)

    def enter_component(self, comp: Any, /, **context: Any) -> None:
        """Note the Radix Themes names each compiled component imports."""
        super().enter_component(comp, **context)
        get_imports = getattr(comp, "_get_imports", None)
        if get_imports is not None:
            self._radix_names |= radix_names(get_imports())

    def pre_compile(self, **context: Any) -> None:
        """After the pages compiled: write the pruned components.css, keep Radix off window."""
        super().pre_compile(**context)
        if not self.expose_on_window:
            registry = RegistrationContext.ensure_context()
            # an app's own bundle_library("@radix-ui/themes") still wins
            if not any(_is_radix(lib) for lib in registry._explicit_bundled_libraries):
                registry.bundled_libraries[:] = [
                    lib for lib in registry.bundled_libraries if not _is_radix(lib)
                ]
        self._pruned = False
        names, self._radix_names = self._radix_names, set()  # a hot reload collects afresh
        if not self.enabled or not names:
            return
        # the app root's Theme wrapper is not a page component
        names |= {"Theme"}
        target = str(get_web_dir() / "styles" / PRUNED_NAME)
        # On a fresh .web Radix is installed only after the save tasks ran: the file is saved
        # as the full stylesheet, then pruned by a modify task, which Reflex runs after
        # `npm install` and before it writes the compiled files.
        context["add_save_task"](lambda: (target, FALLBACK))
        context["add_modify_task"](target, lambda _: pruned_components_css(names))
        self._pruned = True

    def theme_scales(self) -> frozenset[str] | None:
        """The theme's accent and gray scales; None when the accent is only known at run time."""
        if self.theme is None:
            return frozenset({"indigo", "gray"})
        accent_prop = getattr(self.theme, "accent_color", None)
        accent = "indigo" if accent_prop is None else _literal(accent_prop)  # Radix's default
        if accent not in SCALES:
            return None
        gray = _literal(getattr(self.theme, "gray_color", None))
        # "auto" pairs the accent with a tinted gray: keep every gray rather than copy that table
        grays = {gray} if gray in SCALES else set(GRAYS)
        return frozenset({accent, "gray", *grays})

    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        """The split Radix stylesheets in place of the full bundle."""
        sheets = tuple(super().get_stylesheet_paths(**context))
        if not sheets:
            return sheets
        if sheets != (FULL_STYLESHEET,):
            # a Reflex upgrade changed what the plugin imports: refuse to guess
            msg = f"RadixThemesPlugin imports {sheets!r}, expected ({FULL_STYLESHEET!r},)"
            raise RuntimeError(msg)
        theme = self.theme_scales()
        if theme is None:
            logger.warning("Radix accent colour is not a literal: keeping the full stylesheet")
            return sheets
        scales = scales_in_source() | theme
        logger.debug("Radix colour scales in the global stylesheet: %s", sorted(scales))
        split = stylesheets_for(scales)
        check_installed(split, get_web_dir() / "node_modules")
        if self._pruned:
            split = tuple(f"./{PRUNED_NAME}" if s == COMPONENTS else s for s in split)
        return split
