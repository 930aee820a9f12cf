"""Support tickets and their message threads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

TICKET_STATUSES = ("new", "open", "waiting", "resolved", "closed")
TICKET_CATEGORIES = ("connection", "speed", "payments", "tariff", "sim", "other")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
OPEN_TICKET_STATUSES = ("new", "open", "waiting")


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        one_of("status", TICKET_STATUSES, "ck_ticket_status"),
        one_of("category", TICKET_CATEGORIES, "ck_ticket_category"),
        one_of("priority", TICKET_PRIORITIES, "ck_ticket_priority"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="ck_ticket_rating"),
        Index("ix_ticket_status_updated", "status", "updated_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    author_user_id: int = Field(foreign_key="user_account.id", index=True)
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", index=True)
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    sim_id: int | None = Field(default=None, foreign_key="sim.id")
    category: str = Field(default="other", max_length=16)
    subject: str = Field(max_length=200)
    status: str = Field(default="new", max_length=16)
    priority: str = Field(default="normal", max_length=16)
    assignee_user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    first_response_at: datetime | None = None
    rating: int | None = None
    rating_comment: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TicketMessage(SQLModel, table=True):
    __tablename__ = "ticket_message"
    __table_args__ = (CheckConstraint("length(body) > 0", name="ck_ticket_message_body"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True, ondelete="CASCADE")
    author_user_id: int = Field(foreign_key="user_account.id")
    body: str
    is_internal: bool = Field(default=False)  # staff-only note
    attachment_name: str = Field(default="", max_length=200)
    attachment_path: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class CannedReply(SQLModel, table=True):
    """A ready answer the support inbox inserts into a reply (admins keep the list)."""

    __tablename__ = "canned_reply"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    body: str
    locale: str = Field(default="ru", max_length=2)
    is_archived: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
