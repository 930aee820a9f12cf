"""The three numbers of a SIM as people type them, checked and normalised (None: not valid).

Shared by the admin's SIM form, the CSV import and the subscriber's claim form.
"""

from __future__ import annotations

import re

from stdnum import luhn

from paysim_app.core.logins import normalise_phone


def iccid(raw: object) -> str | None:
    """19-20 digits whose last is the Luhn check digit (spaces and dashes ignored)."""
    text = re.sub(r"[\s-]", "", str(raw or ""))
    if not re.fullmatch(r"\d{19,20}", text) or not luhn.is_valid(text):
        return None
    return text


def msisdn(raw: object) -> str | None:
    """A Russian number in any usual spelling -> +7XXXXXXXXXX."""
    return normalise_phone(str(raw or ""))


def imsi(raw: object) -> str | None:
    text = re.sub(r"[\s-]", "", str(raw or ""))
    return text if re.fullmatch(r"\d{15}", text) else None
