"""partner statistics indexes: commission amounts in the (partner, time) index, and a partial
index of succeeded payments by partner and time

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 04:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # the same columns, now covering the amounts (index-only sums)
        op.drop_index("ix_commission_partner_created", table_name="commission")
        op.create_index(
            "ix_commission_partner_created",
            "commission",
            ["partner_id", "created_at"],
            postgresql_include=["amount_kop", "kind"],
        )
    op.create_index(
        "ix_payment_partner_succeeded",
        "payment",
        ["partner_id", "created_at"],
        postgresql_include=["amount_kop"],
        postgresql_where=sa.text("status = 'succeeded'"),
        sqlite_where=sa.text("status = 'succeeded'"),
    )


def downgrade() -> None:
    op.drop_index("ix_payment_partner_succeeded", table_name="payment")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_commission_partner_created", table_name="commission")
        op.create_index("ix_commission_partner_created", "commission", ["partner_id", "created_at"])
