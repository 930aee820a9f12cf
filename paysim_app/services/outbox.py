"""E-mail goes through the outbox table; a job sends it by SMTP when SMTP is configured."""

from __future__ import annotations

import logging

from sqlmodel import Session

from paysim_app.models import OutboxEmail
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.outbox")


def queue_email(session: Session, to: str, subject: str, body: str, kind: str = "") -> OutboxEmail:
    mail = OutboxEmail(to_address=to, subject=subject, body=body, kind=kind)
    session.add(mail)
    if get_settings().paysim_demo:
        # demo mode: no SMTP; the message is readable in the log and in the outbox table
        log.warning("outbox (demo) to=%s subject=%s\n%s", to, subject, body)
    return mail
