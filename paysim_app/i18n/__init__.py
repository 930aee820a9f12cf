"""Message catalogues (ru default, en complete) and t()."""

from __future__ import annotations

from paysim_app.i18n.en import EN
from paysim_app.i18n.ru import RU

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
