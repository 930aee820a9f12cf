"""receipts: the cash receipt of each succeeded payment and of each refund, with its fiscal
registration (billing.receipts); an outgoing e-mail names what it carries attached

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("kind", _text(12), nullable=False),
        sa.Column("external_id", _text(64), nullable=False),
        sa.Column("amount_kop", sa.Integer(), nullable=False),
        sa.Column("vat", _text(8), nullable=False),
        sa.Column("status", _text(12), nullable=False),
        sa.Column("provider", _text(16), nullable=False),
        sa.Column("provider_uuid", _text(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", _text(500), nullable=False),
        sa.Column("fn_number", _text(20), nullable=False),
        sa.Column("fd_number", _text(20), nullable=False),
        sa.Column("fpd", _text(20), nullable=False),
        sa.Column("ecr_number", _text(20), nullable=False),
        sa.Column("fiscal_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_kop > 0", name="ck_receipt_amount"),
        sa.CheckConstraint("kind IN ('sell', 'sell_refund')", name="ck_receipt_kind"),
        sa.CheckConstraint(
            "status IN ('pending', 'registered', 'failed')", name="ck_receipt_status"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_receipt_payment_id_payment")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["payment_refund.id"],
            name=op.f("fk_receipt_refund_id_payment_refund"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt")),
        sa.UniqueConstraint("external_id", name="uq_receipt_external_id"),
        sa.UniqueConstraint("refund_id", name=op.f("uq_receipt_refund_id")),
    )
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipt_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index("ix_receipt_status_due", ["status", "next_attempt_at"], unique=False)
    # no table refers to outbox_email: a plain ADD COLUMN on both databases
    op.add_column(
        "outbox_email",
        sa.Column("attachments", _text(200), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_column("attachments")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_index("ix_receipt_status_due")
        batch_op.drop_index(batch_op.f("ix_receipt_payment_id"))
    op.drop_table("receipt")
