"""(a) Every event handler of every app state declares who may call it, the reviewed inventory
(paysim_app/ui/access_list.txt) is what the declarations say, and Reflex's own handlers that a
browser does not need have no word (the door refuses them)."""

from __future__ import annotations

import reflex as rx

import paysim_app.paysim_app  # noqa: F401  (defines every page and state)
from paysim_app.ui import access
from paysim_app.ui.components.listing import ListMixin


def _app_states() -> list[type[rx.State]]:
    return access.app_states()


def test_every_handler_declares_its_access():
    assert _app_states(), "found no app states at all"
    missing = access.undeclared()
    assert not missing, f"event handlers without @access(...): {missing}"


def test_the_reviewed_inventory_is_current():
    assert access.INVENTORY_FILE.read_text(encoding="utf-8") == access.inventory_text(), (
        "paysim_app/ui/access_list.txt is stale: run `python -m paysim_app access-list`"
    )


def test_every_word_is_a_known_word():
    bad = {k: v for k, v in access.inventory().items() if not access.is_word(v)}
    assert not bad
    assert not access.is_word("admin:no.such") and not access.is_word("anyone")


def test_a_list_state_grants_what_its_spec_asks():
    """A back-office list's LIST_ACCESS is its ListSpec's permission (or the partner's or the
    subscriber's role)."""
    for cls in _app_states():
        if not issubclass(cls, ListMixin):
            continue
        spec = cls._spec(None)
        role = cls._role(None)
        # a list of one's own (the notification centre) asks no permission: any admin
        admin = f"admin:{spec.permission}" if spec.permission else "admin:any"
        expected = role if role in ("partner", "subscriber") else admin
        assert cls.LIST_ACCESS == expected, cls.__name__


def test_reflex_setvar_and_internal_handlers_have_no_word():
    """`setvar(name, value)` would set any var of any state: no state grants it."""
    from reflex.state import State

    for cls in [State, *_app_states()]:
        assert access.word_of(cls, "setvar") is None, cls.__name__
    assert access.word_of(State, "hydrate_and_load") == "public"


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
