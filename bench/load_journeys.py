"""What one simulated user does: a subscriber or an admin journey, looped until the end of
the level, with a `PingState.noop` now and then as the baseline of a bare round trip.

Every step sends what the browser sends for the same click (the names come from the state
classes, see load_app.py) and is timed from the send to the end of its processing (see
load_client.py); a step's label is the handler (or the page opened) it measures.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.load_app import Names
from bench.load_client import SocketError, Tab, Update, until_state
from bench.load_stats import Recorder

FORM_ENTRIES = "__reflex_form_data__"  # reflex_base.utils.form.FORM_DATA_ENTRIES_KEY
TOPUP_STATUSES = ("active", "suspended", "blocked", "awaiting_activation")
SIM_FILTERS = ("active", "suspended", "blocked", "in_stock", "awaiting_activation")
TEST_CARD = ("4242 4242 4242 4242", "12/34", "123")  # the sandbox's card that succeeds
NOOP = "PingState.noop"
# the script that sends the payer to the hosted page: window.location.assign("<url>")
HOSTED = re.compile(r'window\.location\.assign\(\\"([^"\\]+)\\"\)')


@dataclass(frozen=True)
class Settings:
    base_url: str
    think: float  # mean pause between two steps (seconds)
    noop_share: float  # chance of a noop after a step
    timeout: float  # a step with no end in this many seconds is an error


@dataclass(frozen=True)
class Login:
    login: str
    password: str


def form(**fields: str) -> dict:
    """A submitted form as the browser sends it: its ordered (name, value) entries."""
    return {FORM_ENTRIES: [[k, v] for k, v in fields.items()]}


@dataclass
class Deadline:
    """When the level's loop ends; a heavy job still running moves it on."""

    at: float

    def left(self) -> float:
        return self.at - time.monotonic()


class StepFailed(Exception):
    """A step went wrong: the journey starts its loop again from a fresh page."""


class User:
    def __init__(
        self, names: Names, settings: Settings, rec: Recorder, rng: random.Random, who: Login
    ):
        self.n, self.s, self.rec, self.rng, self.who = names, settings, rec, rng, who
        self.tab = Tab(settings.base_url, names.proto)
        self.signed_in = False

    # -- timing -----------------------------------------------------------------------------
    async def step(self, label: str, action: Callable[[], Awaitable[float]]) -> float:
        at = time.monotonic()
        try:
            seconds = await action()
        except (SocketError, OSError) as err:
            self.rec.error(label, at, str(err) or type(err).__name__)
            await self.tab.close()
            raise StepFailed(label) from err
        self.rec.ok(label, at, seconds)
        return seconds

    async def pause(self, stop: Deadline) -> None:
        left = stop.left()
        if left <= 0:
            raise TimeoutError
        await asyncio.sleep(min(left, self.s.think * self.rng.uniform(0.5, 1.5)))
        if self.rng.random() < self.s.noop_share:
            await self.step(
                NOOP,
                lambda: self.tab.call_silent(f"{self.n.ping}.noop", {}, self.s.timeout),
            )

    async def page(self, path: str, *, reload: bool, redirect_ok: bool = False) -> None:
        """Open a page (a new connection: hydrate) or follow a link to it (on_load only); a
        redirect is an error unless `redirect_ok`."""
        label = ("open " if reload else "navigate ") + path.split("?")[0]
        go = self.tab.open if reload else self.tab.navigate
        if redirect_ok:
            await self.step(label, lambda: go(path, self.s.timeout))
        else:
            await self.step(label, lambda: self._no_redirect(go(path, self.s.timeout), path))

    async def _no_redirect(self, pending: Awaitable[float], path: str) -> float:
        seconds = await pending
        if self.tab.redirect:
            raise SocketError(f"{path} redirected to {self.tab.redirect}")
        return seconds

    async def send(self, state: str, handler: str, payload: dict, until=None) -> float:
        return await self.step(
            _label(state, handler),
            lambda: self.tab.call(
                f"{state}.{handler}", payload, until or until_state(state), self.s.timeout
            ),
        )

    # -- sign-in ----------------------------------------------------------------------------
    async def sign_in(self) -> None:
        await self.page("/login", reload=True, redirect_ok=True)
        if self.tab.redirect:  # signed in already: a sign-in whose answer was lost (a timeout)
            self.signed_in = True
            return
        await self.send(
            self.n.login,
            "submit",
            {"form_data": form(login=self.who.login, password=self.who.password)},
            until=self._until_signed_in,
        )
        # signed in from here on, even if the page it is sent to fails (a journey that opened
        # /login again would be sent away from it, fail, and loop without a pause)
        self.signed_in = True
        await self.page(self.tab.redirect or "/", reload=False)

    def _until_signed_in(self, u: Update) -> str | None:
        if any(e.get("name") == "_redirect" for e in u.events):
            return ""
        error = u.delta.get(self.n.login, {}).get("error_rx_state_")
        return f"sign-in refused: {error}" if error else None

    async def try_sign_in(self) -> bool:
        try:
            await self.sign_in()
            return True
        except StepFailed:
            return False

    async def run(self, journey: str, stop: Deadline, signed_in: bool) -> None:
        """Loop the journey until `stop` (signing in first if needed); a failed step starts
        the loop again from a freshly opened page."""
        loop = self.subscriber_loop if journey == "subscriber" else self.admin_loop
        self.signed_in = signed_in
        try:
            # users start their loops spread over two think times, not all in one instant
            await asyncio.sleep(min(max(0.0, stop.left()), self.rng.uniform(0, 2 * self.s.think)))
            while stop.left() > 0:
                try:
                    if not self.signed_in:
                        await self.sign_in()
                    await loop(stop)
                except StepFailed:
                    await asyncio.sleep(max(0.0, min(1.0, stop.left())))
        except TimeoutError:
            pass
        finally:
            await self.tab.close()

    # -- the journeys -----------------------------------------------------------------------
    async def subscriber_loop(self, stop: Deadline) -> None:
        n, tab = self.n, self.tab
        await self.page("/cabinet", reload=True)
        await self.pause(stop)
        await self.page("/cabinet/payments", reload=False)
        for _ in range(2):
            await self.pause(stop)
            if not tab.var(n.payments, "has_next", False):
                break
            await self.send(n.payments, "next_page", {})
        await self.pause(stop)
        await self.page("/cabinet/topup", reload=False)
        sims = [s for s in tab.var(n.cabinet, "sims", []) if s.get("status") in TOPUP_STATUSES]
        if not sims:
            return  # nothing this contract can pay for
        sim = self.rng.choice(sims)
        if sim["id"] != tab.var(n.cabinet, "current_sim_id"):
            await self.pause(stop)
            await self.send(n.topup, "select_sim", {"sim_id": str(sim["id"])})
        await self.pause(stop)
        quick = tab.var(n.topup, "quick_kop", []) or [10000]
        await self.send(n.topup, "choose_amount", {"kop": str(self.rng.choice(quick))})
        await self.pause(stop)
        self._hosted = None
        await self.send(n.topup, "submit", {"form": form()}, until=self._until_paid)
        if self._hosted:
            # a new card: the card goes on the sandbox's test payment page (the provider's
            # hosted page, plain HTTP outside the app's socket), which sends the payer back
            await self.step(
                "sandbox test page", lambda: asyncio.to_thread(self._pay_on_page, self._hosted)
            )
            back = urllib.parse.urlsplit(self._back)
            tab.redirect = f"{back.path}?{back.query}"
        await self.page(tab.redirect or "/cabinet/topup/result", reload=False)
        status = (tab.var(n.topup_result, "outcome") or {}).get("status")
        if status != "succeeded":
            self.rec.error("top-up result", time.monotonic(), f"payment {status or 'missing'}")
        await self.pause(stop)

    def _pay_on_page(self, url: str) -> float:
        """Type TEST_CARD on the sandbox's test page; keeps where it sends the payer back."""
        started = time.monotonic()
        number, expiry, cvc = TEST_CARD
        body = urllib.parse.urlencode(
            {"action": "pay", "card_number": number, "card_expiry": expiry, "card_cvc": cvc}
        ).encode()

        class Keep(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):
                return None  # the 303 is the answer: where the payer goes back to

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), Keep)
        try:
            opener.open(urllib.request.Request(url, data=body, method="POST"), timeout=30)
            raise SocketError("the test page did not send the payer back")
        except urllib.error.HTTPError as answer:
            if answer.code != 303:
                raise SocketError(f"the test page answered {answer.code}") from None
            self._back = answer.headers["Location"]
        return time.monotonic() - started

    def _until_paid(self, u: Update) -> str | None:
        if any(e.get("name") == "_redirect" for e in u.events):
            return ""
        for event in u.events:  # a new card: sent on to the hosted page by a script
            found = HOSTED.search(json.dumps(event))
            if event.get("name") == "_call_script" and found:
                self._hosted = json.loads(f'"{found[1]}"')
                return ""
        changes = u.delta.get(self.n.topup, {})
        if changes.get("processing_rx_state_") is True:
            return None  # the first of the handler's two updates
        errors = {k: v for k, v in (changes.get("errors_rx_state_") or {}).items() if v}
        if errors or changes.get("form_error_rx_state_"):
            return f"top-up refused: {errors or changes.get('form_error_rx_state_')}"
        return None

    async def admin_loop(self, stop: Deadline) -> None:
        n, rng = self.n, self.rng
        await self.page("/admin/sims", reload=True)
        await self.pause(stop)
        await self.send(
            n.admin_sims, "set_filter", {"name": "status", "value": rng.choice(SIM_FILTERS)}
        )
        await self.turn_pages(stop, 2)
        await self.pause(stop)
        await self.send(n.admin_sims, "set_search", {"value": str(rng.randint(10_000, 99_999))})
        await self.send(n.admin_sims, "apply", {"_form": form()})
        self.check_list()
        await self.turn_pages(stop, 1)
        await self.pause(stop)
        await self.send(n.admin_sims, "clear", {})
        self.check_list()
        await self.turn_pages(stop, 2)

    async def turn_pages(self, stop: Deadline, forward: int) -> None:
        """`forward` pages on (while there is a next one), then one back."""
        n, tab = self.n, self.tab
        for _ in range(forward):
            await self.pause(stop)
            if not tab.var(n.admin_sims, "has_next"):
                break
            await self.send(n.admin_sims, "next_page", {})
            self.check_list()
        if tab.var(n.admin_sims, "page", 1) > 1:
            await self.pause(stop)
            await self.send(n.admin_sims, "prev_page", {})
            self.check_list()

    def check_list(self) -> None:
        error = self.tab.var(self.n.admin_sims, "list_error")
        if error:
            self.rec.error("admin list", time.monotonic(), f"list_error: {error}")


def _label(state: str, handler: str) -> str:
    """('...____admin_sims_state', 'next_page') -> 'AdminSimsState.next_page'."""
    leaf = state.rsplit("____", 1)[-1]
    return "".join(part.capitalize() for part in leaf.split("_") if part) + "." + handler
