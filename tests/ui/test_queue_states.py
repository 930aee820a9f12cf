"""The reject forms of the admin's queues (activation requests, tariff changes, unblock
requests): the handler takes the reason the form submitted, so a click that arrives before the
text area's debounced on_change has reached the state still rejects with what was typed."""

from __future__ import annotations

import pytest
from reflex.istate.data import RouterData

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import ActivationRequest
from paysim_app.ui.admin.activations import AdminActivationState
from paysim_app.ui.components.detail import REASON_MAX
from tests.sims.test_activations import sale
from tests.ui.test_money_states import _run
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def pending(session, factory):
    factory.admin_user(email="boss@example.ru")
    world = {
        "tariff": factory.tariff("Оптимум", fee_kop=65000),
        "dealer": factory.partner("Связь-Маркет"),
    }
    return sale(session, factory, world).id


def _state(request_id: int):
    state = _leaf(AdminActivationState)
    state.auth_token = _signed_in("boss@example.ru")
    state.router = RouterData.from_router_data(
        {
            "asPath": f"/admin/activations/{request_id}",
            "pathname": "/admin/activations/[request_id]",
            "query": {"request_id": str(request_id)},
            "headers": {"origin": "http://localhost"},
        }
    )
    _run(AdminActivationState.load, state)
    return state


def _request(request_id: int) -> ActivationRequest:
    with session_scope() as session:
        return session.get(ActivationRequest, request_id)


def test_the_reason_comes_from_the_submitted_form(db_url, pending):
    state = _state(pending)
    assert state.reason == ""  # the typed text has not reached the state yet
    _run(AdminActivationState.reject, state, {"reason": "Паспортные данные не совпадают"})
    request = _request(pending)
    assert (request.status, request.reason) == ("rejected", "Паспортные данные не совпадают")


@pytest.mark.parametrize("form", [None, {}, {"reason": 5}, ["reason"], "reason"])
def test_a_form_without_a_reason_text_falls_back_to_the_state(db_url, pending, form):
    state = _state(pending)
    _run(AdminActivationState.reject, state, form)
    assert state.reason_error  # nothing typed anywhere: the field's error
    assert _request(pending).status == "pending"
    state.reason = "Нет документа"
    _run(AdminActivationState.reject, state, form)
    assert (_request(pending).status, _request(pending).reason) == ("rejected", "Нет документа")


def test_an_overlong_submitted_reason_is_cut_and_refused_by_the_domain(db_url, pending):
    state = _state(pending)
    _run(AdminActivationState.reject, state, {"reason": "я" * 10_000})
    assert len(state.reason) == REASON_MAX and state.reason_error
    assert _request(pending).status == "pending"
