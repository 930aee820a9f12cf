"""usage_month: a SIM's usage per Moscow calendar month, rolled up from usage_day once its days
are final (sims.usage_months), and usage_rollup's mark of the last day rolled

A year's history read from usage_day is 365 rows of one SIM on as many pages; at a million SIMs
that table is far larger than memory, so the history cost a disk read a day (bench/README.md,
"A year of history at a million SIMs"). No backfill here: the tidy job rolls the existing days
up, a month per run, and the readers take whatever is not rolled yet from usage_day.

Revision ID: 0039_usage_month
Revises: 0038_usage_write_path
Create Date: 2026-12-06 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039_usage_month"
down_revision: str | None = "0038_usage_write_path"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_month",
        sa.Column("sim_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("bytes_up", sa.BigInteger(), nullable=False),
        sa.Column("bytes_down", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["sim_id"], ["sim.id"]),
        sa.PrimaryKeyConstraint("sim_id", "month"),
    )
    op.create_table(
        "usage_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rolled_through", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("usage_rollup")
    op.drop_table("usage_month")
