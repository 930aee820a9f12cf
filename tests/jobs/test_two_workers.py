"""Two real app servers on one PostgreSQL database, as in production: each is
`reflex run --env prod --backend-only` with two forked backend workers, and every worker starts
the scheduler from the app's lifespan. One worker holds the lease and bills each due SIM once;
when its server is killed (SIGKILL: no lease release), a worker of the other server takes over
once the lease has run out and bills the SIMs that come due after.

The scheduler's settings are shortened (lease 4 s, renewed every second, billing every 2 s).
Which process did what comes from the jobs' log lines, which carry the process id.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select
from sqlmodel import Session

from paysim_app.billing import autopay, cycle
from paysim_app.db import make_engine
from paysim_app.i18n.formats import moscow_date
from paysim_app.jobs import scheduler
from paysim_app.models import JobLease, LedgerEntry, Sim
from paysim_app.models.base import utcnow
from tests.conftest import (
    Factory,
    alembic_config,
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
)

needs_postgres = pytest.mark.skipif(
    not postgres_server_url(), reason="PAYSIM_TEST_POSTGRES_URL is not set"
)

ROOT = Path(__file__).resolve().parents[2]
TICK, TTL, BILLING_EVERY = 1, 4, 2  # seconds
WORKERS_PER_SERVER = 2
STARTUP_TIMEOUT = 300  # an app import on a busy CI machine
LINE = re.compile(r"\[(\d+)\] (.*)$")


# --------------------------------------------------------------------------- harness


@pytest.fixture
def jobs_db() -> Iterator[str]:
    """A migrated database of this test's own (the app servers get only its URL)."""
    name = f"paysim_jobs_workers_{os.getpid()}"
    url = create_postgres_database(name)
    command.upgrade(alembic_config(url), "head")
    try:
        yield url
    finally:
        drop_postgres_database(name)


@pytest.fixture
def db(jobs_db) -> Iterator[Session]:
    engine = make_engine(jobs_db)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@dataclass
class Server:
    """One `reflex run` process: a supervisor that forks the backend workers."""

    proc: subprocess.Popen
    port: int
    log: Path

    def lines(self, text: str) -> list[tuple[int, str]]:
        """(pid, message) of the jobs' log lines containing `text`."""
        found = []
        for line in self.output().splitlines():
            m = LINE.search(line)
            if m and text in m.group(2):
                found.append((int(m.group(1)), m.group(2)))
        return found

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def workers(self) -> set[int]:
        return _children(self.proc.pid)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), as a deploy or a restart does."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)


def _start(url: str, work: Path, name: str, **more_env: str) -> Server:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PAYSIM_DEMO": "0",
        "PAYSIM_GATEWAY": "sandbox",
        "PAYSIM_SCHEDULER": "1",
        "PAYSIM_SCHEDULER_TICK_SECONDS": str(TICK),
        "PAYSIM_SCHEDULER_LEASE_SECONDS": str(TTL),
        "PAYSIM_SCHEDULER_BILLING_SECONDS": str(BILLING_EVERY),
        "GRANIAN_WORKERS": str(WORKERS_PER_SERVER),
        "REFLEX_BACKEND_ONLY": "1",  # rxconfig leaves the frontend port out then
        "PAYSIM_PUBLIC_URL": f"http://127.0.0.1:{port}",  # the websocket's accepted Origin
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:"
        f"{os.environ['PATH']}",
        **more_env,
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    log = work / f"{name}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-only"]
            + ["--backend-port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole
        )
    return Server(proc, port, log)


def _wait(what: str, condition: Callable[[], object], timeout: float, servers=()) -> object:
    """Poll `condition` until it is truthy; fail with the servers' output after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        for server in servers:
            if server.proc.poll() is not None:
                pytest.fail(f"{server.log.name} exited:\n{server.output()[-3000:]}")
        time.sleep(0.2)  # polling interval, not a synchronisation
    tails = "\n".join(f"--- {s.log.name}\n{s.output()[-3000:]}" for s in servers)
    pytest.fail(f"timed out waiting for {what}\n{tails}")


def _answers_ping(server: Server) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/ping", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _lease(db: Session) -> tuple[int, object] | None:
    """(pid of the holder, expiry) while the lease is held, else None."""
    db.expire_all()
    db.rollback()
    lease = db.get(JobLease, scheduler.LEASE)
    if lease is None or lease.expires_at <= utcnow():
        return None
    return int(lease.holder.rsplit(":", 1)[1]), lease.expires_at


# --------------------------------------------------------------------------- data


def _due_sims(db: Session, factory: Factory, n: int) -> list[int]:
    """SIMs due today: paid up, broke, and with monthly autopay (a good card and a declining
    one, both in the sandbox gateway the servers use)."""
    tariff = factory.tariff(fee_kop=40000)
    sims = []
    for i in range(n):
        sub = factory.subscriber()
        sims.append(factory.sim(sub, tariff=tariff, balance_kop=50000 * (i % 2)).id)
        if i < 2:
            sim = factory.sim(sub, tariff=tariff)
            card = factory.card(sub, "4242424242424242" if i == 0 else "4000000000000341")
            autopay.set_autopay(db, sub, sim.id, autopay.AutopayForm("monthly", card.id))
            db.commit()
            sims.append(sim.id)
    return sims


def _fees(db: Session) -> dict[int, int]:
    db.rollback()
    period = cycle.period_of(moscow_date(utcnow()))
    return dict(
        db.execute(
            select(LedgerEntry.sim_id, func.count())
            .where(LedgerEntry.kind == "monthly_fee", LedgerEntry.fee_period == period)
            .group_by(LedgerEntry.sim_id)
        ).all()
    )


def _assert_ledger_matches(db: Session, sims: list[int]) -> None:
    db.expire_all()
    for sim_id in sims:
        total = db.execute(
            select(func.coalesce(func.sum(LedgerEntry.amount_kop), 0)).where(
                LedgerEntry.sim_id == sim_id
            )
        ).scalar_one()
        assert db.get(Sim, sim_id).balance_kop == total, sim_id


# --------------------------------------------------------------------------- the test


@pytest.mark.postgres
@needs_postgres
def test_one_leader_bills_once_and_the_other_server_takes_over(db, jobs_db, tmp_path):
    factory = Factory(db)
    sims = _due_sims(db, factory, 8)
    started = time.monotonic()
    servers: list[Server] = []
    try:
        for name in ("server-a", "server-b"):
            servers.append(_start(jobs_db, tmp_path, name))
            # `reflex run` first empties .states/ in the working directory: one at a time
            _wait(
                "the reflex CLI", lambda: "Starting Reflex App" in servers[-1].output(), 60, servers
            )
        for server in servers:
            _wait("/ping", lambda s=server: _answers_ping(s), STARTUP_TIMEOUT, servers)
        every_worker = WORKERS_PER_SERVER * len(servers)
        _wait(
            "every worker's scheduler",
            lambda: sum(len(s.lines("scheduler started")) for s in servers) == every_worker,
            60,
            servers,
        )
        print(f"two servers up in {time.monotonic() - started:.1f} s")

        # --- all running: one holder, which alone bills, each due SIM once
        _wait("the first billing", lambda: _fees(db).keys() == set(sims), 60, servers)
        holder, _ = _wait("a lease holder", lambda: _lease(db), 30, servers)
        # a few more cycles, so that every worker had the chance to bill too
        _wait(
            "three billing cycles",
            lambda: sum(len(s.lines("billing done")) for s in servers) >= 3,
            60,
            servers,
        )
        # the holder is a forked worker, not a supervisor (the workers must not inherit its name)
        leaders = [s for s in servers if holder in s.workers()]
        assert leaders, (
            f"lease holder {holder} is no worker; supervisors: {[s.proc.pid for s in servers]}"
        )
        leader, follower = leaders[0], next(s for s in servers if s is not leaders[0])
        assert {pid for s in servers for pid, _ in s.lines("billing done")} == {holder}
        assert [pid for s in servers for pid, _ in s.lines("took the scheduler lease")] == [holder]
        assert _lease(db)[0] == holder
        assert _fees(db) == dict.fromkeys(sims, 1)
        _assert_ledger_matches(db, sims)

        # --- the leader's server dies without releasing the lease
        _, expires = _lease(db)
        leader.kill()
        killed = time.monotonic()
        new_holder, _, seen_at = _wait(
            "another worker to take the lease over",
            lambda: (lease := _lease(db)) and lease[0] != holder and (*lease, utcnow()),
            TTL + 2 * TICK + 20,
            [follower],
        )
        took_over = time.monotonic() - killed
        print(f"lease taken over {took_over:.1f} s after the kill (TTL {TTL} s, tick {TICK} s)")
        assert new_holder in follower.workers()
        assert seen_at >= expires  # never two holders: the dead one's lease had run out first

        # --- the new leader runs the jobs: a SIM that comes due now is billed, once
        late = factory.sim(factory.subscriber(), tariff=factory.tariff(fee_kop=10000)).id
        _wait("the new leader's billing", lambda: late in _fees(db), 60, [follower])
        _wait(
            "one more cycle",
            lambda: len([p for p, _ in follower.lines("billing done") if p == new_holder]) >= 2,
            60,
            [follower],
        )
        assert {pid for pid, _ in follower.lines("billing done")} == {new_holder}
        assert _fees(db) == dict.fromkeys([*sims, late], 1)
        _assert_ledger_matches(db, [*sims, late])
    finally:
        for server in servers:
            server.kill()


@pytest.fixture
def scheduler_env(monkeypatch):
    def _set(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"PAYSIM_SCHEDULER_{name.upper()}_SECONDS", str(value))
        scheduler.get_settings.cache_clear()

    yield _set
    scheduler.get_settings.cache_clear()


def test_production_defaults(scheduler_env):
    scheduler_env()
    settings = scheduler.get_settings()
    assert (settings.paysim_scheduler_lease_seconds, settings.paysim_scheduler_tick_seconds) == (
        40,
        10,
    )
    # a dead leader's jobs move within lease + tick: under a minute
    assert scheduler.lease_ttl() == timedelta(seconds=40) == scheduler.LEASE_TTL


def test_shortened_settings_shape_the_jobs(scheduler_env):
    scheduler_env(lease=4, tick=1, billing=2)
    sched = scheduler.build_scheduler()
    jobs = {job.id: job for job in sched.get_jobs()}
    assert jobs["lease"].trigger.interval == timedelta(seconds=1)
    assert jobs["billing"].trigger.interval == timedelta(seconds=2)
    assert scheduler.lease_ttl() == timedelta(seconds=4)


def test_a_tick_of_half_the_lease_is_refused(scheduler_env):
    """One late renewal would let the lease lapse and a second worker start the jobs."""
    scheduler_env(lease=60, tick=30)
    with pytest.raises(ValueError, match="PAYSIM_SCHEDULER_TICK_SECONDS"):
        scheduler.build_scheduler()
