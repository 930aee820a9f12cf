"""/api/unsubscribe?token=...: the link in a notification e-mail that turns its e-mail copy off.

GET shows what the link will do and a button (mail scanners open links; they must not
unsubscribe anyone); POST does it: the button's form, or a mail client's one-click
unsubscribe (RFC 8058: List-Unsubscribe-Post, a POST to the same URL). The token is signed
(core.signing) and names the user and the kind, so it can turn off only that kind for that
user; core.notify.unsubscribe refuses kinds that cannot be turned off.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse

from paysim_app.core import notify
from paysim_app.core.errors import PermissionDenied
from paysim_app.i18n import CATALOGUES, t
from paysim_app.messaging import compose
from paysim_app.settings import get_settings


def kind_label(kind: str, locale: str) -> str:
    """The kind as the notification settings name it (its notification's title otherwise)."""
    for key in (f"notify_centre.kind.{kind}", f"profile.kind.{kind}"):
        if key in CATALOGUES.get(locale, {}):
            return t(key, locale)
    return kind


def _page(locale: str, message: str, *, token: str = "", status: int = 200) -> HTMLResponse:
    title = html.escape(t("unsubscribe.title", locale))
    cabinet = html.escape(get_settings().paysim_public_url.rstrip("/") + "/login")
    form = (
        f'<form method="post" action="/api/unsubscribe?token={html.escape(token)}">'
        f'<button type="submit" style="padding:10px 18px;font-size:16px">'
        f"{html.escape(t('unsubscribe.button', locale))}</button></form>"
        if token
        else ""
    )
    body = f"""<!DOCTYPE html>
<html lang="{locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body style="font-family:Arial,sans-serif;max-width:560px;margin:40px auto;padding:0 16px;\
line-height:1.5;color:#1c2024">
<h1 style="font-size:22px">{title}</h1>
<p id="unsubscribe-message">{html.escape(message)}</p>
{form}
<p><a href="{cabinet}">{html.escape(t("unsubscribe.cabinet", locale))}</a></p>
</body></html>"""
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _read(request: Request) -> tuple[int, str, str] | None:
    try:
        return compose.read_unsubscribe_token(request.query_params.get("token", ""))
    except PermissionDenied:
        return None


async def unsubscribe_page(request: Request):
    found = _read(request)
    if found is None:
        return _page("ru", t("unsubscribe.invalid", "ru"), status=400)
    _user_id, kind, locale = found
    if not compose.can_unsubscribe(kind):
        return _page(locale, t("unsubscribe.locked", locale))
    label = kind_label(kind, locale)
    return _page(
        locale,
        t("unsubscribe.ask", locale, kind=label),
        token=request.query_params["token"],
    )


async def unsubscribe_action(request: Request):
    found = _read(request)
    if found is None:
        return _page("ru", t("unsubscribe.invalid", "ru"), status=400)
    user_id, kind, locale = found
    if not compose.can_unsubscribe(kind) or not notify.unsubscribe(user_id, kind):
        return _page(locale, t("unsubscribe.locked", locale), status=400)
    return _page(locale, t("unsubscribe.done", locale, kind=kind_label(kind, locale)))
