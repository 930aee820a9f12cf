"""The first top-up paid right after a SIM order: paid on the top-up's hosted page (the
sandbox's test page here), held on the order (no SIM, no balance, no commission), credited to
the order's SIM in the activation's own transaction, once, or given back through the gateway
when the order is cancelled or rejected. Wrong payers, wrong amounts and closed orders change
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from paysim_app.billing import checkout, payments, prepayments, receipts
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.models import (
    ActivationRequest,
    Commission,
    LedgerEntry,
    Notification,
    Payment,
    Sim,
    SimOrder,
)
from paysim_app.models.billing import PaymentRefund, Receipt
from paysim_app.partners import orders as partner_orders
from paysim_app.payments import GatewayError, RefundResult
from paysim_app.payments.sandbox import SandboxGateway
from paysim_app.sims import activations, orders
from paysim_app.sims.orders import OrderForm
from tests.money_helpers import GW, assert_ledger_consistent
from tests.payments.checkout_helpers import deliver, pay_on_page, post_webhook

GOOD = "4242424242424242"
DECLINED = "4000000000000002"
FEE = 60000


@pytest.fixture
def world(session, factory):
    tariff = factory.tariff("Домашний", FEE)
    near = factory.partner("Связь-Сервис")
    near.partner.address = "Тверская обл., г. Кимры, ул. Ленина, 5"
    session.commit()
    return {
        "tariff": tariff,
        "near": near,
        "customer": factory.subscriber("anna@example.ru", full_name="Анна Орлова"),
        "other": factory.subscriber("boris@example.ru", full_name="Борис Котов"),
        "admin": factory.superadmin(),
        "near_stock": factory.sim(None, partner=near, tariff=tariff),
        "operator_stock": factory.sim(None, tariff=tariff),
    }


def _order(session, world, **kw):
    values = {
        "tariff_id": str(world["tariff"].id),
        "customer_name": "Анна Орлова",
        "phone": "+7 903 555-44-33",
        "document_type": "passport",
        "document_no": "4510 123456",
        "settlement": "Кимры",
        "way": "pickup",
        "partner_id": str(world["near"].partner.id),
        "address": "",
        "consent": True,
    }
    view = orders.place_order(session, world["customer"], OrderForm(**{**values, **kw}))
    session.commit()
    return view


def _pay(session, world, order_id, amount=FEE, key="prepay-0000001", number=GOOD, actor=None):
    """The customer pays on the hosted page and comes back through the return URL."""
    actor = actor or world["customer"]
    started = orders.pay_prepayment(session, actor, GW, order_id, amount, key)
    session.commit()
    assert started.state == "pending" and started.redirect_url
    pay_on_page(GW, started.redirect_url, number, confirm=True)
    view = orders.prepayment_result(session, actor, GW, order_id, started.payment_id)
    session.commit()
    return started, view


def _hand_out(session, world, order_id):
    near = world["near"]
    form = partner_orders.sale_form_for(session, near.actor, order_id)
    handed = partner_orders.hand_out_order(
        session, near.actor, order_id, world["near_stock"].id, form
    )
    session.commit()
    return handed


def _entries(session, sim_id):
    return session.execute(select(LedgerEntry).where(LedgerEntry.sim_id == sim_id)).scalars().all()


# -- paying ------------------------------------------------------------------------------------------
def test_the_order_offers_the_first_top_up_with_the_tariffs_fee(session, world):
    order = _order(session, world)
    assert order.can_prepay and order.prepay_suggested_kop == FEE
    assert order.prepaid_state == "" and order.prepaid_kop == 0


def test_paid_on_the_hosted_page_it_is_held_on_the_order_with_no_balance_anywhere(session, world):
    order = _order(session, world)
    started, view = _pay(session, world, order.id)
    assert started.redirect_url.startswith("http") and "/checkout/" in started.redirect_url
    assert view.prepaid_state == "held" and view.prepaid_kop == FEE
    assert not view.can_prepay  # one prepayment per order
    payment = session.get(Payment, started.payment_id)
    assert payment.status == "succeeded" and payment.sim_id is None
    assert payment.order_id == order.id and payment.subscriber_id == order.subscriber_id
    assert payment.method == "card" and payment.partner_id is None
    # no SIM got money, no commission accrued, and the return URL is the order's page
    assert session.execute(select(LedgerEntry)).first() is None
    assert session.execute(select(Commission)).first() is None
    sandbox = GW.page(started.redirect_url.rsplit("/", 1)[-1])
    assert sandbox is not None
    # the cash receipt of an advance names the order
    receipt = session.execute(select(Receipt).where(Receipt.payment_id == payment.id)).scalar_one()
    assert receipt.kind == "sell"
    document = receipts._document(session, receipt)  # what the cash register is sent
    assert document.advance and f"№{order.id}" in document.item_name


def test_the_same_form_posted_twice_is_one_payment_and_a_second_prepayment_is_refused(
    session, world
):
    order = _order(session, world)
    first = orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000001")
    session.commit()
    again = orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000001")
    session.commit()
    assert again.payment_id == first.payment_id
    # another form while the page is open: that page again
    other = orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000002")
    session.commit()
    assert other.payment_id == first.payment_id and other.redirect_url == first.redirect_url
    pay_on_page(GW, first.redirect_url, GOOD)
    orders.prepayment_result(session, world["customer"], GW, order.id, first.payment_id)
    session.commit()
    with pytest.raises(DomainError) as err:
        orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000003")
    assert err.value.code == "prepay.error.exists"
    assert len(session.execute(select(Payment)).scalars().all()) == 1


def test_a_declined_card_leaves_nothing_held_and_another_attempt_may_follow(session, world):
    order = _order(session, world)
    started = orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000001")
    session.commit()
    assert pay_on_page(GW, started.redirect_url, DECLINED).kind != "complete"
    back = orders.prepayment_result(
        session, world["customer"], GW, order.id, started.payment_id, abandoned=True
    )
    session.commit()
    assert back.prepaid_state == "failed" and back.prepaid_decline == "card_declined"
    assert back.can_prepay and back.prepaid_kop == 0
    _, view = _pay(session, world, order.id, key="prepay-0000002")
    assert view.prepaid_state == "held"


@pytest.mark.parametrize("amount", [999, 15_000_01, 0, -100, "600", None, True, 600.0])
def test_an_amount_out_of_the_top_up_limits_is_refused_and_nothing_is_made(session, world, amount):
    order = _order(session, world)
    with pytest.raises(ValidationError) as err:
        orders.pay_prepayment(session, world["customer"], GW, order.id, amount, "prepay-0000001")
    assert err.value.field == "amount"
    assert session.execute(select(Payment)).first() is None


@pytest.mark.parametrize("key", ["", "short", "x" * 65, None, 5, "bad key!"])
def test_a_form_key_that_is_not_ours_is_refused(session, world, key):
    order = _order(session, world)
    with pytest.raises(ValidationError):
        orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, key)
    assert session.execute(select(Payment)).first() is None


def test_another_users_order_is_not_found_and_staff_cannot_pay_it(session, world):
    order = _order(session, world)
    for bad_id in (order.id, order.id + 1000, "1", None, True):
        with pytest.raises(NotFound):
            orders.pay_prepayment(session, world["other"], GW, bad_id, FEE, "prepay-0000001")
    for actor in (world["admin"], world["near"].actor, None):
        with pytest.raises(PermissionDenied):
            orders.pay_prepayment(session, actor, GW, order.id, FEE, "prepay-0000001")
    assert session.execute(select(Payment)).first() is None
    # nor can they read its result: nothing is asked of the provider
    started, _ = _pay(session, world, order.id)
    with pytest.raises(NotFound):
        orders.prepayment_result(session, world["other"], GW, order.id, started.payment_id)


def test_the_result_of_another_orders_payment_changes_nothing(session, world):
    first = _order(session, world)
    started, _ = _pay(session, world, first.id)
    row = session.get(SimOrder, first.id)
    row.created_at -= timedelta(minutes=5)  # not a double submit: a second order
    session.commit()
    second = _order(session, world, way="delivery", partner_id="", address="ул. Садовая, д. 3")
    assert second.id != first.id
    view = orders.prepayment_result(session, world["customer"], GW, second.id, started.payment_id)
    assert view.id == second.id and view.prepaid_state == ""


def test_an_order_no_longer_open_is_refused(session, world):
    order = _order(session, world)
    _hand_out(session, world, order.id)
    with pytest.raises(DomainError) as err:
        orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000001")
    assert err.value.code == "prepay.error.order_closed"
    assert session.execute(select(Payment)).first() is None


def test_a_completed_order_is_refused(session, world):
    order = _order(session, world)
    handed = _hand_out(session, world, order.id)
    activations.approve_activation(session, world["admin"], handed.activation_request_id)
    session.commit()
    with pytest.raises(DomainError) as err:
        orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000001")
    assert err.value.code == "prepay.error.order_closed"
    assert session.execute(select(Payment)).first() is None


# -- completing: credited once --------------------------------------------------------------------------
def test_the_activation_credits_the_held_money_to_the_sim_once(session, world):
    order = _order(session, world)
    started, _ = _pay(session, world, order.id)
    handed = _hand_out(session, world, order.id)
    assert handed.prepaid_state == "held"
    sim_id = world["near_stock"].id
    assert _entries(session, sim_id) == []  # handed out, not yet the customer's
    activations.approve_activation(session, world["admin"], handed.activation_request_id)
    session.commit()
    sim = assert_ledger_consistent(session, sim_id)
    assert sim.balance_kop == FEE and sim.subscriber_id == order.subscriber_id
    entry = _entries(session, sim_id)[0]
    assert entry.kind == "topup" and entry.payment_id == started.payment_id
    payment = session.get(Payment, started.payment_id)
    assert payment.sim_id == sim_id and payment.partner_id == world["near"].partner.id
    commission = session.execute(select(Commission)).scalar_one()
    assert commission.amount_kop == payments.commission_of(FEE, 500)
    view = orders.order_detail(session, world["customer"], order.id)
    assert view.prepaid_state == "credited" and view.status == "active"

    # a repeated or retried completion credits nothing more
    request = session.get(ActivationRequest, handed.activation_request_id)
    orders._activation_decided(session, request, "approved")
    assert prepayments.credit_to_sim(session, order.id, sim_id) == 0
    assert prepayments.follow_up(session, GW, order.id) == "none"
    with pytest.raises(DomainError):
        activations.approve_activation(session, world["admin"], handed.activation_request_id)
    session.rollback()
    assert len(_entries(session, sim_id)) == 1
    assert assert_ledger_consistent(session, sim_id).balance_kop == FEE
    assert len(session.execute(select(Commission)).scalars().all()) == 1


def test_a_part_refunded_while_held_leaves_the_dealer_the_commission_of_what_was_kept(
    session, world
):
    """A part given back while the money was held, then the SIM credited with the rest: the
    dealer earns the commission of what was kept, and refunding the rest takes all of it back
    (as for a payment credited when paid)."""
    order = _order(session, world)
    started, _ = _pay(session, world, order.id)
    payments.refund_payment(
        session, world["admin"], GW, started.payment_id, "half back", amount_kop=20000
    )
    session.commit()
    handed = _hand_out(session, world, order.id)
    activations.approve_activation(session, world["admin"], handed.activation_request_id)
    session.commit()
    sim_id = world["near_stock"].id
    assert assert_ledger_consistent(session, sim_id).balance_kop == FEE - 20000

    def earned() -> int:
        rows = session.execute(select(Commission)).scalars().all()
        return sum(c.amount_kop for c in rows)

    assert earned() == payments.commission_of(FEE - 20000, 500)
    payments.refund_payment(session, world["admin"], GW, started.payment_id, "the rest")
    session.commit()
    assert earned() == 0
    assert assert_ledger_consistent(session, sim_id).balance_kop == 0
    assert session.get(Payment, started.payment_id).status == "refunded"


def test_a_delivered_order_gets_its_prepayment_on_approval(session, world):
    admin = world["admin"]
    order = _order(session, world, way="delivery", partner_id="", address="ул. Садовая, д. 3")
    _pay(session, world, order.id, amount=123456)
    orders.ship_order(session, admin, order.id, world["operator_stock"].id)
    session.commit()
    delivered = orders.deliver_order(session, admin, order.id)
    session.commit()
    activations.approve_activation(session, admin, delivered.activation_request_id)
    session.commit()
    sim = assert_ledger_consistent(session, world["operator_stock"].id)
    assert sim.balance_kop == 123456
    assert session.execute(select(Commission)).first() is None  # the operator's own SIM


def test_a_page_paid_after_the_approval_is_credited_when_it_settles(session, world):
    order = _order(session, world)
    started = orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000001")
    session.commit()
    handed = _hand_out(session, world, order.id)
    activations.approve_activation(session, world["admin"], handed.activation_request_id)
    session.commit()
    pay_on_page(GW, started.redirect_url, GOOD)
    checkout.follow_payment(session, GW, started.payment_id)
    sim = assert_ledger_consistent(session, world["near_stock"].id)
    assert sim.balance_kop == FEE


# -- webhooks -------------------------------------------------------------------------------------------
def test_the_webhook_settles_it_and_a_replay_changes_nothing(session, world, sandbox_webhooks):
    order = _order(session, world)
    started = orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000001")
    session.commit()
    pay_on_page(GW, started.redirect_url, GOOD)
    events = list(sandbox_webhooks)
    assert events
    outcomes = deliver(sandbox_webhooks)
    assert "applied" in outcomes
    for payload, signature in events:  # the provider sends them all again
        status, body = post_webhook(payload, signature)
        assert status == 200 and body.get("outcome") != "applied"
    session.expire_all()
    payment = session.get(Payment, started.payment_id)
    assert payment.status == "succeeded" and payment.sim_id is None
    assert session.execute(select(LedgerEntry)).first() is None
    handed = _hand_out(session, world, order.id)
    activations.approve_activation(session, world["admin"], handed.activation_request_id)
    session.commit()
    for payload, signature in events:
        post_webhook(payload, signature)
    session.expire_all()
    assert assert_ledger_consistent(session, world["near_stock"].id).balance_kop == FEE
    assert len(_entries(session, world["near_stock"].id)) == 1


# -- cancelled or rejected: given back -------------------------------------------------------------------
def _refund_notes(session, world):
    return (
        session.execute(
            select(Notification.title).where(
                Notification.user_id == world["customer"].user_id,
                Notification.kind == "prepayment_refunded",
            )
        )
        .scalars()
        .all()
    )


def test_cancelling_the_order_refunds_the_prepayment_through_the_gateway(session, world):
    order = _order(session, world)
    started, _ = _pay(session, world, order.id)
    done = orders.cancel_order(session, world["customer"], order.id)
    session.commit()
    assert done.status == "cancelled" and done.prepaid_state == "refunded"
    payment = session.get(Payment, started.payment_id)
    assert payment.status == "refunded" and payment.refunded_kop == FEE
    refund = session.execute(select(PaymentRefund)).scalar_one()
    assert refund.ref.startswith("re_") and refund.applied_kop == FEE
    assert session.execute(select(LedgerEntry)).first() is None  # it was never on a SIM
    assert _refund_notes(session, world) == [f"Заказ №{order.id}: предоплата возвращена"]
    # the gateway's refund webhook, arriving later, books nothing more
    event = {
        "id": "evt_refund_1",
        "kind": "refunded",
        "gateway_ref": payment.gateway_ref,
        "payment_key": payment.idempotency_key,
        "refund_id": refund.ref,
        "amount_kop": FEE,
    }
    assert payments.apply_event(session, GW.parse_webhook(*_signed(event))) == "duplicate"
    assert session.get(Payment, started.payment_id).refunded_kop == FEE


def _signed(body: dict) -> tuple[bytes, str]:
    import json

    payload = json.dumps(body).encode()
    return payload, GW.sign(payload)


def test_the_partner_rejecting_the_order_gives_it_back(session, world):
    order = _order(session, world)
    started, _ = _pay(session, world, order.id)
    orders.reject_order(session, world["near"].actor, order.id, "Нет в наличии")
    session.commit()
    view = orders.order_detail(session, world["customer"], order.id)
    assert view.status == "rejected" and view.prepaid_state == "refunded"
    assert session.get(Payment, started.payment_id).status == "refunded"
    assert len(_refund_notes(session, world)) == 1


def test_a_rejected_activation_refunds_the_prepayment(session, world):
    order = _order(session, world)
    started, _ = _pay(session, world, order.id)
    handed = _hand_out(session, world, order.id)
    activations.reject_activation(session, world["admin"], handed.activation_request_id, "Брак")
    session.commit()
    view = orders.order_detail(session, world["customer"], order.id)
    assert view.status == "rejected" and view.prepaid_state == "refunded"
    assert session.get(Payment, started.payment_id).status == "refunded"
    assert session.execute(select(LedgerEntry)).first() is None
    assert session.get(Sim, world["near_stock"].id).balance_kop == 0


def test_cancelling_while_the_page_is_open_closes_it(session, world):
    order = _order(session, world)
    started = orders.pay_prepayment(session, world["customer"], GW, order.id, FEE, "prepay-0000001")
    session.commit()
    orders.cancel_order(session, world["customer"], order.id)
    session.commit()
    assert session.get(Payment, started.payment_id).status == "expired"
    assert pay_on_page(GW, started.redirect_url, GOOD).kind != "complete"
    assert session.execute(select(PaymentRefund)).first() is None


def test_a_refund_the_gateway_does_not_make_is_due_and_the_janitor_makes_it(
    session, world, monkeypatch
):
    order = _order(session, world)
    started, _ = _pay(session, world, order.id)

    def down(self, **kw):
        raise GatewayError("timeout")

    working = SandboxGateway.refund
    monkeypatch.setattr(SandboxGateway, "refund", down)
    done = orders.cancel_order(session, world["customer"], order.id)
    session.commit()
    assert done.status == "cancelled" and done.prepaid_state == "refund_due"
    assert session.get(Payment, started.payment_id).status == "succeeded"

    refused = SandboxGateway()
    monkeypatch.setattr(
        SandboxGateway, "refund", lambda self, **kw: RefundResult("failed", None, "expired_card")
    )
    assert prepayments.follow_up_due(session, refused) == 0
    monkeypatch.setattr(SandboxGateway, "refund", working)
    assert prepayments.follow_up_due(session, GW) == 1
    assert prepayments.follow_up_due(session, GW) == 0  # once
    session.expire_all()
    assert session.get(Payment, started.payment_id).status == "refunded"
    assert len(session.execute(select(PaymentRefund)).scalars().all()) == 1
    assert len(_refund_notes(session, world)) == 1
