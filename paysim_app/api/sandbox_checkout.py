"""/api/sandbox/checkout/<session>: the sandbox gateway's TEST payment page (PAYSIM_GATEWAY=sandbox).

It stands in for Stripe Checkout in the demo and the browser tests: plain server-rendered HTML
with the app's look, clearly marked as a test (no real money), in Russian or English, usable on a
phone. It takes Stripe's test cards (payments.sandbox.TEST_CARDS): the card is typed here, on the
"provider's" page, never in PaySim's own forms. A declined card is told here and another may be
tried; a card that wants 3-D Secure gets a confirmation step (confirm / fail); a paid session
sends the payer to the success URL, and "back" to the cancel URL. The sandbox reports every step
to PaySim's webhook like Stripe does.

With PAYSIM_GATEWAY=stripe the page does not exist (404).
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from paysim_app.i18n import t
from paysim_app.i18n.formats import money
from paysim_app.payments import get_gateway
from paysim_app.payments.sandbox import PageOutcome, PageView, SandboxGateway

MAX_FORM = 4096
_TEST_CARDS = (
    ("4242 4242 4242 4242", "sandbox.card.ok"),
    ("4000 0000 0000 0002", "sandbox.card.declined"),
    ("4000 0000 0000 9995", "sandbox.card.funds"),
    ("4000 0025 0000 3155", "sandbox.card.3ds_once"),
    ("4000 0027 6000 3184", "sandbox.card.3ds_always"),
)


def _sandbox() -> SandboxGateway | None:
    gateway = get_gateway()
    return gateway if isinstance(gateway, SandboxGateway) else None


def _locale(request: Request, view: PageView | None) -> str:
    lang = request.query_params.get("lang")
    if lang in ("ru", "en"):
        return lang
    return view.locale if view else "ru"


async def checkout_page(request: Request) -> Response:
    gateway = _sandbox()
    if gateway is None:
        return HTMLResponse("Not found", status_code=404)
    session_id = request.path_params["session_id"]
    view = await run_in_threadpool(gateway.page, session_id)
    locale = _locale(request, view)
    if view is None:
        return _render(None, locale, status=404)
    if view.status == "complete":
        return RedirectResponse(view.success_url, status_code=303)
    return _render(view, locale)


async def checkout_action(request: Request) -> Response:
    gateway = _sandbox()
    if gateway is None:
        return HTMLResponse("Not found", status_code=404)
    session_id = request.path_params["session_id"]
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM:
        return HTMLResponse("Too large", status_code=413)
    form = await request.form()
    action = str(form.get("action", ""))
    if action == "pay":
        outcome = await run_in_threadpool(
            gateway.pay,
            session_id,
            str(form.get("card_number", ""))[:40],
            str(form.get("card_expiry", ""))[:10],
            str(form.get("card_cvc", ""))[:8],
        )
    elif action in ("confirm", "fail"):
        outcome = await run_in_threadpool(gateway.confirm, session_id, action == "confirm")
    else:
        outcome = PageOutcome("invalid", "sandbox.error.action")
    view = await run_in_threadpool(gateway.page, session_id)
    locale = _locale(request, view)
    if view is None:
        return _render(None, locale, status=404)
    if outcome.kind == "complete" or view.status == "complete":
        return RedirectResponse(view.success_url, status_code=303)
    if outcome.kind == "invalid":
        return _render(view, locale, error=t(outcome.code or "", locale), field=outcome.field)
    if outcome.kind == "declined":
        return _render(view, locale, error=_decline(outcome.code, locale))
    return _render(view, locale)


def _decline(code: str | None, locale: str) -> str:
    return t(f"decline.{code or 'card_declined'}", locale)


def _amount(view: PageView, locale: str) -> str:
    if view.amount_kop is None:
        return ""
    return money(view.amount_kop, locale)


def _render(
    view: PageView | None,
    locale: str,
    *,
    error: str = "",
    field: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    def tr(key: str, **params: object) -> str:
        return html.escape(t(key, locale, **params))

    if view is None:
        body = f'<h1 id="sandbox-title">{tr("sandbox.not_found")}</h1>'
    elif view.status == "expired":
        body = (
            f'<h1 id="sandbox-title">{tr("sandbox.expired")}</h1>'
            f"<p>{tr('sandbox.expired_body')}</p>"
            f'<a class="secondary" id="sandbox-back" href="{html.escape(view.cancel_url)}">'
            f"{tr('sandbox.back')}</a>"
        )
    elif view.challenge:
        body = (
            f'<h1 id="sandbox-title">{tr("sandbox.challenge_title")}</h1>'
            f"<p>{tr('sandbox.challenge_body', last4=view.card_last4)}</p>"
            f"{_summary(view, locale, tr)}"
            '<form method="post" class="actions">'
            f'<button type="submit" name="action" value="confirm" id="sandbox-confirm">'
            f"{tr('sandbox.confirm')}</button>"
            f'<button type="submit" name="action" value="fail" class="danger" id="sandbox-fail">'
            f"{tr('sandbox.fail')}</button>"
            "</form>"
        )
    else:
        title = "sandbox.title_setup" if view.mode == "setup" else "sandbox.title_payment"
        cards = "".join(
            f"<li><code>{number}</code> — {tr(key)}</li>" for number, key in _TEST_CARDS
        )
        body = (
            f'<h1 id="sandbox-title">{tr(title)}</h1>'
            f"{_summary(view, locale, tr)}"
            + (
                f'<p class="error" role="alert" id="sandbox-error">{html.escape(error)}</p>'
                if error
                else ""
            )
            + '<form method="post" autocomplete="off" novalidate>'
            '<input type="hidden" name="action" value="pay">'
            + _field("card_number", tr("card.number"), "4242 4242 4242 4242", "cc-number", field)
            + '<div class="row">'
            + _field("card_expiry", tr("card.expiry"), "12/34", "cc-exp", field)
            + _field("card_cvc", tr("card.cvc"), "123", "cc-csc", field)
            + "</div>"
            f'<button type="submit" id="sandbox-pay">'
            f"{tr('sandbox.pay', amount=_amount(view, locale)) if view.mode == 'payment' else tr('sandbox.save')}"
            "</button></form>"
            f'<a class="secondary" id="sandbox-back" href="{html.escape(view.cancel_url)}">'
            f"{tr('sandbox.back')}</a>"
            f"<details><summary>{tr('sandbox.cards')}</summary><ul>{cards}</ul>"
            f"<p>{tr('sandbox.cards_note')}</p></details>"
        )
    other = "en" if locale == "ru" else "ru"
    switch = f'<a class="lang" href="?lang={other}" lang="{other}">{other.upper()}</a>'
    page = f"""<!doctype html>
<html lang="{locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{tr("sandbox.banner")} — PaySim</title>
<style>{_CSS}</style></head>
<body><div class="banner" role="note" id="sandbox-banner">{tr("sandbox.banner")}</div>
<main><header><span class="brand">PaySim</span>{switch}</header>
<section class="card">{body}</section>
<p class="note">{tr("sandbox.note")}</p></main></body></html>"""
    return HTMLResponse(page, status_code=status)


def _summary(view: PageView, locale: str, tr) -> str:
    rows = ""
    if view.amount_kop is not None:
        rows += f'<p class="amount" id="sandbox-amount">{html.escape(_amount(view, locale))}</p>'
    return rows


def _field(name: str, label: str, placeholder: str, autocomplete: str, bad: str | None) -> str:
    invalid = ' aria-invalid="true"' if bad == name else ""
    mode = "numeric" if name != "card_expiry" else "text"
    return (
        f'<label for="{name}">{label}'
        f'<input id="{name}" name="{name}" inputmode="{mode}" placeholder="{placeholder}"'
        f' autocomplete="{autocomplete}"{invalid}></label>'
    )


_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#f8f9fb;color:#1c2024;font-size:16px}
.banner{background:#ffc53d;color:#4f3422;text-align:center;font-weight:700;padding:10px 12px}
main{max-width:440px;margin:0 auto;padding:16px}
header{display:flex;justify-content:space-between;align-items:center;margin:8px 0 16px}
.brand{font-weight:800;font-size:20px;color:#3e63dd}
.lang{color:#3e63dd;text-decoration:none;font-weight:600;padding:8px}
.card{background:#fff;border:1px solid #e0e1e6;border-radius:12px;padding:20px;
box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{font-size:20px;margin:0 0 12px}
.amount{font-size:28px;font-weight:700;margin:4px 0 16px}
.what{color:#60646c;margin:0}
label{display:block;font-size:14px;font-weight:500;margin:0 0 12px;flex:1}
input{display:block;width:100%;margin-top:4px;padding:12px;font-size:16px;border:1px solid #cdced6;
border-radius:8px}
input[aria-invalid=true]{border-color:#e5484d}
.row{display:flex;gap:12px}
button{display:block;width:100%;min-height:48px;margin-top:8px;border:0;border-radius:8px;
background:#3e63dd;color:#fff;font-size:16px;font-weight:600;cursor:pointer}
button.danger{background:#fff;color:#ce2c31;border:1px solid #ce2c31}
.actions{display:grid;gap:8px}
.secondary{display:block;text-align:center;margin-top:16px;color:#3e63dd;padding:8px}
.error{background:#ffefef;color:#ce2c31;border-radius:8px;padding:10px 12px}
details{margin-top:16px;font-size:14px;color:#60646c}
details ul{padding-left:18px}
code{font-size:13px}
.note{font-size:13px;color:#60646c;text-align:center}
"""
