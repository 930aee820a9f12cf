"""commission by payment: the dealer's payments list reads each payment's commission

Revision ID: 0035_commission_payment
Revises: 0034_privacy
Create Date: 2026-12-06 10:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035_commission_payment"
down_revision: str | None = "0034_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_commission_payment", "commission", ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_commission_payment", table_name="commission")
