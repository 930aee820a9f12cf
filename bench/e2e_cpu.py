"""The CPU each browser test costs, per process kind: a pytest plugin.

    PAYSIM_E2E_CPU=<dir> python -m pytest -p bench.e2e_cpu tests/e2e/...

Before and after each test (setup and teardown included) it reads /proc for the processes
this run drives: the pytest process, its descendants (Playwright's driver, Chromium's browser,
GPU, renderer and utility processes) and the app (the processes whose environment names the
running app's address, tests/e2e/conftest.py _APP). It also wraps the calls that cost the most
(Page.goto, screenshots, axe-core, the sign-in form, `enter`, viewport changes) and counts them
with the CPU spent while each ran. One JSON line per test goes to <dir>/<pid>.jsonl;
bench/e2e_cpu_report.py sums them.

The plugin's own reading of /proc (about 35 ms of the pytest process a time) is taken off the
pytest process's figure. CPU is utime + stime plus the children's times once reaped (a renderer that ends is counted in
Chromium's browser process), in core-seconds. On a shared machine the app's share is exact only
when one pytest process drives it: two runs side by side (tests/suite.py) each see the app's
CPU of both while their tests overlap.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

TICK = os.sysconf("SC_CLK_TCK")
_OUT = os.environ.get("PAYSIM_E2E_CPU")
_kind_cache: dict[tuple[int, str], str | None] = {}
_calls: dict[str, list[float]] = {}  # kind -> [count, core-s] in the current test
_depth = [0]
_overhead = [0.0]  # this process's CPU spent in snapshot(), taken off what "pytest" spent


def _app_marker() -> str | None:
    try:
        from tests.e2e.conftest import _APP
    except ImportError:
        return None
    url = _APP.get("url")
    return f"PAYSIM_PUBLIC_URL={url}" if url else None


def _read_stat(pid: str) -> tuple[int, str, float] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rindex(")") + 2 :].split()
    ppid = int(rest[1])
    total = sum(int(x) for x in rest[11:15]) / TICK  # utime stime cutime cstime
    return ppid, rest[19], total


def _kind(pid: int, start: str, in_tree: bool, marker: str | None) -> str | None:
    key = (pid, start)
    if key in _kind_cache:
        return _kind_cache[key]
    kind = None
    try:
        cmd = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return None
    if pid == os.getpid():
        kind = "pytest"
    elif in_tree:
        if "chromium" in cmd or "chrome" in cmd:
            for t in ("renderer", "gpu-process", "utility", "zygote"):
                if f"--type={t}" in cmd:
                    kind = f"chromium.{t.replace('-process', '')}"
                    break
            else:
                kind = "chromium.browser" if "--type=" not in cmd else "chromium.other"
        elif "node" in cmd:
            kind = "driver"
        else:
            kind = "pytest.child"
    elif marker:
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            env = b""
        if f"\0{marker}\0".encode() in b"\0" + env:
            kind = "app.node" if "node" in cmd.split(" ")[0] else "app"
    if in_tree or marker:  # before the app's address is known, outsiders are looked at again
        _kind_cache[key] = kind
    return kind


def snapshot() -> dict[tuple[int, str], tuple[str, float]]:
    """(pid, start time) -> (kind, total core-s) for every process this run drives."""
    began = time.process_time()
    marker = _app_marker()
    stats = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (s := _read_stat(entry.name)):
            stats[int(entry.name)] = s
    me = os.getpid()
    tree = {me}
    changed = True
    while changed:  # descendants of this process
        changed = False
        for pid, (ppid, _, _) in stats.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    out = {}
    for pid, (_, start, total) in stats.items():
        kind = _kind(pid, start, pid in tree, marker)
        if kind:
            out[(pid, start)] = (kind, total)
    out[("uptime", "")] = ("", float(Path("/proc/uptime").read_text().split()[0]))
    _overhead[0] += time.process_time() - began
    return out


def delta(before: dict, after: dict) -> dict[str, float]:
    by_kind: dict[str, float] = {}
    since = before[("uptime", "")][1]
    for key, (kind, total) in after.items():
        if not kind:
            continue
        if key not in before and int(key[1]) / TICK < since - 1:
            continue  # not new, only found now (the app, once its address is known)
        by_kind[kind] = by_kind.get(kind, 0.0) + total - before.get(key, (kind, 0.0))[1]
    for key, (kind, total) in before.items():
        if kind and key not in after:  # ended: its parent's children times hold it now
            by_kind[kind] = by_kind.get(kind, 0.0) - total
    return {k: round(v, 3) for k, v in by_kind.items()}


def _measured(kind_of, fn):
    def wrapper(*args, **kwargs):
        kind = kind_of(*args, **kwargs)
        if kind is None or _depth[0]:
            return fn(*args, **kwargs)
        _depth[0] += 1
        before, overhead = snapshot(), _overhead[0]
        try:
            return fn(*args, **kwargs)
        finally:
            cost = sum(delta(before, snapshot()).values()) - (_overhead[0] - overhead)
            _depth[0] -= 1
            slot = _calls.setdefault(kind, [0, 0.0])
            slot[0] += 1
            slot[1] += cost

    wrapper.__wrapped__ = fn
    return wrapper


def _goto_kind(page, url, *args, **kwargs):
    path = url.split("//", 1)[-1].split("/", 1)[-1] if "//" in url else url.lstrip("/")
    return "ping" if path.startswith("ping") else "goto"


def _eval_kind(page, expression, *args, **kwargs):
    return "axe" if "axe.run" in expression else None


def _install() -> None:
    from playwright.sync_api._generated import Locator, Page

    Page.goto = _measured(_goto_kind, Page.goto)
    Page.screenshot = _measured(lambda *a, **k: "screenshot", Page.screenshot)
    Locator.screenshot = _measured(lambda *a, **k: "screenshot", Locator.screenshot)
    Page.evaluate = _measured(_eval_kind, Page.evaluate)
    Page.add_script_tag = _measured(lambda *a, **k: "axe", Page.add_script_tag)
    Page.set_viewport_size = _measured(lambda *a, **k: "viewport", Page.set_viewport_size)


def pytest_configure(config):
    if _OUT:
        Path(_OUT).mkdir(parents=True, exist_ok=True)
        _install()


def pytest_plugin_registered(plugin, manager):
    """Wrap the browser conftest's helpers before the test modules import them."""
    if getattr(plugin, "__name__", "") == "tests.e2e.conftest" and _OUT:
        plugin.sign_in = _measured(lambda *a, **k: "sign_in_form", plugin.sign_in)
        plugin.enter = _measured(lambda *a, **k: "enter", plugin.enter)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not _OUT:
        yield
        return
    _calls.clear()
    before, wall = snapshot(), time.monotonic()
    overhead = _overhead[0]
    yield
    after = snapshot()
    cpu = delta(before, after)
    cpu["pytest"] = round(cpu.get("pytest", 0.0) - (_overhead[0] - overhead), 3)
    record = {
        "test": item.nodeid,
        "wall": round(time.monotonic() - wall, 2),
        "cpu": cpu,
        "calls": {k: [v[0], round(v[1], 3)] for k, v in _calls.items()},
    }
    with (Path(_OUT) / f"{os.getpid()}.jsonl").open("a") as out:
        out.write(json.dumps(record) + "\n")
