"""Mobile data usage fed from the network: hourly sums per SIM and the record ids already seen."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel


class UsageHour(SQLModel, table=True):
    """Bytes a SIM moved in one hour (UTC, truncated): the feed's records summed on the way in."""

    __tablename__ = "usage_hour"
    # the retention's sweep deletes by hour: rows arrive roughly in hour order, so a BRIN index
    # (a few pages for billions of rows, next to nothing per insert) finds the old ones
    __table_args__ = (Index("ix_usage_hour_hour", "hour", postgresql_using="brin"),)
    # a SIM's id without a foreign key: its check locked the sim row on every insert (migration
    # 0038); usage_day's foreign key keeps a SIM with usage from being deleted
    sim_id: int = Field(primary_key=True)
    hour: datetime = Field(primary_key=True)
    bytes_up: int = Field(default=0, sa_type=BigInteger)
    bytes_down: int = Field(default=0, sa_type=BigInteger)


class UsageRecordSeen(SQLModel, table=True):
    """A record id a sender delivered: a resent record adds nothing (kept 40 days)."""

    __tablename__ = "usage_record_seen"
    # the sweep's range over a time that only grows: BRIN on PostgreSQL (migration 0038)
    __table_args__ = (
        Index("ix_usage_record_seen_received", "received_at", postgresql_using="brin"),
    )
    sender: str = Field(primary_key=True, max_length=64)
    record_id: str = Field(primary_key=True, max_length=128)
    received_at: datetime


class UsageDay(SQLModel, table=True):
    """Bytes a SIM moved in one Moscow calendar day: the hourly sums rolled up on the way in, in
    the same transaction (the dashboard's charts and the monthly history read this, kept 13
    months; usage_hour is kept PAYSIM_USAGE_KEEP_HOURS_DAYS)."""

    __tablename__ = "usage_day"
    # on PostgreSQL the heap is kept half full (fillfactor 50, migration 0038): a row is updated
    # once an hour through its day, and the room on its page makes each update HOT
    __table_args__ = (Index("ix_usage_day_day", "day", postgresql_using="brin"),)
    sim_id: int = Field(foreign_key="sim.id", primary_key=True)
    day: date = Field(primary_key=True)
    bytes_up: int = Field(default=0, sa_type=BigInteger)
    bytes_down: int = Field(default=0, sa_type=BigInteger)


class UsageMonth(SQLModel, table=True):
    """Bytes a SIM moved in one Moscow calendar month (`month`: its first day), summed from
    usage_day once a day can no longer change (sims.usage_months.roll_up). A year's history
    reads twelve of these rather than 365 days scattered over as many pages (kept 25 months)."""

    __tablename__ = "usage_month"
    sim_id: int = Field(foreign_key="sim.id", primary_key=True)
    month: date = Field(primary_key=True)
    bytes_up: int = Field(default=0, sa_type=BigInteger)
    bytes_down: int = Field(default=0, sa_type=BigInteger)


class UsageRollup(SQLModel, table=True):
    """One row: the last Moscow day whose usage_day rows are in usage_month."""

    __tablename__ = "usage_rollup"
    id: int = Field(default=1, primary_key=True)
    rolled_through: date
