"""Benchmark of the usage feed (`sims.usage.ingest`, the service behind POST /api/usage) and of
the dashboard's usage queries (`sims.usage_history`) at a million SIMs.

    python bench/usage.py --db postgresql://root@127.0.0.1:5432/paysim_usage_bench
    python bench/usage.py --sims 100000 --skip-ingest --cold        # the reads only, quicker

It DROPS and creates the database named in --db (or PAYSIM_BENCH_USAGE_DB; its name must contain
"bench"), migrates it with alembic to head and loads N active SIMs with COPY. Then:

1. one day of usage: 24 hourly records per SIM (yesterday, UTC), sent hour after hour as a
   mediation system would, in batches of --batch records through `usage.ingest` by --workers
   processes (each its own connection, as several mediation connections would be; each worker
   takes its own range of SIMs). Records name the SIM by IMSI, every fourth by ICCID. Printed:
   records/s and the wall time against the target (24M records in 10 minutes: >= 40,000/s);
2. the same day sent again: everything a duplicate, nothing added (checked), its time against a
   third of the first;
3. the sums checked against what was sent (usage_hour and usage_day, one GROUP BY each);
4. what a year of service leaves for each SIM, as the tidy job keeps it: --history-days of
   usage_day before today and --history-months of usage_month rolled up to the last final day
   (usage_rollup's mark), loaded with INSERT ... SELECT over generate_series; its time and the
   tables' and indexes' sizes. Then the dashboard's reads for --queries random SIMs:
   `usage_history.daily` (the last 30 days), `usage_history.monthly` (12 months) and
   `allowance.of_sim` (the period's allowance and usage), median and p95 in ms against 20 ms;
   with --cold first with the kernel's page cache emptied (root), then warm;
5. the policy feed (unless --no-policy): before step 1 every SIM gets a 30 GB tariff and its
   sim_policy row (prepare_policy), so the ingest screens and refreshes as it does in service;
   at the end, `policy.feed` pages of 1000 at the start, middle and end of the feed (ms).

Exit code 1 when a check fails (sums, duplicates) — the timings are printed, not enforced.
"""

# ruff: noqa: E402  (the project root goes on sys.path and the environment is set first)

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["PAYSIM_DEMO"] = "0"
os.environ["PAYSIM_SCHEDULER"] = "0"

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.admin_data import luhn_digit, prepare_database
from paysim_app import db as app_db
from paysim_app.settings import get_settings
from paysim_app.sims import usage_months

DEFAULT_DB = "postgresql://root@127.0.0.1:5432/paysim_usage_bench"
SENDER = "pgw-bench"
TARGET_SECONDS_PER_24M = 600  # 24M records in 10 minutes
TARGET_QUERY_MS = 20.0


def iccid(i: int) -> str:
    body = f"8970199{i:011d}"
    return body + luhn_digit(body)


def imsi(i: int) -> str:
    return f"25099{3_000_000_000 + i * 13:010d}"


def bytes_of(sim: int, hour: int) -> tuple[int, int]:
    """What SIM `sim` moved in hour `hour` of the day: evening peaks, spread between SIMs."""
    down = ((sim * 7919 + hour * 104_729) % 40_000_000) * (3 if 17 <= hour <= 22 else 1)
    return down // 12, down


def load_sims(url: str, n: int) -> float:
    started = time.perf_counter()
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
    now = datetime.now(UTC) - timedelta(days=400)
    with psycopg.connect(conninfo) as conn:
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            cols = (
                "id, iccid, msisdn, imsi, status, label, billing_day, puk, "
                "activated_at, created_at, updated_at"
            )
            with cur.copy(f"COPY sim ({cols}) FROM STDIN") as copy:
                for i in range(1, n + 1):
                    copy.write_row(
                        (i, iccid(i), f"+79{200_000_000 + i * 37:09d}", imsi(i), "active", "",
                         1 + i % 28, f"{i % 10**8:08d}", now, now, now)
                    )  # fmt: skip
            cur.execute("SELECT setval(pg_get_serial_sequence('sim', 'id'), %s)", (n + 1,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE sim")
    return time.perf_counter() - started


# --------------------------------------------------------------------------- the feed


def _names(first: int, last: int) -> list[tuple[str, str]]:
    """How the records name SIMs first..last-1: by IMSI, every fourth by ICCID."""
    return [("imsi", imsi(s)) if s % 4 else ("iccid", iccid(s)) for s in range(first, last)]


def _records(
    day: datetime, hour: int, first: int, last: int, names: list | None = None, base: int = 0
) -> list[dict]:
    start = (day + timedelta(hours=hour)).isoformat()
    end = (day + timedelta(hours=hour + 1)).isoformat()
    prefix = f"{day:%Y%m%d}{hour:02d}"
    if names is None:
        names, base = _names(first, last), first
    out = []
    for sim in range(first, last):
        up, down = bytes_of(sim, hour)
        key, value = names[sim - base]
        out.append(
            {"record_id": f"{prefix}{sim:08d}", key: value, "start": start, "end": end,
             "bytes_up": up, "bytes_down": down}
        )  # fmt: skip
    return out


def _worker(job: tuple) -> tuple:
    """One mediation connection: hour after hour, its SIMs in batches through usage.ingest."""
    url, day, first, last, batch, profile = job
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    from paysim_app.sims import usage

    per_batch = max(1, batch)
    sent = accepted = duplicates = rejected = 0
    ingest_s = ingest_cpu = 0.0
    profiler = cProfile.Profile() if profile else None
    names = _names(first, last)  # computed once (the ICCID's Luhn digit costs)
    for hour in range(24):
        for lo in range(first, last, per_batch):
            records = _records(day, hour, lo, min(last, lo + per_batch), names, first)
            t0, c0 = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            report = usage.ingest(SENDER, records)
            if profiler:
                profiler.disable()
            ingest_s += time.perf_counter() - t0
            ingest_cpu += time.process_time() - c0
            sent += len(records)
            accepted += report.accepted
            duplicates += report.duplicates
            rejected += len(report.rejected)
    if profiler:
        profiler.dump_stats(profile)
    # the CPU ingest used: this process inside the calls (not the start-up nor the records'
    # generation) and its database backend (the pool kept one connection)
    with app_db.get_engine().connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    cpu = ingest_cpu + _backend_cpu(backend)
    app_db.get_engine().dispose()
    return sent, accepted, duplicates, rejected, ingest_s, cpu


def _backend_cpu(pid: int) -> float:
    """User + system seconds of a local PostgreSQL backend (/proc; 0 if it is not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def send_day(url: str, day: datetime, sims: int, workers: int, batch: int, profile: str):
    """The day's records by `workers` processes; returns (wall s, sent, accepted, dup, rejected,
    seconds inside ingest summed over the workers)."""
    bounds = [1 + sims * w // workers for w in range(workers + 1)]
    jobs = [
        (url, day, bounds[w], bounds[w + 1], batch, profile if (profile and w == 0) else "")
        for w in range(workers)
    ]
    started = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        results = pool.map(_worker, jobs)
    wall = time.perf_counter() - started
    totals = [sum(r[i] for r in results) for i in range(6)]
    return (wall, *totals)


# --------------------------------------------------------------------------- history + queries


def load_history(engine, sims: int, days: int, months: int, today: date, final: date) -> float:
    """What a year of service leaves behind for each SIM, as the tidy job keeps it: `days` days
    of usage_day before `today` (Moscow) and `months` calendar months of usage_month before this
    one, rolled up to `final` (the last final day: usage_rollup's mark). In (sim, day) order."""
    started = time.perf_counter()
    first_month = today.replace(day=1)
    for _ in range(months):
        first_month = (first_month - timedelta(days=1)).replace(day=1)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        superuser = conn.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ).scalar()
        if superuser:  # no per-row foreign-key trigger: every sim_id is a loaded SIM
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        step = 50_000
        for lo in range(1, sims + 1, step):
            hi = min(sims, lo + step - 1)
            bounds = {"lo": lo, "hi": hi}
            if days:
                conn.execute(
                    text(
                        "INSERT INTO usage_day (sim_id, day, bytes_up, bytes_down)"
                        " SELECT s, (CAST(:today AS date) - d),"
                        "  ((s * 7919 + d * 104729) % 600000000) / 12,"
                        "  (s * 7919 + d * 104729) % 600000000"
                        # bigint: s * 7919 passes 2^31 above 271,000 SIMs
                        " FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) s,"
                        "  generate_series(CAST(:days AS int), 1, -1) d"
                        " ON CONFLICT DO NOTHING"
                    ),
                    {**bounds, "today": today, "days": days},
                )
            if months:
                conn.execute(
                    text(
                        "INSERT INTO usage_month (sim_id, month, bytes_up, bytes_down)"
                        " SELECT s, CAST(m AS date), ((s * 7919) % 9000000000) / 12,"
                        "  (s * 7919) % 9000000000"
                        " FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) s,"
                        "  generate_series(CAST(:first AS date), CAST(:final AS date),"
                        "   interval '1 month') m"
                    ),
                    {**bounds, "first": first_month, "final": final},
                )
        if months:
            conn.execute(
                text("INSERT INTO usage_rollup (id, rolled_through) VALUES (1, :final)"),
                {"final": final},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("usage_day", "usage_month", "usage_hour"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    return time.perf_counter() - started


def drop_caches() -> bool:
    """Empty the kernel's page cache (root only), so the next reads come from the disk, as they
    would for a SIM whose rows are not in memory. PostgreSQL's own buffers (128 MB by default)
    stay: they hold a small share of tables of several GB."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def sizes(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT t, pg_size_pretty(pg_table_size(t)),"
                    " pg_size_pretty(pg_indexes_size(t))"
                    " FROM unnest(ARRAY['usage_hour', 'usage_day', 'usage_month',"
                    "  'usage_record_seen']) t"
                )
            )
        ]


def timed_queries(engine, picks: list[int], today: date, now: datetime) -> dict[str, list[float]]:
    """The reads behind the dashboard's usage card and the SIM page, per SIM: the last 30 days
    (the chart), 12 months (the history) and the allowance (sims.allowance.of_sim: the tariff,
    the add-ons and the period's bytes)."""
    from sqlmodel import Session

    from paysim_app.sims import allowance, usage_history

    times: dict[str, list[float]] = {"daily 30 days": [], "monthly 12": [], "allowance": []}
    with Session(engine) as session:
        for sim in picks:
            t0 = time.perf_counter()
            usage_history.daily(session, sim, today - timedelta(days=29), today)
            t1 = time.perf_counter()
            usage_history.monthly(session, sim, months=12, today=today)
            t2 = time.perf_counter()
            allowance.of_sim(session, sim, now)
            t3 = time.perf_counter()
            session.rollback()
            times["daily 30 days"].append((t1 - t0) * 1000)
            times["monthly 12"].append((t2 - t1) * 1000)
            times["allowance"].append((t3 - t2) * 1000)
    return times


def print_times(title: str, times: dict[str, list[float]], target: float | None) -> None:
    print(title)
    for name, values in times.items():
        verdict = "" if target is None else (" PASS" if p95(values) <= target else " TOO SLOW")
        print(
            f"  {name:<26} median {statistics.median(values):6.2f}  p95 {p95(values):6.2f}"
            f"  max {max(values):7.2f}{verdict}"
        )


# --------------------------------------------------------------------------- the policy feed

POLICY_STEP = 50_000  # SIMs per transaction when the rows are made: many change_seq values


def prepare_policy(url: str, sims: int, day: datetime) -> float:
    """Before the day is sent: a 30 GB tariff on every SIM and its `sim_policy` row (what the
    migration's backfill and the first refresh give a working SIM), written POLICY_STEP SIMs a
    transaction. The ingest's screening then watches each row: the bytes before 80 % (24 GB),
    and for every 100th SIM 300 MB, so that some cross during the day and are refreshed."""
    started = time.perf_counter()
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as conn:
        tariff = conn.execute(
            "INSERT INTO tariff (code, name, description, monthly_fee_kop, data_gb, speed_mbps,"
            " limited_speed_kbps, is_public, is_archived, created_at)"
            " VALUES ('BENCH30', 'Bench 30 GB', '', 50000, 30, 50, 256, true, false, now())"
            " RETURNING id"
        ).fetchone()[0]
        conn.execute("UPDATE sim SET tariff_id = %s", (tariff,))
        conn.commit()
        for lo in range(1, sims + 1, POLICY_STEP):
            conn.execute(
                "INSERT INTO sim_policy (sim_id, state, speed_kbps, change_seq, changed_at,"
                " valid_until, period_start, check_day, check_bytes)"
                " SELECT s, 'normal', 50000, CAST(CAST(pg_current_xact_id() AS text) AS bigint),"
                "  now(), now() + interval '20 days', CAST(%(day)s AS date), CAST(%(day)s AS date),"
                "  CASE WHEN s %% 100 = 0 THEN 300000000 ELSE 24000000000 END"
                " FROM generate_series(CAST(%(lo)s AS int), CAST(%(hi)s AS int)) s",
                {"day": (day + timedelta(hours=3)).date(), "lo": lo,
                 "hi": min(sims, lo + POLICY_STEP - 1)},
            )  # fmt: skip
            conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE sim_policy")
        # the UPDATE left a dead copy of every SIM row: without this the planner reads the
        # table whole for the ingest's `imsi = ANY(array)` (minutes a batch)
        conn.execute("VACUUM ANALYZE sim")
    return time.perf_counter() - started


def policy_pages(engine, rounds: int = 20) -> dict[str, list[float]]:
    """`sims.policy.feed` (what GET /api/policy runs) for a page of 1000 at the start, the
    middle and the end of the whole feed, `rounds` times each: one range of the (change_seq,
    sim_id) index, so the same cost wherever the cursor is."""
    from sqlmodel import Session

    from paysim_app.sims import policy

    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM sim_policy")).scalar_one()
        at = {}
        for name, offset in (("middle", total // 2), ("end", max(total - 1000, 0))):
            seq, sim = conn.execute(
                text(
                    "SELECT change_seq, sim_id FROM sim_policy ORDER BY change_seq, sim_id"
                    " OFFSET :n LIMIT 1"
                ),
                {"n": max(offset - 1, 0)},
            ).one()
            at[name] = policy.encode_cursor(seq, sim)
    cursors = {"start": None, **at}
    times: dict[str, list[float]] = {f"page of 1000 at the {k}": [] for k in cursors}
    with Session(engine) as session:
        for _ in range(rounds):
            for name, cursor in cursors.items():
                t0 = time.perf_counter()
                page = policy.feed(session, cursor, 1000)
                times[f"page of 1000 at the {name}"].append((time.perf_counter() - t0) * 1000)
                session.rollback()
                assert len(page.items) == 1000 or name == "end", (name, len(page.items))
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- main


def send_and_check(args, url: str, day: datetime, engine) -> bool:
    """Steps 1-3: the day, the same day again, the sums. False when a check failed."""
    ok = True
    records = args.sims * 24
    target = TARGET_SECONDS_PER_24M * records / 24_000_000
    wall, sent, accepted, dup, rejected, inside, cpu = send_day(
        url, day, args.sims, args.workers, args.batch, args.profile
    )
    rate = sent / wall
    print(
        f"\none day ({day:%Y-%m-%d} UTC): {sent:,} records by {args.workers} workers in batches"
        f" of {args.batch:,}: {wall:.1f} s, {rate:,.0f} records/s"
        f" (inside ingest {inside / args.workers:.1f} s a worker)"
    )
    print(
        f"  accepted {accepted:,}, duplicates {dup:,}, rejected {rejected:,};"
        f" target {target:.0f} s for {records:,} (>= 40,000/s):"
        f" {'PASS' if wall <= target else 'TOO SLOW'}"
        f" (24M records at this rate: {24_000_000 / rate / 60:.1f} min)"
    )
    print(
        f"  CPU: {cpu:.1f} core-s (workers inside ingest + their database backends),"
        f" {cpu / sent * 1e6:.1f} core-us a record: {2 * sent / cpu:,.0f} records/s"
        f" on two idle cores (24M in {24_000_000 * cpu / sent / 2 / 60:.1f} min)"
    )
    print(f"  load average {os.getloadavg()[0]:.1f} after")
    if accepted != records or rejected:
        print("  CHECK FAILED: every record should have been accepted")
        ok = False
    if args.profile:
        print(f"\ncProfile of worker 0's ingest calls ({args.profile}):")
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)

    if not args.skip_resend:
        wall2, sent2, accepted2, dup2, rejected2, inside2, cpu2 = send_day(
            url, day, args.sims, args.workers, args.batch, ""
        )
        print(
            f"\nthe same day again: {wall2:.1f} s ({wall2 / wall:.0%} of the first),"
            f" accepted {accepted2:,}, duplicates {dup2:,}:"
            f" {'PASS' if wall2 <= wall / 3 else 'TOO SLOW'} (target: a third of the first);"
            f" inside ingest {inside2 / args.workers:.1f} s a worker"
            f" ({inside2 / inside:.0%} of the first's), CPU {cpu2:.1f} core-s"
            f" ({cpu2 / cpu:.0%} of the first's)"
        )
        if accepted2 or dup2 != sent2 or rejected2:
            print("  CHECK FAILED: a resent day must add nothing")
            ok = False

    expected_up = sum(bytes_of(s, h)[0] for s in range(1, args.sims + 1) for h in range(24))
    expected_down = sum(bytes_of(s, h)[1] for s in range(1, args.sims + 1) for h in range(24))
    with engine.connect() as conn:
        hours = conn.execute(
            text("SELECT count(*), sum(bytes_up), sum(bytes_down) FROM usage_hour")
        ).one()
        days = conn.execute(
            text("SELECT count(*), sum(bytes_up), sum(bytes_down) FROM usage_day")
        ).one()
    print(f"\nusage_hour: {hours[0]:,} rows; usage_day: {days[0]:,} rows")
    if (hours[1], hours[2]) != (expected_up, expected_down) or (days[1], days[2]) != (
        expected_up,
        expected_down,
    ):
        print(f"  CHECK FAILED: sums {hours[1:]} / {days[1:]} != {(expected_up, expected_down)}")
        ok = False
    else:
        print("  sums equal to what was sent (hourly and daily)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default=os.environ.get("PAYSIM_BENCH_USAGE_DB", DEFAULT_DB),
        help="postgresql://…/paysim_usage_bench (dropped and recreated)",
    )
    parser.add_argument("--sims", type=int, default=1_000_000)
    # three mediation connections on two cores: while one waits for its database backend, the
    # others compute (two left the cores idle part of the time: 606.8 s against 519.1 s at 1M)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10_000, help="records per ingest call")
    parser.add_argument(
        "--history-days", type=int, default=40, help="days of usage_day per SIM before today"
    )
    parser.add_argument(
        "--history-months", type=int, default=12, help="months of usage_month per SIM"
    )
    parser.add_argument(
        "--skip-ingest", action="store_true", help="no day sent: only the history and queries"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="empty the kernel's page cache before the queries (root), then time them warm",
    )
    parser.add_argument("--queries", type=int, default=500, help="random SIMs for the queries")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-resend", action="store_true")
    parser.add_argument(
        "--no-policy",
        action="store_true",
        help="no tariff nor policy rows before the ingest, no feed timing after it",
    )
    parser.add_argument("--profile", default="", help="cProfile of worker 0's ingest to FILE")
    args = parser.parse_args(argv)
    if min(args.sims, args.workers, args.batch, args.queries) < 1:
        parser.error("--sims, --workers, --batch and --queries must be positive")
    if min(args.history_days, args.history_months) < 0:
        parser.error("--history-days and --history-months cannot be negative")
    ok = True
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")

    t0 = time.perf_counter()
    url = prepare_database(args.db)
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    print(f"database recreated and migrated in {time.perf_counter() - t0:.1f} s")
    print(f"{args.sims:,} SIMs loaded in {load_sims(url, args.sims):.1f} s")

    now = datetime.now(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    if not args.no_policy:
        took = prepare_policy(url, args.sims, day)
        print(f"a tariff and the policy rows of {args.sims:,} SIMs in {took:.1f} s")
    engine = app_db.get_engine()
    if not args.skip_ingest:
        ok = send_and_check(args, url, day, engine)

    today = (now + timedelta(hours=3)).date()  # Moscow
    if args.history_days or args.history_months:
        final = usage_months.final_day(now)
        took = load_history(engine, args.sims, args.history_days, args.history_months, today, final)
        print(
            f"\nhistory for {args.sims:,} SIMs: {args.history_days} days of usage_day before"
            f" {today} ({args.sims * args.history_days:,} rows) and {args.history_months} months"
            f" of usage_month rolled up to {final}, loaded + VACUUM ANALYZE in {took:.1f} s"
        )
    for name, table_size, index_size in sizes(engine):
        print(f"  {name:<18} table {table_size:>10}  indexes {index_size:>10}")

    rng = random.Random(args.seed)
    picks = [rng.randint(1, args.sims) for _ in range(args.queries)]
    if args.cold:
        if drop_caches():
            print_times(
                f"\ndashboard reads for {args.queries} random SIMs, the page cache emptied"
                " first (cold), ms:",
                timed_queries(engine, picks, today, now),
                TARGET_QUERY_MS,
            )
        else:
            print("\n--cold: the page cache could not be emptied (not root); warm only")
    print_times(
        f"\ndashboard reads for {args.queries} random SIMs (warm), ms:",
        timed_queries(engine, picks, today, now),
        TARGET_QUERY_MS,
    )
    if not args.no_policy:
        pages = policy_pages(engine)
        print_times("\nthe policy feed (sims.policy.feed, GET /api/policy), ms:", pages, None)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
