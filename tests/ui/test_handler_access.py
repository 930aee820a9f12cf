"""(a) Every event handler of every app state is in the reviewed access list, and vice versa."""

from __future__ import annotations

import reflex as rx

import paysim_app.paysim_app  # noqa: F401  (defines every page and state)
from paysim_app.ui.access import HANDLER_ACCESS

ACCESS_WORDS = ("public", "signed-in", "subscriber", "partner", "admin:")


def _app_states() -> list[type[rx.State]]:
    seen, todo = [], [rx.State]
    while todo:
        cls = todo.pop()
        for sub in cls.get_substates():
            todo.append(sub)
            if sub.__module__.startswith("paysim_app."):
                seen.append(sub)
    return seen


def _defined_handlers() -> set[str]:
    """'State.handler' for each handler a state defines itself (inherited ones count once)."""
    names = set()
    for cls in _app_states():
        for name in cls.event_handlers:
            if name == "setvar":
                continue  # the built-in dispatcher; see test_setvar_reaches_only_listed_setters
            if name in vars(cls) or name in getattr(cls, "__annotations__", {}):
                names.add(f"{cls.__name__}.{name}")
            elif not any(
                name in base.event_handlers
                for base in cls.__mro__[1:]
                if hasattr(base, "event_handlers")
            ):
                names.add(f"{cls.__name__}.{name}")  # generated (e.g. a setter): must be listed too
    return names


def test_every_handler_is_listed_with_its_access():
    handlers = _defined_handlers()
    assert handlers, "found no event handlers at all"
    missing = sorted(handlers - HANDLER_ACCESS.keys())
    assert not missing, (
        f"event handlers without an access entry in paysim_app/ui/access.py: {missing}"
    )


def test_the_list_names_no_handler_that_does_not_exist():
    stale = sorted(HANDLER_ACCESS.keys() - _defined_handlers())
    assert not stale, f"access entries for handlers that no longer exist: {stale}"


def test_every_entry_uses_a_known_access_word():
    bad = {k: v for k, v in HANDLER_ACCESS.items() if not v.startswith(ACCESS_WORDS)}
    assert not bad


def test_setvar_reaches_only_listed_setters():
    """Reflex's built-in `setvar(name, value)` calls `set_<name>`; with auto setters off (the
    default, checked here) the only setters are handlers we wrote and listed above."""
    from reflex_base.config import get_config

    assert get_config().state_auto_setters is False
    for cls in _app_states():
        for var in cls.base_vars:
            setter = getattr(cls, f"set_{var}", None)
            if setter is None:
                continue
            owner = next(c for c in cls.__mro__ if f"set_{var}" in vars(c))
            assert f"{owner.__name__}.set_{var}" in HANDLER_ACCESS, f"{cls.__name__}.set_{var}"


def test_cabinet_pages_bind_load_and_select_sim_to_their_own_state():
    """Reflex runs an inherited handler on the class that defined it: a page that used
    CabinetState's `select_sim` would never reload its own data. Each page defines its own."""
    from paysim_app.ui.cabinet.state import CabinetState

    wrong = []
    for cls in _app_states():
        if not issubclass(cls, CabinetState) or cls is CabinetState:
            continue
        for name in ("load", "select_sim"):
            handler = getattr(cls, name, None)
            if handler is not None and getattr(handler, "state", cls) is not cls:
                wrong.append(f"{cls.__name__}.{name}")
    assert not wrong, f"handlers bound to a parent state: {wrong}"
