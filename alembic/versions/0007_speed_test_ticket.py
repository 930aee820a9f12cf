"""a speed test sent to support: the ticket it went with (once, like a rating's)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("speed_test", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_speed_test_ticket", "ticket", ["ticket_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("speed_test", schema=None) as batch_op:
        batch_op.drop_constraint("fk_speed_test_ticket", type_="foreignkey")
        batch_op.drop_column("ticket_id")
