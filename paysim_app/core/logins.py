"""Parsing what people type as a login: an e-mail address or a Russian phone number."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from paysim_app.core.errors import ValidationError


def normalise_phone(raw: str) -> str | None:
    """'+7 999 000-00-01', '8 (999) 000 00 01', '9990000001' -> '+79990000001'; else None."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    international = raw.strip().startswith("+")  # '+7 999 123-45-6' is short, not '+7 7999...'
    if len(digits) == 10 and not international:
        digits = "7" + digits
    if len(digits) == 11 and digits[0] == "8" and not international:
        digits = "7" + digits[1:]
    if len(digits) != 11 or digits[0] != "7":
        return None
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 7 or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str | None:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def parse_login(raw: str, field: str = "login") -> tuple[str, str]:
    """('email', 'a@b.ru') or ('phone', '+79990000001'); ValidationError when it is neither."""
    raw = (raw or "").strip()
    if "@" in raw:
        email = normalise_email(raw)
        if email:
            return "email", email
    else:
        phone = normalise_phone(raw)
        if phone:
            return "phone", phone
    raise ValidationError("auth.login_invalid", field=field)


def format_phone(e164: str) -> str:
    """'+79990000001' -> '+7 999 000-00-01' (the operator's house style)."""
    if len(e164) == 12 and e164.startswith("+7"):
        d = e164[2:]
        return f"+7 {d[0:3]} {d[3:6]}-{d[6:8]}-{d[8:10]}"
    return e164
