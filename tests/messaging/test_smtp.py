"""messaging.smtp against a real SMTP server (aiosmtpd, tests/messaging/conftest.py): one
connection per batch, AUTH, and every failure sorted into temporary or permanent."""

from __future__ import annotations

import smtplib

import pytest

from paysim_app.core.outbox import Attachment
from paysim_app.messaging.base import Email, PermanentFailure, TemporaryFailure
from paysim_app.messaging.smtp import ConnectionFailure, SmtpSender, classify
from tests.messaging.conftest import PASSWORD, USER


def _mail(to: str = "ivan@example.ru", n: int = 1, **kw) -> Email:
    return Email(
        to=to,
        subject=kw.pop("subject", f"Письмо {n}"),
        text=kw.pop("text", f"Текст {n}"),
        html=kw.pop("html", f"<p>Текст {n}</p>"),
        message_id=f"<test.{n}@mail.paysim.test>",
        **kw,
    )


def _sender(port: int, **kw) -> SmtpSender:
    kw.setdefault("security", "none")
    return SmtpSender(
        "127.0.0.1", port, sender="PaySim <noreply@mail.paysim.test>", timeout=5, **kw
    )


def test_a_batch_goes_over_one_connection_with_both_parts_and_an_attachment(smtp):
    pdf = Attachment("receipt-7.pdf", "application/pdf", b"%PDF-1.4 demo")
    with _sender(smtp.port) as sender:
        for n in range(3):
            sender.send(_mail(n=n, attachments=(pdf,) if n == 0 else ()))
    assert sender.connections == 1 and smtp.connections == 1
    assert len(smtp.received) == 3
    first = smtp.received[0]
    assert first.mail_from == "noreply@mail.paysim.test"
    assert first.rcpt_tos == ["ivan@example.ru"]
    msg = first.message
    assert msg["Subject"] == "Письмо 0" and msg["Message-ID"] == "<test.0@mail.paysim.test>"
    assert msg["From"] == "PaySim <noreply@mail.paysim.test>" and msg["Date"]
    assert msg.get_body(("plain",)).get_content().strip() == "Текст 0"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Текст 0</p>"
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "receipt-7.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.4 demo"


def test_auth_when_a_user_is_set_and_a_wrong_password_is_a_connection_failure(smtp):
    with _sender(smtp.port, user=USER, password=PASSWORD) as sender:
        sender.send(_mail())
    assert smtp.logins == [USER] and len(smtp.received) == 1
    with _sender(smtp.port, user=USER, password="wrong") as sender:
        with pytest.raises(ConnectionFailure, match="login refused: 535"):
            sender.send(_mail())


def test_starttls_against_a_server_without_it_is_temporary_not_a_silent_plain_send(smtp):
    with _sender(smtp.port, security="starttls") as sender:
        with pytest.raises(ConnectionFailure, match="STARTTLS"):
            sender.send(_mail())
    assert smtp.received == []


def test_implicit_tls_to_a_plain_server_fails_for_the_time_being(smtp):
    with _sender(smtp.port, security="tls") as sender:
        with pytest.raises(ConnectionFailure):
            sender.send(_mail())
    assert smtp.received == []


def test_a_refused_recipient_is_permanent_and_a_bounce_others_still_go(smtp):
    smtp.refuse["gone@example.ru"] = "550 5.1.1 <gone@example.ru>: no such user"
    smtp.refuse["full@example.ru"] = "452 4.2.2 mailbox full"
    smtp.refuse["policy@example.ru"] = "554 5.7.1 rejected by policy"
    with _sender(smtp.port) as sender:
        with pytest.raises(PermanentFailure) as bounce:
            sender.send(_mail("gone@example.ru"))
        with pytest.raises(TemporaryFailure) as later:
            sender.send(_mail("full@example.ru"))
        with pytest.raises(PermanentFailure) as policy:
            sender.send(_mail("policy@example.ru"))
        sender.send(_mail("ok@example.ru"))  # the same connection, after RSET
    assert bounce.value.bounced and "550 5.1.1" in bounce.value.reason
    assert not isinstance(later.value, PermanentFailure) and "452" in later.value.reason
    assert not policy.value.bounced
    assert [r.rcpt_tos for r in smtp.received] == [["ok@example.ru"]]
    assert sender.connections == 1


def test_a_4xx_after_data_is_temporary_a_5xx_permanent(smtp):
    smtp.data_replies += ["451 4.3.0 try again later", "554 5.6.0 content rejected"]
    with _sender(smtp.port) as sender:
        with pytest.raises(TemporaryFailure, match="451"):
            sender.send(_mail(n=1))
        with pytest.raises(PermanentFailure, match="554") as exc:
            sender.send(_mail(n=2))
        sender.send(_mail(n=3))
    assert not exc.value.bounced
    assert [r.message["Subject"] for r in smtp.received] == ["Письмо 3"]


def test_server_down_is_a_connection_failure(dead_port):
    with _sender(dead_port) as sender:
        with pytest.raises(ConnectionFailure, match="connection"):
            sender.send(_mail())


def test_a_server_that_accepts_and_closes_at_once(dropping_server):
    port, accepted = dropping_server
    with _sender(port) as sender:
        with pytest.raises(ConnectionFailure, match="closed"):
            sender.send(_mail())
    assert accepted


def test_a_connection_dropped_mid_batch_is_temporary_and_the_next_message_reconnects(smtp):
    smtp.drop_data = 1
    with _sender(smtp.port) as sender:
        with pytest.raises(TemporaryFailure) as exc:
            sender.send(_mail(n=1))
        sender.send(_mail(n=2))
    assert not isinstance(exc.value, ConnectionFailure)
    assert sender.connections == 2
    assert [r.message["Subject"] for r in smtp.received] == ["Письмо 2"]


@pytest.mark.parametrize(
    "exc, temporary",
    [
        (smtplib.SMTPServerDisconnected("x"), True),
        (smtplib.SMTPResponseException(421, b"closing"), True),
        (smtplib.SMTPResponseException(552, b"too big"), False),
        (smtplib.SMTPRecipientsRefused({"a@b": (551, b"moved")}), False),
        (smtplib.SMTPSenderRefused(553, b"sender not allowed", "noreply@x"), True),
        (ConnectionResetError(104, "reset"), True),
        (TimeoutError(), True),
    ],
)
def test_classify(exc, temporary):
    failure = classify(exc)
    assert isinstance(failure, TemporaryFailure) is temporary
    assert failure.reason


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_the_servers_certificate_checked(tls_smtp, security):
    tls_smtp.catcher.reset()
    port = tls_smtp.port if security == "starttls" else tls_smtp.tls_port

    def sender(host: str, ca_file: str) -> SmtpSender:
        return SmtpSender(
            host,
            port,
            security=security,
            sender="PaySim <noreply@mail.paysim.test>",
            timeout=5,
            ca_file=ca_file,
        )

    with sender("localhost", tls_smtp.ca_file) as s:
        s.send(_mail(n=1))
    assert [r.message["Subject"] for r in tls_smtp.catcher.received] == ["Письмо 1"]
    # a certificate nobody we trust signed, or one for another name: nothing is sent
    with sender("localhost", "") as s:
        with pytest.raises(ConnectionFailure, match="TLS|CERTIFICATE"):
            s.send(_mail(n=2))
    with sender("127.0.0.1", tls_smtp.ca_file) as s:
        with pytest.raises(ConnectionFailure):
            s.send(_mail(n=3))
    assert len(tls_smtp.catcher.received) == 1


def test_a_server_that_requires_starttls_refuses_plain_mail(tls_smtp):
    tls_smtp.catcher.reset()
    with _sender(tls_smtp.port) as sender:
        with pytest.raises(TemporaryFailure, match="refused us: 530") as exc:
            sender.send(_mail())
    assert not isinstance(exc.value, PermanentFailure)  # fix the settings and it goes
    assert tls_smtp.catcher.received == []


def test_preflight_names_a_missing_ca_file_and_an_unencrypted_remote_relay(tmp_path):
    from paysim_app import preflight
    from paysim_app.settings import Settings

    def said(**kw) -> str:
        return "\n".join(preflight.warnings(Settings(**kw)))

    assert "SMTP_HOST is empty: no e-mail is sent" in said(smtp_host="")
    assert "SMTP_CA_FILE /nope/ca.pem is not a file" in said(
        smtp_host="relay.example.ru", smtp_ca_file="/nope/ca.pem"
    )
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert "SMTP_CA_FILE" not in said(smtp_host="relay.example.ru", smtp_ca_file=str(ca))
    assert "travel unencrypted" in said(smtp_host="relay.example.ru", smtp_security="none")
    assert "unencrypted" not in said(smtp_host="127.0.0.1", smtp_security="none")
