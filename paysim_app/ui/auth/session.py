"""The session state every page builds on.

The browser keeps only a random session token and the language (LocalStorage, in BrowserState);
every handler resolves the token again through accounts.identity.resolve_session, so a revoked
or expired session stops working at once. Ids of the signed-in user stay in backend-only vars
(leading underscore).
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import reflex as rx
from reflex_base.constants.state import FIELD_MARKER

from paysim_app.accounts import identity
from paysim_app.core.errors import DomainError, ValidationError
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.i18n.formats import clock, day, money
from paysim_app.ui.access import access, app_states

HOME = {"subscriber": "/cabinet", "partner": "/partner", "admin": "/admin"}


def safe_next(target: str | None, role: str) -> str:
    """Where to go after sign-in: the page asked for if it is ours and in the role's tree."""
    home = HOME[role]
    target = target.rstrip("/") if isinstance(target, str) else target
    if (
        not target
        or not isinstance(target, str)
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return home
    if target == home or target.startswith(home + "/"):
        return target
    return home


# The actor the door (ui/door.py) resolved for the event being handled: the handler's own
# _actor() reuses it instead of asking the database again. One event at a time runs in a task's
# context, and the door sets this before each one.
_DOOR_ACTOR: ContextVar[tuple[str, Actor | None] | None] = ContextVar("door_actor", default=None)


def resolve_token(token: str) -> Actor | None:
    return identity.resolve_session(token)


def _sign_out(token: str) -> None:
    identity.sign_out(token)


def admit_actor(token: str | None, actor: Actor | None) -> None:
    """The door's answer for this event (token None: it did not look)."""
    _DOOR_ACTOR.set(None if token is None else (token, actor))


def _resolve(token: str) -> Actor | None:
    known = _DOOR_ACTOR.get()
    if known is not None and known[0] == token:
        return known[1]
    return resolve_token(token)


async def reset_tab(state: rx.State, token: str = "") -> None:
    """Every page state of this tab back to its defaults, then sign the tab in as `token` ("":
    signed out). Run on sign-in, sign-out and when the door finds the tab's sign-in has ended:
    nothing of the previous user (their rows, card labels, a revealed PUK) stays in memory or
    Redis under this tab, nor reaches the next user's first frames. The language stays."""
    session = await state.get_state(SessionState)
    locale = session.locale
    for cls in app_states():
        if cls is not SessionState:
            await session.get_state(cls)  # loaded, so that reset() below reaches it
    session.reset()  # recursive over every loaded substate
    session.locale, session.auth_token = locale, token
    await follow_locale(session)


async def follow_locale(session: SessionState) -> None:
    """The states that render in a language of their own (LocaleView) take the session's, and
    the browser keeps the session's token and language: on a switch, a sign-in and a reset,
    all rare, so only they load every state."""
    await _spread_locale(session)
    await keep_in_browser(session)


async def _spread_locale(session: SessionState) -> None:
    for cls in app_states():
        if "view_locale" in cls.base_vars:
            state = await session.get_state(cls)
            if state.view_locale != session.locale:
                state.view_locale = session.locale


@dataclass(frozen=True)
class Outcome:
    """What one call of a domain verb came to, for the page: true when it was done."""

    value: Any = None
    error: str = ""  # the refusal, in the reader's language
    field: str = ""  # the form field a refused value belongs to
    code: str = ""  # the refusal's code, for pages that answer some refusals their own way
    redirect: Any = None  # nobody signed in: the way to the sign-in page

    def __bool__(self) -> bool:
        return not self.error and self.redirect is None


class PingState(rx.State):
    """A state of its own under the root, with nothing in it: its event is the floor of what an
    event costs (the root and this state read from Redis and written back), the baseline that
    bench/load.py measures beside the real events. On SessionState the same handler loaded all
    of its ~99 substates (every page's), which is what an event of a parent costs, not a
    round trip's."""

    @access("public")
    @rx.event
    def noop(self):
        """Does nothing."""


class BrowserState(rx.State):
    """What the browser keeps for the tab (LocalStorage): the session token and the language.

    A leaf under the root, apart from SessionState: Reflex sends every LocalStorage value back
    on each navigation (`update_vars_internal`) and loads the states that own them, and a
    state is loaded with all its substates, so these two in SessionState made every navigation
    read and write its ~99 substates (every page's) in Redis. SessionState holds copies: the
    door takes the browser's values when a hydrate or an `update_vars_internal` brings
    different ones (`take_from_browser`), and `keep_in_browser` hands the session's back."""

    auth_token: str = rx.LocalStorage("", name="paysim_session", sync=True)
    locale: str = rx.LocalStorage("ru", name="paysim_locale", sync=True)


BROWSER_VARS = ("auth_token", "locale")
LOCALES = ("ru", "en")  # the languages the app speaks


def _browser_values(payload: object) -> dict[str, str]:
    """The BrowserState values a hydrate's or an update_vars_internal's payload carries."""
    values = payload.get("vars") if isinstance(payload, dict) else None
    if not isinstance(values, dict):
        return {}
    own = BrowserState.get_full_name()
    found = {}
    for key, value in values.items():
        state, _, name = str(key).rpartition(".")
        name = name.removesuffix(FIELD_MARKER)
        if state == own and name in BROWSER_VARS and isinstance(value, str):
            found[name] = value
    return found


async def take_from_browser(state: rx.State, event_name: str, payload: object) -> None:
    """Before a hydrate or an update_vars_internal (the door calls this): SessionState takes
    the token and the language the browser sends, where they differ from what it holds.

    A hydrate loads every state anyway and sets what the browser left out back to its
    default, so the session does too. An update_vars_internal (each navigation, and another
    tab's sign-in or language switch) is compared with BrowserState alone: only a change loads
    SessionState and its substates."""
    sent = _browser_values(payload)
    if event_name.endswith(".hydrate_and_load") or event_name.endswith(".hydrate"):
        wanted = {"auth_token": sent.get("auth_token", ""), "locale": sent.get("locale", "ru")}
    else:
        browser = await state.get_state(BrowserState)
        wanted = {k: v for k, v in sent.items() if getattr(browser, k) != v}
        if not wanted:
            return
    session = await state.get_state(SessionState)
    token = wanted.get("auth_token", session.auth_token)
    locale = wanted.get("locale", session.locale)
    if session.auth_token != token:
        session.auth_token = token
    if locale in LOCALES and session.locale != locale:
        session.locale = locale
        await _spread_locale(session)


async def keep_in_browser(session: SessionState) -> None:
    """The browser keeps the session's token and language (after a sign-in, a sign-out, a new
    token or a switch)."""
    browser = await session.get_state(BrowserState)
    for name in BROWSER_VARS:
        if getattr(browser, name) != getattr(session, name):
            setattr(browser, name, getattr(session, name))


class SessionState(rx.State):
    # the browser's (BrowserState), taken by the door (take_from_browser)
    auth_token: str = ""
    locale: str = "ru"
    # what the header shows about the signed-in user (their own data only)
    user_name: str = ""
    user_login: str = ""
    role: str = ""
    permissions: list[str] = []
    _user_id: int = 0

    # -- helpers (leading underscore: the client cannot call them) --------------------------
    def _t(self, key: str, **params: object) -> str:
        return t(key, self.locale, **params)

    def _client_ip(self) -> str:
        """The connection's address as the server saw it (rxconfig's trusted_proxy_hops decides
        whether X-Forwarded-For counts); the limits on abuse count per address."""
        return self.router.session.client_ip or ""

    def _param(self, name: str, value: object) -> object:
        if name.endswith("_kop") and isinstance(value, int):
            return money(value, self.locale)
        if isinstance(value, datetime):  # "try again at 16:05"
            return clock(value, self.locale)
        if isinstance(value, date):  # "scheduled from 10.01.2027"
            return day(value, self.locale)
        return value

    def _error(self, err: DomainError) -> str:
        # amounts travel in kopecks (`*_kop`); people read roubles
        params = {k: self._param(k, v) for k, v in err.params.items()}
        return t(err.code, self.locale, **params)

    # -- the one way a page calls the domain ----------------------------------------------
    def _outcome(self, run) -> Outcome:
        try:
            return Outcome(value=run())
        except DomainError as err:
            return self._refused(err)

    def _refused(self, err: DomainError) -> Outcome:
        """A verb's refusal as the page's message."""
        field = (err.field or "") if isinstance(err, ValidationError) else ""
        return Outcome(error=self._error(err), field=field, code=err.code)

    def _call(self, verb, *args, public: bool = False, **kwargs) -> Outcome:
        """Run one domain verb in its own unit of work as the signed-in actor (passed first;
        `public=True`: a verb for visitors, called without one). A refusal comes back as the
        page's message, never as an exception."""
        if public:
            return self._outcome(lambda: verb(*args, **kwargs))
        actor = self._actor()
        if actor is None:
            return Outcome(redirect=rx.redirect("/login"))
        return self._outcome(lambda: verb(actor, *args, **kwargs))

    async def _call_async(self, verb, *args, public: bool = False, **kwargs) -> Outcome:
        """_call with the verb in a worker thread, for work that may be slow (lists, exports,
        gateways): the event loop keeps serving the other tabs meanwhile."""
        if public:
            return await asyncio.to_thread(self._outcome, lambda: verb(*args, **kwargs))
        actor = await self._actor_async()
        if actor is None:
            return Outcome(redirect=rx.redirect("/login"))
        return await asyncio.to_thread(self._outcome, lambda: verb(actor, *args, **kwargs))

    def _remember(self, actor: Actor | None) -> None:
        if actor is None:
            self._user_id, self.role, self.user_name, self.user_login = 0, "", "", ""
            self.permissions = []
            return
        self._user_id = actor.user_id
        self.role = actor.role
        self.user_name = actor.full_name or actor.login
        self.user_login = actor.login
        self.permissions = sorted(actor.permissions)

    def _actor(self) -> Actor | None:
        actor = _resolve(self.auth_token)
        self._remember(actor)
        return actor

    async def _actor_async(self) -> Actor | None:
        """_actor with the database lookup in a thread (for async handlers)."""
        actor = await asyncio.to_thread(_resolve, self.auth_token)
        self._remember(actor)
        return actor

    def _gate(self, role: str, permission: str | None = None):
        """(actor, None) when the visitor may see this page, else (None, a redirect)."""
        return self._admit(self._actor(), role, permission)

    async def _gate_async(self, role: str, permission: str | None = None):
        """_gate with the session lookup in a thread (for async handlers)."""
        return self._admit(await self._actor_async(), role, permission)

    def _admit(self, actor: Actor | None, role: str, permission: str | None):
        if actor is None:
            path = self.router.url.path.rstrip("/") or HOME[role]
            # the page asked for with its query (/cabinet/order?tariff=3 keeps its tariff)
            query = self.router.url.query
            target = f"{path}?{query}" if query else path
            return None, rx.redirect(f"/login?next={quote(target, safe='')}")
        if actor.role != role:
            return None, rx.redirect(HOME[actor.role])
        if permission and not actor.can(permission):
            return None, rx.redirect(HOME[role])
        return actor, None

    # -- events ---------------------------------------------------------------------------
    @access("public")
    @rx.event
    def go_home(self):
        """'/': the signed-in visitor's home, or the sign-in page."""
        actor = self._actor()
        return rx.redirect(HOME[actor.role] if actor else "/login")

    @access("public")
    @rx.event
    def guard_cabinet(self):
        return self._gate("subscriber")[1]

    @access("public")
    @rx.event
    def guard_partner(self):
        return self._gate("partner")[1]

    @access("public")
    @rx.event
    def guard_admin(self):
        return self._gate("admin")[1]

    @access("public")
    @rx.event
    def guard_admin_section(self, section: str):
        return self._gate("admin", f"{section}.view" if isinstance(section, str) else "")[1]

    @access("public")
    @rx.event
    async def set_locale(self, locale: str):
        if locale not in LOCALES:
            return
        self.locale = locale
        await follow_locale(self)
        await self._call_async(identity.set_locale, locale)  # signed in: for their messages

    @access("signed-in")
    @rx.event
    async def sign_out(self):
        token = self.auth_token
        await asyncio.to_thread(_sign_out, token)
        await reset_tab(self)
        return rx.redirect("/login")


class LocaleView(rx.State, mixin=True):
    """The language a page state's computed vars render in: the state's own copy of
    SessionState.locale (a new tab's hydrate fills it from the browser's through the door:
    take_from_browser; follow_locale sets it on a switch, a sign-in and a reset; the door sets
    it before any event of the state that finds it behind). A computed var that read SessionState.locale
    would make Reflex load its state for every event of every page, since a var's dependents
    must be at hand to be recomputed (bench/README.md, "Which states an event loads"), so
    computed vars read `view_locale` and `_vt`, never `locale` and `_t`."""

    view_locale: str = "ru"

    def _follow_locale(self) -> None:
        if self.view_locale != self.locale:
            self.view_locale = self.locale

    def _vt(self, key: str, **params: object) -> str:
        return t(key, self.view_locale, **params)
