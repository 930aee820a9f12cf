"""Sign-in, registration, password reset and change: one small state per page."""

from __future__ import annotations

import reflex as rx

from paysim_app.accounts import identity
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import HOME, SessionState, reset_tab, safe_next


def _field(form_data: dict, name: str, limit: int = 300) -> str:
    """Form values come from the client: anything may arrive, so coerce and cap."""
    value = form_data.get(name, "") if isinstance(form_data, dict) else ""
    return value[:limit] if isinstance(value, str) else ""


# bcrypt takes ~200 ms of CPU: these verbs run in a thread (_call_async), so the worker's other
# tabs are not kept waiting on its event loop (bcrypt releases the GIL)


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
        res = await self._call_async(
            identity.sign_in,
            login,
            password,
            user_agent=user_agent,
            previous_token=previous,
            ip=self._client_ip(),
            public=True,
        )
        if not res:  # wrong credentials, a lock, too many tries from here
            self.error = res.error
            return
        token, actor = res.value
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
            res = await self._call_async(
                identity.register_and_sign_in,
                login,
                password,
                name,
                self.locale,
                user_agent=ua,
                ip=ip,
                public=True,
            )
            if not res:
                errors[res.field or "form"] = res.error
        self.errors = errors
        if errors:
            return
        token, actor = res.value
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
        res = self._call(identity.request_password_reset, login, ip=self._client_ip(), public=True)
        if not res:  # too many requests (never "no such account")
            self.error = res.error
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
        res = await self._call_async(identity.reset_password, token, password, public=True)
        if not res:
            self.error = res.error
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
        if self._actor() is None:
            return rx.redirect("/login")
        new = _field(form_data, "new", 1000)
        if new != _field(form_data, "new_repeat", 1000):
            self.errors = {"new_repeat": self._t("auth.password_mismatch")}
            return
        current, ua = _field(form_data, "current", 1000), self.router.headers.user_agent
        res = await self._call_async(identity.change_password, current, new, user_agent=ua)
        if not res:
            self.errors = {res.field or "form": res.error}
            return res.redirect
        self.errors = {}
        self.auth_token = res.value
        self.message = self._t("auth.password_changed")
        return [
            rx.set_value("current", ""),
            rx.set_value("new", ""),
            rx.set_value("new_repeat", ""),
        ]
