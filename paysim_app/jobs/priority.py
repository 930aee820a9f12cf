"""A background job's process yields the CPU to the web workers beside it.

`os.nice` alone does not do that on Linux with autogroup scheduling (`kernel.sched_autogroup_
enabled`, on by default on many kernels, this project's machines included): the scheduler first
shares the CPU between session groups and only then, by niceness, among the processes of one
group. A job started from the app's own session (the import page's worker process) or from a
bench or cron session would still take a group's full share. So the job also leaves for a
session of its own (setsid; refused, harmlessly, to a process that leads its process group,
such as a command started from a shell) and gives that new group the same niceness. A
process that could not leave keeps its session's group as it is: that group is shared.
"""

from __future__ import annotations

import contextlib
import os

NICENESS = 10
AUTOGROUP = "/proc/self/autogroup"


def background_process(niceness: int = NICENESS) -> None:
    """Lower this whole process's CPU priority (threads started after this inherit it)."""
    with contextlib.suppress(OSError):
        os.nice(niceness)
    try:
        os.setsid()
    except (OSError, AttributeError):  # a process group leader, or not POSIX
        return
    with contextlib.suppress(OSError):  # no autogroups (not Linux, or switched off)
        with open(AUTOGROUP, "w") as group:
            group.write(str(niceness))
