"""Heavy work started from a page (the SIM import) in a separate, low-priority process.

A web worker runs the events of all its tabs on one event loop. A CSV import parses a million
lines in Python for about 15 s: in a thread of the worker it would hold the GIL against every
other tab of that worker, and at the worker's priority it would take CPU from the other
workers. So it runs in a spawned process (one per web worker, started on first use and kept
for the next job, about 80 MB) at niceness 10, where the kernel serves the web workers first.
`fn` and its arguments go by pickle: module-level functions and plain data only. Having left
for a session of its own, the process is not stopped with its web worker's process group, so it
watches its parent and ends when the worker is gone (a restart left one behind each time).
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from paysim_app.jobs.priority import background_process

T = TypeVar("T")


@functools.cache
def _pool() -> ProcessPoolExecutor:
    # spawn, not fork: a fork of a web worker would copy its event loop, threads and sockets
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_job_process)


PARENT_CHECK_S = 2.0


def _start_job_process() -> None:
    background_process()
    parent = os.getppid()

    def _end_with_parent() -> None:
        while os.getppid() == parent:  # an orphan is handed to another process
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=_end_with_parent, name="end-with-parent", daemon=True).start()


async def run_in_process(fn: Callable[..., T], *args: object) -> T:
    """Run fn(*args) in this worker's low-priority process; its exceptions come back raised."""
    return await asyncio.get_running_loop().run_in_executor(_pool(), fn, *args)
