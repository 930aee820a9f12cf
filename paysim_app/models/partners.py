"""Partners (dealers) and the commissions they earn on their subscribers' payments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

COMMISSION_KINDS = ("accrual", "reversal")


class Partner(SQLModel, table=True):
    __tablename__ = "partner"
    __table_args__ = (
        # basis points: 1000 = 10.00 %
        CheckConstraint("commission_bp BETWEEN 0 AND 10000", name="ck_partner_commission"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200, index=True)
    inn: str = Field(default="", max_length=12)
    contact_email: str = Field(default="", max_length=254)
    contact_phone: str = Field(default="", max_length=16)
    address: str = Field(default="", max_length=300)
    commission_bp: int = Field(default=0)
    # cash top-ups the partner may take in one Moscow day, in kopecks (None: no limit)
    cash_daily_limit_kop: int | None = Field(default=None)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class Commission(SQLModel, table=True):
    """One accrual per successful payment, at the rate of that day, and a reversal per refund of
    it (in proportion to what that refund gave back)."""

    __tablename__ = "commission"
    __table_args__ = (
        CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="ck_commission_rate"),
        one_of("kind", COMMISSION_KINDS, "ck_commission_kind"),
        # a payment accrues once; each of its refunds reverses (its share) once
        Index(
            "uq_commission_accrual",
            "payment_id",
            unique=True,
            postgresql_where=text("kind = 'accrual'"),
            sqlite_where=text("kind = 'accrual'"),
        ),
        UniqueConstraint("refund_id", name="uq_commission_refund_id"),
        # a payment's commission (its accrual less its reversals), per row of the dealer's list
        Index("ix_commission_payment", "payment_id"),
        # partner statistics sum amounts by partner and period straight from the index on PG
        Index(
            "ix_commission_partner_created",
            "partner_id",
            "created_at",
            postgresql_include=["amount_kop", "kind"],
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id")
    payment_id: int = Field(foreign_key="payment.id")
    kind: str = Field(default="accrual", max_length=8)
    # a reversal: the refund it answers (None for reversals of whole refunds made before 0010)
    refund_id: int | None = Field(default=None, foreign_key="payment_refund.id")
    rate_bp: int
    amount_kop: int
    created_at: datetime = Field(default_factory=utcnow)


class PartnerTakings(SQLModel, table=True):
    """A partner's succeeded payments (how many, what they kept), its cash top-ups, its
    commission, its SIMs and their activations, by UTC hour: what its statistics, its settlement and the comparison of partners
    sum for a period, instead of the payments and commissions themselves (partners.takings).

    Only the database writes it: triggers on `payment`, `commission` and `sim` add a row of the
    differences each change makes (positive and negative), so no writer locks a shared row;
    partners.takings.fold adds those rows into one folded row per partner and hour. A figure
    is the sum of all rows, folded or not."""

    __tablename__ = "partner_takings"
    __table_args__ = (
        Index(
            "ix_partner_takings_partner_hour",
            "partner_id",
            "hour",
            postgresql_include=[
                "payments",
                "kept_kop",
                "cash_kop",
                "profit_kop",
                "sims",
                "activations",
            ],
        ),
        Index("ix_partner_takings_hour", "hour"),
        # one folded row per partner and hour: fold adds into it
        Index(
            "uq_partner_takings_folded",
            "partner_id",
            "hour",
            unique=True,
            postgresql_where=text("folded"),
            sqlite_where=text("folded"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", ondelete="CASCADE")
    hour: datetime  # the UTC hour the payment was made or the commission written in
    payments: int = Field(default=0)  # succeeded payments
    kept_kop: int = Field(default=0, sa_type=BigInteger)  # their amounts less refunds, chargebacks
    # the dealer's cash top-ups (method "partner", succeeded or refunded): what it kept of them
    cash_kop: int = Field(default=0, sa_type=BigInteger)
    profit_kop: int = Field(default=0, sa_type=BigInteger)  # commission: accruals less reversals
    # its SIMs (counted at the hour each was added; all hours sum to what it holds now) and
    # their activations (at the hour of each): from triggers on `sim`
    sims: int = Field(default=0)
    activations: int = Field(default=0)
    folded: bool = Field(default=False)
