"""indexes for the admin lists: SIM pages filtered by status / partner walk an index ending in
the id; SIMs by creation time and by balance; payment totals of a period read from the index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 05:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a filtered page is "WHERE status [AND partner] ORDER BY id DESC": the index ends in the id
    with op.batch_alter_table("sim", schema=None) as batch_op:
        batch_op.drop_index("ix_sim_status_created")
        batch_op.create_index("ix_sim_status_id", ["status", "id"], unique=False)
        batch_op.drop_index("ix_sim_partner_status")
        batch_op.create_index("ix_sim_partner_status", ["partner_id", "status", "id"], unique=False)
        batch_op.create_index("ix_sim_created", ["created_at"], unique=False)
        batch_op.create_index("ix_sim_balance_id", ["balance_kop", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_payment_created", table_name="payment")
        op.create_index(
            "ix_payment_created",
            "payment",
            ["created_at"],
            postgresql_include=["amount_kop", "status"],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_payment_created", table_name="payment")
        op.create_index("ix_payment_created", "payment", ["created_at"])
    with op.batch_alter_table("sim", schema=None) as batch_op:
        batch_op.drop_index("ix_sim_balance_id")
        batch_op.drop_index("ix_sim_created")
        batch_op.drop_index("ix_sim_partner_status")
        batch_op.create_index("ix_sim_partner_status", ["partner_id", "status"], unique=False)
        batch_op.drop_index("ix_sim_status_id")
        batch_op.create_index("ix_sim_status_created", ["status", "created_at"], unique=False)
