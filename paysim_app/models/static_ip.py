"""The pool of static IPv4 addresses the static-IP add-on hands out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from paysim_app.models.base import utcnow


class StaticIp(SQLModel, table=True):
    """One address of the pool: free, or held by a SIM through its static-IP add-on (the
    purchase that holds it now; a renewal hands it on to the renewing purchase)."""

    __tablename__ = "static_ip"
    __table_args__ = (
        CheckConstraint(
            "((sim_id IS NULL) = (sim_addon_id IS NULL))"
            " AND ((sim_id IS NULL) = (assigned_at IS NULL))",
            name="ck_static_ip_holder",
        ),
        # a purchase takes the first free address: the free ones, in order
        Index(
            "ix_static_ip_free",
            "id",
            postgresql_where=text("sim_addon_id IS NULL"),
            sqlite_where=text("sim_addon_id IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=15, unique=True)  # dotted IPv4
    sim_id: int | None = Field(default=None, foreign_key="sim.id", index=True)
    sim_addon_id: int | None = Field(default=None, foreign_key="sim_addon.id", unique=True)
    assigned_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
