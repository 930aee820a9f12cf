"""One heavy job started in the middle of a load level, through the app's own command line:
`import-sims` of a generated CSV, or `run-billing`. The level goes on until the job ends, so
every event sent while it ran is compared with the ones sent before it started."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
import time
from pathlib import Path

from stdnum import luhn

from bench.load_journeys import Deadline

ROOT = Path(__file__).resolve().parent.parent
# Numbers no other bench data uses (admin_data.py: ICCIDs 8970199..., MSISDNs +792...,
# IMSIs 25099...; import_sims.py: 8970199... / +7999...), so the import only creates; each
# of ten batches has its own MSISDN code +798X, so ten runs on one database never collide.
ICCID_PREFIX, MSISDN_PREFIX, IMSI_PREFIX = "8970177", "+798", "25077"
MAX_ROWS = 10_000_000  # the 7 digits after +798X


def write_sims_csv(path: Path, rows: int, batch: int) -> None:
    """`rows` (<= MAX_ROWS) new in-stock SIMs with valid Luhn ICCIDs; batch 0..9."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["iccid", "msisdn", "imsi", "status"])
        for n in range(rows):
            body = f"{ICCID_PREFIX}{batch}{n:010d}"
            writer.writerow(
                (
                    body + luhn.calc_check_digit(body),
                    f"{MSISDN_PREFIX}{batch}{n:07d}",
                    f"{IMSI_PREFIX}{batch}{n:09d}",
                    "in_stock",
                )
            )


class HeavyJob:
    def __init__(self, kind: str, db: str, work: Path, rows: int, args) -> None:
        self.kind, self.db, self.work, self.rows, self.args = kind, db, work, rows, args
        self.started = self.ended = math_nan()
        self.returncode: int | None = None
        self.log = work / f"heavy-{kind}-{os.getpid()}-{time.time_ns()}.log"

    def command(self) -> list[str]:
        if self.kind == "billing":
            day = ["--date", self.args.billing_date] if self.args.billing_date else []
            return [sys.executable, "-m", "paysim_app", "run-billing", *day]
        admin = "admin@paysim.demo" if self.args.demo else self.args.admin_login
        return [sys.executable, "-m", "paysim_app", "import-sims", str(self.csv), "--admin", admin]

    def describe(self) -> str:
        cmd = self.command()
        return " ".join(["python", *cmd[1:4], *(Path(c).name for c in cmd[4:])])

    def prepare(self) -> None:
        if self.kind == "import":
            self.csv = self.work / f"sims-{self.rows}.csv"
            # a new block of numbers per run: a second run must create, not find duplicates
            write_sims_csv(self.csv, min(self.rows, MAX_ROWS), batch=int(time.time()) % 10)

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    async def run_at(self, when: float, stop: Deadline) -> None:
        await asyncio.sleep(max(0.0, when - time.monotonic()))
        env = {**os.environ, "DATABASE_URL": self.db, "PAYSIM_SCHEDULER": "0"}
        with open(self.log, "w") as out:
            self.started = time.monotonic()
            proc = await asyncio.create_subprocess_exec(
                *self.command(), cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
            )
            while True:
                try:
                    self.returncode = await asyncio.wait_for(proc.wait(), 1.0)
                    break
                except TimeoutError:
                    if time.monotonic() - self.started > self.args.heavy_timeout:
                        proc.kill()
                        self.returncode = await proc.wait()
                        break
                    stop.at = max(stop.at, time.monotonic() + 1.5)  # the level waits for it
        self.ended = time.monotonic()
        tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
        for line in tail:
            print(f"  [{self.kind}] {line[:160]}")


def math_nan() -> float:
    return float("nan")
