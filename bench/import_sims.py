"""Benchmark of the CSV import of SIMs (`sims.importing.import_sims`).

    python bench/import_sims.py --rows 1000000 \\
        --db postgresql://root@127.0.0.1:5432/paysim_import_bench
    python bench/import_sims.py --rows 100000 --db sqlite:////tmp/import_bench.db

It creates the database named in --db (PostgreSQL: a dedicated database whose name contains
"bench", dropped and created again, and dropped at the end unless --keep; SQLite: the file is
deleted, and deleted at the end unless --keep), migrates it with alembic, adds a few partners and tariffs and one superadmin, and
writes a valid CSV of --rows SIMs (valid Luhn ICCIDs, unique MSISDNs and IMSIs, a mix of
statuses, partner and tariff codes, activation codes) in a temporary folder, streamed to disk.

Then, in this order and in one process (so the peak RSS covers them all):
1. the preview (dry_run=True, what the admin page runs on upload): time;
2. the import, applied (dry_run=False) and committed: time;
3. the same file again: everything "unchanged", nothing written: time;
4. a raw COPY of the same file into an unindexed table (PostgreSQL: `COPY ... FROM STDIN
   (FORMAT csv, HEADER)` fed in 1 MB blocks; SQLite: csv module + executemany): time;
and prints the times, the ratio import / raw COPY, and the peak RSS (resource.getrusage).
Exit code 1 when the import did not create every row or the second run changed anything.
"""

# ruff: noqa: E402  (the project root goes on sys.path and the environment is set first)

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["PAYSIM_DEMO"] = "0"
os.environ["PAYSIM_SCHEDULER"] = "0"
os.environ.setdefault("PAYSIM_BCRYPT_ROUNDS", "4")

from sqlalchemy import text
from sqlalchemy.engine import make_url
from stdnum import luhn

from bench.billing import point_app_at, prepare_database
from paysim_app.accounts import identity
from paysim_app.core.permissions import ROLE_SUPERADMIN
from paysim_app.db import make_engine, normalise_url, session_scope
from paysim_app.models import Partner, Tariff
from paysim_app.settings import get_settings
from paysim_app.sims import importing

PARTNERS = 20
TARIFFS = 4
STATUSES = (("in_stock", 0.7), ("awaiting_activation", 0.1), ("active", 0.15), ("blocked", 0.05))
HEADER = [*importing.COLUMNS, "activation_code"]


# --------------------------------------------------------------------------- the file


def make_iccid(serial: int) -> str:
    """A valid 19-digit ICCID: issuer prefix 89701 99, 11-digit serial, Luhn check digit."""
    body = f"8970199{serial:011d}"
    return body + luhn.calc_check_digit(body)


def make_msisdn(serial: int) -> str:
    return f"+7999{serial:07d}"


def make_imsi(serial: int) -> str:
    return f"25099{serial:010d}"


def write_csv(path: Path, rows: int, seed: int) -> int:
    """Stream `rows` valid SIM lines to `path` (comma, UTF-8); returns the size in bytes."""
    rng = random.Random(seed)
    names = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        block = []
        for n in range(1, rows + 1):
            block.append(
                (
                    make_iccid(n),
                    make_msisdn(n),
                    make_imsi(n),
                    rng.choices(names, weights)[0],
                    f"BENCH-P{rng.randint(1, PARTNERS):02d}" if rng.random() < 0.6 else "",
                    f"BENCH-T{rng.randint(1, TARIFFS)}",
                    "",
                    f"{rng.randrange(16**8):08X}",
                )
            )
            if len(block) == 10_000:
                writer.writerows(block)
                block = []
        writer.writerows(block)
    return path.stat().st_size


# --------------------------------------------------------------------------- the database


def seed(engine) -> None:
    with session_scope(engine) as session:
        for p in range(1, PARTNERS + 1):
            session.add(Partner(code=f"BENCH-P{p:02d}", name=f"Bench dealer {p}"))
        for t in range(1, TARIFFS + 1):
            session.add(Tariff(code=f"BENCH-T{t}", name=f"Bench {t}", monthly_fee_kop=t * 25000))
        identity.create_admin(session, "bench@paysim.example", "Bench-pass-1", ROLE_SUPERADMIN)


def admin_actor(engine):
    from sqlmodel import select

    from paysim_app.models import User

    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == "bench@paysim.example")).one()
        return identity.actor_for(session, user)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of this process, or of another one on this machine (the
    database backend serving the import: PostgreSQL on the same machine)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / TICKS


def run_import(engine, actor, path: Path, *, dry_run: bool) -> tuple[float, importing.ImportReport]:
    started = time.perf_counter()
    with session_scope(engine) as session:
        backend = None
        if engine.dialect.name == "postgresql":
            backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        cpu, server = cpu_seconds(), cpu_seconds(backend) if backend else 0.0
        report = importing.import_sims(
            session, actor, path, file_name=path.name, dry_run=dry_run, sample_size=200
        )
        cpu = cpu_seconds() - cpu
        server = (cpu_seconds(backend) - server) if backend else 0.0
    seconds = time.perf_counter() - started
    print(f"    CPU: Python {cpu:.1f} s, database backend {server:.1f} s (wall {seconds:.1f} s)")
    return seconds, report


def raw_copy(engine, path: Path) -> float:
    """The same file into a table without any index or constraint: the floor for the import."""
    columns = ", ".join(f"{c} TEXT" for c in HEADER)
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("DROP TABLE IF EXISTS bench_raw_copy")
            cur.execute(f"CREATE TABLE bench_raw_copy ({columns})")
            with cur.copy("COPY bench_raw_copy FROM STDIN (FORMAT csv, HEADER true)") as copy:
                with open(path, "rb") as fh:
                    while block := fh.read(1 << 20):
                        copy.write(block)
            raw.commit()
            seconds = time.perf_counter() - started
            cur.execute("SELECT count(*) FROM bench_raw_copy")
            copied = cur.fetchone()[0]
            cur.execute("DROP TABLE bench_raw_copy")
            raw.commit()
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_raw_copy")
            conn.exec_driver_sql(f"CREATE TABLE bench_raw_copy ({columns})")
            marks = ", ".join("?" * len(HEADER))
            with open(path, encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                block = []
                for row in reader:
                    block.append(tuple(row))
                    if len(block) == 20_000:
                        conn.exec_driver_sql(f"INSERT INTO bench_raw_copy VALUES ({marks})", block)
                        block = []
                if block:
                    conn.exec_driver_sql(f"INSERT INTO bench_raw_copy VALUES ({marks})", block)
        seconds = time.perf_counter() - started
        with engine.begin() as conn:
            copied = conn.exec_driver_sql("SELECT count(*) FROM bench_raw_copy").scalar()
            conn.exec_driver_sql("DROP TABLE bench_raw_copy")
    print(f"  raw COPY rows       {copied}")
    return seconds


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--db",
        required=True,
        help="postgresql://user@host:port/<name containing 'bench'> or sqlite:////path/file.db",
    )
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument("--keep", action="store_true", help="keep the database and the CSV")
    args = parser.parse_args(argv)
    url = prepare_database(normalise_url(args.db))
    point_app_at(url)
    engine = make_engine(url)
    backend = engine.dialect.name
    folder = Path(tempfile.mkdtemp(prefix="paysim-import-bench-"))
    path = folder / "sims.csv"
    ok = True
    try:
        seed(engine)
        actor = admin_actor(engine)
        started = time.perf_counter()
        size = write_csv(path, args.rows, args.seed)
        print(
            f"import bench: {args.rows} rows on {backend}, {os.cpu_count()} cores "
            f"(load average {os.getloadavg()[0]:.1f}), Python {sys.version.split()[0]}; "
            f"CSV {size / 1e6:.1f} MB written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        settings = get_settings()
        print(
            f"  pace {settings.paysim_import_pace} (PAYSIM_IMPORT_PACE"
            f"{', by pressure' if settings.paysim_pace_by_pressure else ''}), chunks of "
            f"{settings.paysim_import_chunk_rows} new SIMs (PAYSIM_IMPORT_CHUNK_ROWS)"
        )
        dry_s, dry = run_import(engine, actor, path, dry_run=True)
        print(
            f"  preview (dry run)   {dry_s:7.1f} s   would create {dry.created}, "
            f"rejected {dry.rejected}"
        )
        first_s, first = run_import(engine, actor, path, dry_run=False)
        print(
            f"  import (applied)    {first_s:7.1f} s   created {first.created}, "
            f"rejected {first.rejected}, error {first.error or '-'}"
        )
        ok &= first.created == args.rows and first.applied
        again_s, again = run_import(engine, actor, path, dry_run=False)
        print(
            f"  same file again     {again_s:7.1f} s   unchanged {again.unchanged}, "
            f"created {again.created}, updated {again.updated}"
        )
        ok &= again.unchanged == args.rows and not (again.created or again.updated)
        copy_s = raw_copy(engine, path)
        print(f"  raw COPY            {copy_s:7.1f} s   (unindexed table, same file)")
        print(f"  ratio import / COPY {first_s / copy_s:7.1f}")
        print(f"  peak RSS            {peak_rss_mb():7.0f} MB")
        limit = 60 if backend == "postgresql" else None
        if limit:
            verdict = "ok" if first_s <= limit else "TOO SLOW"
            print(f"  target              <= {limit} s and < 1536 MB: {verdict}")
            ok &= first_s <= limit and peak_rss_mb() < 1536
    finally:
        engine.dispose()
        if not args.keep:
            path.unlink(missing_ok=True)
            folder.rmdir()
            drop_database(url)
        else:
            print(f"kept {path} and the database")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
