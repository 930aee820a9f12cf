"""E-mail out over SMTP (smtplib): one connection per batch, STARTTLS / implicit TLS / none,
AUTH when a user is set, and every failure sorted into temporary (try later) or permanent.

    with SmtpSender.from_settings() as sender:
        for email in batch:
            sender.send(email)        # TemporaryFailure / PermanentFailure(bounced=...)

The connection opens at the first message and is reused; a connection the server dropped is
opened again at the next message. A failure to connect at all is a ConnectionFailure (a
TemporaryFailure): the job stops trying the rest of its batch, which would fail the same way.
"""

from __future__ import annotations

import email.utils
import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage

from paysim_app.messaging.base import Email, PermanentFailure, TemporaryFailure
from paysim_app.settings import Settings, get_settings

log = logging.getLogger("paysim.smtp")

# 5xx replies to RCPT TO that mean "no such mailbox": the address itself bounced
BOUNCE_CODES = frozenset({550, 551, 553})


class ConnectionFailure(TemporaryFailure):
    """The server could not be reached or greeted: nothing in this batch will get through."""


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"


def classify(exc: Exception) -> TemporaryFailure | PermanentFailure:
    """The failure a send raised, as the job understands it (a short reason, safe to show)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()), (550, b"refused"))
        if 400 <= code < 500:
            return TemporaryFailure(f"recipient: {_reply(code, message)}")
        return PermanentFailure(f"recipient: {_reply(code, message)}", bounced=code in BOUNCE_CODES)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TemporaryFailure("the server closed the connection")
    if isinstance(exc, smtplib.SMTPSenderRefused) or getattr(exc, "smtp_code", 0) in (530, 535):
        # our side is refused (sender address, TLS or login required): no message can go
        # until the settings are fixed, and then every one should, so it is not final
        code, message = exc.smtp_code, exc.smtp_error
        return TemporaryFailure(f"the server refused us: {_reply(code, message)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        reply = _reply(code, exc.smtp_error)
        if 400 <= code < 500 or code < 200:
            return TemporaryFailure(reply)
        return PermanentFailure(reply)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return TemporaryFailure("timed out")
    if isinstance(exc, ssl.SSLError):
        return TemporaryFailure(f"TLS: {exc.reason or exc}")
    if isinstance(exc, (ConnectionError, OSError)):
        return TemporaryFailure(f"connection: {exc.strerror or type(exc).__name__}")
    if isinstance(exc, smtplib.SMTPException):
        return TemporaryFailure(str(exc)[:200] or type(exc).__name__)
    raise exc


def build_message(message: Email, sender: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, then the attachments."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = message.to
    msg["Subject"] = message.subject
    msg["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message.message_id
    for name, value in message.headers.items():
        msg[name] = value
    msg.set_content(message.text)
    msg.add_alternative(message.html, subtype="html")
    for file in message.attachments:
        maintype, _, subtype = file.content_type.partition("/")
        msg.add_attachment(
            file.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=file.filename,
        )
    return msg


class SmtpSender:
    """An EmailSender over one SMTP connection, opened on first use and closed by `close`."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        security: str = "starttls",
        user: str = "",
        password: str = "",
        sender: str = "PaySim <noreply@paysim.local>",
        timeout: float = 20.0,
        ca_file: str = "",
    ):
        if security not in ("starttls", "tls", "none"):
            raise ValueError(f"SMTP security {security!r}: starttls, tls or none")
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.sender, self.timeout = user, password, sender, timeout
        self.ca_file = ca_file  # a private CA's certificates (PEM); "": the system's
        self._conn: smtplib.SMTP | None = None
        self.connections = 0  # how many times it connected (the tests and the bench read it)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SmtpSender:
        s = settings or get_settings()
        return cls(
            s.smtp_host,
            s.smtp_port,
            security=s.smtp_security,
            user=s.smtp_user,
            password=s.smtp_password,
            sender=s.smtp_from,
            timeout=s.smtp_timeout_seconds,
            ca_file=s.smtp_ca_file,
        )

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        context = None
        if self.security != "none":  # the server's certificate is checked, name included
            context = ssl.create_default_context(cafile=self.ca_file or None)
        try:
            if self.security == "tls":
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                conn.ehlo()
                if self.security == "starttls":
                    conn.starttls(context=context)
                    conn.ehlo()
                if self.user:
                    conn.login(self.user, self.password)
            except BaseException:
                _quietly_close(conn)
                raise
        except smtplib.SMTPAuthenticationError as exc:
            # wrong credentials: nothing will go until an admin fixes them, so "try later"
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise ConnectionFailure(f"login refused: {reply}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ConnectionFailure(f"server: {exc}") from None
        except Exception as exc:
            failure = classify(exc)
            raise ConnectionFailure(failure.reason) from None
        self.connections += 1
        return conn

    def send(self, message: Email) -> None:
        if self._conn is None:
            self._conn = self._connect()
        msg = build_message(message, self.sender)
        envelope_from = email.utils.parseaddr(self.sender)[1]
        try:
            refused = self._conn.send_message(msg, from_addr=envelope_from, to_addrs=[message.to])
        except Exception as exc:
            failure = classify(exc)
            # (every SMTPException is an OSError too: only a lost link closes the connection)
            lost = not isinstance(exc, smtplib.SMTPException)
            if lost or isinstance(exc, smtplib.SMTPServerDisconnected):
                self.close()  # the next message opens a new connection
            else:
                self._reset()
            raise failure from None
        if refused:  # only with several recipients; one refused recipient raises above
            code, reply = next(iter(refused.values()))
            raise PermanentFailure(
                f"recipient: {_reply(code, reply)}", bounced=code in BOUNCE_CODES
            )

    def _reset(self) -> None:
        """After a refused message: RSET, so the next one starts a clean transaction."""
        try:
            if self._conn is not None:
                self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            _quietly_close(self._conn, polite=True)
            self._conn = None


def _quietly_close(conn: smtplib.SMTP, polite: bool = False) -> None:
    try:
        if polite:
            conn.quit()
        else:
            conn.close()
    except (smtplib.SMTPException, OSError):
        try:
            conn.close()
        except OSError:
            pass
