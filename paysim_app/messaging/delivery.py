"""The outbox drained: `deliver_due` claims the rows that are due, sends each through the
sender of its channel, and records what happened.

    waiting --claim--> sending --sent--> sent
       ^                  |--TemporaryFailure, tries left--> waiting (next try after a backoff)
       |                  |--TemporaryFailure, last try / PermanentFailure--> failed (+ reason)
       +--claim expired---+   (the worker died mid-send: the row is due again)

Claiming is one short transaction: an UPDATE of the next due rows to `sending` under this
worker's name, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so that two workers draining at once
take different rows, and the same single conditional UPDATE on SQLite (whose writes are
serialised). The sending happens outside any transaction; each outcome is then written in its
own short transaction, only while the claim is still this worker's. A claim lasts
PAYSIM_DELIVERY_CLAIM_SECONDS, far longer than one batch's sends with their timeouts.

Secrets are put back only for the sender (core.outbox.render_for_sending) and never logged:
the log names rows by id and kind.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session

from paysim_app.core import leases, notify, outbox
from paysim_app.db import session_scope
from paysim_app.messaging import compose
from paysim_app.messaging.base import PermanentFailure, TemporaryFailure
from paysim_app.messaging.smtp import ConnectionFailure, SmtpSender
from paysim_app.models import OutboxEmail, Subscriber, User
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.delivery")
_T = OutboxEmail.__table__

_clock = time.monotonic  # (the tests move it)

# minutes before the next try after the 1st, 2nd, ... temporary failure (then the last, capped)
BACKOFF_MINUTES = (1, 5, 15, 60, 180)


def backoff(attempts: int) -> timedelta:
    """The pause after `attempts` tries that all failed for the time being."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


class LogEmailSender:
    """Demo mode without SMTP_HOST: the e-mail was written to the log when it was queued (and is
    read on the admin outbox page); delivering it means marking it sent "to the log"."""

    def __enter__(self) -> LogEmailSender:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def send(self, message) -> None:
        log.info("e-mail %s delivered to the log (demo, no SMTP_HOST)", message.message_id)


def email_sender_from_settings():
    """The e-mail sender the settings ask for; None when e-mails must wait (no SMTP_HOST outside
    demo mode: preflight warns about it)."""
    settings = get_settings()
    if settings.smtp_host:
        return SmtpSender.from_settings(settings)
    if settings.paysim_demo:
        return LogEmailSender()
    return None


def sms_sender_from_settings():
    """The SMS sender the settings ask for; None when text messages must wait: the sandbox
    outside demo mode (it would mark them sent while nothing leaves the machine; preflight warns
    about it), as e-mails wait without SMTP_HOST."""
    from paysim_app.messaging import sms

    settings = get_settings()
    if settings.paysim_sms_provider == "sandbox" and not settings.paysim_demo:
        return None
    return sms.get_sms_sender()


@dataclass
class Counts:
    claimed: int = 0
    sent: int = 0
    retry: int = 0  # temporary failures that will be tried again
    failed: int = 0
    lost: int = 0  # outcomes not recorded: the claim had expired and another worker took it
    released: int = 0  # given back unsent before the claim ran out (a slow server)
    by_channel: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retry": self.retry,
            "failed": self.failed,
            "lost": self.lost,
            # only when it happened (a slow server), so the usual answer stays these five
            **({"released": self.released} if self.released else {}),
        }


def new_worker_name() -> str:
    return f"{leases.process_id()}/{uuid.uuid4().hex[:8]}"[-64:]


def claim(
    session: Session, worker: str, channels: tuple[str, ...], limit: int, now: datetime
) -> list[int]:
    """Mark up to `limit` due rows of `channels` as this worker's (commits); their ids.

    Due: waiting with its next try reached, or sending under a claim that has expired (a
    claimed row's next_attempt_at is its claim's end)."""
    if not channels or limit <= 0:
        return []
    until = now + timedelta(seconds=get_settings().paysim_delivery_claim_seconds)
    due = (
        select(_T.c.id)
        .where(
            _T.c.status.in_(("waiting", "sending")),
            _T.c.next_attempt_at <= now,
            _T.c.channel.in_(channels),
        )
        .order_by(_T.c.next_attempt_at, _T.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = (
        session.execute(
            update(_T)
            .where(_T.c.id.in_(due.scalar_subquery()))
            .values(
                status="sending",
                claimed_by=worker,
                claimed_until=until,
                next_attempt_at=until,
                attempts=_T.c.attempts + 1,
            )
            .returning(_T.c.id)
        )
        .scalars()
        .all()
    )
    session.commit()
    return sorted(ids)


def _recipients(session: Session, rows: list[OutboxEmail]) -> dict[int, compose.Recipient]:
    """Row id -> whom it is for: the row's user, else the user with that login e-mail or phone,
    else the subscriber whose contract e-mail it is; the language: the row's, the user's, ru."""
    ids = {r.user_id for r in rows if r.user_id is not None}
    emails = {r.to_address.lower() for r in rows if r.user_id is None and r.channel == "email"}
    phones = {r.to_address for r in rows if r.user_id is None and r.channel == "sms"}
    conditions = []
    if ids:
        conditions.append(User.id.in_(ids))
    if emails:
        conditions.append(User.email.in_(emails))
    if phones:
        conditions.append(User.phone.in_(phones))
    users = (
        session.execute(
            select(User.id, User.locale, User.email, User.phone).where(or_(*conditions))
        ).all()
        if conditions
        else []
    )
    locale_of = {uid: loc for uid, loc, _, _ in users}
    by_email = {e.lower(): uid for uid, _, e, _ in users if e}
    by_phone = {p: uid for uid, _, _, p in users if p}
    missing = emails - by_email.keys()
    if missing:
        for uid, loc, contract in session.execute(
            select(User.id, User.locale, Subscriber.email)
            .join(Subscriber, Subscriber.user_id == User.id)
            .where(Subscriber.email.in_(missing))
        ).all():
            by_email.setdefault(contract.lower(), uid)
            locale_of[uid] = loc
    found = {}
    for r in rows:
        uid = r.user_id
        if uid is None:
            key = r.to_address.lower() if r.channel == "email" else r.to_address
            uid = (by_email if r.channel == "email" else by_phone).get(key)
        locale = r.locale or locale_of.get(uid) or "ru"
        found[r.id] = compose.Recipient(uid, locale if locale in ("ru", "en") else "ru")
    return found


def _finish(
    session: Session,
    row: OutboxEmail,
    worker: str,
    values: dict,
) -> bool:
    """Write an outcome while the claim is still this worker's; False when it is not."""
    done = session.execute(
        update(_T)
        .where(_T.c.id == row.id, _T.c.status == "sending", _T.c.claimed_by == worker)
        .values(claimed_by="", claimed_until=None, **values)
    ).rowcount
    return bool(done)


def _record_sent(session: Session, row: OutboxEmail, worker: str, ids: str) -> bool:
    return _finish(
        session,
        row,
        worker,
        {"status": "sent", "sent_at": utcnow(), "message_id": ids[:255], "last_error": ""},
    )


def _record_failure(
    session: Session,
    row: OutboxEmail,
    worker: str,
    failure: TemporaryFailure | PermanentFailure,
    recipient: compose.Recipient,
    max_attempts: int,
) -> str:
    """'retry' or 'failed' (or 'lost' when the claim was no longer ours)."""
    now = utcnow()
    reason = failure.reason
    if isinstance(failure, TemporaryFailure) and row.attempts < max_attempts:
        ok = _finish(
            session,
            row,
            worker,
            {
                "status": "waiting",
                "next_attempt_at": now + backoff(row.attempts),
                "last_error": reason,
            },
        )
        return "retry" if ok else "lost"
    if isinstance(failure, TemporaryFailure):
        reason = f"{reason} (after {row.attempts} tries)"
    if not _finish(
        session,
        row,
        worker,
        {"status": "failed", "next_attempt_at": now, "last_error": reason[:500]},
    ):
        return "lost"
    bounced = isinstance(failure, PermanentFailure) and failure.bounced
    if bounced and row.channel == "email" and recipient.user_id is not None:
        _mark_bounced(session, recipient, row.to_address)
    if row.kind == "message_failed":
        return "failed"  # the copy of such a notice: telling admins again could loop for ever
    notify.notify_admins(
        session,
        ("admins.manage",),
        "message_failed",
        {
            "id": row.id,
            "channel": row.channel,
            "to": row.to_address,
            "kind": row.kind or "-",
            "reason": reason[:300],
        },
        # once per failure: a message sent again by hand that fails again is told again
        # (the claim that failed is unique to this try)
        dedup_key=f"outbox_failed:{row.id}:{int((row.claimed_until or now).timestamp())}",
    )
    return "failed"


def _mark_bounced(session: Session, recipient: compose.Recipient, address: str) -> None:
    """The address refused for good: remembered on the user (the profile shows it) and the
    user told in the cabinet only (an e-mail copy would go to the same dead address)."""
    user = session.get(User, recipient.user_id)
    if user is None:
        return
    user.bounced_email = address[:254]
    session.add(user)
    notify.notify_user(
        session,
        user.id,
        "email_bounced",
        {"email": address},
        dedup_key=f"email_bounced:{address.lower()}"[:80],
        contact=notify.Contact(user.locale, "", "", {}),
    )


def _release(session: Session, rows: list[OutboxEmail], worker: str) -> int:
    """Give claimed rows back unsent: waiting, due now, the claim's try not counted."""
    done = session.execute(
        update(_T)
        .where(
            _T.c.id.in_([r.id for r in rows]), _T.c.status == "sending", _T.c.claimed_by == worker
        )
        .values(
            status="waiting",
            claimed_by="",
            claimed_until=None,
            next_attempt_at=utcnow(),
            attempts=_T.c.attempts - 1,
        )
    ).rowcount
    session.commit()
    return done


def _send_batch(
    session: Session,
    rows: list[OutboxEmail],
    recipients: dict[int, compose.Recipient],
    sender_cm: AbstractContextManager,
    build: Callable[[OutboxEmail], object],
    worker: str,
    counts: Counts,
    max_attempts: int,
    deadline: float,
) -> None:
    """Send one channel's rows through one sender (one connection), recording each outcome in
    its own short transaction on `session` (one database connection for the whole batch)."""
    give_up: TemporaryFailure | None = None  # the server cannot be reached: the rest waits
    with sender_cm as sender:
        for n, row in enumerate(rows):
            if _clock() > deadline:
                # a slow server: stop before the claim runs out (another worker could take the
                # rows and send them twice); the rest is due again at once, its try not counted
                counts.released += _release(session, rows[n:], worker)
                break
            failure: TemporaryFailure | PermanentFailure | None = None
            ids = ""
            if give_up is not None:
                failure = give_up
            else:
                try:
                    message = build(row)
                    result = sender.send(message)
                    ids = (
                        ",".join(result)
                        if isinstance(result, list)
                        else getattr(message, "message_id", "")
                    )
                except ConnectionFailure as exc:
                    failure = give_up = exc
                except (TemporaryFailure, PermanentFailure) as exc:
                    failure = exc
                except outbox.SecretUnreadable:
                    failure = PermanentFailure("the secret cannot be read (the key changed)")
                except LookupError as exc:  # an attachment nobody renders
                    failure = PermanentFailure(f"attachment: {exc}")
                except Exception as exc:  # a bug: the row waits, the log has the traceback
                    log.exception("outbox row %s (%s) could not be sent", row.id, row.kind)
                    failure = TemporaryFailure(f"internal error: {type(exc).__name__}")
            try:
                if failure is None:
                    outcome = "sent" if _record_sent(session, row, worker, ids) else "lost"
                else:
                    outcome = _record_failure(
                        session, row, worker, failure, recipients[row.id], max_attempts
                    )
                session.commit()
            except BaseException:
                session.rollback()  # the claim expires and the row is due again
                raise
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            if failure is not None:
                log.warning(
                    "outbox row %s (%s, %s) %s: %s",
                    row.id,
                    row.channel,
                    row.kind,
                    outcome,
                    failure.reason,
                )


def deliver_due(
    limit: int | None = None,
    worker: str | None = None,
    *,
    email_sender=None,
    sms_sender=None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Claim up to `limit` due rows and send them; counts of claimed, sent, retry, failed,
    lost. Senders default to the settings' (`email_sender_from_settings`, messaging.sms's);
    a channel without a sender is left waiting."""
    settings = get_settings()
    limit = settings.paysim_delivery_batch if limit is None else limit
    worker = worker or new_worker_name()
    email_sender = email_sender if email_sender is not None else email_sender_from_settings()
    if sms_sender is None:
        sms_sender = sms_sender_from_settings()
    channels = tuple(
        name for name, s in (("email", email_sender), ("sms", sms_sender)) if s is not None
    )
    counts = Counts()
    # stop sending a while before the claim ends: a send may take up to SMTP's timeout
    margin = min(settings.smtp_timeout_seconds * 2, settings.paysim_delivery_claim_seconds / 2)
    deadline = _clock() + settings.paysim_delivery_claim_seconds - margin
    with session_scope() as session:
        ids = claim(session, worker, channels, limit, now or utcnow())
        if not ids:
            return counts.as_dict()
        rows = list(
            session.execute(
                select(OutboxEmail).where(OutboxEmail.id.in_(ids)).order_by(OutboxEmail.id)
            )
            .scalars()
            .all()
        )
        recipients = _recipients(session, rows)
        session.commit()  # no transaction stays open while the senders talk to the network
        counts.claimed = len(rows)
        emails = [r for r in rows if r.channel == "email"]
        texts = [r for r in rows if r.channel == "sms"]
        # e-mails are composed in this session (attachments are rendered from the database)
        max_attempts = settings.paysim_delivery_attempts
        if emails:
            sender_name = getattr(email_sender, "sender", None)

            def build(row: OutboxEmail):
                try:
                    return compose.compose_email(
                        session, row, recipients[row.id], sender=sender_name
                    )
                finally:
                    session.rollback()  # only read: end it before the send

            _send_batch(
                session,
                emails,
                recipients,
                _as_cm(email_sender),
                build,
                worker,
                counts,
                max_attempts,
                deadline,
            )
        if texts:
            _send_batch(
                session,
                texts,
                recipients,
                _as_cm(sms_sender),
                compose.compose_sms,
                worker,
                counts,
                max_attempts,
                deadline,
            )
    return counts.as_dict()


def _as_cm(sender) -> AbstractContextManager:
    return sender if hasattr(sender, "__enter__") else nullcontext(sender)
