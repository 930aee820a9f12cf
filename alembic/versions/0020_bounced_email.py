"""bounced e-mail: the address a mail server refused for good, on the user (the cabinet says
so while it is still their e-mail)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("bounced_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("bounced_email")
