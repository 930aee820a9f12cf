"""SIM cards and the add-on services bought for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, func, select, text
from sqlalchemy.orm import column_property
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
        Index("ix_sim_partner_status", "partner_id", "status", "id"),
        # partner statistics count activations per month
        Index("ix_sim_partner_activated", "partner_id", "activated_at"),
        # the admin list: "added from/until"
        Index("ix_sim_created", "created_at"),
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
    billing_day: int = Field(default=1)
    activation_code_hash: str | None = Field(default=None, max_length=64)
    puk: str = Field(default="", max_length=8)
    status_before_block: str | None = Field(default=None, max_length=24)
    activated_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def __init__(self, **data) -> None:
        # a table model drops what is not a field: a balance given here would be lost unseen
        if "balance_kop" in data:
            raise TypeError(
                "a SIM's balance moves through the ledger (billing.ledger), in sim_balance"
            )
        super().__init__(**data)


class SimBalance(SQLModel, table=True):
    """A SIM's balance cache and billing mark, written by the ledger alone (billing.ledger).

    Apart from `sim` so that a posting (a month's fee for every SIM) writes this narrow row and
    its two B-trees instead of a new version of the wide `sim` row in all of its indexes, the
    trigram index among them (bench/README.md, "A million SIMs"). Every SIM has one: a trigger
    adds it with the SIM (migration 0040), so every way of adding SIMs (the import's COPY, the
    forms, the demo) gets it."""

    __tablename__ = "sim_balance"
    # the admin list: the debtors, sorted by balance
    __table_args__ = (Index("ix_sim_balance_balance", "balance_kop", "sim_id"),)
    sim_id: int = Field(
        sa_column=Column(Integer, ForeignKey("sim.id", ondelete="CASCADE"), primary_key=True)
    )
    balance_kop: int = Field(default=0)  # cache of sum(ledger_entry.amount_kop)
    # the last period ('YYYY-MM') whose monthly fee is in the ledger; the ledger writes it with the
    # fee (the unique (sim_id, fee_period) entry stays the guarantee of one fee per period)
    billed_period: str | None = Field(default=None, max_length=7)


# `sim.balance_kop` reads the cache (0 before the SIM's first posting) wherever a SIM is loaded or
# selected; the lists that sort or filter by it join sim_balance to use its index
Sim.__mapper__.add_property(
    "balance_kop",
    column_property(
        func.coalesce(
            select(SimBalance.balance_kop)
            .where(SimBalance.sim_id == Sim.id)
            .correlate_except(SimBalance)
            .scalar_subquery(),
            0,
        )
    ),
)


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
