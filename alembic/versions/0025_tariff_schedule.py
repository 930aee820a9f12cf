"""tariff changes take effect when they say: tariff_change_request.effective_on (the day the
new tariff applies) and applied_at (when the SIM was switched); a change approved "from the next
period" is "scheduled" until the billing cycle switches the SIM on that day; at most one pending
or scheduled change per SIM (a partial unique index)

Changes approved before this revision switched the SIM at approval: they are marked applied then
(effective_on = the Moscow day of the decision).

Revision ID: 0025_tariff_schedule
Revises: 0024_addon_kinds
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025_tariff_schedule"
down_revision: str | None = "0024_addon_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'approved', 'rejected', 'cancelled')"
NEW_STATUSES = "status IN ('pending', 'scheduled', 'approved', 'rejected', 'cancelled')"
OPEN = "status IN ('pending', 'scheduled')"
SCHEDULED = "status = 'scheduled'"


def upgrade() -> None:
    with op.batch_alter_table("tariff_change_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.drop_constraint("ck_tariff_change_status", type_="check")
        batch_op.create_check_constraint("ck_tariff_change_status", NEW_STATUSES)

    request = sa.table(
        "tariff_change_request",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("effective_on", sa.Date()),
        sa.column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    bind = op.get_bind()
    moscow = ZoneInfo("Europe/Moscow")
    rows = bind.execute(
        sa.select(request.c.id, request.c.decided_at).where(
            request.c.status == "approved", request.c.decided_at.is_not(None)
        )
    ).all()
    for row_id, decided_at in rows:
        bind.execute(
            sa.update(request)
            .where(request.c.id == row_id)
            .values(applied_at=decided_at, effective_on=decided_at.astimezone(moscow).date())
        )

    with op.batch_alter_table("tariff_change_request", schema=None) as batch_op:
        batch_op.create_index(
            "ux_tariff_change_open",
            ["sim_id"],
            unique=True,
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )
        batch_op.create_index(
            "ix_tariff_change_due",
            ["effective_on"],
            unique=False,
            postgresql_where=sa.text(SCHEDULED),
            sqlite_where=sa.text(SCHEDULED),
        )


def downgrade() -> None:
    # a scheduled change had not switched the SIM yet: it goes back to waiting for a decision
    op.execute("UPDATE tariff_change_request SET status = 'pending' WHERE status = 'scheduled'")
    with op.batch_alter_table("tariff_change_request", schema=None) as batch_op:
        batch_op.drop_index("ix_tariff_change_due")
        batch_op.drop_index("ux_tariff_change_open")
        batch_op.drop_constraint("ck_tariff_change_status", type_="check")
        batch_op.create_check_constraint("ck_tariff_change_status", OLD_STATUSES)
        batch_op.drop_column("applied_at")
        batch_op.drop_column("effective_on")
