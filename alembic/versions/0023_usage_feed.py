"""usage fed from the network: usage_hour (bytes per SIM per hour) and usage_record_seen (the
record ids a sender delivered, for deduplication)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_hour",
        sa.Column("sim_id", sa.Integer(), nullable=False),
        sa.Column("hour", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("bytes_up", sa.BigInteger(), nullable=False),
        sa.Column("bytes_down", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["sim_id"], ["sim.id"]),
        sa.PrimaryKeyConstraint("sim_id", "hour"),
    )
    op.create_table(
        "usage_record_seen",
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sender", "record_id"),
    )
    op.create_index(
        "ix_usage_record_seen_received", "usage_record_seen", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_usage_record_seen_received", table_name="usage_record_seen")
    op.drop_table("usage_record_seen")
    op.drop_table("usage_hour")
