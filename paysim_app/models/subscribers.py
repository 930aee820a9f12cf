"""Subscribers: a contract holder with 1..n SIMs."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, trigram_index, utcnow

CONTRACT_STATUSES = ("active", "inactive")
# the kind of ID document a contract was signed on ("" on contracts made before it was asked)
DOCUMENT_TYPES = ("passport", "foreign_passport", "residence_permit", "other")


class Subscriber(SQLModel, table=True):
    __tablename__ = "subscriber"
    __table_args__ = (
        one_of("status", CONTRACT_STATUSES, "ck_subscriber_status"),
        trigram_index("ix_subscriber_full_name_trgm", "full_name"),
    )
    id: int | None = Field(default=None, primary_key=True)
    contract_no: str = Field(max_length=20, unique=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", unique=True)
    full_name: str = Field(default="", max_length=200, index=True)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=16, index=True)
    address: str = Field(default="", max_length=300)
    document_type: str = Field(default="", max_length=20)  # DOCUMENT_TYPES or ""
    document_no: str = Field(default="", max_length=40)  # ID document (passport) number
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    status: str = Field(default="active", max_length=16, index=True)
    notes: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow, index=True)
