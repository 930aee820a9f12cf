"""Shared column helpers. Times are timezone-aware UTC (sqlmodel's UTCDateTime); the UI shows
Europe/Moscow."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    """CHECK column IN (...): keeps status-like columns to the allowed words."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


# Deterministic constraint names, so a migration says the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def trigram_index(name: str, table_column: str) -> Index:
    """A PostgreSQL-only GIN trigram index, so `LIKE '%part%'` searches stay fast on a million
    rows. SQLite has no such index and scans (fine for the demo's few thousand rows).

    Named `*_trgm`: alembic's comparison skips them (see include_object), the migration creates
    them on PostgreSQL only.
    """
    return Index(
        name, table_column, postgresql_using="gin", postgresql_ops={table_column: "gin_trgm_ops"}
    ).ddl_if(dialect="postgresql")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic autogenerate/compare filter: PostgreSQL-only trigram (`*_trgm`) and full-text
    (`*_fts`, GIN on an expression) indexes are managed by hand in the migrations."""
    return not (type_ == "index" and name and name.endswith(("_trgm", "_fts")))
