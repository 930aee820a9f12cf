"""DATABASE_REPLICA_URL: list pages read a PostgreSQL replica, writes and money reads the primary.

The replica here is a copy of the primary database (CREATE DATABASE ... TEMPLATE) that a role of
its own may only SELECT from, as a hot standby would refuse writes: a row written to the primary
after the copy is on the primary alone, so which rows a list shows says where it read.
Without the setting everything reads the primary, and the list's unit of work is still a
read-only transaction there.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from paysim_app import db as app_db
from paysim_app.billing.payment_lists import PAYMENT_LIST
from paysim_app.billing.statement import STATEMENT_LIST
from paysim_app.core.listing import ListQuery, fetch_page, replica_for
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.db import make_engine, normalise_url, read_engine, session_scope
from paysim_app.models import AuditLog
from paysim_app.overview import list_export
from paysim_app.overview.staff_lists import ADMIN_LIST, AUDIT_LIST
from paysim_app.settings import get_settings
from paysim_app.sims.inventory import SIM_LIST
from tests.conftest import (
    Factory,
    alembic_config,
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not postgres_server_url(), reason="PAYSIM_TEST_POSTGRES_URL is not set"),
]


@dataclass
class Pair:
    primary: str  # URL of the primary database (DATABASE_URL)
    replica: str  # URL of its copy under the SELECT-only role (DATABASE_REPLICA_URL)
    admin: Actor  # a superadmin, on both
    before: str  # an admin's e-mail written before the copy: on both
    after: str  # one written after it: on the primary only
    sim_after: str  # a SIM's ICCID written after the copy: on the primary only


def _autocommit(url: str, *statements: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _clear() -> None:
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    for engine in app_db._REPLICAS.values():
        engine.dispose()
    app_db._REPLICAS.clear()


@pytest.fixture(scope="module")
def databases() -> Iterator[Pair]:
    """The primary and its copy, made once for the module (a database each takes seconds)."""
    tag = os.getpid()
    primary_name, replica_name, role = (
        f"paysim_primary_{tag}",
        f"paysim_replica_{tag}",
        f"paysim_replica_{tag}",
    )
    server = postgres_server_url()
    primary = create_postgres_database(primary_name)
    try:
        yield _make(server, primary, primary_name, replica_name, role)
    finally:  # dropped even when the set-up failed half-way
        _clear()
        _autocommit(server, f'DROP DATABASE IF EXISTS "{replica_name}" WITH (FORCE)')
        drop_postgres_database(primary_name)
        _autocommit(server, f'DROP ROLE IF EXISTS "{role}"')


def _make(server: str, primary: str, primary_name: str, replica_name: str, role: str) -> Pair:
    command.upgrade(alembic_config(primary), "head")
    engine = make_engine(primary)
    with Session(engine, expire_on_commit=False) as session:
        factory = Factory(session)
        admin = factory.superadmin()
        before = factory.admin_user().email
    engine.dispose()  # a template database must have no connections

    _autocommit(
        server,
        f'DROP DATABASE IF EXISTS "{replica_name}" WITH (FORCE)',
        f'CREATE DATABASE "{replica_name}" TEMPLATE "{primary_name}"',
        f'DROP ROLE IF EXISTS "{role}"',
        f'CREATE ROLE "{role}" LOGIN',
        f'GRANT CONNECT ON DATABASE "{replica_name}" TO "{role}"',
    )
    replica_admin = make_url(normalise_url(server)).set(database=replica_name)
    _autocommit(
        replica_admin.render_as_string(hide_password=False),
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"',
    )
    replica = replica_admin.set(username=role, password=None).render_as_string(hide_password=False)

    engine = make_engine(primary)
    with Session(engine, expire_on_commit=False) as session:
        factory = Factory(session)
        after = factory.admin_user().email
        sim_after = factory.sim(factory.subscriber(), balance_kop=12_300).iccid
    engine.dispose()
    return Pair(primary, replica, admin, before, after, sim_after)


@pytest.fixture
def pair(databases: Pair, monkeypatch) -> Iterator[Pair]:
    """The app aimed at them: DATABASE_URL the primary, DATABASE_REPLICA_URL the copy."""
    monkeypatch.setenv("DATABASE_URL", databases.primary)
    monkeypatch.setenv("DATABASE_REPLICA_URL", databases.replica)
    _clear()
    yield databases
    monkeypatch.undo()
    _clear()  # nothing of this test's engines or settings outlives it


def _emails(actor: Actor, **kwargs) -> set[str]:
    page = fetch_page(actor, ADMIN_LIST, ListQuery(page_size=100), **kwargs)
    return {row["email"] for row in page.rows}


def test_a_list_without_money_reads_the_replica(pair):
    assert ADMIN_LIST.reads_replica and AUDIT_LIST.reads_replica
    emails = _emails(pair.admin)
    assert pair.before in emails
    assert pair.after not in emails  # written to the primary after the copy: read elsewhere
    # the page right after its own write reads the primary
    assert pair.after in _emails(pair.admin, fresh=True)


def test_an_export_reads_where_its_list_does(pair):
    """The workbook's rows: the admins' from the replica, the SIMs' (money) from the primary."""
    admins = _workbook_text(list_export.xlsx_file(pair.admin, ADMIN_LIST, ListQuery(), "en"))
    assert pair.before in admins and pair.after not in admins
    sims = _workbook_text(list_export.xlsx_file(pair.admin, SIM_LIST, ListQuery(), "en"))
    assert pair.sim_after in sims


def _workbook_text(book) -> str:
    with zipfile.ZipFile(book) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def test_lists_that_show_money_read_the_primary(pair):
    for spec in (SIM_LIST, PAYMENT_LIST, STATEMENT_LIST):
        assert spec.shows_money and not spec.reads_replica, spec.name
    page = fetch_page(pair.admin, SIM_LIST, ListQuery(search=pair.sim_after))
    assert [row["iccid"] for row in page.rows] == [pair.sim_after]


def test_the_replica_refuses_every_write(pair):
    with session_scope(read_only=True) as session:
        who, read_only = session.execute(
            text("SELECT current_user, current_setting('transaction_read_only')")
        ).one()
    assert who == make_url(pair.replica).username and read_only == "on"
    assert read_engine() is not app_db.get_engine()
    with pytest.raises(DBAPIError, match="read-only transaction"):
        with session_scope(read_only=True) as session:
            session.add(AuditLog(actor_user_id=None, action="through.replica", entity="test"))
    # were its transactions not read-only, the replica's role could not write either
    replica = make_engine(pair.replica)  # without read_only
    try:
        with pytest.raises(DBAPIError, match="permission denied"):
            with replica.begin() as conn:
                conn.execute(text("DELETE FROM audit_log"))
    finally:
        replica.dispose()


@verb
def _write(session: Session, action: str) -> None:
    session.add(AuditLog(actor_user_id=None, action=action, entity="test", entity_id=""))


@verb(read_only=True)
def _read_actions(session: Session) -> list[str]:
    return list(session.execute(text("SELECT action FROM audit_log")).scalars())


def test_a_verb_writes_to_the_primary_while_a_replica_is_set(pair):
    _write("on.primary")
    engine = make_engine(pair.primary)
    try:
        with engine.connect() as conn:
            actions = conn.execute(text("SELECT action FROM audit_log")).scalars().all()
    finally:
        engine.dispose()
    assert "on.primary" in actions
    assert "on.primary" not in _read_actions()  # the read-only verb reads the copy


def test_without_a_replica_lists_read_the_primary_in_a_read_only_transaction(pair, monkeypatch):
    monkeypatch.setenv("DATABASE_REPLICA_URL", "")
    _clear()
    assert read_engine() is app_db.get_engine()
    assert pair.after in _emails(pair.admin)
    _write("on.primary")
    assert "on.primary" in _read_actions()
    with pytest.raises(DBAPIError, match="read-only transaction"):
        with session_scope(read_only=True) as session:
            session.add(AuditLog(actor_user_id=None, action="read.only", entity="test"))


def test_a_read_only_verb_composed_into_a_session_reads_where_its_caller_does(pair):
    engine = make_engine(pair.primary)
    try:
        with Session(engine) as session:
            _write(session, "composed")
            session.flush()
            assert "composed" in _read_actions(session)
            session.rollback()
    finally:
        engine.dispose()


def test_a_list_argument_that_is_no_list_reads_the_primary():
    """The predicate is given whatever the caller passed; only a ListSpec may pick the replica."""
    assert replica_for({"spec": ADMIN_LIST}) is True
    assert replica_for({"spec": ADMIN_LIST, "fresh": True}) is False
    assert replica_for({"spec": SIM_LIST}) is False
    assert replica_for({"spec": "admins"}) is False
    assert replica_for({}) is False
