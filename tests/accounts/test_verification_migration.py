"""Migration 0021: phones already in use (demo data, dealers' customers, registrations before
codes) count as proven from their account's creation; e-mail-only accounts stay unproven."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from paysim_app.db import make_engine
from tests.conftest import (
    BACKENDS,
    alembic_config,
    create_postgres_database,
    drop_postgres_database,
)

CREATED = datetime(2025, 11, 3, 12, 30, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"paysim_phone_migration_{os.getpid()}"
    try:
        yield create_postgres_database(name)
    finally:
        drop_postgres_database(name)


def _user(conn, email: str | None, phone: str | None) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO user_account (email, phone, password_hash, role, full_name, locale,"
            " is_active, password_changed_at, email_muted, created_at)"
            " VALUES (:email, :phone, 'x', 'subscriber', '', 'ru', true, :at, '', :at)"
            " RETURNING id"
        ),
        {"email": email, "phone": phone, "at": CREATED},
    ).scalar_one()


def test_existing_phones_count_as_proven_and_the_downgrade_drops_it(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0020")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            by_phone = _user(conn, None, "+79160000001")
            both = _user(conn, "both@example.ru", "+79160000002")
            by_mail = _user(conn, "mail@example.ru", None)
        command.upgrade(cfg, "0021")
        with engine.connect() as conn:
            got = dict(
                conn.execute(sa.text("SELECT id, phone_verified_at FROM user_account")).all()
            )
        proven = {uid for uid, at in got.items() if at is not None}
        assert proven == {by_phone, both} and got[by_mail] is None
        assert all(str(got[uid])[:16] == "2025-11-03 12:30" for uid in proven)
        command.downgrade(cfg, "0020")
        assert "phone_verified_at" not in {
            c["name"] for c in sa.inspect(engine).get_columns("user_account")
        }
        assert "phone_code" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
