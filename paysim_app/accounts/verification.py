"""One-time codes sent by SMS to prove a phone: for a registration, a password reset or a new
login phone.

A code is 6 digits from `secrets`, valid CODE_MINUTES, and only its keyed digest is stored
(HMAC with PAYSIM_SECRET_KEY over the purpose, the phone and the code), so a code for another
number or another purpose never matches, and the database alone does not give it away. A new
code for the same purpose and phone voids the one before; it may be asked for only
RESEND_SECONDS after the last. CODE_ATTEMPTS wrong codes void it; the right one works once
(claimed by a conditional update, so two submissions at once cannot both win). Sending is
limited per number ("sms_code.phone", "sms_code.phone_day") and per address ("sms_code.ip").

The SMS goes through the outbox in the recipient's language with the code as the row's sealed
secret: it is never in the stored body nor in a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, select

from paysim_app.core import rate_limits
from paysim_app.core.errors import ValidationError
from paysim_app.core.outbox import SECRET, queue_sms
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.models import PhoneCode
from paysim_app.models.accounts import PHONE_CODE_PURPOSES
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

CODE_DIGITS = 6
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
RESEND_SECONDS = 60
KEEP_FOR = timedelta(days=1)  # a number's spent codes are dropped when it gets a new one


@dataclass(frozen=True)
class CodeSent:
    """What a page shows after a code went out (never the code)."""

    phone: str  # E.164
    expires_at: datetime
    resend_at: datetime


def _digest(purpose: str, phone: str, code: str) -> str:
    key = get_settings().paysim_secret_key.encode("utf-8")
    message = f"phone-code:{purpose}:{phone}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def _check_purpose(purpose: str) -> None:
    if purpose not in PHONE_CODE_PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}")


@verb
def latest(session: Session, purpose: str, phone: str) -> PhoneCode | None:
    return session.exec(
        select(PhoneCode)
        .where(PhoneCode.purpose == purpose, PhoneCode.phone == phone)
        .order_by(PhoneCode.created_at.desc(), PhoneCode.id.desc())
    ).first()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


@verb
def send_code(
    session: Session,
    purpose: str,
    phone: str,
    *,
    locale: str = "ru",
    ip: str = "",
    user_id: int | None = None,
    pending: str = "",
    deliver: bool = True,
) -> CodeSent:
    """A new code for (purpose, phone), voiding the one before. `deliver=False` records it
    without an SMS (a reset for a number without an account: the same answer, timer and
    limits, and nothing sent). Raises ValidationError "verification.wait" (with `seconds`)
    before RESEND_SECONDS have passed, TooManyAttempts (with `at`) over a limit."""
    _check_purpose(purpose)
    now = utcnow()
    last = latest(session, purpose, phone)
    if last is not None and last.created_at + timedelta(seconds=RESEND_SECONDS) > now:
        resend_at = last.created_at + timedelta(seconds=RESEND_SECONDS)
        raise ValidationError(
            "verification.wait", field="code", seconds=_seconds_until(resend_at, now)
        )
    rate_limits.hit(session, "sms_code.ip", ip)
    rate_limits.hit(session, "sms_code.phone", phone)
    rate_limits.hit(session, "sms_code.phone_day", phone)
    target = (PhoneCode.purpose == purpose, PhoneCode.phone == phone)
    # the one before stops working and lets go of what it held (a registration's password hash
    # travels with the new code); the number's codes of past days are gone
    session.exec(
        update(PhoneCode)
        .where(*target, PhoneCode.used_at.is_(None), PhoneCode.voided_at.is_(None))
        .values(voided_at=now)
    )
    session.exec(update(PhoneCode).where(*target, PhoneCode.pending != "").values(pending=""))
    session.exec(delete(PhoneCode).where(*target, PhoneCode.created_at < now - KEEP_FOR))
    code = new_code() if deliver else secrets.token_hex(16)  # a decoy no one can enter
    row = PhoneCode(
        purpose=purpose,
        phone=phone,
        code_hash=_digest(purpose, phone, code),
        user_id=user_id,
        pending=pending,
        created_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    session.add(row)
    if deliver:
        loc = locale if locale in ("ru", "en") else "ru"
        body = t(f"verification.sms.{purpose}", loc, code=SECRET, minutes=CODE_MINUTES)
        queue_sms(session, phone, body, f"sms_code_{purpose}", code, user_id=user_id, locale=loc)
    session.flush()
    return CodeSent(phone, row.expires_at, now + timedelta(seconds=RESEND_SECONDS))


def clean_code(code: object) -> str:
    """What the person typed, digits only ('123 456' -> '123456'); refused unless 6 digits."""
    raw = code[:40] if isinstance(code, str) else ""
    digits = "".join(ch for ch in raw if ch in "0123456789")
    if len(digits) != CODE_DIGITS:
        raise ValidationError("verification.code_format", field="code", digits=CODE_DIGITS)
    return digits


@verb
def use_code(
    session: Session, purpose: str, phone: str, code: object, *, user_id: int | None = None
) -> PhoneCode:
    """Spend the code for (purpose, phone): returns its row, marked used. A wrong code counts
    (committed even though the call raises); after CODE_ATTEMPTS the code is void. `user_id`:
    the code must have been sent for that account (a login change)."""
    _check_purpose(purpose)
    digits = clean_code(code)
    now = utcnow()
    row = latest(session, purpose, phone)
    if row is None or row.used_at is not None:
        raise ValidationError("verification.no_code", field="code")
    if row.voided_at is not None:
        raise ValidationError("verification.code_spent", field="code")
    if row.expires_at <= now:
        raise ValidationError("verification.code_expired", field="code")
    right = hmac.compare_digest(row.code_hash, _digest(purpose, phone, digits))
    if not right or (user_id is not None and row.user_id != user_id):
        left = _count_wrong(session, row, now)
        session.commit()  # the attempt counts even though we raise
        if left <= 0:
            raise ValidationError("verification.code_spent", field="code")
        raise ValidationError("verification.code_wrong", field="code", left=left)
    claimed = session.exec(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None), PhoneCode.voided_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:  # another submission of the same code got there first
        raise ValidationError("verification.no_code", field="code")
    session.refresh(row)
    return row


def _count_wrong(session: Session, row: PhoneCode, now: datetime) -> int:
    """One more wrong attempt on `row` (atomically); the attempts left."""
    session.exec(
        update(PhoneCode).where(PhoneCode.id == row.id).values(attempts=PhoneCode.attempts + 1)
    )
    session.exec(
        update(PhoneCode)
        .where(
            PhoneCode.id == row.id,
            PhoneCode.attempts >= CODE_ATTEMPTS,
            PhoneCode.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    session.refresh(row)
    return CODE_ATTEMPTS - row.attempts


@verb
def void_codes(session: Session, purpose: str, phone: str) -> None:
    """Every waiting code for (purpose, phone) stops working (a login change cancelled)."""
    session.exec(
        update(PhoneCode)
        .where(
            PhoneCode.purpose == purpose,
            PhoneCode.phone == phone,
            PhoneCode.used_at.is_(None),
            PhoneCode.voided_at.is_(None),
        )
        .values(voided_at=utcnow())
    )
