"""sim orders: a customer's order of a new SIM (pick-up at a partner or delivery) and its
timeline

Revision ID: 0032_sim_orders
Revises: 0031_saved_filters
Create Date: 2026-12-06 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0032_sim_orders"
down_revision: str | None = "0031_saved_filters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'new', 'waiting', 'shipped', 'handed_out', 'active', 'cancelled', 'rejected'"


def _text(length: int):
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "sim_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tariff_id", sa.Integer(), nullable=False),
        sa.Column("customer_name", _text(200), nullable=False),
        sa.Column("customer_phone", _text(16), nullable=False),
        sa.Column("document_type", _text(20), nullable=False),
        sa.Column("document_no", _text(40), nullable=False),
        sa.Column("settlement", _text(120), nullable=False),
        sa.Column("way", _text(16), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("address", _text(300), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("reason", _text(500), nullable=False),
        sa.Column("sim_id", sa.Integer(), nullable=True),
        sa.Column("activation_request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_sim_order_status"),
        sa.CheckConstraint("way IN ('pickup', 'delivery')", name="ck_sim_order_way"),
        sa.CheckConstraint(
            "(way = 'pickup') = (partner_id IS NOT NULL)", name="ck_sim_order_partner"
        ),
        sa.ForeignKeyConstraint(
            ["activation_request_id"],
            ["activation_request.id"],
            name=op.f("fk_sim_order_activation_request_id_activation_request"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_sim_order_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(["sim_id"], ["sim.id"], name=op.f("fk_sim_order_sim_id_sim")),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["subscriber.id"], name=op.f("fk_sim_order_subscriber_id_subscriber")
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariff.id"], name=op.f("fk_sim_order_tariff_id_tariff")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_sim_order_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_order")),
        sa.UniqueConstraint(
            "activation_request_id", name=op.f("uq_sim_order_activation_request_id")
        ),
    )
    op.create_index(op.f("ix_sim_order_partner_id"), "sim_order", ["partner_id"], unique=False)
    op.create_index(op.f("ix_sim_order_sim_id"), "sim_order", ["sim_id"], unique=False)
    op.create_index(
        "ix_sim_order_status_created", "sim_order", ["status", "created_at"], unique=False
    )
    op.create_index(
        "ix_sim_order_subscriber_created",
        "sim_order",
        ["subscriber_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "sim_order_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("note", _text(500), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_sim_order_event_status"),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user_account.id"],
            name=op.f("fk_sim_order_event_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sim_order.id"], name=op.f("fk_sim_order_event_order_id_sim_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_order_event")),
    )
    op.create_index(
        op.f("ix_sim_order_event_order_id"), "sim_order_event", ["order_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sim_order_event_order_id"), table_name="sim_order_event")
    op.drop_table("sim_order_event")
    op.drop_index("ix_sim_order_subscriber_created", table_name="sim_order")
    op.drop_index("ix_sim_order_status_created", table_name="sim_order")
    op.drop_index(op.f("ix_sim_order_sim_id"), table_name="sim_order")
    op.drop_index(op.f("ix_sim_order_partner_id"), table_name="sim_order")
    op.drop_table("sim_order")
