"""Sign-in, registration, password reset and change: one small state per page."""

from __future__ import annotations

import asyncio
import weakref
from urllib.parse import quote

import reflex as rx

from paysim_app.accounts import identity, two_factor
from paysim_app.core.errors import DomainError
from paysim_app.i18n import t
from paysim_app.i18n.formats import clock, phone
from paysim_app.ui.access import access
from paysim_app.ui.auth.consent import ticked
from paysim_app.ui.auth.session import (
    HOME,
    SessionState,
    follow_locale,
    keep_in_browser,
    reset_tab,
    safe_next,
)
from paysim_app.ui.components.two_factor import typed_code


def _field(form_data: dict, name: str, limit: int = 300) -> str:
    """Form values come from the client: anything may arrive, so coerce and cap."""
    value = form_data.get(name, "") if isinstance(form_data, dict) else ""
    return value[:limit] if isinstance(value, str) else ""


# bcrypt takes ~200 ms of CPU: these verbs run in a thread (_call_async), so the worker's other
# tabs are not kept waiting on its event loop (bcrypt releases the GIL)


# The browser's long-lived random id (accounts.identity.note_browser): made in the browser on the
# sign-in page (crypto.getRandomValues, 32 bytes) and kept in its localStorage under its own
# name, outside every state, so signing out (which resets the tab's states) does not forget it.
DEVICE_SCRIPT = """(() => {
  let id = localStorage.getItem("paysim_device");
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    id = btoa(String.fromCharCode(...bytes))
      .replace(/[+]/g, "-").replace(/[/]/g, "_").replace(/=+$/, "");
    localStorage.setItem("paysim_device", id);
  }
  return id;
})()"""


# One sign-in of a tab at a time, without holding the tab's state lock through bcrypt: a second
# submit waits for the first to finish, then runs (a tab's events reach one worker, whose event
# loop these locks belong to). Weak values: a tab's lock goes when no submit holds it.
_SIGN_INS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _sign_in_lock(tab: str) -> asyncio.Lock:
    lock = _SIGN_INS.get(tab)
    if lock is None:
        lock = _SIGN_INS[tab] = asyncio.Lock()
    return lock


def carrying_next(path: str, target: str) -> str:
    """`path` passing on the page's own ?next= (from sign-in to registration and back, the
    visitor keeps where they were going, e.g. a tariff's order)."""
    return f"{path}?next={quote(target, safe='')}" if target else path


class LoginState(SessionState):
    """The sign-in page: the password, then, for a user with two-factor sign-in, the code (or
    the enrolment their role requires, then the recovery codes once). The challenge of the
    second step and the browser's id stay in backend-only vars: the client never sends them,
    so it can neither pick another user's challenge nor skip the step."""

    error: str = ""
    busy: bool = False
    step: str = ""  # "" (password) | "code" | "enrol" | "codes" (shown once, signed in)
    qr: str = ""  # the enrolment's QR code (an SVG data URI) and key
    secret: str = ""
    recovery_codes: list[str] = []
    _challenge: str = ""
    # the browser's id the challenge was issued to: the page's script may answer (set_device)
    # after the password was sent, with another id than the one the server gave meanwhile
    _challenge_device: str = ""
    _device: str = ""
    _next: str = ""

    @rx.var
    def register_href(self) -> str:
        return carrying_next("/register", self.router.url.query_parameters.get("next", ""))

    def _restart(self, error: str = "") -> None:
        self.step, self.qr, self.secret, self.recovery_codes = "", "", "", []
        self._challenge, self._challenge_device, self.error, self.busy = "", "", error, False

    @access("public")
    @rx.event
    def on_load(self):
        """A signed-in visitor who opens /login goes straight home; the others start from the
        password (a reload forgets a second step) and the page reads the browser's id."""
        self._restart()
        actor = self._actor()
        if actor is not None:
            return rx.redirect(HOME[actor.role])
        return rx.call_script(DEVICE_SCRIPT, callback=LoginState.set_device)

    @access("public")
    @rx.event
    def set_device(self, device: str):
        if identity.valid_device_id(device):
            self._device = device

    @access("public")
    @rx.event(background=True)
    async def submit(self, form_data: dict):
        """The password. Its check (bcrypt, ~0.2 s of CPU) runs while the tab's state is not
        locked (a background event; the door has checked the event first): when many sign in
        at once the checks wait for the cores, and a lock held through that wait expired
        (Reflex's 10 s) and failed the sign-in (bench/README.md, "The browser's storage in a
        leaf state"). A tab's submits run one after another, as plain events would: a second
        one waits for the first (each wrong password counts, and the last answer is shown)."""
        async with _sign_in_lock(self.router.session.client_token):
            return await self._sign_in(form_data)

    async def _sign_in(self, form_data: dict):
        login, password = _field(form_data, "login"), _field(form_data, "password", 1000)
        async with self:
            if not login or not password:
                self.error = self._t("error.required")
                return None
            self.busy = True
            user_agent, previous = self.router.headers.user_agent, self.auth_token
            fresh = None
            if not identity.valid_device_id(self._device):  # the page's script has not answered
                self._device = fresh = identity.new_token()
            device, ip = self._device, self._client_ip()
            target = self.router.url.query_parameters.get("next", "")
        try:
            step = await asyncio.to_thread(
                two_factor.begin_sign_in,
                login,
                password,
                user_agent=user_agent,
                previous_token=previous,
                ip=ip,
                device_id=device,
            )
            refusal = None
        except DomainError as err:  # wrong credentials, a lock, too many tries from here
            step, refusal = None, err
        async with self:
            self.busy = False
            keep = (
                rx.call_script(f"localStorage.setItem('paysim_device', '{fresh}')")
                if fresh
                else None
            )
            if refusal is not None:
                self.error = self._refused(refusal).error
                # the password is typed again: a refused one is not left in the form (and each
                # answer shows, even when its words are the last answer's)
                return [e for e in (keep, rx.set_value("password", "")) if e]
            if step.token:
                return [
                    e for e in (keep, await self._signed_in(step.token, step.actor, target)) if e
                ]
            self._challenge, self._next, self.error = step.challenge, target, ""
            self._challenge_device = device
            self.step = step.kind
            if step.kind == "enrol":
                shown = self._call(
                    two_factor.challenge_enrolment, step.challenge, device, public=True
                )
                if not shown:
                    self._restart(shown.error)
                    return keep
                self.qr, self.secret = shown.value.qr, shown.value.secret
            # no clearing of the code field here: the step has just replaced the password form,
            # so the field is new and empty, and a clearing event (it comes after the delta that
            # shows the field) wiped a code typed, or filled in, as soon as the field appeared
            return keep

    @access("public")
    @rx.event
    async def submit_code(self, form_data: dict):
        """The second step. Without a live challenge of this tab (none begun, expired, void,
        another browser) it is refused like a wrong code, and nothing is signed in."""
        code = typed_code(form_data)
        if self.step not in ("code", "enrol") or not self._challenge:
            self._restart(self._t("two_factor.challenge_invalid"))
            return
        if not code:
            self.error = self._t("error.required")
            return
        res = await self._call_async(
            two_factor.finish_sign_in,
            self._challenge,
            self._challenge_device,
            code,
            user_agent=self.router.headers.user_agent,
            previous_token=self.auth_token,
            ip=self._client_ip(),
            public=True,
        )
        if not res:
            if res.code in ("two_factor.challenge_invalid", "auth.locked", "error.too_many"):
                self._restart(res.error)  # back to the password
            else:
                self.error = res.error
            return rx.set_value("code", "")
        done, target = res.value, self._next
        if done.recovery_codes:  # a new authenticator: its recovery codes, once
            await reset_tab(self, done.token)
            self._remember(done.actor)
            self.locale = done.actor.locale
            await follow_locale(self)
            self.step, self.recovery_codes, self._next = "codes", list(done.recovery_codes), target
            return None
        events = [await self._signed_in(done.token, done.actor, target)]
        if done.recovery_left >= 0:
            text = t("two_factor.recovery_used", done.actor.locale, left=done.recovery_left)
            events.append(rx.toast.info(text, id="recovery-used"))
        return events

    @access("public")
    @rx.event
    def restart(self):
        self._restart()

    @access("signed-in")
    @rx.event
    def codes_done(self):
        """The recovery codes were seen: on to the page asked for."""
        actor = self._actor()
        target, self.recovery_codes, self.step = self._next, [], ""
        return rx.redirect(safe_next(target, actor.role) if actor else "/login")

    async def _signed_in(self, token: str, actor, target: str):
        await reset_tab(self, token)  # nothing of an earlier user of this tab stays
        self._remember(actor)
        if actor.locale != self.locale:
            self.locale = actor.locale
            await follow_locale(self)
        return rx.redirect(safe_next(target, actor.role))


def _code_text(state: SessionState, sent: identity.verification.CodeSent) -> str:
    shown = phone(sent.phone).replace(" ", "\u00a0")  # the number never breaks across lines
    return state._t("verification.sent_to", phone=shown, until=clock(sent.expires_at, state.locale))


class RegisterState(SessionState):
    """The registration form, then for a phone login the code step: the account exists only
    once the code from the SMS is entered (identity.start_registration / finish_registration).
    The number waiting for its code is kept server-side (`_code_for`), never taken from the
    client."""

    errors: dict[str, str] = {}
    code_text: str = ""  # "we sent a code to ..." while the code step is shown
    _code_for: str = ""

    @access("public")
    @rx.event
    def on_load(self):
        self.errors, self.code_text, self._code_for = {}, "", ""

    def _landing(self) -> str:
        """Where a new subscriber goes: the cabinet, or the cabinet page ?next= names."""
        return safe_next(self.router.url.query_parameters.get("next", ""), "subscriber")

    @rx.var
    def login_href(self) -> str:
        return carrying_next("/login", self.router.url.query_parameters.get("next", ""))

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
        personal_data = ticked(form_data, "consent_personal_data")
        terms = ticked(form_data, "consent_terms")
        if not (personal_data and terms):
            errors["consent"] = self._t("consent.required")
        if not errors:
            ua, ip = self.router.headers.user_agent, self._client_ip()
            res = await self._call_async(
                identity.start_registration,
                login,
                password,
                name,
                self.locale,
                user_agent=ua,
                ip=ip,
                personal_data=personal_data,
                terms=terms,
                public=True,
            )
            if not res:
                # a refusal of the code's sending (sent too recently) belongs to the whole form
                fields = ("login", "password", "full_name", "consent")
                field = res.field if res.field in fields else "form"
                errors[field] = res.error
        self.errors = errors
        if errors:
            return
        reg = res.value
        if reg.sent is not None:  # a phone: the code step
            self._code_for, self.code_text = reg.sent.phone, _code_text(self, reg.sent)
            return
        await reset_tab(self, reg.token)
        self._remember(reg.actor)
        return rx.redirect(self._landing())

    @access("public")
    @rx.event
    async def confirm(self, form_data: dict):
        code = _field(form_data, "code", 40)
        ua = self.router.headers.user_agent
        res = await self._call_async(
            identity.finish_registration, self._code_for, code, ua, public=True
        )
        if not res:
            self.errors = {"code": res.error}
            return
        token, actor = res.value
        await reset_tab(self, token)
        self._remember(actor)
        return rx.redirect(self._landing())

    @access("public")
    @rx.event
    def resend(self):
        res = self._call(
            identity.resend_registration_code, self._code_for, ip=self._client_ip(), public=True
        )
        if not res:
            self.errors = {"code": res.error}
            return
        self.errors, self.code_text = {}, _code_text(self, res.value)
        return rx.toast.success(self._t("verification.resent"))

    @access("public")
    @rx.event
    def other_number(self):
        self.errors, self.code_text, self._code_for = {}, "", ""


class ForgotState(SessionState):
    """Forgotten password: a link for an e-mail login; for a phone login the code step on the
    same page (the code and the new password), answered the same whether the account exists."""

    sent: bool = False
    error: str = ""
    code_text: str = ""
    errors: dict[str, str] = {}
    done: bool = False
    _code_for: str = ""

    @access("public")
    @rx.event
    def on_load(self):
        self.sent, self.error, self.done = False, "", False
        self.code_text, self.errors, self._code_for = "", {}, ""

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
        self.error = ""
        if res.value.kind == "phone":
            self._code_for, self.code_text = res.value.sent.phone, _code_text(self, res.value.sent)
            self.errors = {}
        else:
            self.sent = True

    @access("public")
    @rx.event
    async def reset_by_code(self, form_data: dict):
        code = _field(form_data, "code", 40)
        password = _field(form_data, "password", 1000)
        if password != _field(form_data, "password_repeat", 1000):
            self.errors = {"password_repeat": self._t("auth.password_mismatch")}
            return
        res = await self._call_async(
            identity.reset_password_by_code, self._code_for, code, password, public=True
        )
        if not res:
            self.errors = {res.field or "code": res.error}
            return
        self.errors, self.done, self._code_for = {}, True, ""

    @access("public")
    @rx.event
    def resend(self):
        res = self._call(
            identity.resend_reset_code, self._code_for, ip=self._client_ip(), public=True
        )
        if not res:
            self.errors = {"code": res.error}
            return
        self.errors, self.code_text = {}, _code_text(self, res.value.sent)
        return rx.toast.success(self._t("verification.resent"))

    @access("public")
    @rx.event
    def other_number(self):
        self.errors, self.code_text, self._code_for = {}, "", ""


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
        await keep_in_browser(self)
        self.message = self._t("auth.password_changed")
        return [
            rx.set_value("current", ""),
            rx.set_value("new", ""),
            rx.set_value("new_repeat", ""),
        ]
