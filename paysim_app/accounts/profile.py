"""The signed-in user's own profile: personal data of the contract, e-mail preferences per
notification kind, and the browsers signed in to the account (sign one or all of them out).

The login itself (e-mail or phone used to sign in) does not change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from paysim_app.accounts.identity import hash_token
from paysim_app.accounts.user_agents import short_user_agent
from paysim_app.core import audit
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.logins import normalise_email, normalise_phone
from paysim_app.core.permissions import Actor, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.models import AuthSession, Subscriber, User
from paysim_app.models.base import utcnow

NAME_MAX = 200
ADDRESS_MAX = 300
SESSIONS_SHOWN = 50


# --------------------------------------------------------------------------- personal data


@dataclass(frozen=True)
class Profile:
    login: str
    contract_no: str
    full_name: str
    email: str
    phone: str  # E.164 or ""
    address: str
    locale: str


def _user(session: Session, actor: Actor | None) -> User:
    if actor is None:
        raise PermissionDenied()
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise PermissionDenied()
    return user


def _subscriber(session: Session, actor: Actor) -> Subscriber:
    require_role(actor, "subscriber")
    sub = session.exec(select(Subscriber).where(Subscriber.user_id == actor.user_id)).first()
    if sub is None:
        raise PermissionDenied()
    return sub


@verb
def get_profile(session: Session, actor: Actor | None) -> Profile:
    user = _user(session, actor)
    sub = _subscriber(session, actor)
    return Profile(
        login=user.email or user.phone or "",
        contract_no=sub.contract_no,
        full_name=sub.full_name or user.full_name,
        email=sub.email,
        phone=sub.phone,
        address=sub.address,
        locale=user.locale,
    )


@verb
def update_profile(
    session: Session,
    actor: Actor | None,
    full_name: str,
    email: str,
    phone: str,
    address: str,
) -> Profile:
    """Check every field first (a ValidationError names the first bad one, nothing changes),
    then write the contract's data and the account's display name."""
    user = _user(session, actor)
    sub = _subscriber(session, actor)
    full_name = " ".join(str(full_name or "").split())
    if not full_name:
        raise ValidationError("profile.error.name_required", field="full_name")
    if len(full_name) > NAME_MAX:
        raise ValidationError("profile.error.too_long", field="full_name", max=NAME_MAX)
    email = str(email or "").strip()
    if email:
        normalised = normalise_email(email) if len(email) <= 254 else None
        if normalised is None:
            raise ValidationError("profile.error.email", field="email")
        email = normalised
    phone = str(phone or "").strip()
    if phone:
        normalised = normalise_phone(phone) if len(phone) <= 40 else None
        if normalised is None:
            raise ValidationError("profile.error.phone", field="phone")
        phone = normalised
    address = str(address or "").strip()
    if len(address) > ADDRESS_MAX:
        raise ValidationError("profile.error.too_long", field="address", max=ADDRESS_MAX)
    before = {
        "full_name": sub.full_name,
        "email": sub.email,
        "phone": sub.phone,
        "address": sub.address,
    }
    after = {"full_name": full_name, "email": email, "phone": phone, "address": address}
    if before != after:
        sub.full_name, sub.email, sub.phone, sub.address = full_name, email, phone, address
        user.full_name = full_name
        audit.record(session, actor, "profile.update", "subscriber", sub.id, before, after)
    session.flush()
    return get_profile(session, actor)


# --------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionRow:
    id: int
    created_at: datetime
    last_seen_at: datetime
    device: str  # the user agent, shortened to "Browser · OS"
    is_current: bool


def _live(actor: Actor):
    return (
        AuthSession.user_id == actor.user_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > utcnow(),
    )


@verb
def list_sessions(session: Session, actor: Actor | None, current_token: str) -> list[SessionRow]:
    """The user's unrevoked, unexpired sessions: this browser first, then the latest seen."""
    _user(session, actor)
    current = hash_token(current_token) if isinstance(current_token, str) and current_token else ""
    rows = session.exec(
        select(AuthSession)
        .where(*_live(actor))
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc())
        .limit(SESSIONS_SHOWN)
    ).all()
    out = [
        SessionRow(
            r.id,
            r.created_at,
            r.last_seen_at,
            short_user_agent(r.user_agent),
            r.token_hash == current,
        )
        for r in rows
    ]
    return sorted(out, key=lambda r: not r.is_current)  # stable: keeps the rest in order


@verb
def sign_out_everywhere(
    session: Session, actor: Actor | None, current_token: str, keep_current: bool = True
) -> int:
    """End the user's sessions (all but this browser's when keep_current); returns how many."""
    _user(session, actor)
    query = update(AuthSession).where(
        AuthSession.user_id == actor.user_id, AuthSession.revoked_at.is_(None)
    )
    if keep_current and isinstance(current_token, str) and current_token:
        query = query.where(AuthSession.token_hash != hash_token(current_token))
    result = session.exec(query.values(revoked_at=utcnow()))
    return result.rowcount or 0


@verb
def revoke_session(session: Session, actor: Actor | None, session_id: int) -> None:
    """Sign one of the user's own browsers out; someone else's session id is refused."""
    _user(session, actor)
    row = session.get(AuthSession, session_id) if isinstance(session_id, int) else None
    if row is None or row.user_id != actor.user_id:
        raise PermissionDenied()
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()
