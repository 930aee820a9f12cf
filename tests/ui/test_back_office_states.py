"""The back office's new handlers: the new contract's form, SIMs from stock on the subscriber's
card, the move on the SIM card, the partner's cash limit, and the settlement tables — with
hostile arguments (forged ids, values of the wrong type) that must change nothing."""

from __future__ import annotations

import pytest
from reflex.istate.data import RouterData
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import Partner, Sim, Subscriber
from paysim_app.ui import door
from paysim_app.ui.admin.contract_desk import MoveSimState, NewContractState, PutSimsState
from paysim_app.ui.admin.partner_cash import PartnerCashLimitState
from paysim_app.ui.admin.partner_stats import PartnersComparisonState
from tests.ui.test_money_states import _run
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def desk(factory):
    factory.admin_user(email="boss@example.ru")
    factory.admin_user(role="Support operator", email="help@example.ru")
    tariff = factory.tariff("Базовый")
    old = factory.subscriber("old@example.ru", full_name="Пётр Старый")
    new = factory.subscriber("new@example.ru", full_name="Анна Новая")
    on_contract = factory.sim(old, tariff=tariff)
    stock = factory.sim()
    dealer = factory.partner("Связь")
    return {
        "tariff": tariff,
        "old": old,
        "new": new,
        "on_contract": on_contract,
        "stock": stock,
        "dealer": dealer,
    }


def _state(cls, path: str, login: str = "boss@example.ru"):
    """The state of a page at `path`; '/admin/sims/5' fills the route's [sim_id] with 5."""
    state = _leaf(cls)
    state.auth_token = _signed_in(login)
    parts = path.strip("/").split("/")
    names = {"sims": "sim_id", "subscribers": "subscriber_id", "partners": "partner_id"}
    query = {}
    if len(parts) == 3 and parts[2] not in ("new", "stats"):
        query = {names[parts[1]]: parts[2]}
        parts[2] = f"[{names[parts[1]]}]"
    state.router = RouterData.from_router_data(
        {
            "asPath": path,
            "pathname": "/" + "/".join(parts),
            "query": query,
            "headers": {"origin": "http://localhost"},
        }
    )
    return state


def _sim(sim_id: int) -> Sim:
    with session_scope() as session:
        return session.get(Sim, sim_id)


def test_new_contract_form_creates_and_goes_to_the_card(db_url, desk):
    state = _state(NewContractState, "/admin/subscribers/new")
    _run(NewContractState.load, state)
    for name, value in (
        ("full_name", "Ольга Смирнова"),
        ("document_no", "4510 654321"),
        ("phone", "+7 916 555-77-88"),
        ("not_a_field", "x"),
    ):
        _run(NewContractState.set_field, state, name, value)
    assert "not_a_field" not in state.form
    out = _run(NewContractState.create, state)
    assert state.error == "" and "/admin/subscribers/" in str(out)
    with session_scope() as session:
        sub = session.exec(select(Subscriber).where(Subscriber.phone == "+79165557788")).one()
    assert sub.document_type == "passport"
    # the same again: refused as a duplicate, with the field
    for name, value in (("full_name", "Ольга"), ("document_no", "4510 654321"), ("phone", "")):
        _run(NewContractState.set_field, state, name, value)
    _run(NewContractState.set_field, state, "email", "olga@example.ru")
    _run(NewContractState.create, state)
    assert state.field == "document_no" and sub.contract_no in state.error


def test_new_contract_form_with_a_forged_document_type(db_url, desk):
    state = _state(NewContractState, "/admin/subscribers/new")
    _run(NewContractState.load, state)
    _run(NewContractState.set_field, state, "full_name", "Ольга")
    _run(NewContractState.set_field, state, "document_type", "<script>")
    _run(NewContractState.create, state)
    assert state.field == "document_type"


def test_put_sims_from_the_card(db_url, desk):
    path = f"/admin/subscribers/{desk['new'].subscriber_id}"
    state = _state(PutSimsState, path)
    _run(PutSimsState.load, state)
    assert state.tariff_id == str(desk["tariff"].id)
    _run(PutSimsState.search, state, desk["stock"].msisdn[-6:])
    assert [h["id"] for h in state.found] == [str(desk["stock"].id)]
    _run(PutSimsState.pick, state, str(desk["on_contract"].id))  # not among the hits: ignored
    _run(PutSimsState.pick, state, "1 OR 1=1")
    assert state.chosen == []
    _run(PutSimsState.pick, state, str(desk["stock"].id))
    assert [c["id"] for c in state.chosen] == [str(desk["stock"].id)]
    assert (state.query, state.found, state.searched) == ("", [], False)
    _run(PutSimsState.set_tariff, state, "999999")  # not offered: ignored
    assert state.tariff_id == str(desk["tariff"].id)
    _run(PutSimsState.put, state)
    assert state.error == "" and state.chosen == []
    sim = _sim(desk["stock"].id)
    assert (sim.status, sim.subscriber_id) == ("active", desk["new"].subscriber_id)


def test_put_sims_with_a_forged_chosen_list_is_refused_by_the_verb(db_url, desk):
    path = f"/admin/subscribers/{desk['new'].subscriber_id}"
    state = _state(PutSimsState, path)
    _run(PutSimsState.load, state)
    # a tab whose state was tampered with: the verb checks the SIM again
    state.chosen = [{"id": str(desk["on_contract"].id), "label": "x", "hint": ""}]
    _run(PutSimsState.put, state)
    assert state.error
    assert _sim(desk["on_contract"].id).subscriber_id == desk["old"].subscriber_id
    # a forged subscriber id in the address
    state = _state(PutSimsState, "/admin/subscribers/abc")
    out = _run(PutSimsState.put, state)
    assert "/admin/subscribers" in str(out)


def test_the_support_operator_gets_no_tariffs_and_cannot_put(db_url, desk):
    path = f"/admin/subscribers/{desk['new'].subscriber_id}"
    state = _state(PutSimsState, path, "help@example.ru")
    _run(PutSimsState.load, state)
    assert state.tariff_options == []
    state.chosen = [{"id": str(desk["stock"].id), "label": "x", "hint": ""}]
    state.tariff_id = str(desk["tariff"].id)
    _run(PutSimsState.put, state)
    assert _sim(desk["stock"].id).status == "in_stock"


def test_move_from_the_sim_card(db_url, desk):
    sim_id = desk["on_contract"].id
    state = _state(MoveSimState, f"/admin/sims/{sim_id}")
    _run(MoveSimState.toggle, state, True)
    _run(MoveSimState.search, state, "Анна")
    assert [h["id"] for h in state.found] == [str(desk["new"].subscriber_id)]
    _run(MoveSimState.pick, state, "999999")  # not a hit: nothing chosen
    assert state.target == {}
    _run(MoveSimState.move, state)
    assert state.error  # no target
    _run(MoveSimState.pick, state, str(desk["new"].subscriber_id))
    _run(MoveSimState.set_reason, state, "семья")
    out = _run(MoveSimState.move, state)
    assert state.error == "" and f"/admin/sims/{sim_id}" in str(out)
    assert _sim(sim_id).subscriber_id == desk["new"].subscriber_id


def test_move_with_a_forged_target(db_url, desk):
    sim_id = desk["on_contract"].id
    state = _state(MoveSimState, f"/admin/sims/{sim_id}")
    state.target = {"id": "-1", "label": "x", "hint": ""}
    state.reason = "x" * 10
    _run(MoveSimState.move, state)
    assert state.error
    assert _sim(sim_id).subscriber_id == desk["old"].subscriber_id


def test_cash_limit_on_the_partner_card(db_url, desk):
    pid = desk["dealer"].partner.id
    state = _state(PartnerCashLimitState, f"/admin/partners/{pid}")
    _run(PartnerCashLimitState.load, state)
    assert state.value == "" and state.shown
    for bad in ("-5", "abc", "1e5", "10000000000"):
        _run(PartnerCashLimitState.set_value, state, bad)
        _run(PartnerCashLimitState.save, state)
        assert state.error, bad
    _run(PartnerCashLimitState.set_value, state, "3 000,50")
    _run(PartnerCashLimitState.save, state)
    assert state.error == "" and state.value == "3000,50"
    with session_scope() as session:
        assert session.get(Partner, pid).cash_daily_limit_kop == 300050
    _run(PartnerCashLimitState.set_value, state, "")
    _run(PartnerCashLimitState.save, state)
    with session_scope() as session:
        assert session.get(Partner, pid).cash_daily_limit_kop is None


def test_the_support_operator_cannot_set_the_limit(db_url, desk):
    pid = desk["dealer"].partner.id
    state = _state(PartnerCashLimitState, f"/admin/partners/{pid}", "help@example.ru")
    state.value = "100"
    _run(PartnerCashLimitState.save, state)
    with session_scope() as session:
        assert session.get(Partner, pid).cash_daily_limit_kop is None


def test_the_comparison_shows_cash_and_owed(db_url, desk):
    state = _state(PartnersComparisonState, "/admin/partners/stats")
    _run(PartnersComparisonState.load, state)
    [row] = [r for r in state.rows if r["name"] == "Связь"]
    assert {"cash", "owed"} <= set(row)


@pytest.mark.parametrize(
    ("handler", "payload"),
    [
        (PutSimsState.pick, {"sim_id": {"id": 1}}),
        (PutSimsState.search, {"value": None}),
        (PutSimsState.set_tariff, {"value": ["1"]}),
        (PutSimsState.drop, {}),
        (MoveSimState.pick, {"subscriber_id": [1]}),
        (MoveSimState.toggle, {"value": {"x": 1}}),
        (MoveSimState.set_reason, {"value": None, "extra": 1}),
        (NewContractState.set_field, {"name": "full_name"}),
        (PartnerCashLimitState.set_value, {"value": {"kop": 1}}),
    ],
)
def test_the_door_refuses_arguments_of_the_wrong_shape(handler, payload):
    with pytest.raises(door.Refused):
        door._check_arguments(handler, payload)
