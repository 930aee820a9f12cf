"""One machinery for every back-office list: filters, free-text search, sorting, pages, CSV.

Each admin (and partner) section declares a `ListSpec`: the SELECT of its labelled columns,
the filters it accepts, how its search box matches, which columns sort. `fetch_page` and
`export_rows` do the rest in SQL, so a list over a million rows reads one page of them:

- paging is LIMIT page_size + 1 (the extra row says whether a next page exists);
- the count is capped (`count(*)` over at most `count_cap + 1` rows); past the cap PostgreSQL's
  planner estimate is shown as "about N". It is computed only when the filters change, not on
  every page turn;
- every sort ends with the spec's unique key, so pages never repeat or skip a row;
- a narrowed list (a search or a filter) is counted up to the cap first; when at most the cap
  rows match, its page is sorted from those rows instead of walking a sort index (see
  `fetch_page`).

The spec's `authorize` runs first on every call: the permission check lives here, not in the UI.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import GenericFunction
from sqlmodel import Session

from paysim_app.core.errors import ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_day_range

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
COUNT_CAP = 1_000
EXPORT_CHUNK = 2_000


@dataclass(frozen=True)
class ListQuery:
    """What the browser asked for. Every value is untrusted text until the spec checks it."""

    filters: Mapping[str, str] = field(default_factory=dict)
    search: str = ""
    sort: str = ""
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class FilterDef:
    """One filter of a list. `apply(stmt, value)` narrows the SELECT; it gets a checked value.

    kind: "choice" (value must be one of `choices`), "text", "date" (YYYY-MM-DD), "int",
    "amount" (roubles typed by a person, turned into kopecks by the caller's apply).
    """

    name: str
    apply: Callable[[Select, Any], Select]
    kind: str = "choice"
    choices: tuple[str, ...] = ()
    leads: ColumnElement | None = None  # set by `leading_choice`


def leading_choice(name: str, column: ColumnElement, choices: tuple[str, ...]) -> FilterDef:
    """An equality filter on a column that leads an index ending in the list's key, such as
    (status, id). PostgreSQL estimates "newest first, status = 'active'" as if active SIMs were
    spread evenly over the ids and walks the id index backwards, skipping every other status;
    after a million new in-stock SIMs that is a million rows for one page. So the filter is
    written as the range v..v and the list ordered by (column, key): that order only the
    (column, key) index gives, and it reads the page straight from there."""
    return FilterDef(
        name, lambda stmt, v: stmt.where(column.between(v, v)), "choice", choices, column
    )


@dataclass(frozen=True)
class ExportColumn:
    """One CSV column: the row key, the header's i18n key, and how the value is written.

    kind: "text", "money" (kopecks -> 1234,50), "time" (Moscow dd.mm.yyyy hh:mm), "word"
    (an i18n key `prefix + value`, e.g. a status in words).
    """

    key: str
    header_key: str
    kind: str = "text"
    prefix: str = ""


@dataclass(frozen=True)
class ListSpec:
    name: str
    permission: str
    columns: Callable[[Actor], Select]  # the SELECT of labelled columns (may scope by actor)
    sorts: Mapping[str, ColumnElement]
    default_sort: str
    key: ColumnElement  # unique tie-breaker, usually the primary key
    filters: tuple[FilterDef, ...] = ()
    search: Callable[[Select, str], Select] | None = None
    authorize: Callable[[Actor | None], Actor] | None = None
    count_cap: int = COUNT_CAP
    export: tuple[ExportColumn, ...] = ()

    def check(self, actor: Actor | None) -> Actor:
        return self.authorize(actor) if self.authorize else require(actor, self.permission)

    def filter_named(self, name: str) -> FilterDef | None:
        return next((f for f in self.filters if f.name == name), None)


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    page: int
    page_size: int
    has_next: bool
    total: int | None = None  # None: not counted on this call
    capped: bool = False  # True: there are more than `total` rows
    estimated: bool = False  # True: `total` is the database's estimate, not a count


# -- values from the browser ---------------------------------------------------------------
def parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError("list.error.date", field=name) from None


def parse_int(value: str, name: str) -> int:
    text = value.strip()
    if not re.fullmatch(r"\d{1,12}", text):
        raise ValidationError("list.error.number", field=name)
    return int(text)


def parse_amount_kop(value: str, name: str) -> int:
    """'1 500,50' -> 150050. Roubles as people type them."""
    text = value.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not re.fullmatch(r"\d{1,9}(\.\d{1,2})?", text):
        raise ValidationError("list.error.amount", field=name)
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def _checked(spec: ListSpec, name: str, raw: object) -> Any:
    f = spec.filter_named(name)
    if f is None or not isinstance(raw, str):
        raise ValidationError("list.error.filter", field=str(name)[:40])
    value = raw.strip()[:200]
    if f.kind == "choice":
        if value not in f.choices:
            raise ValidationError("list.error.filter", field=name)
        return value
    if f.kind == "date":
        return parse_date(value, name)
    if f.kind == "int":
        return parse_int(value, name)
    if f.kind == "amount":
        return parse_amount_kop(value, name)
    return value


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class casefold(GenericFunction):  # noqa: N801 - a SQL function's name
    """The column itself on PostgreSQL (ILIKE folds any alphabet and keeps the trigram index
    usable); Python's str.casefold on SQLite, whose lower() and LIKE fold ASCII only."""

    type = String()
    inherit_cache = True


@compiles(casefold)
def _casefold_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(casefold, "sqlite")
def _casefold_sqlite(element, compiler, **kw):
    return f"py_casefold({compiler.process(element.clauses, **kw)})"


def contains(column: ColumnElement, text: str) -> ColumnElement:
    """column LIKE '%text%' in any letter case (Cyrillic too), the user's % and _ literal."""
    return casefold(column).ilike(f"%{escape_like(text.casefold())}%", escape="\\")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def phone_part(text: str) -> str:
    """The digits of a typed phone number without the country prefix: +7 903… / 8 903… -> 903…"""
    d = digits(text)
    if len(d) == 11 and d[0] in "78":
        return d[1:]
    return d


def moscow_period(column: ColumnElement, day_from: date | None, day_to: date | None):
    """A WHERE clause for a timestamp column between two Moscow calendar days, inclusive."""
    start, _ = moscow_day_range(day_from) if day_from else (None, None)
    _, end = moscow_day_range(day_to) if day_to else (None, None)
    clauses = []
    if start is not None:
        clauses.append(column >= start)
    if end is not None:
        clauses.append(column < end)
    return clauses


# -- filters every section uses -----------------------------------------------------------
NONE = "none"  # a filter value meaning "not assigned"


def id_filter(
    column: ColumnElement, *, allow_none: bool = False
) -> Callable[[Select, Any], Select]:
    """A filter on a foreign key typed as text: an id, or "none" (no value) when allowed."""

    def apply(stmt: Select, value: str | int) -> Select:
        value = str(value)  # an "int" filter arrives parsed, a "text" one as typed
        if allow_none and value == NONE:
            return stmt.where(column.is_(None))
        if not value.isdigit() or len(value) > 12:
            raise ValidationError("list.error.filter", field=column.key)
        return stmt.where(column == int(value))

    return apply


def date_range(column: ColumnElement, first: str, last: str) -> tuple[FilterDef, FilterDef]:
    """Two date filters (Moscow days, both inclusive) on a timestamp column."""
    return (
        FilterDef(first, lambda stmt, day: stmt.where(*moscow_period(column, day, None)), "date"),
        FilterDef(last, lambda stmt, day: stmt.where(*moscow_period(column, None, day)), "date"),
    )


# -- the machinery --------------------------------------------------------------------------
def filtered(spec: ListSpec, actor: Actor, query: ListQuery) -> Select:
    stmt = spec.columns(actor)
    for name, raw in (query.filters or {}).items():
        if not _is_set(raw):
            continue
        value = _checked(spec, name, raw)  # refuses an unknown filter name
        stmt = spec.filter_named(name).apply(stmt, value)
    text = query.search.strip()[:100] if isinstance(query.search, str) else ""
    if text and spec.search is not None:
        stmt = spec.search(stmt, text)
    return stmt


def _ordered(spec: ListSpec, stmt: Select, query: ListQuery, *, by_index: bool = True) -> Select:
    """The list's order. by_index=False sorts the same values through an expression no index
    matches (`coalesce(c, c)` is `c`), so the planner cannot choose to walk the sort index."""
    column = spec.sorts.get(query.sort) if isinstance(query.sort, str) else None
    if column is None:
        column = spec.sorts[spec.default_sort]
    keys = [column] if column is spec.key else [column, spec.key]
    if not by_index:
        keys = [func.coalesce(k, k) for k in keys]
    elif column is spec.key:  # a leading filter's column is one value here: same order
        keys = [*_leading_columns(spec, query), *keys]
    return stmt.order_by(*(k.desc() if query.descending else k.asc() for k in keys))


def _leading_columns(spec: ListSpec, query: ListQuery) -> list[ColumnElement]:
    applied = [spec.filter_named(n) for n, v in (query.filters or {}).items() if _is_set(v)]
    return [f.leads for f in applied if f is not None and f.leads is not None]


def _is_set(value: Any) -> bool:
    return value is not None and bool(str(value).strip())


def narrowing(query: ListQuery) -> tuple:
    """What a count depends on: the filters and the search (not the sort or the page)."""
    filters = tuple(
        sorted((k, str(v).strip()) for k, v in (query.filters or {}).items() if _is_set(v))
    )
    search = query.search.strip()[:100] if isinstance(query.search, str) else ""
    return filters, search


def _narrowed(spec: ListSpec, query: ListQuery) -> bool:
    """A search or a filter value is set: what `filtered` applies."""
    filters, search = narrowing(query)
    return bool(filters) or (spec.search is not None and bool(search))


def _page_bounds(query: ListQuery) -> tuple[int, int]:
    size = query.page_size if isinstance(query.page_size, int) else DEFAULT_PAGE_SIZE
    size = max(1, min(MAX_PAGE_SIZE, size))
    page = query.page if isinstance(query.page, int) and query.page >= 1 else 1
    return page, size


@verb
def count_capped(session: Session, stmt: Select, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows match, counting at most cap + 1 of them (never a full-table count)."""
    # only a constant is selected, so PostgreSQL may answer from an index alone and drop the
    # LEFT JOINs that only fetched display columns
    inner = (
        stmt.with_only_columns(literal_column("1"), maintain_column_froms=True)
        .order_by(None)
        .limit(cap + 1)
        .subquery()
    )
    n = session.execute(select(func.count()).select_from(inner)).scalar_one()
    return min(n, cap), n > cap


@verb
def estimate_rows(session: Session, stmt: Select) -> int | None:
    """PostgreSQL's planner estimate of the rows a SELECT returns (no rows are read)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    compiled = stmt.order_by(None).compile(session.get_bind())
    # the driver's own placeholders and parameters: nothing of the user's text enters the SQL
    plan = (
        session.connection()
        .exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params)
        .scalar()
    )
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


@verb
def fetch_page(
    session: Session,
    actor: Actor | None,
    spec: ListSpec,
    query: ListQuery,
    *,
    count: bool = True,
    matches: int | None = None,
) -> Page:
    """One page; with `count`, the capped count too. `matches`: what an earlier count found for
    the same filters and search (more than the cap: many), so a page turn need not count again
    to choose its plan; a stale figure only changes the plan, never the rows."""
    actor = spec.check(actor)
    page, size = _page_bounds(query)
    stmt = filtered(spec, actor, query)
    # A search or filter: count first (at most cap + 1 rows, read through the filter's own
    # index). Given "ORDER BY id DESC LIMIT 26" and a filter it expects to match 600 of 2M rows,
    # PostgreSQL walks the id index backwards hoping to meet 26 of them early; when the matches
    # sit in old rows it reads a million rows first (a number search after a 1M-SIM import).
    # When the count says the matches are few, sort just them.
    probe, few = None, False
    if _narrowed(spec, query):
        if count or matches is None:
            probe = count_capped(session, stmt, spec.count_cap)
            few = not probe[1]
        else:
            few = matches <= spec.count_cap
    rows = (
        session.execute(
            _ordered(spec, stmt, query, by_index=not few).offset((page - 1) * size).limit(size + 1)
        )
        .mappings()
        .all()
    )
    total, capped, estimated = None, False, False
    if count:
        if probe is not None:
            total, capped = probe
        elif page == 1 and len(rows) <= size:
            total = len(rows)  # the first page holds them all: no second query
        else:
            total, capped = count_capped(session, stmt, spec.count_cap)
        guess = estimate_rows(session, stmt) if capped else None
        if guess is not None and guess > total:
            total, capped, estimated = guess, False, True
    return Page(
        rows=[dict(r) for r in rows[:size]],
        page=page,
        page_size=size,
        has_next=len(rows) > size,
        total=total,
        capped=capped,
        estimated=estimated,
    )


def export_rows(
    session: Session, actor: Actor | None, spec: ListSpec, query: ListQuery
) -> Iterator[dict[str, Any]]:
    """Every matching row in the list's order, fetched in chunks (a server-side cursor on
    PostgreSQL), so an export of a million rows never holds them all."""
    actor = spec.check(actor)
    stmt = _ordered(spec, filtered(spec, actor, query), query)
    result = session.execute(stmt.execution_options(yield_per=EXPORT_CHUNK))
    for row in result.mappings():
        yield dict(row)


def plain(value: Any) -> Any:
    """A row value the UI state can hold (datetimes as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
