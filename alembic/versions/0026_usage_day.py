"""usage per SIM per Moscow calendar day (usage_day), maintained by the feed's ingest beside
usage_hour and backfilled here from the hourly rows; BRIN indexes on usage_hour.hour and
usage_day.day for the retention's sweep (a B-tree on PostgreSQL would cost every insert; SQLite
gets a plain index)

Revision ID: 0026_usage_day
Revises: 0025_tariff_schedule
Create Date: 2026-12-06 06:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_usage_day"
down_revision: str | None = "0025_tariff_schedule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the Moscow day of an hour stored in UTC (Moscow has been UTC+3 all year since 2014; the feed
# refuses records older than 35 days, so no stored hour is older than that)
BACKFILL = {
    "postgresql": (
        "INSERT INTO usage_day (sim_id, day, bytes_up, bytes_down)"
        " SELECT sim_id, CAST(hour AT TIME ZONE 'Europe/Moscow' AS date),"
        " sum(bytes_up), sum(bytes_down) FROM usage_hour GROUP BY 1, 2"
    ),
    "sqlite": (
        "INSERT INTO usage_day (sim_id, day, bytes_up, bytes_down)"
        " SELECT sim_id, date(hour, '+3 hours'), sum(bytes_up), sum(bytes_down)"
        " FROM usage_hour GROUP BY 1, 2"
    ),
}


def upgrade() -> None:
    op.create_table(
        "usage_day",
        sa.Column("sim_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bytes_up", sa.BigInteger(), nullable=False),
        sa.Column("bytes_down", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["sim_id"], ["sim.id"]),
        sa.PrimaryKeyConstraint("sim_id", "day"),
    )
    op.create_index("ix_usage_day_day", "usage_day", ["day"], postgresql_using="brin")
    op.create_index("ix_usage_hour_hour", "usage_hour", ["hour"], postgresql_using="brin")
    op.execute(BACKFILL[op.get_bind().dialect.name])


def downgrade() -> None:
    op.drop_index("ix_usage_hour_hour", table_name="usage_hour")
    op.drop_index("ix_usage_day_day", table_name="usage_day")
    op.drop_table("usage_day")
