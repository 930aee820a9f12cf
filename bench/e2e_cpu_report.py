"""Sum what bench/e2e_cpu.py wrote: the costliest files and tests, and where the CPU went.

    python bench/e2e_cpu_report.py <dir> [--top 25] [--compare <other dir>]

Core-seconds by process kind (pytest, Playwright's driver, Chromium, the app), and by call
(page loads, screenshots, axe-core, sign-ins through the form, `enter`, viewport changes; the
rest is clicks, typing and waiting). With --compare, the files' totals side by side.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

GROUPS = ("pytest", "driver", "chromium", "app")


def load(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


def group(cpu: dict[str, float]) -> dict[str, float]:
    out = dict.fromkeys(GROUPS, 0.0)
    for kind, value in cpu.items():
        head = kind.split(".")[0]
        out[head if head in out else "pytest"] += value
    return out


def total(row: dict) -> float:
    return sum(row["cpu"].values())


def by_file(rows: list[dict]) -> dict[str, dict]:
    files: dict[str, dict] = defaultdict(lambda: {"tests": 0, "cpu": 0.0, "wall": 0.0})
    for row in rows:
        f = files[row["test"].split("::")[0]]
        f["tests"] += 1
        f["cpu"] += total(row)
        f["wall"] += row["wall"]
    return files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    rows = load(args.folder)
    all_cpu = sum(map(total, rows))
    print(f"{len(rows)} tests, {all_cpu:.0f} core-s, {sum(r['wall'] for r in rows):.0f} s of tests")
    kinds: dict[str, float] = defaultdict(float)
    for row in rows:
        for kind, value in row["cpu"].items():
            kinds[kind] += value
    print("\nby process: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(kinds.items())))
    grouped = defaultdict(float)
    for kind, value in kinds.items():
        head = kind.split(".")[0]
        grouped[head if head in GROUPS else "pytest"] += value
    print("grouped: " + ", ".join(f"{k} {v:.0f} ({v / all_cpu:.0%})" for k, v in grouped.items()))

    calls: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in rows:
        for kind, (count, cost) in row["calls"].items():
            calls[kind][0] += count
            calls[kind][1] += cost
    spent = sum(c for _, c in calls.values())
    print("\nby call (core-s while the call ran; a page's work after load counts as the rest):")
    for kind, (count, cost) in sorted(calls.items(), key=lambda kv: -kv[1][1]):
        print(f"  {kind:14} {count:5d} calls {cost:7.0f} core-s  {cost / max(count, 1):.2f} each")
    print(f"  {'the rest':14}             {all_cpu - spent:7.0f} core-s")

    files = by_file(rows)
    other = by_file(load(args.compare)) if args.compare else {}
    print(f"\nfiles by CPU{' (compared: before -> now)' if other else ''}:")
    for name, f in sorted(files.items(), key=lambda kv: -kv[1]["cpu"]):
        was = f"{other[name]['cpu']:7.0f} -> " if name in other else ""
        print(f"  {was}{f['cpu']:7.0f} core-s {f['tests']:3d} tests {f['wall']:6.0f} s  {name}")

    print(f"\ntop {args.top} tests:")
    for row in sorted(rows, key=total, reverse=True)[: args.top]:
        g = group(row["cpu"])
        counts = " ".join(f"{k}={v[0]}" for k, v in sorted(row["calls"].items()))
        print(
            f"  {total(row):6.1f} (chromium {g['chromium']:.1f} app {g['app']:.1f}"
            f" pytest {g['pytest'] + g['driver']:.1f}) {row['test']}  [{counts}]"
        )


if __name__ == "__main__":
    main()
