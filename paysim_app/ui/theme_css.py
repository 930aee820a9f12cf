"""Radix Themes with only the colour scales the app uses in the global stylesheet.

Reflex's RadixThemesPlugin imports `@radix-ui/themes/styles.css`: every one of the 31 colour
scales, light, dark and P3. With the 10 scales PaySim uses the built, render-blocking stylesheet
drops from 699 KB (83 KB gzip) to 631 KB (64 KB gzip). Radix ships the same CSS split (tokens/base.css, tokens/colors/<scale>.css, components.css, utilities.css), so
this subclass keeps everything the plugin does (the Theme wrapper, the npm dependency) and
swaps that one import for the split files with the scales in use.

The scales in use are every string literal in the app's Python source that names a Radix scale
(`color_scheme="red"`, `rx.color("amber", 9)`, `{"active": "green"}` maps fed to badges at run
time), plus the theme's accent and gray. A new colour written anywhere in paysim_app is picked
up by the next compile; a colour that only arrives from the database would not be (none does).
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

FULL_STYLESHEET = "@radix-ui/themes/styles.css"
_PACKAGE = "@radix-ui/themes"
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


@dataclasses.dataclass
class SplitRadixThemesPlugin(RadixThemesPlugin):
    """RadixThemesPlugin whose global stylesheet carries only the colour scales in use."""

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
        return split
