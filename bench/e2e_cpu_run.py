"""Run the browser suite as tests/suite.py runs it (one app built and started once, the demo
accounts' journeys and the others in two pytest runs side by side) with bench/e2e_cpu.py on.

    python -m bench.e2e_cpu_run <out dir> [pytest args for both runs, e.g. -k ...]
    python -m bench.e2e_cpu_run <out dir> --one tests/e2e/test_money.py ...  # one run, these files

Then: python bench/e2e_cpu_report.py <out dir>.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import CHECKOUT_LOCK_HELD, ROOT, app_checkout_lock
from tests.e2e.conftest import SHARED_APP, prepare_app, run_app
from tests.suite import BROWSER, BROWSER_DEMO, browser_env


def main() -> int:
    out = Path(sys.argv[1]).resolve()
    extra = sys.argv[2:]
    plugin = ["-p", "bench.e2e_cpu"]
    if extra[:1] == ["--one"]:
        runs = [[sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin, *extra[1:]]]
    else:
        runs = [[*cmd[:5], *plugin, *cmd[5:], *extra] for cmd in (BROWSER_DEMO, BROWSER)]
    work = Path(tempfile.mkdtemp(prefix="paysim-e2e-cpu-"))
    with app_checkout_lock():
        (work / "app").mkdir()
        app = prepare_app(work / "app")
        description = work / "app.json"
        description.write_text(json.dumps({**app, "work": str(app["work"]), "db": str(app["db"])}))
        server = run_app(app, work / "app" / "app.log")
        next(server)
        try:
            env = {**browser_env(), CHECKOUT_LOCK_HELD: "1", SHARED_APP: str(description)}
            env["PAYSIM_E2E_CPU"] = str(out)
            procs = [
                subprocess.Popen(
                    cmd,
                    cwd=ROOT,
                    env=env,
                    stdout=(work / f"run{i}.log").open("w"),
                    stderr=subprocess.STDOUT,
                )
                for i, cmd in enumerate(runs)
            ]
            codes = [p.wait() for p in procs]
        finally:
            server.close()
    for i in range(len(runs)):
        print(f"---- run {i}: exit {codes[i]}\n" + (work / f"run{i}.log").read_text()[-1500:])
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
