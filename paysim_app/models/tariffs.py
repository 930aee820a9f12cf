"""Tariff plans and the add-on services sold from the balance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

# what an add-on does (catalogue.addons, sims.allowance): adds gigabytes to the period, leaves the
# night's usage out of the count, lifts the speed limit, holds a static IPv4 address; or nothing
ADDON_KINDS = ("data_pack", "night_unlimited", "speed_booster", "static_ip", "other")


class Tariff(SQLModel, table=True):
    __tablename__ = "tariff"
    __table_args__ = (
        CheckConstraint("monthly_fee_kop >= 0", name="ck_tariff_fee"),
        CheckConstraint("data_gb IS NULL OR data_gb > 0", name="ck_tariff_quota"),
        CheckConstraint("speed_mbps > 0", name="ck_tariff_speed"),
        CheckConstraint("limited_speed_kbps > 0", name="ck_tariff_limited_speed"),
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
    # the reduced speed once the period's allowance is used up (until a pack or the next period)
    limited_speed_kbps: int = Field(default=128)
    is_public: bool = Field(default=True)
    is_archived: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class AddonService(SQLModel, table=True):
    __tablename__ = "addon_service"
    __table_args__ = (
        CheckConstraint("price_kop >= 0", name="ck_addon_price"),
        CheckConstraint("period_days > 0", name="ck_addon_period"),
        one_of("kind", ADDON_KINDS, "ck_addon_kind"),
        # each kind has exactly the parameters it needs
        CheckConstraint(
            "((kind = 'data_pack') = (data_gb IS NOT NULL)) AND (data_gb IS NULL OR data_gb > 0)",
            name="ck_addon_data_pack",
        ),
        CheckConstraint(
            "((kind = 'night_unlimited') = (night_from_hour IS NOT NULL))"
            " AND ((kind = 'night_unlimited') = (night_to_hour IS NOT NULL))"
            " AND (night_from_hour IS NULL OR night_from_hour BETWEEN 0 AND 23)"
            " AND (night_to_hour IS NULL OR night_to_hour BETWEEN 0 AND 23)"
            " AND (night_from_hour IS NULL OR night_from_hour <> night_to_hour)",
            name="ck_addon_night",
        ),
        CheckConstraint(
            "((kind = 'speed_booster') = (speed_mbps IS NOT NULL))"
            " AND (speed_mbps IS NULL OR speed_mbps > 0)",
            name="ck_addon_booster",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    price_kop: int
    period_days: int = Field(default=30)
    kind: str = Field(default="other", max_length=16)
    data_gb: int | None = None  # data_pack: decimal gigabytes added to the period bought in
    # night_unlimited: usage from night_from_hour to night_to_hour (Moscow, [from, to)) is free
    night_from_hour: int | None = None
    night_to_hour: int | None = None
    speed_mbps: int | None = None  # speed_booster: the speed while it lasts
    is_archived: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
