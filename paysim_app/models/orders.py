"""SIM orders: a signed-in customer asks for a new SIM, picked up at a partner (dealer) or
delivered to an address; the order becomes an activation request once a SIM is bound to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

ORDER_WAYS = ("pickup", "delivery")
# pick-up:  new -> waiting (at the partner) -> handed_out -> active
# delivery: new -> shipped -> handed_out (delivered) -> active
# cancelled (by the customer, before handed_out), rejected (by an admin or the partner)
ORDER_STATUSES = (
    "new",
    "waiting",
    "shipped",
    "handed_out",
    "active",
    "cancelled",
    "rejected",
)
ORDER_OPEN = ("new", "waiting", "shipped")  # no SIM handed out yet: the customer may cancel


class SimOrder(SQLModel, table=True):
    __tablename__ = "sim_order"
    __table_args__ = (
        one_of("status", ORDER_STATUSES, "ck_sim_order_status"),
        one_of("way", ORDER_WAYS, "ck_sim_order_way"),
        CheckConstraint("(way = 'pickup') = (partner_id IS NOT NULL)", name="ck_sim_order_partner"),
        Index("ix_sim_order_status_created", "status", "created_at"),
        Index("ix_sim_order_subscriber_created", "subscriber_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id")
    user_id: int = Field(foreign_key="user_account.id")
    tariff_id: int = Field(foreign_key="tariff.id")
    customer_name: str = Field(max_length=200)
    customer_phone: str = Field(max_length=16)
    document_type: str = Field(default="passport", max_length=20)
    document_no: str = Field(max_length=40)
    settlement: str = Field(default="", max_length=120)
    way: str = Field(max_length=16)
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    address: str = Field(default="", max_length=300)
    status: str = Field(default="new", max_length=16)
    reason: str = Field(default="", max_length=500)
    sim_id: int | None = Field(default=None, foreign_key="sim.id", index=True)
    activation_request_id: int | None = Field(
        default=None, foreign_key="activation_request.id", unique=True
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SimOrderEvent(SQLModel, table=True):
    """One step of an order's timeline: the status it reached, when, and who moved it."""

    __tablename__ = "sim_order_event"
    __table_args__ = (one_of("status", ORDER_STATUSES, "ck_sim_order_event_status"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sim_order.id", index=True)
    status: str = Field(max_length=16)
    note: str = Field(default="", max_length=500)
    by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
