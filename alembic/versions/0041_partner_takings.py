"""partner_takings: each partner's payments, cash top-ups, commission, SIMs and activations by
UTC hour

A partner's statistics summed its payments and commissions for the period, and the comparison
of all partners summed every payment of the period: at 20M payments 580 ms for the busiest
partner's year and 2.6 s for the comparison (bench/README.md, "Ten million SIMs"). They now sum
this table: at most one folded row per partner and hour, plus the rows of differences the
triggers below add for each change of a payment, a commission or a SIM since the last fold
(partners.takings.fold). The comparison also counted every partner's SIMs and the activations
of the period over `sim` (554 and 359 ms at 10M SIMs): a SIM a partner holds counts on the rows
of one fixed hour, 1970-01-01 00:00 UTC (a count of what is held has no hour of its own; one
hour keeps it one row per partner once folded), its activation at the hour of `activated_at`. Hours, not days: the operator's day is a setting
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

FIGURES = "payments, kept_kop, cash_kop, profit_kop, sims, activations"
COLUMNS = f"partner_id, hour, {FIGURES}, folded"
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
PG_HELD = "TIMESTAMPTZ '1970-01-01 00:00:00+00'"  # partners.takings.HELD_AT
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


def _sim_rows(rows: str, hour: str, held: str, sign: str) -> str:
    """(partner_id, hour, sims, activations) of the SIMs in `rows`: a transition table, or
    NEW / OLD of a row-level trigger."""
    prefix = f"{rows}." if rows in ("OLD", "NEW") else ""
    activated = hour.replace("created_at", f"{prefix}activated_at")
    source = "" if prefix else f" FROM {rows}"
    return (
        f"SELECT {prefix}partner_id AS partner_id, {held} AS hour, {sign}1 AS sims,"
        f" 0 AS activations{source} WHERE {prefix}partner_id IS NOT NULL"
        f" UNION ALL SELECT {prefix}partner_id, {activated}, 0, {sign}1{source}"
        f" WHERE {prefix}partner_id IS NOT NULL AND {prefix}activated_at IS NOT NULL"
    )


def _add_sims(source: str) -> str:
    return (
        f"INSERT INTO partner_takings ({COLUMNS}) SELECT partner_id, hour, 0, 0, 0, 0,"
        f" sum(sims), sum(activations), false FROM ({source}) AS change"
        " GROUP BY partner_id, hour HAVING sum(sims) <> 0 OR sum(activations) <> 0"
    )


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
        "sum(n), sum(kept), sum(cash), 0, 0, 0",
        "sum(n) <> 0 OR sum(kept) <> 0 OR sum(cash) <> 0",
    ),
    _pg_function(
        "partner_takings_of_commissions",
        COMMISSION_ROWS,
        "0, 0, 0, sum(amount), 0, 0",
        "sum(amount) <> 0",
    ),
]


# SIMs: inserts and deletes statement-level (an import's chunk adds one row per partner and
# hour); an update row-level, called only when the partner or the activation time changed (a
# fee, a block or a status change never calls it)
PG_SIMS = [
    f"""CREATE FUNCTION partner_takings_of_sims() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_add_sims(_sim_rows("new_rows", PG_HOUR, PG_HELD, ""))};
  ELSIF TG_OP = 'DELETE' THEN
    {_add_sims(_sim_rows("old_rows", PG_HOUR, PG_HELD, "-"))};
  ELSE
    {_add_sims(_sim_rows("NEW", PG_HOUR, PG_HELD, "") + " UNION ALL " + _sim_rows("OLD", PG_HOUR, PG_HELD, "-"))};
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER tr_partner_takings_sim_insert AFTER INSERT ON sim"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION partner_takings_of_sims()",
    "CREATE TRIGGER tr_partner_takings_sim_delete AFTER DELETE ON sim"
    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION partner_takings_of_sims()",
    "CREATE TRIGGER tr_partner_takings_sim_update AFTER UPDATE OF partner_id, activated_at"
    " ON sim FOR EACH ROW WHEN (OLD.partner_id IS DISTINCT FROM NEW.partner_id"
    " OR OLD.activated_at IS DISTINCT FROM NEW.activated_at)"
    " EXECUTE FUNCTION partner_takings_of_sims()",
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
SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', created_at)"
SQLITE_HELD = "'1970-01-01 00:00:00.000000'"


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
            f" VALUES ({row}.partner_id, {hour(row)}, {sign}({_of(N, row)}),"
            f" {sign}({_of(KEPT_IF, row)}), {sign}({_of(CASH_IF, row)}), 0, 0, 0, 0); END"
        )

    def commission(name: str, event: str, row: str, sign: str) -> str:
        return (
            f"CREATE TRIGGER tr_partner_takings_commission_{name} AFTER {event} ON commission"
            f" BEGIN INSERT INTO partner_takings ({COLUMNS}) VALUES ({row}.partner_id,"
            f" {hour(row)}, 0, 0, 0, {sign}{row}.amount_kop, 0, 0, 0); END"
        )

    def hour(row: str) -> str:
        return SQLITE_HOUR.replace("created_at", f"{row}.created_at")

    def sim(row: str, sign: str) -> str:
        return _sim_rows(row, SQLITE_HOUR, SQLITE_HELD, sign)

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
        *(
            f"CREATE TRIGGER tr_partner_takings_sim_{name} AFTER {event} ON sim{when}"
            f" BEGIN {_add_sims(rows)}; END"
            for name, event, when, rows in (
                ("insert", "INSERT", "", sim("NEW", "")),
                ("delete", "DELETE", "", sim("OLD", "-")),
                (
                    "update",
                    "UPDATE OF partner_id, activated_at",
                    " WHEN OLD.partner_id IS NOT NEW.partner_id"
                    " OR OLD.activated_at IS NOT NEW.activated_at",
                    sim("NEW", "") + " UNION ALL " + sim("OLD", "-"),
                ),
            )
        ),
    ]


def backfill_sql(hour: str, held: str) -> str:
    """One folded row per partner and hour, from the payments, commissions and SIMs as they
    are."""
    return (
        f"INSERT INTO partner_takings ({COLUMNS}) SELECT partner_id, hour, sum(n), sum(kept),"
        " sum(cash), sum(profit), sum(sims), sum(activations), true FROM ("
        f" SELECT partner_id, {hour} AS hour, {N} AS n, {KEPT_IF} AS kept, {CASH_IF} AS cash,"
        f" 0 AS profit, 0 AS sims, 0 AS activations FROM payment WHERE {COUNTED}"
        f" UNION ALL SELECT partner_id, {hour}, 0, 0, 0, amount_kop, 0, 0 FROM commission"
        f" UNION ALL SELECT partner_id, hour, 0, 0, 0, 0, sims, activations"
        f" FROM ({_sim_rows('sim', hour, held, '')}) AS held"
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
        sa.Column("sims", sa.Integer(), nullable=False),
        sa.Column("activations", sa.Integer(), nullable=False),
        sa.Column("folded", sa.Boolean(), nullable=False),
        # a partner's rows go with it (a partner with payments cannot be deleted; a test's
        # cleaning deletes payments, whose triggers add rows, before it deletes partners)
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    # the triggers first: on PostgreSQL creating them locks out writers of payment,
    # commission and sim until this migration commits, so the backfill below misses no change
    if _postgres():
        for statement in [
            *PG_FUNCTIONS,
            *_pg_triggers("payment", "partner_takings_of_payments"),
            *_pg_triggers("commission", "partner_takings_of_commissions"),
            *PG_SIMS,
        ]:
            op.execute(statement)
        op.execute(backfill_sql(PG_HOUR, PG_HELD))
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)
        op.execute(backfill_sql(SQLITE_HOUR, SQLITE_HELD))
    op.create_index(
        "ix_partner_takings_partner_hour",
        "partner_takings",
        ["partner_id", "hour"],
        postgresql_include=[
            "payments",
            "kept_kop",
            "cash_kop",
            "profit_kop",
            "sims",
            "activations",
        ],
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
    ] + [f"tr_partner_takings_sim_{event}" for event in ("insert", "update", "delete")]
    for name in names:
        table = name.split("_")[3]
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if _postgres() else ""))
    if _postgres():
        op.execute("DROP FUNCTION partner_takings_of_payments()")
        op.execute("DROP FUNCTION partner_takings_of_commissions()")
        op.execute("DROP FUNCTION partner_takings_of_sims()")
    op.drop_table("partner_takings")
