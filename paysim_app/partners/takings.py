"""What each partner took in, by UTC hour (`partner_takings`, filled by the database's triggers
on payment and commission: migration 0041): the sums its statistics and the comparison of
partners read for a period instead of the payments and commissions themselves.

`sums` adds the rows of a period, folded or not; `fold` (the scheduler's tidy job, and after a
billing cycle) adds the triggers' rows of differences into one row per partner and hour, so a
year of a partner stays ~8 800 rows however many payments it had. `rebuild` recomputes the
whole table from the payments and commissions (for data loaded with the triggers off, e.g.
bench/admin_data.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from paysim_app.core import bulk
from paysim_app.core.unit_of_work import verb
from paysim_app.models import PartnerTakings

_T = PartnerTakings.__table__
_COLUMNS = "partner_id, hour, payments, kept_kop, cash_kop, profit_kop, folded"
_KEPT = "amount_kop - refunded_kop - chargeback_kop"
_CASH = "method = 'partner' AND status IN ('succeeded', 'refunded')"


@dataclass(frozen=True)
class Takings:
    payments: int = 0  # succeeded payments
    kept_kop: int = 0  # their amounts less refunds and chargebacks
    cash_kop: int = 0  # the dealer's cash top-ups (succeeded or refunded): what it kept of them
    profit_kop: int = 0  # commission: accruals less reversals


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
    figures = [
        func.coalesce(func.sum(_T.c.payments), 0),
        func.coalesce(func.sum(_T.c.kept_kop), 0),
        func.coalesce(func.sum(_T.c.cash_kop), 0),
        func.coalesce(func.sum(_T.c.profit_kop), 0),
    ]
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
    if bulk.is_postgres(session):
        return session.execute(
            text(
                "WITH gone AS (DELETE FROM partner_takings WHERE NOT folded"
                " RETURNING partner_id, hour, payments, kept_kop, cash_kop, profit_kop),"
                " summed AS (SELECT partner_id, hour, sum(payments) AS payments,"
                " sum(kept_kop) AS kept_kop, sum(cash_kop) AS cash_kop,"
                " sum(profit_kop) AS profit_kop, count(*) AS n FROM gone GROUP BY partner_id, hour),"
                f" added AS (INSERT INTO partner_takings ({_COLUMNS})"
                " SELECT partner_id, hour, payments, kept_kop, cash_kop, profit_kop, true"
                " FROM summed ON CONFLICT (partner_id, hour) WHERE folded DO UPDATE SET"
                " payments = partner_takings.payments + excluded.payments,"
                " kept_kop = partner_takings.kept_kop + excluded.kept_kop,"
                " cash_kop = partner_takings.cash_kop + excluded.cash_kop,"
                " profit_kop = partner_takings.profit_kop + excluded.profit_kop)"
                " SELECT coalesce(sum(n), 0) FROM summed"
            )
        ).scalar_one()
    gone = session.execute(
        text(
            "DELETE FROM partner_takings WHERE NOT folded"
            " RETURNING partner_id, hour, payments, kept_kop, cash_kop, profit_kop"
        )
    ).all()
    summed: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for partner_id, hour, *figures in gone:
        total = summed[(partner_id, hour)]
        total[:] = [a + b for a, b in zip(total, figures, strict=True)]
    if summed:
        session.execute(
            text(
                f"INSERT INTO partner_takings ({_COLUMNS})"
                " VALUES (:partner_id, :hour, :payments, :kept, :cash, :profit, 1)"
                " ON CONFLICT (partner_id, hour) WHERE folded DO UPDATE SET"
                " payments = payments + excluded.payments,"
                " kept_kop = kept_kop + excluded.kept_kop,"
                " cash_kop = cash_kop + excluded.cash_kop,"
                " profit_kop = profit_kop + excluded.profit_kop"
            ),
            [
                {"partner_id": p, "hour": h, "payments": n, "kept": k, "cash": c, "profit": pr}
                for (p, h), (n, k, c, pr) in summed.items()
            ],
        )
    return len(gone)


@verb
def rebuild(session: Session) -> int:
    """Recompute every partner's takings from its payments and commissions (one folded row per
    partner and hour); the number of rows. For data written with the triggers off (a bulk load
    under session_replication_role = replica); the caller commits."""
    if bulk.is_postgres(session):
        hour = "date_trunc('hour', created_at, 'UTC')"
    else:
        hour = "strftime('%Y-%m-%d %H:00:00.000000', created_at)"
    session.execute(text("DELETE FROM partner_takings"))
    session.execute(
        text(
            f"INSERT INTO partner_takings ({_COLUMNS})"
            " SELECT partner_id, hour, sum(n), sum(kept), sum(cash), sum(profit), true FROM ("
            f" SELECT partner_id, {hour} AS hour,"
            " CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END AS n,"
            f" CASE WHEN status = 'succeeded' THEN {_KEPT} ELSE 0 END AS kept,"
            f" CASE WHEN {_CASH} THEN {_KEPT} ELSE 0 END AS cash, 0 AS profit FROM payment"
            f" WHERE partner_id IS NOT NULL AND (status = 'succeeded' OR {_CASH})"
            f" UNION ALL SELECT partner_id, {hour}, 0, 0, 0, amount_kop FROM commission"
            ") AS taken GROUP BY partner_id, hour"
        )
    )
    return session.execute(select(func.count()).select_from(_T)).scalar_one()
