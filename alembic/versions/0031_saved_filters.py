"""saved filter sets: a user's named list queries (core.saved_filters)

Revision ID: 0031_saved_filters
Revises: 0030_back_office
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0031_saved_filters"
down_revision: str | None = "0030_back_office"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("query", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_saved_filter_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filter")),
        sa.UniqueConstraint("user_id", "list_name", "name", name="uq_saved_filter_user_list_name"),
    )
    op.create_index(op.f("ix_saved_filter_user_id"), "saved_filter", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_filter_user_id"), table_name="saved_filter")
    op.drop_table("saved_filter")
