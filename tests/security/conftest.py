"""A real backend (`reflex run --env prod --backend-only`) on a demo database of its own, once
per database kind (SQLite always, PostgreSQL when PAYSIM_TEST_POSTGRES_URL is set), driven over
its websocket by the load benchmark's client (bench/load_client.py: Reflex's own protocol).

The demo data is seeded, then the actors the access matrix needs are made beside it: a dealer
user whose dealer is then deactivated and an admin whose role loses its rights after signing in.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from paysim_app.db import make_engine
from paysim_app.models import AdminRole, Partner, User
from paysim_app.services import accounts
from paysim_app.services.passwords import hash_password
from paysim_app.services.permissions import ROLE_SUPERADMIN, ROLE_SUPPORT
from tests.conftest import (
    app_checkout_lock,
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
)
from tests.e2e.conftest import _free_port, _wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo12345"
STARTUP_TIMEOUT = 300
# rows every event may touch without it being a change of business data
VOLATILE = {"auth_session", "login_throttle", "job_lease"}


@dataclass
class Backend:
    kind: str
    url: str
    base_url: str
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)  # actor name -> session token

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()


def _env(url: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PAYSIM_DEMO": "1",
        "PAYSIM_BCRYPT_ROUNDS": "4",
        "PAYSIM_SCHEDULER": "0",
        "GRANIAN_WORKERS": "1",
        "REFLEX_BACKEND_ONLY": "1",
        "PAYSIM_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:"
        f"{os.environ['PATH']}",
    }
    for name in ("PYTEST_CURRENT_TEST", "REDIS_URL"):
        env.pop(name, None)
    return env


def _extra_actors(url: str) -> dict[str, str]:
    """Sign the matrix's actors in, then take away what two of them had."""
    engine = make_engine(url)
    tokens: dict[str, str] = {}
    with Session(engine, expire_on_commit=False) as session:
        dealer = Partner(code="PGONE", name="Закрытый дилер", commission_bp=500)
        session.add(dealer)
        session.flush()
        session.add(
            User(
                email="gone-dealer@paysim.demo",
                password_hash=hash_password(DEMO_PASSWORD),
                role="partner",
                full_name="Бывший дилер",
                partner_id=dealer.id,
            )
        )
        accounts.create_admin(session, "demoted@paysim.demo", DEMO_PASSWORD, ROLE_SUPERADMIN)
        session.commit()
        for name, login in {
            "subscriber": "demo@paysim.demo",
            "partner": "partner@paysim.demo",
            "support": "support@paysim.demo",
            "superadmin": "admin@paysim.demo",
            "deactivated-partner": "gone-dealer@paysim.demo",
            "demoted-admin": "demoted@paysim.demo",
        }.items():
            tokens[name], _ = accounts.sign_in(session, login, DEMO_PASSWORD)
        session.commit()
        dealer.is_active = False
        demoted = session.exec(select(User).where(User.email == "demoted@paysim.demo")).one()
        support_role = session.exec(select(AdminRole).where(AdminRole.name == ROLE_SUPPORT)).one()
        demoted.admin_role_id = support_role.id  # after sign-in: the next event must see it
        session.add_all([dealer, demoted])
        session.commit()
    engine.dispose()
    tokens["signed-out"] = ""
    return tokens


def fingerprint(url: str) -> dict[str, str]:
    """table -> a hash of all its rows (the volatile tables left out)."""
    engine = make_engine(url)
    prints = {}
    with engine.connect() as conn:
        for table in sorted(set(inspect(conn).get_table_names()) - VOLATILE):
            if table == "alembic_version":
                continue
            rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
            prints[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    engine.dispose()
    return prints


def _start(kind: str, url: str, work: Path) -> Iterator[Backend]:
    with app_checkout_lock():
        yield from _serve(kind, url, work)


def _serve(kind: str, url: str, work: Path) -> Iterator[Backend]:
    port = _free_port()
    env = _env(url, port)
    for cmd in (["migrate"], ["seed-demo"]):
        subprocess.run(
            [sys.executable, "-m", "paysim_app", *cmd],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    tokens = _extra_actors(url)
    log = work / f"backend-{kind}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-only"]
            + ["--backend-port", str(port), "--loglevel", "warning"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/ping", proc, log, STARTUP_TIMEOUT)
        yield Backend(kind, url, base, log, tokens)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory) -> Iterator[Backend]:
    work = tmp_path_factory.mktemp(f"door-{request.param}")
    if request.param == "sqlite":
        yield from _start("sqlite", f"sqlite:///{work / 'door.db'}", work)
        return
    if not postgres_server_url():
        pytest.skip("PAYSIM_TEST_POSTGRES_URL is not set")
    name = f"paysim_door_{os.getpid()}"
    url = create_postgres_database(name)
    try:
        yield from _start("postgres", url, work)
    finally:
        drop_postgres_database(name)
