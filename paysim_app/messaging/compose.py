"""An outbox row as the e-mail that leaves: subject, plain text and HTML in the recipient's
language, a stable Message-ID, attachments, and for the kinds one can switch off the
unsubscribe link (in the footer and as List-Unsubscribe with one-click POST, RFC 8058).

The row's body is already written (in the recipient's language, or in both for the messages
that go to an address before we know its owner); the templates wrap it: the brand, the body's
paragraphs with links made clickable (everything escaped), a footer saying why it came.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.utils import parseaddr

from sqlmodel import Session

from paysim_app.core import notify, outbox, signing
from paysim_app.i18n import t
from paysim_app.messaging.base import Email, PermanentFailure, Sms
from paysim_app.models import OutboxEmail
from paysim_app.settings import get_settings

UNSUBSCRIBE_PURPOSE = "unsubscribe"
UNSUBSCRIBE_DAYS = 365  # a link in an old e-mail still works for a year
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
BRAND_COLOUR = "#0b6bcb"


@dataclass(frozen=True)
class Recipient:
    """Whom a row is for, as far as it is known: the user (None: an address we do not know)
    and the language the e-mail is written in."""

    user_id: int | None
    locale: str


def can_unsubscribe(kind: str) -> bool:
    """A notification the user may switch off (not a security notice; not a password reset,
    code, invitation or receipt, which are not notifications at all)."""
    spec = notify.KINDS.get(kind)
    return spec is not None and not spec.locked


def unsubscribe_token(user_id: int, kind: str, locale: str) -> str:
    return signing.sign(
        {"u": int(user_id), "k": kind, "l": locale},
        UNSUBSCRIBE_PURPOSE,
        ttl_seconds=UNSUBSCRIBE_DAYS * 86400,
    )


def unsubscribe_url(user_id: int, kind: str, locale: str) -> str:
    base = get_settings().paysim_public_url.rstrip("/")
    return f"{base}/api/unsubscribe?token={unsubscribe_token(user_id, kind, locale)}"


def read_unsubscribe_token(token: str) -> tuple[int, str, str]:
    """(user id, kind, locale) of a link we signed; PermissionDenied for a forged, altered or
    expired one."""
    payload = signing.unsign(token, UNSUBSCRIBE_PURPOSE)
    user_id, kind, locale = payload.get("u"), payload.get("k"), payload.get("l")
    if not isinstance(user_id, int) or not isinstance(kind, str):
        from paysim_app.core.errors import PermissionDenied

        raise PermissionDenied()
    return user_id, kind, locale if locale in ("ru", "en") else "ru"


def message_id(mail: OutboxEmail, sender: str | None = None) -> str:
    """Stable per row (a retried send carries the same id); the domain is SMTP_FROM's."""
    address = parseaddr(sender or get_settings().smtp_from)[1]
    domain = address.rpartition("@")[2] or "paysim.local"
    stamp = int(mail.created_at.timestamp()) if mail.created_at else 0
    return f"<outbox.{mail.id}.{stamp}@{domain}>"


def _linkify(escaped: str) -> str:
    return _URL.sub(
        lambda m: f'<a href="{m.group(0)}" style="color:{BRAND_COLOUR}">{m.group(0)}</a>', escaped
    )


def _paragraphs(text: str) -> str:
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return "\n".join(
        '<p style="margin:0 0 14px">'
        + "<br>\n".join(_linkify(html.escape(line)) for line in block.split("\n"))
        + "</p>"
        for block in blocks
    )


def render_html(subject: str, body: str, footer: str, locale: str) -> str:
    """The HTML part: a small table layout mail clients render alike, everything escaped."""
    brand = html.escape(t("mail.brand", locale))
    return f"""<!DOCTYPE html>
<html lang="{locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{html.escape(subject)}</title></head>
<body style="margin:0;padding:0;background:#f3f5f8">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f5f8">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"
 style="max-width:560px;background:#ffffff;border-radius:8px;font-family:Arial,sans-serif;\
font-size:15px;line-height:1.5;color:#1c2024">
<tr><td style="padding:16px 24px;background:{BRAND_COLOUR};border-radius:8px 8px 0 0;\
color:#ffffff;font-size:20px;font-weight:bold">{brand}</td></tr>
<tr><td style="padding:24px">
<h1 style="margin:0 0 16px;font-size:18px">{html.escape(subject)}</h1>
{_paragraphs(body)}
</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e0e4ea;color:#60646c;font-size:12px">
{_paragraphs(footer)}
</td></tr>
</table></td></tr></table>
</body></html>
"""


def compose_email(
    session: Session, mail: OutboxEmail, recipient: Recipient, *, sender: str | None = None
) -> Email:
    """The e-mail for this row, its secret put back and its attachments rendered now.
    PermanentFailure for an address that is no e-mail address (a phone queued as e-mail
    before SMS existed): no mail server would take it."""
    local, _, domain = mail.to_address.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in mail.to_address):
        raise PermanentFailure(f"not an e-mail address: {mail.to_address[:60]}")
    loc = recipient.locale
    body = outbox.render_for_sending(mail)
    headers: dict[str, str] = {}
    footer = [t("mail.footer.auto", loc)]
    if recipient.user_id is not None and can_unsubscribe(mail.kind):
        link = unsubscribe_url(recipient.user_id, mail.kind, loc)
        footer.append(t("mail.footer.unsubscribe", loc, link=link))
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer_text = "\n\n".join(footer)
    text = f"{body.rstrip()}\n\n-- \n{footer_text}\n"
    files = outbox.render_attachments(session, mail, loc)
    return Email(
        to=mail.to_address,
        subject=mail.subject or t("mail.brand", loc),
        text=text,
        html=render_html(mail.subject, body, footer_text, loc),
        message_id=message_id(mail, sender),
        headers=headers,
        attachments=tuple(files),
    )


def compose_sms(mail: OutboxEmail) -> Sms:
    return Sms(to=mail.to_address, text=outbox.render_for_sending(mail), reference=str(mail.id))
