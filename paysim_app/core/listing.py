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

Where a page reads: `fetch_page` and an export's rows run in a read-only unit of work, on the
PostgreSQL replica when DATABASE_REPLICA_URL is set, unless the list shows money (a balance, an
amount, a price, a commission: a money column or a money search field), which reads the primary
like every write (`ListSpec.reads_replica`, `replica_for`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, and_, func, literal_column, or_, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import GenericFunction
from sqlmodel import Session

from paysim_app.core.errors import ValidationError
from paysim_app.core.lookups import looked_up_once
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_day_range

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
COUNT_CAP = 1_000
EXPORT_CHUNK = 2_000


@dataclass(frozen=True)
class Condition:
    """One row of the advanced search: a declared field, an operator that fits its kind, and
    the value as typed (a range "a..b", several choices "a,b"). Untrusted until checked."""

    field: str
    op: str
    value: str = ""


@dataclass(frozen=True)
class ListQuery:
    """What the browser asked for. Every value is untrusted text until the spec checks it."""

    filters: Mapping[str, str] = field(default_factory=dict)
    search: str = ""
    sort: str = ""
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    conditions: tuple[Condition, ...] = ()  # the advanced search's rows, combined with AND


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
    fields: tuple[SearchField, ...] = ()  # what the advanced search offers (see SearchField)
    # the list's keys in a page's address start with this when two lists share a page (the
    # tabs of /admin/activations and /admin/blocks), so one tab's filters never reach the other
    address_prefix: str = ""
    # checks across the filters' checked values (a "from" after its "to"), by name
    validate: Callable[[Mapping[str, Any]], None] | None = None
    # PostgreSQL: no merge joins in the list's counts and pages (`planned`), for a list whose
    # rows join a 1:1 table of their own (the SIMs' balances)
    no_merge_join: bool = False

    @property
    def shows_money(self) -> bool:
        """A balance, an amount or a price among its columns or its search fields."""
        return any(c.kind == "money" for c in self.export) or any(
            f.kind == "money" for f in self.fields
        )

    @property
    def reads_replica(self) -> bool:
        """Its pages may read the replica: every list but those that show money (a replica
        may lag the primary by a moment; a balance or a payment must never look stale)."""
        return not self.shows_money

    def field_named(self, name: str) -> SearchField | None:
        return next((f for f in self.fields if f.name == name), None)

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
    values: dict[str, Any] = {}
    for name, raw in (query.filters or {}).items():
        if not _is_set(raw):
            continue
        value = values[name] = _checked(spec, name, raw)  # refuses an unknown filter name
        stmt = spec.filter_named(name).apply(stmt, value)
    if spec.validate is not None:
        spec.validate(values)
    text = query.search.strip()[:100] if isinstance(query.search, str) else ""
    if text and spec.search is not None:
        stmt = spec.search(stmt, text)
    return stmt.where(*condition_clauses(spec, query.conditions))


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
    conditions = tuple(query.conditions) if isinstance(query.conditions, tuple | list) else ()
    return filters, search, conditions


def _narrowed(spec: ListSpec, query: ListQuery) -> bool:
    """A search, a filter value or an advanced condition is set: what `filtered` applies."""
    filters, search, conditions = narrowing(query)
    return bool(filters) or bool(conditions) or (spec.search is not None and bool(search))


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


def _matching_keys(session: Session, stmt: Select, spec: ListSpec) -> list:
    """The keys of at most cap + 1 matching rows (a row per match, as the capped count)."""
    probe = (
        stmt.with_only_columns(spec.key, maintain_column_froms=True)
        .order_by(None)
        .limit(spec.count_cap + 1)
    )
    return list(session.execute(probe).scalars())


@verb
def estimate_rows(session: Session, stmt: Select) -> int | None:
    """PostgreSQL's planner estimate of the rows a SELECT returns (no rows are read)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    # an IN list's parameters are expanded when the statement runs; EXPLAIN needs them now
    compiled = stmt.order_by(None).compile(
        session.get_bind(), compile_kwargs={"render_postcompile": True}
    )
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


def replica_for(arguments: Mapping[str, Any]) -> bool:
    """@verb(read_only=replica_for): a verb given `spec` (and perhaps `fresh`) reads the replica
    when that list may (`ListSpec.reads_replica`) and it is not the page after a write."""
    spec = arguments.get("spec")
    return isinstance(spec, ListSpec) and spec.reads_replica and not arguments.get("fresh")


@contextmanager
def planned(session: Session, spec: ListSpec) -> Iterator[None]:
    """The list's planner settings, around its statements. With `no_merge_join`: a
    capped count ("at most 1,001 matches") of SIMs joined to their balances, with a condition on
    each side, was planned as a merge join of the two primary keys from the oldest SIM (the
    planner expects the matches spread evenly and hopes to meet 1,001 early); they sat among the
    newest, and it read 750,000 rows of each first: 225 ms against 12 ms for a nested loop
    through the SIM's own index (bench/README.md, "The balance in a table of its own")."""
    tuned = spec.no_merge_join and session.get_bind().dialect.name == "postgresql"
    if tuned:
        session.execute(text("SET LOCAL enable_mergejoin = off"))
    yield
    if tuned:  # (after an error the transaction is rolled back, and the setting with it)
        session.execute(text("RESET enable_mergejoin"))


@verb(read_only=replica_for)
def fetch_page(
    session: Session,
    actor: Actor | None,
    spec: ListSpec,
    query: ListQuery,
    *,
    count: bool = True,
    matches: int | None = None,
    fresh: bool = False,
) -> Page:
    """One page; with `count`, the capped count too. `matches`: what an earlier count found for
    the same filters and search (more than the cap: many), so a page turn need not count again
    to choose its plan; a stale figure only changes the plan, never the rows. `fresh`: read the
    primary even if the list may read the replica (the page right after its own write)."""
    actor = spec.check(actor)
    with planned(session, spec), looked_up_once(session):
        return _fetch_page(session, actor, spec, query, count=count, matches=matches)


def _fetch_page(
    session: Session, actor: Actor, spec: ListSpec, query: ListQuery, *, count, matches
) -> Page:
    page, size = _page_bounds(query)
    stmt = filtered(spec, actor, query)
    # A search or filter: count first (at most cap + 1 rows, read through the filter's own
    # index). Given "ORDER BY id DESC LIMIT 26" and a filter it expects to match 600 of 2M rows,
    # PostgreSQL walks the id index backwards hoping to meet 26 of them early; when the matches
    # sit in old rows it reads a million rows first (a number search after a 1M-SIM import).
    # When the count says the matches are few, sort just them: the count reads their keys, and
    # the page asks for those keys (with the same conditions), so a costly match (a part of a
    # number through the trigram index: 50-60 ms at 10M SIMs) is looked up once, not twice.
    probe, few, keys = None, False, None
    if _narrowed(spec, query):
        if count or matches is None:
            keys = _matching_keys(session, stmt, spec)
            probe = (min(len(keys), spec.count_cap), len(keys) > spec.count_cap)
            few = not probe[1]
        else:
            few = matches <= spec.count_cap
    page_stmt = stmt.where(spec.key.in_(sorted(set(keys)))) if few and keys else stmt
    rows = (
        []
        if keys == []  # counted: nothing matches
        else session.execute(
            _ordered(spec, page_stmt, query, by_index=not few)
            .offset((page - 1) * size)
            .limit(size + 1)
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


# -- the advanced search ----------------------------------------------------------------------
# A list declares the columns a person may search as `SearchField`s on its ListSpec; from a
# field's kind come the operators it allows, how a value is checked and the WHERE it adds. The
# page's form (ui/components/advanced_search.py) is drawn from the same declarations, so no
# section has a form of its own. Conditions combine with AND, after the filters and the search.
# Everything a condition holds came from the browser: an unknown field or operator, a value of
# the wrong shape, or too many rows refuse the query with a ValidationError naming the field.

MAX_CONDITIONS = 8
MAX_CHOICES = 20  # values of one "one of" condition

# operators by kind, in the order the form offers them
OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("contains", "starts", "eq", "empty", "filled"),
    "number": ("eq", "gte", "lte", "between", "empty", "filled"),
    "money": ("eq", "gte", "lte", "between", "empty", "filled"),
    "date": ("on", "from", "to", "between", "empty", "filled"),
    "choice": ("in", "not_in", "empty", "filled"),
    "ref": ("eq", "empty", "filled"),
    "bool": ("yes", "no"),
}
NO_VALUE = ("empty", "filled", "yes", "no")  # operators that take no value
REF_KINDS = ("subscriber", "partner", "tariff", "admin")  # the pickers a ref field may use


@dataclass(frozen=True)
class SearchField:
    """One column of a list the advanced search can narrow.

    name: the field's key in conditions and URLs (letters, digits, _);
    column: what the WHERE compares (a table column or an expression of the list's SELECT);
    kind: text | number | money (kopecks; typed in roubles) | date (a timestamp or a date
    column, compared by Moscow days) | choice (one of `choices`, shown as `label_prefix +
    value`) | ref (an id of `ref` -- subscriber, partner, tariff, admin -- chosen with a picker)
    | bool; label_key: the i18n key the form shows."""

    name: str
    column: ColumnElement
    kind: str
    label_key: str
    choices: tuple[str, ...] = ()
    label_prefix: str = ""
    ref: str = ""

    def __post_init__(self) -> None:
        if self.kind not in OPERATORS:
            raise ValueError(f"unknown field kind {self.kind!r}")
        if self.kind == "ref" and self.ref not in REF_KINDS:
            raise ValueError(f"a ref field needs one of {REF_KINDS}")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", self.name):
            raise ValueError(f"bad field name {self.name!r}")

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.kind]


def _bad(name: str) -> ValidationError:
    return ValidationError("list.error.condition", field=name)


def _bounds(value: str, one: Callable[[str, str], Any], name: str) -> tuple[Any, Any]:
    """'a..b' -> (a, b); either side may be empty, not both."""
    low, sep, high = value.partition("..")
    if not sep or not (low.strip() or high.strip()):
        raise ValidationError("list.error.range", field=name)
    first = one(low, name) if low.strip() else None
    last = one(high, name) if high.strip() else None
    if first is not None and last is not None and first > last:
        raise ValidationError("list.error.range", field=name)
    return first, last


def _parse_signed_int(value: str, name: str) -> int:
    text = value.strip().replace(" ", "")
    if not re.fullmatch(r"-?\d{1,12}", text):
        raise ValidationError("list.error.number", field=name)
    return int(text)


def _parse_money(value: str, name: str) -> int:
    text = value.strip()
    negative = text.startswith("-")
    kop = parse_amount_kop(text[1:] if negative else text, name)
    return -kop if negative else kop


_ONE = {"number": _parse_signed_int, "money": _parse_money, "date": parse_date}


def check_condition(spec: ListSpec, cond: object) -> tuple[SearchField, str, Any]:
    """(field, operator, the parsed value) of one condition, or a ValidationError."""
    if not isinstance(cond, Condition):
        raise _bad("?")
    f = spec.field_named(cond.field) if isinstance(cond.field, str) else None
    if f is None:
        raise ValidationError("list.error.filter", field=str(cond.field)[:40])
    if not isinstance(cond.op, str) or cond.op not in f.operators:
        raise _bad(f.name)
    if cond.op in NO_VALUE:
        return f, cond.op, None
    value = cond.value.strip()[:200] if isinstance(cond.value, str) else ""
    if not value:
        raise ValidationError("list.error.value", field=f.name)
    if f.kind == "text":
        return f, cond.op, value[:100]
    if f.kind == "choice":
        picked = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
        if not picked or len(picked) > MAX_CHOICES or any(v not in f.choices for v in picked):
            raise _bad(f.name)
        return f, cond.op, picked
    if f.kind == "ref":
        return f, cond.op, parse_int(value, f.name)
    one = _ONE[f.kind]
    if cond.op == "between":
        return f, cond.op, _bounds(value, one, f.name)
    return f, cond.op, one(value, f.name)


def _is_date_column(column: ColumnElement) -> bool:
    try:
        return column.type.python_type is date
    except (NotImplementedError, AttributeError):
        return False


def _date_clauses(column: ColumnElement, op: str, value: Any) -> list:
    first, last = {
        "on": (value, value),
        "from": (value, None),
        "to": (None, value),
        "between": value if op == "between" else (None, None),
    }[op]
    if _is_date_column(column):  # a calendar day column: compare days themselves
        out = []
        if first is not None:
            out.append(column >= first)
        if last is not None:
            out.append(column <= last)
        return out
    return moscow_period(column, first, last)


# (table, column) -> how a part of that column is found through an index that is not the
# column's own: a SIM's numbers share one trigram index (core.text_search registers it when
# imported, as every module with a SIM list does; without it the condition scans, still right)
PART_INDEXES: dict[tuple[str, str], Callable[[Any, str, ColumnElement], ColumnElement]] = {}


def _column_key(column: Any) -> tuple[str, str]:
    table = getattr(column, "table", None)
    return (getattr(table, "name", ""), getattr(column, "key", "") or "")


def condition_clause(f: SearchField, op: str, value: Any) -> ColumnElement:
    """The WHERE of one checked condition. Each is a plain comparison on the column (a range,
    an equality, IN, LIKE 'x%'), so an index on the column serves it."""
    col = f.column
    if op == "empty":
        return or_(col.is_(None), col == "") if f.kind == "text" else col.is_(None)
    if op == "filled":
        return and_(col.is_not(None), col != "") if f.kind == "text" else col.is_not(None)
    if op in ("yes", "no"):
        return col.is_(op == "yes")
    if f.kind == "text":
        if op in ("contains", "starts"):
            clause = (
                contains(col, value)
                if op == "contains"
                else casefold(col).ilike(f"{escape_like(value.casefold())}%", escape="\\")
            )
            indexed = PART_INDEXES.get(_column_key(col))
            return indexed(col, value, clause) if indexed else clause
        return col == value
    if f.kind == "choice":
        return col.in_(value) if op == "in" else or_(col.is_(None), col.not_in(value))
    if f.kind == "ref":
        return col == value
    if f.kind == "date":
        return and_(*_date_clauses(col, op, value))
    if op == "eq":
        return col == value
    if op == "gte":
        return col >= value
    if op == "lte":
        return col <= value
    low, high = value
    return and_(
        *([col >= low] if low is not None else []), *([col <= high] if high is not None else [])
    )


def condition_clauses(spec: ListSpec, conditions: object) -> list[ColumnElement]:
    """The WHERE clauses of a query's conditions, every one checked first."""
    if not conditions:
        return []
    if not isinstance(conditions, tuple | list) or len(conditions) > MAX_CONDITIONS:
        raise ValidationError("list.error.conditions", n=MAX_CONDITIONS)
    return [condition_clause(*check_condition(spec, c)) for c in conditions]


# -- the list in the address ----------------------------------------------------------------
# A list's state as a URL query with short keys a person can read and edit:
#   ?status=active&q=ivan&sort=balance&asc=1&page=2&balance.gte=100&msisdn.starts=903
# A filter under its own name (as links from other pages always had it), `q` the search, `sort`
# and `asc` the order, `page` past the first, and each condition as `<field>.<op>=<value>`
# (an operator without a value: "1"). `parse_params` reads it back with the same checks as a
# query from the page; what does not pass is left out and named in the returned problems.

SEARCH_KEY, SORT_KEY, ASC_KEY, PAGE_KEY = "q", "sort", "asc", "page"
MAX_PAGE = 100_000


def to_params(query: ListQuery, prefix: str = "") -> dict[str, str]:
    """The query as the address's keys, each after `prefix` (a ListSpec's address_prefix)."""
    if prefix:
        return {prefix + k: v for k, v in to_params(query).items()}
    params: dict[str, str] = {}
    for name, value in sorted((query.filters or {}).items()):
        if _is_set(value):
            params[name] = str(value).strip()
    if isinstance(query.search, str) and query.search.strip():
        params[SEARCH_KEY] = query.search.strip()[:100]
    if query.sort:
        params[SORT_KEY] = query.sort
    if not query.descending:
        params[ASC_KEY] = "1"
    if isinstance(query.page, int) and query.page > 1:
        params[PAGE_KEY] = str(query.page)
    for c in query.conditions or ():
        params[f"{c.field}.{c.op}"] = "1" if c.op in NO_VALUE else c.value.strip()
    return params


def to_query_string(query: ListQuery, prefix: str = "") -> str:
    from urllib.parse import urlencode

    return urlencode(to_params(query, prefix))


def parse_params(
    spec: ListSpec, params: Mapping[str, object], prefix: str | None = None
) -> tuple[ListQuery, list[str]]:
    """The list state in a URL's query, checked: (the query, the keys that were refused). A
    key that is neither a filter, a condition nor one of q/sort/asc/page is ignored (links may
    carry tracking or a route's own parameters); one that names a filter or a condition but
    does not pass its check is refused and reported. With a prefix (by default the spec's
    address_prefix) only the keys that start with it are the list's."""
    prefix = spec.address_prefix if prefix is None else prefix
    if prefix:
        own = {
            k[len(prefix) :]: v
            for k, v in params.items()
            if isinstance(k, str) and k.startswith(prefix)
        }
        query, refused = parse_params(spec, own, "")
        return query, [prefix + k for k in refused]
    filters: dict[str, str] = {}
    conditions: list[Condition] = []
    refused: list[str] = []
    for key, raw in params.items():
        if not isinstance(key, str) or not isinstance(raw, str):
            continue
        value = raw.strip()[:200]
        if spec.filter_named(key) is not None:
            try:
                if value:
                    _checked(spec, key, value)
                    filters[key] = value
            except ValidationError:
                refused.append(key)
        elif "." in key:
            name, _, op = key.partition(".")
            cond = Condition(name, op, "" if op in NO_VALUE else value)
            try:
                check_condition(spec, cond)
            except ValidationError:
                refused.append(key[:40])
                continue
            if len(conditions) >= MAX_CONDITIONS:
                refused.append(key[:40])
            else:
                conditions.append(cond)
    sort = params.get(SORT_KEY, "")
    if sort and not (isinstance(sort, str) and sort in spec.sorts):
        refused.append(SORT_KEY)
        sort = ""
    page_raw = params.get(PAGE_KEY, "")
    page = 1
    if isinstance(page_raw, str) and page_raw:
        if page_raw.isdigit() and 1 <= int(page_raw) <= MAX_PAGE:
            page = int(page_raw)
        else:
            refused.append(PAGE_KEY)
    search = params.get(SEARCH_KEY, "")
    query = ListQuery(
        filters=filters,
        search=search.strip()[:100] if isinstance(search, str) else "",
        sort=sort if isinstance(sort, str) else "",
        descending=params.get(ASC_KEY) != "1",
        page=page,
        conditions=tuple(conditions),
    )
    return query, refused
