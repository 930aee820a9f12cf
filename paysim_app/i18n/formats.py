"""Formatting for people: roubles, phone numbers, Moscow dates and times, in ru or en.

Used by the pages and by the notifications services write; kopecks stay integers until here."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal

from paysim_app.core.logins import format_phone
from paysim_app.settings import get_settings

__all__ = ["money", "phone", "moment", "clock", "day", "moscow_date"]

phone = format_phone


def money(kop: int, locale: str = "ru") -> str:
    """12345 -> '123,45 ₽' (ru) or '123.45 ₽' (en). Kopecks stay integers until here."""
    value = Decimal(int(kop)) / 100
    if locale == "ru":
        return format_currency(value, "RUB", locale="ru")
    return format_decimal(value, format="#,##0.00", locale="en") + "\u00a0₽"


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
