"""SIM cards and the add-on services bought for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

SIM_STATUSES = ("in_stock", "awaiting_activation", "active", "suspended", "blocked", "deactivated")


class Sim(SQLModel, table=True):
    __tablename__ = "sim"
    __table_args__ = (
        one_of("status", SIM_STATUSES, "ck_sim_status"),
        CheckConstraint("billing_day BETWEEN 1 AND 28", name="ck_sim_billing_day"),
        CheckConstraint("length(iccid) BETWEEN 19 AND 20", name="ck_sim_iccid_len"),
        CheckConstraint("length(imsi) = 15", name="ck_sim_imsi_len"),
        CheckConstraint("length(msisdn) = 12", name="ck_sim_msisdn_len"),
        # the admin lists filter by status and partner and sort by newest first
        Index("ix_sim_status_id", "status", "id"),
        # the billing cycle looks for active SIMs not yet billed for the period
        Index("ix_sim_status_billed", "status", "billed_period"),
        Index("ix_sim_partner_status", "partner_id", "status", "id"),
        # partner statistics count activations per month
        Index("ix_sim_partner_activated", "partner_id", "activated_at"),
        # the admin list: "added from/until" and the debtors sorted by balance
        Index("ix_sim_created", "created_at"),
        Index("ix_sim_balance_id", "balance_kop", "id"),
        # a search by the subscriber's name, newest first, walks only the SIMs that have one
        Index(
            "ix_sim_subscribed_id",
            "id",
            postgresql_where=text("subscriber_id IS NOT NULL"),
            sqlite_where=text("subscriber_id IS NOT NULL"),
        ),
        # PostgreSQL: one GIN trigram index over the three numbers for "any part of a number",
        # on the expression `msisdn || ' ' || iccid || ' ' || imsi` (ix_sim_numbers_trgm,
        # migration 0037; core.text_search.sim_number_part), made by the migration only
    )
    id: int | None = Field(default=None, primary_key=True)
    iccid: str = Field(max_length=20, unique=True)
    msisdn: str = Field(max_length=12, unique=True)  # +7XXXXXXXXXX
    imsi: str = Field(max_length=15, unique=True)
    status: str = Field(default="in_stock", max_length=24)
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", index=True)
    partner_id: int | None = Field(default=None, foreign_key="partner.id")
    tariff_id: int | None = Field(default=None, foreign_key="tariff.id", index=True)
    label: str = Field(default="", max_length=40)
    balance_kop: int = Field(default=0)  # cache of sum(ledger_entry.amount_kop)
    billing_day: int = Field(default=1)
    # the last period ('YYYY-MM') whose monthly fee is in the ledger; the ledger writes it with the
    # fee (the unique (sim_id, fee_period) entry stays the guarantee of one fee per period)
    billed_period: str | None = Field(default=None, max_length=7)
    activation_code_hash: str | None = Field(default=None, max_length=64)
    puk: str = Field(default="", max_length=8)
    status_before_block: str | None = Field(default=None, max_length=24)
    activated_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SimAddon(SQLModel, table=True):
    __tablename__ = "sim_addon"
    __table_args__ = (CheckConstraint("expires_at > started_at", name="ck_sim_addon_period"),)
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int = Field(foreign_key="sim.id", index=True)
    addon_id: int = Field(foreign_key="addon_service.id")
    started_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    auto_renew: bool = Field(default=True)
    ledger_entry_id: int | None = Field(default=None, foreign_key="ledger_entry.id")
