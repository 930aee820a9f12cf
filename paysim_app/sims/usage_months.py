"""A SIM's usage per Moscow calendar month: usage_day's days summed into usage_month once they
can no longer change.

The ingest refuses a record that ended more than usage.MAX_AGE ago, and a record lasts at most
usage.MAX_DURATION, so no byte can land any more on a Moscow day that ended before
now - MAX_AGE - MAX_DURATION: that day is final. `roll_up` (the tidy job, every 15 minutes; it
does something only when a day has become final) adds the final days not yet rolled to
usage_month, one INSERT ... SELECT ... GROUP BY per month, and moves usage_rollup's mark in the
same transaction: a roll that fails is rolled again whole, nothing is counted twice.

Readers (usage_history.monthly, usage_view.traffic) take a month's bytes from usage_month up to
the mark and the days after it from usage_day: a year's history is at most 13 month rows plus
the ~37 days not yet final, however big the tables grow (at a million SIMs a year of usage_day
is 365M rows, far more than memory, and a SIM's 365 days sit on 365 pages).

Only what the ingest writes obeys MAX_AGE: a writer of older days (the demo seed) rolls them
up itself, before any mark exists (a mark is made only when there is usage to roll).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, delete, func, literal, select
from sqlmodel import Session

from paysim_app.core import bulk
from paysim_app.core.unit_of_work import verb
from paysim_app.models.usage import UsageDay, UsageMonth, UsageRollup
from paysim_app.sims.usage import MAX_AGE, MAX_DURATION, day_of

KEEP_MONTHS = 25  # two years and the current month
ROLL_DAYS = 31  # days a call rolls at most: a backlog is caught up a month per tidy run


def final_day(now: datetime) -> date:
    """The last Moscow day no record the ingest accepts at `now` can touch."""
    return day_of(now - MAX_AGE - MAX_DURATION) - timedelta(days=1)


def month_of(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def months_back(first: date, n: int) -> date:
    """The first day of the month `n` months before the one that begins on `first` (n < 0:
    after it)."""
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


@verb(read_only=True)
def rolled_through(session: Session) -> date | None:
    """The last day whose usage is in usage_month (None before the first roll)."""
    return session.execute(
        select(UsageRollup.rolled_through).where(UsageRollup.id == 1)
    ).scalar_one_or_none()


def _add_days(session: Session, first: date, last: date) -> None:
    """usage_day's rows from `first` to `last` (one month) added to that month's rows."""
    day, month = UsageDay.__table__.c, UsageMonth.__table__
    rows = (
        select(
            day.sim_id,
            literal(month_of(first), Date),
            func.sum(day.bytes_up),
            func.sum(day.bytes_down),
        )
        .where(day.day >= first, day.day <= last)
        .group_by(day.sim_id)
    )
    stmt = bulk.dialect_insert(session, month).from_select(
        ["sim_id", "month", "bytes_up", "bytes_down"], rows
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["sim_id", "month"],
            set_={
                "bytes_up": month.c.bytes_up + stmt.excluded.bytes_up,
                "bytes_down": month.c.bytes_down + stmt.excluded.bytes_down,
            },
        )
    )


@verb
def roll_up(
    session: Session, *, now: datetime | None = None, max_days: int | None = ROLL_DAYS
) -> int:
    """Add the final days not yet rolled (at most `max_days`; None: all) to usage_month, move
    the mark, and drop months older than KEEP_MONTHS. Returns the number of days rolled."""
    now = now or datetime.now(UTC)
    final = final_day(now)
    mark = session.execute(
        select(UsageRollup).where(UsageRollup.id == 1).with_for_update()
    ).scalar_one_or_none()
    if mark is None:
        start = session.execute(select(func.min(UsageDay.day))).scalar_one_or_none()
        if start is None:
            return 0
    else:
        start = mark.rolled_through + timedelta(days=1)
    last = final if max_days is None else min(final, start + timedelta(days=max_days - 1))
    if start > last:
        return 0
    first = start
    while first <= last:
        month_last = min(last, months_back(month_of(first), -1) - timedelta(days=1))
        _add_days(session, first, month_last)
        first = month_last + timedelta(days=1)
    if mark is None:
        session.add(UsageRollup(id=1, rolled_through=last))
    else:
        mark.rolled_through = last
        session.add(mark)
    keep_from = months_back(month_of(day_of(now)), KEEP_MONTHS - 1)
    session.execute(delete(UsageMonth).where(UsageMonth.month < keep_from))
    session.flush()
    return (last - start).days + 1
