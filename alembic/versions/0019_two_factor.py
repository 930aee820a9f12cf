"""two-factor sign-in: a user's authenticator (two_factor), recovery codes, the second step of a
sign-in (sign_in_challenge), the browsers users signed in from (known_browser), and the role's
"two-factor required" (admin_role.two_factor_required)

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-06 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"],
        ["user_account.id"],
        name=op.f(f"fk_{table}_user_id_user_account"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("admin_role", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "two_factor_required", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("admin_role", schema=None) as batch_op:
        batch_op.alter_column("two_factor_required", server_default=None)
    op.create_table(
        "two_factor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_sealed", _text(400), nullable=False),
        sa.Column("enabled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        _user_fk("two_factor"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_two_factor")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", _text(64), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        _user_fk("recovery_code"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"], unique=False)
    op.create_table(
        "sign_in_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _text(64), nullable=False),
        sa.Column("device_hash", _text(64), nullable=False),
        sa.Column("identifier", _text(300), nullable=False),
        sa.Column("kind", _text(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('code', 'enrol')", name="ck_sign_in_challenge_kind"),
        _user_fk("sign_in_challenge"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_challenge")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_challenge_token_hash")),
    )
    op.create_index(
        op.f("ix_sign_in_challenge_user_id"), "sign_in_challenge", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_sign_in_challenge_expires_at"), "sign_in_challenge", ["expires_at"], unique=False
    )
    op.create_table(
        "known_browser",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_hash", _text(64), nullable=False),
        sa.Column("user_agent", _text(300), nullable=False),
        sa.Column("first_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        _user_fk("known_browser"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_browser")),
        sa.UniqueConstraint("user_id", "device_hash", name="uq_known_browser"),
    )
    op.create_index(op.f("ix_known_browser_user_id"), "known_browser", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_known_browser_user_id"), table_name="known_browser")
    op.drop_table("known_browser")
    op.drop_index(op.f("ix_sign_in_challenge_expires_at"), table_name="sign_in_challenge")
    op.drop_index(op.f("ix_sign_in_challenge_user_id"), table_name="sign_in_challenge")
    op.drop_table("sign_in_challenge")
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_table("two_factor")
    with op.batch_alter_table("admin_role", schema=None) as batch_op:
        batch_op.drop_column("two_factor_required")
