"""Message catalogues (ru default, en complete) and t().

ru.py and en.py hold the shared and foundation texts; the rest live in
i18n/sections/<package>.py, named after the package whose keys they hold, as two dicts RU and
EN, merged here (a key defined twice is an error, so sections cannot overwrite each other).
"""

from __future__ import annotations

import importlib
import pkgutil

from paysim_app.i18n import sections
from paysim_app.i18n.en import EN
from paysim_app.i18n.ru import RU


def _merge_sections() -> None:
    for info in sorted(pkgutil.iter_modules(sections.__path__), key=lambda m: m.name):
        part = importlib.import_module(f"{sections.__name__}.{info.name}")
        for target, texts in ((RU, part.RU), (EN, part.EN)):
            clash = target.keys() & texts.keys()
            if clash:
                raise RuntimeError(f"i18n/sections/{info.name}.py redefines {sorted(clash)}")
            target.update(texts)


_merge_sections()

CATALOGUES: dict[str, dict[str, str]] = {"ru": RU, "en": EN}
DEFAULT_LOCALE = "ru"


def t(key: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """The message for `key` in `locale`, with {params} filled in; the key itself if missing."""
    catalogue = CATALOGUES.get(locale, RU)
    text = catalogue.get(key) or RU.get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text
