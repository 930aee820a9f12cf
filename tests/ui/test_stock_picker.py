"""The pick of a SIM in stock (ui/components/stock_picker.py), one state mixin and one component
for the admin's shipping, the partner's hand-out and the partner's sale: each state's handlers
carry its own access word, the search narrows the SIMs offered and drops a choice no longer
offered, a partner is offered its own stock only, odd values from the browser are cut down or
refused, and the component's controls carry the page's ids and the state's events."""

from __future__ import annotations

import re

import pytest

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import Sim
from paysim_app.ui.access import word_of
from paysim_app.ui.admin.orders import AdminOrderState
from paysim_app.ui.components.stock_picker import StockPickMixin, stock_picker
from paysim_app.ui.partner.activations import PartnerActivationsState
from paysim_app.ui.partner.orders import PartnerOrderState
from tests.ui.test_money_states import _router, _run
from tests.ui.test_state_security import _leaf, _signed_in

HANDLERS = ("set_stock_search", "find_stock", "set_sim")
HOSTILE = ["", "²", "x" * 10_240, 2**70, -1, None, True, [1], {"a": 1}, 1.5]


@pytest.fixture
def stock(factory):
    tariff = factory.tariff("Дом 50", fee_kop=50000)
    factory.tariff("Дом 100", fee_kop=90000)
    dealer = factory.partner("Связь-Сервис", login="dealer@example.ru")
    other = factory.partner("Чужой дилер", login="other@example.ru")
    mine = [factory.sim(None, partner=dealer, tariff=tariff) for _ in range(2)]
    theirs = factory.sim(None, partner=other, tariff=tariff)
    operator = factory.sim(None, tariff=tariff)
    factory.admin_user(email="boss@example.ru")
    return {"mine": mine, "theirs": theirs, "op": operator}


def _sale_page(sim_id: int | str = ""):
    state = _leaf(PartnerActivationsState)
    state.auth_token = _signed_in("dealer@example.ru")
    state.router = _router(
        f"/partner/activations?sim={sim_id}" if sim_id else "/partner/activations"
    )
    _run(PartnerActivationsState.load, state)
    return state


def _offered(state) -> list[str]:
    return [o["value"] for o in state.stock_options]


@pytest.mark.parametrize(
    ("cls", "word"),
    [
        (AdminOrderState, "admin:activations.edit"),
        (PartnerOrderState, "partner"),
        (PartnerActivationsState, "partner"),
    ],
)
def test_each_page_state_takes_the_pickers_handlers_with_its_own_word(cls, word):
    assert issubclass(cls, StockPickMixin)
    assert cls.STOCK_ACCESS == word
    assert {name: word_of(cls, name) for name in HANDLERS} == dict.fromkeys(HANDLERS, word)


def test_the_sale_offers_the_partners_own_stock_and_the_sim_asked_for(db_url, stock):
    first, second = stock["mine"]
    state = _sale_page(second.id)
    assert sorted(_offered(state)) == sorted([str(first.id), str(second.id)])
    assert str(stock["theirs"].id) not in _offered(state)  # another dealer's SIM
    assert str(stock["op"].id) not in _offered(state)  # the operator's
    assert state.sim_id == str(second.id)
    label = next(o["label"] for o in state.stock_options if o["value"] == str(second.id))
    assert label.endswith(f" · {second.iccid}") and label.startswith("+7 ")


def test_a_search_narrows_the_offer_and_drops_a_choice_no_longer_offered(db_url, stock):
    first, second = stock["mine"]
    state = _sale_page()
    assert state.sim_id == ""
    _run(PartnerActivationsState.set_sim, state, str(first.id))
    _run(PartnerActivationsState.set_stock_search, state, second.iccid[-8:])
    assert _run(PartnerActivationsState.find_stock, state) is None
    assert _offered(state) == [str(second.id)]
    assert state.sim_id == ""  # the first SIM is no longer offered
    _run(PartnerActivationsState.set_sim, state, str(second.id))
    _run(PartnerActivationsState.set_stock_search, state, stock["theirs"].iccid)
    _run(PartnerActivationsState.find_stock, state)
    assert state.stock_options == [] and state.sim_id == ""
    _run(PartnerActivationsState.set_stock_search, state, "")
    _run(PartnerActivationsState.find_stock, state)
    assert len(state.stock_options) == 2


def test_the_admin_is_offered_the_operators_stock_only(db_url, stock):
    state = _leaf(AdminOrderState)
    state.auth_token = _signed_in("boss@example.ru")
    _run(AdminOrderState.find_stock, state)
    assert _offered(state) == [str(stock["op"].id)]
    label = state.stock_options[0]["label"]
    assert label.endswith(f" · {stock['op'].iccid}")


def test_the_hand_out_state_searches_the_partners_stock(db_url, stock):
    state = _leaf(PartnerOrderState)
    state.auth_token = _signed_in("dealer@example.ru")
    _run(PartnerOrderState.set_stock_search, state, stock["mine"][0].iccid)
    _run(PartnerOrderState.find_stock, state)
    assert _offered(state) == [str(stock["mine"][0].id)]


def test_a_signed_out_search_goes_to_sign_in_and_keeps_the_offer(db_url, stock):
    state = _sale_page()
    offered = list(state.stock_options)
    state.auth_token = "gone"
    out = _run(PartnerActivationsState.find_stock, state)
    assert "/login" in str(out)
    assert state.stock_options == offered


def test_odd_values_from_the_browser_are_cut_down_or_refused(db_url, stock):
    state = _sale_page()
    for value in HOSTILE:
        _run(PartnerActivationsState.set_stock_search, state, value)
        assert isinstance(state.stock_search, str) and len(state.stock_search) <= 40
        _run(PartnerActivationsState.find_stock, state)
        _run(PartnerActivationsState.set_sim, state, value)
        assert isinstance(state.sim_id, str) and len(state.sim_id) <= 12
        _run(PartnerActivationsState.sell, state)
        assert state.field == "sim_id" and state.form_error
    # a SIM id that is not the partner's: refused by the sale, the SIM stays in stock
    _run(PartnerActivationsState.set_sim, state, str(stock["theirs"].id))
    for name, value in (
        ("customer_name", "Покупатель Тестовый"),
        ("phone", "+7 903 555-44-33"),
        ("document", "4510 123456"),
    ):
        _run(PartnerActivationsState.set_field, state, name, value)
    _run(PartnerActivationsState.set_consent, state, True)
    _run(PartnerActivationsState.sell, state)
    assert state.form_error
    with session_scope() as session:
        assert session.get(Sim, stock["theirs"].id).status == "in_stock"


def test_a_sim_is_no_longer_a_field_of_the_sale_form(db_url, stock):
    """The chosen SIM is the picker's; set_field leaves the form's keys as they are."""
    state = _sale_page()
    keys = set(state.form)
    _run(PartnerActivationsState.set_field, state, "sim_id", str(stock["mine"][0].id))
    assert set(state.form) == keys and "sim_id" not in keys and state.sim_id == ""


@pytest.mark.parametrize(
    ("cls", "id_", "label_key", "empty_key"),
    [
        (AdminOrderState, "ship", "orders.col.sim", "orders.ship.no_stock"),
        (PartnerOrderState, "handout", "orders.col.sim", "partner_cabinet.sell.no_stock"),
        (
            PartnerActivationsState,
            "sale",
            "partner_cabinet.sell.sim",
            "partner_cabinet.sell.no_stock",
        ),
    ],
)
def test_the_component_carries_the_pages_ids_and_the_states_events(cls, id_, label_key, empty_key):
    rendered = str(stock_picker(cls, id_, label_key, empty_key).render())
    ids = set(re.findall(r'id:"([^"]+)"', rendered))
    assert {f"{id_}-stock-search", f"{id_}-stock-find", f"{id_}-sim", f"{id_}-no-stock"} <= ids
    assert f'htmlFor:"{id_}-sim"' in rendered  # the select is labelled
    state_name = cls.get_full_name()
    for handler in HANDLERS:
        assert f'"{state_name}.{handler}"' in rendered, handler
    assert rendered.count("stock_options") >= 2  # the select's options, or the note without
