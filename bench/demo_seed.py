"""How long the demo seed takes (what `make run` waits for on a fresh database).

    python bench/demo_seed.py [--repeat 3]

Each run migrates a new SQLite file in a temporary directory and seeds it (demo.seed_demo, the
fixed day the seed tests use, bcrypt at 4 rounds as in the tests); printed: each run's wall and
CPU seconds, the median, and the rows it wrote. The seed tests check what it writes, not its time.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PAYSIM_BCRYPT_ROUNDS", "4")

from alembic import command
from alembic.config import Config
from sqlmodel import Session

from paysim_app import demo
from paysim_app.db import make_engine

MSK = ZoneInfo("Europe/Moscow")
TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 15, 30, tzinfo=MSK)


def _fresh(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


def run_once() -> tuple[float, float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        os.environ["DATABASE_URL"] = url
        _fresh(url)
        engine = make_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                wall, cpu = time.perf_counter(), time.process_time()
                counts = demo.seed_demo(session, today=TODAY, now=NOW)
                session.commit()
                return time.perf_counter() - wall, time.process_time() - cpu, counts
        finally:
            engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    walls, cpus, counts = [], [], {}
    for n in range(1, args.repeat + 1):
        wall, cpu, counts = run_once()
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {n}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"median: {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU")
    print("rows:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
