"""Formatting for people: roubles, phone numbers, Moscow dates and times, in ru or en.

Used by the pages and by the notifications services write; kopecks stay integers until here."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import (
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
)

from paysim_app.core.logins import format_phone
from paysim_app.settings import get_settings

__all__ = ["money", "phone", "moment", "clock", "day", "moscow_date", "data_size", "data_of"]

phone = format_phone


# (group separator, decimal mark, minus) of each language, as babel's CLDR data has them
_MONEY_SYMBOLS = {
    loc: (get_group_symbol(loc), get_decimal_symbol(loc), get_minus_sign_symbol(loc))
    for loc in ("ru", "en")
}


def money(kop: int, locale: str = "ru") -> str:
    """12345 -> '123,45 ₽' (ru) or '123.45 ₽' (en). Kopecks stay integers until here.

    The digits are grouped here with babel's symbols rather than by babel's format_currency,
    which applies its CLDR pattern on every call (27 µs against 0.8: a billing cycle writes
    amounts into every receipt, e-mail and notification, 13 % of its Python under cProfile);
    tests/test_money_format.py checks it against babel for both languages."""
    kop = int(kop)
    group, mark, minus = _MONEY_SYMBOLS["ru" if locale == "ru" else "en"]
    roubles, kopecks = divmod(abs(kop), 100)
    grouped = f"{roubles:,}".replace(",", group)
    return f"{minus if kop < 0 else ''}{grouped}{mark}{kopecks:02d}\u00a0₽"


GB = 10**9  # decimal units, the way operators sell and meters count
MB = 10**6
_UNITS = {"ru": ("ГБ", "МБ"), "en": ("GB", "MB")}


def _size_parts(n_bytes: int, locale: str) -> tuple[str, str]:
    """(number, unit): gigabytes with one decimal from 1 GB on, megabytes below it."""
    gb, mb = _UNITS.get(locale, _UNITS["ru"])
    n_bytes = max(int(n_bytes), 0)
    loc = "ru" if locale == "ru" else "en"
    shown, unit = (Decimal(n_bytes) / MB).quantize(Decimal("0.1")), mb
    if shown >= 1000:  # 999.96 MB is shown as 1 GB, not 1000 MB
        shown, unit = (Decimal(n_bytes) / GB).quantize(Decimal("0.1")), gb
    elif n_bytes and not shown:  # a few bytes are not nothing
        shown = Decimal("0.1")
    return format_decimal(shown, format="#,##0.#", locale=loc), unit


def data_size(n_bytes: int, locale: str = "ru") -> str:
    """7_400_000_000 -> '7,4 ГБ' (ru) / '7.4 GB' (en); 850_000_000 -> '850 МБ'; decimal units."""
    number, unit = _size_parts(n_bytes, locale)
    return f"{number}\u00a0{unit}"


def data_of(used: int, total: int, locale: str = "ru") -> str:
    """'7,4 из 50 ГБ' / '7.4 of 50 GB' (the unit once when both share it), else
    '850 МБ из 50 ГБ'."""
    word = "из" if locale == "ru" else "of"
    used_n, used_u = _size_parts(used, locale)
    total_n, total_u = _size_parts(total, locale)
    if used_u == total_u:
        return f"{used_n} {word} {total_n}\u00a0{total_u}"
    return f"{used_n}\u00a0{used_u} {word} {total_n}\u00a0{total_u}"


def moment(value: datetime | None, locale: str = "ru") -> str:
    if value is None:
        return ""
    tz = ZoneInfo(get_settings().paysim_timezone)
    return format_datetime(value.astimezone(tz), "d MMM y, HH:mm", locale=locale)


def clock(value: datetime, locale: str = "ru") -> str:
    """When something may be tried again: '16:05' today, else the whole moment."""
    tz = ZoneInfo(get_settings().paysim_timezone)
    if value.astimezone(tz).date() == datetime.now(tz).date():
        return format_datetime(value.astimezone(tz), "HH:mm", locale=locale)
    return moment(value, locale)


def day(value: date | None, locale: str = "ru") -> str:
    """A calendar day: 26.11.2026 in both languages (the way Russian bills print it)."""
    return value.strftime("%d.%m.%Y") if value else ""


def moscow_date(value: datetime) -> date:
    return value.astimezone(ZoneInfo(get_settings().paysim_timezone)).date()


def moscow_day_range(value: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in the operator's time zone, as aware datetimes."""
    tz = ZoneInfo(get_settings().paysim_timezone)
    start = datetime(value.year, value.month, value.day, tzinfo=tz)
    following = value + timedelta(days=1)
    return start, datetime(following.year, following.month, following.day, tzinfo=tz)


def moscow_time(value: datetime) -> str:
    """26.11.2026 14:05 in the operator's time zone (exports, where a sortable form helps)."""
    return value.astimezone(ZoneInfo(get_settings().paysim_timezone)).strftime("%d.%m.%Y %H:%M")
