"""Page loads run off the worker's event loop (ui/off_loop.py): a plain handler decorated with
`off_loop` runs in a worker thread while the loop goes on serving, and every page's on_load
handler is async, but for the few that read no table (the door has already looked the
visitor's session up, in a thread of its own)."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time

import pytest

import paysim_app.paysim_app as app_module
from paysim_app.ui.off_loop import off_loop

# on_load handlers that stay plain: they reset the page's fields or send the visitor on, from
# the actor the door found for the event (SessionState._actor reads the door's, not the database)
PLAIN_ON_LOAD = {
    "ConfirmLoginState.on_load",
    "ForgotState.on_load",
    "LoginState.on_load",
    "RegisterState.on_load",
    "ResetState.on_load",
    "SessionState.go_home",
    "SessionState.guard_admin",
    "SessionState.guard_admin_section",
    "SessionState.guard_cabinet",
    "SessionState.guard_partner",
}


class _Page:
    thread: int = 0

    @off_loop
    def load(self, delay: float) -> str:
        self.thread = threading.get_ident()
        time.sleep(delay)  # a verb waiting for the database
        return "loaded"


def test_the_handler_runs_in_a_thread_while_the_loop_goes_on():
    page = _Page()

    async def scenario():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beating = asyncio.create_task(ticker())
        result = await page.load(0.3)
        beating.cancel()
        return result, ticks, threading.get_ident()

    result, ticks, loop_thread = asyncio.run(scenario())
    assert result == "loaded"
    assert page.thread not in (0, loop_thread)
    assert ticks >= 10  # the loop served other work during the 0.3 s wait


def test_the_wrapped_handler_keeps_its_name_and_signature():
    assert _Page.load.__name__ == "load"
    assert list(inspect.signature(_Page.load).parameters) == ["self", "delay"]
    assert inspect.iscoroutinefunction(_Page.load)


def _generator(self):
    yield 1


async def _coroutine(self):
    return None


@pytest.mark.parametrize("fn", [_generator, _coroutine])
def test_only_plain_functions_are_taken(fn):
    with pytest.raises(TypeError):
        off_loop(fn)


def test_every_page_load_that_reads_tables_is_off_the_loop():
    plain = set()
    for handlers in app_module.app._load_events.values():
        for handler in handlers:
            fn = getattr(handler, "handler", handler).fn
            if not inspect.iscoroutinefunction(fn):
                plain.add(fn.__qualname__)
    assert plain <= PLAIN_ON_LOAD, plain - PLAIN_ON_LOAD
