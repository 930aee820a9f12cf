"""Who may call each event handler, declared where the handler is defined.

Any websocket client can send any event of any state with any arguments. Every handler the
browser may call carries one access word, written above its `@rx.event`:

    @access("subscriber")
    @rx.event
    def block(self, ...): ...

public        anyone, signed in or not (sign-in forms, guards that only redirect)
signed-in     any signed-in user, acting on their own account only
subscriber    a signed-in subscriber, on their own contract (ownership checked in the service)
partner       a signed-in partner user, on its own partner's data
admin:<perm>  an admin whose role grants <perm>; admin:any = any admin, figures filtered by role

The door (ui/door.py) reads the word before any handler runs and refuses an event whose word the
actor does not satisfy, or that has no word at all. The handlers every list state gets from
ui/admin/listing.ListMixin say `@access(LIST)`: their word is the list state's `LIST_ACCESS`
(likewise ATTACH, PERIOD and STOCK for the file, period and stock-pick mixins).
The services check again (ownership, permission): the door is the first check, not the only one.

`inventory()` lists every declared word; `python -m paysim_app access-list` writes it to
paysim_app/ui/access_list.txt, the reviewed inventory (tests/ui/test_handler_access.py keeps the
file current, so a new or changed word shows in the diff).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from paysim_app.core.permissions import PERMISSIONS, Actor

PUBLIC, SIGNED_IN, SUBSCRIBER, PARTNER = "public", "signed-in", "subscriber", "partner"
# A mixin's handler takes the word of the state that mixes it in, from a class attribute:
LIST = "state:LIST_ACCESS"  # ui/admin/listing.ListMixin
ATTACH = "state:ATTACH_ACCESS"  # ui/components/attach.AttachMixin
PERIOD = "state:PERIOD_ACCESS"  # ui/admin/partner_stats.PeriodMixin
STOCK = "state:STOCK_ACCESS"  # ui/components/stock_picker.StockPickMixin
_WORD = re.compile(r"public|signed-in|subscriber|partner|admin:[a-z]+(\.[a-z]+)?")
ATTRIBUTE = "__paysim_access__"

# Reflex's own events that a browser sends, by the name of the state class that defines them.
# Everything else of Reflex's (`setvar` on every state, ...) is refused like any unlisted event.
REFLEX_EVENTS: dict[str, str] = {
    "State.hydrate_and_load": PUBLIC,  # the page's first event on (re)connect
    "State.hydrate": PUBLIC,
    "State.set_is_hydrated": PUBLIC,
    "UpdateVarsInternalState.update_vars_internal": PUBLIC,  # LocalStorage values
    "OnLoadInternalState.on_load_internal": PUBLIC,  # a navigation: runs the page's on_load
    "OnLoadInternalState.set_is_hydrated": PUBLIC,
    "FrontendEventExceptionState.handle_frontend_exception": PUBLIC,
}


def is_word(word: object) -> bool:
    if not isinstance(word, str) or not _WORD.fullmatch(word):
        return False
    return not word.startswith("admin:") or word == "admin:any" or word[6:] in PERMISSIONS


def access(word: str) -> Callable:
    """Declare who may call the event handler below (stacked above `@rx.event`)."""
    if not word.startswith("state:") and not is_word(word):
        raise ValueError(f"unknown access word {word!r}")

    def mark(fn: Callable) -> Callable:
        setattr(fn, ATTRIBUTE, word)
        return fn

    return mark


def word_of(state_cls: type, name: str) -> str | None:
    """The access word of `state_cls`'s event handler `name`, or None (refused)."""
    handlers = getattr(state_cls, "event_handlers", {})
    handler = handlers.get(name)
    if handler is None:
        return None
    if not state_cls.__module__.startswith("paysim_app."):
        return REFLEX_EVENTS.get(f"{state_cls.__name__}.{name}")
    word = getattr(handler.fn, ATTRIBUTE, None)
    if isinstance(word, str) and word.startswith("state:"):
        word = getattr(state_cls, word[6:], None)
    return word if is_word(word) else None


def satisfies(actor: Actor | None, word: str) -> bool:
    """Whether the actor (None: signed out) may call a handler with this word."""
    if word == PUBLIC:
        return True
    if actor is None:
        return False
    if word == SIGNED_IN:
        return True
    if word in (SUBSCRIBER, PARTNER):
        return actor.role == word
    if word == "admin:any":
        return actor.is_admin
    return word.startswith("admin:") and actor.can(word[6:])


def app_states() -> list[type]:
    """Every state class of the app (import paysim_app.paysim_app first)."""
    import reflex as rx

    found, todo = [], [rx.State]
    while todo:
        cls = todo.pop()
        for sub in cls.get_substates():
            todo.append(sub)
            if sub.__module__.startswith("paysim_app."):
                found.append(sub)
    return found


def inventory() -> dict[str, str]:
    """'State.handler' -> word for every handler a browser may call, in a stable order.

    A handler inherited from a parent state is listed once, under the state that defines it
    (a mixin's handlers under each state that mixes it in: their words differ)."""
    entries: dict[str, str] = {}
    for cls in app_states():
        for name in cls.event_handlers:
            word = word_of(cls, name)
            if word is None:
                continue
            fn = cls.event_handlers[name].fn
            owner = fn.__qualname__.split(".")[0]
            if getattr(fn, ATTRIBUTE, "").startswith("state:"):
                owner = cls.__name__  # a mixin's handler: one entry per state
            entries[f"{owner}.{name}"] = word
    return dict(sorted(entries.items()))


def undeclared() -> list[str]:
    """Handlers of the app's states that have no word (the door refuses them)."""
    missing = []
    for cls in app_states():
        for name in cls.event_handlers:
            if name != "setvar" and word_of(cls, name) is None:
                missing.append(f"{cls.__name__}.{name}")
    return sorted(missing)


INVENTORY_FILE = Path(__file__).with_name("access_list.txt")


def inventory_text() -> str:
    entries = inventory()
    width = max(map(len, entries))
    head = (
        "# Who may call each event handler: generated from the @access declarations by\n"
        "# `python -m paysim_app access-list`; review changes to it like code.\n"
    )
    return head + "".join(f"{name:<{width}}  {word}\n" for name, word in entries.items())
