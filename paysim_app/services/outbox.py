"""E-mail goes through the outbox table; a job sends it by SMTP when SMTP is configured."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from paysim_app.models import OutboxEmail
from paysim_app.models.base import utcnow
from paysim_app.services import bulk
from paysim_app.services.permissions import Actor, require
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.outbox")


def queue_email(session: Session, to: str, subject: str, body: str, kind: str = "") -> OutboxEmail:
    mail = OutboxEmail(to_address=to, subject=subject, body=body, kind=kind)
    session.add(mail)
    if get_settings().paysim_demo:
        # demo mode: no SMTP; the message is readable in the log and in the outbox table
        log.warning("outbox (demo) to=%s subject=%s\n%s", to, subject, body)
    return mail


def queue_emails(session: Session, mails: list[tuple[str, str, str, str]]) -> None:
    """Many (to, subject, body, kind) at once, in one bulk insert."""
    if not mails:
        return
    now = utcnow()
    bulk.insert_rows(
        session,
        OutboxEmail.__table__,
        [
            {
                "to_address": to,
                "subject": subject,
                "body": body,
                "kind": kind,
                "attempts": 0,
                "last_error": "",
                "created_at": now,
            }
            for to, subject, body, kind in mails
        ],
        returning=None,
    )
    if get_settings().paysim_demo:
        for to, subject, body, _ in mails:
            log.warning("outbox (demo) to=%s subject=%s\n%s", to, subject, body)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    to_address: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None


def recent_emails(session: Session, actor: Actor, limit: int = 50) -> list[OutboxRow]:
    """The newest outgoing e-mails, for admins who manage accounts (demo: reset links live here)."""
    require(actor, "admins.manage")
    rows = session.exec(
        select(OutboxEmail)
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .limit(min(limit, 100))
    ).all()
    return [OutboxRow(r.id, r.to_address, r.subject, r.body, r.created_at, r.sent_at) for r in rows]
