"""A browser's user agent in a few words, for the sessions list and the new-browser notice."""

from __future__ import annotations

import re

_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"OPR/(\d+)"),
    ("Yandex Browser", r"YaBrowser/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:Chrome|CriOS)/(\d+)"),
    ("Safari", r"Version/(\d+).*Safari/"),
)
_SYSTEMS = (
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux|X11"),
)


def short_user_agent(user_agent: str | None) -> str:
    """'Mozilla/5.0 (X11; Linux x86_64) ... Chrome/120.0 ...' -> 'Chrome 120 · Linux'."""
    ua = (user_agent or "").strip()
    if not ua:
        return ""
    browser = next(
        (f"{name} {m.group(1)}" for name, rx_ in _BROWSERS if (m := re.search(rx_, ua))), ""
    )
    system = next((name for name, rx_ in _SYSTEMS if re.search(rx_, ua)), "")
    short = " · ".join(p for p in (browser, system) if p)
    return short or (ua[:60] + ("…" if len(ua) > 60 else ""))
