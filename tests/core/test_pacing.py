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


def _paced(monkeypatch, clock, stalls, ratio=2.0):
    """A pressure-aware Pacer on a scripted clock and stall counter; returns (pacer, pauses)."""
    ticks, stalled = iter(clock), iter(stalls)
    slept = []
    monkeypatch.setattr(pacing.time, "perf_counter", lambda: next(ticks))
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    monkeypatch.setattr(pacing, "stalled_us", lambda: next(stalled))
    return pacing.Pacer(ratio, by_pressure=True), slept


def test_by_pressure_the_pause_follows_the_stall_of_the_batch(monkeypatch):
    # five batches of 1 s after a first one within the grace; the machine's stall in each:
    # 2 % (the job alone), 10 %, 15 %, 60 %, and a counter that has gone away
    clock = [0.0] + [t for n in range(1, 7) for t in (float(n), float(n))]
    stalls = [0, 0, 20_000, 120_000, 270_000, 870_000, None]
    pacer, slept = _paced(monkeypatch, clock, stalls[:2] + [s for s in stalls[2:] for _ in (0, 1)])
    for _ in range(6):
        pacer.batch_done()
    # nothing while quiet, half of 2.0 halfway between QUIET and BUSY, then the whole (capped)
    assert slept == [pytest.approx(1.0), 2.0, 2.0, 2.0]
    assert pacer.paused == pytest.approx(7.0)


def test_without_pressure_information_the_whole_pause_is_made(monkeypatch):
    clock = [0.0, 2.0, 2.0, 3.0, 3.0]
    pacer, slept = _paced(monkeypatch, clock, [None, None, None], ratio=0.5)
    pacer.batch_done()
    pacer.batch_done()
    assert slept == [pytest.approx(1.0), pytest.approx(0.5)]


def test_the_stall_counter_reads_the_kernel_or_says_it_cannot(monkeypatch, tmp_path):
    cpu, io = tmp_path / "cpu", tmp_path / "io"
    cpu.write_text("some avg10=1.00 avg60=0.50 avg300=0.10 total=1500\nfull avg10=0 total=0\n")
    io.write_text("some avg10=0.00 avg60=0.00 avg300=0.00 total=25\nfull total=20\n")
    monkeypatch.setattr(pacing, "PRESSURE_FILES", (cpu, io))
    assert pacing.stalled_us() == 1525
    io.write_text("garbage\n")
    assert pacing.stalled_us() is None
    monkeypatch.setattr(pacing, "PRESSURE_FILES", (tmp_path / "missing",))
    assert pacing.stalled_us() is None


def test_by_pressure_short_batches_are_judged_together(monkeypatch):
    # a first batch within the grace, then four of 0.25 s: one judgement over their second, whose stall
    # (100 ms: 10 %) calls for half of the pause; the single batches' own shares do not matter
    clock = [0.0, 1.0, 1.0] + [t for n in range(1, 5) for t in (1.0 + n / 4, 1.0 + n / 4)]
    stalls = [0, 0, 100_000, 100_000]
    pacer, slept = _paced(monkeypatch, clock, stalls)
    for _ in range(5):
        pacer.batch_done()
    assert slept == [pytest.approx(1.0)]  # 1 s of work x 2.0 x a half
