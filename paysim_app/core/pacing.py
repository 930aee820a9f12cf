"""Pacing of long bulk jobs (billing, SIM imports) so the web workers beside them stay fast."""

from __future__ import annotations

import time
from pathlib import Path

# Linux's pressure stall information: since boot, the microseconds during which at least one
# task was ready to run but waited for a CPU, and those during which one waited for IO
PRESSURE_FILES = (Path("/proc/pressure/cpu"), Path("/proc/pressure/io"))


def stalled_us() -> int | None:
    """The machine's CPU and IO stall so far ("some" lines, summed), in microseconds; None
    where the kernel does not report it (not Linux, a kernel before 4.20, PSI switched off)."""
    total = 0
    try:
        for path in PRESSURE_FILES:
            some = path.read_text().split("\n", 1)[0]  # "some avg10=… avg60=… avg300=… total=N"
            total += int(some.rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None
    return total


class Pacer:
    """Between two batches, pause `ratio` seconds per second of work, so a long run takes at
    most 1 / (1 + ratio) of a core (here and in the database) and the web workers beside it
    keep theirs: 1.0 halves the job's share and doubles its duration; 0 runs flat out.

    A job's first GRACE seconds of work are not paced: pacing protects the web from long jobs,
    and a short one (a preview of a few rows, a small cycle) would only wait. On a loaded
    machine every statement's wall time grows, and a three-row import preview that paused after
    each of its dozen statements took over 20 s; it now answers as fast as the machine can.

    The pause makes room for others, so with `by_pressure` it is made only when there are
    others: the machine's stall over the last WINDOW or more of work (the share of that time in
    which some task waited for a CPU or for IO, which the job alone hardly causes: 2-4 % for a
    billing cycle with its database on this machine) scales it, none up to QUIET, the whole of
    it from BUSY (ten web users alone: 12-18 %).
    A night's billing on an idle machine then runs at full speed, and the same cycle beside a
    busy web pauses as much as before. Where the kernel does not report stalls the whole pause
    is made. The measurements: bench/README.md, "Pacing"."""

    MAX_PAUSE = 2.0
    GRACE = 1.0
    QUIET = 0.05
    BUSY = 0.15
    WINDOW = 1.0  # by pressure, the stall is judged over at least this much work

    def __init__(self, ratio: float = 0.0, *, by_pressure: bool = False) -> None:
        self.ratio = max(0.0, ratio)
        self.by_pressure = by_pressure
        self.worked = 0.0  # all the work so far, the pauses left out
        self.owed = 0.0  # the work since the last pause
        self.paused = 0.0
        self._start()

    def _start(self) -> None:
        self.started = time.perf_counter()
        self.stall_at = stalled_us() if self.by_pressure else None

    def share(self, work: float) -> float:
        """The part of the full pause that `work` seconds since the stall mark call for (0..1)."""
        if self.stall_at is None or work <= 0:
            return 1.0
        now = stalled_us()
        if now is None:
            return 1.0
        stall = (now - self.stall_at) / 1e6 / work
        return min(1.0, max(0.0, (stall - self.QUIET) / (self.BUSY - self.QUIET)))

    def batch_done(self) -> None:
        batch = time.perf_counter() - self.started
        self.worked += batch
        self.owed += batch
        if not self.ratio or self.worked <= self.GRACE:
            self.owed = 0.0
        elif self.by_pressure and self.owed < self.WINDOW:
            # a short batch's stall is noise (a 0.1 s batch meets 5 % in one 5 ms wait for a
            # core): the window goes on, its stall mark kept
            self.started = time.perf_counter()
            return
        else:
            pause = min(self.owed * self.ratio * self.share(self.owed), self.MAX_PAUSE)
            self.owed = 0.0
            if pause > 0:
                time.sleep(pause)
                self.paused += pause
        self._start()
