"""the network policy of each SIM (sim_policy): state, speed, static IP and the feed's change
cursor (change_seq, sim_id); backfilled from the SIMs that have service, the working ones due
for the first sweep (valid_until = now), which computes their allowance

Revision ID: 0028_sim_policy
Revises: 0027_global_search
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028_sim_policy"
down_revision: str | None = "0027_global_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the writing transaction's id on PostgreSQL (see sims.policy), a plain 1 on SQLite
SEQ = {
    "postgresql": "CAST(CAST(pg_current_xact_id() AS text) AS bigint)",
    "sqlite": "1",
}

BACKFILL = (
    "INSERT INTO sim_policy (sim_id, state, speed_kbps, static_ip, change_seq, changed_at,"
    " valid_until)"
    " SELECT sim.id,"
    "  CASE WHEN sim.status = 'active' AND sim.tariff_id IS NOT NULL THEN 'normal'"
    "   WHEN sim.status = 'active' THEN 'off' ELSE sim.status END,"
    "  CASE WHEN sim.status = 'active' AND tariff.id IS NOT NULL"
    "   THEN tariff.speed_mbps * 1000 ELSE 0 END,"
    "  (SELECT min(static_ip.address) FROM static_ip WHERE static_ip.sim_id = sim.id),"
    "  {seq}, CURRENT_TIMESTAMP,"
    "  CASE WHEN sim.status = 'active' THEN CURRENT_TIMESTAMP END"
    " FROM sim LEFT JOIN tariff ON tariff.id = sim.tariff_id"
    " WHERE sim.status IN ('active', 'suspended', 'blocked')"
)


def upgrade() -> None:
    op.create_table(
        "sim_policy",
        sa.Column("sim_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("speed_kbps", sa.Integer(), nullable=False),
        sa.Column("static_ip", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("valid_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("warned_80_bytes", sa.BigInteger(), nullable=True),
        sa.Column("warned_100_bytes", sa.BigInteger(), nullable=True),
        sa.Column("check_day", sa.Date(), nullable=True),
        sa.Column("check_bytes", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "state IN ('normal', 'limited', 'blocked', 'suspended', 'off')",
            name="ck_sim_policy_state",
        ),
        sa.ForeignKeyConstraint(["sim_id"], ["sim.id"]),
        sa.PrimaryKeyConstraint("sim_id"),
    )
    op.create_index("ix_sim_policy_change", "sim_policy", ["change_seq", "sim_id"])
    op.create_index("ix_sim_policy_valid_until", "sim_policy", ["valid_until"])
    op.execute(BACKFILL.format(seq=SEQ[op.get_bind().dialect.name]))


def downgrade() -> None:
    op.drop_index("ix_sim_policy_valid_until", table_name="sim_policy")
    op.drop_index("ix_sim_policy_change", table_name="sim_policy")
    op.drop_table("sim_policy")
