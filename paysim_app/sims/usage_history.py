"""A SIM's usage read back for charts and histories: by Moscow day, by calendar month, and totals
for many SIMs at once.

Everything here reads `usage_day` (the feed's ingest keeps it beside `usage_hour`, 13 months)
by its primary key (sim_id, day): a range of at most a few hundred rows per SIM, never a scan of
the hourly table. The months read `usage_month` for the days already final (sims.usage_months)
and usage_day only after them: at most 13 + ~37 rows a SIM. Days and months are Moscow calendar
days and months; a day or a month without usage is there with zeros, so a chart has no gaps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from paysim_app.core.errors import ValidationError
from paysim_app.core.unit_of_work import verb
from paysim_app.models.usage import UsageDay, UsageMonth
from paysim_app.sims import usage_months
from paysim_app.sims.usage import day_of

MAX_DAYS = 400  # a chart's range: a year and a bit
MAX_MONTHS = 13  # what usage_day keeps
MAX_SIMS = 1000  # SIMs per totals() call: a page of a partner's or an admin's list


def _check_range(since: date, until: date) -> None:
    if not isinstance(since, date) or not isinstance(until, date):
        raise ValidationError("usage.bad_period")
    if until < since or (until - since).days >= MAX_DAYS:
        raise ValidationError("usage.bad_period")


def _rows(session: Session, sim_id: int, since: date, until: date):
    table = UsageDay.__table__
    return session.execute(
        select(table.c.day, table.c.bytes_up, table.c.bytes_down)
        .where(table.c.sim_id == sim_id, table.c.day >= since, table.c.day <= until)
        .order_by(table.c.day)
    ).all()


@verb
def daily(session: Session, sim_id: int, since: date, until: date) -> list[tuple[date, int, int]]:
    """(day, bytes_up, bytes_down) for every Moscow day from `since` to `until` (both included,
    at most MAX_DAYS), oldest first, zeros for days without usage."""
    _check_range(since, until)
    found = {day: (up, down) for day, up, down in _rows(session, sim_id, since, until)}
    out = []
    day = since
    while day <= until:
        up, down = found.get(day, (0, 0))
        out.append((day, up, down))
        day += timedelta(days=1)
    return out


@verb
def monthly(
    session: Session, sim_id: int, months: int = 12, *, today: date | None = None
) -> list[tuple[date, int, int]]:
    """(first day of the month, bytes_up, bytes_down) for the last `months` calendar months
    (Moscow; the current one, so far, included), oldest first, zeros for months without usage."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise ValidationError("usage.bad_period")
    today = today or day_of(datetime.now(UTC))
    this_month = today.replace(day=1)
    first = usage_months.months_back(this_month, months - 1)
    sums: dict[date, list[int]] = {
        usage_months.months_back(this_month, i): [0, 0] for i in range(months)
    }

    def add(month: date, up: int, down: int) -> None:
        acc = sums[month.replace(day=1)]
        acc[0] += up
        acc[1] += down

    # the months' final days from usage_month (at most `months` rows), the rest from usage_day
    rolled = usage_months.rolled_through(session)
    days_from = first
    if rolled is not None and rolled >= first:
        table = UsageMonth.__table__
        for month, up, down in session.execute(
            select(table.c.month, table.c.bytes_up, table.c.bytes_down).where(
                table.c.sim_id == sim_id, table.c.month >= first, table.c.month <= rolled
            )
        ):
            add(month, up, down)
        days_from = rolled + timedelta(days=1)
    for day, up, down in _rows(session, sim_id, days_from, today):
        add(day, up, down)
    return [(month, up, down) for month, (up, down) in sorted(sums.items())]


@verb
def totals(session: Session, sim_ids: list[int], since: date, until: date) -> dict[int, int]:
    """{sim_id: bytes up + down} from `since` to `until` (Moscow days, both included) for up to
    MAX_SIMS SIMs in one query; a SIM without usage has 0."""
    _check_range(since, until)
    wanted = sorted({int(s) for s in sim_ids})
    if len(wanted) > MAX_SIMS:
        raise ValidationError("usage.too_many_sims")
    if not wanted:
        return {}
    table = UsageDay.__table__
    rows = session.execute(
        select(table.c.sim_id, func.sum(table.c.bytes_up + table.c.bytes_down))
        .where(table.c.sim_id.in_(wanted), table.c.day >= since, table.c.day <= until)
        .group_by(table.c.sim_id)
    ).all()
    out = dict.fromkeys(wanted, 0)
    out.update({sim_id: int(total or 0) for sim_id, total in rows})
    return out
