"""outbox delivery: a message's channel (email / sms), its state (waiting, sending under a
worker's claim, sent, failed with the reason), when it is next due, its Message-ID, and whom it
is for (user, language). Unsent rows become waiting, sent ones sent; `sms_*` kinds are SMS.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", _text(8), nullable=False, server_default="email"))
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("locale", _text(2), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("status", _text(8), nullable=False, server_default="waiting"))
        batch_op.add_column(
            sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("claimed_by", _text(64), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("message_id", _text(255), nullable=False, server_default=""))
    op.execute(
        "UPDATE outbox_email SET next_attempt_at = created_at, "
        "status = CASE WHEN sent_at IS NULL THEN 'waiting' ELSE 'sent' END, "
        "channel = CASE WHEN kind LIKE 'sms\\_%' ESCAPE '\\' THEN 'sms' ELSE 'email' END"
    )
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.alter_column(
            "next_attempt_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_email_user_id_user_account"),
            "user_account",
            ["user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint("ck_outbox_channel", "channel IN ('email', 'sms')")
        batch_op.create_check_constraint(
            "ck_outbox_status", "status IN ('waiting', 'sending', 'sent', 'failed')"
        )
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_created")
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index("ix_outbox_pending", ["sent_at", "created_at"], unique=False)
        batch_op.drop_constraint("ck_outbox_status", type_="check")
        batch_op.drop_constraint("ck_outbox_channel", type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_email_user_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("message_id")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("status")
        batch_op.drop_column("locale")
        batch_op.drop_column("user_id")
        batch_op.drop_column("channel")
