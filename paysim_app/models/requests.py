"""Requests that wait for an admin: activation, tariff change, block/unblock; and the blocks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

REQUEST_STATUSES = ("pending", "approved", "rejected", "cancelled")
# a tariff change approved "from the next period" is scheduled until the billing cycle switches
# the SIM on its effective date (then approved, applied_at set)
TARIFF_CHANGE_STATUSES = ("pending", "scheduled", "approved", "rejected", "cancelled")
TARIFF_CHANGE_OPEN = ("pending", "scheduled")  # at most one of these per SIM
TARIFF_CHANGE_WHEN = ("next_period", "now")
BLOCK_REASONS = ("lost", "stolen", "debt", "fraud", "admin", "other")


class ActivationRequest(SQLModel, table=True):
    __tablename__ = "activation_request"
    __table_args__ = (
        one_of("status", REQUEST_STATUSES, "ck_activation_status"),
        Index("ix_activation_status_created", "status", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int = Field(foreign_key="sim.id", index=True)
    requester_user_id: int = Field(foreign_key="user_account.id")
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", index=True)
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    tariff_id: int | None = Field(default=None, foreign_key="tariff.id")
    customer_name: str = Field(default="", max_length=200)
    customer_phone: str = Field(default="", max_length=16)
    customer_email: str = Field(default="", max_length=254)
    customer_document: str = Field(default="", max_length=40)
    status: str = Field(default="pending", max_length=16)
    reason: str = Field(default="", max_length=500)
    decided_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class TariffChangeRequest(SQLModel, table=True):
    __tablename__ = "tariff_change_request"
    __table_args__ = (
        one_of("status", TARIFF_CHANGE_STATUSES, "ck_tariff_change_status"),
        one_of("effective", TARIFF_CHANGE_WHEN, "ck_tariff_change_when"),
        Index("ix_tariff_change_status_created", "status", "created_at"),
        # one open (pending or scheduled) change per SIM, whoever files it at the same moment
        Index(
            "ux_tariff_change_open",
            "sim_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'scheduled')"),
            sqlite_where=text("status IN ('pending', 'scheduled')"),
        ),
        # the billing cycle's "scheduled and due by this day"
        Index(
            "ix_tariff_change_due",
            "effective_on",
            postgresql_where=text("status = 'scheduled'"),
            sqlite_where=text("status = 'scheduled'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int = Field(foreign_key="sim.id", index=True)
    requester_user_id: int = Field(foreign_key="user_account.id")
    from_tariff_id: int | None = Field(default=None, foreign_key="tariff.id")
    to_tariff_id: int = Field(foreign_key="tariff.id")
    effective: str = Field(default="next_period", max_length=16)
    status: str = Field(default="pending", max_length=16)
    reason: str = Field(default="", max_length=500)
    decided_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = None
    # the day the new tariff takes effect, set at approval (today for "now", the next billing
    # date for "next_period"); applied_at: when the SIM was switched (None while scheduled)
    effective_on: date | None = None
    applied_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Block(SQLModel, table=True):
    """A SIM's block: who, when, why; lifted_at set when it is lifted."""

    __tablename__ = "sim_block"
    __table_args__ = (
        one_of("reason", BLOCK_REASONS, "ck_block_reason"),
        Index("ix_block_active", "lifted_at", "blocked_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int = Field(foreign_key="sim.id", index=True)
    reason: str = Field(max_length=16)
    comment: str = Field(default="", max_length=500)
    blocked_by_user_id: int = Field(foreign_key="user_account.id")
    blocked_at: datetime = Field(default_factory=utcnow)
    previous_status: str = Field(max_length=24)
    lifted_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    lifted_at: datetime | None = None


class UnblockRequest(SQLModel, table=True):
    __tablename__ = "unblock_request"
    __table_args__ = (one_of("status", REQUEST_STATUSES, "ck_unblock_status"),)
    id: int | None = Field(default=None, primary_key=True)
    block_id: int = Field(foreign_key="sim_block.id", index=True)
    sim_id: int = Field(foreign_key="sim.id", index=True)
    requester_user_id: int = Field(foreign_key="user_account.id")
    comment: str = Field(default="", max_length=500)
    status: str = Field(default="pending", max_length=16)
    decided_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
