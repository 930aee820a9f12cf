"""Two-factor sign-in: a TOTP authenticator (RFC 6238, pyotp) and one-time recovery codes.

Who: every admin may enrol, a superadmin (admins.manage) may require it for a role
(set_role_two_factor) and reset a lost one (reset_two_factor, audited; the admin enrols again at
their next sign-in if the role requires it). A partner's user may opt in; an admin with the
partners' edit right (partners.edit) resets a lost one from that partner's card
(reset_partner_user: the same reset, for that partner's own users only). Subscribers do not.

Enrolment: start_enrolment makes a secret (pyotp.random_base32), keeps it encrypted with the
outbox's key (core.outbox.seal: Fernet under a key derived from PAYSIM_SECRET_KEY) and shows it
as an otpauth:// QR code (segno) and as text; only a correct code confirms it
(confirm_enrolment), which hands out RECOVERY_CODES one-time codes, shown once and kept as keyed
digests. regenerate_recovery_codes replaces them (a current code is asked for).

Sign-in (begin_sign_in, finish_sign_in): the password step opens no session for such a user; it
returns a challenge, a random token kept by the sign-in page's server-side state and stored here
as a digest, bound to the user, to the login typed and to the browser's device id, valid
CHALLENGE_MINUTES (ENROL_MINUTES when the role requires an authenticator the admin has not
enrolled yet: the challenge then leads only to the enrolment, and no session exists before it
is done, so every other event is refused at the door and by the verbs). Wrong codes count in the
login's throttle (core.throttles, the same as wrong passwords, which a right password no longer
clears while a code is owed) and per challenge (MAX_ATTEMPTS, then it is void), and from the
address ("sign_in.ip"). A TOTP code is accepted within one step either side (valid_window=1) and
never twice: `last_step` moves forward with one conditional UPDATE, so two requests carrying the
same code cannot both pass. A recovery code works once (likewise a conditional UPDATE).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from paysim_app.accounts import identity
from paysim_app.core import audit, rate_limits, throttles
from paysim_app.core.errors import AuthError, PermissionDenied, ValidationError
from paysim_app.core.outbox import SecretUnreadable, seal, unseal
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.models import (
    AdminRole,
    AuthSession,
    RecoveryCode,
    SignInChallenge,
    TwoFactor,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

ISSUER = "PaySim"
DIGITS = 6
VALID_WINDOW = 1  # time steps accepted either side of now (clock drift, a code typed late)
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a printout
RECOVERY_LENGTH = 10  # shown as two groups of five: ~49 bits each
CHALLENGE_MINUTES = 5
ENROL_MINUTES = 10  # an enrolment at sign-in needs the phone app too: a little longer
MAX_ATTEMPTS = 5  # wrong codes per challenge, then it is void (the login's throttle counts too)
MAX_CODE = 64  # characters of a typed code looked at; anything longer is simply wrong
USER_LOCK = ("two_factor", 5, 15)  # wrong codes of a signed-in user (enrol, disable): 5 / 15 min
MAY_ENROL = ("admin", "partner")
MANAGE = "admins.manage"
VIEW = "admins.view"
PARTNERS_EDIT = "partners.edit"  # the partner card's user actions (partners.directory)


def _is_id(value: object) -> bool:
    """An id a table can hold (the browser may send any number; PostgreSQL's ids are int4)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


# -- DTOs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as text (in groups of four), the otpauth://
    URI and its QR code as an SVG data URI."""

    secret: str
    uri: str
    qr: str


@dataclass(frozen=True)
class Status:
    enabled: bool
    required: bool  # by the admin's role: it cannot be turned off
    may_enrol: bool  # admins and partners' users
    recovery_left: int


@dataclass(frozen=True)
class SignInStep:
    """After the password: a session (`token`, `actor`) or a second step (`challenge`, `kind`
    "code" or "enrol"; the challenge stays on the server, in the page's backend state)."""

    token: str = ""
    actor: Actor | None = None
    challenge: str = ""
    kind: str = ""


@dataclass(frozen=True)
class SignedIn:
    """The second step passed: the session, and the recovery codes to show once (enrolment)
    or how many are left (a recovery code was used; -1: none was)."""

    token: str
    actor: Actor
    recovery_codes: tuple[str, ...] = ()
    recovery_left: int = -1


# -- codes ----------------------------------------------------------------------------------
def _digest(value: str) -> str:
    """A keyed digest: the database alone does not let anyone test a recovery code."""
    key = get_settings().paysim_secret_key.encode("utf-8")
    return hmac.new(key, b"two-factor:" + value.encode("utf-8"), hashlib.sha256).hexdigest()


def _clean(code: object) -> str:
    """A typed code without spaces and dashes, lower case; "" for anything that is no text or
    far too long (hostile input costs nothing)."""
    if not isinstance(code, str) or len(code) > MAX_CODE:
        return ""
    return "".join(ch for ch in code.lower() if ch not in " -\t\u00a0")


def _is_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def _secret_of(row: TwoFactor) -> str:
    try:
        return unseal(row.secret_sealed)
    except SecretUnreadable:  # PAYSIM_SECRET_KEY changed: the authenticator cannot be checked
        return ""


def _accept_totp(session: Session, row: TwoFactor, code: str) -> bool:
    """Whether `code` is the authenticator's code of now (± VALID_WINDOW steps) not used yet;
    when it is, its time step becomes the last accepted one in the same statement that checks
    it was not (two requests with one code: one passes)."""
    secret = _secret_of(row)
    if not secret or not _is_totp(code):
        return False
    totp = pyotp.TOTP(secret, digits=DIGITS)
    now_step = totp.timecode(utcnow())
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if step <= row.last_step or not hmac.compare_digest(totp.generate_otp(step), code):
            continue
        moved = session.execute(
            update(TwoFactor)
            .where(TwoFactor.user_id == row.user_id, TwoFactor.last_step < step)
            .values(last_step=step)
        ).rowcount
        session.refresh(row)
        return moved == 1
    return False


def _accept_recovery(session: Session, user_id: int, code: str) -> bool:
    if len(code) != RECOVERY_LENGTH:
        return False
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _digest(f"{user_id}:{code}"),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    ).rowcount
    return used == 1


def _recovery_left(session: Session, user_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def _new_recovery_codes(session: Session, user_id: int) -> tuple[str, ...]:
    """RECOVERY_CODES fresh codes replace the user's old ones; returned to be shown once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        session.add(RecoveryCode(user_id=user_id, code_hash=_digest(f"{user_id}:{raw}")))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.flush()
    return tuple(codes)


def _login_of(user: User) -> str:
    return user.email or user.phone or f"user-{user.id}"


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret, digits=DIGITS).provisioning_uri(
        name=_login_of(user), issuer_name=ISSUER
    )
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#111", light="#fff")
    return Enrolment(
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), uri=uri, qr=qr
    )


def _begin(session: Session, user: User) -> Enrolment:
    """A new secret waiting for its first code (an unfinished earlier one is replaced)."""
    row = session.get(TwoFactor, user.id)
    if row is not None and row.enabled_at is not None:
        raise ValidationError("two_factor.already_on")
    secret = pyotp.random_base32()
    if row is None:
        row = TwoFactor(user_id=user.id, secret_sealed=seal(secret))
        session.add(row)
    else:
        row.secret_sealed, row.last_step, row.created_at = seal(secret), 0, utcnow()
    session.flush()
    return _enrolment(user, secret)


def _confirm(session: Session, user: User, code: str) -> tuple[str, ...]:
    """Enable the pending authenticator if `code` is its code; its recovery codes."""
    row = session.get(TwoFactor, user.id)
    if row is None or row.enabled_at is not None:
        raise ValidationError("two_factor.no_enrolment", field="code")
    if not _accept_totp(session, row, _clean(code)):
        return ()
    row.enabled_at = utcnow()
    return _new_recovery_codes(session, user.id)


def _required(session: Session, user: User) -> bool:
    if user.role != "admin" or user.admin_role_id is None:
        return False
    role = session.get(AdminRole, user.admin_role_id)
    return bool(role and role.two_factor_required)


# -- the signed-in user's own authenticator ---------------------------------------------------
def _own_user(session: Session, actor: Actor | None) -> User:
    user = session.get(User, actor.user_id) if actor is not None else None
    if user is None or not user.is_active or user.role not in MAY_ENROL:
        raise PermissionDenied()
    return user


def _user_throttle(user: User) -> str:
    return f"{USER_LOCK[0]}:{user.id}"


def _checked_code(session: Session, user: User, code: object, check) -> object:
    """Run `check(cleaned code)`; a falsy answer is a wrong code: counted (USER_LOCK), committed
    and refused. A locked user is refused before anything is checked."""
    now = utcnow()
    ident = _user_throttle(user)
    minutes = throttles.minutes_locked(session, ident, now)
    if minutes:
        raise ValidationError("auth.locked", field="code", minutes=minutes)
    result = check(_clean(code))
    if not result:  # a wrong code changed nothing (the checks update only on a match)
        throttles.count_failure(session, ident, now, USER_LOCK[1], USER_LOCK[2])
        session.commit()  # the failure counts even though we raise
        raise ValidationError("two_factor.code_wrong", field="code")
    throttles.clear(session, ident)
    return result


@verb
def status(session: Session, actor: Actor) -> Status:
    user = session.get(User, actor.user_id) if actor is not None else None
    if user is None:
        raise PermissionDenied()
    row = session.get(TwoFactor, user.id)
    enabled = row is not None and row.enabled_at is not None
    return Status(
        enabled=enabled,
        required=_required(session, user),
        may_enrol=user.role in MAY_ENROL,
        recovery_left=_recovery_left(session, user.id) if enabled else 0,
    )


@verb
def start_enrolment(session: Session, actor: Actor) -> Enrolment:
    """A new secret for the signed-in admin or partner user, to scan; not in use until
    confirm_enrolment gets a correct code."""
    return _begin(session, _own_user(session, actor))


@verb
def confirm_enrolment(session: Session, actor: Actor, code: str) -> tuple[str, ...]:
    """The first correct code turns the authenticator on; returns the recovery codes (shown
    once)."""
    user = _own_user(session, actor)
    codes = _checked_code(session, user, code, lambda c: _confirm(session, user, c))
    audit.record(session, actor, "two_factor.enable", "user", user.id, {"enabled": False},
                 {"enabled": True})  # fmt: skip
    return codes


@verb
def regenerate_recovery_codes(session: Session, actor: Actor, code: str) -> tuple[str, ...]:
    """New recovery codes (the old ones stop working); a current authenticator code is asked."""
    user = _own_user(session, actor)
    row = session.get(TwoFactor, user.id)
    if row is None or row.enabled_at is None:
        raise ValidationError("two_factor.not_on")
    _checked_code(session, user, code, lambda c: _accept_totp(session, row, c))
    codes = _new_recovery_codes(session, user.id)
    audit.record(session, actor, "two_factor.recovery_codes", "user", user.id)
    return codes


@verb
def disable_two_factor(session: Session, actor: Actor, code: str) -> None:
    """Turn one's own authenticator off, with a current code; refused when the role requires
    it."""
    user = _own_user(session, actor)
    row = session.get(TwoFactor, user.id)
    if row is None or row.enabled_at is None:
        raise ValidationError("two_factor.not_on")
    if _required(session, user):
        raise ValidationError("two_factor.required_by_role")
    _checked_code(session, user, code, lambda c: _accept_totp(session, row, c))
    _remove(session, user.id)
    audit.record(session, actor, "two_factor.disable", "user", user.id, {"enabled": True},
                 {"enabled": False})  # fmt: skip


def _remove(session: Session, user_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))


# -- what a superadmin (or, for a partner's users, a partners' editor) does ----------------------
@verb
def reset_two_factor(session: Session, actor: Actor, user_id: int) -> None:
    """A lost authenticator: an admins.manage holder removes an admin's authenticator and
    recovery codes and ends their sessions; they enrol again (at their next sign-in when their
    role requires it). Audited with before/after."""
    require(actor, MANAGE)
    user = session.get(User, user_id) if _is_id(user_id) else None
    if user is None or user.role != "admin":
        raise PermissionDenied()
    _reset(session, actor, user)


@verb
def reset_partner_user(session: Session, actor: Actor, partner_id: int, user_id: int) -> None:
    """The same reset from a partner's card (a partner's user who opted in lost both the app and
    the recovery codes): a partners.edit holder, for one of that partner's users only. Both ids
    come from the browser: an admin's, a subscriber's or another partner's user's id is refused
    like an unknown one."""
    require(actor, PARTNERS_EDIT)
    user = session.get(User, user_id) if _is_id(user_id) else None
    if (
        user is None
        or user.role != "partner"
        or not _is_id(partner_id)
        or user.partner_id != partner_id
    ):
        raise PermissionDenied()
    _reset(session, actor, user)


def _reset(session: Session, actor: Actor, user: User) -> None:
    """Remove the user's authenticator and recovery codes and end their sessions; audited
    ("two_factor.reset", before/after). The callers have checked who may."""
    row = session.get(TwoFactor, user.id)
    before = {
        "enabled": bool(row and row.enabled_at),
        "recovery_left": _recovery_left(session, user.id),
    }
    _remove(session, user.id)
    identity.revoke_all_sessions(session, user.id)
    audit.record(session, actor, "two_factor.reset", "user", user.id, before,
                 {"enabled": False, "recovery_left": 0})  # fmt: skip


@verb
def set_role_two_factor(session: Session, actor: Actor, role_id: int, required: bool) -> None:
    """Require (or stop requiring) two-factor sign-in for a role's admins. When it becomes
    required, the sessions of its admins who have no authenticator end: they sign in again and
    enrol. The acting admin, if they hold the role, must have enrolled first (so as not to end
    their own session by surprise). Audited with before/after."""
    require(actor, MANAGE)
    if not isinstance(required, bool):
        raise ValidationError("error.invalid", field="required")
    role = session.get(AdminRole, role_id) if _is_id(role_id) else None
    if role is None:
        raise ValidationError("admins.unknown_role", field="role")
    if role.two_factor_required == required:
        return
    missing = _unenrolled(session, User.admin_role_id == role.id)
    if required and actor.user_id in missing:
        raise ValidationError("two_factor.enrol_yourself_first", field="required")
    role.two_factor_required = required
    if required:
        _end_sessions(session, missing)
    audit.record(session, actor, "role.two_factor", "admin_role", role.id,
                 {"two_factor_required": not required},
                 {"two_factor_required": required})  # fmt: skip


def _unenrolled(session: Session, where) -> list[int]:
    """Ids of the admins matching `where` who have no authenticator turned on."""
    enabled = (TwoFactor.user_id == User.id) & TwoFactor.enabled_at.is_not(None)
    return list(
        session.execute(
            select(User.id)
            .outerjoin(TwoFactor, enabled)
            .where(where, User.role == "admin", TwoFactor.user_id.is_(None))
        ).scalars()
    )


def _end_sessions(session: Session, user_ids: list[int]) -> None:
    if user_ids:
        session.execute(
            update(AuthSession)
            .where(AuthSession.user_id.in_(user_ids), AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


@verb
def role_assigned(session: Session, actor: Actor, user_id: int, role_id: int) -> None:
    """For admins.assign_role, in its unit of work: an admin moved to a role that requires
    two-factor sign-in and who has no authenticator loses their sessions (they sign in again
    and enrol); the acting admin is refused that for themselves instead."""
    role = session.get(AdminRole, role_id)
    if role is None or not role.two_factor_required:
        return
    if not _unenrolled(session, User.id == user_id):
        return
    if user_id == actor.user_id:
        raise ValidationError("two_factor.enrol_yourself_first", field="role")
    _end_sessions(session, [user_id])


@verb
def role_requires(session: Session, actor: Actor, role_id: int) -> bool:
    require(actor, VIEW)
    role = session.get(AdminRole, role_id) if _is_id(role_id) else None
    return bool(role and role.two_factor_required)


@verb
def admin_has_two_factor(session: Session, actor: Actor, user_id: int) -> bool:
    require(actor, VIEW)
    row = session.get(TwoFactor, user_id) if _is_id(user_id) else None
    return row is not None and row.enabled_at is not None


# -- sign-in ----------------------------------------------------------------------------------
@verb
def begin_sign_in(
    session: Session,
    login: str,
    password: str,
    user_agent: str = "",
    previous_token: str = "",
    ip: str = "",
    device_id: str = "",
) -> SignInStep:
    """The sign-in page's password step: a session for a user without two-factor sign-in
    (identity.sign_in's rules), else the challenge of the second step."""
    user, identifier = identity.check_password(session, login, password, ip)
    kind = identity.second_step(session, user)
    if not kind:
        token = identity.complete_sign_in(
            session, user, identifier, user_agent, previous_token, ip=ip, device_id=device_id
        )
        return SignInStep(token=token, actor=identity.actor_for(session, user))
    if not identity.valid_device_id(device_id):
        raise AuthError("two_factor.challenge_invalid")
    # the user's spent and expired challenges go (the table holds only live ones, a few a user)
    session.execute(
        delete(SignInChallenge).where(
            SignInChallenge.user_id == user.id,
            (SignInChallenge.expires_at <= utcnow()) | SignInChallenge.used_at.is_not(None),
        )
    )
    challenge = identity.new_token()
    minutes = CHALLENGE_MINUTES if kind == "code" else ENROL_MINUTES
    session.add(
        SignInChallenge(
            user_id=user.id,
            token_hash=identity.hash_token(challenge),
            device_hash=identity.hash_token(device_id),
            identifier=identifier,
            kind=kind,
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return SignInStep(challenge=challenge, kind=kind)


def _live_challenge(session: Session, challenge: object, device_id: object) -> SignInChallenge:
    """The challenge behind the token if it is alive and this browser's; otherwise one and the
    same refusal (unknown, expired, used, void, another browser's)."""
    row = None
    if isinstance(challenge, str) and 0 < len(challenge) <= 200:
        row = session.execute(
            select(SignInChallenge).where(
                SignInChallenge.token_hash == identity.hash_token(challenge)
            )
        ).scalar_one_or_none()
    if (
        row is None
        or row.used_at is not None
        or row.expires_at <= utcnow()
        or not identity.valid_device_id(device_id)
        or not hmac.compare_digest(row.device_hash, identity.hash_token(device_id))
    ):
        raise AuthError("two_factor.challenge_invalid")
    return row


def _challenge_user(session: Session, row: SignInChallenge) -> User:
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or not identity._partner_active(session, user):
        raise AuthError("auth.account_disabled")
    return user


@verb
def challenge_enrolment(session: Session, challenge: str, device_id: str) -> Enrolment:
    """The enrolment a sign-in leads to when the admin's role requires an authenticator."""
    row = _live_challenge(session, challenge, device_id)
    if row.kind != "enrol":
        raise AuthError("two_factor.challenge_invalid")
    return _begin(session, _challenge_user(session, row))


@verb
def finish_sign_in(
    session: Session,
    challenge: str,
    device_id: str,
    code: str,
    user_agent: str = "",
    previous_token: str = "",
    ip: str = "",
) -> SignedIn:
    """The second step: the authenticator's code (or a recovery code; at an enrolment, the new
    authenticator's first code) opens the session."""
    rate_limits.check(session, "sign_in.ip", ip)
    row = _live_challenge(session, challenge, device_id)
    user = _challenge_user(session, row)
    now = utcnow()
    minutes = throttles.minutes_locked(session, row.identifier, now)
    if minutes:
        raise AuthError("auth.locked", minutes=minutes)
    typed = _clean(code)
    codes: tuple[str, ...] = ()
    left = -1
    if row.kind == "enrol":
        codes = _confirm(session, user, typed)
        ok = bool(codes)
    else:
        factor = session.get(TwoFactor, user.id)
        ok = factor is not None and factor.enabled_at is not None
        if ok and _is_totp(typed):
            ok = _accept_totp(session, factor, typed)
        elif ok:
            ok = _accept_recovery(session, user.id, typed)
            left = _recovery_left(session, user.id) if ok else -1
    if not ok:
        _count_wrong(session, row.id, row.identifier, ip, now)
        session.commit()  # the failure counts even though we raise
        raise AuthError("two_factor.code_wrong")
    taken = session.execute(
        update(SignInChallenge)
        .where(SignInChallenge.id == row.id, SignInChallenge.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if taken != 1:  # the same challenge finished by a parallel request
        raise AuthError("two_factor.challenge_invalid")
    token = identity.complete_sign_in(
        session, user, row.identifier, user_agent, previous_token, ip=ip, device_id=device_id
    )
    if row.kind == "enrol":
        audit.record(session, None, "two_factor.enable", "user", user.id, {"enabled": False},
                     {"enabled": True})  # fmt: skip
    return SignedIn(token, identity.actor_for(session, user), codes, left)


def _count_wrong(session: Session, challenge_id: int, identifier: str, ip: str, now) -> None:
    """A wrong code: one more attempt on the challenge (void at MAX_ATTEMPTS), one more failure
    of the login (its lock), one more from the address."""
    session.execute(
        update(SignInChallenge)
        .where(SignInChallenge.id == challenge_id)
        .values(attempts=SignInChallenge.attempts + 1)
    )
    session.execute(
        update(SignInChallenge)
        .where(SignInChallenge.id == challenge_id, SignInChallenge.attempts >= MAX_ATTEMPTS)
        .values(used_at=now)
    )
    throttles.count_failure(session, identifier, now, identity.MAX_FAILURES, identity.LOCK_MINUTES)
    rate_limits.count(session, "sign_in.ip", ip)
