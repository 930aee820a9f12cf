"""The admin SIM list's first page (newest first) while a big SIM import runs beside it.

    python bench/import_beside_list.py --db postgresql://root@127.0.0.1:5432/paysim_bench_load

For each `--chunk-rows` value (PAYSIM_IMPORT_CHUNK_ROWS: 0 = the import in one transaction,
5000 = the default chunks) it writes a CSV of `--rows` new SIMs (bench/load_heavy.py's number
blocks, a new block per run), starts `python -m paysim_app import-sims` on it, and meanwhile
turns to the list's first page every 100 ms through the same service the page calls
(listing.fetch_page with admin_sims.SIM_LIST, no count, like a page turn). It prints the import's
time and the page's p50 / p95 / max before and during the import.

Why: one transaction inserting a million SIMs leaves a million uncommitted entries at the top
of the primary key, and the newest-first page walks backward through all of them.
The database GROWS by `--rows` SIMs per value: use a copy of the bench database
(`createdb -T paysim_bench paysim_bench_load`), never the shared one.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("PAYSIM_SCHEDULER", "0")

from sqlalchemy import select
from sqlmodel import Session

from bench.admin_lists import p95
from bench.load_heavy import write_sims_csv
from paysim_app.accounts import identity
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.db import make_engine
from paysim_app.models import User
from paysim_app.sims import inventory

PROBE_EVERY = 0.1  # seconds between two page turns


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="a database whose name contains 'bench'")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", default="0,5000", help="comma-separated values")
    parser.add_argument("--pace", default="", help="PAYSIM_IMPORT_PACE (default: the app's)")
    parser.add_argument(
        "--batch", type=int, default=None, help="the first number block (0..9; default: by time)"
    )
    args = parser.parse_args()
    if "bench" not in args.db.rsplit("/", 1)[-1]:
        parser.error("--db must name a bench database (the import adds --rows SIMs to it)")
    engine = make_engine(args.db)
    with Session(engine) as session:
        admin = session.execute(
            select(User).where(User.role == "admin").order_by(User.id).limit(1)
        ).scalar_one()
        actor, login = identity.actor_for(session, admin), admin.email

    def page() -> float:
        start = time.perf_counter()
        with Session(engine) as s:
            fetch_page(s, actor, inventory.SIM_LIST, ListQuery(page=1, page_size=25), count=False)
        return (time.perf_counter() - start) * 1000

    print(f"{os.cpu_count()} cores; {args.rows} new SIMs per import")
    with tempfile.TemporaryDirectory() as work:
        for n, chunk in enumerate(int(c) for c in args.chunk_rows.split(",")):
            csv = Path(work) / "sims.csv"
            first = int(time.time()) if args.batch is None else args.batch
            write_sims_csv(csv, args.rows, batch=(first + n) % 10)
            before = [page() for _ in range(50)]
            env = {
                **os.environ,
                "DATABASE_URL": args.db,
                "PAYSIM_IMPORT_CHUNK_ROWS": str(chunk),
                **({"PAYSIM_IMPORT_PACE": args.pace} if args.pace else {}),
            }
            command = [sys.executable, "-m", "paysim_app", "import-sims", str(csv)]
            log = Path(work) / "import.log"
            started = time.monotonic()
            with open(log, "w") as out:
                job = subprocess.Popen(
                    [*command, "--admin", login], env=env, stdout=out, stderr=subprocess.STDOUT
                )
                during = []
                while job.poll() is None:
                    during.append(page())
                    time.sleep(PROBE_EVERY)
            seconds = time.monotonic() - started
            if job.returncode != 0:
                print(log.read_text()[-2000:])
                return 1
            with os.popen("cat /proc/loadavg") as f:
                load = f.read().split()[0]
            print(
                f"chunk rows {chunk or 'none (one transaction)'}: import {seconds:.1f} s, load {load}"
            )
            for name, times in (("before", before), ("during", during)):
                print(
                    f"  first page {name:6}: n={len(times):5}  p50 {statistics.median(times):7.2f}"
                    f"  p95 {p95(times):7.2f}  max {max(times):7.2f} ms"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
