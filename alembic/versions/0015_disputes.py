"""disputes: a payment's chargebacks (payment_dispute, with their events' history), what a lost
one took back (payment.chargeback_kop), its dispute state (payment.dispute), and the mark of a
payment the janitor could not settle past a day ("unknown, check by hand": unknown_since)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("dispute", _text(8), nullable=True))
        batch_op.add_column(
            sa.Column("chargeback_kop", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("unknown_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_payment_dispute"), ["dispute"], unique=False)
    op.create_table(
        "payment_dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("ref", _text(120), nullable=False),
        sa.Column("amount_kop", sa.Integer(), nullable=False),
        sa.Column("reason", _text(40), nullable=False),
        sa.Column("status", _text(32), nullable=False),
        sa.Column("state", _text(8), nullable=False),
        sa.Column("evidence_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("event_at", sa.Integer(), nullable=False),
        sa.Column("debited_kop", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("amount_kop > 0", name=op.f("ck_payment_dispute_amount")),
        sa.CheckConstraint("debited_kop >= 0", name=op.f("ck_payment_dispute_debited")),
        sa.CheckConstraint(
            "state IN ('open', 'won', 'lost')", name=op.f("ck_payment_dispute_state")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_payment_dispute_payment_id_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_dispute")),
        sa.UniqueConstraint("ref", name="uq_payment_dispute_ref"),
    )
    op.create_index(
        op.f("ix_payment_dispute_payment_id"), "payment_dispute", ["payment_id"], unique=False
    )
    op.create_table(
        "payment_dispute_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("event_id", _text(120), nullable=False),
        sa.Column("kind", _text(40), nullable=False),
        sa.Column("status", _text(32), nullable=False),
        sa.Column("amount_kop", sa.Integer(), nullable=False),
        sa.Column("event_at", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["payment_dispute.id"],
            name=op.f("fk_payment_dispute_event_dispute_id_payment_dispute"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_dispute_event")),
        sa.UniqueConstraint("event_id", name="uq_payment_dispute_event_id"),
    )
    op.create_index(
        op.f("ix_payment_dispute_event_dispute_id"),
        "payment_dispute_event",
        ["dispute_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_dispute_event_dispute_id"), table_name="payment_dispute_event")
    op.drop_table("payment_dispute_event")
    op.drop_index(op.f("ix_payment_dispute_payment_id"), table_name="payment_dispute")
    op.drop_table("payment_dispute")
    with op.batch_alter_table("payment", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_dispute"))
        batch_op.drop_column("unknown_since")
        batch_op.drop_column("chargeback_kop")
        batch_op.drop_column("dispute")
