"""SIM orders: a subscriber orders a SIM with pick-up at a partner of their settlement or with
delivery; every step moves the status (with a notification and a timeline step), staff's
steps are audited, the partner hands out through the sale and the admin's approval puts the
SIM on the ordering contract. Wrong actors, double submits and bad input change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.models import (
    ActivationRequest,
    AuditLog,
    Notification,
    Sim,
    SimOrder,
    SimOrderEvent,
    Subscriber,
)
from paysim_app.partners import cabinet
from paysim_app.partners import orders as partner_orders
from paysim_app.sims import activations, orders
from paysim_app.sims.orders import ORDER_LIST, PARTNER_ORDER_LIST, OrderForm


@pytest.fixture
def world(session, factory):
    tariff = factory.tariff("Домашний", 60000)
    old = factory.tariff("Старый", 30000, is_archived=True)
    near = factory.partner("Связь-Сервис")
    near.partner.address = "Тверская обл., г. Кимры, ул. Ленина, 5"
    far = factory.partner("Далёкий дилер")
    far.partner.address = "г. Тверь, пр. Победы, 1"
    closed = factory.partner("Закрытый")
    closed.partner.address = "г. Кимры, ул. Мира, 2"
    closed.partner.is_active = False
    session.commit()
    customer = factory.subscriber("anna@example.ru", full_name="Анна Орлова")
    other = factory.subscriber("boris@example.ru", full_name="Борис Котов")
    return {
        "tariff": tariff,
        "old": old,
        "near": near,
        "far": far,
        "customer": customer,
        "other": other,
        "admin": factory.superadmin(),
        "near_stock": factory.sim(None, partner=near, tariff=tariff),
        "far_stock": factory.sim(None, partner=far, tariff=tariff),
        "operator_stock": factory.sim(None, tariff=tariff),
    }


def _form(world, **kw) -> OrderForm:
    values = {
        "tariff_id": str(world["tariff"].id),
        "customer_name": "Анна  Орлова",
        "phone": "8 (903) 555-44-33",
        "document_type": "passport",
        "document_no": "45 10 123-456",
        "settlement": "кимры",
        "way": "pickup",
        "partner_id": str(world["near"].partner.id),
        "address": "",
        "consent": True,  # the customer's consent (accounts.consent)
    }
    return OrderForm(**{**values, **kw})


def _delivery(world, **kw) -> OrderForm:
    return _form(world, way="delivery", partner_id="", address="ул. Садовая, д. 3, кв. 7", **kw)


def _steps(session, order_id: int) -> list[str]:
    rows = session.execute(
        select(SimOrderEvent.status)
        .where(SimOrderEvent.order_id == order_id)
        .order_by(SimOrderEvent.id)
    )
    return list(rows.scalars())


def _notes(session, user_id: int) -> list[str]:
    rows = session.execute(
        select(Notification.title)
        .where(Notification.user_id == user_id, Notification.kind == "order_status")
        .order_by(Notification.id)
    )
    return list(rows.scalars())


# -- the form's choices ---------------------------------------------------------------------------
def test_partners_near_a_settlement_are_the_active_ones_whose_address_names_it(session, world):
    found = orders.pickup_partners(session, world["customer"], "КИМРЫ")
    assert [p.name for p in found] == ["Связь-Сервис"]
    assert orders.pickup_partners(session, world["customer"], "Кашин") == []
    assert orders.pickup_partners(session, world["customer"], "к") == []


def test_only_public_current_tariffs_are_offered(session, world):
    offered = {c.id for c in orders.order_tariffs(session, world["customer"])}
    assert world["tariff"].id in offered and world["old"].id not in offered


# -- placing ----------------------------------------------------------------------------------------
def test_a_pickup_order_is_new_notified_and_told_to_the_partner(session, world):
    view = orders.place_order(session, world["customer"], _form(world))
    session.commit()
    assert view.status == "new" and view.way == "pickup"
    assert view.partner_name == "Связь-Сервис"
    assert view.document_no == "4510 123456"
    assert view.customer_phone == "+79035554433"
    assert view.customer_name == "Анна Орлова"
    assert view.can_cancel and not view.can_topup
    assert [s.status for s in view.steps] == ["new"]
    assert _notes(session, world["customer"].user_id) == [f"Заказ №{view.id}: Новый"]
    told = session.execute(
        select(Notification.user_id).where(Notification.kind == "partner_order_new")
    ).scalars()
    assert set(told) == {world["near"].user.id}
    admins = session.execute(
        select(Notification.user_id, Notification.title).where(Notification.kind == "order_new")
    ).all()
    assert world["admin"].user_id in {user_id for user_id, _ in admins}
    # the title names the order (its {no} filled in, not left as a placeholder)
    assert {title for _, title in admins} == {f"Новый заказ сим-карты №{view.id}"}


def test_a_double_submit_within_a_minute_is_one_order(session, world):
    first = orders.place_order(session, world["customer"], _form(world))
    again = orders.place_order(session, world["customer"], _form(world, customer_name="Анна О."))
    session.commit()
    assert again.id == first.id
    assert session.execute(select(SimOrder.id)).scalars().all() == [first.id]
    # a minute later it is a new order
    row = session.get(SimOrder, first.id)
    row.created_at = row.created_at - timedelta(seconds=61)
    session.commit()
    later = orders.place_order(session, world["customer"], _form(world))
    assert later.id != first.id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"document_no": ""}, "document_no"),
        ({"document_no": "12"}, "document_no"),
        ({"document_type": "library_card"}, "document_type"),
        ({"tariff_id": "999999"}, "tariff_id"),
        ({"tariff_id": "x"}, "tariff_id"),
        ({"customer_name": "A"}, "customer_name"),
        ({"phone": "12345"}, "phone"),
        ({"way": "drone"}, "way"),
        ({"partner_id": ""}, "partner_id"),
        ({"settlement": "Тверь"}, "partner_id"),  # the near partner is not in Tver
        ({"way": "delivery", "partner_id": "", "address": ""}, "address"),
        ({"way": "delivery", "partner_id": "", "settlement": ""}, "settlement"),
    ],
)
def test_bad_input_names_the_field_and_orders_nothing(session, world, change, field):
    with pytest.raises(ValidationError) as err:
        orders.place_order(session, world["customer"], _form(world, **change))
    assert err.value.field == field
    session.rollback()
    assert session.execute(select(SimOrder.id)).first() is None


def test_a_missing_document_says_so(session, world):
    with pytest.raises(ValidationError) as err:
        orders.place_order(session, world["customer"], _form(world, document_no="  "))
    assert err.value.code == "orders.error.document_missing"


def test_an_archived_tariff_is_refused(session, world):
    with pytest.raises(ValidationError) as err:
        orders.place_order(session, world["customer"], _form(world, tariff_id=str(world["old"].id)))
    assert err.value.code == "orders.error.tariff_archived"


def test_only_a_subscriber_orders(session, world):
    for actor in (world["admin"], world["near"].actor, None):
        with pytest.raises(PermissionDenied):
            orders.place_order(session, actor, _form(world))


# -- the pick-up way ---------------------------------------------------------------------------------
def test_pickup_waiting_handed_out_approved_active_on_the_customers_contract(session, world):
    customer, near = world["customer"], world["near"]
    order = orders.place_order(session, customer, _form(world))
    session.commit()
    waiting = orders.mark_waiting(session, near.actor, order.id)
    session.commit()
    assert waiting.status == "waiting" and waiting.can_hand_out
    form = partner_orders.sale_form_for(session, near.actor, order.id)
    assert form.customer_name == "Анна Орлова" and form.document == "4510 123456"
    sim = world["near_stock"]
    handed = partner_orders.hand_out_order(session, near.actor, order.id, sim.id, form)
    session.commit()
    assert handed.status == "handed_out" and handed.msisdn == sim.msisdn
    assert not handed.can_cancel
    request = session.get(ActivationRequest, handed.activation_request_id)
    assert request.subscriber_id == customer.subscriber_id
    assert request.partner_id == near.partner.id
    assert session.get(Sim, sim.id).status == "awaiting_activation"

    result = activations.approve_activation(session, world["admin"], request.id)
    session.commit()
    assert result.subscriber_id == customer.subscriber_id and not result.created_subscriber
    session.refresh(sim)
    assert sim.subscriber_id == customer.subscriber_id and sim.status == "active"
    # no second contract was made for the same person
    assert session.execute(select(Subscriber.id)).scalars().all().count(customer.subscriber_id) == 1
    assert len(session.execute(select(Subscriber.id)).scalars().all()) == 2
    done = orders.order_detail(session, customer, order.id)
    assert done.status == "active" and done.can_topup
    assert _steps(session, order.id) == ["new", "waiting", "handed_out", "active"]
    assert len(_notes(session, customer.user_id)) == 4
    actions = set(session.execute(select(AuditLog.action)).scalars())
    assert {"order.waiting", "order.hand_out", "activation.request"} <= actions


def test_cancel_after_hand_out_is_refused(session, world):
    customer, near = world["customer"], world["near"]
    order = orders.place_order(session, customer, _form(world))
    form = partner_orders.sale_form_for(session, near.actor, order.id)
    partner_orders.hand_out_order(session, near.actor, order.id, world["near_stock"].id, form)
    session.commit()
    with pytest.raises(DomainError) as err:
        orders.cancel_order(session, customer, order.id)
    assert err.value.code == "orders.error.not_cancellable"


def test_another_partner_can_neither_see_nor_hand_out_nor_reject(session, world):
    order = orders.place_order(session, world["customer"], _form(world))
    session.commit()
    far = world["far"].actor
    with pytest.raises(NotFound):
        orders.order_detail(session, far, order.id)
    with pytest.raises(NotFound):
        partner_orders.hand_out_order(
            session, far, order.id, world["far_stock"].id, cabinet.SaleForm()
        )
    with pytest.raises(NotFound):
        orders.reject_order(session, far, order.id, "нет")
    with pytest.raises(NotFound):
        orders.mark_waiting(session, far, order.id)
    session.rollback()
    assert session.get(SimOrder, order.id).status == "new"
    assert session.get(Sim, world["far_stock"].id).status == "in_stock"


def test_the_partner_hands_out_only_its_own_stock(session, world):
    near = world["near"]
    order = orders.place_order(session, world["customer"], _form(world))
    form = partner_orders.sale_form_for(session, near.actor, order.id)
    session.commit()
    with pytest.raises(PermissionDenied):
        partner_orders.hand_out_order(session, near.actor, order.id, world["far_stock"].id, form)
    session.rollback()
    assert session.get(SimOrder, order.id).status == "new"


def test_another_subscriber_cannot_see_or_cancel(session, world):
    order = orders.place_order(session, world["customer"], _form(world))
    session.commit()
    with pytest.raises(NotFound):
        orders.order_detail(session, world["other"], order.id)
    with pytest.raises(NotFound):
        orders.cancel_order(session, world["other"], order.id)
    assert orders.my_orders(session, world["other"]) == []
    assert [o.id for o in orders.my_orders(session, world["customer"])] == [order.id]


def test_the_partner_rejects_with_a_reason_the_customer_reads(session, world):
    order = orders.place_order(session, world["customer"], _form(world))
    session.commit()
    with pytest.raises(ValidationError):
        orders.reject_order(session, world["near"].actor, order.id, " ")
    session.rollback()
    done = orders.reject_order(session, world["near"].actor, order.id, "Нет в наличии")
    session.commit()
    assert done.status == "rejected" and done.reason == "Нет в наличии"
    body = session.execute(
        select(Notification.body)
        .where(Notification.kind == "order_status")
        .order_by(Notification.id.desc())
    ).scalar()
    assert "Нет в наличии" in body
    assert "order.reject" in set(session.execute(select(AuditLog.action)).scalars())


def test_a_rejected_activation_rejects_the_order_and_a_withdrawn_one_reopens_it(session, world):
    near = world["near"]
    order = orders.place_order(session, world["customer"], _form(world))
    form = partner_orders.sale_form_for(session, near.actor, order.id)
    handed = partner_orders.hand_out_order(
        session, near.actor, order.id, world["near_stock"].id, form
    )
    session.commit()
    cabinet.cancel_request(session, near.actor, handed.activation_request_id)
    session.commit()
    reopened = orders.order_detail(session, world["customer"], order.id)
    assert reopened.status == "new" and reopened.sim_id is None
    again = partner_orders.hand_out_order(
        session, near.actor, order.id, world["near_stock"].id, form
    )
    session.commit()
    activations.reject_activation(session, world["admin"], again.activation_request_id, "Брак")
    session.commit()
    final = orders.order_detail(session, world["customer"], order.id)
    assert final.status == "rejected" and final.reason == "Брак"


# -- the delivery way ---------------------------------------------------------------------------------
def test_delivery_shipped_delivered_approved_active(session, world):
    customer, admin = world["customer"], world["admin"]
    order = orders.place_order(session, customer, _delivery(world))
    session.commit()
    assert order.partner_id is None and order.address.startswith("ул. Садовая")
    stock = orders.delivery_stock(session, admin)
    assert [c.id for c in stock] == [world["operator_stock"].id]  # partners' stock is theirs
    with pytest.raises(ValidationError):
        orders.ship_order(session, admin, order.id, world["near_stock"].id)
    session.rollback()
    shipped = orders.ship_order(session, admin, order.id, world["operator_stock"].id)
    session.commit()
    assert shipped.status == "shipped" and shipped.can_deliver
    assert session.get(Sim, world["operator_stock"].id).status == "awaiting_activation"
    delivered = orders.deliver_order(session, admin, order.id)
    session.commit()
    assert delivered.status == "handed_out"
    activations.approve_activation(session, admin, delivered.activation_request_id)
    session.commit()
    done = orders.order_detail(session, customer, order.id)
    assert done.status == "active" and done.can_topup
    sim = session.get(Sim, world["operator_stock"].id)
    assert sim.subscriber_id == customer.subscriber_id
    assert _steps(session, order.id) == ["new", "shipped", "handed_out", "active"]
    actions = set(session.execute(select(AuditLog.action)).scalars())
    assert {"order.ship", "order.deliver", "activation.approve"} <= actions


def test_cancelling_a_shipped_order_puts_the_sim_back(session, world):
    order = orders.place_order(session, world["customer"], _delivery(world))
    orders.ship_order(session, world["admin"], order.id, world["operator_stock"].id)
    session.commit()
    done = orders.cancel_order(session, world["customer"], order.id)
    session.commit()
    assert done.status == "cancelled"
    assert session.get(Sim, world["operator_stock"].id).status == "in_stock"
    with pytest.raises(DomainError):
        orders.cancel_order(session, world["customer"], order.id)


def test_a_partner_or_a_support_operator_cannot_ship(session, factory, world):
    order = orders.place_order(session, world["customer"], _delivery(world))
    session.commit()
    for actor in (world["near"].actor, factory.support(), world["customer"]):
        with pytest.raises((PermissionDenied, NotFound)):
            orders.ship_order(session, actor, order.id, world["operator_stock"].id)
        session.rollback()
    assert session.get(SimOrder, order.id).status == "new"


# -- the lists -------------------------------------------------------------------------------------
def test_the_admin_list_filters_by_status_and_way_and_the_partner_sees_its_pickups(session, world):
    pickup = orders.place_order(session, world["customer"], _form(world))
    delivery = orders.place_order(session, world["other"], _delivery(world, document_no="AB1234"))
    session.commit()

    def ids(actor, spec, **filters):
        page = fetch_page(session, actor, spec, ListQuery(filters=filters, page_size=100))
        return {row["id"] for row in page.rows}

    admin = world["admin"]
    assert ids(admin, ORDER_LIST) == {pickup.id, delivery.id}
    assert ids(admin, ORDER_LIST, way="delivery") == {delivery.id}
    assert ids(admin, ORDER_LIST, status="new", way="pickup") == {pickup.id}
    assert ids(world["near"].actor, PARTNER_ORDER_LIST) == {pickup.id}
    assert ids(world["far"].actor, PARTNER_ORDER_LIST) == set()
    with pytest.raises(PermissionDenied):
        ids(world["customer"], ORDER_LIST)
    with pytest.raises(PermissionDenied):
        ids(admin, PARTNER_ORDER_LIST)


def test_an_order_needs_the_consent_and_records_it_with_the_order(session, world):
    from paysim_app.models import ConsentRecord

    with pytest.raises(ValidationError) as err:
        orders.place_order(session, world["customer"], _form(world, consent=False))
    assert (err.value.code, err.value.field) == ("consent.order_required", "consent")
    session.rollback()
    view = orders.place_order(session, world["customer"], _form(world), ip="192.0.2.1")
    session.commit()
    rows = session.exec(select(ConsentRecord).where(ConsentRecord.source == "sim_order")).all()
    assert sorted((r.doc, r.reference, r.ip) for r in rows) == [
        ("personal_data", f"sim_order:{view.id}", "192.0.2.1"),
        ("terms", f"sim_order:{view.id}", "192.0.2.1"),
    ]
    assert {r.user_id for r in rows} == {world["customer"].user_id}
