"""The door: every event is checked against the access list before any handler runs.

Reflex hands each event to the app's middleware (`preprocess`) after it has locked the tab's
state and before it calls the handler; an answer from the middleware replaces the handler. The
door looks the event's `State.handler` up (ui/access.word_of), resolves the actor once (the
handler's own `_actor()` reuses it) and refuses the event when

- the handler has no access word (deny by default: Reflex's `setvar` and every internal event a
  browser does not send are refused too),
- the actor does not satisfy the word (signed out, another role, a permission the role lacks or
  lost since sign-in, a deactivated user or partner: accounts.identity.resolve_session),
- the actor is a subscriber who has not accepted the current legal texts (Actor.consent_due,
  accounts.consent): only public and signed-in handlers pass (the consent page's among them),
  the rest send the tab to /consent,
- or its arguments do not fit the handler (unknown or missing names, a type the handler does
  not take, NaN or Infinity, integers past int64, oversized text).

A refusal changes no state: a signed-out tab is sent to the sign-in page (once for the events
its page sends by itself at one moment), a signed-in one gets a toast (and its home page when
the refused event was a page load or the page is not its own).
Each refusal is logged as a warning with the event's name and the actor's id, never its
arguments.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
import types
import typing
from typing import Any
from urllib.parse import quote

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import StateUpdate
from reflex_base.event import Event
from starlette.datastructures import UploadFile

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.ui import access
from paysim_app.ui.auth.session import (
    HOME,
    SessionState,
    admit_actor,
    reset_tab,
    resolve_token,
    take_from_browser,
)

log = logging.getLogger("paysim.door")

MAX_TEXT = 20_000  # characters in one string argument (the longest form field is 5 000)
MAX_ITEMS = 500  # values in one event's arguments, all levels together
MAX_DEPTH = 6
INT64 = 2**63 - 1
CONSENT_PAGE = "/consent"
SIGN_IN_PAGE = "/login"
SIGNED_IN_TREES = tuple(HOME.values())  # the pages that need a sign-in, with /consent
# Reflex's events that bring the browser's LocalStorage values (ui/auth/session.BrowserState)
BROWSER_EVENTS = {"hydrate_and_load", "hydrate", "update_vars_internal"}


# A signed-out tab's last trip to the sign-in page: tab -> (the page it was going to, when).
# A page's own load and its shell's first event (the notification badge's on_mount) are refused
# together, each with the same redirect; the second one, arriving on the sign-in page, loaded
# it again and wiped what the visitor had begun to type. Such an event that the page sends by
# itself gets no second redirect a moment after the first; one the visitor sent (a click) always
# gets its own.
PAGE_LOADS = ("load", "guard_admin_section")
SHELL_MOUNTS = ("NotificationBadgeState.refresh",)
_SENT: dict[str, tuple[str, float]] = {}
SENT_FOR = 3.0  # seconds
SENT_KEPT = 10_000  # tabs remembered (a dict keeps insertion order: the oldest go first)


def _first_redirect(tab: str, asked: str) -> bool:
    """False when this tab was sent to sign in for `asked` a moment ago."""
    now = time.monotonic()
    if not tab:
        return True
    last = _SENT.pop(tab, None)
    _SENT[tab] = (asked, now)
    while len(_SENT) > SENT_KEPT:
        del _SENT[next(iter(_SENT))]
    return last is None or last[0] != asked or now - last[1] > SENT_FOR


class Refused(Exception):
    """An event the door does not let through; `reason` goes to the log."""

    def __init__(self, reason: str, *, bad_request: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.bad_request = reason, bad_request


def _handler_of(root: type, name: str):
    """(state class, handler name, EventHandler) for a full event name, or None."""
    path, _, handler = name.rpartition(".")
    try:
        cls = root.get_class_substate(path)
    except (ValueError, IndexError):
        return None
    found = cls.event_handlers.get(handler)
    return (cls, handler, found) if found is not None else None


# -- arguments ---------------------------------------------------------------------------------


def _walk(payload: Any) -> None:
    """Refuse values no browser sends: NaN/Infinity, huge ints, huge or deep structures."""
    todo, count = [(payload, 0)], 0
    while todo:
        value, depth = todo.pop()
        count += 1
        if count > MAX_ITEMS or depth > MAX_DEPTH:
            raise Refused("arguments too large", bad_request=True)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int) and abs(value) > INT64:
            raise Refused("integer out of range", bad_request=True)
        if isinstance(value, float) and not math.isfinite(value):
            raise Refused("non-finite number", bad_request=True)
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise Refused("text too long", bad_request=True)
        if isinstance(value, dict):
            todo += [(item, depth + 1) for pair in value.items() for item in pair]
        elif isinstance(value, list | tuple):
            todo += [(item, depth + 1) for item in value]


def _fits(value: Any, hint: Any) -> bool:
    """Whether a browser value can be what the handler's annotation asks for. Lenient where
    the frontend itself is (a number for a str, digits for an int); strict on shapes."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    target = origin or hint
    if target is str:
        return isinstance(value, str) or (
            isinstance(value, int | float) and not isinstance(value, bool)
        )
    if target is int:
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        return isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()
    if target is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if target is bool:
        return isinstance(value, bool)
    if target is dict:
        return isinstance(value, dict)
    if _is_upload(target):
        return isinstance(value, UploadFile)
    if target is list:
        # a file list comes from Reflex's upload endpoint as files; over the websocket a
        # hostile client can only send JSON in its place ([""], [5]): refused here
        items = typing.get_args(hint)
        if items and _is_upload(items[0]):
            return isinstance(value, list) and all(isinstance(v, UploadFile) for v in value)
        return isinstance(value, list)
    return True  # other objects Reflex builds itself


def _is_upload(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, UploadFile)


def _check_arguments(handler, payload: Any) -> None:
    if not isinstance(payload, dict):
        raise Refused("arguments are not a mapping", bad_request=True)
    _walk(payload)
    fn = handler.fn
    params = list(inspect.signature(fn).parameters.values())[1:]  # without self
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    try:
        hints = handler._type_hints or typing.get_type_hints(fn)
    except Exception:  # an annotation that does not resolve: names are still checked
        hints = {}
    names = {p.name for p in params}
    extra = set(payload) - names
    if extra:
        raise Refused(f"unknown argument(s) {sorted(extra)}", bad_request=True)
    for p in params:
        if p.name not in payload:
            if p.default is inspect.Parameter.empty:
                raise Refused(f"missing argument {p.name!r}", bad_request=True)
            continue
        hint = hints.get(p.name, inspect.Parameter.empty)
        value = payload[p.name]
        if not _fits(value, hint):
            raise Refused(f"argument {p.name!r} of the wrong type", bad_request=True)
        # the handler gets the type it declares: a number sent for a str is its text, digits
        # sent for an int are the number
        if hint is str and not isinstance(value, str):
            payload[p.name] = str(value)
        elif hint is int and isinstance(value, str):
            payload[p.name] = int(value.strip())


# -- the middleware ----------------------------------------------------------------------------


class Door(Middleware):
    """App middleware: the access check before every event (added first in paysim_app.py)."""

    async def preprocess(self, app, state, event: Event) -> StateUpdate | None:
        found = _handler_of(type(state), event.name)
        actor: Actor | None = None
        session: SessionState | None = None
        try:
            if found is None:
                raise Refused("no such event handler")
            cls, name, handler = found
            word = access.word_of(cls, name)
            if word is None:
                raise Refused("not in the access list")
            if word != access.PUBLIC:
                session = await state.get_state(SessionState)
                token = session.auth_token
                actor = await asyncio.to_thread(resolve_token, token)
                admit_actor(token, actor)
                if actor is None and (token or session.role):
                    # the tab's sign-in ended (expired, idle, revoked, disabled): forget it all
                    await reset_tab(session)
            else:
                admit_actor(None, None)
            if not access.satisfies(actor, word):
                raise Refused(f"needs {word}")
            if actor is not None and actor.consent_due and word not in (access.PUBLIC, "signed-in"):
                raise Refused("the current legal texts are not accepted yet")
            _check_arguments(handler, event.payload)
            if name in BROWSER_EVENTS:  # the browser's storage: the session follows it
                await take_from_browser(state, event.name, event.payload)
            if "view_locale" in cls.base_vars:
                # a state that renders in a language of its own follows the session's before
                # its handler runs (session.LocaleView): a path that changed the language
                # without follow_locale leaves it behind for one event at most
                target = await state.get_state(cls)
                target._follow_locale()
        except Refused as refusal:
            if session is None:
                session = await state.get_state(SessionState)
            return self._refuse(event, refusal, actor, session, found)
        return None

    def _refuse(self, event: Event, refusal: Refused, actor, session, found) -> StateUpdate:
        handler = f"{found[0].__name__}.{found[1]}" if found else event.name[-200:]
        who = f"user {actor.user_id}" if actor else "a signed-out tab"
        log.warning("door refused %s for %s: %s", handler, who, refusal.reason)
        locale = session.locale if session.locale in ("ru", "en") else "ru"
        path = session.router.page.path or "/"
        if refusal.bad_request:
            specs = [rx.toast.error(t("error.bad_request", locale), id="door")]
        elif actor is not None and actor.consent_due:
            specs = [] if path == CONSENT_PAGE else [rx.redirect(CONSENT_PAGE)]
        elif actor is None:
            # where the tab was going, with its query (/cabinet/order?tariff=3 keeps its tariff)
            url = session.router.url
            where = url.path.rstrip("/") or path  # the browser's path may end with a slash
            asked = f"{where}?{url.query}" if url.query else where
            if asked.startswith(SIGNED_IN_TREES):
                first = _first_redirect(session.router.session.client_token, asked)
                by_itself = found is not None and (
                    found[1] in PAGE_LOADS or handler in SHELL_MOUNTS
                )
                redirect = rx.redirect(f"/login?next={quote(asked, safe='')}")
                specs = [redirect] if first or not by_itself else []
            elif where == CONSENT_PAGE:
                specs = [rx.redirect(SIGN_IN_PAGE)]
            else:
                # A public page (the sign-in page among them) needs no sign-in, so the visitor
                # stays. Such an event is a stray: React runs a new page's on_mount before the
                # router's location follows, so the cabinet shell's first events can carry the
                # public page the visitor came from; sending the tab to /login then dropped the
                # ?next= that the page's own on_load asks for (and that comes next).
                specs = []
        else:
            home = HOME.get(actor.role, "/login")
            page_load = found is not None and found[1] in PAGE_LOADS
            specs = [rx.toast.error(t("error.forbidden", locale), id="door")]
            if page_load or not (path == home or path.startswith(home + "/")):
                specs.append(rx.redirect(home))
        return StateUpdate(events=Event.from_event_type(specs))
