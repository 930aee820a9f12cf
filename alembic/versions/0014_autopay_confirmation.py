"""autopay charges that wait for the subscriber's confirmation (3-D Secure off-session): a
payment and an autopay run may be "requires_action", and the payment says until when it waits

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYMENT_OLD = "status IN ('pending', 'succeeded', 'failed', 'refunded', 'expired')"
PAYMENT_NEW = (
    "status IN ('pending', 'succeeded', 'failed', 'refunded', 'expired', 'requires_action')"
)
RUN_OLD = "status IN ('pending', 'succeeded', 'failed', 'skipped')"
RUN_NEW = "status IN ('pending', 'succeeded', 'failed', 'skipped', 'requires_action')"


def _status_check(table: str, name: str, old: str, new: str) -> None:
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, new)
        return
    # as in 0012: SQLite cannot change a CHECK in place and `payment` cannot be rebuilt under
    # its children's foreign keys; a CHECK that admits one more word changes nothing stored,
    # so the definition is edited in the schema table (sqlite.org/lang_altertable.html, 7)
    conn = op.get_bind()
    (sql,) = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
    ).one()
    if old not in sql:
        raise RuntimeError(f"{table}'s status check is not the one this revision expects")
    (version,) = conn.execute(sa.text("PRAGMA schema_version")).one()
    conn.execute(sa.text("PRAGMA writable_schema = ON"))
    conn.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
        {"sql": sql.replace(old, new), "t": table},
    )
    conn.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    conn.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _status_check("payment", "ck_payment_status", PAYMENT_OLD, PAYMENT_NEW)
    _status_check("autopay_run", "ck_autopay_run_status", RUN_OLD, RUN_NEW)
    with op.batch_alter_table("payment", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("confirm_by", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    # a payment still waiting cannot be kept: it ends failed as it would have before
    op.execute(
        "UPDATE payment SET status = 'failed', decline_code = 'authentication_required' "
        "WHERE status = 'requires_action'"
    )
    op.execute("UPDATE autopay_run SET status = 'failed' WHERE status = 'requires_action'")
    with op.batch_alter_table("payment", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("confirm_by")
    _status_check("autopay_run", "ck_autopay_run_status", RUN_NEW, RUN_OLD)
    _status_check("payment", "ck_payment_status", PAYMENT_NEW, PAYMENT_OLD)
