"""Support tickets of a subscriber or of a partner (its users share them): open one (category,
subject, text, optionally about one of the actor's SIMs), list the own tickets with filters and paging in SQL, read the thread
(staff-only notes never leave the service), answer it (which reopens a ticket that waits for
the customer or was resolved), close it and rate the answer of a resolved ticket.

The operator's side (assigning, answering, resolving) belongs to the admin inbox.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from paysim_app.core import audit, notify
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.core.listing import ExportColumn, FilterDef, ListSpec, SearchField, contains
from paysim_app.core.permissions import Actor, owned_sim, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import moment
from paysim_app.models import Sim, SpeedTest, Ticket, TicketMessage, User
from paysim_app.models.base import utcnow
from paysim_app.models.support import TICKET_CATEGORIES, TICKET_STATUSES
from paysim_app.support import attachments, quality

CATEGORIES = TICKET_CATEGORIES
STATUSES = TICKET_STATUSES
SUBJECT_MIN, SUBJECT_MAX = 3, 200
BODY_MAX = 5000
RATING_COMMENT_MAX = 1000
SEARCH_MAX = 100
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
REOPENED_BY_REPLY = ("waiting", "resolved")


@dataclass(frozen=True)
class TicketRow:
    id: int
    subject: str
    category: str
    status: str
    msisdn: str  # "" when the ticket is not about a SIM
    created_at: datetime
    updated_at: datetime
    rating: int | None


@dataclass(frozen=True)
class TicketPage:
    rows: list[TicketRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class MessageView:
    id: int
    mine: bool  # written by the subscriber (else by support)
    body: str
    created_at: datetime
    attachment_name: str = ""


@dataclass(frozen=True)
class TicketThread:
    id: int
    subject: str
    category: str
    status: str
    msisdn: str
    created_at: datetime
    updated_at: datetime
    rating: int | None
    rating_comment: str
    can_reply: bool
    can_close: bool
    can_rate: bool
    messages: list[MessageView]


# -- checks -----------------------------------------------------------------------------------


def _customer(actor: Actor | None) -> Actor:
    """A subscriber with a contract, or a partner's user: the two sides that open tickets."""
    require_role(actor, "subscriber", "partner")
    if actor.role == "subscriber" and actor.subscriber_id is None:
        raise PermissionDenied()
    if actor.role == "partner" and actor.partner_id is None:
        raise PermissionDenied()
    return actor


def _owner_clause(actor: Actor):
    """The actor's own tickets: the subscriber's, or its partner's (a partner's own tickets
    carry no subscriber)."""
    if actor.role == "partner":
        return (Ticket.partner_id == actor.partner_id) & Ticket.subscriber_id.is_(None)
    return Ticket.subscriber_id == actor.subscriber_id


def _owns(actor: Actor, ticket: Ticket) -> bool:
    if actor.role == "partner":
        return ticket.subscriber_id is None and ticket.partner_id == actor.partner_id
    return ticket.subscriber_id == actor.subscriber_id


def _own_ticket(session: Session, actor: Actor | None, ticket_id: int) -> Ticket:
    """The ticket if it is the actor's own (the subscriber's, or its partner's); a foreign or
    missing one is the same refusal."""
    actor = _customer(actor)
    ticket = session.get(Ticket, ticket_id) if isinstance(ticket_id, int) else None
    if ticket is None or not _owns(actor, ticket):
        raise PermissionDenied()
    return ticket


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _check_subject(subject: object) -> str:
    subject = " ".join(_text(subject).split())
    if not SUBJECT_MIN <= len(subject) <= SUBJECT_MAX:
        raise ValidationError(
            "support.error.subject", field="subject", min=SUBJECT_MIN, max=SUBJECT_MAX
        )
    return subject


def _check_body(body: object) -> str:
    body = _text(body)
    if not 1 <= len(body) <= BODY_MAX:
        raise ValidationError("support.error.body", field="body", max=BODY_MAX)
    return body


def _check_category(category: object) -> str:
    if category not in CATEGORIES:
        raise ValidationError("support.error.category", field="category")
    return category


def _msisdn(session: Session, sim_id: int | None) -> str:
    if sim_id is None:
        return ""
    sim = session.get(Sim, sim_id)
    return sim.msisdn if sim else ""


def speed_test_line(test: SpeedTest, locale: str) -> str:
    """The figures of a speed test as one line of a ticket message."""
    return t(
        "support.speed_attached",
        locale,
        when=moment(test.created_at, locale),
        ping=test.ping_ms,
        jitter=test.jitter_ms,
        down=quality.mbit(test.download_kbps, locale),
        up=quality.mbit(test.upload_kbps, locale),
    )


# -- writes -----------------------------------------------------------------------------------


@verb
def open_ticket(
    session: Session,
    actor: Actor,
    category: str,
    subject: str,
    body: str,
    sim_id: int | None = None,
    attachment: attachments.StoredFile | None = None,
    rating_id: int | None = None,
    speed_test_id: int | None = None,
) -> int:
    """A new ticket with its first message (and its attachment, already checked and stored by
    support.attachments.save); returns the ticket's id. `rating_id`: the subscriber's own low
    rating that led here; `speed_test_id`: their own speed test result. Each goes with one
    ticket only: the ticket is linked to it and the message says what was rated or measured
    (the SIM is taken from it when none was chosen)."""
    actor = _customer(actor)
    category = _check_category(category)
    subject = _check_subject(subject)
    body = _check_body(body)
    rating = quality.own_rating(session, actor, rating_id) if rating_id is not None else None
    test = (
        quality.own_speed_test(session, actor, speed_test_id) if speed_test_id is not None else None
    )
    if rating is not None:
        sim_id = sim_id if sim_id is not None else rating.sim_id
        stars = "★" * rating.stars + "☆" * (5 - rating.stars)
        aspect = t(f"quality.aspect.{rating.aspect}", actor.locale)
        body = f"{body}\n\n{t('support.rating_attached', actor.locale, stars=stars, aspect=aspect)}"
        if rating.comment:
            body += f" «{rating.comment}»"
    if test is not None:
        sim_id = sim_id if sim_id is not None else test.sim_id
        body = f"{body}\n\n{speed_test_line(test, actor.locale)}"
    if sim_id is not None:
        try:
            owned_sim(session, actor, sim_id, admin_permission="support.edit", partner=True)
        except PermissionDenied:
            raise ValidationError("support.error.sim", field="sim") from None
    now = utcnow()
    ticket = Ticket(
        author_user_id=actor.user_id,
        subscriber_id=actor.subscriber_id if actor.role == "subscriber" else None,
        partner_id=actor.partner_id if actor.role == "partner" else None,
        sim_id=sim_id,
        category=category,
        subject=subject,
        status="new",
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    notify.tell_queue(session, "ticket_new", ticket.id, subject=subject)
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            author_user_id=actor.user_id,
            body=body,
            created_at=now,
            **attachments.message_columns(attachment),
        )
    )
    for linked in (rating, test):
        if linked is not None:
            linked.ticket_id = ticket.id
            session.add(linked)
    audit.record(
        session,
        actor,
        "ticket.open",
        "ticket",
        ticket.id,
        after={"category": category, "subject": subject, "sim_id": sim_id},
    )
    session.flush()
    return ticket.id


@verb
def reply(
    session: Session,
    actor: Actor,
    ticket_id: int,
    body: str,
    attachment: attachments.StoredFile | None = None,
) -> int:
    """The customer's answer in the thread, with an optional file (checked and stored by
    support.attachments.save); a ticket that waited for the customer or was resolved is open
    again. A closed ticket takes no more messages (open a new one)."""
    ticket = _own_ticket(session, actor, ticket_id)
    body = _check_body(body)
    if ticket.status == "closed":
        raise DomainError("support.error.closed")
    now = utcnow()
    message = TicketMessage(
        ticket_id=ticket.id,
        author_user_id=actor.user_id,
        body=body,
        created_at=now,
        **attachments.message_columns(attachment),
    )
    session.add(message)
    before = ticket.status
    if ticket.status in REOPENED_BY_REPLY:
        ticket.status = "open"
        audit.record(
            session,
            actor,
            "ticket.reopen",
            "ticket",
            ticket.id,
            before={"status": before},
            after={"status": "open"},
        )
    ticket.updated_at = now
    session.add(ticket)
    session.flush()
    return message.id


@verb
def attachment(session: Session, actor: Actor, message_id: int) -> tuple[str, bytes, str]:
    """(name, bytes, MIME type) of a file in one of the actor's own tickets."""
    message = session.get(TicketMessage, message_id) if isinstance(message_id, int) else None
    if message is None or message.is_internal or not message.attachment_path:
        raise PermissionDenied()
    _own_ticket(session, actor, message.ticket_id)  # someone else's: refused like a missing one
    data, mime = attachments.read(message.attachment_path)
    return message.attachment_name, data, mime


@verb
def close_ticket(session: Session, actor: Actor, ticket_id: int) -> None:
    ticket = _own_ticket(session, actor, ticket_id)
    if ticket.status == "closed":
        raise DomainError("support.error.closed")
    before = ticket.status
    ticket.status = "closed"
    ticket.updated_at = utcnow()
    session.add(ticket)
    audit.record(
        session,
        actor,
        "ticket.close",
        "ticket",
        ticket.id,
        before={"status": before},
        after={"status": "closed"},
    )
    session.flush()


@verb
def rate_ticket(
    session: Session, actor: Actor, ticket_id: int, rating: int, comment: str = ""
) -> None:
    """1-5 for the answer of a resolved ticket, once, with an optional comment."""
    ticket = _own_ticket(session, actor, ticket_id)
    if ticket.status != "resolved":
        raise DomainError("support.error.not_resolved")
    if ticket.rating is not None:
        raise DomainError("support.error.rated")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError("support.error.rating", field="rating")
    comment = _text(comment)
    if len(comment) > RATING_COMMENT_MAX:
        raise ValidationError(
            "support.error.rating_comment", field="rating_comment", max=RATING_COMMENT_MAX
        )
    ticket.rating = rating
    ticket.rating_comment = comment
    ticket.updated_at = utcnow()
    session.add(ticket)
    audit.record(
        session,
        actor,
        "ticket.rate",
        "ticket",
        ticket.id,
        after={"rating": rating, "comment": comment},
    )
    session.flush()


# -- reads ------------------------------------------------------------------------------------


def _search_clause(search: str):
    """Subject contains the text, case-insensitively. SQLite folds only ASCII case, so the
    common spellings of a Cyrillic word (as typed, lower, Capitalised) are matched too."""
    variants = {search, search.lower(), search.capitalize()}
    return or_(
        Ticket.subject.ilike(f"%{_escape(search)}%", escape="\\"),
        *[Ticket.subject.contains(v, autoescape=True) for v in variants],
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@verb
def list_tickets(
    session: Session,
    actor: Actor,
    status: str = "",
    category: str = "",
    search: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> TicketPage:
    """The actor's own tickets (the subscriber's, or its partner's), the most recently updated
    first, one page of them."""
    actor = _customer(actor)
    if status and status not in STATUSES:
        raise ValidationError("support.error.status", field="status")
    if category:
        _check_category(category)
    search = _text(search)[:SEARCH_MAX]
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    conditions = [_owner_clause(actor)]
    if status:
        conditions.append(Ticket.status == status)
    if category:
        conditions.append(Ticket.category == category)
    if search:
        conditions.append(_search_clause(search))
    total = session.exec(select(func.count()).select_from(Ticket).where(*conditions)).one()
    pages = max(1, math.ceil(total / page_size))
    page = max(1, min(int(page), pages))
    rows = session.exec(
        select(Ticket, Sim.msisdn)
        .join(Sim, Sim.id == Ticket.sim_id, isouter=True)
        .where(*conditions)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return TicketPage(
        rows=[
            TicketRow(
                id=t.id,
                subject=t.subject,
                category=t.category,
                status=t.status,
                msisdn=msisdn or "",
                created_at=t.created_at,
                updated_at=t.updated_at,
                rating=t.rating,
            )
            for t, msisdn in rows
        ],
        total=total,
        page=page,
        pages=pages,
    )


@verb
def ticket_thread(session: Session, actor: Actor, ticket_id: int) -> TicketThread:
    """The ticket and its messages, oldest first, without the staff's internal notes."""
    ticket = _own_ticket(session, actor, ticket_id)
    messages = session.exec(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id, TicketMessage.is_internal == False)  # noqa: E712
        .order_by(TicketMessage.created_at, TicketMessage.id)
    ).all()
    ours = {actor.user_id}
    if actor.role == "partner":  # a colleague's message is the partner's side too
        ours |= set(session.exec(select(User.id).where(User.partner_id == actor.partner_id)))
    return TicketThread(
        id=ticket.id,
        subject=ticket.subject,
        category=ticket.category,
        status=ticket.status,
        msisdn=_msisdn(session, ticket.sim_id),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        rating=ticket.rating,
        rating_comment=ticket.rating_comment,
        can_reply=ticket.status != "closed",
        can_close=ticket.status != "closed",
        can_rate=ticket.status == "resolved" and ticket.rating is None,
        messages=[
            MessageView(
                id=m.id,
                mine=m.author_user_id in ours,
                body=m.body,
                created_at=m.created_at,
                attachment_name=m.attachment_name,
            )
            for m in messages
        ],
    )


# -- the customer's own tickets as a list of the shared machinery ---------------------------------
def _own_ticket_columns(actor: Actor):
    """The actor's own tickets (_owner_clause: the subscriber's, or its partner's): another
    contract's ticket never enters the SELECT, whatever filter or condition narrows it."""
    return (
        select(
            Ticket.id.label("id"),
            Ticket.subject.label("subject"),
            Ticket.category.label("category"),
            Ticket.status.label("status"),
            Ticket.created_at.label("created_at"),
            Ticket.updated_at.label("updated_at"),
            Ticket.rating.label("rating"),
            Sim.msisdn.label("msisdn"),
        )
        .select_from(Ticket)
        .outerjoin(Sim, Sim.id == Ticket.sim_id)
        .where(_owner_clause(_customer(actor)))
    )


def _search_own_tickets(stmt, text: str):
    """#12 or 12: a ticket's number; otherwise its subject or any of its messages' text (the
    customer's and support's answers, never support's internal notes)."""
    text = text.strip()[:SEARCH_MAX]
    if re.fullmatch(r"#?\d{1,9}", text):
        return stmt.where(Ticket.id == int(text.lstrip("#")))
    said = select(TicketMessage.ticket_id).where(
        TicketMessage.is_internal.is_(False), contains(TicketMessage.body, text)
    )
    return stmt.where(or_(contains(Ticket.subject, text), Ticket.id.in_(said.scalar_subquery())))


OWN_TICKET_LIST = ListSpec(
    name="own_tickets",
    permission="subscriber",
    columns=_own_ticket_columns,
    sorts={"updated_at": Ticket.updated_at, "created_at": Ticket.id, "status": Ticket.status},
    default_sort="updated_at",
    key=Ticket.id,
    filters=(
        FilterDef("status", lambda s, v: s.where(Ticket.status == v), "choice", STATUSES),
        FilterDef("category", lambda s, v: s.where(Ticket.category == v), "choice", CATEGORIES),
    ),
    search=_search_own_tickets,
    authorize=_customer,
    export=(
        ExportColumn("id", "support.col.number"),
        ExportColumn("subject", "support.col.subject"),
        ExportColumn("category", "support.col.category", "word", "support.category."),
        ExportColumn("status", "support.col.status", "word", "support.status."),
        ExportColumn("msisdn", "own_lists.tickets.sim"),
        ExportColumn("created_at", "own_lists.tickets.created", "time"),
        ExportColumn("updated_at", "support.col.updated", "time"),
    ),
    fields=(
        SearchField("subject", Ticket.subject, "text", "support.col.subject"),
        SearchField(
            "category",
            Ticket.category,
            "choice",
            "support.col.category",
            CATEGORIES,
            "support.category.",
        ),
        SearchField(
            "status", Ticket.status, "choice", "support.col.status", STATUSES, "support.status."
        ),
        SearchField("msisdn", Sim.msisdn, "text", "own_lists.tickets.sim"),
        SearchField("created_at", Ticket.created_at, "date", "own_lists.tickets.created"),
        SearchField("updated_at", Ticket.updated_at, "date", "support.col.updated"),
        SearchField("rating", Ticket.rating, "number", "own_lists.tickets.rating"),
    ),
)
