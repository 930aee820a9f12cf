"""The SMS arithmetic of GSM 03.38, pure and shared by the senders (messaging.sms's sandbox,
messaging.smpp): which coding a text takes and where it is cut into parts.

A text whose every character is in the GSM 7-bit default alphabet (the extension table's
characters `{ } [ ] ~ \\ ^ | €` and form feed cost two septets: an escape and the character) goes
as data_coding 0, 160 septets in one SMS or 153 per part of a concatenated one (the 6-octet UDH
takes 7 septets); anything else (any Cyrillic letter) as UCS-2, data_coding 8, 70 UTF-16 code
units in one SMS or 67 per part. Parts are cut between characters, so an escape sequence or a
surrogate pair (an emoji: two code units) is never torn across two parts.

smpplib.gsm is not used for this: its table puts '`' where GSM has '§' (so '§' cannot be sent
and '`' arrives as '§'), its make_parts cuts the encoded bytes at fixed offsets (tearing escape
sequences and surrogate pairs, as its own FIXME says) and it draws the concatenation reference
at random.
"""

from __future__ import annotations

from paysim_app.messaging.base import PermanentFailure, Sms

GSM7 = 0x00  # SMPP data_coding: the SMSC's default alphabet, GSM 03.38, one septet an octet
UCS2 = 0x08  # SMPP data_coding: UCS-2 (UTF-16BE on the wire)

GSM_SINGLE, GSM_PART = 160, 153  # septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units
MAX_PARTS = 255  # an 8-bit concatenation header counts the parts in one octet

# GSM 03.38 default alphabet, code 0x00..0x7F in order (0x1B is the escape to the extension table)
_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
ESCAPE = 0x1B
GSM_BASIC = {ch: code for code, ch in enumerate(_BASIC) if code != ESCAPE}
GSM_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}


class MessageTooLong(ValueError):
    """More than MAX_PARTS parts."""


def is_gsm(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def septets(ch: str) -> int:
    """What one GSM character costs: 2 for the extension table's (escape + code)."""
    return 2 if ch in GSM_EXTENSION else 1


def code_units(ch: str) -> int:
    """What one character costs in UCS-2 as SMS carries it (UTF-16): 2 beyond the BMP."""
    return 2 if ord(ch) > 0xFFFF else 1


def split(text: str) -> tuple[int, list[str]]:
    """(data_coding, parts): GSM7 when every character is GSM, else UCS2; the parts, joined,
    are `text`. MessageTooLong past MAX_PARTS parts."""
    if is_gsm(text):
        coding, cost, single, part = GSM7, septets, GSM_SINGLE, GSM_PART
    else:
        coding, cost, single, part = UCS2, code_units, UCS2_SINGLE, UCS2_PART
    if sum(map(cost, text)) <= single:
        return coding, [text]
    parts: list[str] = []
    start = used = 0
    for i, ch in enumerate(text):
        if used + cost(ch) > part:
            parts.append(text[start:i])
            start, used = i, 0
        used += cost(ch)
    parts.append(text[start:])
    if len(parts) > MAX_PARTS:
        raise MessageTooLong(f"{len(parts)} parts, at most {MAX_PARTS}")
    return coding, parts


def encode(text: str, coding: int) -> bytes:
    """One part's short_message bytes: GSM septets unpacked (one an octet, as SMPP carries
    the default alphabet; the extension table's behind 0x1B) or UTF-16BE."""
    if coding == UCS2:
        return text.encode("utf-16-be")
    out = bytearray()
    for ch in text:
        if ch in GSM_EXTENSION:
            out += bytes((ESCAPE, GSM_EXTENSION[ch]))
        else:
            out.append(GSM_BASIC[ch])
    return bytes(out)


_GSM_DECODE = {code: ch for ch, code in GSM_BASIC.items()}
_GSM_EXT_DECODE = {code: ch for ch, code in GSM_EXTENSION.items()}


def decode(data: bytes, coding: int) -> str:
    """encode's inverse (tests read what a fake SMSC received with it)."""
    if coding == UCS2:
        return data.decode("utf-16-be")
    out, escaped = [], False
    for byte in data:
        if escaped:
            out.append(_GSM_EXT_DECODE[byte])
            escaped = False
        elif byte == ESCAPE:
            escaped = True
        else:
            out.append(_GSM_DECODE[byte])
    return "".join(out)


def parts_of(message: Sms) -> tuple[int, list[str]]:
    """split() for a sender: too long is a permanent failure (the same text never fits)."""
    try:
        return split(message.text)
    except MessageTooLong as exc:
        raise PermanentFailure(f"text too long for SMS: {exc}") from exc


def mask_number(number: str) -> str:
    """'+79161234567' -> '+7••••••••67': enough to tell two numbers apart in a log."""
    return number[:2] + "•" * max(len(number) - 4, 0) + number[-2:] if len(number) > 4 else "••"
