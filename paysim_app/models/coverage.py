"""Where the network reaches: regions, settlements with a quality level, base stations, and the
contacts visitors leave where it does not reach yet (coverage)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

QUALITIES = ("good", "fair", "none")  # best first
SETTLEMENT_KINDS = ("city", "urban", "village", "hamlet", "settlement")


class CoverageRegion(SQLModel, table=True):
    __tablename__ = "coverage_region"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Settlement(SQLModel, table=True):
    __tablename__ = "settlement"
    __table_args__ = (
        one_of("quality", QUALITIES, "ck_settlement_quality"),
        one_of("kind", SETTLEMENT_KINDS, "ck_settlement_kind"),
        CheckConstraint(
            "(lat IS NULL) = (lon IS NULL)"
            " AND (lat IS NULL OR (lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180))",
            name="ck_settlement_point",
        ),
        UniqueConstraint("region_id", "kind", "name_key", name="uq_settlement_place"),
        # the type-ahead: `name_key LIKE 'prefix%'` (text_pattern_ops: a prefix LIKE uses the
        # btree whatever the database's collation; SQLite ignores the operator class)
        Index(
            "ix_settlement_name_key",
            "name_key",
            "id",
            postgresql_ops={"name_key": "text_pattern_ops"},
        ),
        Index("ix_settlement_region_name", "region_id", "name_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="coverage_region.id")
    name: str = Field(max_length=120)
    # the name as the type-ahead compares it: lower case (any alphabet), ё as е, single spaces
    name_key: str = Field(max_length=120)
    kind: str = Field(default="village", max_length=12)
    lat: float | None = None
    lon: float | None = None
    quality: str = Field(default="none", max_length=8, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class BaseStation(SQLModel, table=True):
    __tablename__ = "base_station"
    __table_args__ = (
        CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="ck_base_station_point"
        ),
        CheckConstraint("radius_m > 0", name="ck_base_station_radius"),
        Index("ix_base_station_lat_lon", "lat", "lon"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    settlement_id: int | None = Field(default=None, foreign_key="settlement.id", index=True)
    lat: float
    lon: float
    radius_m: int
    technology: str = Field(default="", max_length=20)  # LTE, LTE-A, ...
    band: str = Field(default="", max_length=20)  # B3, B7, B20, ...
    is_active: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=utcnow)


class DemandLead(SQLModel, table=True):
    """'No coverage yet: tell me when it comes.' Only what is needed to answer (152-FZ): a
    contact, an optional name, the place; no address of the visitor's computer is kept."""

    __tablename__ = "demand_lead"
    __table_args__ = (
        CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="ck_demand_lead_contact"),
        Index("ix_demand_lead_settlement_created", "settlement_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    settlement_id: int | None = Field(default=None, foreign_key="settlement.id")
    place: str = Field(default="", max_length=200)  # typed by the visitor when not in the list
    lat: float | None = None
    lon: float | None = None
    name: str = Field(default="", max_length=80)
    phone: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow, index=True)
