"""The admin payment card's state: the dispute and its history, a part refunded by amount (and
one over what is left refused on the page), a payment left "unknown, check by hand" settled from
the card, and the sandbox's "simulate a dispute" offered only where it can be used."""

from __future__ import annotations

import pytest

import paysim_app.paysim_app  # noqa: F401
from paysim_app.billing import payments
from paysim_app.db import session_scope
from paysim_app.models import Payment, Sim
from paysim_app.models.base import utcnow
from paysim_app.payments import ChargeResult, GatewayDispute, GatewayEvent
from paysim_app.ui.admin.payments import AdminPaymentState
from tests.ui.test_money_states import _router, _run
from tests.ui.test_state_security import _leaf, _signed_in


def _paid(sim_id: int, key: str, amount: int = 50000) -> int:
    with session_scope() as session:
        payment = payments.new_payment(
            session,
            sim=session.get(Sim, sim_id),
            amount_kop=amount,
            method="card",
            idempotency_key=key,
            gateway="sandbox",
        )
        pid = payment.id
        session.commit()
        payments.settle(session, [(pid, ChargeResult("succeeded", f"pi_sb_{key}"))])
    return pid


def _card(pid: int, login: str) -> AdminPaymentState:
    state = _leaf(AdminPaymentState)
    state.auth_token = _signed_in(login)
    state.router = _router(f"/admin/payments/{pid}?payment_id={pid}")
    assert _run(AdminPaymentState.load, state) is None
    return state


@pytest.fixture
def admin_login(factory):
    return factory.admin_user().email


def test_the_card_shows_a_dispute_and_its_history(db_url, factory, admin_login):
    sim = factory.sim(factory.subscriber(), balance_kop=0)
    pid = _paid(sim.id, "ui-dispute-1")
    state = _card(pid, admin_login)
    assert state.payment["simulate"] == "1" and state.payment["dispute"] == ""
    dispute = GatewayDispute("dp_ui_1", 50000, "fraudulent", "needs_response", None, 1)
    with session_scope() as session:
        event = GatewayEvent(
            "evt_ui_1",
            "dispute",
            gateway_ref="pi_sb_ui-dispute-1",
            raw_type="charge.dispute.created",
            dispute=dispute,
            created=10,
        )
        assert payments.apply_event(session, event) == "applied"
    _run(AdminPaymentState.load, state)
    assert state.payment["status"] == "Оспорен банком"
    assert state.payment["refundable"] == ""
    assert [d["ref"] for d in state.disputes] == ["dp_ui_1"]
    assert state.disputes[0]["state"] == "Открыт"
    assert [s["event"] for s in state.dispute_steps] == ["charge.dispute.created"]
    assert state.payment["simulate"] == "1" and state.payment["dispute"] == "open"


def test_a_part_is_refunded_and_more_than_the_rest_is_refused(db_url, factory, admin_login):
    sim = factory.sim(factory.subscriber(), balance_kop=0)
    pid = _paid(sim.id, "ui-refund-1")
    state = _card(pid, admin_login)
    assert state.payment["refund_amount_label"].endswith("500,00\xa0₽)")
    _run(AdminPaymentState.set_amount, state, "150")
    _run(AdminPaymentState.set_comment, state, "часть")
    _run(AdminPaymentState.refund, state, {})
    assert state.error == "" and state.amount == ""
    assert state.payment["status"] == "Частично возвращён"
    _run(AdminPaymentState.set_amount, state, "400")
    _run(AdminPaymentState.set_comment, state, "слишком")
    _run(AdminPaymentState.refund, state, {})
    assert "не больше 350,00" in state.error
    with session_scope() as session:
        assert session.get(Payment, pid).refunded_kop == 15000


def test_the_refund_takes_what_the_form_held_when_sent(db_url, factory, admin_login):
    """The fields' on_change is debounced: a quick Enter sends the form before the last typed
    amount reached the state. The refund takes the submitted fields, never the empty amount
    of the moment before (which would refund all that is left)."""
    sim = factory.sim(factory.subscriber(), balance_kop=0)
    pid = _paid(sim.id, "ui-refund-form")
    state = _card(pid, admin_login)
    assert state.amount == "" and state.comment == ""
    _run(AdminPaymentState.refund, state, {"amount": "120,50", "comment": "часть"})
    assert state.error == ""
    with session_scope() as session:
        assert session.get(Payment, pid).refunded_kop == 12050
    # a value of another type is ignored, not trusted: the state's own (empty) comment stays,
    # and a refund needs one
    _run(AdminPaymentState.refund, state, {"amount": "10", "comment": ["x"]})
    assert state.error != ""
    with session_scope() as session:
        assert session.get(Payment, pid).refunded_kop == 12050


def test_an_unknown_payment_is_settled_from_the_card(db_url, factory, admin_login):
    sim = factory.sim(factory.subscriber(), balance_kop=0)
    with session_scope() as session:
        payment = payments.new_payment(
            session,
            sim=session.get(Sim, sim.id),
            amount_kop=30000,
            method="card",
            idempotency_key="ui-unknown-1",
            gateway="sandbox",
        )
        payment.unknown_since = utcnow()
        session.commit()
        pid = payment.id
    state = _card(pid, admin_login)
    assert state.payment["unknown"] == "1" and state.payment["can_settle"] == "1"
    assert "ui-unknown-1" in state.payment["unknown_text"]
    assert state.payment["status"] == "Неизвестно — проверить вручную"
    _run(AdminPaymentState.settle_by_hand, state, "failed")
    assert state.settle_error  # a comment is required
    _run(AdminPaymentState.set_settle_comment, state, "в кабинете провайдера не прошёл")
    _run(AdminPaymentState.settle_by_hand, state, "failed")
    assert state.settle_error == ""
    assert state.payment["unknown"] == ""
    with session_scope() as session:
        assert session.get(Payment, pid).status == "failed"
