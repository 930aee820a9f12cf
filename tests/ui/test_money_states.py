"""The money pages' handlers: someone else's SIM or card is refused, bad input becomes a field
error and moves no money, and card data never lands in the state the browser receives."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from urllib.parse import parse_qsl

import openpyxl
import pytest
from reflex.istate.data import RouterData
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import Payment, SavedCard, Sim
from paysim_app.payments import get_gateway
from paysim_app.ui.cabinet.autopay import AutopayState
from paysim_app.ui.cabinet.cards import CardsState
from paysim_app.ui.cabinet.payments import PaymentsState
from paysim_app.ui.cabinet.topup import TopupResultState, TopupState
from paysim_app.ui.components.format import phone
from tests.payments.checkout_helpers import pay_on_page
from tests.ui.test_state_security import _leaf, _signed_in

CARD = {"card_number": "4242 4242 4242 4242", "card_expiry": "12/34", "card_cvc": "123"}


@pytest.fixture
def alice_and_bob(factory):
    tariff = factory.tariff("Оптимум", fee_kop=65000)
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    alice_sim = factory.sim(alice, tariff=tariff, balance_kop=10000)
    bob_sim = factory.sim(bob, tariff=tariff, balance_kop=99900, label="Bob's secret label")
    bob_card = factory.card(bob, "5555555555554444")
    return alice_sim, bob_sim, bob_card


def _run(handler, state, *args):
    """Drive a handler (plain, generator or async) to its end; return what it yielded/returned."""
    out = handler.fn(state, *args)
    if hasattr(out, "__next__"):
        return list(out)
    if asyncio.iscoroutine(out):
        return asyncio.run(out)
    return out


def _state(cls, login="alice@example.ru"):
    state = _leaf(cls)
    state.auth_token = _signed_in(login)
    _run(cls.load, state)
    return state


def _router(path: str) -> RouterData:
    page, _, query = path.partition("?")
    return RouterData.from_router_data(
        {
            "asPath": path,
            "pathname": page,
            "query": dict(parse_qsl(query)),
            "headers": {"origin": "http://localhost"},
        }
    )


def _balance(sim_id: int) -> int:
    with session_scope() as session:
        return session.get(Sim, sim_id).balance_kop


def test_top_up_goes_to_the_hosted_page_and_keeps_no_card_data(db_url, alice_and_bob):
    alice_sim, _, _ = alice_and_bob
    state = _state(TopupState)
    assert state.current_sim_id == alice_sim.id
    _run(TopupState.set_amount, state, "500")
    # a forged form carrying card fields: they are not read, let alone kept
    events = _run(TopupState.submit, state, {**CARD, "form_key": state.form_key})
    [go] = [e for e in events if "window.location.assign" in str(e)]
    with session_scope() as session:
        [payment] = session.exec(select(Payment).where(Payment.sim_id == alice_sim.id)).all()
        assert (payment.status, payment.checkout_url) == ("pending", payment.checkout_url)
        assert payment.checkout_url and payment.checkout_url in str(go)
    assert _balance(alice_sim.id) == 10000  # nothing until it is paid on the hosted page
    sent = json.dumps(state.dict(), default=str)
    assert "4242 4242" not in sent and "4242424242424242" not in sent
    assert "12/34" not in sent
    # back before paying (another tab): "in progress", and "check again" once it is paid
    result = _leaf(TopupResultState)
    result.auth_token = _signed_in("alice@example.ru")
    result.router = _router(f"/cabinet/topup/result?payment={payment.id}")
    _run(TopupResultState.load, result)
    assert (result.outcome["status"], result.view["status"]) == ("pending", "pending")
    # paid there, the return page shows the new balance; to someone else it shows nothing
    pay_on_page(get_gateway(), payment.checkout_url, "4242424242424242")
    _run(TopupResultState.load, result)
    assert (result.outcome["status"], result.outcome["balance_kop"]) == ("succeeded", 60000)
    assert phone(alice_sim.msisdn) in result.view["body"]  # "+7 999 …", as the pages write it
    assert _balance(alice_sim.id) == 60000
    stranger = _leaf(TopupResultState)
    stranger.auth_token = _signed_in("bob@example.ru")
    stranger.router = _router(f"/cabinet/topup/result?payment={payment.id}&back=1")
    _run(TopupResultState.load, stranger)
    assert stranger.outcome == {}
    assert _balance(alice_sim.id) == 60000


def test_top_up_with_someone_elses_sim_is_refused(db_url, alice_and_bob):
    alice_sim, bob_sim, _ = alice_and_bob
    state = _state(TopupState)
    _run(TopupState.select_sim, state, str(bob_sim.id))
    assert state.current_sim_id == alice_sim.id  # unchanged
    state.current_sim_id = bob_sim.id  # a forged client could not set it, but even so:
    _run(TopupState.set_amount, state, "500")
    _run(TopupState.submit, state, CARD)
    assert _balance(bob_sim.id) == 99900
    assert state.form_error
    with session_scope() as session:
        assert session.exec(select(Payment).where(Payment.sim_id == bob_sim.id)).first() is None


def test_top_up_with_someone_elses_saved_card_is_refused(db_url, alice_and_bob):
    alice_sim, _, bob_card = alice_and_bob
    state = _state(TopupState)
    _run(TopupState.set_amount, state, "500")
    _run(TopupState.set_pay_with, state, str(bob_card.id))
    _run(TopupState.submit, state, {})
    assert _balance(alice_sim.id) == 10000
    assert state.form_error or any(state.errors.values())


@pytest.mark.parametrize(
    ("amount", "form", "field"),
    [
        ("5", CARD, "amount"),
        ("15000,01", CARD, "amount"),
        ("abc", CARD, "amount"),
    ],
)
def test_bad_top_up_input_is_a_field_error_and_moves_nothing(
    db_url, alice_and_bob, amount, form, field
):
    alice_sim, _, _ = alice_and_bob
    state = _state(TopupState)
    _run(TopupState.set_amount, state, amount)
    _run(TopupState.submit, state, form)
    assert state.errors[field]
    assert _balance(alice_sim.id) == 10000


def test_cards_of_another_subscriber_cannot_be_touched(db_url, alice_and_bob):
    _, _, bob_card = alice_and_bob
    state = _state(CardsState)
    assert state.rows == []
    _run(CardsState.delete, state, str(bob_card.id))
    _run(CardsState.make_default, state, str(bob_card.id))
    _run(CardsState.delete, state, "not-a-number")
    with session_scope() as session:
        card = session.get(SavedCard, bob_card.id)
        assert card.deleted_at is None and card.is_default


def test_autopay_cannot_use_someone_elses_card(db_url, alice_and_bob):
    alice_sim, _, bob_card = alice_and_bob
    state = _state(AutopayState)
    assert state.current_sim_id == alice_sim.id
    _run(AutopayState.set_field, state, "card_id", str(bob_card.id))
    _run(AutopayState.save, state)
    assert state.form_error or any(state.errors.values())
    user_id = state._user_id
    _run(AutopayState.set_field, state, "_user_id", "1")  # not a settable name
    _run(AutopayState.set_field, state, "current_sim_id", "1")
    assert state._user_id == user_id and state.current_sim_id == alice_sim.id


def test_payment_history_of_someone_elses_sim_is_refused(db_url, alice_and_bob):
    _, bob_sim, _ = alice_and_bob
    state = _state(PaymentsState)
    _run(PaymentsState.set_filter, state, "sim", str(bob_sim.id))
    assert state._raw == [] and state.total == 0 and state.rows == []
    assert state.list_error
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)
    assert bob_sim.msisdn not in sent and "Bob's secret label" not in sent


def test_payment_history_filters_check_their_input(db_url, alice_and_bob):
    state = _state(PaymentsState)
    assert state.total == 1  # the opening balance entry
    _run(PaymentsState.set_filter, state, "status", "nonsense")
    assert state.list_error
    _run(PaymentsState.clear, state)
    assert not state.list_error and state.total == 1
    _run(PaymentsState.set_filter, state, "amount_min", "200")
    _run(PaymentsState.set_filter, state, "amount_max", "100")
    _run(PaymentsState.apply, state)
    assert state.list_error


def _download(handler, state) -> tuple[str, bytes] | None:
    """The file name and bytes of the rx.download a handler returned (None: no download)."""
    spec = asyncio.run(handler.fn(state))
    if spec is None:
        return None
    args = {name._js_expr: str(value) for name, value in spec.args}
    encoded = args["url"].split("base64,", 1)[1].rstrip("\"'`")
    return args["filename"], base64.b64decode(encoded)


def test_payment_history_downloads_as_csv_and_excel_of_the_same_filters(db_url, alice_and_bob):
    state = _state(PaymentsState)
    name, data = _download(PaymentsState.export_xlsx, state)
    assert name.strip("\"'`").endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.active.max_row == 2  # the header and the opening balance entry
    name, _ = _download(PaymentsState.export, state)
    assert name.strip("\"'`").endswith(".csv")
    # a filter the service refuses: its message, and no file
    _run(PaymentsState.set_filter, state, "amount_min", "200")
    _run(PaymentsState.set_filter, state, "amount_max", "100")
    assert _download(PaymentsState.export_xlsx, state) is None
    assert state.list_error
