"""Registration, sign-in with throttling, server-side sessions, password change and reset."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, update
from sqlmodel import Session, select

from paysim_app.accounts import consent, verification
from paysim_app.accounts.passwords import (
    check_strength,
    dummy_verify,
    hash_password,
    unusable_hash,
    verify_password,
)
from paysim_app.accounts.user_agents import short_user_agent
from paysim_app.core import audit, bulk, rate_limits, throttles
from paysim_app.core.errors import AuthError, PermissionDenied, ValidationError
from paysim_app.core.logins import parse_login
from paysim_app.core.notify import notify_user
from paysim_app.core.outbox import SECRET, queue_email, queue_sms
from paysim_app.core.permissions import Actor, load_permissions, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_time
from paysim_app.models import (
    AdminRole,
    AuthSession,
    KnownBrowser,
    Partner,
    PasswordResetToken,
    Subscriber,
    TwoFactor,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.accounts")

MAX_FAILURES = 5
LOCK_MINUTES = 15
SEEN_EVERY = timedelta(minutes=5)  # how often last_seen_at is refreshed (saves a write per event)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _find_user(session: Session, kind: str, value: str) -> User | None:
    column = User.email if kind == "email" else User.phone
    return session.exec(select(User).where(column == value)).first()


_LOOK_UP = object()  # actor_for: the subscriber's contract is not known yet


@verb
def actor_for(session: Session, user: User, subscriber_id: object = _LOOK_UP) -> Actor:
    """The actor of a user (subscriber_id: their contract's id when the caller has it)."""
    if subscriber_id is _LOOK_UP:
        subscriber_id = None
        if user.role == "subscriber":
            subscriber_id = session.exec(
                select(Subscriber.id).where(Subscriber.user_id == user.id)
            ).first()
    return Actor(
        user_id=user.id,
        role=user.role,
        full_name=user.full_name,
        login=user.email or user.phone or "",
        locale=user.locale,
        subscriber_id=subscriber_id,
        partner_id=user.partner_id,
        permissions=load_permissions(session, user.admin_role_id),
        consent_due=user.role == "subscriber" and consent.consent_due(session, user.id),
    )


@verb
def next_contract_no(session: Session) -> str:
    last = session.exec(select(func.max(Subscriber.id))).one() or 0
    return f"PS-{last + 1:07d}"


@verb
def add_user_without_password(
    session: Session,
    role: str,
    full_name: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    partner_id: int | None = None,
) -> User:
    """A new account (flushed, so it has its id) whose owner sets the password through a link
    (send_reset_link): until then no password works, the stored hash being of a secret nobody
    knows. The caller has checked the login and the rest."""
    user = User(
        email=email,
        phone=phone,
        password_hash=unusable_hash(),
        role=role,
        full_name=full_name,
        partner_id=partner_id,
    )
    session.add(user)
    session.flush()
    return user


def _new_subscriber(
    session: Session,
    kind: str,
    value: str,
    password_hash: str,
    full_name: str,
    locale: str,
) -> User:
    """The user and their contract (no SIMs yet). A phone login is recorded as proven: every
    caller has proven it (a code) or is trusted (the demo seed, tests)."""
    user = User(
        email=value if kind == "email" else None,
        phone=value if kind == "phone" else None,
        phone_verified_at=utcnow() if kind == "phone" else None,
        password_hash=password_hash,
        role="subscriber",
        full_name=full_name,
        locale=locale if locale in ("ru", "en") else "ru",
    )
    session.add(user)
    session.flush()
    sub = Subscriber(
        contract_no=next_contract_no(session),
        user_id=user.id,
        full_name=full_name,
        email=value if kind == "email" else "",
        phone=value if kind == "phone" else "",
    )
    session.add(sub)
    session.flush()
    return user


def _registration_form(
    session: Session, login: str, password: str, full_name: str, ip: str
) -> tuple[str, str, str]:
    """(kind, value, name) of a registration form, checked; counts the address's attempt."""
    rate_limits.hit(session, "register.ip", ip)
    kind, value = parse_login(login)
    check_strength(password)
    if _find_user(session, kind, value) is not None:
        raise ValidationError("auth.login_taken", field="login")
    return kind, value, (full_name or "").strip()[:200]


@verb
def register_subscriber(
    session: Session,
    login: str,
    password: str,
    full_name: str = "",
    locale: str = "ru",
    ip: str = "",
    *,
    consent: bool = False,
) -> Actor:
    """A new contract holder at once, with no SIMs yet; they add SIMs by ICCID and activation
    code. For trusted callers (the demo seed, tests): a visitor registers through
    start_registration, which proves a phone by a code first. Registrations from one address
    are limited (rate_limits "register.ip"). `consent`: the person accepted the current legal
    texts (recorded as given at registration); without it they are asked at sign-in."""
    kind, value, full_name = _registration_form(session, login, password, full_name, ip)
    user = _new_subscriber(session, kind, value, hash_password(password), full_name, locale)
    if consent:
        _record_registration(session, user, ip, "")
    return actor_for(session, user)


def _record_registration(session: Session, user: User, ip: str, user_agent: str) -> None:
    subscriber_id = session.exec(select(Subscriber.id).where(Subscriber.user_id == user.id)).first()
    consent.record_consents(
        session,
        personal_data=True,
        terms=True,
        source="registration",
        user_id=user.id,
        subscriber_id=subscriber_id,
        ip=ip,
        user_agent=user_agent,
    )


@verb
def sign_in(
    session: Session,
    login: str,
    password: str,
    user_agent: str = "",
    previous_token: str = "",
    ip: str = "",
    device_id: str = "",
) -> tuple[str, Actor]:
    """Check the password and open a new session; returns (token, actor).

    The answer is the same whether the account exists or not; after MAX_FAILURES wrong passwords
    for one login the login is locked for LOCK_MINUTES, even for the right password. Wrong
    passwords from one address, whatever the logins, are limited too ("sign_in.ip").

    A user with two-factor sign-in (enrolled, or whose admin role requires it) is never signed
    in here: the password alone opens no session (AuthError "two_factor.needed"); the sign-in
    page goes through accounts.two_factor.begin_sign_in, which hands out the second step.
    `device_id` is the browser's long-lived id (see note_browser); "" for callers that are no
    browser.
    """
    user, identifier = check_password(session, login, password, ip)
    if second_step(session, user):
        raise AuthError("two_factor.needed")
    token = complete_sign_in(
        session, user, identifier, user_agent, previous_token, ip=ip, device_id=device_id
    )
    return token, actor_for(session, user)


@verb
def check_password(session: Session, login: str, password: str, ip: str = "") -> tuple[User, str]:
    """The first step of every sign-in: (the user, the login's throttle identifier) when the
    password is right and the account may sign in; AuthError otherwise (a wrong password counts
    against the login and the address, committed even though it raises)."""
    rate_limits.check(session, "sign_in.ip", ip)
    try:
        kind, value = parse_login(login)
    except ValidationError:
        raise AuthError("auth.invalid_credentials") from None
    now = utcnow()
    identifier = f"{kind}:{value}"
    minutes = throttles.minutes_locked(session, identifier, now)
    if minutes:
        raise AuthError("auth.locked", minutes=minutes)
    user = _find_user(session, kind, value)
    ok = (
        verify_password(password, user.password_hash)
        if user
        else (dummy_verify(password), False)[1]
    )
    if not ok:
        throttles.count_failure(session, identifier, now, MAX_FAILURES, LOCK_MINUTES)
        rate_limits.count(session, "sign_in.ip", ip)
        session.commit()  # the failure counts even though we raise
        raise AuthError("auth.invalid_credentials")
    if not user.is_active or not _partner_active(session, user):
        raise AuthError("auth.account_disabled")
    return user, identifier


@verb
def second_step(session: Session, user: User) -> str:
    """What a sign-in of this user needs after the password: "" (nothing), "code" (their
    authenticator's code or a recovery code) or "enrol" (their admin role requires two-factor
    sign-in and they have no authenticator yet)."""
    row = session.get(TwoFactor, user.id)
    if row is not None and row.enabled_at is not None:
        return "code"
    if user.role == "admin" and user.admin_role_id is not None:
        role = session.get(AdminRole, user.admin_role_id)
        if role is not None and role.two_factor_required:
            return "enrol"
    return ""


@verb
def complete_sign_in(
    session: Session,
    user: User,
    identifier: str,
    user_agent: str = "",
    previous_token: str = "",
    *,
    ip: str = "",
    device_id: str = "",
) -> str:
    """The sign-in is proven (password, and the second step where one is owed): forget the
    login's failures, end the tab's previous session, open the new one; tell the user when it
    comes from a browser they have not signed in from before. Returns the session's token."""
    now = utcnow()
    throttles.clear(session, identifier)
    if previous_token:
        _revoke_token(session, previous_token)
    first_ever = user.last_login_at is None
    user.last_login_at = now
    token = _open_session(session, user, user_agent)
    note_browser(session, user, device_id, user_agent, ip, first_ever=first_ever)
    return token


DEVICE_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def valid_device_id(device_id: object) -> bool:
    """A device id as new_token() makes them (the browser may send anything)."""
    return (
        isinstance(device_id, str)
        and 32 <= len(device_id) <= 64
        and set(device_id) <= DEVICE_ID_CHARS
    )


@verb
def note_browser(
    session: Session,
    user: User,
    device_id: str,
    user_agent: str,
    ip: str,
    *,
    first_ever: bool = False,
) -> bool:
    """Remember the browser a sign-in came from; notify the user ("new_sign_in", a security
    kind that cannot be switched off) when they have not signed in from it before. True when
    the notice went out.

    How a browser is recognised: the sign-in page keeps a random id of 32 bytes in the
    browser's localStorage (`paysim_device`, made by the server when the browser has none or an
    invalid one) and sends it with every sign-in; we keep only its SHA-256 per user
    (known_browser). The id is unguessable, so an intruder who has the password cannot pass
    for a browser the user has used, whatever user agent they claim; clearing the storage or a
    private window only costs the user one more notice. The user agent is not the key (many
    people share one, and it is the intruder's to choose); it is only what the notice names.
    No notice for the account's very first sign-in (there is nothing it could be new against)
    nor for callers that are no browser (`device_id` "": the CLI, tests, registration)."""
    if not valid_device_id(device_id):
        return False
    now = utcnow()
    digest = hash_token(device_id)
    known = session.exec(
        select(KnownBrowser).where(
            KnownBrowser.user_id == user.id, KnownBrowser.device_hash == digest
        )
    ).first()
    if known is not None:
        known.last_seen_at = now
        known.user_agent = (user_agent or "")[:300]
        return False
    session.execute(
        bulk.dialect_insert(session, KnownBrowser.__table__)
        .values(
            user_id=user.id,
            device_hash=digest,
            user_agent=(user_agent or "")[:300],
            first_seen_at=now,
            last_seen_at=now,
        )
        .on_conflict_do_nothing()
    )
    if first_ever:
        return False

    notify_user(
        session,
        user.id,
        "new_sign_in",
        {
            "browser": short_user_agent(user_agent) or "?",
            "when": moscow_time(now),
            "ip": (ip or "?")[:64],
        },
    )
    return True


@verb
def register_and_sign_in(
    session: Session,
    login: str,
    password: str,
    full_name: str = "",
    locale: str = "ru",
    user_agent: str = "",
    ip: str = "",
    *,
    personal_data: bool = False,
    terms: bool = False,
) -> tuple[str, Actor]:
    """An e-mail registration: the new subscriber and their first session in one unit of work
    (no account without the session that signs it in); returns (token, actor). A phone login
    is refused here: it must be proven by a code first (start_registration). Both consents
    (personal data, the terms) must be given (accounts.consent)."""
    kind, value, full_name = _registration_form(session, login, password, full_name, ip)
    if kind == "phone":
        raise ValidationError("verification.phone_needs_code", field="login")
    consent.require_ticks(personal_data, terms)
    user = _new_subscriber(session, kind, value, hash_password(password), full_name, locale)
    _record_registration(session, user, ip, user_agent)
    return sign_in(session, login, password, user_agent=user_agent)


@dataclass(frozen=True)
class Registration:
    """What the registration form came to: signed in (an e-mail login: token and actor), or a
    code sent to the phone (`sent`), the account waiting for it."""

    token: str = ""
    actor: Actor | None = None
    sent: verification.CodeSent | None = None


@verb
def start_registration(
    session: Session,
    login: str,
    password: str,
    full_name: str = "",
    locale: str = "ru",
    user_agent: str = "",
    ip: str = "",
    *,
    personal_data: bool = False,
    terms: bool = False,
) -> Registration:
    """The registration page. An e-mail login is registered and signed in at once, as before.
    A phone login creates nothing yet: the password's hash, the name and the language wait
    with a code sent to the phone (accounts.verification), and finish_registration creates
    the account when the code is entered, so an unproven phone never has a usable account.
    Both consents (personal data, the terms) must be ticked; they are recorded with the
    account (for a phone, when the code is entered, with the address and browser of the form)."""
    kind, value, name = _registration_form(session, login, password, full_name, ip)
    consent.require_ticks(personal_data, terms)
    if kind == "email":
        user = _new_subscriber(session, kind, value, hash_password(password), name, locale)
        _record_registration(session, user, ip, user_agent)
        token, actor = sign_in(session, login, password, user_agent=user_agent)
        return Registration(token=token, actor=actor)
    loc = locale if locale in ("ru", "en") else "ru"
    pending = json.dumps(
        {
            "password_hash": hash_password(password),
            "name": name,
            "locale": loc,
            "consent": {"ip": (ip or "")[:64], "ua": short_user_agent(user_agent)},
        }
    )
    sent = verification.send_code(session, "register", value, locale=loc, ip=ip, pending=pending)
    return Registration(sent=sent)


def _code_phone(phone: object) -> str:
    """The phone a code step is for (kept server-side by the page; checked all the same)."""
    try:
        kind, value = parse_login(phone if isinstance(phone, str) else "")
    except ValidationError:
        kind, value = "", ""
    if kind != "phone":
        raise ValidationError("verification.no_code", field="code")
    return value


@verb
def resend_registration_code(session: Session, phone: str, ip: str = "") -> verification.CodeSent:
    """A new code for a registration still waiting (same form data), once RESEND_SECONDS have
    passed since the last one and within the limits."""
    value = _code_phone(phone)
    row = verification.latest(session, "register", value)
    if row is None or row.used_at is not None or not row.pending:
        raise ValidationError("verification.no_code", field="code")
    if _find_user(session, "phone", value) is not None:
        raise ValidationError("auth.login_taken", field="code")
    loc = json.loads(row.pending).get("locale", "ru")
    return verification.send_code(
        session, "register", value, locale=loc, ip=ip, pending=row.pending
    )


@verb
def finish_registration(
    session: Session, phone: str, code: str, user_agent: str = ""
) -> tuple[str, Actor]:
    """The code from the SMS: the user, their contract and their first session in one unit of
    work; returns (token, actor). Wrong, expired, spent or reused codes are refused (see
    verification.use_code); two right submissions at once make one account."""
    value = _code_phone(phone)
    row = verification.use_code(session, "register", value, code)
    if _find_user(session, "phone", value) is not None:
        raise ValidationError("auth.login_taken", field="code")
    data = json.loads(row.pending or "{}")
    row.pending = ""  # the password's hash is the user's now, not the code's
    user = _new_subscriber(
        session, "phone", value, data["password_hash"], data.get("name", ""), data.get("locale")
    )
    given = data.get("consent")
    if isinstance(given, dict):  # ticked on the form (codes sent before consents asked: not)
        _record_registration(session, user, str(given.get("ip", "")), str(given.get("ua", "")))
    user.last_login_at = utcnow()
    token = _open_session(session, user, user_agent)
    return token, actor_for(session, user)


def _open_session(session: Session, user: User, user_agent: str = "") -> str:
    token = new_token()
    session.add(
        AuthSession(
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + session_lifetime(user.role),
            user_agent=(user_agent or "")[:300],
        )
    )
    session.flush()
    return token


def session_lifetime(role: str) -> timedelta:
    settings = get_settings()
    if role == "admin":
        return timedelta(hours=settings.paysim_staff_session_hours)
    return timedelta(days=settings.paysim_session_days)


def idle_limit(role: str) -> timedelta:
    """How long a sign-in lives without an event (last_seen_at moves every SEEN_EVERY)."""
    settings = get_settings()
    if role == "admin":
        return timedelta(minutes=settings.paysim_staff_idle_minutes)
    return timedelta(days=settings.paysim_idle_days)


def _revoke_token(session: Session, token: str) -> None:
    session.exec(
        update(AuthSession)
        .where(AuthSession.token_hash == hash_token(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


@verb
def revoke_all_sessions(session: Session, user_id: int) -> None:
    session.exec(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


@verb
def resolve_session(session: Session, token: str | None) -> Actor | None:
    """The actor behind a browser's token, or None if it is unknown, expired or revoked."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    return _live_actor(session, AuthSession.token_hash == hash_token(token))


def _partner_active(session: Session, user: User) -> bool:
    if user.partner_id is None:
        return True
    partner = session.get(Partner, user.partner_id)
    return partner is not None and partner.is_active


def _live_actor(session: Session, which) -> Actor | None:
    """The actor of the session `which` picks (a condition on AuthSession) if it is still alive:
    not revoked, not past its lifetime nor idle for too long, its user enabled and, for a
    dealer's user, the dealer active. Checked on every event (the door), so a change bites at the
    user's next click: the session, its user, the dealer and the contract in one statement
    (bench/door_check.py: 3-5 statements before)."""
    found = session.exec(
        select(AuthSession, User, Partner.is_active, Subscriber.id)
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Partner, Partner.id == User.partner_id)
        .outerjoin(Subscriber, and_(Subscriber.user_id == User.id, User.role == "subscriber"))
        .where(which)  # one session at most; a user has one contract at most
    ).first()
    if found is None:
        return None
    row, user, partner_active, subscriber_id = found
    now = utcnow()
    if row.revoked_at is not None or row.expires_at <= now or not user.is_active:
        return None
    if now - row.last_seen_at > idle_limit(user.role):
        return None
    if user.partner_id is not None and not partner_active:
        return None
    if now - row.last_seen_at > SEEN_EVERY:
        row.last_seen_at = now
    return actor_for(session, user, subscriber_id)


@verb
def session_id_of(session: Session, token: str | None) -> int | None:
    """The id of a live session behind a browser's token (links signed for that session)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = session.exec(
        select(AuthSession).where(AuthSession.token_hash == hash_token(token))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row.id


@verb
def actor_of_session_id(session: Session, session_id: object) -> Actor | None:
    """The actor of a live session by its id (for signed links); None if it ended."""
    if not isinstance(session_id, int) or isinstance(session_id, bool):
        return None
    return _live_actor(session, AuthSession.id == session_id)


@verb
def sign_out(session: Session, token: str | None) -> None:
    if token:
        _revoke_token(session, token)


@verb
def change_password(
    session: Session, actor: Actor, current: str, new: str, user_agent: str = ""
) -> str:
    """Every session of the user dies; the caller's browser gets the returned fresh token.
    Wrong current passwords are limited per user ("password.user"), so a session left open
    cannot be used to guess the password."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise PermissionDenied()
    rate_limits.check(session, "password.user", user.id)
    if not verify_password(current, user.password_hash):
        rate_limits.count(session, "password.user", user.id)
        session.commit()  # the failure counts even though we raise
        raise ValidationError("auth.current_password_wrong", field="current")
    check_strength(new, field="new")
    if verify_password(new, user.password_hash):
        raise ValidationError("auth.password_same", field="new")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    notify_user(session, user.id, "password_changed", {})  # a security notice: always sent
    revoke_all_sessions(session, user.id)
    return _open_session(session, user, user_agent)


@dataclass(frozen=True)
class ResetSent:
    """What the forgotten-password form tells, the same whether the account exists or not:
    a link went to an e-mail, or a code to a phone (`sent`: its times)."""

    kind: str  # "email" | "phone"
    sent: verification.CodeSent | None = None


@verb
def request_password_reset(
    session: Session, login: str, base_url: str | None = None, ip: str = ""
) -> ResetSent:
    """Mail a one-time link (an e-mail login) or text a code (a phone login) if such an active
    account exists; answers the same either way (a phone without an account gets a code row
    that nothing matches and no SMS, so the resend timer and the limits answer alike).
    Requests are limited per address and per login (counted whether the account exists or
    not, so the limit tells nothing either)."""
    rate_limits.hit(session, "reset.ip", ip)
    try:
        kind, value = parse_login(login)
    except ValidationError:
        return ResetSent("email")
    user = _find_user(session, kind, value)
    usable = user is not None and user.is_active
    if kind == "phone":
        sent = verification.send_code(
            session,
            "reset",
            value,
            locale=user.locale if usable else "ru",
            ip=ip,
            user_id=user.id if usable else None,
            deliver=usable,
        )
        rate_limits.hit(session, "reset.login", f"{kind}:{value}")
        return ResetSent("phone", sent)
    rate_limits.hit(session, "reset.login", f"{kind}:{value}")
    if usable:
        send_reset_link(session, user, base_url)
    return ResetSent("email")


@verb
def resend_reset_code(session: Session, phone: str, ip: str = "") -> ResetSent:
    """'Send the code again' on the reset page: request_password_reset for that phone."""
    return request_password_reset(session, _code_phone(phone), ip=ip)


@verb
def reset_password_by_code(session: Session, phone: str, code: str, new: str) -> None:
    """A phone account's new password by the code texted to it: the password is checked first
    (a weak one spends nothing), then the code; every session ends, the sign-in lock lifts and
    the phone counts as proven."""
    value = _code_phone(phone)
    check_strength(new, field="password")
    row = verification.use_code(session, "reset", value, code)
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.is_active or user.phone != value:
        raise ValidationError("verification.no_code", field="code")
    _set_new_password(session, user, new, utcnow())
    user.phone_verified_at = user.phone_verified_at or utcnow()


@verb
def queue_to_login(
    session: Session, user: User, subject: str, body: str, kind: str, secret: str, sms: str
) -> None:
    """A message with a secret link to the user's login itself (never to a contact an admin
    may edit): the e-mail (`subject`, `body`), or for a phone login the SMS `sms` of kind
    sms_<kind>."""
    if user.email:
        queue_email(
            session, user.email, subject, body, kind, secret, user_id=user.id, locale=user.locale
        )
    elif user.phone:
        queue_sms(
            session, user.phone, sms, f"sms_{kind}", secret, user_id=user.id, locale=user.locale
        )


@verb
def send_reset_link(session: Session, user: User, base_url: str | None = None) -> str:
    """A one-time link to /reset: by e-mail, or by SMS for a phone login (a dealer's customer
    setting their first password, an admin's reset for a phone account)."""
    settings = get_settings()
    token = new_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(minutes=settings.paysim_reset_minutes),
        )
    )
    link = f"{(base_url or settings.paysim_public_url).rstrip('/')}/reset?token={SECRET}"
    minutes = settings.paysim_reset_minutes
    loc = user.locale if user.locale in ("ru", "en") else "ru"  # the owner's own language
    queue_to_login(
        session,
        user,
        t("mail.password_reset.subject", loc),
        t("mail.password_reset.body", loc, link=link, minutes=minutes),
        "password_reset",
        token,
        t("verification.sms.reset_link", loc, link=link, minutes=minutes),
    )
    return token


@verb
def reset_password(session: Session, token: str, new: str) -> None:
    row = None
    if token and isinstance(token, str) and len(token) <= 200:
        row = session.exec(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
        ).first()
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ValidationError("auth.reset_invalid", field="token")
    check_strength(new, field="password")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ValidationError("auth.reset_invalid", field="token")
    row.used_at = now
    _set_new_password(session, user, new, now)
    if not user.email and user.phone:  # the link went by SMS: the phone is proven
        user.phone_verified_at = user.phone_verified_at or now


def _set_new_password(session: Session, user: User, new: str, now) -> None:
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    notify_user(session, user.id, "password_changed", {})  # a security notice: always sent
    revoke_all_sessions(session, user.id)
    # a reset also lifts the sign-in lock of that login
    for ident in filter(
        None, (user.email and f"email:{user.email}", user.phone and f"phone:{user.phone}")
    ):
        throttles.clear(session, ident)


@verb
def set_user_active(session: Session, actor: Actor, user_id: int, active: bool) -> None:
    """Disable or re-enable an account; disabling ends all its sessions at once."""
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise PermissionDenied()
    permission = {"admin": "admins.manage", "partner": "partners.edit"}.get(
        user.role, "subscribers.edit"
    )
    require(actor, permission)
    if user.id == actor.user_id and not active:
        raise ValidationError("admins.cannot_disable_self")
    before = {"is_active": user.is_active}
    user.is_active = active
    if not active:
        revoke_all_sessions(session, user.id)
    audit.record(session, actor, "user.set_active", "user", user.id, before, {"is_active": active})


@verb
def set_locale(session: Session, actor: Actor, locale: str) -> None:
    if locale not in ("ru", "en"):
        raise ValidationError("error.invalid", field="locale")
    user = session.get(User, actor.user_id)
    if user is not None:
        user.locale = locale


@verb
def create_admin(
    session: Session, email: str, password: str, role_name: str, full_name: str = ""
) -> User:
    """For the CLI and the demo seed: an admin with a built-in role (created when missing)."""
    from paysim_app.accounts.roles import ensure_builtin_roles

    kind, value = parse_login(email, field="email")
    if kind != "email":
        raise ValidationError("auth.login_invalid", field="email")
    check_strength(password)
    if _find_user(session, kind, value) is not None:
        raise ValidationError("auth.login_taken", field="email")
    roles = ensure_builtin_roles(session)
    if role_name not in roles:
        raise ValidationError("admins.unknown_role", field="role")
    user = User(
        email=value,
        password_hash=hash_password(password),
        role="admin",
        full_name=full_name,
        admin_role_id=roles[role_name].id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, None, "admin.create", "user", user.id, None, {"email": value, "role": role_name}
    )
    return user
