"""drop user_account.email_muted: the e-mail switches it held became notification preferences
in 0017 (one "in-app only" row per kind), which alone decide the channels since

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the kinds the old switches covered, in the order the column listed them
OLD_KINDS = (
    "sim_suspended",
    "sim_restored",
    "autopay_ok",
    "autopay_failed",
    "autopay_failed_hard",
    "autopay_cap",
    "autopay_confirm",
    "autopay_off_no_card",
    "card_expiring",
    "low_balance",
)


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("email_muted")


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "email_muted",
                sqlmodel.sql.sqltypes.AutoString(length=400),
                nullable=False,
                server_default="",
            )
        )
    # the old switches back from the in-app-only preferences of their kinds
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT user_id, kind FROM notification_preference WHERE channel = 'app'"
            " AND kind IN :kinds"
        ).bindparams(sa.bindparam("kinds", expanding=True)),
        {"kinds": list(OLD_KINDS)},
    ).all()
    muted: dict[int, set[str]] = {}
    for user_id, kind in rows:
        muted.setdefault(user_id, set()).add(kind)
    for user_id, kinds in muted.items():
        conn.execute(
            sa.text("UPDATE user_account SET email_muted = :muted WHERE id = :id"),
            {"muted": ",".join(k for k in OLD_KINDS if k in kinds), "id": user_id},
        )
