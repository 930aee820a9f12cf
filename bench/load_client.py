"""One browser tab, as Reflex's frontend (reflex_base/.templates/web/utils/state.js) drives it.

- The websocket goes to `/_event` with the tab's token in the query; the first event,
  `hydrate_and_load`, rides in the Socket.IO CONNECT packet together with the state schema,
  and carries the browser's client-storage values (`vars`) and the compiled defaults' hashes.
- A client-side navigation sends `update_vars_internal` (client storage again) and
  `on_load_internal`, each event with the router data of the new location.
- The backend answers with `event` emits: a `delta` (state name -> changed vars) and/or frontend
  `events` (`_redirect`, toasts...). A delta of a var kept in LocalStorage is written there,
  except while the root state says it is not hydrated yet (the hydrate snapshot).

Reflex 0.10 no longer marks the last update of an event (`StateUpdate.final` is deprecated and
never sent), so the end of an event is what the page waits for: `is_hydrated` turning true
after a page's on_load chain, the first delta of the handler's state for a plain handler, a
`_redirect`. An event that changes nothing sends nothing at all; for those (the `noop`
baseline) a second event that always answers is sent behind it: events of one tab are
processed strictly in order, so its answer marks the end of the first.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.load_socket import SocketError, SocketIOClient

# what deltas append to a state var's name
VAR_SUFFIX = "_rx_state_"
# root state var that says whether the page's on_load chain has finished
HYDRATED = "is_hydrated" + VAR_SUFFIX


@dataclass(frozen=True)
class Protocol:
    """What a client must know about the compiled app: names and client storage."""

    root: str  # the root state's full name
    hydrate_and_load: str
    update_vars_internal: str
    on_load_internal: str
    set_is_hydrated: str  # the leaf handler a barrier uses
    state_schema: str
    hashes: tuple[str, ...]
    local_storage: dict[str, str]  # state key "state.var" -> LocalStorage name


@dataclass
class Update:
    delta: dict[str, dict[str, Any]]
    events: list[dict[str, Any]]
    at: float  # perf_counter when the frame was read


# A wait condition: None = keep waiting, "" = done, "text" = done with an error
Until = Callable[[Update], str | None]


def until_hydrated(root: str) -> Until:
    def check(u: Update) -> str | None:
        return "" if u.delta.get(root, {}).get(HYDRATED) is True else None

    return check


def until_state(state: str) -> Until:
    """The first delta that names `state`: a plain handler's one and only update."""

    def check(u: Update) -> str | None:
        return "" if state in u.delta else None

    return check


def until_redirect(u: Update) -> str | None:
    return "" if any(e.get("name") == "_redirect" for e in u.events) else None


def backend_error(u: Update) -> str | None:
    """The app's backend exception handler answers with the toast id `backend_error`."""
    for e in u.events:
        if "backend_error" in json.dumps(e.get("payload", {}), default=str):
            return "backend exception (toast backend_error)"
    return None


@dataclass
class Tab:
    """A browser tab: LocalStorage (shared by the user's tabs), the tab's token and state."""

    base_url: str
    proto: Protocol
    storage: dict[str, str] = field(default_factory=dict)
    user_agent: str = "paysim-loadbench/1"
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: str = "/"
    redirect: str | None = None
    server_errors: int = 0
    _sock: SocketIOClient | None = None
    _wait: tuple[Until, asyncio.Future] | None = None

    # -- what a page does -------------------------------------------------------------------
    async def open(self, path: str, timeout: float) -> float:
        """Load `path` in the tab: connect, hydrate and run the page's on_load chain.
        Returns the seconds until the page was hydrated."""
        await self.close()
        self.path, self.state, self.redirect = path, {}, None
        sock = SocketIOClient(
            self.base_url.rstrip("/") + "/_event",
            "/_event",
            origin=self.base_url.rstrip("/"),
            user_agent=self.user_agent,
        )
        sock.on_event = self._on_event
        sock.on_close = self._on_close
        payload: dict[str, Any] = {"hashes": list(self.proto.hashes)}
        if vars_ := self._storage_vars():
            payload["vars"] = vars_
        boot = self._event(self.proto.hydrate_and_load, payload)
        auth = {"event": boot, "state_schema": self.proto.state_schema}
        self._sock = sock
        start = time.perf_counter()
        fut = self._expect(until_hydrated(self.proto.root))
        try:
            await sock.connect({"token": self.token}, auth, timeout)
        except (TimeoutError, SocketError, OSError) as err:
            self._wait = None
            raise SocketError(f"connect {path}: {err or type(err).__name__}") from err
        return await self._finish(fut, start, timeout, f"open {path}")

    async def navigate(self, path: str, timeout: float) -> float:
        """A link click inside the app: the page's on_load chain over the open socket."""
        self.path, self.redirect = path, None
        root = self.state.setdefault(self.proto.root, {})
        root[HYDRATED] = False  # what the router does before on_load_internal
        start = time.perf_counter()
        fut = self._expect(until_hydrated(self.proto.root))
        if vars_ := self._storage_vars():
            self._emit(self._event(self.proto.update_vars_internal, {"vars": vars_}))
        self._emit(self._event(self.proto.on_load_internal, {}))
        return await self._finish(fut, start, timeout, f"navigate {path}")

    async def call(self, handler: str, payload: dict, until: Until, timeout: float) -> float:
        """Send one event and wait for `until`; returns its seconds."""
        start = time.perf_counter()
        fut = self._expect(until)
        self._emit(self._event(handler, payload))
        return await self._finish(fut, start, timeout, handler)

    async def call_silent(self, handler: str, payload: dict, timeout: float) -> float:
        """An event that sends nothing back, timed to the answer of a barrier behind it."""
        start = time.perf_counter()
        fut = self._expect(until_hydrated(self.proto.root))
        self._emit(self._event(handler, payload))
        self._emit(self._event(self.proto.set_is_hydrated, {"value": True}))
        return await self._finish(fut, start, timeout, handler)

    async def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            await sock.close()

    def var(self, state: str, name: str, default: Any = None) -> Any:
        """A state var as the page holds it (deltas name vars with Reflex's suffix)."""
        return self.state.get(state, {}).get(name + VAR_SUFFIX, default)

    # -- plumbing ---------------------------------------------------------------------------
    def _event(self, name: str, payload: dict) -> dict:
        parts = urlsplit(self.path)
        router: dict[str, Any] = {"pathname": parts.path, "asPath": self.path}
        if parts.query:
            router["query"] = dict(parse_qsl(parts.query))
        return {"name": name, "payload": payload, "router_data": router}

    def _storage_vars(self) -> dict[str, str]:
        return {
            key: self.storage[name]
            for key, name in self.proto.local_storage.items()
            if name in self.storage
        }

    def _emit(self, event: dict) -> None:
        if self._sock is None:
            raise SocketError("the tab is not connected")
        self._sock.emit("event", event)

    def _expect(self, until: Until) -> asyncio.Future:
        if self._wait is not None and not self._wait[1].done():
            raise RuntimeError("one event at a time per tab")
        fut = asyncio.get_running_loop().create_future()
        self._wait = (until, fut)
        return fut

    async def _finish(self, fut: asyncio.Future, start: float, timeout: float, what: str) -> float:
        try:
            done_at, error = await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise SocketError(f"{what}: no answer in {timeout:.0f} s") from None
        finally:
            self._wait = None
        if error:
            raise SocketError(f"{what}: {error}")
        return done_at - start

    def _on_close(self, reason: str) -> None:
        if self._wait is not None and not self._wait[1].done():
            self._wait[1].set_exception(SocketError(f"socket closed: {reason}"))

    def _on_event(self, name: str, data: Any, at: float) -> None:
        if name != "event" or not isinstance(data, dict):
            return
        update = Update(data.get("delta") or {}, data.get("events") or [], at)
        self._apply(update)
        error = backend_error(update)
        if error:
            self.server_errors += 1
        if self._wait is None or self._wait[1].done():
            return
        until, fut = self._wait
        outcome = error if error else until(update)
        if outcome is not None:
            fut.set_result((at, outcome))

    def _apply(self, update: Update) -> None:
        hydrating = update.delta.get(self.proto.root, {}).get(HYDRATED) is False
        for state, changes in update.delta.items():
            self.state.setdefault(state, {}).update(changes)
            if hydrating:
                continue  # the hydrate snapshot never writes browser storage
            for var, value in changes.items():
                name = self.proto.local_storage.get(f"{state}.{var}")
                if name is not None:
                    self.storage[name] = value
        for event in update.events:
            if event.get("name") == "_redirect":
                self.redirect = (event.get("payload") or {}).get("path")
