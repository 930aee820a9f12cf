"""In-app notifications and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from paysim_app.models.base import utcnow


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_created", "user_id", "created_at"),
        # warnings that must reach a user once (e.g. "card expires" per card and expiry)
        UniqueConstraint("user_id", "dedup_key", name="uq_notification_dedup"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    body: str = Field(default="")
    dedup_key: str | None = Field(default=None, max_length=80)
    read_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class OutboxEmail(SQLModel, table=True):
    """E-mails to send; a job delivers them over SMTP when it is configured."""

    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    # a link's secret (reset token, confirmation code) is not in the body: the body holds
    # core.outbox.SECRET where it goes and this column the secret, encrypted
    body: str
    secret: str = Field(default="", max_length=500)
    kind: str = Field(default="", max_length=40)
    # what goes attached, as references the sender renders ("receipt:42"; core.outbox)
    attachments: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
