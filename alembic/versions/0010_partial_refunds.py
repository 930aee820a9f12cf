"""partial refunds: what a payment has given back, each refund once (by the gateway's refund id),
a commission reversal per refund; a ledger entry remembers the form that posted it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCRUAL = sa.text("kind = 'accrual'")


REFUNDED_CHECK = "refunded_kop >= 0 AND refunded_kop <= amount_kop"


def upgrade() -> None:
    # payment and ledger_entry are referenced by other tables: on SQLite they are altered in
    # place (ADD COLUMN, a unique index), never rebuilt, so that a database with data upgrades
    # (rebuilding means DROP TABLE, which its children's foreign keys refuse)
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE payment ADD COLUMN refunded_kop INTEGER DEFAULT '0' NOT NULL"
            f" CONSTRAINT ck_payment_refunded CHECK ({REFUNDED_CHECK})"
        )
    else:
        op.add_column(
            "payment", sa.Column("refunded_kop", sa.Integer(), nullable=False, server_default="0")
        )
        op.create_check_constraint("ck_payment_refunded", "payment", REFUNDED_CHECK)
    # every refund before this revision gave the whole payment back
    op.execute("UPDATE payment SET refunded_kop = amount_kop WHERE status = 'refunded'")

    op.create_table(
        "payment_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("amount_kop", sa.Integer(), nullable=False),
        sa.Column("applied_kop", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_kop > 0", name="ck_payment_refund_amount"),
        sa.CheckConstraint(
            "applied_kop >= 0 AND applied_kop <= amount_kop", name="ck_payment_refund_applied"
        ),
        sa.CheckConstraint("kind IN ('refund', 'total')", name="ck_payment_refund_kind"),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["user_account.id"],
            name=op.f("fk_payment_refund_actor_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_payment_refund_payment_id_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_refund")),
        sa.UniqueConstraint("ref", name="uq_payment_refund_ref"),
    )
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_refund_payment_id"), ["payment_id"], unique=False
        )

    with op.batch_alter_table("commission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_commission_refund_id_payment_refund"),
            "payment_refund",
            ["refund_id"],
            ["id"],
        )
        batch_op.drop_constraint("uq_commission_payment_kind", type_="unique")
        batch_op.create_unique_constraint("uq_commission_refund_id", ["refund_id"])
    op.create_index(
        "uq_commission_accrual",
        "commission",
        ["payment_id"],
        unique=True,
        postgresql_where=ACCRUAL,
        sqlite_where=ACCRUAL,
    )

    op.add_column(
        "ledger_entry",
        sa.Column("form_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    )
    op.create_index("uq_ledger_form_key", "ledger_entry", ["form_key"], unique=True)


def downgrade() -> None:
    # (rebuilds payment and ledger_entry on SQLite: for a database without their children)
    op.drop_index("uq_ledger_form_key", table_name="ledger_entry")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_column("form_key")

    op.drop_index("uq_commission_accrual", table_name="commission")
    # partial refunds leave several reversals per payment: fold them into one, as before
    op.execute(
        "UPDATE commission SET amount_kop = (SELECT sum(c.amount_kop) FROM commission c"
        " WHERE c.payment_id = commission.payment_id AND c.kind = 'reversal')"
        " WHERE kind = 'reversal' AND id = (SELECT min(c.id) FROM commission c"
        " WHERE c.payment_id = commission.payment_id AND c.kind = 'reversal')"
    )
    op.execute(
        "DELETE FROM commission WHERE kind = 'reversal' AND id <> (SELECT min(c.id)"
        " FROM commission c WHERE c.payment_id = commission.payment_id AND c.kind = 'reversal')"
    )
    with op.batch_alter_table("commission", schema=None) as batch_op:
        batch_op.drop_constraint("uq_commission_refund_id", type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_commission_refund_id_payment_refund"), type_="foreignkey"
        )
        batch_op.drop_column("refund_id")
        batch_op.create_unique_constraint("uq_commission_payment_kind", ["payment_id", "kind"])

    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_refund_payment_id"))
    op.drop_table("payment_refund")

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("ck_payment_refunded", type_="check")
        batch_op.drop_column("refunded_kop")
