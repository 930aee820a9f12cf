"""Set-based statements for the hot paths of the billing cycle, on both databases.

On PostgreSQL a list of ids travels as one array parameter (`= ANY(:ids)`) and many row updates
as one `UPDATE ... FROM unnest(arrays)`: one round trip and one cacheable statement, where an
IN list of 500 placeholders or 500 single-row UPDATEs would cost a parse or a round trip each.
SQLite runs in-process, so the plain forms (IN, executemany) are already cheap there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import BigInteger, DateTime, Table, any_, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: Session, table: Table):
    """INSERT of this database's dialect: it has `on_conflict_do_nothing()` on both."""
    return (postgresql if is_postgres(session) else sqlite).insert(table)


def array_literal(values: Sequence) -> str | list:
    """PostgreSQL's text form of an array of these values (`{1,"a b",NULL}`), to be CAST to
    the array's type in the statement; the list itself when it holds a value of another type
    (the driver then dumps it). psycopg dumps a list element by element in Python: about 2.5
    ms for 500 strings against 0.4 for this join (bench/README.md, "The billing cycle's
    arrays")."""
    items = []
    for v in values:
        if v is None:
            items.append("NULL")
        elif v is True or v is False:
            items.append("t" if v else "f")
        elif type(v) is int:
            items.append(str(v))
        elif type(v) is str:
            items.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif type(v) is datetime:
            items.append('"' + v.isoformat(" ") + '"')
        elif type(v) is date:
            items.append(v.isoformat())
        else:
            return list(values)
    return "{" + ",".join(items) + "}"


def any_id(column, ids: Sequence[int]) -> ColumnElement:
    """PostgreSQL's `column = ANY(ids)`, the ids one array parameter. A list, not
    array_literal's text: a condition on a cast of text is planned without knowing the array
    (a payments' lookup became a scan, bench/README.md)."""
    return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))


def id_in(session: Session, column, ids: Sequence[int]) -> ColumnElement:
    """`column IN ids`, as one array parameter on PostgreSQL."""
    return any_id(column, ids) if is_postgres(session) else column.in_(list(ids))


def _unnest(session: Session, table: Table, names: list[str]) -> str:
    """`unnest(CAST(:a0 AS type[])), ...`: the columns `names` as arrays :a0, :a1... (one
    parameter a column, PostgreSQL), rows of a bulk statement that the driver caches."""
    dialect = session.get_bind().dialect
    return ", ".join(
        f"unnest(CAST(:a{i} AS {_array_type(table.c[n].type, dialect)}[]))"
        for i, n in enumerate(names)
    )


def _array_type(column_type, dialect) -> str:
    """The element type of a column's array. A time without a zone travels WITH one, as the
    driver sends an aware datetime: the database converts it at assignment, as it does for a
    single value (array_literal keeps the offset of each value)."""
    if isinstance(column_type, DateTime) and not column_type.timezone:
        return "TIMESTAMP WITH TIME ZONE"
    return column_type.compile(dialect=dialect)


def _arrays(rows: list[dict], names: list[str]) -> dict:
    """The parameters :a0, :a1... of `_unnest`: each column's values as one array."""
    return {f"a{i}": array_literal([r[n] for r in rows]) for i, n in enumerate(names)}


def update_by_id(session: Session, table: Table, rows: list[dict], key: str = "id") -> None:
    """Set columns per row: rows = [{key: id, column: value, ...}] (the same columns in each)."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    if not is_postgres(session):
        from sqlalchemy import update

        session.execute(
            update(table)
            .where(table.c[key] == bindparam("_k"))
            .values({c: bindparam(f"_v_{c}") for c in columns}),
            [{"_k": r[key], **{f"_v_{c}": r[c] for c in columns}} for r in rows],
        )
        return
    names = [key, *columns]
    arrays = _unnest(session, table, names)
    sql = (
        f"UPDATE {table.name} SET "
        + ", ".join(f"{c} = d.{c}" for c in columns)
        + f" FROM (SELECT {arrays}) AS d({', '.join(names)})"
        + f" WHERE {table.name}.{key} = d.{key}"
    )
    session.execute(text(sql), _arrays(rows, names))


def update_by_id_returning(
    session: Session, table: Table, rows: list[dict], *, only_if: dict, key: str = "id"
) -> list[int]:
    """Like update_by_id, but only rows whose columns still equal `only_if` (a compare-and-set)
    are changed; returns the ids that were."""
    if not rows:
        return []
    columns = [c for c in rows[0] if c != key]
    if not is_postgres(session):
        from sqlalchemy import update

        changed = []
        for r in rows:
            hit = session.execute(
                update(table)
                .where(table.c[key] == r[key], *[table.c[c] == v for c, v in only_if.items()])
                .values({c: r[c] for c in columns})
                .returning(table.c[key])
            ).scalar()
            if hit is not None:
                changed.append(hit)
        return changed
    names = [key, *columns]
    arrays = _unnest(session, table, names)
    guard = " AND ".join(f"{table.name}.{c} = :w_{c}" for c in only_if)
    sql = (
        f"UPDATE {table.name} SET "
        + ", ".join(f"{c} = d.{c}" for c in columns)
        + f" FROM (SELECT {arrays}) AS d({', '.join(names)})"
        + f" WHERE {table.name}.{key} = d.{key}"
        + (f" AND {guard}" if guard else "")
        + f" RETURNING {table.name}.{key}"
    )
    params = _arrays(rows, names)
    params.update({f"w_{c}": v for c, v in only_if.items()})
    return list(session.execute(text(sql), params).scalars())


def insert_new_rows(session: Session, table: Table, rows: list[dict], returning: list[str]) -> list:
    """Insert many rows (the same columns in each), skipping those a unique key already holds
    (ON CONFLICT DO NOTHING); returns the `returning` columns of the rows inserted. PostgreSQL:
    unnest(arrays) as in `insert_rows`: a multi-row VALUES of 500 rows was compiled again by
    SQLAlchemy for every batch (the billing cycle's autopay claims, bench/README.md)."""
    if not rows:
        return []
    if not is_postgres(session):
        stmt = dialect_insert(session, table).values(rows).on_conflict_do_nothing()
        return session.execute(stmt.returning(*[table.c[c] for c in returning])).all()
    sql, params = _insert_select(session, table, rows)
    sql += f" ON CONFLICT DO NOTHING RETURNING {', '.join(returning)}"
    return session.execute(text(sql), params).all()


def _insert_select(session: Session, table: Table, rows: list[dict]) -> tuple[str, dict]:
    """PostgreSQL's `INSERT INTO table (columns) SELECT unnest(...)` of `rows`, and its arrays."""
    names = list(rows[0])
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {_unnest(session, table, names)}"
    return sql, _arrays(rows, names)


def insert_rows(
    session: Session, table: Table, rows: list[dict], *, returning: str | None = "id"
) -> list[int]:
    """Insert many rows (the same columns in each) in one statement; returns the new ids in the
    order of `rows`. PostgreSQL: INSERT ... SELECT FROM unnest(arrays), a small statement the
    driver caches, instead of thousands of placeholders it would parse every time."""
    if not rows:
        return []
    if not is_postgres(session):
        from sqlalchemy import insert

        if returning is None:
            session.execute(insert(table), rows)
            return []
        result = session.execute(
            insert(table).returning(table.c[returning], sort_by_parameter_order=True), rows
        )
        return list(result.scalars())
    sql, params = _insert_select(session, table, rows)
    if returning is None:
        session.execute(text(sql), params)
        return []
    # one statement inserts in the order of the arrays and draws ids from the sequence in that
    # order, so the ascending ids are the rows' ids in their order
    return sorted(session.execute(text(sql + f" RETURNING {returning}"), params).scalars())
