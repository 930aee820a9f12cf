"""A background job's process leaves its caller's session and lowers its niceness and, where
Linux groups CPU time by session (autogroups), its new group's niceness too; a process that
cannot leave (a process group leader, e.g. a command started from a shell) leaves its session's
shared group alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from paysim_app.jobs import priority

REPORT = """
import os
from paysim_app.jobs.priority import background_process
before = os.getsid(0)
background_process()
try:
    group = open("/proc/self/autogroup").read().split()
except OSError:
    group = []
print(before, os.getsid(0), os.getpid(), os.getpriority(os.PRIO_PROCESS, 0), group[-1] if len(group) == 3 else "-")
"""
ROOT = Path(__file__).resolve().parents[2]


def job(*, own_group: bool) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=False,
        process_group=0 if own_group else None,
    )
    return out.stdout.split()


def test_a_job_gets_a_session_and_a_nicer_group_of_its_own():
    here = os.getpriority(os.PRIO_PROCESS, 0)
    before, after, pid, niceness, group = job(own_group=False)
    assert before == str(os.getsid(0)) and after == pid
    assert int(niceness) == min(19, here + priority.NICENESS)
    if group != "-" and Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1":
        assert int(group) == priority.NICENESS


def autogroup_nice() -> str | None:
    """This process's autogroup niceness, or None where the kernel shows none (no autogroups, or
    a sandboxed /proc that lists the file but leaves it empty, as some CI containers do)."""
    try:
        fields = Path(priority.AUTOGROUP).read_text().split()
    except OSError:
        return None
    return fields[-1] if len(fields) == 3 and fields[1] == "nice" else None


def test_a_group_leader_keeps_its_session_and_leaves_the_shared_group_alone():
    shared = autogroup_nice()
    if shared is None:
        pytest.skip("this kernel shows no autogroup")
    before, after, _pid, _niceness, group = job(own_group=True)
    assert before == after == str(os.getsid(0))
    assert group == shared
