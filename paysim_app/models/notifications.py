"""In-app notifications and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_created", "user_id", "created_at"),
        # the header badge counts a user's unread ones on every page; the SIM filter
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_sim", "user_id", "sim_id", "created_at"),
        # warnings that must reach a user once (e.g. "card expires" per card and expiry)
        UniqueConstraint("user_id", "dedup_key", name="uq_notification_dedup"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    body: str = Field(default="")
    dedup_key: str | None = Field(default=None, max_length=80)
    # the SIM it is about (notify_sim_owners sets it), for the subscriber's filter by SIM
    sim_id: int | None = Field(default=None, foreign_key="sim.id", ondelete="SET NULL")
    read_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class NotificationPreference(SQLModel, table=True):
    """How a user wants one kind of notification: in-app only, also by e-mail or by SMS
    ("off" only for the kinds one opts in to). No row = the kind's default (core.notify)."""

    __tablename__ = "notification_preference"
    __table_args__ = (one_of("channel", ("app", "email", "sms", "off"), "ck_notif_pref_channel"),)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=40, primary_key=True)
    channel: str = Field(max_length=8)
    updated_at: datetime = Field(default_factory=utcnow)


OUTBOX_CHANNELS = ("email", "sms")
OUTBOX_STATUSES = ("waiting", "sending", "sent", "failed")


class OutboxEmail(SQLModel, table=True):
    """Messages to send, e-mail or SMS (`channel`); messaging.delivery drains them.

    A row is `waiting` (due at `next_attempt_at`), `sending` (claimed by a worker until
    `claimed_until`: if the worker dies the claim expires and the row is due again), `sent`
    (`sent_at`, `message_id`) or `failed` (`last_error` says why). While a row is claimed its
    `next_attempt_at` is the claim's end, so "due" is one range on one index for both."""

    __tablename__ = "outbox_email"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_created", "created_at"),
        one_of("channel", OUTBOX_CHANNELS, "ck_outbox_channel"),
        one_of("status", OUTBOX_STATUSES, "ck_outbox_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(
        default="email", max_length=8, sa_column_kwargs={"server_default": "email"}
    )
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    # a link's secret (reset token, confirmation code) is not in the body: the body holds
    # core.outbox.SECRET where it goes and this column the secret, encrypted
    body: str
    secret: str = Field(default="", max_length=500)
    kind: str = Field(default="", max_length=40)
    # what goes attached, as references the sender renders ("receipt:42"; core.outbox)
    attachments: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    # whom it is for, when known (bounces are marked on them; their language renders it);
    # "" locale: the user's, or ru
    user_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    locale: str = Field(default="", max_length=2, sa_column_kwargs={"server_default": ""})
    status: str = Field(
        default="waiting", max_length=8, sa_column_kwargs={"server_default": "waiting"}
    )
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)
    claimed_by: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    claimed_until: datetime | None = None
    # the e-mail's Message-ID, or the SMSC's ids of the parts (comma separated)
    message_id: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
