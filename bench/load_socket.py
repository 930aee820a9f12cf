"""Socket.IO (protocol 5) over Engine.IO (protocol 4) over one websocket, on asyncio.

The load generator needs hundreds of concurrent clients with exact timings in one process.
python-socketio's AsyncClient needs aiohttp, which the project does not install, so this
speaks the few packets Reflex's frontend uses itself: wsproto (already installed with the
app's server stack) does the websocket framing over asyncio streams.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

# Engine.IO packet types (the first character of a frame)
EIO_OPEN, EIO_CLOSE, EIO_PING, EIO_PONG, EIO_MESSAGE = "0", "1", "2", "3", "4"
# Socket.IO packet types (the character after EIO_MESSAGE)
SIO_CONNECT, SIO_DISCONNECT, SIO_EVENT, SIO_CONNECT_ERROR = "0", "1", "2", "4"


class SocketError(Exception):
    """The connection was refused, failed or closed."""


# handler(event name, data, time the frame was read)
Handler = Callable[[str, Any, float], None]


class SocketIOClient:
    """One namespace on one websocket; `on_event` is called for every server emit."""

    def __init__(self, url: str, namespace: str, *, origin: str, user_agent: str) -> None:
        self.url, self.namespace = url, namespace
        self.origin, self.user_agent = origin, user_agent
        self.on_event: Handler = lambda name, data, at: None
        self.on_close: Callable[[str], None] = lambda reason: None
        self.closed = asyncio.Event()
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task | None = None
        self._connected: asyncio.Future | None = None
        self._parts: list[str] = []

    # -- connection ---------------------------------------------------------------------------
    async def connect(self, query: dict[str, str], auth: dict, timeout: float = 30.0) -> None:
        """Open the websocket, then the namespace with `auth` in its CONNECT packet (the way
        Reflex's frontend sends its hydrate event)."""
        parts = urlsplit(self.url)
        host, port = parts.hostname or "localhost", parts.port or 80
        target = f"{parts.path.rstrip('/')}/?" + urlencode(
            {"EIO": "4", "transport": "websocket", **query}
        )
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), timeout
        )
        self._send_raw(
            Request(
                host=f"{host}:{port}",
                target=target,
                extra_headers=[
                    (b"origin", self.origin.encode()),
                    (b"user-agent", self.user_agent.encode()),
                ],
            )
        )
        self._connected = asyncio.get_running_loop().create_future()
        self._auth = auth
        self._task = asyncio.create_task(self._read_loop())
        await asyncio.wait_for(asyncio.shield(self._connected), timeout)

    async def close(self) -> None:
        if self._writer is not None and not self.closed.is_set():
            try:
                self._send_text(EIO_MESSAGE + SIO_DISCONNECT + self.namespace + ",")
                self._send_raw(CloseConnection(code=1000))
                await self._writer.drain()
            except (ConnectionError, RuntimeError, OSError):
                pass
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        self._finish("closed by client")

    def emit(self, name: str, data: Any) -> None:
        if self.closed.is_set():
            raise SocketError("the socket is closed")
        body = json.dumps([name, data], separators=(",", ":"))
        self._send_text(EIO_MESSAGE + SIO_EVENT + self.namespace + "," + body)

    # -- wire ---------------------------------------------------------------------------------
    def _send_raw(self, event) -> None:
        assert self._writer is not None
        self._writer.write(self._ws.send(event))

    def _send_text(self, text: str) -> None:
        self._send_raw(TextMessage(data=text))

    def _finish(self, reason: str) -> None:
        if not self.closed.is_set():
            self.closed.set()
            if self._connected is not None and not self._connected.done():
                self._connected.set_exception(SocketError(reason))
            self.on_close(reason)
        if self._writer is not None:
            self._writer.close()

    async def _read_loop(self) -> None:
        reason = "connection lost"
        try:
            assert self._reader is not None
            while True:
                chunk = await self._reader.read(65536)
                self._ws.receive_data(chunk or None)
                for event in self._ws.events():
                    if isinstance(event, TextMessage):
                        self._parts.append(event.data)
                        if event.message_finished:
                            frame, self._parts = "".join(self._parts), []
                            self._on_frame(frame, time.perf_counter())
                    elif isinstance(event, Ping):
                        self._send_raw(event.response())
                    elif isinstance(event, (RejectConnection, RejectData)):
                        status = getattr(event, "status_code", "")
                        raise SocketError(f"websocket refused {status}".strip())
                    elif isinstance(event, CloseConnection):
                        reason = f"closed by server ({event.code})"
                        return
                    elif isinstance(event, AcceptConnection):
                        pass
                if not chunk:
                    return
                await self._writer.drain()
        except asyncio.CancelledError:
            reason = "closed by client"
            raise
        except (SocketError, OSError, ValueError) as err:
            reason = str(err) or type(err).__name__
        finally:
            self._finish(reason)

    def _on_frame(self, frame: str, at: float) -> None:
        kind, body = frame[:1], frame[1:]
        if kind == EIO_PING:
            self._send_text(EIO_PONG)
        elif kind == EIO_OPEN:
            self._send_text(
                EIO_MESSAGE + SIO_CONNECT + self.namespace + "," + json.dumps(self._auth)
            )
        elif kind == EIO_MESSAGE:
            self._on_packet(body, at)
        elif kind == EIO_CLOSE:
            raise SocketError("closed by server")

    def _on_packet(self, packet: str, at: float) -> None:
        kind, rest = packet[:1], packet[1:]
        if rest.startswith("/"):
            namespace, _, rest = rest.partition(",")
            if namespace != self.namespace:
                return
        while rest[:1].isdigit():  # an ack id, unused here
            rest = rest[1:]
        data = json.loads(rest) if rest else None
        if kind == SIO_CONNECT:
            if self._connected is not None and not self._connected.done():
                self._connected.set_result(data)
        elif kind == SIO_CONNECT_ERROR:
            raise SocketError(f"namespace refused: {data}")
        elif kind == SIO_DISCONNECT:
            raise SocketError("namespace closed by server")
        elif kind == SIO_EVENT and isinstance(data, list) and data:
            self.on_event(data[0], data[1] if len(data) > 1 else None, at)
