"""partner_takings: each partner's SIMs and their activations too

The comparison of partners counted every partner's SIMs and the activations of the period over
`sim`: at 10M SIMs 554 ms and 359 ms of its 1.1 s (bench/README.md, "Partners' takings by
hour"). Triggers on `sim` now add +1 / -1 rows to `partner_takings`: a SIM it holds on the row
of one fixed hour, 1970-01-01 00:00 UTC (a count of what is held now has no hour of its own;
one hour keeps it one row per partner once folded), and its activation at the hour of
`activated_at`; a change of the SIM's partner or activation time moves them. Inserts and deletes are
statement-level on PostgreSQL (an import's chunk adds one row per partner and hour); an update
is row-level, and only when the partner or the activation time changed (a fee, a block or a
status change of a SIM never calls it).

Revision ID: 0043_partner_takings_sims
Revises: 0042_payment_partner_cash
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0043_partner_takings_sims"
down_revision: str | None = "0042_payment_partner_cash"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the money columns of 0041 have no default: zeros written out
COLUMNS = "partner_id, hour, payments, kept_kop, cash_kop, profit_kop, sims, activations, folded"
PG_HOUR = "date_trunc('hour', {column}, 'UTC')"
SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', {column})"
# the hour whose rows hold the SIMs (partners.takings.HELD_AT)
HELD = {
    PG_HOUR: "TIMESTAMPTZ '1970-01-01 00:00:00+00'",
    SQLITE_HOUR: "'1970-01-01 00:00:00.000000'",
}


def _contributions(rows: str, hour: str, sign: str) -> str:
    """(partner_id, hour, sims, activations) of the SIMs in `rows` (a table or a row)."""
    prefix = f"{rows}." if rows in ("OLD", "NEW") else ""
    added = HELD[hour]
    activated = hour.format(column=f"{prefix}activated_at")
    source = "" if prefix else f" FROM {rows}"
    return (
        f"SELECT {prefix}partner_id AS partner_id, {added} AS hour, {sign}1 AS sims,"
        f" 0 AS activations{source} WHERE {prefix}partner_id IS NOT NULL"
        f" UNION ALL SELECT {prefix}partner_id, {activated}, 0, {sign}1{source}"
        f" WHERE {prefix}partner_id IS NOT NULL AND {prefix}activated_at IS NOT NULL"
    )


def _add(source: str) -> str:
    return (
        f"INSERT INTO partner_takings ({COLUMNS}) SELECT partner_id, hour, 0, 0, 0, 0, sum(sims),"
        f" sum(activations), false FROM ({source}) AS change GROUP BY partner_id, hour"
        " HAVING sum(sims) <> 0 OR sum(activations) <> 0"
    )


PG = [
    f"""CREATE FUNCTION partner_takings_of_sims() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_add(_contributions("new_rows", PG_HOUR, ""))};
  ELSIF TG_OP = 'DELETE' THEN
    {_add(_contributions("old_rows", PG_HOUR, "-"))};
  ELSE
    {_add(_contributions("NEW", PG_HOUR, "") + " UNION ALL " + _contributions("OLD", PG_HOUR, "-"))};
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
SQLITE = [
    f"CREATE TRIGGER tr_partner_takings_sim_insert AFTER INSERT ON sim"
    f" BEGIN {_add(_contributions('NEW', SQLITE_HOUR, ''))}; END",
    f"CREATE TRIGGER tr_partner_takings_sim_delete AFTER DELETE ON sim"
    f" BEGIN {_add(_contributions('OLD', SQLITE_HOUR, '-'))}; END",
    "CREATE TRIGGER tr_partner_takings_sim_update AFTER UPDATE OF partner_id, activated_at"
    " ON sim WHEN OLD.partner_id IS NOT NEW.partner_id"
    " OR OLD.activated_at IS NOT NEW.activated_at"
    f" BEGIN {_add(_contributions('NEW', SQLITE_HOUR, '') + ' UNION ALL ' + _contributions('OLD', SQLITE_HOUR, '-'))};"
    " END",
]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.add_column(
        "partner_takings", sa.Column("sims", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "partner_takings",
        sa.Column("activations", sa.Integer(), nullable=False, server_default="0"),
    )
    postgres = _postgres()
    # the triggers first (on PostgreSQL they lock out writers of `sim` until this commits)
    for statement in PG if postgres else SQLITE:
        op.execute(statement)
    hour = PG_HOUR if postgres else SQLITE_HOUR
    op.execute(
        f"INSERT INTO partner_takings ({COLUMNS}) SELECT partner_id, hour, 0, 0, 0, 0, sum(sims),"
        f" sum(activations), true FROM ({_contributions('sim', hour, '')}) AS held"
        " WHERE true GROUP BY partner_id, hour"  # WHERE: SQLite's INSERT ... SELECT ... ON CONFLICT
        " ON CONFLICT (partner_id, hour) WHERE folded DO UPDATE SET"
        " sims = partner_takings.sims + excluded.sims,"
        " activations = partner_takings.activations + excluded.activations"
    )
    op.drop_index("ix_partner_takings_partner_hour", table_name="partner_takings")
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


def downgrade() -> None:
    postgres = _postgres()
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER tr_partner_takings_sim_{event}" + (" ON sim" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION partner_takings_of_sims()")
    op.execute(
        "DELETE FROM partner_takings WHERE payments = 0 AND kept_kop = 0 AND cash_kop = 0"
        " AND profit_kop = 0"
    )
    op.drop_index("ix_partner_takings_partner_hour", table_name="partner_takings")
    op.create_index(
        "ix_partner_takings_partner_hour",
        "partner_takings",
        ["partner_id", "hour"],
        postgresql_include=["payments", "kept_kop", "cash_kop", "profit_kop"],
    )
    op.drop_column("partner_takings", "activations")
    op.drop_column("partner_takings", "sims")
