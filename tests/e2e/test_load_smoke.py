"""bench/load.py against the browser suite's app: two simulated users (a subscriber and an
admin) for a few seconds over the real websocket protocol. Only that it works: the events
complete, none fails and the report has its rows; no speed is asserted."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.e2e.conftest import ROOT

EXPECTED = {
    "open /login",
    "LoginState.submit",
    "open /cabinet",
    "navigate /cabinet/payments",
    "navigate /cabinet/topup",
    "TopupState.submit",
    "open /admin/sims",
    "AdminSimsState.set_filter",
    "PingState.noop",
}


def test_two_users_complete_their_events_without_error(base_url, app_env, tmp_path):
    report_file = tmp_path / "load.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            "--demo",
            "--url",
            base_url,
            "--users",
            "2",
            "--mix",
            "0.5",
            "--seconds",
            "5",
            "--think",
            "0.1",
            "--noop-share",
            "0.5",
            "--timeout",
            "20",
            "--json",
            str(report_file),
        ],
        cwd=ROOT,
        env=app_env["env"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (level,) = json.loads(report_file.read_text())["levels"]
    assert (level["users"], level["admins"]) == (2, 1)
    rows = {row["label"]: row for row in level["rows"]}
    assert EXPECTED <= rows.keys(), run.stdout
    assert all(row["errors"] == 0 for row in rows.values()), run.stdout
    assert all(row["count"] > 0 for row in rows.values()), run.stdout
    assert not level["errors"]
    assert "p95 ms" in run.stdout
