"""What each partner took in and holds, by UTC hour (`partner_takings`, filled by the
database's triggers on payment, commission and sim: migration 0041): the sums its
statistics, its settlement and the comparison of partners read instead of the payments,
commissions and SIMs themselves.

`sums` adds the rows of a period, folded or not; `fold` (the scheduler's tidy job, and after a
billing cycle) adds the triggers' rows of differences into one row per partner and hour, so a
year of a partner stays ~8 800 rows however many payments it had. `rebuild` recomputes the
whole table from the payments, commissions and SIMs (for data loaded with the triggers off, e.g.
bench/admin_data.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from paysim_app.core import bulk
from paysim_app.core.unit_of_work import verb
from paysim_app.models import PartnerTakings

_T = PartnerTakings.__table__
# what a row holds, in the order of Takings' fields
FIGURES = ("payments", "kept_kop", "cash_kop", "profit_kop", "sims", "activations")
_COLUMNS = ", ".join(("partner_id", "hour", *FIGURES, "folded"))
_KEPT = "amount_kop - refunded_kop - chargeback_kop"
_CASH = "method = 'partner' AND status IN ('succeeded', 'refunded')"


@dataclass(frozen=True)
class Takings:
    payments: int = 0  # succeeded payments
    kept_kop: int = 0  # their amounts less refunds and chargebacks
    cash_kop: int = 0  # the dealer's cash top-ups (succeeded or refunded): what it kept of them
    profit_kop: int = 0  # commission: accruals less reversals
    sims: int = 0  # the SIMs it holds (on the rows of HELD_AT only)
    activations: int = 0  # its SIMs' activations


# the hour whose rows hold each partner's SIMs (a count of what it holds now has no hour; one
# hour keeps it one row per partner once folded): migration 0041's triggers write it
HELD_AT = datetime(1970, 1, 1, tzinfo=UTC)


@verb(read_only=True)
def held(session: Session) -> dict[int, int]:
    """{partner id: the SIMs it holds} (partners holding none left out), from HELD_AT's rows."""
    found = sums(session, _T.c.partner_id, start=HELD_AT, end=HELD_AT + timedelta(hours=1))
    return {partner_id: f.sims for partner_id, f in found.items() if f.sims}


def _on_the_hour(moment: datetime) -> bool:
    return moment.minute == 0 and moment.second == 0 and moment.microsecond == 0


@verb(read_only=True)
def sums(
    session: Session,
    group: ColumnElement | None,
    *,
    partner_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[object, Takings]:
    """{group value: Takings} over the rows of [start, end) (all time without bounds), of one
    partner or all; `group` is a column expression over PartnerTakings (partner_id, a month of
    the hour) or None for one total (key None). The bounds must fall on UTC hours: a day of the
    operator's zone does when the zone is a whole number of hours from UTC."""
    for bound in (start, end):
        if bound is not None and not _on_the_hour(bound):
            raise ValueError(f"{bound} is not on the hour: partner_takings holds whole hours")
    key = group.label("key") if group is not None else None
    figures = [func.coalesce(func.sum(_T.c[name]), 0) for name in FIGURES]
    query = select(*([key] if key is not None else []), *figures)
    if partner_id is not None:
        query = query.where(_T.c.partner_id == partner_id)
    if start is not None:
        query = query.where(_T.c.hour >= start)
    if end is not None:
        query = query.where(_T.c.hour < end)
    if key is not None:
        query = query.group_by(key)
    out = {}
    for row in session.execute(query).all():
        name, figures = (row[0], row[1:]) if key is not None else (None, row)
        out[name] = Takings(*(int(f) for f in figures))
    return out


@verb
def fold(session: Session) -> int:
    """Add the rows of differences into the one folded row of their partner and hour; the
    number of rows folded. Safe beside the triggers' writers and another fold: the rows taken
    are exactly the rows summed (PostgreSQL: one DELETE ... RETURNING feeding the upsert;
    SQLite: one writer at a time). The caller commits."""
    names = ", ".join(FIGURES)
    if bulk.is_postgres(session):
        sums_of = ", ".join(f"sum({n}) AS {n}" for n in FIGURES)
        adds = ", ".join(f"{n} = partner_takings.{n} + excluded.{n}" for n in FIGURES)
        return session.execute(
            text(
                "WITH gone AS (DELETE FROM partner_takings WHERE NOT folded"
                f" RETURNING partner_id, hour, {names}),"
                f" summed AS (SELECT partner_id, hour, {sums_of}, count(*) AS n"
                " FROM gone GROUP BY partner_id, hour),"
                f" added AS (INSERT INTO partner_takings ({_COLUMNS})"
                f" SELECT partner_id, hour, {names}, true FROM summed"
                f" ON CONFLICT (partner_id, hour) WHERE folded DO UPDATE SET {adds})"
                " SELECT coalesce(sum(n), 0) FROM summed"
            )
        ).scalar_one()
    gone = session.execute(
        text(f"DELETE FROM partner_takings WHERE NOT folded RETURNING partner_id, hour, {names}")
    ).all()
    summed: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(FIGURES))
    for partner_id, hour, *figures in gone:
        total = summed[(partner_id, hour)]
        total[:] = [a + b for a, b in zip(total, figures, strict=True)]
    if summed:
        values = ", ".join(f":{n}" for n in FIGURES)
        adds = ", ".join(f"{n} = {n} + excluded.{n}" for n in FIGURES)
        session.execute(
            text(
                f"INSERT INTO partner_takings ({_COLUMNS})"
                f" VALUES (:partner_id, :hour, {values}, 1)"
                f" ON CONFLICT (partner_id, hour) WHERE folded DO UPDATE SET {adds}"
            ),
            [
                {"partner_id": p, "hour": h, **dict(zip(FIGURES, figures, strict=True))}
                for (p, h), figures in summed.items()
            ],
        )
    return len(gone)


@verb
def rebuild(session: Session) -> int:
    """Recompute every partner's takings from its payments, commissions and SIMs (one folded row per
    partner and hour); the number of rows. For data written with the triggers off (a bulk load
    under session_replication_role = replica); the caller commits."""
    if bulk.is_postgres(session):
        hour = "date_trunc('hour', {column}, 'UTC')"
    else:
        hour = "strftime('%Y-%m-%d %H:00:00.000000', {column})"
    added, activated = hour.format(column="created_at"), hour.format(column="activated_at")
    held_at = (
        "'1970-01-01 00:00:00+00'"
        if bulk.is_postgres(session)
        else ("'1970-01-01 00:00:00.000000'")
    )
    sums_of = ", ".join(f"sum({n})" for n in FIGURES)
    session.execute(text("DELETE FROM partner_takings"))
    session.execute(
        text(
            f"INSERT INTO partner_takings ({_COLUMNS}) SELECT partner_id, hour, {sums_of}, true"
            f" FROM (SELECT partner_id, {added} AS hour,"
            " CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END AS payments,"
            f" CASE WHEN status = 'succeeded' THEN {_KEPT} ELSE 0 END AS kept_kop,"
            f" CASE WHEN {_CASH} THEN {_KEPT} ELSE 0 END AS cash_kop, 0 AS profit_kop,"
            " 0 AS sims, 0 AS activations FROM payment"
            f" WHERE partner_id IS NOT NULL AND (status = 'succeeded' OR {_CASH})"
            f" UNION ALL SELECT partner_id, {added}, 0, 0, 0, amount_kop, 0, 0 FROM commission"
            f" UNION ALL SELECT partner_id, {held_at}, 0, 0, 0, 0, 1, 0 FROM sim"
            " WHERE partner_id IS NOT NULL"
            f" UNION ALL SELECT partner_id, {activated}, 0, 0, 0, 0, 0, 1 FROM sim"
            " WHERE partner_id IS NOT NULL AND activated_at IS NOT NULL"
            ") AS taken GROUP BY partner_id, hour"
        )
    )
    return session.execute(select(func.count()).select_from(_T)).scalar_one()
