"""Sign-in, registration, password reset and change: one small state per page."""

from __future__ import annotations

import asyncio

import reflex as rx

from paysim_app.accounts import accounts
from paysim_app.core.errors import DomainError
from paysim_app.db import session_scope
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import HOME, SessionState, reset_tab, safe_next


def _field(form_data: dict, name: str, limit: int = 300) -> str:
    """Form values come from the client: anything may arrive, so coerce and cap."""
    value = form_data.get(name, "") if isinstance(form_data, dict) else ""
    return value[:limit] if isinstance(value, str) else ""


# bcrypt takes ~200 ms of CPU: these run in a thread (asyncio.to_thread), so the worker's other
# tabs are not kept waiting on its event loop (bcrypt releases the GIL)


def _sign_in(login: str, password: str, user_agent: str, previous_token: str, ip: str):
    with session_scope() as session:
        return accounts.sign_in(
            session, login, password, user_agent=user_agent, previous_token=previous_token, ip=ip
        )


def _register(login: str, password: str, name: str, locale: str, user_agent: str, ip: str):
    with session_scope() as session:
        accounts.register_subscriber(session, login, password, name, locale, ip=ip)
        return accounts.sign_in(session, login, password, user_agent=user_agent)


def _reset(token: str, password: str) -> None:
    with session_scope() as session:
        accounts.reset_password(session, token, password)


def _change(actor, current: str, new: str, user_agent: str) -> str:
    with session_scope() as session:
        return accounts.change_password(session, actor, current, new, user_agent=user_agent)


class LoginState(SessionState):
    error: str = ""
    busy: bool = False

    @access("public")
    @rx.event
    def on_load(self):
        """A signed-in visitor who opens /login goes straight home."""
        self.error = ""
        actor = self._actor()
        if actor is not None:
            return rx.redirect(HOME[actor.role])

    @access("public")
    @rx.event
    async def submit(self, form_data: dict):
        login, password = _field(form_data, "login"), _field(form_data, "password", 1000)
        if not login or not password:
            self.error = self._t("error.required")
            return
        user_agent, previous = self.router.headers.user_agent, self.auth_token
        try:
            token, actor = await asyncio.to_thread(
                _sign_in, login, password, user_agent, previous, self._client_ip()
            )
        except DomainError as err:  # wrong credentials, a lock, too many tries from here
            self.error = self._error(err)
            return
        target = self.router.url.query_parameters.get("next", "")
        await reset_tab(self, token)  # nothing of an earlier user of this tab stays
        self._remember(actor)
        if actor.locale != self.locale:
            self.locale = actor.locale
        return rx.redirect(safe_next(target, actor.role))


class RegisterState(SessionState):
    errors: dict[str, str] = {}

    @access("public")
    @rx.event
    async def submit(self, form_data: dict):
        login = _field(form_data, "login")
        password = _field(form_data, "password", 1000)
        repeat = _field(form_data, "password_repeat", 1000)
        name = _field(form_data, "full_name", 200)
        errors: dict[str, str] = {}
        if not login:
            errors["login"] = self._t("error.required")
        if password != repeat:
            errors["password_repeat"] = self._t("auth.password_mismatch")
        if not errors:
            ua, ip = self.router.headers.user_agent, self._client_ip()
            try:
                token, actor = await asyncio.to_thread(
                    _register, login, password, name, self.locale, ua, ip
                )
            except DomainError as err:
                errors[err.field or "form"] = self._error(err)
        self.errors = errors
        if errors:
            return
        await reset_tab(self, token)
        self._remember(actor)
        return rx.redirect(HOME["subscriber"])


class ForgotState(SessionState):
    sent: bool = False
    error: str = ""

    @access("public")
    @rx.event
    def on_load(self):
        self.sent, self.error = False, ""

    @access("public")
    @rx.event
    def submit(self, form_data: dict):
        login = _field(form_data, "login")
        if not login:
            self.error = self._t("error.required")
            return
        try:
            with session_scope() as session:
                accounts.request_password_reset(session, login, ip=self._client_ip())
        except DomainError as err:  # too many requests (never "no such account")
            self.error = self._error(err)
            return
        # the same answer whether the account exists or not
        self.error, self.sent = "", True


class ResetState(SessionState):
    error: str = ""
    done: bool = False

    @access("public")
    @rx.event
    def on_load(self):
        self.error, self.done = "", False

    @access("public")
    @rx.event
    async def submit(self, form_data: dict):
        token = self.router.url.query_parameters.get("token", "")
        password = _field(form_data, "password", 1000)
        if password != _field(form_data, "password_repeat", 1000):
            self.error = self._t("auth.password_mismatch")
            return
        try:
            await asyncio.to_thread(_reset, token, password)
        except DomainError as err:
            self.error = self._error(err)
            return
        self.error, self.done = "", True


class PasswordState(SessionState):
    """Change the password from a profile page (any role)."""

    errors: dict[str, str] = {}
    message: str = ""

    @access("signed-in")
    @rx.event
    async def submit(self, form_data: dict):
        self.message = ""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        new = _field(form_data, "new", 1000)
        if new != _field(form_data, "new_repeat", 1000):
            self.errors = {"new_repeat": self._t("auth.password_mismatch")}
            return
        current, ua = _field(form_data, "current", 1000), self.router.headers.user_agent
        try:
            token = await asyncio.to_thread(_change, actor, current, new, ua)
        except DomainError as err:
            self.errors = {err.field or "form": self._error(err)}
            return
        self.errors = {}
        self.auth_token = token
        self.message = self._t("auth.password_changed")
        return [
            rx.set_value("current", ""),
            rx.set_value("new", ""),
            rx.set_value("new_repeat", ""),
        ]
