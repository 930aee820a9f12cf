"""Formatting at the UI edge: roubles, phone numbers, Moscow time, in ru or en."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal

from paysim_app.services.logins import format_phone
from paysim_app.settings import get_settings

__all__ = ["money", "phone", "moment"]

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
