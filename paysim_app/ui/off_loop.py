"""Plain event handlers whose work runs in a worker thread, off the event loop.

Reflex runs a plain (def) handler on the worker's event loop: while its verbs wait for the
database, no other tab served by that worker moves. A page's on_load reads several tables, and
pages are the events users send most, so every page's `load` runs through `off_loop`
(tests/ui/test_off_loop.py checks that each page's on_load handlers are off the loop)."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable


def off_loop(fn: Callable) -> Callable:
    """The handler below, run in a worker thread (stacked under `@rx.event`). The tab's state is
    locked for the event, so no other event of the tab runs meanwhile; the context (the door's
    actor, Reflex's event context) goes with it."""
    if not inspect.isfunction(fn) or (
        inspect.iscoroutinefunction(fn)
        or inspect.isgeneratorfunction(fn)
        or inspect.isasyncgenfunction(fn)
    ):
        raise TypeError(f"off_loop takes a plain function, not {fn!r}")

    @functools.wraps(fn)
    async def run(self, *args, **kwargs):
        return await asyncio.to_thread(fn, self, *args, **kwargs)

    return run
