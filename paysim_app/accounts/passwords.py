"""bcrypt password hashing and the minimum strength rule."""

from __future__ import annotations

import secrets

import bcrypt

from paysim_app.core.errors import ValidationError
from paysim_app.settings import get_settings

MIN_LENGTH = 8
MAX_BYTES = 72  # bcrypt ignores (5.x: refuses) anything longer


def check_strength(password: str, field: str = "password") -> None:
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise ValidationError("auth.password_too_long", field=field, max=MAX_BYTES)
    if len(password) < MIN_LENGTH:
        raise ValidationError("auth.password_too_short", field=field, min=MIN_LENGTH)
    if password.isdigit() or password.isalpha() or len(set(password)) < 4:
        raise ValidationError("auth.password_too_weak", field=field)


def hash_password(password: str, rounds: int | None = None) -> str:
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise ValidationError("auth.password_too_long", field="password", max=MAX_BYTES)
    salt = bcrypt.gensalt(rounds or get_settings().paysim_bcrypt_rounds)
    return bcrypt.hashpw(password.encode("utf-8"), salt).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    data = password.encode("utf-8")
    if len(data) > MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(data, password_hash.encode("ascii"))
    except ValueError:
        return False


def unusable_hash() -> str:
    """A password hash nothing matches (not bcrypt: checking it fails at once), for an account
    whose password its owner sets through a link. No bcrypt work is spent on a secret nobody
    knows."""
    return "!unusable:" + secrets.token_urlsafe(30)


# A real hash to compare against when the account does not exist, so both answers take as long.
_DUMMY_HASH: str | None = None


def dummy_verify(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("dummy-password-for-timing")
    verify_password(password, _DUMMY_HASH)
