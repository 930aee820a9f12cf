"""ix_payment_partner_cash: a dealer's cash top-ups, newest first

The admin's payments filtered by a partner and the method "partner" (its cash top-ups) walked
the partner's payments newest first and read each from the table to check its method: at 20M
payments 216 ms p95 for the page and its capped count (bench/README.md, "Ten million SIMs").
A partial index holds only the cash top-ups, by partner and id; the billing cycle's payments
(autopay) never write it.

Revision ID: 0042_payment_partner_cash
Revises: 0041_partner_takings
Create Date: 2026-12-07 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042_payment_partner_cash"
down_revision: str | None = "0041_partner_takings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_payment_partner_cash",
        "payment",
        ["partner_id", "id"],
        postgresql_where=sa.text("method = 'partner'"),
        sqlite_where=sa.text("method = 'partner'"),
    )


def downgrade() -> None:
    op.drop_index("ix_payment_partner_cash", table_name="payment")
