"""Text messages: which sender the settings choose, and the sandbox.

`get_sms_sender()` gives the sandbox (PAYSIM_SMS_PROVIDER=sandbox, the default: nothing leaves
the machine, the text goes to the log) or the SMPP transmitter (PAYSIM_SMS_PROVIDER=smpp, the
operator's own SMSC; messaging.smpp). Both are context managers: the delivery job opens one per
run, `with get_sms_sender() as sms: sms.send(Sms(...))`, so the SMPP link stays bound between
the run's messages and is unbound at its end.

`split(text) -> (data_coding, parts)`, GSM 03.38 7-bit or UCS-2 and the parts of a long text,
lives in messaging.sms_parts (the SMPP sender uses it too) and is named here as well.
"""

from __future__ import annotations

import logging
import re
import uuid

from paysim_app.messaging.base import Sms
from paysim_app.messaging.sms_parts import (
    GSM7,
    UCS2,
    MessageTooLong,
    mask_number,
    parts_of,
    split,
)
from paysim_app.settings import get_settings

__all__ = [
    "GSM7",
    "UCS2",
    "MessageTooLong",
    "SandboxSmsSender",
    "get_sms_sender",
    "mask_number",
    "redact",
    "split",
]

log = logging.getLogger("paysim.sms")


# ------------------------------------------------------------------------------ the sandbox

_DIGITS = re.compile(r"\d{4,}")  # codes, amounts, numbers: out of a log outside demo mode
_TOKENS = re.compile(r"[A-Za-z0-9_\-]{16,}")  # link tokens


def redact(text: str) -> str:
    """The text with what may be a secret or a number (4+ digits, long tokens) masked."""
    return _DIGITS.sub("••••", _TOKENS.sub("••••", text))


class SandboxSmsSender:
    """Sends nothing: logs the message (whole in demo mode, where the demo reads codes from the
    log as it reads e-mails; else the number and anything like a code masked) and answers with
    made-up SMSC ids, one a part, as the real one would."""

    def __init__(self, demo: bool):
        self.demo = demo

    def __enter__(self) -> SandboxSmsSender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass

    def send(self, message: Sms) -> list[str]:
        coding, parts = parts_of(message)
        kind = "ucs2" if coding == UCS2 else "gsm7"
        if self.demo:
            log.warning(
                "sms (demo) to=%s ref=%s parts=%d %s\n%s",
                message.to,
                message.reference,
                len(parts),
                kind,
                message.text,
            )
        else:
            log.info(
                "sms (sandbox, not sent) to=%s ref=%s parts=%d %s\n%s",
                mask_number(message.to),
                message.reference,
                len(parts),
                kind,
                redact(message.text),
            )
        return [f"sandbox-{uuid.uuid4().hex[:16]}" for _ in parts]


def get_sms_sender():
    """A new sender as the settings say (a context manager; one per delivery run)."""
    settings = get_settings()
    if settings.paysim_sms_provider == "smpp":
        from paysim_app.messaging.smpp import SmppSender

        return SmppSender.from_settings(settings)
    return SandboxSmsSender(demo=settings.paysim_demo)
