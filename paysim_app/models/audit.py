"""Audit log of every admin action, and the lease that keeps one scheduler among workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from paysim_app.models.base import utcnow


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_created", "created_at"),
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_actor_created", "actor_user_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    action: str = Field(max_length=64)
    entity: str = Field(max_length=40)
    entity_id: str = Field(default="", max_length=40)
    before: str = Field(default="")  # JSON
    after: str = Field(default="")  # JSON
    created_at: datetime = Field(default_factory=utcnow)


class JobLease(SQLModel, table=True):
    """Whoever holds an unexpired lease runs the scheduler; the others stand by."""

    __tablename__ = "job_lease"
    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=100)
    expires_at: datetime


class BillingRun(SQLModel, table=True):
    """One row per day the billing cycle has completed; the next run catches up from here."""

    __tablename__ = "billing_run"
    run_date: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD, Moscow
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    summary: str = Field(default="")  # JSON counts
