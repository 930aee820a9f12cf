"""One script chunk for the lucide icons the pages import, instead of one chunk per icon.

Reflex imports each icon from its own module (`lucide-react/dist/esm/icons/house.mjs`), and the
bundler (Vite 8 / Rolldown) gives every icon shared by two routes a chunk of its own: ~250 bytes
each, and a page preloads 20 to 35 of them (/cabinet 21 of its 39 scripts, /admin/sims 32 of
54). Over HTTP/1.1 every one of them costs a request on one of the browser's six connections.
This plugin adds a Rolldown code-splitting group to the generated vite.config.js that puts the
statically imported icons (and createLucideIcon) into one `icons` chunk: all of the app's ~80
icons in about 10 KB gzip, cached once for every page.

Icons only reachable through lucide's dynamic-icon map (rx.icon with a tag known at run time,
on the SIM import page) keep their own lazily loaded chunks.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from reflex.plugins import Plugin

logger = logging.getLogger(__name__)
VITE_CONFIG = "vite.config.js"
# Reflex's template (reflex_base/compiler/templates.py) opens the groups list like this
ANCHOR = "codeSplitting: {\n          groups: ["
ICONS_GROUP = r"""
            {
              // paysim_app/ui/vite_chunks.py: the icons the pages import, in one chunk
              test: /[\\/]lucide-react[\\/]dist[\\/]esm[\\/]icons[\\/]/,
              name: (id, ctx) =>
                (ctx.getModuleInfo(id)?.importers ?? []).some((i) => !/[\\/]lucide-react[\\/]/.test(i))
                  ? "icons"
                  : null,
            },"""


def add_icons_group(config: str) -> str:
    """vite.config.js with the icons group first in its code-splitting groups (unchanged, with a
    warning, when Reflex's template no longer has the anchor)."""
    if "paysim_app/ui/vite_chunks.py" in config:
        return config
    if config.count(ANCHOR) != 1:
        logger.warning("%s has no single code-splitting groups list: icons stay split", VITE_CONFIG)
        return config
    return config.replace(ANCHOR, ANCHOR + ICONS_GROUP)


@dataclasses.dataclass
class IconChunkPlugin(Plugin):
    """Puts the statically imported lucide icons into one chunk (see the module doc)."""

    def pre_compile(self, **context: Any) -> None:
        """Edit the vite.config.js this compile writes."""
        context["add_modify_task"](VITE_CONFIG, add_icons_group)
