"""partner_takings: each partner's succeeded payments and commission by UTC hour

A partner's statistics summed its payments and commissions for the period, and the comparison
of all partners summed every payment of the period: at 20M payments 580 ms for the busiest
partner's year and 2.6 s for the comparison (bench/README.md, "Ten million SIMs"). They now sum
this table: at most one folded row per partner and hour, plus the rows of differences the
triggers below add for each change of a payment or a commission since the last fold
(partners.takings.fold). Hours, not days: the operator's day is a setting
(PAYSIM_TIMEZONE), and a day of a zone a whole number of hours from UTC is a range of UTC hours.

Revision ID: 0041_partner_takings
Revises: 0040_sim_balance
Create Date: 2026-12-07 07:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0041_partner_takings"
down_revision: str | None = "0040_sim_balance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "partner_id, hour, payments, kept_kop, cash_kop, profit_kop, folded"
KEPT = "amount_kop - refunded_kop - chargeback_kop"
# a payment counts when it succeeded; a dealer's cash top-up (method "partner") also when it
# was refunded, for the settlement's cash (what the dealer kept of it)
SUCCEEDED = "status = 'succeeded'"
CASH = "method = 'partner' AND status IN ('succeeded', 'refunded')"
COUNTED = f"partner_id IS NOT NULL AND ({SUCCEEDED} OR {CASH})"
N = f"CASE WHEN {SUCCEEDED} THEN 1 ELSE 0 END"
KEPT_IF = f"CASE WHEN {SUCCEEDED} THEN {KEPT} ELSE 0 END"
CASH_IF = f"CASE WHEN {CASH} THEN {KEPT} ELSE 0 END"

# PostgreSQL: statement-level triggers (a settlement of 500 payments, or a COPY, adds one row
# per partner and hour it touched, not one per payment). A trigger with transition tables has
# one event, hence three per table sharing one function, which reads only the tables its event
# has (a statement naming the other one could not be planned).
PG_HOUR = "date_trunc('hour', created_at, 'UTC')"
PAYMENT_ROWS = {
    "new": f"SELECT partner_id, {PG_HOUR} AS hour, {N} AS n, {KEPT_IF} AS kept,"
    f" {CASH_IF} AS cash FROM new_rows WHERE {COUNTED}",
    "old": f"SELECT partner_id, {PG_HOUR} AS hour, -({N}) AS n, -({KEPT_IF}) AS kept,"
    f" -({CASH_IF}) AS cash FROM old_rows WHERE {COUNTED}",
}
COMMISSION_ROWS = {
    "new": f"SELECT partner_id, {PG_HOUR} AS hour, amount_kop AS amount FROM new_rows",
    "old": f"SELECT partner_id, {PG_HOUR} AS hour, -amount_kop AS amount FROM old_rows",
}


def _pg_function(name: str, rows: dict[str, str], sums: str, nonzero: str) -> str:
    def add(source: str) -> str:
        return (
            f"INSERT INTO partner_takings ({COLUMNS}) SELECT partner_id, hour, {sums}, false"
            f" FROM ({source}) AS change GROUP BY partner_id, hour HAVING {nonzero};"
        )

    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {add(rows["new"])}
  ELSIF TG_OP = 'UPDATE' THEN
    {add(rows["new"] + " UNION ALL " + rows["old"])}
  ELSE
    {add(rows["old"])}
  END IF;
  RETURN NULL;
END $$"""


PG_FUNCTIONS = [
    _pg_function(
        "partner_takings_of_payments",
        PAYMENT_ROWS,
        "sum(n), sum(kept), sum(cash), 0",
        "sum(n) <> 0 OR sum(kept) <> 0 OR sum(cash) <> 0",
    ),
    _pg_function(
        "partner_takings_of_commissions",
        COMMISSION_ROWS,
        "0, 0, 0, sum(amount)",
        "sum(amount) <> 0",
    ),
]


def _pg_triggers(table: str, function: str) -> list[str]:
    return [
        f"CREATE TRIGGER tr_partner_takings_{table}_{event.lower()} AFTER {event} ON {table}"
        f" REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for event, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    ]


# SQLite: row-level triggers, with the times as SQLAlchemy stores them (UTC, microseconds)
SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', {row}.created_at)"


def _of(condition: str, row: str) -> str:
    """A condition or expression over the payment's columns, read from NEW or OLD."""
    for column in (
        "partner_id",
        "status",
        "method",
        "amount_kop",
        "refunded_kop",
        "chargeback_kop",
    ):
        condition = re.sub(rf"\b{column}\b", f"{row}.{column}", condition)
    return condition


def _sqlite_triggers() -> list[str]:
    def payment(name: str, event: str, row: str, sign: str) -> str:
        return (
            f"CREATE TRIGGER tr_partner_takings_payment_{name} AFTER {event} ON payment"
            f" WHEN {_of(COUNTED, row)} BEGIN INSERT INTO partner_takings ({COLUMNS})"
            f" VALUES ({row}.partner_id, {SQLITE_HOUR.format(row=row)}, {sign}({_of(N, row)}),"
            f" {sign}({_of(KEPT_IF, row)}), {sign}({_of(CASH_IF, row)}), 0, 0); END"
        )

    def commission(name: str, event: str, row: str, sign: str) -> str:
        return (
            f"CREATE TRIGGER tr_partner_takings_commission_{name} AFTER {event} ON commission"
            f" BEGIN INSERT INTO partner_takings ({COLUMNS}) VALUES ({row}.partner_id,"
            f" {SQLITE_HOUR.format(row=row)}, 0, 0, 0, {sign}{row}.amount_kop, 0); END"
        )

    counted = (
        "UPDATE OF status, method, amount_kop, refunded_kop, chargeback_kop, partner_id, created_at"
    )
    return [
        payment("insert", "INSERT", "NEW", ""),
        payment("update_old", counted, "OLD", "-"),
        payment("update_new", counted, "NEW", ""),
        payment("delete", "DELETE", "OLD", "-"),
        commission("insert", "INSERT", "NEW", ""),
        commission("update_old", "UPDATE", "OLD", "-"),
        commission("update_new", "UPDATE", "NEW", ""),
        commission("delete", "DELETE", "OLD", "-"),
    ]


def backfill_sql(hour: str) -> str:
    """One folded row per partner and hour, from the payments and commissions as they are."""
    return (
        f"INSERT INTO partner_takings ({COLUMNS})"
        " SELECT partner_id, hour, sum(n), sum(kept), sum(cash), sum(profit), true FROM ("
        f" SELECT partner_id, {hour} AS hour, {N} AS n, {KEPT_IF} AS kept, {CASH_IF} AS cash,"
        f" 0 AS profit FROM payment WHERE {COUNTED}"
        f" UNION ALL SELECT partner_id, {hour}, 0, 0, 0, amount_kop FROM commission"
        ") AS taken GROUP BY partner_id, hour"
    )


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "partner_takings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("hour", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("kept_kop", sa.BigInteger(), nullable=False),
        sa.Column("cash_kop", sa.BigInteger(), nullable=False),
        sa.Column("profit_kop", sa.BigInteger(), nullable=False),
        sa.Column("folded", sa.Boolean(), nullable=False),
        # a partner's rows go with it (a partner with payments cannot be deleted; a test's
        # cleaning deletes payments, whose triggers add rows, before it deletes partners)
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    # the triggers first: on PostgreSQL creating them locks out writers of payment and
    # commission until this migration commits, so the backfill below misses no change
    if _postgres():
        for statement in [
            *PG_FUNCTIONS,
            *_pg_triggers("payment", "partner_takings_of_payments"),
            *_pg_triggers("commission", "partner_takings_of_commissions"),
        ]:
            op.execute(statement)
        op.execute(backfill_sql(PG_HOUR))
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)
        op.execute(backfill_sql(SQLITE_HOUR.format(row="x").replace("x.", "")))
    op.create_index(
        "ix_partner_takings_partner_hour",
        "partner_takings",
        ["partner_id", "hour"],
        postgresql_include=["payments", "kept_kop", "cash_kop", "profit_kop"],
    )
    op.create_index("ix_partner_takings_hour", "partner_takings", ["hour"])
    op.create_index(
        "uq_partner_takings_folded",
        "partner_takings",
        ["partner_id", "hour"],
        unique=True,
        postgresql_where=sa.text("folded"),
        sqlite_where=sa.text("folded"),
    )


def downgrade() -> None:
    names = [
        f"tr_partner_takings_{table}_{event}"
        for table in ("payment", "commission")
        for event in (
            ("insert", "update", "delete")
            if _postgres()
            else ("insert", "update_old", "update_new", "delete")
        )
    ]
    for name in names:
        table = name.split("_")[3]
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if _postgres() else ""))
    if _postgres():
        op.execute("DROP FUNCTION partner_takings_of_payments()")
        op.execute("DROP FUNCTION partner_takings_of_commissions()")
    op.drop_table("partner_takings")
