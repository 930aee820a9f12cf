"""The SIM order pages' states: the customer's form (tariff preselected from the address,
partners found by settlement, field errors), the order's page (timeline, cancel, top-up once
the SIM works), the partner's hand-out, the admin's shipping; strangers are sent away."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from reflex.istate.data import RouterData
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.accounts import identity
from paysim_app.db import session_scope
from paysim_app.models import SimOrder, User
from paysim_app.sims import activations
from paysim_app.ui.admin.orders import AdminOrdersState, AdminOrderState
from paysim_app.ui.admin.payments import AdminPaymentState
from paysim_app.ui.cabinet.order import OrderFormState, OrderPageState
from paysim_app.ui.partner.orders import PartnerOrderState
from tests.ui.test_money_states import _router, _run
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def shop(factory):
    tariff = factory.tariff("Дом 50", fee_kop=50000)
    dealer = factory.partner("Связь-Сервис", login="dealer@example.ru")
    dealer.partner.address = "г. Кимры, ул. Ленина, 5"
    factory.session.commit()
    factory.subscriber("anna@example.ru", full_name="Анна Орлова")
    factory.subscriber("boris@example.ru", full_name="Борис Котов")
    admin = factory.admin_user(email="boss@example.ru")
    stock = factory.sim(None, partner=dealer, tariff=tariff)
    operator = factory.sim(None, tariff=tariff)
    return {"tariff": tariff, "dealer": dealer, "admin": admin, "stock": stock, "op": operator}


def _page(cls, login: str, path: str):
    """The page's state signed in as `login`, loaded at `path` (an order's number in the path
    is the route's order_id, as the router gives it)."""
    state = _leaf(cls)
    state.auth_token = _signed_in(login)
    state.router = _router(path)
    last = path.rsplit("/", 1)[-1]
    if last.isdigit():
        state.router = RouterData.from_router_data(
            {
                "asPath": path,
                "pathname": path.rsplit("/", 1)[0] + "/[order_id]",
                "query": {"order_id": last},
                "headers": {"origin": "http://localhost"},
            }
        )
    out = _run(cls.load, state)
    return state, out


def _order_form(shop, **form):
    state, _ = _page(
        OrderFormState, "anna@example.ru", f"/cabinet/order?tariff={shop['tariff'].id}"
    )
    for name, value in form.items():
        _run(OrderFormState.set_field, state, name, value)
    _run(OrderFormState.set_consent, state, True)  # the customer's consent (accounts.consent)
    return state


def test_a_signed_out_visitor_goes_to_sign_in_and_back_with_the_tariff(db_url, shop):
    state = _leaf(OrderFormState)
    state.router = _router(f"/cabinet/order?tariff={shop['tariff'].id}")
    out = _run(OrderFormState.load, state)
    assert f"/cabinet/order?tariff={shop['tariff'].id}" in unquote(str(out))


def test_the_form_prefills_and_finds_partners_by_settlement(db_url, shop):
    state = _order_form(shop, settlement="КИМРЫ")
    assert state.form["tariff_id"] == str(shop["tariff"].id)
    assert state.form["customer_name"] == "Анна Орлова"
    _run(OrderFormState.find_partners, state)
    assert [o["label"].split(" · ")[0] for o in state.partner_options] == ["Связь-Сервис"]
    assert state.form["way"] == "pickup"
    _run(OrderFormState.set_field, state, "settlement", "Кашин")
    _run(OrderFormState.find_partners, state)
    assert state.partner_options == [] and state.partners_looked
    assert state.form["way"] == "delivery"


def test_missing_document_shows_under_its_field_and_orders_nothing(db_url, shop):
    state = _order_form(
        shop, phone="+7 903 555-44-33", settlement="Кашин", address="ул. Садовая, 3"
    )
    _run(OrderFormState.place, state)
    assert state.field == "document_no" and state.form_error
    with session_scope() as session:
        assert session.exec(select(SimOrder)).first() is None


def test_pickup_from_form_to_active_with_the_first_top_up(db_url, shop):
    state = _order_form(
        shop,
        phone="+7 903 555-44-33",
        document_no="4510 123456",
        settlement="Кимры",
    )
    _run(OrderFormState.find_partners, state)
    _run(OrderFormState.set_field, state, "partner_id", str(shop["dealer"].partner.id))
    out = _run(OrderFormState.place, state)
    assert not state.form_error, state.form_error
    with session_scope() as session:
        order_id = session.exec(select(SimOrder)).one().id
    assert f"/cabinet/order/{order_id}" in str(out)

    page, _ = _page(OrderPageState, "anna@example.ru", f"/cabinet/order/{order_id}")
    assert page.order["status"] == "Новый" and page.order["can_cancel"] == "1"
    assert page.order["can_topup"] == ""
    assert [s["status"] for s in page.steps] == ["Новый"]

    # another subscriber is sent back to their own orders
    other, out = _page(OrderPageState, "boris@example.ru", f"/cabinet/order/{order_id}")
    assert other.order == {} and "/cabinet/order" in str(out)

    # the partner hands a SIM of its stock out, the form prefilled from the order
    dealer, _ = _page(PartnerOrderState, "dealer@example.ru", f"/partner/orders/{order_id}")
    assert dealer.sale["customer_name"] == "Анна Орлова"
    assert dealer.order["can_hand_out"] == "1"
    _run(PartnerOrderState.hand_out, dealer)
    assert dealer.field == "sim_id"  # no SIM chosen yet
    _run(PartnerOrderState.set_sim, dealer, str(shop["stock"].id))
    _run(PartnerOrderState.hand_out, dealer)
    assert not dealer.error, dealer.error
    assert dealer.order["can_hand_out"] == ""

    with session_scope() as session:
        order = session.get(SimOrder, order_id)
        boss = identity.actor_for(session, session.get(User, shop["admin"].id))
        activations.approve_activation(session, boss, order.activation_request_id)

    page, _ = _page(OrderPageState, "anna@example.ru", f"/cabinet/order/{order_id}")
    assert page.order["status"] == "Подключён" and page.order["can_topup"] == "1"
    assert page.order["topup_href"] == f"/cabinet/topup?sim={shop['stock'].id}"
    assert page.order["can_cancel"] == ""
    assert len(page.steps) == 3


def test_the_admin_ships_a_delivery_from_the_operators_stock(db_url, shop):
    state = _order_form(
        shop,
        phone="+7 903 555-44-33",
        document_no="AB123456",
        settlement="Кашин",
        address="ул. Садовая, д. 3",
    )
    _run(OrderFormState.place, state)
    assert not state.form_error, state.form_error
    with session_scope() as session:
        order_id = session.exec(select(SimOrder)).one().id
    listing, _ = _page(AdminOrdersState, "boss@example.ru", "/admin/activations?tab=orders")
    assert [r["no"] for r in listing.rows] == [f"#{order_id}"]
    assert listing.rows[0]["prepaid"] == ""  # nothing paid with it
    admin, _ = _page(AdminOrderState, "boss@example.ru", f"/admin/activations/orders/{order_id}")
    assert admin.order["can_ship"] == "1"
    assert [o["value"] for o in admin.stock_options] == [str(shop["op"].id)]
    _run(AdminOrderState.ship, admin)
    assert admin.error  # no SIM chosen
    _run(AdminOrderState.set_sim, admin, str(shop["op"].id))
    _run(AdminOrderState.ship, admin)
    assert admin.order["status"] == "Отправлен" and admin.order["can_deliver"] == "1"
    _run(AdminOrderState.deliver, admin)
    assert admin.order["status"] == "Выдан, ждёт активации"
    assert admin.order["request_href"].startswith("/admin/activations/")


def _order_page(login: str, order_id: int, **query: str):
    """The order's page as the router gives it: its number and the address's query."""
    state = _leaf(OrderPageState)
    state.auth_token = _signed_in(login)
    path = f"/cabinet/order/{order_id}"
    state.router = RouterData.from_router_data(
        {
            "asPath": path
            + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""),
            "pathname": "/cabinet/order/[order_id]",
            "query": {"order_id": str(order_id), **query},
            "headers": {"origin": "http://localhost"},
        }
    )
    return state, _run(OrderPageState.load, state)


def test_the_first_top_up_is_paid_on_the_hosted_page_and_shown_held(db_url, shop):
    from paysim_app.models import Payment
    from tests.money_helpers import GW
    from tests.payments.checkout_helpers import pay_on_page

    state = _order_form(
        shop, phone="+7 903 555-44-33", document_no="4510 123456", settlement="Кашин",
        address="ул. Садовая, 3",
    )  # fmt: skip
    _run(OrderFormState.place, state)
    with session_scope() as session:
        order_id = session.exec(select(SimOrder)).one().id

    page, _ = _order_page("anna@example.ru", order_id)
    assert page.order["can_prepay"] == "1" and page.prepay_amount == "500"  # the tariff's fee
    for bad in ("abc", "5", "20000", "-1", ""):
        _run(OrderPageState.set_prepay_amount, page, bad)
        _run(OrderPageState.prepay, page, {"form_key": page.prepay_key})
        assert page.prepay_error and not page.paying, bad
    with session_scope() as session:
        assert session.exec(select(Payment)).first() is None

    # another subscriber's tab cannot pay it: refused, nothing made
    other, out = _order_page("boris@example.ru", order_id)
    assert other.order == {} and "/cabinet/order" in str(out)
    _run(OrderPageState.set_prepay_amount, other, "600")
    _run(OrderPageState.prepay, other, {"form_key": other.prepay_key})
    assert other.prepay_error
    with session_scope() as session:
        assert session.exec(select(Payment)).first() is None

    _run(OrderPageState.set_prepay_amount, page, "600")
    out = _run(OrderPageState.prepay, page, {"form_key": page.prepay_key})
    assert not page.prepay_error, page.prepay_error
    with session_scope() as session:
        payment = session.exec(select(Payment)).one()
        url, payment_id = payment.checkout_url, payment.id
    assert url and url in str(out) and payment.sim_id is None
    pay_on_page(GW, url, "4242424242424242")

    back, _ = _order_page("anna@example.ru", order_id, prepayment=str(payment_id))
    assert back.order["prepaid_state"] == "held" and "600" in back.order["prepaid"]
    assert back.order["can_prepay"] == ""
    # the admin's order card and the orders tab say "prepaid"
    admin, _ = _page(AdminOrderState, "boss@example.ru", f"/admin/activations/orders/{order_id}")
    assert "600" in admin.order["prepaid"]
    listing, _ = _page(AdminOrdersState, "boss@example.ru", "/admin/activations?tab=orders")
    assert [r["prepaid"] for r in listing.rows] == [admin.order["prepaid"]]
    # the payment's own card: the held payment has no SIM yet, so no link to /admin/sims/None
    card = _leaf(AdminPaymentState)
    card.auth_token = _signed_in("boss@example.ru")
    card.router = RouterData.from_router_data(
        {
            "asPath": f"/admin/payments/{payment_id}",
            "pathname": "/admin/payments/[payment_id]",
            "query": {"payment_id": str(payment_id)},
            "headers": {"origin": "http://localhost"},
        }
    )
    _run(AdminPaymentState.load, card)
    assert card.payment["id"] == str(payment_id)
    assert card.payment["sim_href"] == "" and card.payment["sim"] == "—"
