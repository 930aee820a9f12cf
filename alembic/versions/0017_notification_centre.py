"""notification centre: the SIM a notification is about (notification.sim_id, for the filter by
SIM), an index for the unread badge, and each user's channel per kind (notification_preference:
in-app only, e-mail, SMS, or off for the kinds one opts in to). The e-mail copies users had
turned off (user_account.email_muted) become "in-app only" preferences.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sim_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_sim_id_sim"), "sim", ["sim_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_notification_user_read", ["user_id", "read_at"], unique=False)
        batch_op.create_index(
            "ix_notification_user_sim", ["user_id", "sim_id", "created_at"], unique=False
        )
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(40), nullable=False),
        sa.Column("channel", _text(8), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('app', 'email', 'sms', 'off')", name="ck_notif_pref_channel"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_preference_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_preference")),
    )
    # what users had muted by e-mail: "a,b,c" -> one "app" row per kind
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, email_muted FROM user_account WHERE email_muted <> ''")
    ).all()
    values = [
        {"user_id": uid, "kind": kind, "channel": "app"}
        for uid, muted in rows
        for kind in sorted({k for k in muted.split(",") if k})
    ]
    if values:
        conn.execute(
            sa.text(
                "INSERT INTO notification_preference (user_id, kind, channel, updated_at) "
                "VALUES (:user_id, :kind, :channel, CURRENT_TIMESTAMP)"
            ),
            values,
        )


def downgrade() -> None:
    op.drop_table("notification_preference")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_sim")
        batch_op.drop_index("ix_notification_user_read")
        batch_op.drop_constraint(batch_op.f("fk_notification_sim_id_sim"), type_="foreignkey")
        batch_op.drop_column("sim_id")
