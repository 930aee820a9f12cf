"""Timings of the load run: every sample, percentiles per event, and the printed tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    label: str
    at: float  # time.monotonic() when the event was sent
    seconds: float  # until its end; 0.0 for an error
    error: str = ""


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Row:
    label: str
    count: int  # completed events
    errors: int
    p50: float
    p95: float
    p99: float
    max: float

    def as_dict(self) -> dict:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in vars(self).items()
        }


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)

    def ok(self, label: str, at: float, seconds: float) -> None:
        self.samples.append(Sample(label, at, seconds))

    def error(self, label: str, at: float, message: str) -> None:
        self.samples.append(Sample(label, at, 0.0, message))

    def rows(self, keep=lambda s: True) -> list[Row]:
        by_label: dict[str, list[Sample]] = {}
        for s in self.samples:
            if keep(s):
                by_label.setdefault(s.label, []).append(s)
        rows = []
        for label, samples in by_label.items():
            times = sorted(s.seconds for s in samples if not s.error)
            rows.append(
                Row(
                    label,
                    len(times),
                    sum(1 for s in samples if s.error),
                    percentile(times, 50),
                    percentile(times, 95),
                    percentile(times, 99),
                    times[-1] if times else math.nan,
                )
            )
        return sorted(rows, key=lambda r: r.label)

    def errors(self) -> dict[str, int]:
        """Error messages and how often each came (the first 120 characters)."""
        out: dict[str, int] = {}
        for s in self.samples:
            if s.error:
                key = f"{s.label}: {s.error[:120]}"
                out[key] = out.get(key, 0) + 1
        return out


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def table(rows: list[Row]) -> str:
    width = max([len(r.label) for r in rows] + [5])
    lines = [
        f"{'event':<{width}}  {'count':>6}  {'errors':>6}  {'p50 ms':>8}  {'p95 ms':>8}  "
        f"{'p99 ms':>8}  {'max ms':>8}"
    ]
    for r in rows:
        lines.append(
            f"{r.label:<{width}}  {r.count:>6}  {r.errors:>6}  {ms(r.p50):>8}  {ms(r.p95):>8}  "
            f"{ms(r.p99):>8}  {ms(r.max):>8}"
        )
    return "\n".join(lines)
