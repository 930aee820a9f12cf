"""The network policy of a SIM: what the packet core applies (sims.policy keeps it, GET
/api/policy serves it), plus what the policy context remembers to keep it cheaply."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of

POLICY_STATES = ("normal", "limited", "blocked", "suspended", "off")


class SimPolicy(SQLModel, table=True):
    """One row per SIM the network knows (created when a SIM first has service).

    state: normal | limited (allowance used up, reduced speed) | blocked | suspended (debt) |
    off (no service: in stock, deactivated, no tariff). speed_kbps: the speed to apply, always
    explicit (0 when not normal or limited). change_seq + sim_id: the feed's cursor (see
    sims.policy for why change_seq is the writing transaction's id on PostgreSQL)."""

    __tablename__ = "sim_policy"
    __table_args__ = (
        one_of("state", POLICY_STATES, "ck_sim_policy_state"),
        # the feed's keyset: every page is one range of this index
        Index("ix_sim_policy_change", "change_seq", "sim_id"),
        # rows the clock changes (a booster ends, the period ends): the hourly sweep's range
        Index("ix_sim_policy_valid_until", "valid_until"),
    )
    sim_id: int = Field(foreign_key="sim.id", primary_key=True)
    state: str = Field(max_length=16)
    speed_kbps: int
    static_ip: str | None = Field(default=None, max_length=15)
    change_seq: int = Field(sa_type=BigInteger)
    changed_at: datetime
    # the policy may change by the clock alone at this instant (a booster's end, the period's)
    valid_until: datetime | None = None
    # the billing period the notices below belong to, and the allowance (tariff + packs, bytes)
    # for which the 80 % and the 100 % notice went
    period_start: date | None = None
    warned_80_bytes: int | None = Field(default=None, sa_type=BigInteger)
    warned_100_bytes: int | None = Field(default=None, sa_type=BigInteger)
    # the ingest's screening: usage_day's bytes from check_day on must reach check_bytes before
    # a threshold can be crossed (None: usage cannot change this policy)
    check_day: date | None = None
    check_bytes: int | None = Field(default=None, sa_type=BigInteger)
