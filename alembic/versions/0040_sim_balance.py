"""sim_balance: a SIM's balance cache and billing mark move out of `sim` into a narrow table

A month's fee wrote a new version of every active SIM's wide row: `balance_kop` and
`billed_period` were indexed, so no update was HOT and each one went into all of `sim`'s
indexes, the trigram index over the numbers among them; at a million SIMs those no longer stay
in memory (bench/README.md, "A million SIMs"). The ledger now writes sim_balance (its key and
one (balance, id) index for the admin list's debtors). A trigger gives every new SIM its row,
whatever adds it (the import's COPY, the forms, the demo, the tests' factories).

Revision ID: 0040_sim_balance
Revises: 0039_usage_month
Create Date: 2026-12-06 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040_sim_balance"
down_revision: str | None = "0039_usage_month"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL: one statement-level trigger (a COPY of a million SIMs inserts their rows in one
# INSERT ... SELECT, not a million calls); SQLite has only row-level triggers
PG_TRIGGER = """
CREATE FUNCTION sim_balance_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sim_balance (sim_id, balance_kop) SELECT id, 0 FROM new_sims;
  RETURN NULL;
END $$;
CREATE TRIGGER tr_sim_balance_open AFTER INSERT ON sim REFERENCING NEW TABLE AS new_sims
  FOR EACH STATEMENT EXECUTE FUNCTION sim_balance_open();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER tr_sim_balance_open AFTER INSERT ON sim
BEGIN INSERT INTO sim_balance (sim_id, balance_kop) VALUES (NEW.id, 0); END
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "sim_balance",
        sa.Column("sim_id", sa.Integer(), nullable=False),
        sa.Column("balance_kop", sa.Integer(), nullable=False),
        sa.Column("billed_period", sa.String(length=7), nullable=True),
        sa.ForeignKeyConstraint(["sim_id"], ["sim.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sim_id"),
    )
    op.execute(
        "INSERT INTO sim_balance (sim_id, balance_kop, billed_period)"
        " SELECT id, balance_kop, billed_period FROM sim"
    )
    op.create_index("ix_sim_balance_balance", "sim_balance", ["balance_kop", "sim_id"])
    op.execute(PG_TRIGGER if _postgres() else SQLITE_TRIGGER)
    op.drop_index("ix_sim_balance_id", table_name="sim")
    op.drop_index("ix_sim_status_billed", table_name="sim")
    # SQLite drops a column in place (3.35+); a batch copy of `sim` would trip the foreign keys
    op.execute("ALTER TABLE sim DROP COLUMN balance_kop")
    op.execute("ALTER TABLE sim DROP COLUMN billed_period")


def downgrade() -> None:
    op.add_column("sim", sa.Column("balance_kop", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("sim", sa.Column("billed_period", sa.String(length=7), nullable=True))
    op.execute(
        "UPDATE sim SET balance_kop = b.balance_kop, billed_period = b.billed_period"
        " FROM sim_balance AS b WHERE b.sim_id = sim.id"
    )
    op.create_index("ix_sim_status_billed", "sim", ["status", "billed_period"])
    op.create_index("ix_sim_balance_id", "sim", ["balance_kop", "id"])
    op.execute("DROP TRIGGER tr_sim_balance_open" + (" ON sim" if _postgres() else ""))
    if _postgres():
        op.execute("DROP FUNCTION sim_balance_open()")
    op.drop_table("sim_balance")
