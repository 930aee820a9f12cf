"""What each index of the `sim` table costs a bulk insert of new SIMs (PostgreSQL).

    python bench/sim_index_cost.py --db postgresql://root@127.0.0.1:5432/paysim_import_bench_idx

The database named in --db (its name must contain "bench") is DROPPED, created and migrated to
head. A source table of --rows SIMs shaped like an import's new ones (sequential ICCIDs,
MSISDNs and IMSIs, 60 % with a partner, every one with a tariff, no subscriber) is generated
once; then, for each variant, `sim` is emptied, its secondary indexes are dropped, the variant's
are created, and the rows are inserted the way the import writes them (`INSERT ... SELECT` in
chunks of --chunk rows, each committed). It prints, per variant, the wall time and the CPU time
of the database backend that did the insert (/proc/<pid>/stat: robust to the machine's other
load, as long as the server runs on this machine), and the WAL written.

Variants: "bare" (the primary key and the three unique numbers only: what no design can drop),
"bare + X" for each other index X of today's schema, "today" (all of them), and the candidate
search structures for the numbers.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg

from bench.billing import point_app_at, prepare_database
from bench.import_sims import seed
from paysim_app.db import make_engine

TICKS = os.sysconf("SC_CLK_TCK")
NUMBERS = "(msisdn || ' ' || iccid || ' ' || imsi)"


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process on this machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--only", default="", help="variant names separated by |")
    args = parser.parse_args()
    url = prepare_database(args.db)
    point_app_at(url)
    engine = make_engine(url)
    seed(engine)  # the import bench's partners, tariffs and superadmin
    engine.dispose()
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        run = conn.execute
        existing = {
            name: sql
            for name, sql in run(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sim'"
            ).fetchall()
        }
        # the primary key and the unique numbers (constraints: no design drops them)
        bare = {n for n in existing if n.startswith(("pk_", "uq_")) or n.endswith("_key")}
        # today's schema before migration 0037: one trigram index per number
        extra = {n: s for n, s in existing.items() if n not in bare and n != "ix_sim_numbers_trgm"}
        for column in ("msisdn", "iccid", "imsi"):
            extra[f"ix_sim_{column}_trgm"] = (
                f"CREATE INDEX ix_sim_{column}_trgm ON sim USING gin ({column} gin_trgm_ops)"
            )
        print(f"sim indexes: {len(existing)}; kept in every variant: {sorted(bare)}")
        run(
            f"""CREATE UNLOGGED TABLE bench_src AS SELECT g AS line,
                '8970199' || lpad(g::text, 11, '0') || (g % 10) AS iccid,
                '+7999' || lpad(g::text, 7, '0') AS msisdn,
                '25099' || lpad(g::text, 10, '0') AS imsi,
                (ARRAY['in_stock','in_stock','in_stock','awaiting_activation','active',
                       'blocked'])[1 + g % 6] AS status,
                CASE WHEN g % 5 < 3 THEN (SELECT min(id) FROM partner) + g % 20 END AS partner_id,
                (SELECT min(id) FROM tariff) + g % 4 AS tariff_id
            FROM generate_series(1, {args.rows}) g"""
        )
        run("CREATE INDEX ON bench_src (line)")
        run("VACUUM ANALYZE bench_src")
        variants: list[tuple[str, list[str]]] = [("bare", []), ("bare, no partner/tariff", [])]
        variants += [(f"bare + {n}", [s]) for n, s in sorted(extra.items())]
        variants.append(("today", list(extra.values())))
        no_trgm = [s for n, s in extra.items() if not n.endswith("_trgm")]
        variants += [
            ("today without trigram", no_trgm),
            (
                "bare + one numbers trigram",
                [f"CREATE INDEX ix_num ON sim USING gin ({NUMBERS} gin_trgm_ops)"],
            ),
            (
                "today, one numbers trigram instead of three",
                [*no_trgm, f"CREATE INDEX ix_num ON sim USING gin ({NUMBERS} gin_trgm_ops)"],
            ),
            (
                "today, one numbers trigram, 64 MB pending list",
                [*no_trgm, f"CREATE INDEX ix_num ON sim USING gin ({NUMBERS} gin_trgm_ops)"],
            ),
            (
                "bare + reverse(msisdn), reverse(iccid) btree",
                [
                    "CREATE INDEX ix_rm ON sim (reverse(msisdn) text_pattern_ops)",
                    "CREATE INDEX ix_ri ON sim (reverse(iccid) text_pattern_ops)",
                ],
            ),
        ]
        if args.only:
            wanted = set(args.only.split("|"))
            variants = [v for v in variants if v[0] in wanted]
        pid = run("SELECT pg_backend_pid()").fetchone()[0]
        print(f"{args.rows} rows, chunks of {args.chunk}; load average {os.getloadavg()[0]:.1f}")
        print(f"{'variant':58} {'wall s':>7} {'cpu s':>7} {'WAL MB':>7}")
        for name, creates in variants:
            run("TRUNCATE sim CASCADE")
            for index in [*existing, *extra, "ix_num", "ix_rm", "ix_ri"]:
                if index not in bare:
                    run(f"DROP INDEX IF EXISTS {index}")
            for sql in creates:
                run(sql)
            run("CHECKPOINT")
            wal0 = run("SELECT pg_current_wal_lsn()").fetchone()[0]
            refs = None if "no partner" in name else 1  # NULL: no foreign key to check
            pending = "pending list" in name
            run(f"SET gin_pending_list_limit = '{'64MB' if pending else '4MB'}'")
            cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
            for first in range(1, args.rows + 1, args.chunk):
                run(
                    """INSERT INTO sim (iccid, msisdn, imsi, status, partner_id, tariff_id,
                        activation_code_hash, label, billing_day, puk,
                        activated_at, created_at, updated_at)
                    SELECT iccid, msisdn, imsi, status, partner_id * %s, tariff_id * %s, NULL,
                        '', 1, '', NULL, now(), now()
                    FROM bench_src WHERE line >= %s AND line < %s ORDER BY line""",
                    (refs, refs, first, first + args.chunk),
                )
            if pending:  # merged in one go at the end, as the import does
                run("SELECT gin_clean_pending_list('ix_num')")
            wall, cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
            wal = run(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", (str(wal0),)
            ).fetchone()[0]
            print(f"{name:58} {wall:7.2f} {cpu:7.2f} {float(wal) / 1e6:7.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
