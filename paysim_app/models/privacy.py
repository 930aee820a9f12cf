"""Personal data under 152-FZ: the versioned legal texts a person accepts, the record of each
acceptance, and the requests to close an account (accounts.consent, subscribers.privacy)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

LEGAL_DOCS = ("personal_data", "terms")  # consent to processing, the service terms
CONSENT_SOURCES = ("registration", "sim_order", "dealer_sale", "sign_in", "back_office")
CLOSURE_STATUSES = ("pending", "closed", "withdrawn")


class LegalText(SQLModel, table=True):
    """One published version of a legal document; the current one is the highest version."""

    __tablename__ = "legal_text"
    __table_args__ = (
        one_of("doc", LEGAL_DOCS, "ck_legal_text_doc"),
        UniqueConstraint("doc", "version", name="uq_legal_text_doc_version"),
    )
    id: int | None = Field(default=None, primary_key=True)
    doc: str = Field(max_length=20)
    version: int
    title_ru: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    body_ru: str = Field(max_length=20000)
    body_en: str = Field(max_length=20000)
    published_at: datetime = Field(default_factory=utcnow)
    published_by: int | None = Field(default=None, foreign_key="user_account.id")


class ConsentRecord(SQLModel, table=True):
    """A person accepted one version of one document: who (their account, contract, or the
    request the consent was given with: `reference` such as "activation_request:12"), when,
    from where (the source, the address and the browser, short)."""

    __tablename__ = "consent_record"
    __table_args__ = (
        one_of("doc", LEGAL_DOCS, "ck_consent_record_doc"),
        one_of("source", CONSENT_SOURCES, "ck_consent_record_source"),
        Index("ix_consent_record_user_doc", "user_id", "doc", "version"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", index=True)
    reference: str = Field(default="", max_length=60, index=True)
    doc: str = Field(max_length=20)
    version: int
    accepted_at: datetime = Field(default_factory=utcnow)
    source: str = Field(max_length=20)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=120)


class ClosureRequest(SQLModel, table=True):
    """A subscriber asked to close their account; an admin closes it (or it is withdrawn).
    One pending request per contract at a time."""

    __tablename__ = "closure_request"
    __table_args__ = (
        one_of("status", CLOSURE_STATUSES, "ck_closure_request_status"),
        Index(
            "uq_closure_request_pending",
            "subscriber_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    contract_no: str = Field(max_length=20)
    status: str = Field(default="pending", max_length=16, index=True)
    requested_at: datetime = Field(default_factory=utcnow, index=True)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    note: str = Field(default="", max_length=500)
