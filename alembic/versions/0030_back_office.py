"""the back office's gaps: a partner's daily limit of cash top-ups, a contract's ID document type

partner.cash_daily_limit_kop: what the partner's cash top-ups may add up to in one Moscow day
(NULL: no limit, as every partner had before). subscriber.document_type: the kind of ID document
an admin's contract names ('' on contracts made before it was asked).

Revision ID: 0030_back_office
Revises: 0029_name_search
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0030_back_office"
down_revision: str | None = "0029_name_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partner", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("cash_daily_limit_kop", sa.Integer(), nullable=True))
    with op.batch_alter_table("subscriber", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "document_type",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_column("document_type")
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_column("cash_daily_limit_kop")
