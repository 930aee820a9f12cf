"""The Pacer of bulk jobs: a pause in proportion to the work, capped, none when flat out."""

from __future__ import annotations

import pytest

from paysim_app.core import pacing


def test_the_pacer_pauses_in_proportion_to_the_work_and_never_long(monkeypatch):
    clock = iter([0.0, 0.3, 0.3, 10.3, 10.3, 11.0, 12.0, 12.0])
    slept = []
    monkeypatch.setattr(pacing.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    pacer = pacing.Pacer(1.0)
    pacer.batch_done()  # 0.3 s of work: 0.3 s of pause
    pacer.batch_done()  # 10 s of work: the pause is capped
    assert slept == [pytest.approx(0.3), pacing.Pacer.MAX_PAUSE]
    flat_out = pacing.Pacer(0.0)
    flat_out.batch_done()
    assert len(slept) == 2
