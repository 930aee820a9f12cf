"""Heavy page work runs in another process, at a lower priority, and a domain error raised
there comes back whole (code, field and params)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from paysim_app.core.errors import ValidationError
from paysim_app.jobs import offload, priority


def run(fn, *args):
    """offload.run_in_process on an event loop of its own thread (a browser test of the same
    run may have left one running in the main thread)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, offload.run_in_process(fn, *args)).result(120)


def where_and_how_nice() -> tuple[int, int, int]:
    return os.getpid(), os.getpriority(os.PRIO_PROCESS, 0), os.getsid(0)


def refuse(line: int) -> None:
    raise ValidationError("sim_import.error.quotes", "file", line=line)


def test_the_job_runs_in_a_nicer_process_and_the_process_is_reused():
    here = os.getpriority(os.PRIO_PROCESS, 0)
    pid, niceness, session = run(where_and_how_nice)
    assert pid != os.getpid()
    assert niceness == min(19, here + priority.NICENESS)
    assert session == pid != os.getsid(0)  # a session (an autogroup) of its own
    again, _, _ = run(where_and_how_nice)
    assert again == pid


def test_a_domain_error_comes_back_with_its_field_and_params():
    with pytest.raises(ValidationError) as refused:
        run(refuse, 7)
    assert (refused.value.code, refused.value.field, refused.value.params) == (
        "sim_import.error.quotes",
        "file",
        {"line": 7},
    )


ORPHAN = """
import asyncio, os
from paysim_app.jobs import offload
from tests.jobs.test_offload import where_and_how_nice
print(asyncio.run(offload.run_in_process(where_and_how_nice))[0], flush=True)
os._exit(0)  # the web worker killed: no executor shutdown
"""


def test_the_job_process_ends_when_its_web_worker_is_gone():
    worker = subprocess.run(
        [sys.executable, "-c", ORPHAN], capture_output=True, text=True, timeout=60, check=True
    )
    job = int(worker.stdout.strip())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # polling another process's end, not waiting in a test
        try:
            os.kill(job, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(job, 9)
    pytest.fail(f"the job process {job} outlived its parent")
