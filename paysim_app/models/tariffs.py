"""Tariff plans and the add-on services sold from the balance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from paysim_app.models.base import utcnow


class Tariff(SQLModel, table=True):
    __tablename__ = "tariff"
    __table_args__ = (
        CheckConstraint("monthly_fee_kop >= 0", name="ck_tariff_fee"),
        CheckConstraint("data_gb IS NULL OR data_gb > 0", name="ck_tariff_quota"),
        CheckConstraint("speed_mbps > 0", name="ck_tariff_speed"),
        CheckConstraint(
            "(next_monthly_fee_kop IS NULL) = (next_fee_period IS NULL)"
            " AND (next_monthly_fee_kop IS NULL OR next_monthly_fee_kop >= 0)",
            name="ck_tariff_next_fee",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    monthly_fee_kop: int
    # an admin's fee change waits for the next period: from `next_fee_period` ('YYYY-MM') on,
    # billing charges `next_monthly_fee_kop` (see catalogue.tariffs)
    next_monthly_fee_kop: int | None = None
    next_fee_period: str | None = Field(default=None, max_length=7)
    data_gb: int | None = None  # None: unlimited
    speed_mbps: int = Field(default=100)
    is_public: bool = Field(default=True)
    is_archived: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class AddonService(SQLModel, table=True):
    __tablename__ = "addon_service"
    __table_args__ = (
        CheckConstraint("price_kop >= 0", name="ck_addon_price"),
        CheckConstraint("period_days > 0", name="ck_addon_period"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    price_kop: int
    period_days: int = Field(default=30)
    is_archived: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
