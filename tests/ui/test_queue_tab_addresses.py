"""The two tabs of /admin/activations and of /admin/blocks are two lists on one page: each keeps
its filters in the address under its own prefix (ListSpec.address_prefix), so a filter of one
tab never reaches the other on a reload, and each tab's address opens the same list again."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from paysim_app.sims import orders, queue_lists
from paysim_app.ui.admin.activations import AdminActivationsState, AdminTariffChangesState
from paysim_app.ui.admin.blocks import AdminBlocksState, AdminUnblocksState
from tests.ui.test_advanced_search_states import _run, _state


@pytest.fixture
def boss(factory):
    factory.admin_user(email="boss@example.ru")


def _keys(state) -> dict[str, str]:
    return dict(parse_qsl(state._url_applied))


def test_the_tab_lists_have_distinct_prefixes():
    specs = (
        queue_lists.ACTIVATION_LIST,
        queue_lists.TARIFF_CHANGE_LIST,
        orders.ORDER_LIST,  # the third tab of /admin/activations
        queue_lists.BLOCK_LIST,
        queue_lists.UNBLOCK_LIST,
    )
    prefixes = [s.address_prefix for s in specs]
    assert all(prefixes) and len(set(prefixes)) == 5
    # no prefix is the start of another's, so no list takes another's keys for its own
    assert not any(a != b and b.startswith(a) for a in prefixes for b in prefixes)


@pytest.mark.parametrize(
    ("path", "first", "second", "first_value", "second_value"),
    [
        (
            "/admin/activations",
            AdminActivationsState,
            AdminTariffChangesState,
            "approved",
            "rejected",
        ),
        ("/admin/blocks", AdminBlocksState, AdminUnblocksState, "lifted", "approved"),
    ],
    ids=["activations", "blocks"],
)
def test_each_tab_round_trips_its_own_filters(
    db_url, boss, path, first, second, first_value, second_value
):
    one = _state(first, path)
    two = _state(second, path)
    p1, p2 = one._spec().address_prefix, two._spec().address_prefix
    # each tab writes its filters under its own prefix only
    _run(first.set_filter, one, "status", first_value)
    _run(first.set_search, one, "7999")
    _run(first.apply, one)
    _run(second.set_filter, two, "status", second_value)
    _run(second.toggle_advanced, two)
    _run(second.adv_set, two, 0, "field", "created_at")
    _run(second.adv_set, two, 0, "op", "from")
    _run(second.adv_set, two, 0, "value", "2026-01-01")
    _run(second.adv_apply, two)
    assert _keys(one) == {f"{p1}status": first_value, f"{p1}q": "7999"}
    assert _keys(two) == {f"{p2}status": second_value, f"{p2}created_at.from": "2026-01-01"}
    # the page's address holds both tabs (and the tab itself); opened again, each tab reads
    # its own keys and nothing of the other's
    address = f"{path}?tab=x&{one._url_applied}&{two._url_applied}"
    again_one, again_two = _state(first, address), _state(second, address)
    assert again_one.filters["status"] == first_value and again_one.search == "7999"
    assert again_one._applied == [] and again_one.url_note == ""
    assert again_two.filters["status"] == second_value and again_two.search == ""
    assert again_two._applied == [["created_at", "from", "2026-01-01"]]
    assert again_two.url_note == ""
    assert again_one._url_applied == one._url_applied
    assert again_two._url_applied == two._url_applied
    # the unprefixed keys of before are not either tab's: each opens on its default status
    plain = _state(first, f"{path}?status={first_value}&q=7999")
    assert plain.filters["status"] != first_value and plain.search == ""


def test_a_refused_key_is_named_with_its_prefix(db_url, boss):
    state = _state(AdminTariffChangesState, "/admin/activations?chg_status=nonsense&status=x")
    assert "chg_status" in state.url_note and "status=x" not in state.url_note


def test_the_address_script_keeps_the_other_tabs_keys(db_url, boss):
    state = _state(AdminUnblocksState, "/admin/blocks")
    out = str(_run(AdminUnblocksState.set_filter, state, "status", "rejected"))
    # the script is told its own keys and its prefix: blocks' keys (blk_...) are not among them
    assert '"unb_status"' in out and '"unb_"' in out and '"status"' not in out


def test_the_orders_tab_keeps_to_its_own_keys(db_url, boss):
    from paysim_app.ui.admin.orders import AdminOrdersState

    address = "/admin/activations?tab=orders&act_status=approved&chg_created_at.from=2026-01-01"
    state = _state(AdminOrdersState, address + "&ord_status=new&ord_q=Петров")
    assert state.filters.get("status") == "new" and state.search == "Петров"
    assert state._applied == [] and state.url_note == ""
    assert _keys(state) == {"ord_status": "new", "ord_q": "Петров"}
    # its address script removes only its own keys and conditions (ord_...), never the others'
    out = str(_run(AdminOrdersState.apply, state))
    assert '"ord_"' in out
