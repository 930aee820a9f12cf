"""coverage: regions, settlements with a quality level, base stations, demand leads;
the coverage.view / coverage.edit permissions for the built-in Superadmin role

Revision ID: 0033_coverage
Revises: 0032_sim_orders
Create Date: 2026-12-06 09:28:05.455028
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0033_coverage"
down_revision: str | None = "0032_sim_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coverage_region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_region")),
        sa.UniqueConstraint("name", name=op.f("uq_coverage_region_name")),
    )
    op.create_table(
        "settlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("quality", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('city', 'urban', 'village', 'hamlet', 'settlement')",
            name="ck_settlement_kind",
        ),
        sa.CheckConstraint("quality IN ('good', 'fair', 'none')", name="ck_settlement_quality"),
        sa.CheckConstraint(
            "(lat IS NULL) = (lon IS NULL) AND (lat IS NULL OR (lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180))",
            name="ck_settlement_point",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["coverage_region.id"],
            name=op.f("fk_settlement_region_id_coverage_region"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement")),
        sa.UniqueConstraint("region_id", "kind", "name_key", name="uq_settlement_place"),
    )
    with op.batch_alter_table("settlement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_settlement_name_key",
            ["name_key", "id"],
            unique=False,
            postgresql_ops={"name_key": "text_pattern_ops"},
        )
        batch_op.create_index(batch_op.f("ix_settlement_quality"), ["quality"], unique=False)
        batch_op.create_index("ix_settlement_region_name", ["region_id", "name_key"], unique=False)

    op.create_table(
        "base_station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("technology", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("band", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="ck_base_station_point"
        ),
        sa.CheckConstraint("radius_m > 0", name="ck_base_station_radius"),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlement.id"],
            name=op.f("fk_base_station_settlement_id_settlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_base_station")),
        sa.UniqueConstraint("code", name=op.f("uq_base_station_code")),
    )
    with op.batch_alter_table("base_station", schema=None) as batch_op:
        batch_op.create_index("ix_base_station_lat_lon", ["lat", "lon"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_base_station_settlement_id"), ["settlement_id"], unique=False
        )

    op.create_table(
        "demand_lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="ck_demand_lead_contact"),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlement.id"],
            name=op.f("fk_demand_lead_settlement_id_settlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_lead")),
    )
    with op.batch_alter_table("demand_lead", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demand_lead_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_demand_lead_settlement_created", ["settlement_id", "created_at"], unique=False
        )
    # the built-in role that holds every permission gets the new section's too
    for permission in ("coverage.view", "coverage.edit"):
        op.execute(
            sa.text(
                "INSERT INTO admin_role_permission (role_id, permission)"
                " SELECT id, :permission FROM admin_role WHERE name = 'Superadmin'"
            ).bindparams(permission=permission)
        )


def downgrade() -> None:
    with op.batch_alter_table("demand_lead", schema=None) as batch_op:
        batch_op.drop_index("ix_demand_lead_settlement_created")
        batch_op.drop_index(batch_op.f("ix_demand_lead_created_at"))

    op.drop_table("demand_lead")
    with op.batch_alter_table("base_station", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_base_station_settlement_id"))
        batch_op.drop_index("ix_base_station_lat_lon")

    op.drop_table("base_station")
    with op.batch_alter_table("settlement", schema=None) as batch_op:
        batch_op.drop_index("ix_settlement_region_name")
        batch_op.drop_index(batch_op.f("ix_settlement_quality"))
        batch_op.drop_index(
            "ix_settlement_name_key", postgresql_ops={"name_key": "text_pattern_ops"}
        )

    op.drop_table("settlement")
    op.drop_table("coverage_region")
    op.execute(
        "DELETE FROM admin_role_permission WHERE permission IN ('coverage.view', 'coverage.edit')"
    )
