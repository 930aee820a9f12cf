"""admin console: canned replies, ID document numbers, a tariff's pending fee, search indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 04:24:14.544343
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL-only GIN trigram indexes behind the admin's "any part of the number" searches
TRIGRAM = (
    ("ix_sim_msisdn_trgm", "sim", "msisdn"),
    ("ix_sim_iccid_trgm", "sim", "iccid"),
    ("ix_sim_imsi_trgm", "sim", "imsi"),
    ("ix_subscriber_full_name_trgm", "subscriber", "full_name"),
)


def upgrade() -> None:
    op.create_table(
        "canned_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_reply")),
    )
    with op.batch_alter_table("activation_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "customer_document",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="",
            )
        )
    with op.batch_alter_table("sim", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sim_partner_activated", ["partner_id", "activated_at"], unique=False
        )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "document_no",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="",
            )
        )
    with op.batch_alter_table("tariff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_monthly_fee_kop", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("next_fee_period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True)
        )
        batch_op.create_check_constraint(
            "ck_tariff_next_fee",
            "(next_monthly_fee_kop IS NULL) = (next_fee_period IS NULL)"
            " AND (next_monthly_fee_kop IS NULL OR next_monthly_fee_kop >= 0)",
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _column in TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("tariff", schema=None) as batch_op:
        batch_op.drop_constraint("ck_tariff_next_fee", type_="check")
        batch_op.drop_column("next_fee_period")
        batch_op.drop_column("next_monthly_fee_kop")
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_column("document_no")
    with op.batch_alter_table("sim", schema=None) as batch_op:
        batch_op.drop_index("ix_sim_partner_activated")
    with op.batch_alter_table("activation_request", schema=None) as batch_op:
        batch_op.drop_column("customer_document")
    op.drop_table("canned_reply")
