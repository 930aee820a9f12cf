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
from reflex.state import UpdateVarsInternalState
from reflex_base.constants.state import FIELD_MARKER

from paysim_app import paysim_app  # noqa: F401 - the pages register every state
from paysim_app.accounts import identity
from paysim_app.i18n import t
from paysim_app.ui.admin.sims import AdminSimsState
from paysim_app.ui.auth.session import (
    BrowserState,
    SessionState,
    follow_locale,
    reset_tab,
    take_from_browser,
)

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


def _browser(root):
    return root.get_substate(BrowserState.get_full_name().split("."))


def _vars(**values: str) -> dict:
    """A hydrate's or an update_vars_internal's payload, as the browser sends it."""
    own = BrowserState.get_full_name()
    return {"vars": {f"{own}.{name}{FIELD_MARKER}": value for name, value in values.items()}}


def test_only_a_leaf_state_keeps_values_in_the_browser():
    """Reflex sends every LocalStorage value back on each navigation and loads the states that
    own them with all their substates: a parent owning one loaded every page's state."""
    owners = {
        cls for cls in _tree(rx.State) for name in cls.base_vars if cls._is_client_storage(name)
    }
    assert owners == {BrowserState}
    assert BrowserState.get_substates() == set()
    # the root and the state, and the two pages whose computed vars read the root's router
    # (with their parent, SessionState alone): not SessionState's ~99 substates
    assert len(_loaded_for(BrowserState)) <= 5
    assert len(_loaded_for(UpdateVarsInternalState)) <= 5


def test_a_new_tabs_hydrate_brings_the_browsers_token_and_language(db_url):
    root, session = _tab()
    payload = _vars(auth_token="tok-1", locale="en")
    asyncio.run(take_from_browser(root, "reflex___state____state.hydrate_and_load", payload))
    assert (session.auth_token, session.locale) == ("tok-1", "en")
    assert {_page(root, c).view_locale for c in MIXED} == {"en"}
    # a hydrate without them (storage cleared): the defaults, as Reflex sets the browser's
    asyncio.run(take_from_browser(root, "reflex___state____state.hydrate_and_load", {"vars": {}}))
    assert (session.auth_token, session.locale) == ("", "ru")
    assert {_page(root, c).view_locale for c in MIXED} == {"ru"}


def test_a_navigation_changes_the_session_only_when_the_browser_changed(db_url):
    root, session = _tab()
    browser = _browser(root)
    browser.auth_token, session.auth_token = "tok-1", "tok-1"
    update = "reflex___state____state.update_vars_internal_state.update_vars_internal"
    session.locale = "ru"
    session.auth_token = "something else"  # not compared: the browser's own value is
    asyncio.run(take_from_browser(root, update, _vars(auth_token="tok-1", locale="ru")))
    assert session.auth_token == "something else"
    # another tab signed in as someone else and switched to English
    asyncio.run(take_from_browser(root, update, _vars(auth_token="tok-2", locale="en")))
    assert (session.auth_token, session.locale) == ("tok-2", "en")
    assert _page(root, AdminSimsState).view_locale == "en"
    # a value the app does not speak is not taken
    asyncio.run(take_from_browser(root, update, _vars(locale="de")))
    assert session.locale == "en"


def test_a_reset_and_a_switch_are_kept_in_the_browser(db_url):
    root, session = _tab()
    asyncio.run(reset_tab(session, "tok-3"))
    assert (_browser(root).auth_token, _browser(root).locale) == ("tok-3", "ru")
    session.locale = "en"
    asyncio.run(follow_locale(session))
    assert _browser(root).locale == "en"
    asyncio.run(reset_tab(session))  # signed out: the browser forgets the token
    assert (_browser(root).auth_token, _browser(root).locale) == ("", "en")


def test_every_state_of_a_signed_in_tab_is_stored_and_read_back_as_redis_does(db_url, factory):
    """Production keeps each tab's states in Redis, pickled (`_serialize`) after every event; a
    state holding something that does not pickle would fail there only. The browser suite's app
    keeps them in memory (tests/e2e/conftest.py prepare_app), so this checks every state of the
    tree, as a new tab has it and as a signed-in subscriber's tab has it."""

    def stored_and_read_back(root, locale: str) -> None:
        for cls in _tree(rx.State):
            state = root if cls is rx.State else _page(root, cls)
            back = type(state)._deserialize(state._serialize())
            assert back.base_vars.keys() == state.base_vars.keys(), cls.__name__
            if "view_locale" in cls.base_vars:
                assert back.view_locale == locale, cls.__name__

    root, session = _tab()
    stored_and_read_back(root, "ru")  # a new tab
    subscriber = factory.subscriber()
    token, actor = identity.sign_in(factory.session, subscriber.login, factory.password)
    factory.session.commit()
    session.auth_token = token
    session._remember(actor)
    session.locale = "en"
    asyncio.run(follow_locale(session))
    stored_and_read_back(root, "en")
