"""The list state's advanced search, address and saved filter sets (ui/components/listing.py)
on the admin SIM and payment lists: a URL restores the list (garbage left out and named), the
panel's rows apply as conditions, a picker offers only what it found, saved sets are the user's
own, and hostile arguments change nothing."""

from __future__ import annotations

import asyncio

import pytest
from reflex.istate.data import RouterData

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import Payment, SavedFilter
from paysim_app.ui import door
from paysim_app.ui.admin.payments import AdminPaymentsState
from paysim_app.ui.admin.sims import AdminSimsState
from tests.ui.test_state_security import _leaf, _signed_in


def _run(handler, state, *args):
    out = handler.fn(state, *args)
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


def _state(cls, path: str, login: str = "boss@example.ru"):
    page, _, query = path.partition("?")
    from urllib.parse import parse_qsl

    state = _leaf(cls)
    state.auth_token = _signed_in(login)
    state.router = RouterData.from_router_data(
        {
            "asPath": path,
            "pathname": page,
            "query": dict(parse_qsl(query)),
            "headers": {"origin": "http://localhost"},
        }
    )
    _run(cls.load, state)
    return state


@pytest.fixture
def stock(factory):
    factory.admin_user(email="boss@example.ru")
    factory.admin_user(email="other@example.ru")
    sub = factory.subscriber(full_name="Анна Кузнецова")
    dealer = factory.partner("Связь-Плюс")
    rich = factory.sim(sub, partner=dealer, balance_kop=50_000, label="офис")
    poor = factory.sim(balance_kop=-100)
    blocked = factory.sim(status="blocked")
    return {"sub": sub, "dealer": dealer, "rich": rich, "poor": poor, "blocked": blocked}


def _ids(state) -> set[int]:
    return {r["id"] for r in state._raw}


def _script(out) -> str:
    return str(out)


def test_the_address_restores_the_list_and_names_its_garbage(db_url, stock):
    state = _state(
        AdminSimsState,
        "/admin/sims?status=active&balance.gte=100&label.contains=офис&sort=balance&asc=1"
        "&balance.sql=1&ghost.eq=3&page=x",
    )
    assert _ids(state) == {stock["rich"].id}
    assert state.filters["status"] == "active" and state.sort == "balance"
    assert not state.descending and state.page == 1
    assert state._applied == [["balance", "gte", "100"], ["label", "contains", "офис"]]
    assert state.adv_open and len(state.adv_rows) == 2
    assert "balance.sql" in state.url_note and "ghost.eq" in state.url_note
    assert "page" in state.url_note and state.list_error == ""
    # a clean address: no note, the whole list
    clean = _state(AdminSimsState, "/admin/sims")
    assert clean.url_note == "" and len(_ids(clean)) == 3


def test_panel_rows_apply_as_conditions_and_push_the_address(db_url, stock):
    state = _state(AdminSimsState, "/admin/sims")
    _run(AdminSimsState.toggle_advanced, state)
    assert state.adv_open and len(state.adv_rows) == 1
    _run(AdminSimsState.adv_set, state, 0, "field", "balance")
    _run(AdminSimsState.adv_set, state, 0, "op", "between")
    _run(AdminSimsState.adv_set, state, 0, "value", "-5")
    _run(AdminSimsState.adv_set, state, 0, "value2", "0")
    _run(AdminSimsState.adv_add, state)
    _run(AdminSimsState.adv_set, state, 1, "field", "status")
    _run(AdminSimsState.adv_toggle, state, 1, "blocked")
    _run(AdminSimsState.adv_toggle, state, 1, "in_stock")
    assert state.adv_rows[1]["value"] == "in_stock,blocked"
    out = _run(AdminSimsState.adv_apply, state)
    assert _ids(state) == {stock["poor"].id, stock["blocked"].id}
    script = _script(out)
    assert "pushState" in script and "balance.between=-5..0" in state._url_applied
    assert '"/admin/sims")' in script  # written only while the browser shows the list
    assert "status.in=in_stock%2Cblocked" in state._url_applied
    # a page turn or a sort replaces the entry
    out = _run(AdminSimsState.set_sort, state, "msisdn")
    assert "sort=msisdn" in state._url_applied and "true)" not in _script(out)
    # the reset clears the conditions too
    _run(AdminSimsState.clear, state)
    assert state._applied == [] and state.adv_rows == [] and len(_ids(state)) == 3


def test_a_bad_row_is_refused_and_changes_nothing(db_url, stock):
    state = _state(AdminSimsState, "/admin/sims?balance.lte=0")
    before = _ids(state)
    state.adv_rows = [
        {"field": "balance", "op": "gte", "value": "много", "value2": "", "label": ""}
    ]
    _run(AdminSimsState.adv_apply, state)
    assert state.list_error and state._applied == [["balance", "lte", "0"]]
    assert _ids(state) == before
    # a row forged into the state itself is checked the same way
    state.adv_rows = [
        {"field": "password_hash", "op": "eq", "value": "x", "value2": "", "label": ""}
    ]
    _run(AdminSimsState.adv_apply, state)
    assert state._applied == [["balance", "lte", "0"]]


@pytest.mark.parametrize(
    "call",
    [
        ("adv_set", 7, "value", "1"),
        ("adv_set", -1, "value", "1"),
        ("adv_set", 0, "label", "x"),
        ("adv_set", 0, "op", "drop"),
        ("adv_set", 0, "field", "password_hash"),
        ("adv_set", 0, "value", 5),
        ("adv_set", True, "value", "1"),
        ("adv_toggle", 0, "active"),  # the row is not a choice field
        ("adv_pick", 0, "1"),  # nothing was offered
        ("adv_remove", 3),
        ("adv_lookup", 0, "Анна"),  # not a ref field
        ("open_saved", "999"),
        ("delete_saved", "999"),
        ("rename_saved", "999"),
    ],
)
def test_hostile_arguments_change_nothing(db_url, stock, call):
    state = _state(AdminSimsState, "/admin/sims")
    _run(AdminSimsState.toggle_advanced, state)
    _run(AdminSimsState.adv_set, state, 0, "field", "label")
    rows, applied = [dict(r) for r in state.adv_rows], list(state._applied)
    name, *args = call
    _run(getattr(AdminSimsState, name), state, *args)
    assert state.adv_rows == rows and state._applied == applied and state.adv_hits == []


def test_the_door_refuses_arguments_of_the_wrong_shape():
    """Before a handler runs, the door checks its arguments against the signature."""
    for value, hint in (("x", int), (None, int), (1.5, int), (True, int), ([1], str), ({}, str)):
        assert not door._fits(value, hint), value


def test_payments_by_a_subscriber_picked_by_typing(db_url, stock, factory):
    sub = stock["sub"]
    with session_scope() as session:
        for sim, kop in ((stock["rich"], 1000), (stock["poor"], 2000)):
            session.add(
                Payment(
                    sim_id=sim.id,
                    subscriber_id=sim.subscriber_id,
                    amount_kop=kop,
                    method="card",
                    status="succeeded",
                    idempotency_key=f"st-{sim.id}",
                )
            )
    state = _state(AdminPaymentsState, "/admin/payments")
    assert len(state._raw) == 2
    _run(AdminPaymentsState.toggle_advanced, state)
    _run(AdminPaymentsState.adv_set, state, 0, "field", "subscriber")
    _run(AdminPaymentsState.adv_lookup, state, 0, "кузнец")
    assert [h["value"] for h in state.adv_hits] == [str(sub.subscriber_id)]
    _run(AdminPaymentsState.adv_pick, state, 0, "424242")  # not offered
    assert state.adv_rows[0]["value"] == ""
    _run(AdminPaymentsState.adv_pick, state, 0, str(sub.subscriber_id))
    assert "Кузнецова" in state.adv_rows[0]["label"]
    _run(AdminPaymentsState.adv_apply, state)
    assert [r["amount_kop"] for r in state._raw] == [1000]
    assert f"subscriber.eq={sub.subscriber_id}" in state._url_applied
    # the card's link opens the same list: the address is enough
    linked = _state(AdminPaymentsState, f"/admin/payments?subscriber.eq={sub.subscriber_id}")
    assert [r["amount_kop"] for r in linked._raw] == [1000]
    assert "Анна Кузнецова" in linked.adv_rows[0]["label"]


def test_saved_sets_are_saved_opened_and_kept_to_their_owner(db_url, stock):
    state = _state(AdminSimsState, "/admin/sims?balance.lte=-1&status=active")
    _run(AdminSimsState.set_save_name, state, "В минусе")
    _run(AdminSimsState.save_filters, state)
    assert [s["name"] for s in state.saved_sets] == ["В минусе"]
    assert "balance.lte=-1" in state.saved_sets[0]["query"]
    _run(AdminSimsState.set_save_name, state, "в МИНУСЕ")
    _run(AdminSimsState.save_filters, state)
    assert len(state.saved_sets) == 1 and state.saved_note  # the name is taken
    # another admin neither sees nor opens nor deletes it
    other = _state(AdminSimsState, "/admin/sims", login="other@example.ru")
    assert other.saved_sets == []
    mine = state.saved_sets[0]["id"]
    _run(AdminSimsState.open_saved, other, mine)
    _run(AdminSimsState.delete_saved, other, mine)
    assert other._applied == [] and len(_ids(other)) == 3
    _run(AdminSimsState.set_save_name, other, "Чужое")
    _run(AdminSimsState.rename_saved, other, mine)
    # renamed by its owner to the name typed in the panel
    _run(AdminSimsState.set_save_name, state, "Минус")
    _run(AdminSimsState.rename_saved, state, mine)
    assert [s["name"] for s in state.saved_sets] == ["Минус"] and "Минус" in state.saved_note
    # opened later from a fresh list, it restores the filters
    fresh = _state(AdminSimsState, "/admin/sims")
    out = _run(AdminSimsState.open_saved, fresh, mine)
    assert fresh._applied == [["balance", "lte", "-1"]] and fresh.filters["status"] == "active"
    assert "pushState" in _script(out)
    _run(AdminSimsState.delete_saved, fresh, mine)
    assert fresh.saved_sets == []
    with session_scope() as session:
        assert session.query(SavedFilter).count() == 0
