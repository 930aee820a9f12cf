"""The notification centre's handlers: the list shows only the signed-in user's own, marking
read trusts no id from the browser (another user's id, a forged one, a flood), the badge counts
one's own unread, and the channel preferences refuse what the account cannot have."""

from __future__ import annotations

import asyncio

import pytest

import paysim_app.paysim_app  # noqa: F401
from paysim_app.core import notify
from paysim_app.db import session_scope
from paysim_app.ui.cabinet.notifications import CabinetNotificationsState
from paysim_app.ui.components.notifications import NotificationBadgeState, NotificationPrefsState
from paysim_app.ui.partner.notifications import PartnerNotificationsState
from tests.money_helpers import notifications
from tests.ui.test_state_security import _leaf, _signed_in


def _go(handler, state, *args):
    return asyncio.run(handler.fn(state, *args))


def _opened(cls, login):
    state = _leaf(cls)
    state.auth_token = _signed_in(login)
    _go(cls.load, state)
    return state


@pytest.fixture
def people(factory, session):
    alice, bob = factory.subscriber("alice@example.ru"), factory.subscriber("bob@example.ru")
    sim = factory.sim(alice, label="Дача")
    notify.notify_sim_owners(session, [(sim.id, "sim_restored", {})])
    for i in range(3):
        notify.notify_user(session, alice.user_id, "ticket_reply", {"id": i, "subject": "s"})
        notify.notify_user(session, bob.user_id, "ticket_reply", {"id": i, "subject": "Боб"})
    session.commit()
    return alice, bob, sim


def _unread(actor) -> int:
    with session_scope() as session:
        return notify.count_unread(session, actor)


def test_the_page_lists_only_ones_own_and_filters_by_sim(db_url, people):
    alice, bob, sim = people
    state = _opened(CabinetNotificationsState, "alice@example.ru")
    assert state.total == 4 and len(state.rows) == 4
    assert all("Боб" not in r["message"] + r["body"] for r in state.rows)
    assert [o["value"] for o in state.sim_options][1:] == [str(sim.id)]
    _go(CabinetNotificationsState.set_filter, state, "sim", str(sim.id))
    assert state.total == 1 and state.rows[0]["sim"] != "—"
    # a filter name the list does not have, or a bad value, changes nothing / says why
    _go(CabinetNotificationsState.set_filter, state, "user_id", str(bob.user_id))
    assert "user_id" not in state.filters
    _go(CabinetNotificationsState.set_filter, state, "sim", "1 OR 1=1")
    assert state.list_error and state.rows == []


def test_marking_read_takes_only_ids_of_the_page_and_of_the_user(db_url, people):
    alice, bob, _ = people
    state = _opened(CabinetNotificationsState, "alice@example.ru")
    with session_scope() as session:
        bobs = [str(n.id) for n in notifications(session, bob)]
    # a forged selection: bob's ids are not rows of alice's page, so toggling ignores them
    for forged in (*bobs, "abc", "-1", "9" * 40):
        CabinetNotificationsState.toggle_row.fn(state, forged)
    assert state.selected == []
    # even forced into the selection, the verb marks nothing of bob's
    state.selected = bobs
    _go(CabinetNotificationsState.mark_selected, state)
    assert _unread(bob) == 3
    state.selected = [bobs[0], "x; DROP TABLE notification"]
    _go(CabinetNotificationsState.mark_selected, state)
    assert state.list_error and _unread(bob) == 3
    # alice's own: one, then all
    state.selected = []
    CabinetNotificationsState.toggle_row.fn(state, state.rows[0]["id"])
    _go(CabinetNotificationsState.mark_selected, state)
    assert _unread(alice) == 3
    _go(CabinetNotificationsState.mark_all, state)
    assert _unread(alice) == 0 and _unread(bob) == 3


def test_the_badge_counts_ones_own_unread(db_url, people):
    alice, bob, _ = people
    badge = _leaf(NotificationBadgeState)
    _go(NotificationBadgeState.refresh, badge)  # nobody signed in
    assert badge.unread == 0
    badge.auth_token = _signed_in("bob@example.ru")
    _go(NotificationBadgeState.refresh, badge)
    assert badge.unread == 3 and badge.badge_text == "3"


def test_a_subscriber_cannot_open_the_partners_list(db_url, people):
    state = _leaf(PartnerNotificationsState)
    state.auth_token = _signed_in("alice@example.ru")
    redirect = _go(PartnerNotificationsState.load, state)
    assert redirect is not None and state.rows == []


@pytest.mark.parametrize(
    ("kind", "channel"),
    [
        ("password_changed", "app"),  # locked
        ("low_balance", "sms"),  # no verified phone
        ("low_balance", "off"),  # not an opt-in kind
        ("ticket_new", "app"),  # an admin's kind
        ("partner_low_balance", "app"),  # a partner's kind
        ("low_balance", "<script>"),
        (None, None),
        (["low_balance"], {"a": 1}),
    ],
)
def test_preferences_refuse_hostile_choices(db_url, people, kind, channel):
    state = _leaf(NotificationPrefsState)
    state.auth_token = _signed_in("alice@example.ru")
    _go(NotificationPrefsState.load, state)
    before = [dict(r) for r in state.prefs]
    _go(NotificationPrefsState.choose, state, kind, channel)
    assert state.prefs == before
    with session_scope() as session:
        rows = {r.kind: r.channel for r in notify.get_preferences(session, people[0])}
    assert rows["low_balance"] == "email" and rows["password_changed"] == "email"


def test_preferences_save_a_choice_and_show_security_rows_locked(db_url, people):
    state = _leaf(NotificationPrefsState)
    state.auth_token = _signed_in("alice@example.ru")
    _go(NotificationPrefsState.load, state)
    locked = {r["kind"] for r in state.prefs if r["locked"]}
    assert locked == {"new_sign_in", "password_changed", "card_added"}
    assert [c["value"] for c in state.choices["low_balance"]] == ["app", "email"]
    _go(NotificationPrefsState.choose, state, "low_balance", "app")
    assert {r["kind"]: r["channel"] for r in state.prefs}["low_balance"] == "app"
