"""money: commission kinds, notification dedup, billing runs, billed period of a SIM

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 01:48:47.885606
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BILLED_PERIOD = (
    "UPDATE sim SET billed_period = (SELECT max(fee_period) FROM ledger_entry"
    " WHERE ledger_entry.sim_id = sim.id AND ledger_entry.fee_period IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("autopay_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_autopay_run_payment_id"), ["payment_id"], unique=False)

    with op.batch_alter_table("sim", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("billed_period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True)
        )
        batch_op.create_index("ix_sim_status_billed", ["status", "billed_period"], unique=False)
    # every SIM remembers the last period its fee is in the ledger for
    op.execute(BACKFILL_BILLED_PERIOD)

    op.create_table(
        "billing_run",
        sa.Column("run_date", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("run_date", name=op.f("pk_billing_run")),
    )
    with op.batch_alter_table("commission", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="accrual",  # every existing row is an accrual
            )
        )
        batch_op.create_check_constraint("ck_commission_kind", "kind IN ('accrual', 'reversal')")
        batch_op.drop_constraint(batch_op.f("uq_commission_payment_id"), type_="unique")
        batch_op.create_unique_constraint("uq_commission_payment_kind", ["payment_id", "kind"])

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dedup_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
        )
        batch_op.create_unique_constraint("uq_notification_dedup", ["user_id", "dedup_key"])


def downgrade() -> None:
    with op.batch_alter_table("sim", schema=None) as batch_op:
        batch_op.drop_index("ix_sim_status_billed")
        batch_op.drop_column("billed_period")

    with op.batch_alter_table("autopay_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_autopay_run_payment_id"))

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notification_dedup", type_="unique")
        batch_op.drop_column("dedup_key")

    with op.batch_alter_table("commission", schema=None) as batch_op:
        batch_op.drop_constraint("uq_commission_payment_kind", type_="unique")
        batch_op.drop_constraint("ck_commission_kind", type_="check")
        batch_op.create_unique_constraint(batch_op.f("uq_commission_payment_id"), ["payment_id"])
        batch_op.drop_column("kind")

    op.drop_table("billing_run")
