"""The IDOR matrix, generated from the access list and run over the real websocket: the other way
round from the door matrix. Every handler the list grants to a role is called by an actor of that
role with references to someone else's objects (conftest's victim: a subscriber of the demo
dealer with a SIM, a card, a payment, a ticket with a file, a notification, a speed test, an
add-on, a tariff change request, a dealer's activation request and top-up):

- the subscriber attacker (a demo subscriber of no dealer) and the partner attacker (the other
  demo dealer) with every victim id and number;
- the support operator (tickets and viewing subscribers only) with ids of objects of the sections
  its role lacks (SIMs, payments, cards, dealers, activations, blocks), through the handlers that
  read (a `view` or `any` word: writing within its own sections is its job, on any ticket).

Ids go wherever the handler takes one: a parameter named `..._id`, a `set_filter`-style
(name, value) pair whose name is a key of the state's filters or form, a form's keys that the
handler reads, a search box; and into the address of every page the role may open (the route's
`[param]` and the query names the pages read, `?sim=` ...): the router's query is part of the
on_load event. After each page or call, the page's own argument-free actions run on whatever the
page now holds. Then:

- the victim's rows (and its dealer's) are unchanged;
- no frame the attacker received carries the victim's marked texts (name, address, SIM label,
  ticket, message, file name, notification, activation, block, payment reference). The victim's
  numbers are not among them: the attacker types them, and a page shows back what was typed.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import typing

from sqlalchemy import text
from sqlmodel import Session

import paysim_app.paysim_app as app_module
from bench.load_client import Tab
from paysim_app.accounts import identity
from paysim_app.db import make_engine
from paysim_app.ui import access
from tests.security.conftest import Backend, Victim
from tests.security.test_door_matrix import (
    TIMEOUT,
    _in_thread,
    _names,
    _states,
    call_with_barrier,
    kind_of,
)

# attacker -> (victim id kinds it is tried with, marker sections it must never receive)
ALL_KINDS = None
ATTACKERS = {
    "idor-subscriber": (ALL_KINDS, ALL_KINDS),
    "idor-partner": (ALL_KINDS, ALL_KINDS),
    "support": (
        (
            "sim",
            "sim-pending",
            "sim-stock",
            "card",
            "payment",
            "topup",
            "partner",
            "activation",
            "block",
            "tariff-change",
            "speed-test",
        ),
        ("activation", "block", "payment"),
    ),
}
# they end the attacker's sign-in; uploads cannot travel as event arguments
SKIP = {"SessionState.sign_out", "SessionsState.sign_out_others", "PasswordState.submit"}
# which victim objects an id slot is tried with, by the slot's name
KINDS_BY_NAME = (
    (re.compile(r"sim_addon|addon"), ("sim-addon",)),
    (re.compile(r"sim|number|msisdn|iccid|search|^q$|phone"), ("sim", "sim-pending", "sim-stock")),
    (re.compile(r"card"), ("card",)),
    (re.compile(r"message"), ("message",)),
    (re.compile(r"request|change"), ("tariff-change", "activation")),
    (re.compile(r"session"), ("session",)),
    (re.compile(r"ticket"), ("ticket",)),
    (re.compile(r"payment"), ("payment", "topup")),
    (re.compile(r"partner"), ("partner",)),
    (re.compile(r"subscriber|customer"), ("subscriber",)),
    (re.compile(r"block"), ("block",)),
)
ID_NAME = re.compile(
    r"(^|_)id$|sim|card|ticket|partner|subscriber|request|number|msisdn|iccid|search|^q$|phone"
)
# a lone text argument carries a reference in handlers named like this
REFERENCE_HANDLER = re.compile(r"number|search|sim")
# plausible values for a form's other keys, so that the handler gets as far as the id
PLAUSIBLE = {
    "amount": "300",
    "subject": "Проверка доступа к данным",
    "body": "Проверка доступа к чужим данным",
    "reply": "Проверка доступа к чужим данным",
    "category": "other",
    "code": "0000",
    "rating": "5",
    "rating_comment": "",
}
RESETS = {"again", "back", "clear", "clear_filters", "close_preview", "drop_file", "toggle_filters"}
ADDRESS_READ = re.compile(r"(?:params|query_parameters)\.get\(\"(\w+)\"")


def _address_names() -> list[str]:
    """The query names the app's pages read (route params travel in the query too)."""
    names = set()
    for cls in _states().values():
        names |= set(ADDRESS_READ.findall(inspect.getsource(inspect.getmodule(cls))))
    return sorted(names - {"next", "token", "saved", "tab", "role"})


def _kinds_for(name: str, allowed: tuple[str, ...] | None, victim: Victim) -> list[str]:
    for pattern, kinds in KINDS_BY_NAME:
        if pattern.search(name):
            found = [k for k in kinds if allowed is None or k in allowed]
            if found:
                return found
    return [k for k in victim.ids if allowed is None or k in allowed]


def _refs(name: str, allowed, victim: Victim) -> list[str]:
    """The victim references tried in a slot: ids of the matching kinds; numbers and ICCIDs
    where a SIM can be named by them."""
    kinds = _kinds_for(name, allowed, victim)
    refs = [str(victim.ids[k]) for k in kinds if k in victim.ids]
    if "sim" in kinds:
        refs += victim.numbers
    return refs


def _dict_keys(cls) -> list[str]:
    """Keys of the state's dict vars (filters, form, ...): the names its setters accept."""
    keys = set()
    for field in cls.get_fields().values():
        default = getattr(field, "default", None)
        factory = getattr(field, "default_factory", None)
        if not isinstance(default, dict) and callable(factory):
            default = factory()
        if isinstance(default, dict):
            keys |= {k for k in default if isinstance(k, str)}
    return sorted(keys)


def _handler_calls(cls, name: str, handler, allowed, victim: Victim) -> list[dict]:
    """Argument sets that put a victim reference in each of the handler's id slots."""
    fn = handler.fn
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    params = [
        p
        for p in list(inspect.signature(fn).parameters.values())[1:]
        if p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD
    ]
    kinds = {p.name: kind_of(hints.get(p.name, str)) for p in params}
    if any(k is list for k in kinds.values()):
        return []  # uploads
    base = {}
    for p in params:
        base[p.name] = {int: 1, bool: True, float: 1.0, dict: {}}.get(kinds[p.name], "1")
    calls = []
    names = set(kinds)
    if {"name", "value"} <= names:  # set_filter / set_field style
        for key in _dict_keys(cls):
            if ID_NAME.search(key):
                calls += [{**base, "name": key, "value": r} for r in _refs(key, allowed, victim)]
        return calls
    for p in params:
        kind = kinds[p.name]
        if kind is dict:
            read = set(re.findall(r"\.get\(\"(\w+)\"", inspect.getsource(fn))) | set(
                _dict_keys(cls)
            )
            id_keys = [k for k in read if ID_NAME.search(k)]
            if not id_keys:
                continue
            plain = {k: PLAUSIBLE.get(k, "") for k in read if k not in id_keys}
            refs = sorted({r for k in id_keys for r in _refs(k, allowed, victim)})
            calls += [{**base, p.name: {**plain, **dict.fromkeys(id_keys, r)}} for r in refs]
        elif kind in (int, str) and (
            ID_NAME.search(p.name) or (p.name == "value" and REFERENCE_HANDLER.search(name))
        ):
            slot = p.name if p.name != "value" else name
            for r in _refs(slot, allowed, victim):
                if kind is int:
                    if r.isdigit():
                        calls.append({**base, p.name: int(r)})
                else:
                    calls.append({**base, p.name: r})
    return calls


def _pages() -> dict[str, list[str]]:
    """route -> the 'State.handler' keys of its on_load events."""
    pages = {}
    for route, events in app_module.app._load_events.items():
        keys = []
        for e in events:
            fn = getattr(e, "fn", None) or getattr(getattr(e, "handler", None), "fn", None)
            if fn is not None:
                keys.append(fn.__qualname__)
        pages["/" + route.strip("/") if route != "index" else "/"] = keys
    return pages


def plan(actor, attacker: str, victim: Victim) -> list[tuple[str, str, object]]:
    """("visit", path, None) and ("call", event name, payload) steps for one attacker."""
    allowed, _ = ATTACKERS[attacker]
    states = _states()
    inventory = access.inventory()
    granted = {
        key
        for key, word in inventory.items()
        if word != "public"
        and key not in SKIP
        and access.satisfies(actor, word)
        and (not actor.is_admin or word == "admin:any" or word.endswith(".view"))
    }

    def event(key: str) -> str:
        cls_name, handler_name = key.split(".")
        return f"{states[cls_name].get_full_name()}.{handler_name}"

    def actions(cls_names: set[str]) -> list[tuple[str, str, object]]:
        """The argument-free handlers of these states, but their on_load ones."""
        found = []
        for key in sorted(granted):
            cls_name, handler_name = key.split(".")
            if cls_name not in cls_names or handler_name == "load":
                continue
            fn = states[cls_name].event_handlers[handler_name].fn
            params = list(inspect.signature(fn).parameters.values())[1:]
            if all(p.default is not inspect.Parameter.empty for p in params):
                found.append(("call", event(key), {}))
        # what resets the page's form last, so that check / confirm / save act on the id first
        return sorted(found, key=lambda step: step[1].rsplit(".", 1)[1] in RESETS)

    steps: list[tuple[str, str, object]] = []
    address = _address_names()
    for route, loads in _pages().items():
        if not any(key in granted for key in loads):
            continue  # not this role's page, or a "coming soon" one (its guard only)
        if not all(key in granted or key.startswith("SessionState") for key in loads):
            continue
        owners = {key.split(".")[0] for key in loads}
        dynamic = re.findall(r"\[(\w+)\]", route)
        for ref in sorted(
            {r for name in dynamic + ["sim"] for r in _refs(name, allowed, victim) if len(r) < 12}
        ):
            path = re.sub(r"\[\w+\]", ref, route)
            query = "&".join(f"{n}={ref}" for n in address)
            steps.append(("visit", f"{path}?{query}", None))
            steps += actions(owners)
    for key in sorted(granted):
        cls_name, handler_name = key.split(".")
        cls = states[cls_name]
        calls = _handler_calls(cls, handler_name, cls.event_handlers[handler_name], allowed, victim)
        for payload in calls:
            steps.append(("call", event(key), payload))
        if calls:
            steps += actions({cls_name})
    return steps


class RecordingTab(Tab):
    """A tab that keeps every frame it receives."""

    frames: list[str]

    def _on_event(self, name, data, at) -> None:
        if name == "event" and isinstance(data, dict):
            self.frames.append(json.dumps(data, default=str, ensure_ascii=False))
        super()._on_event(name, data, at)


async def _run(proto, base_url: str, token: str, steps, start: str):
    tab = RecordingTab(base_url, proto, storage={"paysim_session": token})
    tab.frames = []
    await tab.open(start, TIMEOUT)
    flip = [True]
    for what, name, payload in steps:
        if what == "visit":
            await tab.navigate(name, TIMEOUT)
            flip[0] = True  # the page's chain ended with is_hydrated true
        else:
            await call_with_barrier(tab, name, payload, flip)
    await tab.close()
    return tab.frames, tab.server_errors


VICTIM_ROWS = {
    "subscriber": "SELECT * FROM subscriber WHERE id = :sub OR partner_id = :partner",
    "user_account": "SELECT * FROM user_account WHERE id = :user OR partner_id = :partner",
    "partner": "SELECT * FROM partner WHERE id = :partner",
    "sim": "SELECT * FROM sim WHERE subscriber_id = :sub OR partner_id = :partner",
    "saved_card": "SELECT * FROM saved_card WHERE subscriber_id = :sub",
    "autopay_setting": "SELECT * FROM autopay_setting WHERE sim_id IN ({sims})",
    "payment": "SELECT * FROM payment WHERE sim_id IN ({sims}) OR partner_id = :partner",
    "ledger_entry": "SELECT * FROM ledger_entry WHERE sim_id IN ({sims})",
    "ticket": "SELECT * FROM ticket WHERE subscriber_id = :sub OR partner_id = :partner",
    "ticket_message": "SELECT * FROM ticket_message WHERE ticket_id IN "
    "(SELECT id FROM ticket WHERE subscriber_id = :sub OR partner_id = :partner)",
    "notification": "SELECT * FROM notification WHERE user_id = :user",
    "speed_test": "SELECT * FROM speed_test WHERE user_id = :user OR sim_id IN ({sims})",
    "quality_rating": "SELECT * FROM quality_rating WHERE user_id = :user",
    "sim_addon": "SELECT * FROM sim_addon WHERE sim_id IN ({sims})",
    "tariff_change_request": "SELECT * FROM tariff_change_request WHERE sim_id IN ({sims})",
    "activation_request": "SELECT * FROM activation_request WHERE sim_id IN ({sims}) "
    "OR partner_id = :partner",
    "sim_block": "SELECT * FROM sim_block WHERE sim_id IN ({sims})",
    "unblock_request": "SELECT * FROM unblock_request WHERE sim_id IN ({sims})",
    "commission": "SELECT * FROM commission WHERE partner_id = :partner",
    "auth_session": "SELECT id, revoked_at FROM auth_session WHERE user_id = :user",
}


def victim_fingerprint(backend: Backend) -> dict[str, str]:
    """table -> a hash of the victim's rows (and its dealer's)."""
    v = backend.victim
    sims = "SELECT id FROM sim WHERE subscriber_id = :sub OR partner_id = :partner"
    binds = {"sub": v.subscriber_id, "user": v.user_id, "partner": v.ids["partner"]}
    engine = make_engine(backend.url)
    prints = {}
    with engine.connect() as conn:
        for table, sql in VICTIM_ROWS.items():
            rows = conn.execute(text(sql.format(sims=sims) + " ORDER BY 1"), binds).all()
            prints[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    engine.dispose()
    return prints


def _victim_session(backend: Backend) -> int:
    engine = make_engine(backend.url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT id FROM auth_session WHERE user_id = :u ORDER BY id LIMIT 1"),
            {"u": backend.victim.user_id},
        ).scalar_one()
    engine.dispose()
    return found


def _actors_of(backend: Backend, names) -> dict:
    engine = make_engine(backend.url)
    with Session(engine) as session:
        found = {n: identity.resolve_session(session, backend.tokens[n]) for n in names}
        session.rollback()
    engine.dispose()
    return found


def test_every_granted_handler_refuses_other_peoples_ids(backend: Backend):
    victim = backend.victim
    victim.ids.setdefault("session", _victim_session(backend))
    actors = _actors_of(backend, ATTACKERS)
    start = len(backend.log_lines())
    before = victim_fingerprint(backend)
    report, problems = {}, []
    for attacker, actor in actors.items():
        assert actor is not None, attacker
        steps = plan(actor, attacker, victim)
        home = "/cabinet" if actor.role == "subscriber" else f"/{actor.role}"
        frames, errors = _in_thread(
            _run(_names().proto, backend.base_url, backend.tokens[attacker], steps, home)
        )
        report[attacker] = len(steps)
        if errors:
            problems.append(f"{attacker}: {errors} backend errors")
        _, sections = ATTACKERS[attacker]
        secrets = [m for s, m in victim.markers.items() if sections is ALL_KINDS or s in sections]
        received = "\n".join(frames)
        for secret in secrets:
            if secret in received:
                at = received.index(secret)
                problems.append(f"{attacker} received {secret!r}: …{received[at - 300 : at + 80]}")
    after = victim_fingerprint(backend)
    changed = sorted(t for t in before if before[t] != after[t])
    if changed:
        problems.append(f"the victim's rows changed: {changed}")
    log = "\n".join(backend.log_lines()[start:])
    if "Traceback" in log:
        problems.append(log[log.index("Traceback") - 200 :][:3000])
    print(f"\nIDOR matrix ({backend.kind}), calls per actor: {report}")
    assert not problems, "\n".join(problems)
    assert all(n > 50 for n in report.values()), report


def test_the_victim_itself_receives_its_marked_texts(backend: Backend):
    """A check of the harness: the same page visits, made by the victim, show it its own texts,
    so a page that showed them to someone else would be caught. Visits only: the victim's
    rows stay as they are."""
    victim = backend.victim
    (actor,) = _actors_of(backend, ["victim"]).values()
    steps = [s for s in plan(actor, "idor-subscriber", victim) if s[0] == "visit"]
    frames, errors = _in_thread(
        _run(_names().proto, backend.base_url, backend.tokens["victim"], steps, "/cabinet")
    )
    received = "\n".join(frames)
    own = ("label", "ticket", "message", "attachment", "notification")
    assert errors == 0
    assert [s for s in own if victim.markers[s] not in received] == []
