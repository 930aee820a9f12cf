"""Pacing of long bulk jobs (billing, SIM imports) so the web workers beside them stay fast."""

from __future__ import annotations

import time


class Pacer:
    """Between two batches, pause `ratio` seconds per second of work, so a long run takes at
    most 1 / (1 + ratio) of a core (here and in the database) and the web workers beside it
    keep theirs: 1.0 halves the job's share and doubles its duration; 0 runs flat out.

    A job's first GRACE seconds of work are not paced: pacing protects the web from long jobs,
    and a short one (a preview of a few rows, a small cycle) would only wait. On a loaded
    machine every statement's wall time grows, and a three-row import preview that paused after
    each of its dozen statements took over 20 s; it now answers as fast as the machine can."""

    MAX_PAUSE = 2.0
    GRACE = 1.0

    def __init__(self, ratio: float = 0.0) -> None:
        self.ratio = max(0.0, ratio)
        self.worked = 0.0  # all the work so far, the pauses left out
        self.started = time.perf_counter()

    def batch_done(self) -> None:
        batch = time.perf_counter() - self.started
        self.worked += batch
        if self.ratio and self.worked > self.GRACE:
            time.sleep(min(batch * self.ratio, self.MAX_PAUSE))
        self.started = time.perf_counter()
