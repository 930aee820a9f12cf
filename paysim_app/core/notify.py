"""Notifications: an in-app message and, when the user has an e-mail, the same by e-mail.

Texts come from the catalogues in the recipient's language (`notify.<kind>.title/.body`);
amounts in params are kopecks (`*_kop` params are formatted as roubles here). A `dedup_key`
makes a warning reach a user once, whoever asks for it how many times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from paysim_app.core import bulk, outbox
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.i18n.formats import day, money, phone
from paysim_app.models import Notification, Sim, Subscriber, User
from paysim_app.models.base import utcnow

_N = Notification.__table__


def _render(kind: str, locale: str, params: dict) -> tuple[str, str]:
    shown = {}
    for key, value in params.items():
        if key.endswith("_kop") and isinstance(value, int):
            shown[key] = money(value, locale)
        elif isinstance(value, date) and not isinstance(value, datetime):
            shown[key] = day(value, locale)
        elif key == "decline_code":
            shown[key] = value
            shown["reason"] = t(f"decline.{value}", locale)
            shown["advice"] = t(f"decline.{value}.advice", locale)
        else:
            shown[key] = value
    return t(f"notify.{kind}.title", locale, **shown), t(f"notify.{kind}.body", locale, **shown)


# every kind a user may get; each can have its e-mail copy turned off (User.email_muted)
EMAIL_KINDS = (
    "sim_suspended",
    "sim_restored",
    "autopay_ok",
    "autopay_failed",
    "autopay_failed_hard",
    "autopay_cap",
    "autopay_confirm",  # a charge waits for the subscriber's 3-D Secure (billing.confirmations)
    "autopay_off_no_card",
    "card_expiring",
    "low_balance",
)


def muted_kinds(stored: str | None) -> frozenset[str]:
    """User.email_muted ("a,b") as a set; unknown words are ignored."""
    return frozenset(k for k in (stored or "").split(",") if k in EMAIL_KINDS)


def _recipients(
    session: Session, sim_ids: list[int]
) -> dict[int, tuple[int, str, str, str, frozenset[str]]]:
    """sim id -> (user id, locale, e-mail, msisdn, muted kinds) of the subscriber who owns it,
    in one query."""
    rows = session.execute(
        select(
            Sim.id, Sim.msisdn, User.id, User.locale, User.email, Subscriber.email, User.email_muted
        )
        .join(Subscriber, Subscriber.id == Sim.subscriber_id)
        .join(User, User.id == Subscriber.user_id)
        .where(Sim.id.in_(sim_ids), User.is_active)
    ).all()
    return {r[0]: (r[2], r[3], r[5] or r[4] or "", r[1], muted_kinds(r[6])) for r in rows}


def notify_user(
    session: Session,
    user_id: int,
    kind: str,
    params: dict | None = None,
    *,
    dedup_key: str | None = None,
    locale: str | None = None,
    email: str | None = None,
    muted: frozenset[str] | None = None,
) -> bool:
    """Add the notification (and e-mail) in the caller's transaction; False if deduplicated.

    The in-app notification is always written; the e-mail copy is skipped when the user muted
    e-mails of this kind (`muted`, read from the user unless the caller passes it)."""
    if locale is None or email is None or muted is None:
        user = session.get(User, user_id)
        if user is None:
            return False
        locale = locale or user.locale
        email = user.email or "" if email is None else email
        muted = muted_kinds(user.email_muted) if muted is None else muted
    title, body = _render(kind, locale, params or {})
    if dedup_key:
        # INSERT ... ON CONFLICT DO NOTHING, not "look, then add": two workers warning the same
        # user at once would both see nothing and the second commit would fail on the key
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = session.execute(
            dialect.insert(_N)
            .values(
                user_id=user_id,
                kind=kind,
                title=title,
                body=body,
                dedup_key=dedup_key,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "dedup_key"])
            .returning(_N.c.id)
        ).first()
        if inserted is None:
            return False
    else:
        session.add(Notification(user_id=user_id, kind=kind, title=title, body=body))
    if email and kind not in muted:
        outbox.queue_email(session, email, title, body, kind=kind)
    return True


def notify_sim_owners(
    session: Session, items: list[tuple[int, str, dict]], *, dedup: str | None = None
) -> int:
    """Notify the owners of SIMs: items are (sim id, kind, params). `dedup` (a format string
    with {sim} and {kind}) turns on deduplication. SIMs without an owner are skipped."""
    if not items:
        return 0
    owners = _recipients(session, sorted({sim_id for sim_id, _, _ in items}))
    if dedup:
        sent = 0
        for sim_id, kind, params in items:
            owner = owners.get(sim_id)
            if owner is None:
                continue
            user_id, locale, email, msisdn, muted = owner
            sent += notify_user(
                session,
                user_id,
                kind,
                {"msisdn": phone(msisdn), **params},
                dedup_key=dedup.format(sim=sim_id, kind=kind),
                locale=locale,
                email=email,
                muted=muted,
            )
        return sent
    # No deduplication: the billing cycle's thousands of messages go in two bulk inserts.
    now = utcnow()
    notes, mails = [], []
    for sim_id, kind, params in items:
        owner = owners.get(sim_id)
        if owner is None:
            continue
        user_id, locale, email, msisdn, muted = owner
        title, body = _render(kind, locale, {"msisdn": phone(msisdn), **params})
        notes.append(
            {"user_id": user_id, "kind": kind, "title": title, "body": body, "created_at": now}
        )
        if email and kind not in muted:
            mails.append((email, title, body, kind))
    bulk.insert_rows(session, _N, notes, returning=None)
    outbox.queue_emails(session, mails)
    return len(notes)


def notify_admins(
    session: Session, permissions: tuple[str, ...], kind: str, params: dict, *, dedup_key: str
) -> int:
    """Notify every active admin whose role holds one of `permissions` (in-app and e-mail),
    once per `dedup_key`. Returns how many were told."""
    from paysim_app.models.accounts import AdminRolePermission  # only admins' roles need it

    roles = select(AdminRolePermission.role_id).where(
        AdminRolePermission.permission.in_(permissions)
    )
    admins = session.execute(
        select(User.id).where(User.role == "admin", User.is_active, User.admin_role_id.in_(roles))
    ).scalars()
    return sum(notify_user(session, uid, kind, params, dedup_key=dedup_key) for uid in admins)


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    title: str
    body: str
    created_at: datetime
    unread: bool


def list_notifications(session: Session, actor: Actor, limit: int = 30) -> list[NotificationRow]:
    rows = session.execute(
        select(Notification)
        .where(Notification.user_id == actor.user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).scalars()
    return [
        NotificationRow(n.id, n.kind, n.title, n.body, n.created_at, n.read_at is None)
        for n in rows
    ]


def unread_count(session: Session, actor: Actor) -> int:
    return session.execute(
        select(func.count()).where(
            Notification.user_id == actor.user_id, Notification.read_at.is_(None)
        )
    ).scalar_one()


def mark_all_read(session: Session, actor: Actor) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
