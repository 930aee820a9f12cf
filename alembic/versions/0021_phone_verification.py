"""phones proven by one-time SMS codes: user_account.phone_verified_at and phone_code

Phones already in use (demo data, dealers' customers, registrations before codes) count as
proven from their account's creation.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_verified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    users = sa.table(
        "user_account",
        sa.column("phone", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("phone_verified_at", sa.DateTime),
    )
    op.execute(
        users.update()
        .where(users.c.phone.is_not(None))
        .values(phone_verified_at=users.c.created_at)
    )
    op.create_table(
        "phone_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("pending", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("voided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('register', 'reset', 'login_change')", name="ck_phone_code_purpose"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_phone_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_code")),
    )
    with op.batch_alter_table("phone_code", schema=None) as batch_op:
        batch_op.create_index(
            "ix_phone_code_target", ["purpose", "phone", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_phone_code_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("phone_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_code_user_id"))
        batch_op.drop_index("ix_phone_code_target")
    op.drop_table("phone_code")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("phone_verified_at")
