"""Timing of the usage pages' reads (sims.usage_view) on PostgreSQL at N SIMs:

    python bench/usage_traffic.py --sims 100000        # database paysim_usage_traffic_bench

It DROPS and creates the database named in --db (its name must contain "bench"), migrates it,
loads N active SIMs (bench/usage.py's COPY) on 6 tariffs and 50 partners, and --days days of
usage_day per SIM up to today (one INSERT ... SELECT). Then, each --runs times (best and median
printed):

- `usage_view.traffic` for the current month by tariff and by partner (the statistics page's
  GROUP BY over the month's usage_day joined to sim),
- `usage_view.partner_totals` for a page of 25 of a partner's SIMs,
- `usage_view.sim_usage` of one SIM (the dashboard card; usage_hour is empty here, so this is
  its usage_day part and the allowance's fixed queries).
"""

# ruff: noqa: E402  (the project root goes on sys.path and the environment is set first)

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["PAYSIM_DEMO"] = "0"
os.environ["PAYSIM_SCHEDULER"] = "0"

from sqlalchemy import text
from sqlmodel import Session

from bench.admin_data import prepare_database
from bench.usage import load_history, load_sims
from paysim_app import db as app_db
from paysim_app.core.permissions import PERMISSIONS, Actor
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import Partner, Tariff
from paysim_app.settings import get_settings
from paysim_app.sims import usage_view

DEFAULT_DB = "postgresql://root@127.0.0.1:5432/paysim_usage_traffic_bench"
TARIFFS, PARTNERS = 6, 50


def spread(engine, sims: int) -> None:
    """Tariffs and partners for the SIMs: SIM i gets tariff i % 6 and partner i % 50."""
    with Session(engine) as session:  # through the models: their defaults and constraints
        session.add_all(
            Tariff(id=i, code=f"BT{i}", name=f"Тариф {i}", monthly_fee_kop=50000, data_gb=10 * i)
            for i in range(1, TARIFFS + 1)
        )
        session.add_all(
            Partner(id=i, code=f"BP{i:03d}", name=f"Дилер {i}", commission_bp=500)
            for i in range(1, PARTNERS + 1)
        )
        session.commit()
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE sim SET tariff_id = 1 + id % :t, partner_id = 1 + id % :p,"
                " subscriber_id = NULL"
            ),
            {"t": TARIFFS, "p": PARTNERS},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE sim"))


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("PAYSIM_BENCH_TRAFFIC_DB", DEFAULT_DB))
    parser.add_argument("--sims", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=62, help="days of usage_day per SIM")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if args.days < 62:
        parser.error("--days: at least 62, so that last month is whole")

    url = prepare_database(args.db)
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    engine = app_db.get_engine()
    print(f"{args.sims:,} SIMs loaded in {load_sims(url, args.sims):.1f} s")
    spread(engine, args.sims)
    today = moscow_date(datetime.now(UTC))
    took = load_history(engine, args.sims, args.days, today + timedelta(days=1))
    first = today.replace(day=1)
    with engine.connect() as conn:
        month_rows, last_rows = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE day >= :first),"
                " count(*) FILTER (WHERE day >= :before AND day < :first) FROM usage_day"
            ),
            {"first": first, "before": usage_view.months_back(first, 1)},
        ).one()
    print(f"{args.days} days of usage_day per SIM loaded in {took:.1f} s")
    print(f"this month ({today:%Y-%m}, to {today:%d}): {month_rows:,} usage_day rows")
    print(f"last month: {last_rows:,} usage_day rows\n")

    admin = Actor(user_id=1, role="admin", permissions=frozenset(PERMISSIONS))
    partner = Actor(user_id=2, role="partner", partner_id=7)
    month = today.strftime("%Y-%m")
    full = usage_view.months_back(today.replace(day=1), 1).strftime("%Y-%m")  # a whole month
    page = list(range(7 - 1, 7 - 1 + 25 * PARTNERS, PARTNERS))  # 25 SIMs of partner 7
    for name, fn in (
        (f"traffic by tariff {month}", lambda: usage_view.traffic(admin, month, "tariff")),
        (f"traffic by tariff {full}", lambda: usage_view.traffic(admin, full, "tariff")),
        (f"traffic by partner {full}", lambda: usage_view.traffic(admin, full, "partner")),
        ("partner_totals (25 SIMs)", lambda: usage_view.partner_totals(partner, page)),
        ("sim_usage (one SIM's card)", lambda: usage_view.sim_usage(admin, 12345 % args.sims)),
    ):
        best, median = timed(fn, args.runs)
        print(f"{name:30} best {best:9.1f} ms   median {median:9.1f} ms")
    rows = usage_view.traffic(admin, month, "tariff")
    print(f"\n{len(rows)} tariffs, {sum(r.sims for r in rows):,} SIMs with usage this month")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
