"""A small local SMSC for tests: an SMPP 3.4 server on 127.0.0.1 (a thread per connection) that
parses and builds its PDUs with smpplib's own command classes.

It answers bind_transmitter (checking system_id and password), submit_sm (recording every one:
addresses, esm_class, data_coding, the short_message bytes, the status it answered),
enquire_link and unbind, and anything else with generic_nack. Tests steer it:
- `answer_next(status, times)`: the next submit_sm get this status (throttled, queue full...);
- `status_for[digits] = status`: every submit_sm to this number gets it (an invalid number);
- `drop_connections(after, times)`: the next `times` connections are closed, without an answer,
  when their PDU number after+1 arrives (the bind counts);
- `silent = True`: submit_sm are read and never answered (a hung SMSC);
- `enquire_first = n`: before answering the next n submit_sm it asks enquire_link itself;
- `down()` / `up()`: stop listening (connections refused) and listen again on the same port.
`texts()` joins what was accepted back into messages by their concatenation headers.

The `fake_smsc` fixture (tests/conftest.py) starts one per test; `smpp_env` aims the app's
settings at it (PAYSIM_SMS_PROVIDER=smpp).
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections import deque
from dataclasses import dataclass

from smpplib import consts, smpp
from smpplib.client import SimpleSequenceGenerator

from paysim_app.messaging.sms_parts import decode

SYSTEM_ID = "paysim"
PASSWORD = "secret12"


@dataclass(frozen=True)
class Submitted:
    """One submit_sm as the SMSC received it."""

    source_addr_ton: int
    source_addr_npi: int
    source_addr: str
    dest_addr_ton: int
    dest_addr_npi: int
    destination_addr: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes
    status: int  # what the SMSC answered
    message_id: str  # "" unless accepted

    @property
    def udh(self) -> bytes:
        """The user data header (empty unless esm_class has UDHI)."""
        if not self.esm_class & consts.SMPP_GSMFEAT_UDHI:
            return b""
        return self.short_message[: self.short_message[0] + 1]

    @property
    def text(self) -> str:
        return decode(self.short_message[len(self.udh) :], self.data_coding)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        fake = self.server.fake
        conn: socket.socket = self.request
        with fake.lock:
            fake.connections += 1
            drop_after = None
            if fake._drops > 0:
                fake._drops -= 1
                drop_after = fake._drop_after
            fake._open.add(conn)
        seq = SimpleSequenceGenerator()
        bound, received = False, 0
        try:
            while True:
                raw = self._read(conn)
                if raw is None:
                    return
                received += 1
                if drop_after is not None and received > drop_after:
                    return  # dropped: the finally closes without an answer
                pdu = smpp.parse_pdu(raw, client=seq, allow_unknown_opt_params=True)
                with fake.lock:
                    fake.commands.append(pdu.command)
                answers, close = fake._answer(pdu, bound, seq)
                for answer in answers:
                    if answer.is_response():
                        answer.sequence = pdu.sequence
                        if answer.command == "bind_transmitter_resp":
                            bound = answer.status == consts.SMPP_ESME_ROK
                    conn.sendall(answer.generate())
                if close:
                    return
        except OSError:
            return
        finally:
            with fake.lock:
                fake._open.discard(conn)
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    @staticmethod
    def _read(conn: socket.socket) -> bytes | None:
        head = _recv_exact(conn, 4)
        if head is None:
            return None
        (length,) = struct.unpack(">L", head)
        body = _recv_exact(conn, length - 4)
        return None if body is None else head + body


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, fake: FakeSmsc):
        self.fake = fake
        super().__init__(address, _Handler)


class FakeSmsc:
    def __init__(self, system_id: str = SYSTEM_ID, password: str = PASSWORD):
        self.system_id, self.password = system_id, password
        self.lock = threading.Lock()
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()
        self.reset()

    # ------------------------------------------------------------------ steering

    def reset(self) -> None:
        with self.lock:
            self.submitted: list[Submitted] = []
            self.binds: list[tuple[str, int]] = []  # (system_id, status answered)
            self.commands: list[str] = []  # every PDU received, in order
            self.connections = 0
            self.status_for: dict[str, int] = {}
            self.silent = False
            self.enquire_first = 0
            self._next: deque[int] = deque()
            self._drops, self._drop_after = 0, 0
            self._ids = 0

    def answer_next(self, status: int, times: int = 1) -> None:
        with self.lock:
            self._next.extend([status] * times)

    def drop_connections(self, after: int, times: int = 1) -> None:
        with self.lock:
            self._drops, self._drop_after = times, after

    @property
    def accepted(self) -> list[Submitted]:
        return [s for s in self.submitted if s.status == consts.SMPP_ESME_ROK]

    def texts(self) -> list[tuple[str, str]]:
        """(number, text) of each whole message accepted, in order: single parts as they are,
        concatenated ones joined by (number, reference) in their sequence order once complete."""
        found: list[tuple[str, str]] = []
        pending: dict[tuple[str, int], dict[int, str]] = {}
        for sub in self.accepted:
            if not sub.udh:
                found.append((sub.destination_addr, sub.text))
                continue
            assert sub.udh[:3] == b"\x05\x00\x03", sub.udh
            ref, total, seq = sub.udh[3], sub.udh[4], sub.udh[5]
            got = pending.setdefault((sub.destination_addr, ref), {})
            got[seq] = sub.text
            if len(got) == total:
                found.append((sub.destination_addr, "".join(got[i] for i in range(1, total + 1))))
                del pending[(sub.destination_addr, ref)]
        return found

    # ------------------------------------------------------------------ answering

    def _answer(self, pdu, bound: bool, seq):
        """(PDUs to send, close after them)."""
        command = pdu.command
        if command == "bind_transmitter":
            system_id = (pdu.system_id or b"").decode()
            password = (pdu.password or b"").decode()
            if system_id != self.system_id:
                status = consts.SMPP_ESME_RINVSYSID
            elif password != self.password:
                status = consts.SMPP_ESME_RINVPASWD
            else:
                status = consts.SMPP_ESME_ROK
            with self.lock:
                self.binds.append((system_id, status))
            answer = smpp.make_pdu(
                "bind_transmitter_resp", client=seq, status=status, system_id="FakeSMSC"
            )
            return [answer], status != consts.SMPP_ESME_ROK
        if command == "submit_sm":
            return self._submit(pdu, bound, seq), False
        if command == "enquire_link":
            return [smpp.make_pdu("enquire_link_resp", client=seq)], False
        if command == "unbind":
            return [smpp.make_pdu("unbind_resp", client=seq)], True
        if command in ("enquire_link_resp", "generic_nack"):
            return [], False
        nack = smpp.make_pdu("generic_nack", client=seq, status=consts.SMPP_ESME_RINVCMDID)
        return [nack], False

    def _submit(self, pdu, bound: bool, seq):
        destination = (pdu.destination_addr or b"").decode()
        with self.lock:
            if not bound:
                status = consts.SMPP_ESME_RINVBNDSTS
            elif self._next:
                status = self._next.popleft()
            else:
                status = self.status_for.get(destination, consts.SMPP_ESME_ROK)
            message_id = ""
            if status == consts.SMPP_ESME_ROK:
                self._ids += 1
                message_id = f"fake{self._ids:06d}"
            self.submitted.append(
                Submitted(
                    source_addr_ton=pdu.source_addr_ton,
                    source_addr_npi=pdu.source_addr_npi,
                    source_addr=(pdu.source_addr or b"").decode(),
                    dest_addr_ton=pdu.dest_addr_ton,
                    dest_addr_npi=pdu.dest_addr_npi,
                    destination_addr=destination,
                    esm_class=pdu.esm_class,
                    data_coding=pdu.data_coding,
                    registered_delivery=pdu.registered_delivery,
                    short_message=bytes(pdu.short_message or b""),
                    status=status,
                    message_id=message_id,
                )
            )
            if self.silent:
                return []
            first = []
            if self.enquire_first > 0:
                self.enquire_first -= 1
                first = [smpp.make_pdu("enquire_link", client=seq)]
        answer = smpp.make_pdu("submit_sm_resp", client=seq, status=status, message_id=message_id)
        return [*first, answer]

    # ------------------------------------------------------------------ the listener

    def up(self) -> None:
        self._server = _Server(("127.0.0.1", self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        """Stop listening and close every open connection: new ones are refused."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        with self.lock:
            for conn in list(self._open):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self) -> FakeSmsc:
        self.up()
        return self

    def __exit__(self, *exc) -> None:
        self.down()


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.messaging.fake_smsc [--port 2775]`: an SMSC on 127.0.0.1 to try
    PAYSIM_SMS_PROVIDER=smpp by hand (SMPP_SYSTEM_ID=paysim SMPP_PASSWORD=secret12); prints
    each whole message it accepts."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=2775)
    args = parser.parse_args(argv)
    fake = FakeSmsc()
    fake.port = args.port
    with fake:
        print(f"fake SMSC on 127.0.0.1:{fake.port} (system id {SYSTEM_ID}, password {PASSWORD})")
        shown = 0
        try:
            while True:
                time.sleep(0.2)
                texts = fake.texts()
                for number, text in texts[shown:]:
                    print(f"+{number}: {text}", flush=True)
                shown = len(texts)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
