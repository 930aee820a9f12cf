"""Pacing of long bulk jobs (billing, SIM imports) so the web workers beside them stay fast."""

from __future__ import annotations

import time


class Pacer:
    """Between two batches, pause `ratio` seconds per second of work, so a long run takes at
    most 1 / (1 + ratio) of a core (here and in the database) and the web workers beside it
    keep theirs: 1.0 halves the job's share and doubles its duration; 0 runs flat out."""

    MAX_PAUSE = 2.0

    def __init__(self, ratio: float = 0.0) -> None:
        self.ratio = max(0.0, ratio)
        self.started = time.perf_counter()

    def batch_done(self) -> None:
        if self.ratio:
            worked = time.perf_counter() - self.started
            time.sleep(min(worked * self.ratio, self.MAX_PAUSE))
        self.started = time.perf_counter()
