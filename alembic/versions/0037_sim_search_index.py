"""one trigram index over a SIM's three numbers instead of one per number (PostgreSQL)

"Any part of a number" (the SIM list's search, the header's search, the queues, the payments
and the dealer's lists) is looked for in the number, the ICCID and the IMSI at once. Three GIN
trigram indexes (0004) made every new SIM write three posting lists per trigram, most of what a
big import spent inserting; one index over `msisdn || ' ' || iccid || ' ' || imsi` answers the
same searches (core.text_search.sim_number_part: the candidates from the index, the exact
condition checked on them). The space keeps a part from spanning two numbers.

Revision ID: 0037_sim_search_index
Revises: 0035_commission_payment
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037_sim_search_index"
down_revision: str | None = "0035_commission_payment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERS = "(msisdn || ' ' || iccid || ' ' || imsi)"
PER_NUMBER = (
    ("ix_sim_msisdn_trgm", "msisdn"),
    ("ix_sim_iccid_trgm", "iccid"),
    ("ix_sim_imsi_trgm", "imsi"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_sim_numbers_trgm ON sim USING gin ({NUMBERS} gin_trgm_ops)")
    for name, _column in PER_NUMBER:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in PER_NUMBER:
        op.execute(f"CREATE INDEX {name} ON sim USING gin ({column} gin_trgm_ops)")
    op.execute("DROP INDEX IF EXISTS ix_sim_numbers_trgm")
