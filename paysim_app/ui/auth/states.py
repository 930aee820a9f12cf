"""Sign-in, registration, password reset and change: one small state per page."""

from __future__ import annotations

import asyncio

import reflex as rx

from paysim_app.db import session_scope
from paysim_app.services import accounts
from paysim_app.services.errors import AuthError, DomainError
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import HOME, SessionState, reset_tab, safe_next


def _field(form_data: dict, name: str, limit: int = 300) -> str:
    """Form values come from the client: anything may arrive, so coerce and cap."""
    value = form_data.get(name, "") if isinstance(form_data, dict) else ""
    return value[:limit] if isinstance(value, str) else ""


def _sign_in(login: str, password: str, user_agent: str, previous_token: str):
    with session_scope() as session:
        return accounts.sign_in(
            session, login, password, user_agent=user_agent, previous_token=previous_token
        )


def _register(login: str, password: str, name: str, locale: str, user_agent: str):
    with session_scope() as session:
        accounts.register_subscriber(session, login, password, name, locale)
        return accounts.sign_in(session, login, password, user_agent=user_agent)


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
            # bcrypt takes ~200 ms of CPU: in a thread, so the worker's other tabs are not kept
            # waiting on its event loop (bcrypt releases the GIL)
            token, actor = await asyncio.to_thread(_sign_in, login, password, user_agent, previous)
        except AuthError as err:
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
            args = (login, password, name, self.locale, self.router.headers.user_agent)
            try:
                token, actor = await asyncio.to_thread(_register, *args)  # bcrypt: off the loop
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
        with session_scope() as session:
            accounts.request_password_reset(session, login)
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
    def submit(self, form_data: dict):
        token = self.router.url.query_parameters.get("token", "")
        password = _field(form_data, "password", 1000)
        if password != _field(form_data, "password_repeat", 1000):
            self.error = self._t("auth.password_mismatch")
            return
        try:
            with session_scope() as session:
                accounts.reset_password(session, token, password)
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
    def submit(self, form_data: dict):
        self.message = ""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        new = _field(form_data, "new", 1000)
        if new != _field(form_data, "new_repeat", 1000):
            self.errors = {"new_repeat": self._t("auth.password_mismatch")}
            return
        try:
            with session_scope() as session:
                token = accounts.change_password(
                    session,
                    actor,
                    _field(form_data, "current", 1000),
                    new,
                    user_agent=self.router.headers.user_agent,
                )
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
