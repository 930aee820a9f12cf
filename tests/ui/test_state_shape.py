"""The shape of the state tree: what one event makes Reflex read from Redis and write back.

Reflex loads, for an event, the handler's state, its parents, its substates and every state
whose computed vars depend on a var of those (they must be at hand to be recomputed). A page
state's computed var that read SessionState.locale once made every event load 59 of the app's
103 states (bench/README.md, "Which states an event loads"); page states now render in a
language of their own (session.LocaleView)."""

from __future__ import annotations

import asyncio

import pytest
import reflex as rx
from reflex.istate.manager.redis import StateManagerRedis

from paysim_app import paysim_app  # noqa: F401 - the pages register every state
from paysim_app.i18n import t
from paysim_app.ui.admin.sims import AdminSimsState
from paysim_app.ui.auth.session import SessionState, follow_locale, reset_tab

MAX_STATES = 12  # what a page state's event may load: the page, its parents and a few others


def _tree(cls):
    yield cls
    for sub in sorted(cls.get_substates(), key=lambda c: c.get_full_name()):
        yield from _tree(sub)


def _loaded_for(cls) -> set[type]:
    manager = StateManagerRedis.__new__(StateManagerRedis)  # the rule only, no Redis
    return manager._get_required_state_classes(cls, subclasses=True)


def test_no_state_depends_on_a_var_of_the_session_state():
    own = SessionState.get_full_name()
    outside = sorted(
        (state.rpartition(".")[2], computed, var)
        for var, targets in SessionState._var_dependencies.items()
        for state, computed in targets
        if state != own
    )
    assert outside == []
    assert SessionState._get_potentially_dirty_states() == set()


@pytest.mark.parametrize(
    "cls", [c for c in _tree(SessionState) if c is not SessionState], ids=lambda c: c.__name__
)
def test_an_event_of_a_page_state_loads_few_states(cls):
    if cls.get_substates():  # a parent (CabinetState) loads its pages: its events are few
        return
    assert len(_loaded_for(cls)) <= MAX_STATES


def _tab():
    root = rx.State(_reflex_internal_init=True)
    return root, root.get_substate(SessionState.get_full_name().split("."))


def _page(root, cls):
    return root.get_substate(cls.get_full_name().split("."))


MIXED = [c for c in _tree(SessionState) if "view_locale" in c.base_vars]


def test_a_switch_and_a_reset_reach_every_state_with_a_language_of_its_own(db_url):
    assert len(MIXED) > 50  # every list and every page with translated computed vars
    root, session = _tab()
    assert _page(root, AdminSimsState).page_label == t("list.page", "ru", page=1)
    session.locale = "en"  # as set_locale and a sign-in do, then:
    asyncio.run(follow_locale(session))
    assert {_page(root, c).view_locale for c in MIXED} == {"en"}
    assert _page(root, AdminSimsState).page_label == t("list.page", "en", page=1)
    assert _page(root, AdminSimsState).page_label != t("list.page", "ru", page=1)
    # a sign-out resets every page state; the language stays, on every one of them
    asyncio.run(reset_tab(session))
    assert session.locale == "en"
    assert {_page(root, c).view_locale for c in MIXED} == {"en"}


def test_a_state_left_behind_follows_before_its_next_event(db_url):
    root, session = _tab()
    page = _page(root, AdminSimsState)
    session.locale = "en"  # changed without follow_locale
    assert page.view_locale == "ru"
    page._follow_locale()  # what the door does before any event of the state
    assert page.view_locale == "en" and page.summary == t("list.found", "en", n="0")
