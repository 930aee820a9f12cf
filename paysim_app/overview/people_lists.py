"""The two back-office lists about people: the Subscribers section (every contract) and the
Support inbox (every ticket of subscribers and partners). Declarations over core.listing;
the SELECTs come from subscribers.contracts.subscriber_rows_select and
support.inbox.ticket_rows_select, the permission checks from the specs (subscribers.view,
support.view)."""

from __future__ import annotations

import re

from sqlalchemy import case, literal_column, or_, select, union
from sqlmodel import Session

from paysim_app.core import choices
from paysim_app.core.choices import Choice
from paysim_app.core.listing import (
    ExportColumn,
    FilterDef,
    ListSpec,
    SearchField,
    contains,
    date_range,
    digits,
    id_filter,
    phone_part,
)
from paysim_app.core.permissions import Actor, require
from paysim_app.core.text_search import (
    among_holders,
    among_or_itself,
    full_text,
    in_ids,
    name_matches,
)
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Partner, Subscriber, Ticket, TicketMessage
from paysim_app.models.subscribers import CONTRACT_STATUSES
from paysim_app.models.support import (
    OPEN_TICKET_STATUSES,
    TICKET_CATEGORIES,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
)
from paysim_app.subscribers.contracts import subscriber_rows_select
from paysim_app.support.inbox import ticket_rows_select

UNRESOLVED = "unresolved"  # the ticket status filter's "new, open or waiting"
AUTHOR_TYPES = ("subscriber", "partner")
_PHONE_LIKE = re.compile(r"[\d\s()+-]+")
_CODE_LIKE = re.compile(r"[0-9A-Za-z@]")  # a contract, an e-mail, a document may have these


# -- subscribers --------------------------------------------------------------------------------
def _document_spellings(text: str) -> list[str]:
    """How a typed passport number may be written in document_no: as typed, its digits, and a
    Russian passport's ten digits as "4510 123456" and "45 10 123456"."""
    d = digits(text)
    out = [text, d]
    if len(d) == 10:
        out += [f"{d[:4]} {d[4:]}", f"{d[:2]} {d[2:4]} {d[4:]}"]
    return list(dict.fromkeys(s for s in out if s))


def search_subscribers(stmt, text: str):
    """A contract number, a phone number (+7 / 8 ignored), an e-mail, an ID document (passport)
    number: any part of each; or a name: every word, also in Latin letters, without its ending
    (core.text_search.name_matches). Text without a digit, a Latin letter or "@" is a name
    only."""
    text = text.strip()
    if digits(text) and _PHONE_LIKE.fullmatch(text):
        part = phone_part(text)
        return stmt.where(
            or_(
                Subscriber.phone.like(f"%{part}%"),
                Subscriber.contract_no.like(f"%{digits(text)}%"),
                *[contains(Subscriber.document_no, s) for s in _document_spellings(text)],
            )
        )
    if "@" in text:
        return stmt.where(contains(Subscriber.email, text))
    if not _CODE_LIKE.search(text):  # letters only: a name (contracts and e-mails are Latin)
        return stmt.where(name_matches(Subscriber.full_name, text))
    # Latin letters: the contracts matching any of the four are looked up on their own (in_ids).
    # PostgreSQL estimates a name's word it has no statistics for at 0.5 % of the contracts, so
    # under a list's LIMIT it took the OR for a common one and read every contract hoping to meet
    # matches early: 3.5 s at a million contracts for a word nobody has ("speedtest"), 4 ms so
    # (bench/README.md, "A Latin word among a million contracts").
    anywhere = or_(
        name_matches(Subscriber.full_name, text),
        contains(Subscriber.contract_no, text),
        contains(Subscriber.email, text),
        contains(Subscriber.document_no, text),
    )
    found = select(Subscriber.id).where(anywhere)
    return stmt.where(among_or_itself(Subscriber.id, found, ("contracts", text), anywhere))


SUBSCRIBER_LIST = ListSpec(
    name="subscribers",
    permission="subscribers.view",
    columns=lambda actor: subscriber_rows_select(),
    sorts={
        "created_at": Subscriber.created_at,
        "contract_no": Subscriber.contract_no,
        "full_name": Subscriber.full_name,
        "status": Subscriber.status,
        # the two sums are labelled subqueries of the SELECT: ordered by their output names
        "balance": literal_column("balance_kop"),
        "sim_count": literal_column("sim_count"),
    },
    default_sort="created_at",
    key=Subscriber.id,
    filters=(
        FilterDef(
            "status", lambda s, v: s.where(Subscriber.status == v), "choice", CONTRACT_STATUSES
        ),
        FilterDef("partner", id_filter(Subscriber.partner_id, allow_none=True), "text"),
        *date_range(Subscriber.created_at, "created_from", "created_to"),
    ),
    search=search_subscribers,
    export=(
        ExportColumn("contract_no", "admin_subscribers.col.contract_no"),
        ExportColumn("full_name", "admin_subscribers.col.full_name"),
        ExportColumn("phone", "admin_subscribers.col.phone"),
        ExportColumn("email", "admin_subscribers.col.email"),
        ExportColumn("status", "admin_subscribers.col.status", "word", "admin_subscribers.status."),
        ExportColumn("sim_count", "admin_subscribers.col.sim_count"),
        ExportColumn("balance_kop", "admin_subscribers.col.balance", "money"),
        ExportColumn("partner_name", "admin_subscribers.col.partner"),
        ExportColumn("created_at", "admin_subscribers.col.created", "time"),
    ),
    fields=(
        SearchField(
            "contract_no", Subscriber.contract_no, "text", "admin_subscribers.col.contract_no"
        ),
        SearchField("full_name", Subscriber.full_name, "text", "admin_subscribers.col.full_name"),
        SearchField("phone", Subscriber.phone, "text", "admin_subscribers.col.phone"),
        SearchField("email", Subscriber.email, "text", "admin_subscribers.col.email"),
        SearchField(
            "status",
            Subscriber.status,
            "choice",
            "admin_subscribers.col.status",
            CONTRACT_STATUSES,
            "admin_subscribers.status.",
        ),
        SearchField(
            "partner", Subscriber.partner_id, "ref", "admin_subscribers.col.partner", ref="partner"
        ),
        SearchField("created_at", Subscriber.created_at, "date", "admin_subscribers.col.created"),
    ),
)


@verb
def partner_choices(session: Session, actor: Actor) -> list[Choice]:
    """Every partner by name, for the Subscribers list's partner filter."""
    require(actor, "subscribers.view")
    return choices.partners(session)


# -- support inbox ------------------------------------------------------------------------------
def _ticket_status(stmt, value: str):
    if value == UNRESOLVED:
        return stmt.where(Ticket.status.in_(OPEN_TICKET_STATUSES))
    return stmt.where(Ticket.status == value)


_IS_PARTNER = Ticket.partner_id.is_not(None) & Ticket.subscriber_id.is_(None)


def _author_type(stmt, value: str):
    return stmt.where(_IS_PARTNER if value == "partner" else ~_IS_PARTNER)


def search_tickets(stmt, text: str):
    """#123 or 123: a ticket number; otherwise the subject (a part, or its words stemmed), the
    text of any message of the ticket (full text: core.text_search.full_text), the customer's
    name (subscriber or partner) or a contract number. Each is one indexed lookup (trigram and
    full-text indexes on PostgreSQL) of ticket ids; the tickets are read by those ids."""
    text = text.strip()
    if re.fullmatch(r"#?\s*\d{1,9}", text):
        return stmt.where(Ticket.id == int(digits(text)))
    named = select(Subscriber.id).where(name_matches(Subscriber.full_name, text))
    contract = select(Subscriber.id).where(contains(Subscriber.contract_no, text))
    partners = select(Partner.id).where(name_matches(Partner.name, text))
    ids = union(
        select(Ticket.id).where(
            or_(contains(Ticket.subject, text), full_text(Ticket.subject, text))
        ),
        select(TicketMessage.ticket_id).where(full_text(TicketMessage.body, text)),
        select(Ticket.id).where(among_holders(Ticket.subscriber_id, named, ("name words", text))),
        select(Ticket.id).where(in_ids(Ticket.subscriber_id, contract)),
        select(Ticket.id).where(in_ids(Ticket.partner_id, partners)),
    )
    return stmt.where(Ticket.id.in_(ids))


_PRIORITY_RANK = case(
    *[(Ticket.priority == p, i) for i, p in enumerate(TICKET_PRIORITIES)], else_=0
)

TICKET_LIST = ListSpec(
    name="tickets",
    permission="support.view",
    columns=lambda actor: ticket_rows_select(),
    sorts={
        "updated_at": Ticket.updated_at,
        "created_at": Ticket.created_at,
        "priority": _PRIORITY_RANK,
        "status": Ticket.status,
        "first_response": literal_column("first_response_seconds"),
    },
    default_sort="updated_at",
    key=Ticket.id,
    filters=(
        FilterDef("status", _ticket_status, "choice", (UNRESOLVED, *TICKET_STATUSES)),
        FilterDef(
            "category", lambda s, v: s.where(Ticket.category == v), "choice", TICKET_CATEGORIES
        ),
        FilterDef(
            "priority", lambda s, v: s.where(Ticket.priority == v), "choice", TICKET_PRIORITIES
        ),
        FilterDef("assignee", id_filter(Ticket.assignee_user_id, allow_none=True), "text"),
        FilterDef("author_type", _author_type, "choice", AUTHOR_TYPES),
        *date_range(Ticket.created_at, "created_from", "created_to"),
    ),
    search=search_tickets,
    no_merge_join=True,  # a common name's lookup (text_search.among_holders)
    export=(
        ExportColumn("id", "admin_support.col.number"),
        ExportColumn("subject", "admin_support.col.subject"),
        ExportColumn("customer_name", "admin_support.col.customer"),
        ExportColumn(
            "author_type", "admin_support.col.author_type", "word", "admin_support.author."
        ),
        ExportColumn("category", "admin_support.col.category", "word", "support.category."),
        ExportColumn("priority", "admin_support.col.priority", "word", "admin_support.priority."),
        ExportColumn("status", "admin_support.col.status", "word", "admin_support.status."),
        ExportColumn("assignee_name", "admin_support.col.assignee"),
        ExportColumn("first_response_seconds", "people_ui.sup.first_response_seconds"),
        ExportColumn("created_at", "admin_support.col.created", "time"),
        ExportColumn("updated_at", "admin_support.col.updated", "time"),
    ),
    fields=(
        SearchField("subject", Ticket.subject, "text", "admin_support.col.subject"),
        SearchField(
            "status",
            Ticket.status,
            "choice",
            "admin_support.col.status",
            TICKET_STATUSES,
            "admin_support.status.",
        ),
        SearchField(
            "category",
            Ticket.category,
            "choice",
            "admin_support.col.category",
            TICKET_CATEGORIES,
            "support.category.",
        ),
        SearchField(
            "priority",
            Ticket.priority,
            "choice",
            "admin_support.col.priority",
            TICKET_PRIORITIES,
            "admin_support.priority.",
        ),
        SearchField(
            "subscriber",
            Ticket.subscriber_id,
            "ref",
            "admin_support.col.customer",
            ref="subscriber",
        ),
        SearchField("partner", Ticket.partner_id, "ref", "admin_partners.col.name", ref="partner"),
        SearchField(
            "assignee", Ticket.assignee_user_id, "ref", "admin_support.col.assignee", ref="admin"
        ),
        SearchField("created_at", Ticket.created_at, "date", "admin_support.col.created"),
        SearchField("updated_at", Ticket.updated_at, "date", "admin_support.col.updated"),
    ),
)
