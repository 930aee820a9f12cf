"""A real SMTP server for the tests (aiosmtpd), with faults on demand.

    smtp_server   one aiosmtpd Controller on a free 127.0.0.1 port for the whole test session
    smtp          that server emptied, its faults cleared, and the app's SMTP_* settings aimed
                  at it (SMTP_SECURITY=none): `deliver_due()` sends to it
    tls_smtp      a second server on 127.0.0.1 with a certificate for "localhost" signed by a
                  throwaway CA: .port speaks STARTTLS, .tls_port implicit TLS; .ca_file the CA
    dead_port     a port nothing listens on (connection refused)
    dropping_server  a server that accepts the connection and closes it at once

Faults: `smtp.refuse[address] = "550 5.1.1 no such user"` answers RCPT TO for that address;
`smtp.data_replies.append("451 4.3.0 try later")` answers the next DATA (one each);
`smtp.drop_data = n` closes the connection at the next n DATA commands.
"""

from __future__ import annotations

import email
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from paysim_app.settings import get_settings

USER, PASSWORD = "mailer", "mail-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class MailCatcher:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    drop_data: int = 0
    logins: list[str] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.refuse.clear()
            self.data_replies.clear()
            self.drop_data = 0
            self.logins.clear()
            self.connections = 0

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]

    # -- aiosmtpd hooks (run in the server's thread)
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.drop_data:
                self.drop_data -= 1
                server.transport.close()
                return "421 4.3.2 closing"
            if self.data_replies:
                return self.data_replies.pop(0)
            raw = envelope.original_content or envelope.content
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    email.message_from_bytes(raw, policy=default_policy),
                    raw,
                )
            )
        return "250 2.0.0 queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USER
            and auth_data.password.decode() == PASSWORD
        ):
            with self.lock:
                self.logins.append(USER)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture(scope="session")
def smtp_server():
    catcher = MailCatcher("127.0.0.1", free_port())
    controller = Controller(
        catcher,
        hostname=catcher.host,
        port=catcher.port,
        authenticator=catcher.authenticate,
        auth_require_tls=False,
        ready_timeout=10,
    )
    controller.start()
    try:
        yield catcher
    finally:
        controller.stop()


def aim_smtp(monkeypatch, port: int, **env: str) -> None:
    """The app's SMTP_* settings aimed at 127.0.0.1:port (plain SMTP unless told otherwise)."""
    settings = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "PaySim <noreply@mail.paysim.test>",
        "SMTP_TIMEOUT_SECONDS": "5",
        **env,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


@pytest.fixture
def smtp(smtp_server, monkeypatch):
    smtp_server.reset()
    aim_smtp(monkeypatch, smtp_server.port)
    yield smtp_server
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def dead_port() -> int:
    return free_port()


@pytest.fixture
def dropping_server():
    """Accepts each connection and closes it before the greeting; its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    accepted = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def _certificates(folder) -> tuple[str, str, str]:
    """A throwaway CA and a certificate for localhost it signed: (ca.pem, cert.pem, key.pem)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("PaySim test CA"))
        .issuer_name(name("PaySim test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = [str(folder / n) for n in ("ca.pem", "cert.pem", "key.pem")]
    pem = serialization.Encoding.PEM
    for path, data in zip(
        paths,
        (
            ca.public_bytes(pem),
            cert.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        ),
        strict=True,
    ):
        with open(path, "wb") as f:
            f.write(data)
    return paths[0], paths[1], paths[2]


@dataclass
class TlsCatcher:
    catcher: MailCatcher
    port: int  # STARTTLS
    tls_port: int  # implicit TLS
    ca_file: str


@pytest.fixture(scope="module")
def tls_smtp(tmp_path_factory):
    import ssl

    from aiosmtpd.smtp import SMTP

    ca_file, cert, key = _certificates(tmp_path_factory.mktemp("smtp-tls"))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    catcher = MailCatcher("127.0.0.1", free_port())
    starttls = Controller(
        catcher,
        hostname="127.0.0.1",
        port=catcher.port,
        tls_context=server_ctx,
        require_starttls=True,
        ready_timeout=10,
    )

    class ImplicitTls(Controller):
        def factory(self):
            return SMTP(self.handler, hostname="localhost")

    tls_port = free_port()
    implicit = ImplicitTls(
        catcher, hostname="127.0.0.1", port=tls_port, ssl_context=server_ctx, ready_timeout=10
    )
    starttls.start()
    implicit.start()
    try:
        yield TlsCatcher(catcher, catcher.port, tls_port, ca_file)
    finally:
        implicit.stop()
        starttls.stop()
