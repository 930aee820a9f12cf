"""add-on kinds with their parameters, the tariff's limited speed, the static IP pool

Existing add-ons get a kind from their code (EXTRA_10GB / *GB packs -> data_pack with the
gigabytes the code names, NIGHT* -> night_unlimited 01..07, SPEED* / BOOST* -> speed_booster
100 Mbit/s, STATIC* -> static_ip); anything else stays "other".

Revision ID: 0024_addon_kinds
Revises: 0023
Create Date: 2026-12-06 06:30:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024_addon_kinds"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'data_pack', 'night_unlimited', 'speed_booster', 'static_ip', 'other'"


def kind_of(code: str) -> tuple[str, dict]:
    """The kind (and parameters) an existing add-on's code clearly says, else "other"."""
    upper = code.upper()
    gb = re.search(r"(\d+)\s*GB", upper)
    if gb and int(gb.group(1)) > 0:
        return "data_pack", {"data_gb": int(gb.group(1))}
    if upper.startswith("NIGHT"):
        return "night_unlimited", {"night_from_hour": 1, "night_to_hour": 7}
    if upper.startswith(("SPEED", "BOOST")):
        return "speed_booster", {"speed_mbps": 100}
    if upper.startswith("STATIC"):
        return "static_ip", {}
    return "other", {}


def upgrade() -> None:
    with op.batch_alter_table("tariff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("limited_speed_kbps", sa.Integer(), nullable=False, server_default="128")
        )
        batch_op.create_check_constraint("ck_tariff_limited_speed", "limited_speed_kbps > 0")
    with op.batch_alter_table("addon_service", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="other",
            )
        )
        batch_op.add_column(sa.Column("data_gb", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("night_from_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("night_to_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("speed_mbps", sa.Integer(), nullable=True))

    addon = sa.table(
        "addon_service",
        sa.column("id", sa.Integer()),
        sa.column("code", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("data_gb", sa.Integer()),
        sa.column("night_from_hour", sa.Integer()),
        sa.column("night_to_hour", sa.Integer()),
        sa.column("speed_mbps", sa.Integer()),
    )
    bind = op.get_bind()
    for row_id, code in bind.execute(sa.select(addon.c.id, addon.c.code)).all():
        kind, params = kind_of(code)
        if kind != "other":
            bind.execute(sa.update(addon).where(addon.c.id == row_id).values(kind=kind, **params))

    with op.batch_alter_table("addon_service", schema=None) as batch_op:
        batch_op.create_check_constraint("ck_addon_kind", f"kind IN ({KINDS})")
        batch_op.create_check_constraint(
            "ck_addon_data_pack",
            "((kind = 'data_pack') = (data_gb IS NOT NULL)) AND (data_gb IS NULL OR data_gb > 0)",
        )
        batch_op.create_check_constraint(
            "ck_addon_night",
            "((kind = 'night_unlimited') = (night_from_hour IS NOT NULL))"
            " AND ((kind = 'night_unlimited') = (night_to_hour IS NOT NULL))"
            " AND (night_from_hour IS NULL OR night_from_hour BETWEEN 0 AND 23)"
            " AND (night_to_hour IS NULL OR night_to_hour BETWEEN 0 AND 23)"
            " AND (night_from_hour IS NULL OR night_from_hour <> night_to_hour)",
        )
        batch_op.create_check_constraint(
            "ck_addon_booster",
            "((kind = 'speed_booster') = (speed_mbps IS NOT NULL))"
            " AND (speed_mbps IS NULL OR speed_mbps > 0)",
        )

    op.create_table(
        "static_ip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("sim_id", sa.Integer(), nullable=True),
        sa.Column("sim_addon_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "((sim_id IS NULL) = (sim_addon_id IS NULL))"
            " AND ((sim_id IS NULL) = (assigned_at IS NULL))",
            name="ck_static_ip_holder",
        ),
        sa.ForeignKeyConstraint(["sim_id"], ["sim.id"]),
        sa.ForeignKeyConstraint(["sim_addon_id"], ["sim_addon.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
        sa.UniqueConstraint("sim_addon_id"),
    )
    op.create_index("ix_static_ip_sim_id", "static_ip", ["sim_id"], unique=False)
    op.create_index(
        "ix_static_ip_free",
        "static_ip",
        ["id"],
        unique=False,
        postgresql_where=sa.text("sim_addon_id IS NULL"),
        sqlite_where=sa.text("sim_addon_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_static_ip_free", table_name="static_ip")
    op.drop_index("ix_static_ip_sim_id", table_name="static_ip")
    op.drop_table("static_ip")
    with op.batch_alter_table("addon_service", schema=None) as batch_op:
        batch_op.drop_constraint("ck_addon_booster", type_="check")
        batch_op.drop_constraint("ck_addon_night", type_="check")
        batch_op.drop_constraint("ck_addon_data_pack", type_="check")
        batch_op.drop_constraint("ck_addon_kind", type_="check")
        batch_op.drop_column("speed_mbps")
        batch_op.drop_column("night_to_hour")
        batch_op.drop_column("night_from_hour")
        batch_op.drop_column("data_gb")
        batch_op.drop_column("kind")
    with op.batch_alter_table("tariff", schema=None) as batch_op:
        batch_op.drop_constraint("ck_tariff_limited_speed", type_="check")
        batch_op.drop_column("limited_speed_kbps")
