"""What one check of a limit on abuse costs (core.rate_limits), per storage.

    python bench/rate_limits.py [--db postgresql://root@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/15] [--repeat 2000]

Times `hit` (a registration-style count) and `check` + `count` (a failure-style pair) against
the database storage (an empty migrated SQLite file, and PostgreSQL when --db is given) and
Redis (when --redis answers), each inside a transaction like a service's, with keys spread over
1 000 addresses. Prints p50 / p95 in milliseconds: the limits sit on sign-in, card attempts and
uploads, so a check should cost a fraction of the bcrypt or gateway call it guards.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("PAYSIM_SCHEDULER", "0")
os.environ["PAYSIM_RATE_LIMITS"] = "register.ip=1000000/hour;card.ip=1000000/hour"

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlmodel import Session

from paysim_app.core import rate_limits
from paysim_app.db import make_engine
from paysim_app.settings import get_settings


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _migrated(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = url
    command.upgrade(config, "head")


def _run(label: str, engine, repeat: int) -> None:
    hits, pairs = [], []
    for i in range(repeat):
        ip = f"198.51.{i % 1000 // 250}.{i % 250}"
        with Session(engine) if engine is not None else _NoSession() as session:
            start = time.perf_counter()
            rate_limits.hit(session, "register.ip", ip)
            if engine is not None:
                session.commit()
            hits.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            rate_limits.check(session, "card.ip", ip)
            rate_limits.count(session, "card.ip", ip)
            if engine is not None:
                session.commit()
            pairs.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<12} hit p50 {statistics.median(hits):6.2f} p95 {p95(hits):6.2f} ms   "
        f"check+count p50 {statistics.median(pairs):6.2f} p95 {p95(pairs):6.2f} ms"
    )


class _NoSession:
    """Redis needs no database session."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", help="a scratch PostgreSQL database: migrated to head, its rate_counter emptied"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'limits.db'}"
        _migrated(url)
        os.environ.pop("REDIS_URL", None)
        get_settings.cache_clear()
        rate_limits.reset_caches()
        engine = make_engine(url)
        _run("sqlite", engine, args.repeat)
        engine.dispose()
    if args.db:
        _migrated(args.db)
        engine = make_engine(args.db)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rate_counter"))
        _run("postgresql", engine, args.repeat)
        engine.dispose()
    os.environ["REDIS_URL"] = args.redis
    get_settings.cache_clear()
    rate_limits.reset_caches()
    try:
        rate_limits.check(None, "card.ip", "bench-probe")
    except Exception as exc:  # noqa: BLE001 - no Redis here: say so and stop
        print(f"redis        not measured: {exc}")
        return 0
    _run("redis", None, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
