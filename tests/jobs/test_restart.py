"""A signed-in tab survives a backend restart, as in production: the sign-in is a row of the
sessions table whose token the browser keeps in LocalStorage, the page state lives in Redis.

A real `reflex run --env prod --backend-only` (two workers, Redis, PostgreSQL) is driven over
its websocket by the load benchmark's client (bench/load_client.py, Reflex's own protocol): the
tab signs in and picks its second SIM. The server is stopped (SIGTERM, as a deploy does) and
started again: the same tab reconnects still signed in, on the same SIM. Then it is killed
(SIGKILL, a crash) and started again: still signed in. After a crash Reflex sees the tab's old
socket record in Redis (it expires after an hour) and gives the reconnecting tab a new state
token, so the page state starts afresh there; the sign-in does not depend on it. A graceful
stop deletes the records of the tabs it served, so a deploy keeps every tab's page state."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from bench.load_app import load_names
from bench.load_client import Tab
from bench.load_journeys import form
from tests.conftest import Factory
from tests.jobs.test_two_workers import (
    STARTUP_TIMEOUT,
    _answers_ping,
    _start,
    _wait,
    db,  # noqa: F401  (fixture)
    jobs_db,  # noqa: F401  (fixture)
    needs_postgres,
)

REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of this test's own, emptied first
PASSWORD = "restart-pass-1"
TIMEOUT = 60.0
GRANIAN_SHUTDOWN_PANIC = "Cannot drop pointer into Python heap"


def _run(coro) -> None:
    """asyncio.run in a thread of its own: the browser suite's Playwright keeps an event loop
    running in this one when both run in one session."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable: {exc}")


async def _sign_in_and_pick(tab: Tab, names, login: str, sim_id: int) -> None:
    await tab.open("/login", TIMEOUT)
    signed_in = await tab.call(
        f"{names.login}.submit",
        {"form_data": form(login=login, password=PASSWORD)},
        lambda u: "" if any(e.get("name") == "_redirect" for e in u.events) else None,
        TIMEOUT,
    )
    assert signed_in > 0 and tab.var(names.session, "auth_token")
    await tab.open("/cabinet/topup", TIMEOUT)
    assert tab.redirect is None
    await tab.call(
        f"{names.topup}.select_sim",
        {"sim_id": str(sim_id)},
        lambda u: "" if names.topup in u.delta or names.cabinet in u.delta else None,
        TIMEOUT,
    )
    assert tab.var(names.cabinet, "current_sim_id") == sim_id
    # The delta leaves before the state is written to Redis; a stop right after it can beat
    # the write. Events of one tab run in turn, so an answered event behind it marks the write.
    await tab.call_silent(f"{names.ping}.noop", {}, TIMEOUT)


@needs_postgres
def test_a_signed_in_tab_survives_a_backend_restart(db, jobs_db, tmp_path):  # noqa: F811
    _redis_or_skip()
    factory = Factory(db)
    login = "restart@example.ru"
    actor = factory.subscriber(login, password=PASSWORD)
    factory.sim(actor)
    second = factory.sim(actor)
    env = {"REDIS_URL": REDIS_URL, "PAYSIM_SCHEDULER": "0"}
    names = load_names()

    for attempt in ("first", "first-again"):
        first = _start(jobs_db, tmp_path, attempt, **env)
        try:
            _wait(attempt, lambda s=first: _answers_ping(s), STARTUP_TIMEOUT, [first])
            tab = Tab(f"http://127.0.0.1:{first.port}", names.proto)
            _run(_sign_in_and_pick(tab, names, login, second.id))
        finally:
            first.stop()
        # the graceful stop let go of the tab (paysim_app.py, _tabs_keep_their_state): a socket
        # record left in Redis would make the restarted app take the tab for a duplicate and
        # give it a new, empty page state
        record = f"token_manager_socket_record_{tab.token}"
        left = redis.Redis.from_url(REDIS_URL).exists(record)
        if not (left and GRANIAN_SHUTDOWN_PANIC in first.output()):
            break
        # Granian's worker sometimes panics while it drops an open websocket at shutdown
        # (emmett-framework/granian#799, #884: its multi-threaded runtime), and the stop under
        # test did not happen; once more with a new tab
    assert not left, f"{attempt}: the graceful stop left the tab's socket record in Redis"

    async def reopen() -> None:
        await tab.open("/cabinet", TIMEOUT)
        await tab.close()

    for name, end in (("restarted", "kill"), ("after-crash", "stop")):
        server = _start(jobs_db, tmp_path, name, **env)
        try:
            _wait(name, lambda s=server: _answers_ping(s), STARTUP_TIMEOUT, [server])
            tab.base_url = f"http://127.0.0.1:{server.port}"
            _run(reopen())
            assert tab.redirect is None, f"{name}: signed out, sent to {tab.redirect}"
            assert tab.var(names.session, "user_login") == login
            if name == "restarted":
                assert tab.var(names.cabinet, "current_sim_id") == second.id
        finally:
            getattr(server, end)()
