"""email preferences: the notification kinds a user gets no e-mail copy of

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 03:20:52.957521
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "email_muted",
                sqlmodel.sql.sqltypes.AutoString(length=400),
                nullable=False,
                server_default="",  # existing users keep every e-mail
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("email_muted")
