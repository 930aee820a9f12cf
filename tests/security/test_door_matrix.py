"""The access matrix, generated from the access list and run over the real websocket.

Every handler of ui/access_list.txt is sent by every actor its word does not admit: a signed-out
tab, the demo subscriber, the demo dealer, a user of a dealer deactivated after they signed in, the
support operator (tickets and viewing subscribers only) and an admin whose role was cut down to
the support operator's after they signed in. Each call carries plain arguments of the handler's
own types, with the id of another person's SIM wherever an id could go. Then:

- the door refused it: its log names that handler for that actor;
- no business table changed (a fingerprint of every table's rows, before and after);
- no frame sent back carries another person's data (their e-mail, name or phone number).

Reflex's `setvar`, which would set any var of a state (the session token included), is refused
for every state too. A handler added later is in the list, so it is covered without a new test.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import types
import typing
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import Session

import paysim_app.paysim_app  # noqa: F401  (every state, in this thread: Reflex registers them here)
from bench.load_app import load_names
from bench.load_client import HYDRATED, Tab, Update
from bench.load_socket import SocketError
from paysim_app.accounts import identity
from paysim_app.db import make_engine
from paysim_app.i18n import t
from paysim_app.ui import access
from tests.security.conftest import IDOR_ACTORS, Backend, fingerprint

TIMEOUT = 30.0
REFUSAL = re.compile(r"door refused (\S+) for (.+?): ")


_NAMES = []


def _names():
    if not _NAMES:
        _NAMES.append(load_names())
    return _NAMES[0]


def _states() -> dict[str, type]:
    return {cls.__name__: cls for cls in access.app_states()}


def kind_of(hint) -> object:
    """The plain type an annotation asks for: `dict | None` -> dict, `list[str]` -> list."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = typing.get_args(hint)[0]
    return typing.get_origin(hint) or hint


def plain_arguments(handler, foreign_id: int) -> dict:
    """Arguments of the handler's own types, another person's id wherever a value could go."""
    fn = handler.fn
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    args = {}
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        if p.default is not inspect.Parameter.empty or p.kind is p.VAR_KEYWORD:
            continue
        origin = kind_of(hints.get(p.name, str))
        args[p.name] = {
            int: foreign_id,
            bool: True,
            float: 1.0,
            dict: {"sim_id": str(foreign_id), "id": str(foreign_id)},
            list: [],
        }.get(origin, str(foreign_id))
    return args


def _actors(backend: Backend):
    """name -> (token, the actor the server sees now: None when signed out or cut off)."""
    engine = make_engine(backend.url)
    with Session(engine) as session:
        resolved = {
            name: identity.resolve_session(session, token) if token else None
            for name, token in backend.tokens.items()
            if name not in IDOR_ACTORS
        }
        session.rollback()
    engine.dispose()
    return resolved


def _foreign_strings(backend: Backend, own_subscriber_id: int | None) -> list[str]:
    """What of other subscribers must never reach this actor: e-mails, names, numbers."""
    engine = make_engine(backend.url)
    with engine.connect() as conn:
        people = conn.execute(
            text("SELECT id, email, full_name FROM subscriber WHERE email IS NOT NULL")
        ).all()
        sims = conn.execute(
            text("SELECT subscriber_id, msisdn FROM sim WHERE subscriber_id IS NOT NULL")
        ).all()
    engine.dispose()
    found = [e for i, e, _ in people if i != own_subscriber_id and e]
    found += [n for i, _, n in people if i != own_subscriber_id and n and len(n) > 5]
    found += [m[2:] for i, m in sims if i != own_subscriber_id]
    return found


async def call_with_barrier(tab: Tab, name: str, payload: dict, flip: list[bool]) -> list[Update]:
    """Send the event, then a barrier that always answers (the root's is_hydrated flipped);
    return every update that arrived up to the barrier's."""
    seen: list[Update] = []
    flip[0] = not flip[0]
    want = flip[0]

    def until(u: Update) -> str | None:
        seen.append(u)
        return "" if u.delta.get(tab.proto.root, {}).get(HYDRATED) is want else None

    fut = tab._expect(until)
    tab._emit(tab._event(name, payload))
    tab._emit(tab._event(tab.proto.set_is_hydrated, {"value": want}))
    await tab._finish(fut, 0.0, TIMEOUT, name)
    return seen


async def _run_actor(names, base_url: str, token: str, calls: list[tuple[str, str, dict]]):
    tab = Tab(base_url, names.proto, storage={"paysim_session": token} if token else {})
    await tab.open("/login", TIMEOUT)
    frames: list[str] = []
    flip = [True]
    for _label, event, payload in calls:
        for update in await call_with_barrier(tab, event, payload, flip):
            frames.append(json.dumps({"d": update.delta, "e": update.events}, default=str))
    await tab.close()
    return frames, tab.server_errors


def _in_thread(coro):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_every_handler_refuses_every_actor_its_word_does_not_admit(backend: Backend):
    states = _states()
    inventory = access.inventory()
    actors = _actors(backend)
    assert actors["deactivated-partner"] is None and actors["signed-out"] is None
    assert actors["demoted-admin"] is not None and not actors["demoted-admin"].can("sims.view")

    engine = make_engine(backend.url)
    with engine.connect() as conn:
        victim_sim = conn.execute(
            text(
                "SELECT s.id FROM sim s JOIN subscriber sub ON sub.id = s.subscriber_id "
                "JOIN user_account u ON u.id = sub.user_id WHERE u.email = 'demo@paysim.demo' "
                "ORDER BY s.id LIMIT 1"
            )
        ).scalar_one()
        other_sim = conn.execute(
            text(
                "SELECT s.id FROM sim s JOIN subscriber sub ON sub.id = s.subscriber_id "
                "JOIN user_account u ON u.id = sub.user_id WHERE u.email <> 'demo@paysim.demo' "
                "ORDER BY s.id LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()

    before = fingerprint(backend.url)
    report: dict[str, int] = {}
    for actor_name, actor in actors.items():
        # the demo subscriber is attacked with another subscriber's SIM, everyone else with hers
        foreign_id = other_sim if actor_name == "subscriber" else victim_sim
        calls = []
        for key, word in inventory.items():
            if access.satisfies(actor, word):
                continue
            cls_name, handler_name = key.split(".")
            cls = states[cls_name]
            handler = cls.event_handlers[handler_name]
            calls.append(
                (
                    key,
                    f"{cls.get_full_name()}.{handler_name}",
                    plain_arguments(handler, foreign_id),
                )
            )
        if actor_name in ("signed-out", "subscriber"):  # deny by default: Reflex's setvar
            for cls in states.values():
                calls.append(
                    (
                        f"{cls.__name__}.setvar",
                        f"{cls.get_full_name()}.setvar",
                        {"var_name": "auth_token", "value": "x"},
                    )
                )
        start = len(backend.log_lines())
        frames, server_errors = _in_thread(
            _run_actor(_names(), backend.base_url, backend.tokens[actor_name], calls)
        )
        report[actor_name] = len(calls)
        lines = backend.log_lines()[start:]
        refused = {m.group(1) for line in lines if (m := REFUSAL.search(line))}
        expected = {label for label, _, _ in calls}
        # a handler inherited from a parent state is logged under the state it was sent to
        missing = sorted(expected - refused)
        assert not missing, f"{actor_name}: not refused by the door: {missing[:20]}"
        assert server_errors == 0, f"{actor_name}: backend errors"
        own = actor.subscriber_id if actor is not None else None
        received = "\n".join(frames)
        digits = re.sub(r"\D", "", received)
        for secret in _foreign_strings(backend, own):
            if secret.isdigit():
                assert secret not in digits, f"{actor_name} received another's number"
            else:
                assert secret not in received, f"{actor_name} received another's data"
    after = fingerprint(backend.url)
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert not changed, f"tables changed by refused events: {changed}"
    assert sum(report.values()) > 1000, report
    print(f"\ndoor matrix ({backend.kind}): {report}")


def test_a_refused_event_sends_a_signed_out_tab_to_sign_in(backend: Backend):
    names = _names()
    states = _states()

    async def run():
        tab = Tab(backend.base_url, names.proto)
        await tab.open("/cabinet/payments", TIMEOUT)
        # the page's own on_load was refused and answered with the sign-in page
        assert tab.redirect is not None and tab.redirect.startswith("/login?next=")
        tab.redirect = None
        cls = states["PaymentsState"]
        flip = [True]
        await call_with_barrier(
            tab, f"{cls.get_full_name()}.set_filter", {"name": "sim", "value": "1"}, flip
        )
        assert tab.redirect is not None and tab.redirect.startswith("/login")
        await tab.close()

    _in_thread(run())


@pytest.mark.parametrize(
    "payload",
    [
        {"name": {"x": 1}, "value": "1"},
        {"name": "sim", "value": ["1"]},
        {"name": "sim"},
        {"name": "sim", "value": "1", "extra": 1},
        {"name": "sim", "value": "x" * 30_000},
        {"name": "sim", "value": 2**70},
    ],
    ids=["dict-for-str", "list-for-str", "missing", "extra", "30k-text", "past-int64"],
)
def test_hostile_arguments_are_refused_with_a_clear_error(backend: Backend, payload):
    names = _names()
    states = _states()

    async def run():
        tab = Tab(
            backend.base_url, names.proto, storage={"paysim_session": backend.tokens["subscriber"]}
        )
        await tab.open("/login", TIMEOUT)
        cls = states["PaymentsState"]
        updates = await call_with_barrier(tab, f"{cls.get_full_name()}.set_filter", payload, [True])
        await tab.close()
        return updates, tab.server_errors

    updates, errors = _in_thread(run())
    sent = " ".join(
        str((e.get("payload") or {}).get("function")) for u in updates for e in u.events
    )
    assert "door" in sent and errors == 0
    # the toast's text travels inside a JavaScript call, its letters \u-escaped (twice)
    for _ in range(3):
        sent = sent.encode("ascii", "backslashreplace").decode("unicode_escape")
    assert t("error.bad_request", "ru") in sent


def test_the_websocket_client_is_the_browsers_protocol(backend: Backend):
    """A sanity check of the harness: an allowed event is answered by its handler."""
    names = _names()

    async def run():
        tab = Tab(
            backend.base_url, names.proto, storage={"paysim_session": backend.tokens["subscriber"]}
        )
        await tab.open("/cabinet", TIMEOUT)
        sims = tab.var(names.cabinet, "sims") or []
        await tab.close()
        return sims

    try:
        sims = _in_thread(run())
    except SocketError as err:  # pragma: no cover - shows the server's side
        pytest.fail(f"{err}\n{backend.log.read_text()[-2000:]}")
    assert len(sims) == 4  # the demo subscriber's SIMs (demo.DEMO_SUBSCRIBER_SIMS)
