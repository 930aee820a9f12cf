"""Database leases: one holder at a time, renewal, take-over after expiry, release.

The clock is moved with time-machine (the service reads paysim_app.models.base.utcnow)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session

from paysim_app.core import leases
from paysim_app.models import JobLease

NAME = "scheduler"
TTL = timedelta(seconds=60)
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_of_two_holders_only_the_first_gets_it(session, new_session, clock):
    other = new_session()
    assert leases.acquire(session, NAME, "worker-a", TTL) is True
    assert leases.acquire(other, NAME, "worker-b", TTL) is False
    assert leases.holder_of(session, NAME) == "worker-a"
    assert leases.holder_of(other, NAME) == "worker-a"
    lease = session.get(JobLease, NAME)
    assert lease.expires_at == T0 + TTL


def test_leases_are_independent_by_name(session, new_session, clock):
    assert leases.acquire(session, "billing", "worker-a", TTL)
    assert leases.acquire(new_session(), "janitor", "worker-b", TTL)
    assert leases.holder_of(session, "billing") == "worker-a"
    assert leases.holder_of(session, "janitor") == "worker-b"
    assert leases.holder_of(session, "nothing") is None


def test_the_holder_renews_and_keeps_it(session, new_session, clock):
    other = new_session()
    assert leases.acquire(session, NAME, "worker-a", TTL)
    clock.shift(timedelta(seconds=40))
    assert leases.acquire(session, NAME, "worker-a", TTL) is True  # renewed until T0 + 100 s
    session.expire_all()
    assert session.get(JobLease, NAME).expires_at == T0 + timedelta(seconds=100)
    clock.shift(timedelta(seconds=30))  # T0 + 70 s: past the first expiry, not the renewed one
    assert leases.acquire(other, NAME, "worker-b", TTL) is False
    assert leases.holder_of(other, NAME) == "worker-a"
    clock.shift(timedelta(seconds=31))  # T0 + 101 s: the renewal has run out too
    assert leases.holder_of(other, NAME) is None
    assert leases.acquire(other, NAME, "worker-b", TTL) is True


def test_after_expiry_another_takes_over_and_the_old_holder_is_out(session, new_session, clock):
    other = new_session()
    assert leases.acquire(session, NAME, "worker-a", TTL)
    clock.shift(TTL - timedelta(seconds=1))
    assert leases.acquire(other, NAME, "worker-b", TTL) is False  # not yet
    clock.shift(timedelta(seconds=2))
    assert leases.holder_of(session, NAME) is None  # expired: nobody holds it
    assert leases.acquire(other, NAME, "worker-b", TTL) is True
    assert leases.holder_of(session, NAME) == "worker-b"
    # the worker that lost it (e.g. it was paused) cannot renew its way back in
    assert leases.acquire(session, NAME, "worker-a", TTL) is False
    assert leases.holder_of(session, NAME) == "worker-b"


def test_release_lets_the_other_take_it_at_once(session, new_session, clock):
    other = new_session()
    assert leases.acquire(session, NAME, "worker-a", TTL)
    leases.release(session, NAME, "worker-a")
    assert leases.holder_of(other, NAME) is None
    assert leases.acquire(other, NAME, "worker-b", TTL) is True  # the clock has not moved
    assert leases.holder_of(session, NAME) == "worker-b"


def test_only_the_holder_can_release(session, new_session, clock):
    other = new_session()
    assert leases.acquire(session, NAME, "worker-a", TTL)
    leases.release(other, NAME, "worker-b")  # not its lease: nothing happens
    assert leases.holder_of(session, NAME) == "worker-a"
    assert leases.acquire(other, NAME, "worker-b", TTL) is False
    leases.release(session, NAME, "nobody-yet")  # releasing a lease one never held is harmless
    leases.release(session, "never-taken", "worker-a")
    assert leases.holder_of(session, NAME) == "worker-a"


def test_process_id_names_host_and_pid():
    host, pid = leases.process_id().rsplit(":", 1)
    assert host and pid.isdigit()


def _race(engine, holders: list[str]) -> dict[str, bool]:
    """Every holder asks for the lease at the same moment, each in its own session."""
    barrier = threading.Barrier(len(holders))
    got: dict[str, bool] = {}
    errors: list[BaseException] = []

    def ask(holder: str) -> None:
        try:
            with Session(engine) as s:
                barrier.wait(timeout=10)
                got[holder] = leases.acquire(s, NAME, holder, TTL)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(h,)) for h in holders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return got


def test_concurrent_first_acquire_has_one_winner(engine, session, clock):
    got = _race(engine, [f"worker-{n}" for n in range(6)])
    winners = [h for h, ok in got.items() if ok]
    assert len(winners) == 1
    assert leases.holder_of(session, NAME) == winners[0]


def test_concurrent_take_over_of_an_expired_lease_has_one_winner(engine, session, clock):
    assert leases.acquire(session, NAME, "dead-worker", TTL)
    clock.shift(TTL + timedelta(seconds=1))
    got = _race(engine, [f"worker-{n}" for n in range(6)])
    winners = [h for h, ok in got.items() if ok]
    assert len(winners) == 1
    assert leases.holder_of(session, NAME) == winners[0]
