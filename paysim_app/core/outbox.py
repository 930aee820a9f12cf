"""E-mail and text messages to a phone (`queue_sms`; or a kind `sms_*`) go through the outbox
table (its `channel` says which); messaging.delivery sends them when SMTP / SMS delivery is
configured, retrying with backoff, and marks each row sent or failed with the reason.

A message that carries a secret (a password-reset, invitation or set-password link, a login
confirmation link or code) is stored without it: the body holds SECRET where the secret goes and
the `secret` column holds it encrypted with a key derived from PAYSIM_SECRET_KEY. Only
`render_for_sending` puts it back, for the sender. Staff reading the outbox see it masked
(`…/reset?token=••••••a1b2`) except in demo mode, where the demo relies on reading the links
there and in the log.

A message may carry attachments, stored as references (`attachments`: "receipt:42", comma
separated), never as files: the sender asks `render_attachments` for each one's bytes when it
sends, so it carries the thing as it stands then. The context that owns a kind of attachment
registers its renderer (`attachment_renderer`): billing renders "receipt" as the receipt's PDF.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session, select

from paysim_app.core import audit, bulk
from paysim_app.core.listing import ExportColumn, FilterDef, ListSpec, contains
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.models import OutboxEmail
from paysim_app.models.base import utcnow
from paysim_app.models.notifications import OUTBOX_CHANNELS, OUTBOX_STATUSES
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.outbox")

SECRET = "[[secret]]"  # where a message's secret goes in its stored body
MASK = "••••••"
SHOWN_TAIL = 4  # the last characters of a long secret that a masked body still shows
SHOWN_FROM = 16  # shorter secrets (codes) are masked whole


class SecretUnreadable(Exception):
    """The row's secret cannot be decrypted (PAYSIM_SECRET_KEY changed since it was queued)."""


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"paysim outbox secret"
    ).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, secret_key: str | None = None) -> str:
    return (
        _fernet(secret_key or get_settings().paysim_secret_key)
        .encrypt(secret.encode("utf-8"))
        .decode("ascii")
    )


def unseal(sealed: str, secret_key: str | None = None) -> str:
    try:
        fernet = _fernet(secret_key or get_settings().paysim_secret_key)
        return fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable() from exc


def mask(secret: str) -> str:
    """'AbCd…a1b2' -> '••••••a1b2'; a short secret (a code) -> '••••••'."""
    return MASK + (secret[-SHOWN_TAIL:] if len(secret) >= SHOWN_FROM else "")


def _check(body: str, secret: str) -> None:
    """A message with a secret must say where it goes and must not carry it already."""
    if secret and (SECRET not in body or secret in body):
        raise ValueError("a message with a secret holds outbox.SECRET in its body, not the secret")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


# kind -> renderer(session, id, locale) -> Attachment; registered by the context that owns it.
# locale None: the renderer prints in its recipient's language
_RENDERERS: dict[str, Callable[[Session, int, str | None], Attachment]] = {}


def attachment_renderer(kind: str):
    """Register `fn(session, id, locale) -> Attachment` for references "kind:id"."""

    def register(fn: Callable[[Session, int, str | None], Attachment]):
        _RENDERERS[kind] = fn
        return fn

    return register


def attachment_ref(kind: str, ref_id: int) -> str:
    return f"{kind}:{int(ref_id)}"


def attachments_of(mail: OutboxEmail | dict) -> list[tuple[str, int]]:
    """The message's (or a listed row's) attachment references as (kind, id); malformed ones
    are left out."""
    text = mail.get("attachments") if isinstance(mail, dict) else mail.attachments
    found = []
    for part in (text or "").split(","):
        kind, _, raw = part.strip().partition(":")
        if kind and raw.isdigit():
            found.append((kind, int(raw)))
    return found


def render_attachments(
    session: Session, mail: OutboxEmail, locale: str | None = None
) -> list[Attachment]:
    """The files the sender attaches, rendered now. An unknown kind is an error: a message
    must not leave without what it says is attached."""
    files = []
    for kind, ref_id in attachments_of(mail):
        renderer = _RENDERERS.get(kind)
        if renderer is None:
            raise LookupError(f"no renderer for attachment {kind}:{ref_id}")
        files.append(renderer(session, ref_id, locale))
    return files


def channel_of(kind: str) -> str:
    """Kinds `sms_*` go to a phone; everything else is an e-mail."""
    return "sms" if kind.startswith("sms_") else "email"


def queue_email(
    session: Session,
    to: str,
    subject: str,
    body: str,
    kind: str = "",
    secret: str = "",
    attachments: str = "",
    *,
    user_id: int | None = None,
    locale: str = "",
) -> OutboxEmail:
    """Queue one message; `secret` (if any) replaces SECRET in `body` when it is sent;
    `attachments`: references made by `attachment_ref`, comma separated. `user_id` and
    `locale`, when the caller knows them, say whom it is for and in which language it goes
    out (otherwise the sender looks the address up). A kind `sms_*` is an SMS to `to`."""
    _check(body, secret)
    mail = OutboxEmail(
        channel=channel_of(kind),
        to_address=to,
        subject=subject,
        body=body,
        kind=kind,
        secret=seal(secret) if secret else "",
        attachments=attachments,
        user_id=user_id,
        locale=locale if locale in ("ru", "en") else "",
    )
    session.add(mail)
    if get_settings().paysim_demo:
        # demo mode: no SMTP; the message is readable in the log and in the outbox table
        log.warning("outbox (demo) to=%s subject=%s\n%s", to, subject, body.replace(SECRET, secret))
    return mail


def queue_sms(
    session: Session,
    phone: str,
    body: str,
    kind: str,
    secret: str = "",
    *,
    user_id: int | None = None,
    locale: str = "",
) -> OutboxEmail:
    """Queue a text message to `phone` (E.164, "+7..."), in the same outbox as e-mail, with
    the same rules for a secret (SECRET in `body`, the code sealed)."""
    _check(body, secret)
    sms = OutboxEmail(
        channel="sms",
        to_address=phone,
        subject="",
        body=body,
        kind=kind,
        secret=seal(secret) if secret else "",
        user_id=user_id,
        locale=locale if locale in ("ru", "en") else "",
    )
    session.add(sms)
    if get_settings().paysim_demo:
        log.warning("outbox (demo) sms to=%s\n%s", phone, body.replace(SECRET, secret))
    return sms


def queue_emails(session: Session, mails: list[tuple]) -> None:
    """Many (to, subject, body, kind[, attachments[, user_id[, locale]]]) at once, in one bulk
    insert (no secrets)."""
    if not mails:
        return
    now = utcnow()
    bulk.insert_rows(
        session,
        OutboxEmail.__table__,
        [
            {
                "channel": channel_of(mail[3]),
                "to_address": to,
                "subject": subject,
                "body": body,
                "secret": "",
                "kind": mail[3],
                "attachments": mail[4] if len(mail) > 4 else "",
                "user_id": mail[5] if len(mail) > 5 else None,
                "locale": mail[6] if len(mail) > 6 and mail[6] in ("ru", "en") else "",
                "status": "waiting",
                "next_attempt_at": now,
                "attempts": 0,
                "last_error": "",
                "claimed_by": "",
                "message_id": "",
                "created_at": now,
            }
            for mail in mails
            for to, subject, body in [mail[:3]]
        ],
        returning=None,
    )
    if get_settings().paysim_demo:
        for to, subject, body, *_ in mails:
            log.warning("outbox (demo) to=%s subject=%s\n%s", to, subject, body)


def render_for_sending(mail: OutboxEmail, secret_key: str | None = None) -> str:
    """The body to send: with its secret back in place. SecretUnreadable when the key that
    sealed it is gone (the sender records that as the row's error)."""
    if not mail.secret:
        return mail.body
    return mail.body.replace(SECRET, unseal(mail.secret, secret_key))


def staff_text(body: str, sealed: str, demo: bool | None = None) -> str:
    """A stored body as an admin reads it: the secret masked, or whole in demo mode."""
    if not sealed:
        return body
    if demo if demo is not None else get_settings().paysim_demo:
        try:
            return body.replace(SECRET, unseal(sealed))
        except SecretUnreadable:
            pass
    try:
        shown = mask(unseal(sealed))
    except SecretUnreadable:
        shown = MASK
    return body.replace(SECRET, shown)


def render_for_staff(mail: OutboxEmail, demo: bool | None = None) -> str:
    """The body an admin reads: the secret masked, or whole in demo mode."""
    return staff_text(mail.body, mail.secret, demo)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    to_address: str
    subject: str
    body: str  # as staff may read it (see render_for_staff)
    created_at: datetime
    sent_at: datetime | None
    attachments: tuple[tuple[str, int], ...] = ()  # (kind, id): what goes attached


@verb
def recent_emails(session: Session, actor: Actor, limit: int = 50) -> list[OutboxRow]:
    """The newest outgoing messages, for admins who manage accounts (demo: reset links whole)."""
    require(actor, "admins.manage")
    rows = session.exec(
        select(OutboxEmail)
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .limit(min(limit, 100))
    ).all()
    demo = get_settings().paysim_demo
    return [
        OutboxRow(
            r.id,
            r.to_address,
            r.subject,
            render_for_staff(r, demo),
            r.created_at,
            r.sent_at,
            tuple(attachments_of(r)),
        )
        for r in rows
    ]


# -- the admin outbox list (ui/admin/outbox.py): a declaration over core.listing ---------------
MANAGE = "admins.manage"
_O = OutboxEmail


def _outbox_select(_actor: Actor):
    return select(
        _O.id.label("id"),
        _O.created_at.label("created_at"),
        _O.channel.label("channel"),
        _O.to_address.label("to_address"),
        _O.subject.label("subject"),
        _O.body.label("body"),
        _O.secret.label("secret"),  # sealed; the page masks it (staff_text)
        _O.kind.label("kind"),
        _O.attachments.label("attachments"),
        _O.status.label("status"),
        _O.attempts.label("attempts"),
        _O.next_attempt_at.label("next_attempt_at"),
        _O.last_error.label("last_error"),
        _O.sent_at.label("sent_at"),
    )


def _search(stmt, text: str):
    return stmt.where(contains(_O.to_address, text) | contains(_O.subject, text))


OUTBOX_LIST = ListSpec(
    name="outbox",
    permission=MANAGE,
    columns=_outbox_select,
    sorts={"created_at": _O.created_at},
    default_sort="created_at",
    key=_O.id,
    filters=(
        FilterDef("status", lambda s, v: s.where(_O.status == v), "choice", OUTBOX_STATUSES),
        FilterDef("channel", lambda s, v: s.where(_O.channel == v), "choice", OUTBOX_CHANNELS),
    ),
    search=_search,
    export=(
        ExportColumn("created_at", "outbox.created", "time"),
        ExportColumn("channel", "outbox.channel", "word", "outbox.channel."),
        ExportColumn("to_address", "outbox.to"),
        ExportColumn("subject", "outbox.subject"),
        ExportColumn("status", "outbox.status", "word", "outbox.status."),
        ExportColumn("attempts", "outbox.attempts"),
        ExportColumn("last_error", "outbox.error"),
        ExportColumn("sent_at", "outbox.sent", "time"),
    ),
)


@verb
def retry_messages(session: Session, actor: Actor, ids: list[int]) -> int:
    """Put failed messages back in the queue, due now with a fresh count of tries (audited,
    one entry a message). Rows that are not failed are left alone; how many were requeued."""
    require(actor, MANAGE)
    wanted = sorted({i for i in ids if isinstance(i, int) and not isinstance(i, bool) and i > 0})
    if not wanted:
        return 0
    rows = session.exec(
        select(OutboxEmail).where(OutboxEmail.id.in_(wanted), OutboxEmail.status == "failed")
    ).all()
    now = utcnow()
    for row in rows:
        audit.record(
            session,
            actor,
            "retry_message",
            "outbox_email",
            row.id,
            {"status": row.status, "attempts": row.attempts, "error": row.last_error},
            {"status": "waiting"},
        )
        row.status, row.attempts, row.next_attempt_at = "waiting", 0, now
        session.add(row)
    return len(rows)


@verb
def bounced_address(session: Session, actor: Actor | None) -> str:
    """The signed-in user's e-mail a mail server refused for good (messaging.delivery marks
    it), while it is still their login or contract e-mail; "" otherwise."""
    from paysim_app.core.errors import PermissionDenied
    from paysim_app.models import Subscriber, User

    user = session.get(User, actor.user_id) if actor is not None else None
    if user is None:
        raise PermissionDenied()
    if not user.bounced_email:
        return ""
    current = {(user.email or "").lower()}
    current.update(
        (e or "").lower()
        for e in session.exec(select(Subscriber.email).where(Subscriber.user_id == user.id))
    )
    return user.bounced_email if user.bounced_email.lower() in current else ""
