"""What a sender is: one message out through one channel, and the two ways it can fail.

The delivery job (messaging.delivery) claims outbox rows and hands each to the sender of its
channel. A sender raises TemporaryFailure when trying again later may work (an SMTP 4xx, a
refused or dropped connection, an SMSC throttling us) and PermanentFailure when it never will
(an SMTP 5xx for the recipient, an invalid number): the job retries the first with backoff and
marks the row failed, with the reason, on the second or after the last try.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from paysim_app.core.outbox import Attachment  # rendered by the context that owns the file


class DeliveryError(Exception):
    """A message could not be handed over; `reason` is short and safe to show staff."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:500]


class TemporaryFailure(DeliveryError):
    """Try again later."""


class PermanentFailure(DeliveryError):
    """Never try again; `bounced` when the address itself is refused (the user is told)."""

    def __init__(self, reason: str, *, bounced: bool = False):
        super().__init__(reason)
        self.bounced = bounced


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # "<...@host>", stable per outbox row so a retried send is recognisable
    headers: dict[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Sms:
    to: str  # E.164, "+79161234567"
    text: str
    reference: str  # the outbox row's id, for the log and the SMSC's delivery receipt


class EmailSender(Protocol):
    def send(self, message: Email) -> None: ...


class SmsSender(Protocol):
    def send(self, message: Sms) -> list[str]:
        """Hand the message over (split into parts as the channel needs); the SMSC's ids."""
        ...
