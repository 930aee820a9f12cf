"""a new login e-mail or phone confirmed before use

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 15:30:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOKEN_IN_LINK = re.compile(r"(/reset\?token=)[A-Za-z0-9_-]+")


def upgrade() -> None:
    op.create_table(
        "login_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("new_value", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('email', 'phone')", name="ck_login_change_kind"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_login_change_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_change")),
    )
    with op.batch_alter_table("login_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_change_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_login_change_token_hash"), ["token_hash"], unique=False
        )
    # the outbox keeps a link's secret encrypted beside a body that has a placeholder for it
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "secret",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.alter_column("secret", server_default=None)
    # links queued before this revision carry their token in the body: cut it out (a new link
    # can be asked for; nothing drained the outbox until now, so none of them went out)
    outbox = sa.table("outbox_email", sa.column("id", sa.Integer), sa.column("body", sa.Text))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(outbox.c.id, outbox.c.body).where(outbox.c.body.like("%/reset?token=%"))
    ).all()
    for row_id, body in rows:
        conn.execute(
            outbox.update()
            .where(outbox.c.id == row_id)
            .values(body=_TOKEN_IN_LINK.sub(r"\1(expired)", body))
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_column("secret")
    with op.batch_alter_table("login_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_change_token_hash"))
        batch_op.drop_index(batch_op.f("ix_login_change_user_id"))
    op.drop_table("login_change")
