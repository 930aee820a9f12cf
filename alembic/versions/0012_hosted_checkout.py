"""card data only on the provider's hosted page: a payment remembers its checkout session (and
may end "expired" when the subscriber leaves the page), cards are added through setup sessions,
and the sandbox gateway keeps its hosted-page sessions in the database

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'succeeded', 'failed', 'refunded')"
NEW_STATUSES = "status IN ('pending', 'succeeded', 'failed', 'refunded', 'expired')"


def _payment_status_check(old: str, new: str) -> None:
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint("ck_payment_status", "payment", type_="check")
        op.create_check_constraint("ck_payment_status", "payment", new)
        return
    # SQLite cannot change a CHECK in place, and rebuilding `payment` means DROP TABLE, which
    # its children's foreign keys refuse. A CHECK that admits one more word changes nothing
    # stored, so the table's definition is edited in the schema table, the procedure SQLite
    # documents for such changes (https://sqlite.org/lang_altertable.html, section 7).
    conn = op.get_bind()
    (sql,) = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'payment'")
    ).one()
    if old not in sql:
        raise RuntimeError("payment's status check is not the one this revision expects")
    (version,) = conn.execute(sa.text("PRAGMA schema_version")).one()
    conn.execute(sa.text("PRAGMA writable_schema = ON"))
    conn.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'payment'"),
        {"sql": sql.replace(old, new)},
    )
    conn.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    conn.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _payment_status_check(OLD_STATUSES, NEW_STATUSES)
    with op.batch_alter_table("payment", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "checkout_session", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "checkout_url",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("checkout_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("save_card", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            batch_op.f("ix_payment_checkout_session"), ["checkout_session"], unique=False
        )

    op.create_table(
        "card_setup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("decline_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'complete', 'expired')", name="ck_card_setup_status"
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["saved_card.id"], name=op.f("fk_card_setup_card_id_saved_card")
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_card_setup_subscriber_id_subscriber"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_setup")),
        sa.UniqueConstraint("key", name=op.f("uq_card_setup_key")),
        sa.UniqueConstraint("session_id", name=op.f("uq_card_setup_session_id")),
    )
    with op.batch_alter_table("card_setup", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_setup_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "sandbox_checkout",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("amount_kop", sa.Integer(), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("customer", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("metadata_json", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("save_card", sa.Boolean(), nullable=False),
        sa.Column("success_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("cancel_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("intent_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("intent_status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("decline_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("card_token", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("card_brand", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("card_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("card_exp_month", sa.Integer(), nullable=True),
        sa.Column("card_exp_year", sa.Integer(), nullable=True),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_checkout")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sandbox_checkout_idempotency_key")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_checkout")
    with op.batch_alter_table("card_setup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_setup_subscriber_id"))
    op.drop_table("card_setup")
    op.execute("UPDATE payment SET status = 'failed' WHERE status = 'expired'")
    if op.get_context().dialect.name == "sqlite":
        op.drop_index("ix_payment_checkout_session", table_name="payment")
        for column in ("save_card", "checkout_expires_at", "checkout_url", "checkout_session"):
            op.execute(f"ALTER TABLE payment DROP COLUMN {column}")
    else:
        with op.batch_alter_table("payment", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_payment_checkout_session"))
            for column in ("save_card", "checkout_expires_at", "checkout_url", "checkout_session"):
                batch_op.drop_column(column)
    _payment_status_check(NEW_STATUSES, OLD_STATUSES)
