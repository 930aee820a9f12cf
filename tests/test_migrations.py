"""The alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import paysim_app.models  # noqa: F401  (registers every table)
from paysim_app.db import make_engine
from paysim_app.models.base import include_object
from tests.conftest import (
    BACKENDS,
    alembic_config,
    create_postgres_database,
    drop_postgres_database,
)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path):
    """An empty database (no tables at all) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"paysim_migrations_{os.getpid()}"
    url = create_postgres_database(name)
    try:
        yield url
    finally:
        drop_postgres_database(name)


def schema_diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": include_object,
                    "render_as_batch": conn.dialect.name == "sqlite",
                },
            )
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_there_is_one_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_upgrade_head_builds_exactly_the_models(empty_db_url):
    assert table_names(empty_db_url) == set()

    command.upgrade(alembic_config(empty_db_url), "head")

    assert current_revision(empty_db_url) == head()
    model_tables = set(SQLModel.metadata.tables)
    assert table_names(empty_db_url) == model_tables | {"alembic_version"}
    assert schema_diff(empty_db_url) == []


def test_downgrade_to_base_and_upgrade_again(empty_db_url):
    cfg = alembic_config(empty_db_url)
    command.upgrade(cfg, "head")

    command.downgrade(cfg, "base")
    assert table_names(empty_db_url) <= {"alembic_version"}
    assert current_revision(empty_db_url) is None

    command.upgrade(cfg, "head")
    assert current_revision(empty_db_url) == head()
    assert schema_diff(empty_db_url) == []


def test_upgrade_head_twice_changes_nothing(empty_db_url):
    cfg = alembic_config(empty_db_url)
    command.upgrade(cfg, "head")
    command.upgrade(cfg, "head")
    assert current_revision(empty_db_url) == head()
    assert schema_diff(empty_db_url) == []


def test_upgrade_through_a_connection_handed_in(tmp_path):
    """alembic/env.py also accepts an open connection (cfg.attributes['connection'])."""
    url = f"sqlite:///{tmp_path / 'conn.db'}"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            command.upgrade(alembic_config(connection=conn), "head")
    finally:
        engine.dispose()
    assert current_revision(url) == head()
    assert schema_diff(url) == []
