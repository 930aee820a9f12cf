"""The session state every page builds on.

The browser keeps only a random session token (LocalStorage); every handler resolves it again
through services.accounts.resolve_session, so a revoked or expired session stops working at
once. Ids of the signed-in user stay in backend-only vars (leading underscore).
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import reflex as rx

from paysim_app.db import session_scope
from paysim_app.i18n import t
from paysim_app.i18n.formats import money
from paysim_app.services import accounts
from paysim_app.services.errors import DomainError
from paysim_app.services.permissions import Actor

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


def _resolve(token: str) -> Actor | None:
    with session_scope() as session:
        return accounts.resolve_session(session, token)


class SessionState(rx.State):
    auth_token: str = rx.LocalStorage("", name="paysim_session", sync=True)
    locale: str = rx.LocalStorage("ru", name="paysim_locale", sync=True)
    # what the header shows about the signed-in user (their own data only)
    user_name: str = ""
    user_login: str = ""
    role: str = ""
    permissions: list[str] = []
    _user_id: int = 0

    # -- helpers (leading underscore: the client cannot call them) --------------------------
    def _t(self, key: str, **params: object) -> str:
        return t(key, self.locale, **params)

    def _error(self, err: DomainError) -> str:
        # amounts travel in kopecks (`*_kop`); people read roubles
        params = {
            k: money(v, self.locale) if k.endswith("_kop") and isinstance(v, int) else v
            for k, v in err.params.items()
        }
        return t(err.code, self.locale, **params)

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
            return None, rx.redirect(f"/login?next={quote(path, safe='')}")
        if actor.role != role:
            return None, rx.redirect(HOME[actor.role])
        if permission and not actor.can(permission):
            return None, rx.redirect(HOME[role])
        return actor, None

    # -- events ---------------------------------------------------------------------------
    @rx.event
    def noop(self):
        """Does nothing: the round trip of an event without work, the baseline that
        bench/load.py measures beside the real events."""

    @rx.event
    def go_home(self):
        """'/': the signed-in visitor's home, or the sign-in page."""
        actor = self._actor()
        return rx.redirect(HOME[actor.role] if actor else "/login")

    @rx.event
    def guard_cabinet(self):
        return self._gate("subscriber")[1]

    @rx.event
    def guard_partner(self):
        return self._gate("partner")[1]

    @rx.event
    def guard_admin(self):
        return self._gate("admin")[1]

    @rx.event
    def guard_admin_section(self, section: str):
        return self._gate("admin", f"{section}.view" if isinstance(section, str) else "")[1]

    @rx.event
    def set_locale(self, locale: str):
        if locale not in ("ru", "en"):
            return
        self.locale = locale
        actor = self._actor()
        if actor is not None:
            with session_scope() as session:
                accounts.set_locale(session, actor, locale)

    @rx.event
    def sign_out(self):
        with session_scope() as session:
            accounts.sign_out(session, self.auth_token)
        self.auth_token = ""
        self._remember(None)
        return rx.redirect("/login")
