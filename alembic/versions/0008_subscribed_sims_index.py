"""the SIMs that have a subscriber, newest first: a search by the subscriber's name walks them
instead of every SIM (a million new in-stock SIMs have none)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBSCRIBED = sa.text("subscriber_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_sim_subscribed_id",
        "sim",
        ["id"],
        postgresql_where=SUBSCRIBED,
        sqlite_where=SUBSCRIBED,
    )


def downgrade() -> None:
    op.drop_index("ix_sim_subscribed_id", table_name="sim")
