"""The support inbox of the admin console: every ticket of subscribers and partners.

Reading needs `support.view`, every write `support.edit`, and every write is audited:
- `admin_thread`: the ticket with ALL its messages (internal notes flagged), who wrote them,
  the customer, the SIM, the time to first response and the customer's rating;
- `assign_ticket` to an active admin whose role can see the inbox (or to nobody);
- `reply_to_ticket`: an answer the customer sees (the first one sets `first_response_at`;
  new/open tickets then wait for the customer unless the operator picks another status);
  the customer is notified in the app and by e-mail;
- `add_internal_note`: staff only; support.ticketing never shows it to the customer;
- `change_ticket_status` (resolving notifies the customer and invites a rating) and
  `change_ticket_priority`;
- canned replies: list, create, edit, archive/unarchive (the UI pastes the text into a reply);
- `ticket_rows_select`: the list's columns as one select() for the generic list machinery.

The customer's side (opening, answering — which reopens a waiting or resolved ticket —,
closing, rating) is support.ticketing; its text checks are reused here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Integer, Select, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from paysim_app.core import audit, notify
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.permissions import Actor, load_permissions, require
from paysim_app.core.unit_of_work import verb
from paysim_app.models import (
    CannedReply,
    Partner,
    Sim,
    Subscriber,
    Ticket,
    TicketMessage,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.models.support import TICKET_PRIORITIES, TICKET_STATUSES
from paysim_app.support import attachments
from paysim_app.support.ticketing import _check_body, _text

STATUSES = TICKET_STATUSES
PRIORITIES = TICKET_PRIORITIES
# "new" means nobody has looked at the ticket yet: only opening a ticket sets it
SETTABLE_STATUSES = tuple(s for s in TICKET_STATUSES if s != "new")
# an operator's answer puts these in "waiting" (for the customer) unless told otherwise
WAIT_AFTER_REPLY = ("new", "open")
CANNED_TITLE_MAX = 120
CANNED_BODY_MAX = 5000
LOCALES = ("ru", "en")


# --------------------------------------------------------------------------- DTOs


@dataclass(frozen=True)
class AdminMessage:
    id: int
    author_user_id: int
    author_name: str
    author_role: str  # subscriber | partner | admin
    is_staff: bool
    is_internal: bool  # a staff note the customer never sees
    body: str
    created_at: datetime
    attachment_name: str = ""


@dataclass(frozen=True)
class AdminThread:
    id: int
    subject: str
    category: str
    status: str
    priority: str
    author_type: str  # subscriber | partner
    author_user_id: int
    customer_name: str  # the subscriber's full name or the partner's name
    contract_no: str  # "" for a partner's ticket
    subscriber_id: int | None
    partner_id: int | None
    sim_id: int | None
    msisdn: str  # "" when the ticket is not about a SIM
    assignee_user_id: int | None
    assignee_name: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    first_response_seconds: int | None  # None until staff answered
    rating: int | None
    rating_comment: str
    messages: list[AdminMessage]


@dataclass(frozen=True)
class Assignee:
    user_id: int
    name: str


@dataclass(frozen=True)
class CannedReplyView:
    id: int
    title: str
    body: str
    locale: str
    is_archived: bool
    created_at: datetime


# --------------------------------------------------------------------------- helpers


def _ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id) if isinstance(ticket_id, int) else None
    if ticket is None:
        raise NotFound()
    return ticket


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.full_name or user.email or user.phone or ""


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int(round((end - start).total_seconds()))


def _can_take_tickets(session: Session, user: User | None) -> bool:
    return (
        user is not None
        and user.role == "admin"
        and user.is_active
        and "support.view" in load_permissions(session, user.admin_role_id)
    )


def _customer_email(session: Session, ticket: Ticket, user: User) -> str:
    """The contract's e-mail for a subscriber (where the other notifications go), else the
    account's."""
    if ticket.subscriber_id is not None:
        sub = session.get(Subscriber, ticket.subscriber_id)
        if sub is not None and sub.email:
            return sub.email
    return user.email or ""


def _notify_customer(session: Session, ticket: Ticket, kind: str) -> None:
    user = session.get(User, ticket.author_user_id)
    if user is None or not user.is_active:
        return
    notify.notify_user(
        session,
        user.id,
        kind,
        {"id": ticket.id, "subject": ticket.subject},
        email=_customer_email(session, ticket, user),
    )


# --------------------------------------------------------------------------- reads


@verb
def admin_thread(session: Session, actor: Actor, ticket_id: int) -> AdminThread:
    """Everything the inbox shows about one ticket, messages oldest first."""
    require(actor, "support.view")
    ticket = _ticket(session, ticket_id)
    rows = session.execute(
        select(TicketMessage, User)
        .join(User, User.id == TicketMessage.author_user_id)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.created_at, TicketMessage.id)
    ).all()
    sub = session.get(Subscriber, ticket.subscriber_id) if ticket.subscriber_id else None
    partner = session.get(Partner, ticket.partner_id) if ticket.partner_id else None
    sim = session.get(Sim, ticket.sim_id) if ticket.sim_id else None
    assignee = session.get(User, ticket.assignee_user_id) if ticket.assignee_user_id else None
    if partner is not None and sub is None:
        author_type, customer = "partner", partner.name
    else:
        author_type = "subscriber"
        customer = (sub.full_name if sub else "") or _name(session.get(User, ticket.author_user_id))
    return AdminThread(
        id=ticket.id,
        subject=ticket.subject,
        category=ticket.category,
        status=ticket.status,
        priority=ticket.priority,
        author_type=author_type,
        author_user_id=ticket.author_user_id,
        customer_name=customer,
        contract_no=sub.contract_no if sub else "",
        subscriber_id=ticket.subscriber_id,
        partner_id=ticket.partner_id,
        sim_id=ticket.sim_id,
        msisdn=sim.msisdn if sim else "",
        assignee_user_id=ticket.assignee_user_id,
        assignee_name=_name(assignee),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        first_response_seconds=_seconds(ticket.created_at, ticket.first_response_at),
        rating=ticket.rating,
        rating_comment=ticket.rating_comment,
        messages=[
            AdminMessage(
                id=m.id,
                author_user_id=m.author_user_id,
                author_name=_name(u),
                author_role=u.role,
                is_staff=u.role == "admin",
                is_internal=m.is_internal,
                body=m.body,
                created_at=m.created_at,
                attachment_name=m.attachment_name,
            )
            for m, u in rows
        ],
    )


@verb
def admin_attachment(session: Session, actor: Actor, message_id: int) -> tuple[str, bytes, str]:
    """(name, bytes, MIME type) of a file in any ticket, for the inbox."""
    require(actor, "support.view")
    message = session.get(TicketMessage, message_id) if isinstance(message_id, int) else None
    if message is None or not message.attachment_path:
        raise NotFound()
    data, mime = attachments.read(message.attachment_path)
    return message.attachment_name, data, mime


@verb
def assignees(session: Session, actor: Actor) -> list[Assignee]:
    """The admins a ticket can be assigned to (active, with a role that sees the inbox)."""
    require(actor, "support.view")
    users = session.execute(
        select(User).where(User.role == "admin", User.is_active).order_by(User.full_name, User.id)
    ).scalars()
    perms: dict[int | None, bool] = {}
    out = []
    for user in users:
        if user.admin_role_id not in perms:
            perms[user.admin_role_id] = "support.view" in load_permissions(
                session, user.admin_role_id
            )
        if perms[user.admin_role_id]:
            out.append(Assignee(user.id, _name(user)))
    return out


# --------------------------------------------------------------------------- ticket actions


@verb
def assign_ticket(
    session: Session, actor: Actor, ticket_id: int, assignee_user_id: int | None
) -> None:
    """Give the ticket to an active admin whose role has support.view; None unassigns."""
    require(actor, "support.edit")
    ticket = _ticket(session, ticket_id)
    if assignee_user_id is not None:
        user = session.get(User, assignee_user_id) if isinstance(assignee_user_id, int) else None
        if not _can_take_tickets(session, user):
            raise ValidationError("admin_support.error.assignee", field="assignee")
    before = ticket.assignee_user_id
    if before == assignee_user_id:
        return
    ticket.assignee_user_id = assignee_user_id
    session.add(ticket)
    audit.record(
        session,
        actor,
        "ticket.assign",
        "ticket",
        ticket.id,
        before={"assignee_user_id": before},
        after={"assignee_user_id": assignee_user_id},
    )
    session.flush()


@verb
def reply_to_ticket(
    session: Session,
    actor: Actor,
    ticket_id: int,
    body: str,
    status: str | None = None,
    attachment: attachments.StoredFile | None = None,
) -> int:
    """An answer the customer sees, with an optional file (a screenshot or PDF kept by
    support.attachments.save); returns the message's id.

    The first staff answer sets `first_response_at` (once). Without `status` a new or open
    ticket moves to waiting (for the customer) and any other keeps its status; with `status`
    the ticket takes that one. A closed ticket takes an answer only together with a status
    that reopens it. The customer is notified (in the app and by e-mail); resolving the ticket
    here sends the "resolved, please rate" notice instead of the plain one."""
    require(actor, "support.edit")
    ticket = _ticket(session, ticket_id)
    body = _check_body(body)
    if status is not None and status not in SETTABLE_STATUSES:
        raise ValidationError("admin_support.error.status", field="status")
    before = ticket.status
    if status is None:
        status = "waiting" if before in WAIT_AFTER_REPLY else before
    if status == "closed" and before == "closed":
        raise DomainError("admin_support.error.closed")
    now = utcnow()
    message = TicketMessage(
        ticket_id=ticket.id,
        author_user_id=actor.user_id,
        body=body,
        created_at=now,
        **attachments.message_columns(attachment),
    )
    session.add(message)
    first = ticket.first_response_at is None
    if first:
        ticket.first_response_at = now
    ticket.status = status
    ticket.updated_at = now
    session.add(ticket)
    session.flush()
    after: dict = {"status": status, "message_id": message.id}
    if first:
        after["first_response_at"] = now.isoformat()
    audit.record(session, actor, "ticket.reply", "ticket", ticket.id, {"status": before}, after)
    resolved_now = status == "resolved" and before != "resolved"
    _notify_customer(session, ticket, "ticket_resolved" if resolved_now else "ticket_reply")
    session.flush()
    return message.id


@verb
def add_internal_note(session: Session, actor: Actor, ticket_id: int, body: str) -> int:
    """A note for the staff only (never in the customer's thread); returns the message's id.
    It changes neither the status nor the time the customer sees as 'updated'."""
    require(actor, "support.edit")
    ticket = _ticket(session, ticket_id)
    body = _check_body(body)
    message = TicketMessage(
        ticket_id=ticket.id,
        author_user_id=actor.user_id,
        body=body,
        is_internal=True,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    audit.record(
        session, actor, "ticket.note", "ticket", ticket.id, after={"message_id": message.id}
    )
    session.flush()
    return message.id


@verb
def change_ticket_status(session: Session, actor: Actor, ticket_id: int, status: str) -> None:
    """open / waiting / resolved / closed ("new" is only a fresh ticket's). Resolving notifies
    the customer and invites a rating. The same status again changes nothing."""
    require(actor, "support.edit")
    ticket = _ticket(session, ticket_id)
    if status not in SETTABLE_STATUSES:
        raise ValidationError("admin_support.error.status", field="status")
    before = ticket.status
    if before == status:
        return
    ticket.status = status
    ticket.updated_at = utcnow()
    session.add(ticket)
    audit.record(
        session,
        actor,
        "ticket.status",
        "ticket",
        ticket.id,
        before={"status": before},
        after={"status": status},
    )
    if status == "resolved":
        _notify_customer(session, ticket, "ticket_resolved")
    session.flush()


@verb
def change_ticket_priority(session: Session, actor: Actor, ticket_id: int, priority: str) -> None:
    require(actor, "support.edit")
    ticket = _ticket(session, ticket_id)
    if priority not in PRIORITIES:
        raise ValidationError("admin_support.error.priority", field="priority")
    before = ticket.priority
    if before == priority:
        return
    ticket.priority = priority
    session.add(ticket)
    audit.record(
        session,
        actor,
        "ticket.priority",
        "ticket",
        ticket.id,
        before={"priority": before},
        after={"priority": priority},
    )
    session.flush()


# --------------------------------------------------------------------------- canned replies


def _canned_view(row: CannedReply) -> CannedReplyView:
    return CannedReplyView(row.id, row.title, row.body, row.locale, row.is_archived, row.created_at)


def _check_canned(title: object, body: object, locale: object) -> tuple[str, str, str]:
    title = " ".join(_text(title).split())
    if not 1 <= len(title) <= CANNED_TITLE_MAX:
        raise ValidationError(
            "admin_support.error.canned_title", field="title", max=CANNED_TITLE_MAX
        )
    body = _text(body)
    if not 1 <= len(body) <= CANNED_BODY_MAX:
        raise ValidationError("admin_support.error.canned_body", field="body", max=CANNED_BODY_MAX)
    if locale not in LOCALES:
        raise ValidationError("admin_support.error.locale", field="locale")
    return title, body, locale


def _canned(session: Session, reply_id: int) -> CannedReply:
    row = session.get(CannedReply, reply_id) if isinstance(reply_id, int) else None
    if row is None:
        raise NotFound()
    return row


@verb
def list_canned_replies(
    session: Session, actor: Actor, locale: str | None = None, include_archived: bool = False
) -> list[CannedReplyView]:
    """The ready answers, by title (only active ones unless include_archived); `locale` keeps
    those in one language."""
    require(actor, "support.view")
    query = select(CannedReply).order_by(CannedReply.title, CannedReply.id)
    if not include_archived:
        query = query.where(CannedReply.is_archived == False)  # noqa: E712
    if locale is not None:
        if locale not in LOCALES:
            raise ValidationError("admin_support.error.locale", field="locale")
        query = query.where(CannedReply.locale == locale)
    return [_canned_view(r) for r in session.execute(query).scalars()]


@verb
def create_canned_reply(
    session: Session, actor: Actor, title: str, body: str, locale: str = "ru"
) -> int:
    require(actor, "support.edit")
    title, body, locale = _check_canned(title, body, locale)
    row = CannedReply(title=title, body=body, locale=locale)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "canned_reply.create",
        "canned_reply",
        row.id,
        after={"title": title, "locale": locale, "body": body},
    )
    return row.id


@verb
def update_canned_reply(
    session: Session, actor: Actor, reply_id: int, title: str, body: str, locale: str = "ru"
) -> None:
    require(actor, "support.edit")
    row = _canned(session, reply_id)
    title, body, locale = _check_canned(title, body, locale)
    before = {"title": row.title, "locale": row.locale, "body": row.body}
    after = {"title": title, "locale": locale, "body": body}
    if before == after:
        return
    row.title, row.body, row.locale = title, body, locale
    session.add(row)
    audit.record(session, actor, "canned_reply.update", "canned_reply", row.id, before, after)
    session.flush()


@verb
def archive_canned_reply(
    session: Session, actor: Actor, reply_id: int, archived: bool = True
) -> None:
    """Archive (hidden from the inbox's list, kept for history) or bring back a canned reply."""
    require(actor, "support.edit")
    row = _canned(session, reply_id)
    archived = bool(archived)
    if row.is_archived == archived:
        return
    row.is_archived = archived
    session.add(row)
    audit.record(
        session,
        actor,
        "canned_reply.archive" if archived else "canned_reply.unarchive",
        "canned_reply",
        row.id,
        before={"is_archived": not archived},
        after={"is_archived": archived},
    )
    session.flush()


# --------------------------------------------------------------------------- the list


class seconds_between(FunctionElement):
    """Whole seconds from the first datetime to the second (NULL when either is NULL), on
    PostgreSQL and SQLite alike."""

    type = Integer()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_pg(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS INTEGER)"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400) AS INTEGER)"


@cache  # built once: a statement is immutable, and its aliases cost ~1-2 ms
def ticket_rows_select() -> Select:
    """Every ticket as a list row, unfiltered and unsorted, columns labelled:
    id, subject, category, status, priority, author_type (subscriber | partner),
    customer_name, contract_no, subscriber_id, partner_id, msisdn, assignee_id, assignee_name,
    created_at, updated_at, first_response_seconds (NULL until answered), rating."""
    assignee = aliased(User, name="assignee")
    is_partner = Ticket.partner_id.is_not(None) & Ticket.subscriber_id.is_(None)
    return (
        select(
            Ticket.id.label("id"),
            Ticket.subject.label("subject"),
            Ticket.category.label("category"),
            Ticket.status.label("status"),
            Ticket.priority.label("priority"),
            case((is_partner, literal("partner")), else_=literal("subscriber")).label(
                "author_type"
            ),
            case((is_partner, Partner.name), else_=Subscriber.full_name).label("customer_name"),
            Subscriber.contract_no.label("contract_no"),
            Ticket.subscriber_id.label("subscriber_id"),
            Ticket.partner_id.label("partner_id"),
            Sim.msisdn.label("msisdn"),
            Ticket.assignee_user_id.label("assignee_id"),
            func.coalesce(func.nullif(assignee.full_name, ""), assignee.email).label(
                "assignee_name"
            ),
            Ticket.created_at.label("created_at"),
            Ticket.updated_at.label("updated_at"),
            seconds_between(Ticket.created_at, Ticket.first_response_at).label(
                "first_response_seconds"
            ),
            Ticket.rating.label("rating"),
        )
        .select_from(Ticket)
        .join(Subscriber, Subscriber.id == Ticket.subscriber_id, isouter=True)
        .join(Partner, Partner.id == Ticket.partner_id, isouter=True)
        .join(Sim, Sim.id == Ticket.sim_id, isouter=True)
        .join(assignee, assignee.id == Ticket.assignee_user_id, isouter=True)
    )


@dataclass(frozen=True)
class AdminTicketPage:
    """What the inbox's page of one ticket shows: the thread, whom it may go to, the answers."""

    thread: AdminThread
    assignees: list[Assignee]
    canned: list[CannedReplyView]


@verb
def admin_ticket_page(session: Session, actor: Actor, ticket_id: int) -> AdminTicketPage:
    """One ticket's thread with the admins it can be assigned to and the active canned replies,
    read in one unit of work."""
    return AdminTicketPage(
        admin_thread(session, actor, ticket_id),
        assignees(session, actor),
        list_canned_replies(session, actor),
    )
