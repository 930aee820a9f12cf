"""i18n.formats.money against babel's own currency formatting, which it replaces for speed."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from hypothesis import given
from hypothesis import strategies as st

from paysim_app.i18n.formats import money


def _babel(kop: int, locale: str) -> str:
    value = Decimal(kop) / 100
    if locale == "ru":
        return format_currency(value, "RUB", locale="ru")
    return format_decimal(value, format="#,##0.00", locale="en") + "\u00a0₽"


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["ru", "en"]))
def test_money_is_what_babel_writes(kop, locale):
    assert money(kop, locale) == _babel(kop, locale)


def test_money_at_the_edges():
    for kop in (0, 1, -1, 99, 100, -100, 99_999, 100_000, 123_456_789, -100_000_000):
        for locale in ("ru", "en"):
            assert money(kop, locale) == _babel(kop, locale), (kop, locale)
    assert money(123_456_789) == "1\u00a0234\u00a0567,89\u00a0₽"
    assert money(-5, "en") == "-0.05\u00a0₽"
    assert money(12345, "de") == money(12345, "en")  # any other language: the English form
