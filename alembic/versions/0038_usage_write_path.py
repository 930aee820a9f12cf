"""usage's write path at a million SIMs: usage_hour without its foreign key to sim,
usage_day's heap half full and usage_record_seen's time index a BRIN on PostgreSQL

Measured with bench/usage.py (bench/README.md, "Usage feed at a million SIMs"):
- each usage_hour insert (24 a SIM a day) checked its SIM with `SELECT ... FOR KEY SHARE` on the
  sim row, which locks it: the sim table's pages were dirtied and logged again every hour. The
  ingest has just looked the batch's SIMs up by ICCID/IMSI, and usage_day keeps its foreign key:
  a SIM with usage has usage_day rows (written in the same transaction as its hours, and kept
  longer), so it still cannot be deleted, and no hourly row is left without its SIM.
- usage_day's row for a SIM and day is updated once an hour. With full pages every update wrote
  its new version on another page and a new index entry (4 % of 21.6M updates were HOT in a
  day at 1M SIMs; the table grew 10x in one day). At fillfactor 50 a page keeps room for a new
  version of each of its rows, so the updates are HOT and pruned on the page.
- usage_record_seen gets a row a record (24M a day) and its received_at only grows: the sweep's
  range needs a BRIN index (a few pages), not a B-tree entry a record.

Revision ID: 0038_usage_write_path
Revises: 0036_order_prepayment
Create Date: 2026-12-06 13:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0038_usage_write_path"
down_revision: str | None = "0036_order_prepayment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_usage_hour_sim_id_sim"
RECEIVED = "ix_usage_record_seen_received"


def upgrade() -> None:
    with op.batch_alter_table("usage_hour") as batch:
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE usage_day SET (fillfactor = 50)")
        op.drop_index(RECEIVED, table_name="usage_record_seen")
        op.create_index(RECEIVED, "usage_record_seen", ["received_at"], postgresql_using="brin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE usage_day RESET (fillfactor)")
        op.drop_index(RECEIVED, table_name="usage_record_seen")
        op.create_index(RECEIVED, "usage_record_seen", ["received_at"])
    with op.batch_alter_table("usage_hour") as batch:
        batch.create_foreign_key(FOREIGN_KEY, "sim", ["sim_id"], ["id"])
