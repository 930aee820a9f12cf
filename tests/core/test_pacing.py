"""The Pacer of bulk jobs: a pause in proportion to the work, capped, none when flat out."""

from __future__ import annotations

import pytest

from paysim_app.core import pacing


def test_the_pacer_pauses_in_proportion_to_the_work_and_never_long(monkeypatch):
    clock = iter([0.0, 0.6, 0.6, 1.2, 1.2, 11.2, 11.2, 11.5, 11.5, 12.0, 13.0, 13.0])
    slept = []
    monkeypatch.setattr(pacing.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    pacer = pacing.Pacer(1.0)
    pacer.batch_done()  # 0.6 s of work in all: within the grace, no pause
    pacer.batch_done()  # 1.2 s in all: 0.6 s of pause for this batch's 0.6 s
    pacer.batch_done()  # 10 s of work: the pause is capped
    pacer.batch_done()  # 0.3 s: 0.3 s
    assert slept == [pytest.approx(0.6), pacing.Pacer.MAX_PAUSE, pytest.approx(0.3)]
    flat_out = pacing.Pacer(0.0)
    flat_out.batch_done()
    assert len(slept) == 3


def test_a_short_job_is_not_paced(monkeypatch):
    """A few rows' preview: a dozen batches of 50 ms each never wait, however high the ratio."""
    ticks = iter(t / 20 for t in range(100))
    slept = []
    monkeypatch.setattr(pacing.time, "perf_counter", lambda: next(ticks))
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    pacer = pacing.Pacer(3.0)
    for _ in range(12):
        pacer.batch_done()
    assert slept == []
