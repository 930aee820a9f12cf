"""Changing one's login (the e-mail or phone used to sign in and to recover the password).

The user types the new address and the current password (a few wrong passwords lock the change
for a while). The new address waits as pending, and a confirmation goes to it: a link for an
e-mail, a one-time SMS code for a phone (accounts.verification: 6 digits, 10 minutes, 5
attempts, a new one after 60 s); the old address is told that a change was asked for. Until it is confirmed, sign-in and password reset keep using the
old address. Confirming checks again that nobody else has taken the address meanwhile, makes
it the login, voids reset links sent to the old one and ends the user's other sessions.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from limits import parse
from sqlalchemy import delete, update
from sqlmodel import Session, select

from paysim_app.accounts import verification
from paysim_app.accounts.identity import hash_token, new_token
from paysim_app.accounts.passwords import verify_password
from paysim_app.core import audit, rate_limits
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.logins import format_phone, parse_login
from paysim_app.core.outbox import SECRET, queue_email
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import moment
from paysim_app.models import AuthSession, LoginChange, PasswordResetToken, User
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

# Wrong current passwords are the rate_limits rule "password.user", the same counter as the
# password change's: one allowance of guesses for whoever holds an open session, not one per form
_PASSWORD_RULE = parse(rate_limits.RULES["password.user"])
MAX_FAILURES = _PASSWORD_RULE.amount  # by default
LOCK_MINUTES = _PASSWORD_RULE.get_expiry() // 60
LINK_HOURS = 24  # how long an e-mail confirmation link works
CODE_MINUTES = verification.CODE_MINUTES  # how long a phone code works
CODE_DIGITS = verification.CODE_DIGITS
CODE_ATTEMPTS = verification.CODE_ATTEMPTS  # wrong codes before the code is void


@dataclass(frozen=True)
class LoginInfo:
    email: str  # the login e-mail ("" if the user signs in by phone only)
    phone: str  # E.164 or ""
    pending_kind: str  # "email" | "phone" | "" (nothing waiting)
    pending_value: str
    pending_expires_at: datetime | None


def _digest(value: str) -> str:
    """A keyed digest: a 6-digit code cannot be found from the database alone."""
    key = get_settings().paysim_secret_key.encode("utf-8")
    return hmac.new(key, b"login-change:" + value.encode("utf-8"), hashlib.sha256).hexdigest()


def _user(session: Session, actor: Actor | None) -> User:
    user = session.get(User, actor.user_id) if actor is not None else None
    if user is None or not user.is_active:
        raise PermissionDenied()
    return user


def _pending(session: Session, user_id: int) -> LoginChange | None:
    return session.exec(
        select(LoginChange)
        .where(
            LoginChange.user_id == user_id,
            LoginChange.confirmed_at.is_(None),
            LoginChange.expires_at > utcnow(),
        )
        .order_by(LoginChange.id.desc())
    ).first()


def _info(session: Session, user: User) -> LoginInfo:
    row = _pending(session, user.id)
    return LoginInfo(
        user.email or "",
        user.phone or "",
        row.kind if row else "",
        row.new_value if row else "",
        row.expires_at if row else None,
    )


@verb
def login_info(session: Session, actor: Actor | None) -> LoginInfo:
    return _info(session, _user(session, actor))


def _raise_if_locked(session: Session, user: User) -> None:
    try:
        rate_limits.check(session, "password.user", user.id)
    except rate_limits.TooManyAttempts as locked:
        until = locked.params["at"].astimezone(ZoneInfo(get_settings().paysim_timezone))
        raise ValidationError(
            "login_change.locked", field="current", until=until.strftime("%H:%M")
        ) from None


def _taken(session: Session, kind: str, value: str, user_id: int) -> bool:
    column = User.email if kind == "email" else User.phone
    return (
        session.exec(select(User.id).where(column == value, User.id != user_id)).first() is not None
    )


def _shown(kind: str, value: str) -> str:
    return format_phone(value) if kind == "phone" else value


def _tell(
    session: Session, user: User, to: str, subject: str, body: str, kind: str, secret: str = ""
) -> None:
    """A message to an e-mail address, or to a phone (kind sms_*: SMS delivery drains those),
    marked as the user's: the new address is not theirs yet, and the e-mail around the body
    (its footer, its language) must still be in their language."""
    if to.startswith("+"):
        kind = kind if kind.startswith("sms_") else f"sms_{kind}"
    queue_email(session, to, subject, body, kind, secret, user_id=user.id, locale=user.locale)


@verb
def request_login_change(
    session: Session,
    actor: Actor | None,
    new_login: str,
    current_password: str,
    base_url: str | None = None,
    ip: str = "",
) -> LoginInfo:
    """Check the password and queue the confirmation to the new address (and a notice to the
    old one); a new request replaces one still waiting. The wrong-password count is committed
    even though the call raises."""
    user = _user(session, actor)
    now = utcnow()
    _raise_if_locked(session, user)
    raw = new_login if isinstance(new_login, str) else ""
    if not raw.strip():
        raise ValidationError("error.required", field="new_login")
    kind, value = parse_login(raw[:254], field="new_login")
    if user.role == "admin" and kind != "email":
        raise ValidationError("login_change.email_only", field="new_login")
    password = current_password if isinstance(current_password, str) else ""
    if not password:
        raise ValidationError("error.required", field="current")
    if not verify_password(password, user.password_hash):
        rate_limits.count(session, "password.user", user.id)
        session.commit()  # the failure counts even though we raise
        _raise_if_locked(session, user)
        raise ValidationError("auth.current_password_wrong", field="current")
    if value == (user.email if kind == "email" else user.phone):
        raise ValidationError("login_change.same", field="new_login")
    if _taken(session, kind, value, user.id):
        raise ValidationError("auth.login_taken", field="new_login")
    # each request sends an e-mail or an SMS to an address the user names: capped per user
    rate_limits.hit(session, "login_change.user", user.id)

    session.exec(
        delete(LoginChange).where(
            LoginChange.user_id == user.id, LoginChange.confirmed_at.is_(None)
        )
    )
    settings, loc = get_settings(), user.locale
    if kind == "email":
        secret = new_token()
        digest, expires = _digest(secret), now + timedelta(hours=LINK_HOURS)
        link = (
            f"{(base_url or settings.paysim_public_url).rstrip('/')}/confirm-login?token={SECRET}"
        )
        body = t("login_change.mail.confirm_body", loc, login=value, link=link, hours=LINK_HOURS)
        _tell(
            session,
            user,
            value,
            t("login_change.mail.confirm_subject", loc),
            body,
            "login_confirm",
            secret,
        )
    else:
        sent = verification.send_code(
            session, "login_change", value, locale=loc, ip=ip, user_id=user.id
        )
        digest, expires = "", sent.expires_at  # the code lives in accounts.verification
    session.add(
        LoginChange(
            user_id=user.id, kind=kind, new_value=value, token_hash=digest, expires_at=expires
        )
    )
    old = (user.email if kind == "email" else user.phone) or user.email or user.phone or ""
    notice = t(
        "login_change.mail.notice_body",
        loc,
        login=_shown(kind, value),
        when=moment(now, loc),
    )
    subject = t("login_change.mail.notice_subject", loc)
    _tell(session, user, old, subject, notice, "login_change_notice")
    audit.record(
        session, actor, "login.change_request", "user", user.id, None, {"kind": kind, "new": value}
    )
    session.flush()
    return _info(session, user)


@verb
def cancel_login_change(session: Session, actor: Actor | None) -> LoginInfo:
    user = _user(session, actor)
    row = _pending(session, user.id)
    if row is not None and row.kind == "phone":
        verification.void_codes(session, "login_change", row.new_value)
    session.exec(
        delete(LoginChange).where(
            LoginChange.user_id == user.id, LoginChange.confirmed_at.is_(None)
        )
    )
    session.flush()
    return _info(session, user)


def _apply(session: Session, row: LoginChange, keep_token: str) -> User:
    """Make the pending address the login (if nobody took it meanwhile)."""
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ValidationError("login_change.invalid", field="token")
    now = utcnow()
    if _taken(session, row.kind, row.new_value, user.id):
        session.delete(row)
        session.commit()  # the address is gone: the request is over either way
        raise ValidationError("auth.login_taken", field="token")
    before = {row.kind: getattr(user, row.kind)}
    setattr(user, row.kind, row.new_value)
    row.confirmed_at = now
    # reset links mailed to the old address stop working
    session.exec(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    others = update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if isinstance(keep_token, str) and keep_token:
        others = others.where(AuthSession.token_hash != hash_token(keep_token))
    session.exec(others.values(revoked_at=now))
    actor = Actor(user_id=user.id, role=user.role)
    audit.record(
        session, actor, "login.change_confirm", "user", user.id, before, {row.kind: row.new_value}
    )
    session.flush()
    return user


@verb
def confirm_login_link(session: Session, token: str, keep_token: str = "") -> str:
    """Confirm a new login e-mail by the link's token (no sign-in needed: the link proves the
    mailbox). Returns the new login. The session `keep_token` stays signed in if it is the
    user's; every other session of the user ends."""
    row = None
    if isinstance(token, str) and 20 <= len(token) <= 200:
        row = session.exec(
            select(LoginChange).where(
                LoginChange.token_hash == _digest(token), LoginChange.kind == "email"
            )
        ).first()
    if row is None or row.confirmed_at is not None or row.expires_at <= utcnow():
        raise ValidationError("login_change.invalid", field="token")
    return _apply(session, row, keep_token).email or ""


@verb
def resend_login_code(session: Session, actor: Actor | None, ip: str = "") -> LoginInfo:
    """A new code to the pending phone (the one before stops working), once
    verification.RESEND_SECONDS have passed and within its limits."""
    user = _user(session, actor)
    row = _pending(session, user.id)
    if row is None or row.kind != "phone":
        raise ValidationError("login_change.invalid", field="code")
    sent = verification.send_code(
        session, "login_change", row.new_value, locale=user.locale, ip=ip, user_id=user.id
    )
    row.expires_at = sent.expires_at
    session.flush()
    return _info(session, user)


@verb
def confirm_login_code(
    session: Session, actor: Actor | None, code: str, current_token: str = ""
) -> LoginInfo:
    """Confirm a new login phone by the code sent to it, from the signed-in profile (refusals:
    verification.use_code's; after CODE_ATTEMPTS wrong codes a new one must be asked for). The
    new phone counts as proven."""
    user = _user(session, actor)
    row = _pending(session, user.id)
    if row is None or row.kind != "phone":
        raise ValidationError("login_change.invalid", field="code")
    verification.use_code(session, "login_change", row.new_value, code, user_id=user.id)
    _apply(session, row, current_token)
    user.phone_verified_at = utcnow()
    session.flush()
    return _info(session, user)
