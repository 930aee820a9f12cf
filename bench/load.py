"""Simulated users against a running PaySim app, over Reflex's own websocket protocol.

    # the production app (make prod) on the bench database, three levels of 60 s each
    python bench/load.py --url http://localhost:3000 --users 1,10,50 --seconds 60
    # the same with the billing cycle started in the middle of each level
    python bench/load.py --users 10 --seconds 60 --heavy billing \\
        --db postgresql://root@127.0.0.1:5432/paysim_bench
    # the demo data (make run): demo@paysim.demo and admin@paysim.demo
    python bench/load.py --demo --users 2 --seconds 5

Each user is one browser tab (bench/load_client.py): a subscriber signs in through the login
form, opens /cabinet, turns pages of /cabinet/payments and tops up a SIM with the sandbox's
test card; an admin signs in, opens /admin/sims, filters by status, searches part of a number
and turns pages (bench/load_journeys.py). Both send `PingState.noop` now and then: the
round trip of an event that does no work. Every event is timed from its send to the end of
its processing; the report gives count, errors and p50/p95/p99 per event and level.
Exit code 1 when any event failed.
"""

# ruff: noqa: E402  (the project root goes on sys.path first)

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load_app import load_names
from bench.load_heavy import HeavyJob
from bench.load_journeys import NOOP, Deadline, Login, Settings, User
from bench.load_stats import Recorder, Row, Sample, ms, percentile, table

DEMO_PASSWORD = "demo12345"
BENCH_PASSWORD = "bench-password-1"  # bench/admin_data.py: every subscriber and partner user
ADMIN_DATA_LOG = Path("/tmp/admin_data.log")  # where bench/admin_data.py's run printed its admin
PAGE_TURNS = ("AdminSimsState.next_page", "AdminSimsState.prev_page")
# the admin page turn's p95 target by number of users
TURN_TARGETS = {10: 0.150, 50: 0.300}
HEAVY_RATIO = 2.0
ALL_EVENTS = (
    "(all events)"  # the others' p95 during a heavy job: at most this times the p95 without
)


@dataclass(frozen=True)
class Level:
    users: int
    admins: int
    recorder: Recorder
    loop_start: float
    loop_end: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    client_cpu: float  # CPU seconds this process (the clients) used in the level
    heavy: HeavyJob | None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", default="http://localhost:3000", help="the app (default %(default)s)")
    p.add_argument("--users", default="1,10,50", help="levels, run in turn (default %(default)s)")
    p.add_argument("--seconds", type=float, default=60, help="loop time per level (default 60)")
    p.add_argument("--mix", type=float, default=0.3, help="share of admin users (default 0.3)")
    p.add_argument(
        "--think", type=float, default=1.0, help="mean pause between steps, s (default 1.0)"
    )
    p.add_argument("--noop-share", type=float, default=0.25, help="chance of a noop after a step")
    p.add_argument("--timeout", type=float, default=30, help="seconds before a step is an error")
    p.add_argument("--seed", type=int, default=1)
    who = p.add_argument_group("logins")
    who.add_argument("--demo", action="store_true", help="demo@paysim.demo / admin@paysim.demo")
    who.add_argument("--admin-login", default="admin@paysim.example")
    who.add_argument(
        "--admin-password",
        default=os.environ.get("PAYSIM_BENCH_ADMIN_PASSWORD", ""),
        help=f"default: $PAYSIM_BENCH_ADMIN_PASSWORD, else read from {ADMIN_DATA_LOG}",
    )
    who.add_argument("--subscriber-login", default="client{n}@bench.example.com")
    who.add_argument("--subscriber-count", type=int, default=5000, help="n runs 1..this")
    who.add_argument("--password", default=BENCH_PASSWORD, help="the subscribers' password")
    heavy = p.add_argument_group("a heavy job in the middle of each level")
    heavy.add_argument("--heavy", choices=("import", "billing"))
    heavy.add_argument("--heavy-rows", type=int, default=1_000_000, help="rows of the import CSV")
    heavy.add_argument("--db", default=os.environ.get("DATABASE_URL", ""), help="the app's DB")
    heavy.add_argument(
        "--billing-date",
        help="run-billing --date: a later day bills every SIM due by then (default: today)",
    )
    heavy.add_argument("--heavy-timeout", type=float, default=1800)
    p.add_argument("--json", help="also write the report to this file")
    args = p.parse_args(argv)
    args.levels = [int(n) for n in args.users.split(",") if n.strip()]
    if not args.levels or min(args.levels) < 1:
        p.error("--users: a list of positive numbers, e.g. 1,10,50")
    if not 0 <= args.mix <= 1:
        p.error("--mix: a share between 0 and 1")
    if args.heavy and not args.db:
        p.error("--heavy needs --db (or DATABASE_URL): the database the app runs on")
    return args


def admin_password_from_log(login: str) -> str:
    """The superadmin's password as bench/admin_data.py printed it (ADMIN_DATA_LOG), or ""."""
    if not ADMIN_DATA_LOG.exists():
        return ""
    found = re.search(rf"superadmin: {re.escape(login)} / (\S+)", ADMIN_DATA_LOG.read_text())
    return found[1] if found else ""


def logins(args) -> tuple[Login, list[Login]]:
    if args.demo:
        return Login("admin@paysim.demo", DEMO_PASSWORD), [Login("demo@paysim.demo", DEMO_PASSWORD)]
    password = args.admin_password or admin_password_from_log(args.admin_login)
    subscribers = [
        Login(args.subscriber_login.format(n=n), args.password)
        for n in range(1, args.subscriber_count + 1)
    ]
    return Login(args.admin_login, password), subscribers


async def run_level(args, names, users: int, heavy: HeavyJob | None) -> Level:
    rng = random.Random(args.seed * 1000 + users)
    admin, subscribers = logins(args)
    admins = min(users, math.ceil(users * args.mix)) if args.mix > 0 else 0
    picks = rng.sample(subscribers, min(users, len(subscribers)))
    settings = Settings(args.url, args.think, args.noop_share, args.timeout)
    rec = Recorder()
    crowd = []
    for i in range(users):
        who = admin if i < admins else picks[i % len(picks)]
        journey = "admin" if i < admins else "subscriber"
        crowd.append((journey, User(names, settings, rec, random.Random(rng.random()), who)))
    load_before, cpu_before = os.getloadavg(), time.process_time()

    async def sign_in(user: User, delay: float) -> bool:
        await asyncio.sleep(delay)  # a crowd arriving over a few seconds, not in one instant
        return await user.try_sign_in()

    arrival = max(1.0, users / 10)
    signed = await asyncio.gather(*(sign_in(u, rng.uniform(0, arrival)) for _, u in crowd))
    start = time.monotonic()
    stop = Deadline(start + args.seconds)
    watcher = None
    if heavy is not None:
        watcher = asyncio.create_task(heavy.run_at(start + args.seconds / 2, stop))
    await asyncio.gather(*(u.run(j, stop, ok) for (j, u), ok in zip(crowd, signed, strict=True)))
    if watcher is not None:
        await watcher
    return Level(
        users,
        admins,
        rec,
        start,
        time.monotonic(),
        load_before,
        os.getloadavg(),
        time.process_time() - cpu_before,
        heavy,
    )


def report_level(level: Level, args) -> dict:
    rec = level.recorder
    rows = rec.rows()
    print(
        f"\n== {level.users} users ({level.admins} admin, {level.users - level.admins} subscriber),"
        f" {level.loop_end - level.loop_start:.0f} s, think {args.think} s;"
        f" load average {level.load_before[0]:.2f} -> {level.load_after[0]:.2f}"
        f" on {os.cpu_count()} cores; the clients used {level.client_cpu:.1f} CPU s"
    )
    print(table(rows))
    errors = rec.errors()
    for message, count in sorted(errors.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  error x{count}: {message}")
    out = {
        "users": level.users,
        "admins": level.admins,
        "seconds": round(level.loop_end - level.loop_start, 1),
        "load_average": [level.load_before[0], level.load_after[0]],
        "client_cpu_seconds": round(level.client_cpu, 1),
        "rows": [r.as_dict() for r in rows],
        "errors": errors,
        "checks": checks(level, rows),
    }
    if level.heavy is not None:
        out["heavy"] = report_heavy(level)
    return out


def checks(level: Level, rows: list[Row]) -> list[dict]:
    """The targets: no error; admin page turn p95 by users; printed and returned."""
    result = [{"check": "no errors", "ok": all(r.errors == 0 for r in rows)}]
    # with a heavy job, the speed target is the level without it (the job has its own check)
    until = level.heavy.started if level.heavy is not None else math.inf
    times = sorted(
        s.seconds
        for s in level.recorder.samples
        if s.label in PAGE_TURNS and not s.error and s.at < until
    )
    limit = TURN_TARGETS.get(level.users)
    if times and limit is not None:
        p95 = percentile(times, 95)
        result.append(
            {
                "check": f"admin page turn p95 <= {limit * 1000:.0f} ms",
                "value_ms": round(p95 * 1000, 1),
                "ok": p95 <= limit,
            }
        )
    for c in result:
        value = f" ({c['value_ms']} ms)" if "value_ms" in c else ""
        print(f"  target {c['check']}{value}: {'ok' if c['ok'] else 'MISSED'}")
    return result


def report_heavy(level: Level) -> dict:
    job = level.heavy
    assert job is not None
    print(
        f"  heavy job `{job.describe()}`: started {job.started - level.loop_start:.0f} s into "
        f"the level, ran {job.seconds:.0f} s, exit code {job.returncode}"
    )
    if job.returncode != 0:
        print(f"  the heavy job FAILED (exit code {job.returncode}): see its last lines above")

    def window(start: float, end: float) -> list[Row]:
        inside = Recorder([s for s in level.recorder.samples if start <= s.at < end])
        every = Recorder([Sample(ALL_EVENTS, s.at, s.seconds, s.error) for s in inside.samples])
        return inside.rows() + every.rows()

    before = window(level.loop_start, job.started)
    during = window(job.started, job.ended)
    by_label = {r.label: r for r in before}
    width = max([len(r.label) for r in during] + [5])
    print(f"  {'event':<{width}}  {'p95 without':>11}  {'p95 during':>10}  {'ratio':>6}  n during")
    rows = []
    for r in during:
        base = by_label.get(r.label)
        if base is None or not base.count or not r.count:
            continue
        ratio = r.p95 / base.p95 if base.p95 else math.nan
        mark = "" if ratio <= HEAVY_RATIO else "  > 2x"
        print(
            f"  {r.label:<{width}}  {ms(base.p95):>11}  {ms(r.p95):>10}  {ratio:>6.2f}  "
            f"{r.count}{mark}"
        )
        rows.append(
            {"label": r.label, "p95_without": base.p95, "p95_during": r.p95, "ratio": ratio}
        )
    return {
        "job": job.describe(),
        "seconds": job.seconds,
        "returncode": job.returncode,
        "rows": rows,
        "ok": job.returncode == 0 and bool(rows) and all(r["ratio"] <= HEAVY_RATIO for r in rows),
    }


async def main_async(args) -> dict:
    t0 = time.monotonic()
    names = load_names()
    print(
        f"PaySim load: {args.url}, levels {args.levels}, {args.seconds:.0f} s each, "
        f"admins {args.mix:.0%}, noop after {args.noop_share:.0%} of steps; "
        f"{os.cpu_count()} cores; app names read in {time.monotonic() - t0:.1f} s"
    )
    levels = []
    with tempfile.TemporaryDirectory(prefix="paysim-load-") as work:
        for users in args.levels:
            heavy = None
            if args.heavy:
                heavy = HeavyJob(args.heavy, args.db, Path(work), args.heavy_rows, args)
                heavy.prepare()
            level = await run_level(args, names, users, heavy)
            levels.append(report_level(level, args))
    return {"url": args.url, "think": args.think, "cores": os.cpu_count(), "levels": levels}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(main_async(args))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    failed = any(r["errors"] for level in report["levels"] for r in level["rows"])
    noop_rows = [r for level in report["levels"] for r in level["rows"] if r["label"] == NOOP]
    if not noop_rows:
        print("note: no noop was sent (--noop-share 0?)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
