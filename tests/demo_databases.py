"""Demo databases for the demo's tests (tests/test_demo_seed.py, tests/test_demo_usage.py), made
once per test run and copied to each user.

Seeding the demo costs ~3 core-s and `alembic upgrade head` ~1, and both files seeded the same
demo (same reference day and clock) several times, once more on each pytest-xdist worker that
ran one of their tests. Here an empty migrated SQLite file and two independently seeded ones
("a", and "b" for the determinism checks) are built under a file lock in a directory all the
run's workers share (the run's pytest base temp), then copied: a test still gets a database of
its own and may change it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from paysim_app import demo
from paysim_app.db import make_engine
from tests.conftest import alembic_config

MSK = ZoneInfo("Europe/Moscow")
TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 15, 30, tzinfo=MSK)


def _run_dir(tmp_path_factory) -> Path:
    """A directory every worker of this run sees (a worker's base temp is <run's>/popen-gwN)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    path = base / "demo-databases"
    path.mkdir(exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _migrated_template(tmp_path_factory) -> Path:
    where = _run_dir(tmp_path_factory)
    template = where / "migrated.db"
    with _locked(where / "migrated.lock"):
        if not template.exists():
            building = where / "migrated.db.part"
            from alembic import command

            command.upgrade(alembic_config(f"sqlite:///{building}"), "head")
            building.rename(template)
    return template


def migrated_copy(tmp_path_factory, target: Path) -> str:
    """A fresh copy of a database just migrated to head at `target`; returns its URL."""
    shutil.copyfile(_migrated_template(tmp_path_factory), target)
    return f"sqlite:///{target}"


def seeded_copy(tmp_path_factory, name: str, target: Path) -> tuple[dict, float]:
    """A copy of seeded demo database `name` ("a" or "b": two seeds made independently, each
    on a fresh migrated database, with TODAY and NOW) at `target`. Returns the seed's counts
    and the seconds seed_demo took when it was made. Call it with the demo's environment set
    (fast bcrypt, Europe/Moscow)."""
    where = _run_dir(tmp_path_factory)
    seeded, facts = where / f"seeded-{name}.db", where / f"seeded-{name}.json"
    with _locked(where / f"seeded-{name}.lock"):
        if not seeded.exists():
            building = where / f"seeded-{name}.db.part"
            engine = make_engine(migrated_copy(tmp_path_factory, building))
            try:
                with Session(engine, expire_on_commit=False) as session:
                    started = time.perf_counter()
                    counts = demo.seed_demo(session, today=TODAY, now=NOW)
                    session.commit()
                    seconds = time.perf_counter() - started
            finally:
                engine.dispose()
            facts.write_text(json.dumps({"counts": counts, "seconds": seconds}))
            building.rename(seeded)
    shutil.copyfile(seeded, target)
    made = json.loads(facts.read_text())
    return made["counts"], made["seconds"]
