"""Short-lived signed links: the payload travels in the URL, an HMAC proves we issued it.

Used for CSV exports: the page's state signs {session id, list, filters}; the download route
checks the signature and the expiry, then re-checks the session and the permission itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from paysim_app.core.errors import PermissionDenied
from paysim_app.settings import get_settings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: str, purpose: str) -> str:
    key = get_settings().paysim_secret_key.encode()
    return _b64(hmac.new(key, f"{purpose}:{body}".encode(), hashlib.sha256).digest())


def sign(payload: dict, purpose: str, ttl_seconds: int = 300) -> str:
    body = _b64(json.dumps({**payload, "exp": int(time.time()) + ttl_seconds}).encode())
    return f"{body}.{_mac(body, purpose)}"


def unsign(token: str, purpose: str) -> dict:
    """The payload, or PermissionDenied when the link is forged, altered or expired."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4000:
        raise PermissionDenied()
    body, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(body, purpose)):
        raise PermissionDenied()
    try:
        payload = json.loads(_unb64(body))
    except ValueError:
        raise PermissionDenied() from None
    if not isinstance(payload, dict) or int(payload.get("exp", 0)) < time.time():
        raise PermissionDenied()
    return payload
