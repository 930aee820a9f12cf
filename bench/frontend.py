"""Lighthouse over the production build: score, LCP, TBT, CLS and script bytes per page.

    .venv/bin/python bench/frontend.py --url http://localhost:3000 --admin-password '...'

Pages: the login page, the subscriber dashboard (/cabinet, signed in), the admin SIM list
(/admin/sims, signed in) and, as the baseline, an almost empty page of the same build (the
app's 404 page). Each page runs `--runs` times (median printed) with Lighthouse's desktop and
mobile presets. Lighthouse 13 and puppeteer-core (pinned in bench/frontend/package.json) are
installed on first use into `.tools/lighthouse/` with npm; Chromium is /usr/bin/chromium
(never downloaded). A signed-in page is reached by signing in through the real form first;
every run then starts with a cold HTTP cache but keeps LocalStorage (the session token).

Targets: desktop >= 95, mobile >= 80, CLS <= 0.05, script bytes <= 2x the empty page.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench" / "frontend"
NODE_BIN = ROOT / ".tools" / "node_modules" / ".bin"
RUNNER = "lighthouse_run.mjs"

TARGET_SCORE = {"desktop": 95, "mobile": 80}
TARGET_CLS = 0.05
TARGET_SCRIPT_RATIO = 2.0


def ensure_tools(tools: Path) -> None:
    """Install the pinned packages into `tools` when missing or when the pins changed."""
    tools.mkdir(parents=True, exist_ok=True)
    wanted = [HERE / "package.json", HERE / "package-lock.json"]
    current = all(
        (tools / f.name).exists() and filecmp.cmp(f, tools / f.name, shallow=False) for f in wanted
    )
    if not current or not (tools / "node_modules" / "lighthouse").is_dir():
        for f in wanted:
            shutil.copy(f, tools / f.name)
        print(f"installing Lighthouse into {tools} ...", file=sys.stderr)
        subprocess.run(
            ["npm", "ci", "--prefix", str(tools), "--no-audit", "--no-fund"],
            check=True,
            env=node_env(),
        )
    # ESM imports resolve from the script's own folder, so the runner sits beside node_modules
    shutil.copy(HERE / RUNNER, tools / RUNNER)


def node_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_page(args, tools: Path, path: str, preset: str, login: dict | None) -> dict:
    job = {
        "base": args.url.rstrip("/"),
        "path": path,
        "preset": preset,
        "runs": args.runs,
        "chrome": args.chrome,
        "login": login,
        "ignoreStatusCode": path == args.empty_path,
    }
    proc = subprocess.run(
        [str(NODE_BIN / "node"), str(tools / RUNNER), json.dumps(job)],
        capture_output=True,
        text=True,
        env=node_env(),
        timeout=args.timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{path} ({preset}) failed:\n{proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


def medians(runs: list[dict]) -> dict:
    keys = ("score", "fcp", "lcp", "tbt", "cls", "scriptBytes", "scriptCount", "domSize")
    return {k: statistics.median(r[k] or 0 for r in runs) for k in keys}


def print_table(results: dict, baseline: str) -> None:
    print(
        f"\n{'page':<12} {'preset':<8} {'score':>5} {'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7} "
        f"{'CLS':>6} {'JS KB':>7} {'x base':>6} {'scripts':>7} {'DOM':>6}  verdict"
    )
    for (page, preset), res in results.items():
        m = res["median"]
        base = results.get((baseline, preset))
        ratio = m["scriptBytes"] / base["median"]["scriptBytes"] if base else float("nan")
        misses = []
        if m["score"] < TARGET_SCORE[preset]:
            misses.append(f"score<{TARGET_SCORE[preset]}")
        if m["cls"] > TARGET_CLS:
            misses.append(f"CLS>{TARGET_CLS}")
        if page != baseline and ratio > TARGET_SCRIPT_RATIO:
            misses.append(f"JS>{TARGET_SCRIPT_RATIO:g}x")
        print(
            f"{page:<12} {preset:<8} {m['score']:>5.0f} {m['fcp']:>7.0f} {m['lcp']:>7.0f} "
            f"{m['tbt']:>7.0f} {m['cls']:>6.3f} {m['scriptBytes'] / 1024:>7.0f} {ratio:>6.2f} "
            f"{m['scriptCount']:>7.0f} {m['domSize']:>6.0f}  {', '.join(misses) or 'ok'}"
        )


def print_detail(results: dict) -> None:
    """The last run's evidence for a miss: biggest chunks, layout shifts, long tasks."""
    for (page, preset), res in results.items():
        d = res["detail"]
        print(f"\n--- {page} / {preset}")
        print("  LCP element:", d["lcpElement"], d["lcpPhases"])
        for s in d["scripts"][:8]:
            print(
                f"  script {s['transfer'] / 1024:7.1f} KB ({s['resource'] / 1024:7.1f} KB raw)"
                f"  {s['url']}"
            )
        for s in d["layoutShifts"]:
            print(f"  shift {s['score']:.4f} {s['node']} {s['causes']}")
        for t in d["longTasks"]:
            print(f"  long task {t['ms']} ms at {t['start']} ms  {t['url']}")
        for b in d["bootup"][:5]:
            print(f"  bootup {b['total']} ms (scripting {b['scripting']})  {b['url']}")
        for u in d["unusedJs"][:5]:
            print(
                f"  unused JS {u['wastedBytes'] / 1024:.0f} of {u['totalBytes'] / 1024:.0f} KB"
                f"  {u['url']}"
            )
        for r in d["renderBlocking"]:
            print(f"  render-blocking {r['ms']} ms  {r['url']}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:3000", help="the production app")
    parser.add_argument("--runs", type=int, default=5, help="Lighthouse runs per page and preset")
    parser.add_argument("--presets", default="desktop,mobile")
    parser.add_argument(
        "--pages",
        default="empty,login,cabinet,admin_sims",
        help="subset of the four, comma-separated",
    )
    parser.add_argument("--empty-path", default="/no-such-page", help="the baseline page")
    parser.add_argument("--subscriber-login", default="client1@bench.example.com")
    parser.add_argument("--subscriber-password", default="bench-password-1")
    parser.add_argument("--admin-login", default="admin@paysim.example")
    parser.add_argument(
        "--admin-password",
        default=os.environ.get("PAYSIM_BENCH_ADMIN_PASSWORD", ""),
        help="printed by bench/admin_data.py (env PAYSIM_BENCH_ADMIN_PASSWORD)",
    )
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    parser.add_argument("--tools", type=Path, default=ROOT / ".tools" / "lighthouse")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per page and preset")
    parser.add_argument("--detail", action="store_true", help="print chunks, shifts, long tasks")
    parser.add_argument("--json", type=Path, help="write every run's figures to this file")
    args = parser.parse_args()

    pages = {
        "empty": (args.empty_path, None),
        "login": ("/login", None),
        "cabinet": (
            "/cabinet",
            {"user": args.subscriber_login, "password": args.subscriber_password},
        ),
        "admin_sims": ("/admin/sims", {"user": args.admin_login, "password": args.admin_password}),
    }
    wanted = [p.strip() for p in args.pages.split(",") if p.strip()]
    if "admin_sims" in wanted and not args.admin_password:
        parser.error("--admin-password (or PAYSIM_BENCH_ADMIN_PASSWORD) is needed for admin_sims")
    ensure_tools(args.tools)

    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    results: dict[tuple[str, str], dict] = {}
    for page in wanted:
        path, login = pages[page]
        for preset in presets:
            print(f"{page} {path} {preset}: {args.runs} runs ...", file=sys.stderr, flush=True)
            out = run_page(args, args.tools, path, preset, login)
            results[(page, preset)] = {
                "median": medians(out["runs"]),
                "runs": out["runs"],
                "detail": out["detail"],
            }

    print(
        f"frontend bench: {args.url}, median of {args.runs} Lighthouse runs, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    )
    print_table(results, "empty")
    print(
        f"\ntargets: desktop >= {TARGET_SCORE['desktop']}, mobile >= {TARGET_SCORE['mobile']}, "
        f"CLS <= {TARGET_CLS}, JS <= {TARGET_SCRIPT_RATIO:g}x the empty page (transfer size)"
    )
    if args.detail:
        print_detail(results)
    if args.json:
        args.json.write_text(json.dumps({f"{p}/{s}": r for (p, s), r in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
