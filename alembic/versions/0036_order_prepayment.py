"""order prepayment: the first top-up paid with a SIM order is a payment held on the order
(no SIM yet) until the order gets its SIM

Revision ID: 0036_order_prepayment
Revises: 0037_sim_search_index
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036_order_prepayment"
down_revision: str | None = "0037_sim_search_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREPAID = "order_id IS NOT NULL AND status IN ('pending', 'succeeded', 'refunded')"


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds `payment` to let its sim_id be empty: the tables that name it must not
    be checked while the old one is dropped (outside a transaction only; an empty database's
    chain of migrations has no rows to check anyway)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade() -> None:
    _foreign_keys(False)
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.alter_column("sim_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_order_id_sim_order"), "sim_order", ["order_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "ck_payment_target", "sim_id IS NOT NULL OR order_id IS NOT NULL"
        )
        batch_op.create_index(
            "uq_payment_order_prepaid",
            ["order_id"],
            unique=True,
            postgresql_where=sa.text(PREPAID),
            sqlite_where=sa.text(PREPAID),
        )
    _foreign_keys(True)


def downgrade() -> None:
    op.execute("DELETE FROM payment WHERE sim_id IS NULL")
    _foreign_keys(False)
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("uq_payment_order_prepaid")
        batch_op.drop_constraint("ck_payment_target", type_="check")
        batch_op.drop_constraint(batch_op.f("fk_payment_order_id_sim_order"), type_="foreignkey")
        batch_op.alter_column("sim_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("order_id")
    _foreign_keys(True)
