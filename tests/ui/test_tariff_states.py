"""The tariffs page's handlers: the own SIM's catalogue, preview, request and cancel work;
another subscriber's SIM or request and ids that are not ids are refused and change nothing."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import Sim, TariffChangeRequest
from paysim_app.sims import tariff_changes
from paysim_app.ui.cabinet.tariffs import TariffsState
from tests.ui.test_money_states import _run, _state


@pytest.fixture
def world(factory):
    optimum = factory.tariff("Оптимум", fee_kop=65000, data_gb=50)
    maximum = factory.tariff("Максимум", fee_kop=99000)
    old = factory.tariff("Безлимит 2024", fee_kop=50000, is_archived=True)
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    alice_sim = factory.sim(alice, tariff=optimum)
    bob_sim = factory.sim(bob, tariff=old, label="Bob's secret label")
    with session_scope() as session:
        bob_request = tariff_changes.request_change(session, bob, bob_sim.id, maximum.id, "now")
    return {
        "optimum": optimum,
        "maximum": maximum,
        "old": old,
        "alice_sim": alice_sim,
        "bob_sim": bob_sim,
        "bob_request": bob_request,
        "alice": alice,
    }


def _requests(sim_id: int) -> list[TariffChangeRequest]:
    with session_scope() as session:
        return list(
            session.exec(
                select(TariffChangeRequest).where(TariffChangeRequest.sim_id == sim_id)
            ).all()
        )


def test_the_own_sim_previews_requests_and_cancels(db_url, world):
    state = _state(TariffsState)
    assert state.current_sim_id == world["alice_sim"].id
    assert [c["name"] for c in state.offer_cards] == ["Оптимум", "Максимум"]
    assert state.offer_cards[0]["current"] == "1" and state.offer_cards[1]["data"]
    _run(TariffsState.choose_tariff, state, str(world["maximum"].id))
    assert state.preview["new_fee_kop"] == 99000 and state.preview_text["new_fee"]
    _run(TariffsState.set_when, state, "now")
    assert state.preview["when"] == "now" and state.preview_text["hint"]
    _run(TariffsState.submit_request, state)
    assert not state.form_error and state.chosen_id == 0
    (row,) = _requests(world["alice_sim"].id)
    assert (row.status, row.effective) == ("pending", "now")
    assert state.pending["id"] == str(row.id)
    assert state.request_rows[0]["colour"] == "amber"
    _run(TariffsState.cancel, state, state.pending["id"])
    assert _requests(world["alice_sim"].id)[0].status == "cancelled"
    assert state.pending["id"] == "" and state.request_rows[0]["colour"] == "gray"


def test_a_second_request_shows_the_error_and_files_nothing(db_url, world):
    state = _state(TariffsState)
    _run(TariffsState.choose_tariff, state, str(world["maximum"].id))
    _run(TariffsState.submit_request, state)
    _run(TariffsState.choose_tariff, state, str(world["maximum"].id))
    _run(TariffsState.submit_request, state)
    assert state.form_error
    assert len(_requests(world["alice_sim"].id)) == 1


def test_someone_elses_sim_is_refused(db_url, world):
    state = _state(TariffsState)
    _run(TariffsState.select_sim, state, str(world["bob_sim"].id))
    assert state.current_sim_id == world["alice_sim"].id
    state.current_sim_id = world["bob_sim"].id  # a forged client could not set it, but even so:
    _run(TariffsState.choose_tariff, state, str(world["optimum"].id))
    assert state.preview == {} and state.chosen_id == 0
    state.chosen_id, state.when = world["optimum"].id, "next_period"
    _run(TariffsState.submit_request, state)
    assert state.form_error
    assert [r.id for r in _requests(world["bob_sim"].id)] == [world["bob_request"]]
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)
    assert world["bob_sim"].msisdn not in sent and "Bob's secret label" not in sent


def test_someone_elses_request_cannot_be_cancelled(db_url, world):
    state = _state(TariffsState)
    assert state.requests == []
    _run(TariffsState.cancel, state, str(world["bob_request"]))
    assert _requests(world["bob_sim"].id)[0].status == "pending"


@pytest.mark.parametrize("bad", ["", "abc", "1e3", "-1", "99999999", None])
def test_bad_ids_are_refused(db_url, world, bad):
    state = _state(TariffsState)
    _run(TariffsState.choose_tariff, state, bad)
    assert state.chosen_id == 0 and state.preview == {}
    _run(TariffsState.set_when, state, "now")  # nothing chosen: nothing to preview
    assert state.preview == {}
    _run(TariffsState.cancel, state, bad)
    _run(TariffsState.select_sim, state, bad)
    assert state.current_sim_id == world["alice_sim"].id
    assert _requests(world["bob_sim"].id)[0].status == "pending"


def test_archived_and_bad_choices_are_refused(db_url, world):
    state = _state(TariffsState)
    _run(TariffsState.choose_tariff, state, str(world["old"].id))  # archived: not offered
    assert state.chosen_id == 0
    _run(TariffsState.choose_tariff, state, str(world["maximum"].id))
    _run(TariffsState.set_when, state, "yesterday")
    assert state.form_error and state.preview == {}
    _run(TariffsState.submit_request, state)
    assert _requests(world["alice_sim"].id) == []


def test_a_signed_out_visitor_is_redirected(db_url, world):
    from tests.ui.test_state_security import _leaf

    state = _leaf(TariffsState)
    assert _run(TariffsState.load, state) is not None
    assert state.offers == []
    _run(TariffsState.cancel, state, str(world["bob_request"]))
    assert _requests(world["bob_sim"].id)[0].status == "pending"


# -- a change approved from the next period: shown with its date, cancellable until then ----------


@pytest.fixture
def scheduled(factory, world):
    """Alice's and Bob's changes to "Максимум", both approved from the next period."""
    admin = factory.superadmin()
    with session_scope() as session:
        mine = tariff_changes.request_change(
            session, world["alice"], world["alice_sim"].id, world["maximum"].id, "next_period"
        )
    with session_scope() as session:
        alice_change = tariff_changes.approve_change(session, admin, mine)
        bob_change = tariff_changes.approve_change(
            session, admin, world["bob_request"], "next_period"
        )
    return {"alice": alice_change, "bob": bob_change}


def test_the_scheduled_change_is_shown_with_its_date_and_can_be_cancelled(db_url, world, scheduled):
    state = _state(TariffsState)
    when = scheduled["alice"].effective_date.strftime("%d.%m.%Y")
    assert state.scheduled["id"] == str(scheduled["alice"].request_id)
    assert state.scheduled["title"] == f"Тариф «Максимум» с {when}"
    assert "990,00" in state.scheduled["text"]
    assert state.pending["id"] == ""  # approved: nothing waits for the operator
    row = state.request_rows[0]
    assert (row["status"], row["colour"], row["when"]) == ("Запланирована", "blue", when)
    assert _requests(world["alice_sim"].id)[0].status == "scheduled"
    _run(TariffsState.cancel_scheduled, state, state.scheduled["id"])
    (request,) = _requests(world["alice_sim"].id)
    assert request.status == "cancelled"
    assert state.scheduled["id"] == "" and state.request_rows[0]["colour"] == "gray"
    with session_scope() as session:
        assert session.get(Sim, world["alice_sim"].id).tariff_id == world["optimum"].id


@pytest.mark.parametrize("bad", ["", "abc", "1e3", "-1", "99999999", None, "1; drop", "١"])
def test_cancel_scheduled_refuses_someone_elses_request_and_bad_ids(db_url, world, scheduled, bad):
    state = _state(TariffsState)
    _run(TariffsState.cancel_scheduled, state, str(scheduled["bob"].request_id))
    _run(TariffsState.cancel_scheduled, state, bad)
    assert _requests(world["bob_sim"].id)[0].status == "scheduled"
    assert _requests(world["alice_sim"].id)[0].status == "scheduled"
    assert state.scheduled["id"] == str(scheduled["alice"].request_id)
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)
    assert world["bob_sim"].msisdn not in sent


def test_a_signed_out_visitor_cannot_cancel_a_scheduled_change(db_url, world, scheduled):
    from tests.ui.test_state_security import _leaf

    state = _leaf(TariffsState)
    _run(TariffsState.cancel_scheduled, state, str(scheduled["alice"].request_id))
    assert _requests(world["alice_sim"].id)[0].status == "scheduled"


# -- the admin side: the SIM card shows the scheduled change; the queue's admin cancels it --------


def _admin_state(cls, path: str, pathname: str, query: dict):
    from reflex.istate.data import RouterData

    from tests.ui.test_state_security import _leaf, _signed_in

    state = _leaf(cls)
    state.auth_token = _signed_in("boss@example.ru")
    state.router = RouterData.from_router_data(
        {"asPath": path, "pathname": pathname, "query": query, "headers": {"origin": "x"}}
    )
    _run(cls.load, state)
    return state


def _change_state(change_id: str):
    from paysim_app.ui.admin.activations import AdminTariffChangeState

    path = f"/admin/activations/tariffs/{change_id}"
    return _admin_state(
        AdminTariffChangeState,
        path,
        "/admin/activations/tariffs/[change_id]",
        {"change_id": change_id},
    )


def test_the_admin_sim_card_shows_the_scheduled_tariff_and_its_date(
    db_url, factory, world, scheduled
):
    from paysim_app.ui.admin.sims import AdminSimState

    factory.admin_user(email="boss@example.ru")
    sim_id = str(world["alice_sim"].id)
    state = _admin_state(
        AdminSimState, f"/admin/sims/{sim_id}", "/admin/sims/[sim_id]", {"sim_id": sim_id}
    )
    when = scheduled["alice"].effective_date.strftime("%d.%m.%Y")
    assert state.sim["tariff"] == "Оптимум"
    assert state.sim["next_tariff"] == f"«Максимум» с {when}"


def test_the_queue_admin_cancels_a_scheduled_change_with_a_reason(
    db_url, factory, world, scheduled
):
    from paysim_app.ui.admin.activations import AdminTariffChangeState

    factory.admin_user(email="boss@example.ru")
    rid = scheduled["alice"].request_id
    state = _change_state(str(rid))
    assert state.change["can_cancel"] == "1" and state.change["can_decide"] == ""
    assert state.change["effective"] == scheduled["alice"].effective_date.strftime("%d.%m.%Y")
    for form in (None, {}, {"reason": 5}, {"reason": "   "}, "reason"):
        _run(AdminTariffChangeState.cancel_scheduled, state, form)
        assert state.reason_error
        assert _requests(world["alice_sim"].id)[0].status == "scheduled"
    _run(AdminTariffChangeState.cancel_scheduled, state, {"reason": "Тариф снят с продажи"})
    (request,) = _requests(world["alice_sim"].id)
    assert (request.status, request.reason) == ("cancelled", "Тариф снят с продажи")
    # once cancelled there is nothing left to cancel
    state = _change_state(str(rid))
    assert state.change["can_cancel"] == ""
    _run(AdminTariffChangeState.cancel_scheduled, state, {"reason": "ещё раз"})
    assert state.error and _requests(world["alice_sim"].id)[0].reason == "Тариф снят с продажи"


@pytest.mark.parametrize("bad", ["abc", "-1", "99999999", "1e3"])
def test_the_admin_cancel_refuses_ids_that_are_not_scheduled_changes(
    db_url, factory, world, scheduled, bad
):
    from paysim_app.ui.admin.activations import AdminTariffChangeState

    factory.admin_user(email="boss@example.ru")
    state = _change_state(bad)
    assert state.change == {}
    _run(AdminTariffChangeState.cancel_scheduled, state, {"reason": "нет"})
    assert _requests(world["alice_sim"].id)[0].status == "scheduled"
    assert _requests(world["bob_sim"].id)[0].status == "scheduled"
