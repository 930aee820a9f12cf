"""`make test`: the whole suite as pytest runs side by side on one machine.

1. the tests that need no running app, on two cores (pytest-xdist), from the start;
2. meanwhile the app is built once and started on its demo database (tests/e2e/conftest.py
   prepare_app, run_app); then
3. the browser journeys (tests/e2e) drive that app in two runs, and beside them the security
   suites (tests/security) drive backends of their own, one per database kind;
4. last, alone, the journeys marked `alone` (they change what every account sees).

A browser journey or a security matrix mostly waits for the app, so these runs overlap to keep
both cores busy; the runs print their CPU time at the end (where the suite's time goes).

The browser tests are split so that the tests signing in as the demo subscriber and the demo
dealer run in one process (they share those accounts' sessions and saved language); the others
use accounts of their own (conftest.staff_login; unique_number counts in one file for all runs).
Two journeys of one run never overlap: more at once measured slower (the cores were already
busy) and broke the journeys that count what the app holds. The main browser run's
report is printed as it goes, the others' when they end. The exit status is 0 only when all
runs passed. The runs get PAYSIM_E2E_APP (the running app's description, so the browser tests
use it instead of starting one) and PAYSIM_CHECKOUT_LOCK_HELD (this process holds the
checkout's build lock for them).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import CHECKOUT_LOCK_HELD, ROOT, app_checkout_lock
from tests.e2e.conftest import SHARED_APP, prepare_app, run_app

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
# each run prints its slowest tests (--durations): where the suite's time goes, run by run
FAST = [*PYTEST, "-n", "2", "--durations=15", "--ignore=tests/e2e", "--ignore=tests/security"]
FAST.append("tests")
SECURITY = [*PYTEST, "tests/security", "--durations=5"]
# the demo subscriber's and the demo dealer's journeys, and the accessibility sweep
DEMO_ACCOUNTS = [
    f"tests/e2e/{name}.py"
    for name in (
        "test_accessibility",
        "test_journeys",
        "test_partner_cabinet",
        "test_partner_money",
        "test_security_ws",
        "test_usage_list",
    )
]
BROWSER_DEMO = [*PYTEST, *DEMO_ACCOUNTS, "-m", "not alone", "--durations=5"]
BROWSER = [
    *PYTEST,
    "tests/e2e",
    *(f"--ignore={path}" for path in DEMO_ACCOUNTS),
    *("-m", "not alone", "--durations=10"),
]
# journeys that change what every account sees (a new version of the terms): after the others
ALONE = [*PYTEST, "tests/e2e", "-m", "alone"]


def browser_env() -> dict[str, str]:
    """The browser runs' environment: no review screenshots unless PAYSIM_SHOTS asks for them
    (nobody looks at a run's; a failing test's tabs are shot anyway: tests/e2e/conftest.py)."""
    return {**os.environ, "PAYSIM_SHOTS": os.environ.get("PAYSIM_SHOTS", "0")}


def _start(
    command: list[str], log: Path | None, env: dict[str, str], *, own_share: bool = False
) -> subprocess.Popen:
    """own_share: the run gets a session of its own. Linux's scheduler shares the cores between
    sessions (autogroups) first, so the CPU-bound run is not one share among the browser runs,
    the app and the security backends (all in this process's session; bench/README.md, "The
    test suite's time", has what it changed)."""
    out = log.open("w") if log else None
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=own_share,
    )


CPU: dict[str, float] = {}  # run -> core-seconds of its process tree (user + system)


def _wait(name: str, run: subprocess.Popen) -> int:
    """The run's exit status; its processes' CPU time is kept in CPU (where the time goes)."""
    _, status, usage = os.wait4(run.pid, 0)
    run.returncode = os.waitstatus_to_exitcode(status)
    CPU[name] = usage.ru_utime + usage.ru_stime
    return run.returncode


def _server_cpu(command: str) -> float:
    """Core-seconds used so far by the local servers named `command` (postgres, redis-server)
    and their ended children; 0 where /proc does not tell."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, tail = stat.read_text().rpartition(")")
            stats[int(stat.parent.name)] = (head.partition("(")[2], tail.split())
        except (OSError, ValueError):
            continue
    ticks = 0
    for name, fields in stats.values():
        parent = stats.get(int(fields[1]), ("", []))[0]
        if name == command and parent != command:  # the server's main process
            ticks += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[float, float]:
    """(busy, all) core-seconds of the whole machine since boot, from /proc/stat."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = ticks[3] + ticks[4]  # idle, iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks[:8]) - idle) / hz, sum(ticks[:8]) / hz


def _cpu_summary(servers: dict[str, float], machine: tuple[float, float]) -> str:
    own = resource.getrusage(resource.RUSAGE_CHILDREN)
    # what is not a run's is the app's build and its server (children of this process too)
    CPU["app build and server"] = own.ru_utime + own.ru_stime - sum(CPU.values())
    for name, before in servers.items():
        CPU[name] = _server_cpu(name) - before
    parts = ", ".join(f"{name} {seconds:.0f}" for name, seconds in CPU.items())
    busy, every = (now - then for now, then in zip(_machine_cpu(), machine, strict=True))
    # a process its parent did not wait for is in no run's figure: Chromium's (reaped after
    # Playwright's driver has gone), most of the browser runs' CPU; the machine's figure has all
    return (
        f"CPU in core-seconds: {parts}; {sum(CPU.values()):.0f} in all. The machine was busy "
        f"{busy:.0f} of {every:.0f} core-seconds ({busy / max(every, 1):.0%})"
    )


def _report(title: str, log: Path, code: int, started: float) -> None:
    print(f"\n---- {title}: exit {code} after {time.monotonic() - started:.0f} s ----", flush=True)
    sys.stdout.write(log.read_text(errors="replace"))
    sys.stdout.flush()


def main() -> int:
    # a SIGTERM (a cancelled CI run) still stops the app and the runs: the finally clauses run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    servers = {name: _server_cpu(name) for name in ("postgres", "redis-server")}
    machine = _machine_cpu()
    work = Path(tempfile.mkdtemp(prefix="paysim-suite-"))
    runs: list[subprocess.Popen] = []
    try:
        fast = _start(
            FAST, work / "fast.log", dict(os.environ), own_share=True
        )  # it starts no app of this build
        runs.append(fast)
        with app_checkout_lock():
            # the lock is held from here on, for the runs below
            env = {**browser_env(), CHECKOUT_LOCK_HELD: "1"}
            (work / "app").mkdir()
            app = prepare_app(work / "app")
            description = work / "app.json"
            description.write_text(
                json.dumps({**app, "work": str(app["work"]), "db": str(app["db"])})
            )
            server = run_app(app, work / "app" / "app.log")
            next(server)  # built and answering
            try:
                env[SHARED_APP] = str(description)
                security = _start(SECURITY, work / "security.log", env)
                demo = _start(BROWSER_DEMO, work / "browser-demo.log", env)
                browser = _start(BROWSER, None, env)
                runs += [security, demo, browser]
                codes = {
                    "browser": _wait("browser", browser),
                    "browser (demo accounts)": _wait("browser (demo accounts)", demo),
                }
                alone = _start(ALONE, None, env)
                runs.append(alone)
                codes["browser (alone)"] = _wait("browser (alone)", alone)
            finally:
                server.close()  # stops the app
        log = work / "browser-demo.log"
        _report(
            "browser journeys of the demo accounts", log, codes["browser (demo accounts)"], started
        )
        codes["security"] = _wait("security", security)
        _report(
            "security suites (tests/security)", work / "security.log", codes["security"], started
        )
        codes["fast"] = _wait("fast", fast)
        _report("tests without a running app", work / "fast.log", codes["fast"], started)
    finally:
        for run in runs:
            if run.poll() is None:
                run.terminate()
    failed = [name for name, code in codes.items() if code != 0]
    print(f"\n{_cpu_summary(servers, machine)}")
    print(
        f"\n==== make test: {'FAILED: ' + ', '.join(failed) if failed else 'all passed'} "
        f"in {time.monotonic() - started:.0f} s ===="
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
