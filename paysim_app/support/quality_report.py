"""Quality for the back office (`quality.view`): ratings and speed tests over time, by tariff
and by partner, and the list of ratings (the low ones first).

Every figure is computed by grouped SQL (one statement per table of the overview), never by a
Python loop over rating or speed-test rows. Months and days are Moscow calendar months/days.

Speed figures are MEDIANS on both backends, computed with the same portable SQL (ROW_NUMBER and
COUNT windows; the mean of the one or two middle values, i.e. what PostgreSQL's
percentile_cont(0.5) gives), so SQLite and PostgreSQL answer alike.

A rating belongs to the SIM it was given for (its tariff and partner are the SIM's current ones)
and to the subscriber who gave it (quality_rating.user_id -> subscriber.user_id); it links to a
support ticket through quality_rating.ticket_id when one was opened from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from paysim_app.core.errors import ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_day_range
from paysim_app.models import (
    Partner,
    QualityRating,
    Sim,
    SpeedTest,
    Subscriber,
    Tariff,
    Ticket,
)
from paysim_app.models.quality import RATING_ASPECTS
from paysim_app.settings import get_settings

VIEW = "quality.view"
LOW_STARS = 2  # a rating of 1 or 2 stars counts as low
MAX_PERIOD_DAYS = 366 * 3
STATISTIC = "median"  # what SpeedStats figures are (see the module docstring)


# -- DTOs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StarsRow:
    """Average stars (None: no rating) of one month, tariff or partner."""

    key: str  # 'YYYY-MM' for a month; the tariff / partner id as text ('' when none)
    name: str  # the tariff / partner name ('' when none; the month again for a month)
    ratings: int
    low: int  # ratings of LOW_STARS or fewer
    average: float | None
    voice: float | None
    speed: float | None
    coverage: float | None


@dataclass(frozen=True)
class SpeedStats:
    """Median speed-test figures of one month or tariff (kbit/s and ms, like the table)."""

    key: str  # 'YYYY-MM' or the tariff id as text ('' when the SIM has none)
    name: str
    tests: int
    download_kbps: float | None
    upload_kbps: float | None
    ping_ms: float | None


@dataclass(frozen=True)
class QualityOverview:
    date_from: date
    date_to: date
    ratings: int
    low: int
    average: float | None
    months: tuple[StarsRow, ...]  # every month of the period, oldest first (empty ones too)
    by_tariff: tuple[StarsRow, ...]  # by name; the SIMs without a tariff last
    by_partner: tuple[StarsRow, ...]  # by name; the operator's own SIMs (no partner) last
    speed_by_month: tuple[SpeedStats, ...]  # every month of the period, oldest first
    speed_by_tariff: tuple[SpeedStats, ...]
    speed_statistic: str = STATISTIC


# -- SQL helpers ----------------------------------------------------------------------------
def _moscow_month(session: Session, column: ColumnElement) -> ColumnElement:
    """'YYYY-MM' of a UTC timestamp column in the operator's time zone, on either backend."""
    tz = get_settings().paysim_timezone
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM")
    # SQLite stores UTC text; Moscow has kept one offset (UTC+3) since 2014
    minutes = int(datetime.now(ZoneInfo(tz)).utcoffset().total_seconds() // 60)
    return func.strftime("%Y-%m", column, f"{minutes:+d} minutes")


def _period(column: ColumnElement, date_from: date, date_to: date) -> list[ColumnElement]:
    return [column >= moscow_day_range(date_from)[0], column < moscow_day_range(date_to)[1]]


def _check_period(date_from: object, date_to: object) -> tuple[date, date]:
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValidationError("admin_quality.error.period", field=name)
    if date_from > date_to:
        raise ValidationError("admin_quality.error.period_order", field="date_to")
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise ValidationError("admin_quality.error.period_long", field="date_to", years=3)
    return date_from, date_to


def _months(date_from: date, date_to: date) -> list[str]:
    out, year, month = [], date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _avg(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _star_columns() -> list[ColumnElement]:
    """ratings, low, average, then the average per aspect (conditional aggregation)."""
    stars = QualityRating.stars
    return [
        func.count(QualityRating.id).label("ratings"),
        func.sum(case((stars <= LOW_STARS, 1), else_=0)).label("low"),
        func.avg(stars * 1.0).label("average"),
        *(
            func.avg(case((QualityRating.aspect == a, stars * 1.0))).label(a)
            for a in RATING_ASPECTS
        ),
    ]


def _stars_row(key, name, row) -> StarsRow:
    return StarsRow(
        key="" if key is None else str(key),
        name=name or "",
        ratings=int(row.ratings or 0),
        low=int(row.low or 0),
        average=_avg(row.average),
        voice=_avg(row.voice),
        speed=_avg(row.speed),
        coverage=_avg(row.coverage),
    )


def _ratings_by(session: Session, key: ColumnElement, name: ColumnElement, where) -> list:
    """One grouped statement: star figures per (key, name), names ascending, NULL key last."""
    stmt = (
        select(key.label("key"), name.label("name"), *_star_columns())
        .select_from(QualityRating)
        .outerjoin(Sim, Sim.id == QualityRating.sim_id)
        .outerjoin(Tariff, Tariff.id == Sim.tariff_id)
        .outerjoin(Partner, Partner.id == Sim.partner_id)
        .where(*where)
        .group_by(key, name)
        .order_by(key.is_(None), name, key)
    )
    return session.execute(stmt).all()


def _medians(
    session: Session, key: ColumnElement, name: ColumnElement, where, order_by_key: bool = False
) -> list:
    """Median download, upload and ping per group, in one statement:
    rank each figure inside its group, keep the one or two middle ranks, average them."""
    figures = {
        "down": SpeedTest.download_kbps,
        "up": SpeedTest.upload_kbps,
        "ping": SpeedTest.ping_ms,
    }
    inner = (
        select(
            key.label("key"),
            name.label("name"),
            func.count().over(partition_by=key).label("n"),
            *(column.label(f) for f, column in figures.items()),
            *(
                func.row_number().over(partition_by=key, order_by=column).label(f"rank_{f}")
                for f, column in figures.items()
            ),
        )
        .select_from(SpeedTest)
        .outerjoin(Sim, Sim.id == SpeedTest.sim_id)
        .outerjoin(Tariff, Tariff.id == Sim.tariff_id)
        .where(*where)
        .subquery()
    )
    n = inner.c.n

    def middle(f: str):
        rank = inner.c[f"rank_{f}"]
        return func.avg(
            case((or_(rank == (n + 1) // 2, rank == (n + 2) // 2), inner.c[f] * 1.0))
        ).label(f)

    stmt = (
        select(
            inner.c.key,
            func.max(inner.c.name).label("name"),
            func.max(n).label("tests"),
            *(middle(f) for f in figures),
        )
        .group_by(inner.c.key)
        .order_by(
            *((inner.c.key,) if order_by_key else (inner.c.key.is_(None), func.max(inner.c.name)))
        )
    )
    return session.execute(stmt).all()


def _speed_row(row) -> SpeedStats:
    return SpeedStats(
        key="" if row.key is None else str(row.key),
        name=row.name or "",
        tests=int(row.tests or 0),
        download_kbps=_avg(row.down),
        upload_kbps=_avg(row.up),
        ping_ms=_avg(row.ping),
    )


# -- the overview ---------------------------------------------------------------------------
@verb
def quality_overview(
    session: Session, actor: Actor, date_from: date, date_to: date
) -> QualityOverview:
    """Stars per aspect per month, by tariff and by partner, and median speed-test figures per
    month and per tariff, for the Moscow calendar days date_from..date_to (inclusive)."""
    require(actor, VIEW)
    date_from, date_to = _check_period(date_from, date_to)
    rated = _period(QualityRating.created_at, date_from, date_to)
    tested = _period(SpeedTest.created_at, date_from, date_to)

    total = session.execute(select(*_star_columns()).select_from(QualityRating).where(*rated)).one()
    month = _moscow_month(session, QualityRating.created_at)
    by_month = {
        r.key: _stars_row(r.key, r.key, r) for r in _ratings_by(session, month, month, rated)
    }
    months = _months(date_from, date_to)

    test_month = _moscow_month(session, SpeedTest.created_at)
    speed_months = {
        r.key: _speed_row(r)
        for r in _medians(session, test_month, test_month, tested, order_by_key=True)
    }
    return QualityOverview(
        date_from=date_from,
        date_to=date_to,
        ratings=int(total.ratings or 0),
        low=int(total.low or 0),
        average=_avg(total.average),
        months=tuple(
            by_month.get(m) or StarsRow(m, m, 0, 0, None, None, None, None) for m in months
        ),
        by_tariff=tuple(
            _stars_row(r.key, r.name, r)
            for r in _ratings_by(session, Tariff.id, Tariff.name, rated)
        ),
        by_partner=tuple(
            _stars_row(r.key, r.name, r)
            for r in _ratings_by(session, Partner.id, Partner.name, rated)
        ),
        speed_by_month=tuple(
            speed_months.get(m) or SpeedStats(m, m, 0, None, None, None) for m in months
        ),
        speed_by_tariff=tuple(
            _speed_row(r) for r in _medians(session, Tariff.id, Tariff.name, tested)
        ),
    )


# -- the list of ratings --------------------------------------------------------------------
def rating_rows_select() -> Select:
    """Every rating with labelled columns: id, created_at, stars, aspect (voice | speed |
    coverage: the rating's kind), comment, sim_id, msisdn, subscriber_id, subscriber_name (who
    rated), tariff_id, tariff_name, partner_id, partner_name (of the SIM), ticket_id,
    ticket_status (the linked support ticket, None when there is none), speed_test_id,
    download_kbps, upload_kbps, ping_ms (the attached speed test, None when none).

    Unfiltered and unsorted; the caller checks `quality.view` (VIEW) first. "Low ones first":
    sort by QualityRating.stars ascending with QualityRating.created_at and QualityRating.id as
    tie-breakers (index ix_rating_stars_created covers stars + created_at in one direction).
    Filters (each `(stmt, value) -> stmt`, the shape of listing.FilterDef.apply):
    filter_rating_aspect, filter_rating_max_stars, filter_rating_tariff, filter_rating_partner,
    filter_rating_from / filter_rating_to (Moscow days, inclusive), filter_rating_has_ticket;
    search: search_ratings (number digits or subscriber name).
    """
    return (
        select(
            QualityRating.id.label("id"),
            QualityRating.created_at.label("created_at"),
            QualityRating.stars.label("stars"),
            QualityRating.aspect.label("aspect"),
            QualityRating.comment.label("comment"),
            QualityRating.sim_id.label("sim_id"),
            Sim.msisdn.label("msisdn"),
            Subscriber.id.label("subscriber_id"),
            Subscriber.full_name.label("subscriber_name"),
            Sim.tariff_id.label("tariff_id"),
            Tariff.name.label("tariff_name"),
            Sim.partner_id.label("partner_id"),
            Partner.name.label("partner_name"),
            QualityRating.ticket_id.label("ticket_id"),
            Ticket.status.label("ticket_status"),
            QualityRating.speed_test_id.label("speed_test_id"),
            SpeedTest.download_kbps.label("download_kbps"),
            SpeedTest.upload_kbps.label("upload_kbps"),
            SpeedTest.ping_ms.label("ping_ms"),
        )
        .select_from(QualityRating)
        .outerjoin(Sim, Sim.id == QualityRating.sim_id)
        .outerjoin(Subscriber, Subscriber.user_id == QualityRating.user_id)
        .outerjoin(Tariff, Tariff.id == Sim.tariff_id)
        .outerjoin(Partner, Partner.id == Sim.partner_id)
        .outerjoin(Ticket, Ticket.id == QualityRating.ticket_id)
        .outerjoin(SpeedTest, SpeedTest.id == QualityRating.speed_test_id)
    )


def filter_rating_aspect(stmt: Select, aspect: str) -> Select:
    return stmt.where(QualityRating.aspect == aspect)


def filter_rating_max_stars(stmt: Select, stars: int) -> Select:
    return stmt.where(QualityRating.stars <= stars)


def filter_rating_tariff(stmt: Select, tariff_id: int) -> Select:
    return stmt.where(Sim.tariff_id == tariff_id)


def filter_rating_partner(stmt: Select, partner_id: int) -> Select:
    return stmt.where(Sim.partner_id == partner_id)


def filter_rating_from(stmt: Select, day: date) -> Select:
    return stmt.where(QualityRating.created_at >= moscow_day_range(day)[0])


def filter_rating_to(stmt: Select, day: date) -> Select:
    return stmt.where(QualityRating.created_at < moscow_day_range(day)[1])


def filter_rating_has_ticket(stmt: Select, has: str | bool) -> Select:
    """'yes'/True: ratings linked to a ticket; 'no'/False: the others."""
    wanted = has is True or has == "yes"
    column = QualityRating.ticket_id
    return stmt.where(column.is_not(None) if wanted else column.is_(None))


def search_ratings(stmt: Select, text: str) -> Select:
    """The digits typed match part of the number; anything else part of the subscriber name."""
    text = text.strip()
    if text and all(ch.isdigit() or ch in "+-() " for ch in text):
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) == 11 and digits[0] in "78":
            digits = digits[1:]  # +7 903... / 8 903... -> 903...
        return stmt.where(Sim.msisdn.contains(digits, autoescape=True))
    return stmt.where(Subscriber.full_name.ilike(f"%{_escape(text)}%", escape="\\"))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
