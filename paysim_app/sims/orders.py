"""SIM orders: a signed-in subscriber orders a new SIM on a tariff, picked up at a partner
(dealer) of their settlement or delivered to an address, and follows it in the cabinet.

The way of an order (models.orders.SimOrder, its timeline in SimOrderEvent):

- pick-up: new -> waiting (the partner has it ready; optional) -> handed_out -> active. The
  partner hands a SIM of its stock out with the existing sale (partners.orders.hand_out_order
  runs partners.cabinet.sell_sim for the order's contract and calls bind_handed_out here);
- delivery: new -> shipped (an admin took a SIM of the operator's stock: ship_order) ->
  handed_out (delivered: deliver_order files the activation request) -> active;
- an admin approving the activation request (sims.activations.approve_activation) makes the
  order active and the SIM the ordering contract's; a rejected request rejects the order with
  its reason, a withdrawn one puts the order back to `new` for another SIM;
- the customer cancels while nothing was handed out (new, waiting, shipped: a shipped SIM goes
  back to stock); an admin, or the pick-up partner, rejects it with a reason.

Every change of status notifies the customer (kind `order_status`) and adds a timeline step;
staff's changes are audited. One order per person a minute: a second submit within
DOUBLE_SUBMIT_SECONDS of the contract's last (not cancelled) order returns that order.

Partners "near" a settlement are the active partners whose address mentions the settlement's
name (any letter case): partners have no coordinates, so they come by name. (When the coverage
context offers settlements with ids, its name is what is matched.) None: only delivery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session

from paysim_app.accounts import consent
from paysim_app.billing import prepayments, topups
from paysim_app.core import audit, notify
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.checks import normalise_document
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.core.listing import (
    ExportColumn,
    FilterDef,
    ListSpec,
    SearchField,
    contains,
    date_range,
    digits,
    id_filter,
    phone_part,
)
from paysim_app.core.logins import normalise_phone
from paysim_app.core.permissions import Actor, require
from paysim_app.core.text_search import sim_number_part
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import phone
from paysim_app.models import (
    ActivationRequest,
    Partner,
    Payment,
    Sim,
    SimOrder,
    SimOrderEvent,
    Subscriber,
    Tariff,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.models.orders import ORDER_OPEN, ORDER_STATUSES, ORDER_WAYS
from paysim_app.models.subscribers import DOCUMENT_TYPES
from paysim_app.payments import Gateway
from paysim_app.sims import activations

DOUBLE_SUBMIT_SECONDS = 60
NAME_MAX = 200
SETTLEMENT_MAX = 120
ADDRESS_MAX = 300
MY_ORDERS = 20  # the cabinet shows the latest orders
PARTNER_CHOICES = 50
STOCK_CHOICES = 50
# who may still hand the order out, ship it, mark it waiting
PICKUP_OPEN = ("new", "waiting")


# -- the customer's form -------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderForm:
    tariff_id: str = ""
    customer_name: str = ""
    phone: str = ""
    document_type: str = "passport"
    document_no: str = ""
    settlement: str = ""
    way: str = ""  # pickup | delivery
    partner_id: str = ""
    address: str = ""
    # the customer consents to the processing of the order's personal data and accepts the
    # service terms (accounts.consent): no order without it
    consent: bool = False


@dataclass(frozen=True)
class Choice:
    id: int
    name: str
    detail: str = ""  # a partner's address; a tariff's fee in kopecks as text
    fee_kop: int = 0


@dataclass(frozen=True)
class OrderStep:
    status: str
    at: datetime
    note: str


@dataclass(frozen=True)
class OrderView:
    id: int
    status: str
    way: str
    created_at: datetime
    tariff_id: int
    tariff_name: str
    tariff_fee_kop: int
    customer_name: str
    customer_phone: str
    document_type: str
    document_no: str
    settlement: str
    partner_id: int | None
    partner_name: str
    partner_address: str
    address: str
    reason: str
    sim_id: int | None
    msisdn: str
    iccid: str
    activation_request_id: int | None
    subscriber_id: int
    contract_no: str
    steps: tuple[OrderStep, ...] = field(default_factory=tuple)
    can_cancel: bool = False  # the customer may still cancel
    can_topup: bool = False  # the SIM is on the contract and working: the top-up flow takes it
    can_ship: bool = False  # an admin may assign a SIM and ship (delivery, new)
    can_deliver: bool = False  # an admin may mark it delivered (shipped)
    can_hand_out: bool = False  # the partner may hand a SIM out (pick-up, new or waiting)
    can_reject: bool = False  # the actor may reject it
    # the first top-up paid with the order (billing.prepayments), held on it until its SIM:
    # amount and state (pending | held | credited | refund_due | refunded | failed | expired)
    prepaid_kop: int = 0
    prepaid_state: str = ""
    prepaid_refunded_kop: int = 0
    prepaid_decline: str = ""
    can_prepay: bool = False  # the customer may pay the first top-up now
    prepay_suggested_kop: int = 0  # the tariff's fee, within the top-up's limits


def _order_id(order_id: object) -> int:
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise NotFound("orders.error.not_found")
    return order_id


def _contract(session: Session, actor: Actor) -> Subscriber:
    if actor is None or actor.role != "subscriber" or actor.subscriber_id is None:
        raise PermissionDenied()
    sub = session.get(Subscriber, actor.subscriber_id)
    if sub is None or sub.status != "active":
        raise PermissionDenied()
    return sub


def _text(raw: object, field_name: str, max_len: int, code: str, *, min_len: int = 0) -> str:
    text = " ".join(str(raw or "").split())
    if len(text) < min_len:
        raise ValidationError(code, field=field_name)
    if len(text) > max_len:
        raise ValidationError("orders.error.too_long", field=field_name, max=max_len)
    return text


def _id(raw: object) -> int | None:
    text = str(raw or "").strip()
    return int(text) if re.fullmatch(r"\d{1,12}", text) else None


def _orderable_tariff(session: Session, raw: object) -> Tariff:
    tariff_id = _id(raw)
    tariff = session.get(Tariff, tariff_id) if tariff_id else None
    if tariff is None or not tariff.is_public:
        raise ValidationError("orders.error.tariff", field="tariff_id")
    if tariff.is_archived:
        raise ValidationError("orders.error.tariff_archived", field="tariff_id", name=tariff.name)
    return tariff


def _partners_near_select(settlement: str):
    return (
        select(Partner.id, Partner.name, Partner.address)
        .where(Partner.is_active.is_(True), Partner.address != "")
        .where(contains(Partner.address, settlement))
        .order_by(Partner.name, Partner.id)
    )


# -- choices of the form ---------------------------------------------------------------------------
@verb
def order_tariffs(session: Session, actor: Actor) -> list[Choice]:
    """Tariffs a customer may order: public and not archived, cheapest first."""
    _contract(session, actor)
    rows = session.execute(
        select(Tariff.id, Tariff.name, Tariff.monthly_fee_kop)
        .where(Tariff.is_public.is_(True), Tariff.is_archived.is_(False))
        .order_by(Tariff.monthly_fee_kop, Tariff.name)
    ).all()
    return [Choice(i, n, fee_kop=f) for i, n, f in rows]


@verb
def pickup_partners(session: Session, actor: Actor, settlement: str) -> list[Choice]:
    """The active partners whose address mentions the settlement (any letter case), by name;
    empty for a settlement shorter than 2 letters or without one: only delivery then."""
    _contract(session, actor)
    name = " ".join(str(settlement or "").split())[:SETTLEMENT_MAX]
    if len(name) < 2:
        return []
    rows = session.execute(_partners_near_select(name).limit(PARTNER_CHOICES)).all()
    return [Choice(i, n, a) for i, n, a in rows]


@verb
def order_prefill(session: Session, actor: Actor) -> OrderForm:
    """What the form starts with: the contract's name, phone and document."""
    sub = _contract(session, actor)
    user = session.get(User, actor.user_id)
    return OrderForm(
        customer_name=sub.full_name or (user.full_name if user else ""),
        phone=phone(sub.phone or (user.phone if user else "") or ""),
        document_type=sub.document_type or "passport",
        document_no=sub.document_no,
    )


# -- placing and cancelling (the customer) -----------------------------------------------------------
def _step(session: Session, order: SimOrder, actor: Actor | None, note: str = "") -> None:
    session.add(
        SimOrderEvent(
            order_id=order.id,
            status=order.status,
            note=note[:500],
            by_user_id=actor.user_id if actor else None,
        )
    )


def _tell_customer(session: Session, order: SimOrder) -> bool:
    """The customer hears of the order's new status, in their language."""
    user = session.get(User, order.user_id)
    if user is None or not user.is_active:
        return False
    loc = user.locale
    note = (
        t("orders.reason_note", loc, reason=order.reason)
        if order.status == "rejected" and order.reason
        else ""
    )
    return notify.notify_user(
        session,
        user.id,
        "order_status",
        {
            "no": order.id,
            "status": t(f"orders.status.{order.status}", loc),
            "next": t(f"orders.next.{order.way}.{order.status}", loc),
            "note": note,
        },
        locale=loc,
        dedup_key=f"order_status:{order.id}:{order.status}",
    )


def _move(
    session: Session,
    order: SimOrder,
    actor: Actor | None,
    allowed: tuple[str, ...],
    status: str,
    *,
    note: str = "",
    code: str = "orders.error.not_allowed",
    **values,
) -> None:
    """Compare-and-set: the order moves to `status` only from one of `allowed`."""
    done = session.execute(
        update(SimOrder)
        .where(SimOrder.id == order.id, SimOrder.status.in_(allowed))
        .values(status=status, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError(code)
    session.expire(order)
    session.refresh(order)
    _step(session, order, actor, note)
    session.flush()
    _tell_customer(session, order)


def _recent(session: Session, sub: Subscriber) -> SimOrder | None:
    since = utcnow() - timedelta(seconds=DOUBLE_SUBMIT_SECONDS)
    return (
        session.execute(
            select(SimOrder)
            .where(
                SimOrder.subscriber_id == sub.id,
                SimOrder.created_at >= since,
                SimOrder.status != "cancelled",
            )
            .order_by(SimOrder.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


@verb
def place_order(
    session: Session, actor: Actor, form: OrderForm, ip: str = "", user_agent: str = ""
) -> OrderView:
    """The signed-in subscriber orders a SIM. Field errors name the field; a second order of
    the same person within a minute is the first one again (a double submit). The consent
    ticked with it (personal data, terms) is recorded with the order (source sim_order)."""
    sub = _contract(session, actor)
    tariff = _orderable_tariff(session, form.tariff_id)
    name = _text(form.customer_name, "customer_name", NAME_MAX, "orders.error.name", min_len=2)
    phone_no = normalise_phone(str(form.phone or ""))
    if phone_no is None:
        raise ValidationError("orders.error.phone", field="phone")
    doc_type = str(form.document_type or "")
    if doc_type not in DOCUMENT_TYPES:
        raise ValidationError("orders.error.document_type", field="document_type")
    if not str(form.document_no or "").strip():
        raise ValidationError("orders.error.document_missing", field="document_no")
    document = normalise_document(str(form.document_no))
    if document is None:
        raise ValidationError("orders.error.document", field="document_no")
    settlement = _text(form.settlement, "settlement", SETTLEMENT_MAX, "orders.error.settlement")
    way = str(form.way or "")
    if way not in ORDER_WAYS:
        raise ValidationError("orders.error.way", field="way")
    if form.consent is not True:
        raise ValidationError("consent.order_required", field="consent")
    partner_id, address = None, ""
    if way == "pickup":
        wanted = _id(form.partner_id)
        near = {p.id for p in pickup_partners(session, actor, settlement)}
        if wanted is None or wanted not in near:
            raise ValidationError("orders.error.partner", field="partner_id")
        partner_id = wanted
    else:
        if len(settlement) < 2:
            raise ValidationError("orders.error.settlement", field="settlement")
        address = _text(form.address, "address", ADDRESS_MAX, "orders.error.address", min_len=5)
    # one order per person a minute: the contract's row is the lock two submits queue on
    activations.lock_row(session, Subscriber, sub.id)
    previous = _recent(session, sub)
    if previous is not None:
        return order_detail(session, actor, previous.id)
    order = SimOrder(
        subscriber_id=sub.id,
        user_id=actor.user_id,
        tariff_id=tariff.id,
        customer_name=name,
        customer_phone=phone_no,
        document_type=doc_type,
        document_no=document,
        settlement=settlement,
        way=way,
        partner_id=partner_id,
        address=address,
    )
    session.add(order)
    session.flush()
    consent.record_consents(
        session,
        personal_data=True,
        terms=True,
        source="sim_order",
        user_id=actor.user_id,
        subscriber_id=sub.id,
        reference=f"sim_order:{order.id}",
        ip=ip,
        user_agent=user_agent,
    )
    _step(session, order, actor)
    session.flush()
    _tell_customer(session, order)
    notify.tell_queue(session, "order_new", order.id, no=order.id, customer=name, way=way)
    if partner_id is not None:
        notify.notify_partner(
            session,
            partner_id,
            "partner_order_new",
            {"no": order.id, "customer": name, "tariff": tariff.name},
            dedup_key=f"partner_order_new:{order.id}",
        )
    return order_detail(session, actor, order.id)


def _back_to_stock(session: Session, order: SimOrder) -> None:
    """A shipped SIM of a cancelled or rejected order returns to the shelf."""
    if order.sim_id is None or order.activation_request_id is not None:
        return
    sim = activations.lock_row(session, Sim, order.sim_id)
    if (
        sim is not None
        and sim.subscriber_id is None
        and lifecycle.allows(sim.status, "cancel_sale")
    ):
        lifecycle.cancel_sale(sim)
        sim.updated_at = utcnow()


@verb
def cancel_order(session: Session, actor: Actor, order_id: int) -> OrderView:
    """The customer withdraws their order while no SIM was handed out."""
    sub = _contract(session, actor)
    order = activations.lock_row(session, SimOrder, _order_id(order_id))
    if order is None or order.subscriber_id != sub.id:
        raise NotFound("orders.error.not_found")
    if order.status not in ORDER_OPEN:
        raise DomainError("orders.error.not_cancellable")
    _back_to_stock(session, order)
    _move(session, order, actor, ORDER_OPEN, "cancelled", code="orders.error.not_cancellable")
    prepayments.give_back(session, None, order.id)
    return order_detail(session, actor, order.id)


# -- staff: who may touch an order ---------------------------------------------------------------
def _staff_order(session: Session, actor: Actor, order_id: object) -> SimOrder:
    """The order, locked, if the actor may work it: an admin with activations.edit, or a user
    of the partner a pick-up order goes to. Anyone else: as if it did not exist."""
    order = activations.lock_row(session, SimOrder, _order_id(order_id))
    if order is None or not _may_work(actor, order):
        raise NotFound("orders.error.not_found")
    return order


def _may_work(actor: Actor | None, order: SimOrder) -> bool:
    if actor is None:
        return False
    if actor.role == "admin":
        return actor.can("activations.edit")
    return (
        actor.role == "partner"
        and actor.partner_id is not None
        and order.way == "pickup"
        and order.partner_id == actor.partner_id
    )


def _audit(session, actor, action: str, order: SimOrder, before: str, **after) -> None:
    audit.record(
        session,
        actor,
        f"order.{action}",
        "sim_order",
        order.id,
        {"status": before},
        {"status": order.status, **after},
    )


@verb
def mark_waiting(session: Session, actor: Actor, order_id: int) -> OrderView:
    """The pick-up partner (or an admin) has the SIM ready: the customer may come."""
    order = _staff_order(session, actor, order_id)
    if order.way != "pickup":
        raise DomainError("orders.error.not_allowed")
    _move(session, order, actor, ("new",), "waiting")
    _audit(session, actor, "waiting", order, "new")
    return order_detail(session, actor, order.id)


@verb
def reject_order(session: Session, actor: Actor, order_id: int, reason: str) -> OrderView:
    """An admin, or the pick-up partner, refuses the order with a reason the customer reads."""
    reason = activations.clean_reason(reason)
    order = _staff_order(session, actor, order_id)
    before = order.status
    if before not in ORDER_OPEN:
        raise DomainError("orders.error.not_allowed")
    _back_to_stock(session, order)
    _move(session, order, actor, ORDER_OPEN, "rejected", note=reason, reason=reason)
    _audit(session, actor, "reject", order, before, reason=reason)
    prepayments.give_back(session, None, order.id)
    return order_detail(session, actor, order.id)


@verb
def delivery_stock(session: Session, actor: Actor, search: str = "") -> list[Choice]:
    """The operator's own in-stock SIMs (no partner's) an admin may ship, by number; narrowed by
    a number or ICCID fragment."""
    require(actor, "activations.edit")
    stmt = select(Sim.id, Sim.msisdn, Sim.iccid).where(
        Sim.status == "in_stock", Sim.partner_id.is_(None), Sim.subscriber_id.is_(None)
    )
    d = digits(search or "")
    if d:
        part = phone_part(search)
        match = or_(Sim.msisdn.like(f"%{part}%"), Sim.iccid.like(f"%{d}%"))
        stmt = stmt.where(sim_number_part(Sim, part, match))
    rows = session.execute(stmt.order_by(Sim.msisdn).limit(STOCK_CHOICES)).all()
    return [Choice(i, m, c) for i, m, c in rows]


@verb
def ship_order(session: Session, actor: Actor, order_id: int, sim_id: int) -> OrderView:
    """Delivery: an admin takes a SIM of the operator's stock for the order and sends it; the
    SIM waits for activation, reserved."""
    require(actor, "activations.edit")
    order = _staff_order(session, actor, order_id)
    if order.way != "delivery" or order.status != "new":
        raise DomainError("orders.error.not_allowed")
    valid = isinstance(sim_id, int) and not isinstance(sim_id, bool)
    sim = activations.lock_row(session, Sim, sim_id) if valid else None
    if (
        sim is None
        or sim.partner_id is not None
        or sim.subscriber_id is not None
        or not lifecycle.allows(sim.status, "sell")
    ):
        raise ValidationError("orders.error.sim_not_in_stock", field="sim_id")
    moved = session.execute(
        lifecycle.statement("sell", Sim.id == sim.id, updated_at=utcnow()).execution_options(
            synchronize_session=False
        )
    )
    if moved.rowcount != 1:
        raise ValidationError("orders.error.sim_not_in_stock", field="sim_id")
    session.expire(sim)
    _move(session, order, actor, ("new",), "shipped", note=sim.msisdn, sim_id=sim.id)
    _audit(session, actor, "ship", order, "new", sim_id=sim.id)
    return order_detail(session, actor, order.id)


def _file_request(session: Session, actor: Actor, order: SimOrder, partner_id=None) -> int:
    request = ActivationRequest(
        sim_id=order.sim_id,
        requester_user_id=actor.user_id,
        subscriber_id=order.subscriber_id,
        partner_id=partner_id,
        tariff_id=order.tariff_id,
        customer_name=order.customer_name,
        customer_phone=order.customer_phone,
        customer_document=order.document_no,
    )
    session.add(request)
    session.flush()
    return request.id


@verb
def deliver_order(session: Session, actor: Actor, order_id: int) -> OrderView:
    """Delivery: the SIM reached the customer. Its activation request joins the queue (for the
    ordering contract); the order waits there as handed out."""
    require(actor, "activations.edit")
    order = _staff_order(session, actor, order_id)
    if order.way != "delivery" or order.status != "shipped" or order.sim_id is None:
        raise DomainError("orders.error.not_allowed")
    sim = session.get(Sim, order.sim_id)
    request_id = _file_request(session, actor, order)
    _move(
        session,
        order,
        actor,
        ("shipped",),
        "handed_out",
        note=sim.msisdn if sim else "",
        activation_request_id=request_id,
    )
    _audit(session, actor, "deliver", order, "shipped", activation_request_id=request_id)
    notify.tell_queue(session, "activation_new", request_id, msisdn=sim.msisdn if sim else "")
    return order_detail(session, actor, order.id)


@verb
def order_for_hand_out(session: Session, actor: Actor, order_id: int) -> OrderView:
    """The pick-up partner's look at an order it may hand out (what the sale form is filled
    with); refused for any other."""
    order = session.get(SimOrder, _order_id(order_id))
    if order is None or actor is None or actor.role != "partner" or not _may_work(actor, order):
        raise NotFound("orders.error.not_found")
    if order.status not in PICKUP_OPEN:
        raise DomainError("orders.error.not_allowed")
    return order_detail(session, actor, order.id)


@verb
def bind_handed_out(session: Session, actor: Actor, order_id: int, request_id: int) -> OrderView:
    """The pick-up partner sold a SIM for the order (partners.orders.hand_out_order): the
    order is handed out and waits for the activation. The request must be this partner's, for
    the order's contract, and pending."""
    order = _staff_order(session, actor, order_id)
    if actor.role != "partner" or order.status not in PICKUP_OPEN:
        raise DomainError("orders.error.not_allowed")
    request = session.get(ActivationRequest, request_id)
    if (
        request is None
        or request.partner_id != actor.partner_id
        or request.subscriber_id != order.subscriber_id
        or request.status != "pending"
    ):
        raise PermissionDenied()
    sim = session.get(Sim, request.sim_id)
    before = order.status
    _move(
        session,
        order,
        actor,
        PICKUP_OPEN,
        "handed_out",
        note=sim.msisdn if sim else "",
        sim_id=request.sim_id,
        activation_request_id=request.id,
    )
    _audit(session, actor, "hand_out", order, before, activation_request_id=request.id)
    return order_detail(session, actor, order.id)


def _activation_decided(session: Session, request: ActivationRequest, outcome: str) -> None:
    """sims.activations tells the order bound to a decided request (if any): `approved` makes it
    active, `rejected` rejects it with the request's reason, `cancelled` (the partner withdrew
    the sale) puts it back to `new` for another SIM."""
    order = (
        session.execute(select(SimOrder).where(SimOrder.activation_request_id == request.id))
        .scalars()
        .first()
    )
    if order is None or order.status != "handed_out":
        return
    if outcome == "approved":
        _move(session, order, None, ("handed_out",), "active")
        # the SIM is the ordering contract's now: the prepayment held on the order goes to its
        # balance in this same transaction (once: a repeated completion credits nothing)
        prepayments.credit_to_sim(session, order.id, request.sim_id)
    elif outcome == "rejected":
        reason = request.reason or ""
        _move(session, order, None, ("handed_out",), "rejected", note=reason, reason=reason)
        # a page still open is left to close (a payment made on it is given back when it
        # settles): nothing here may commit the decision half-way
        prepayments.give_back(session, None, order.id, close_page=False)
    elif outcome == "cancelled":
        _move(
            session,
            order,
            None,
            ("handed_out",),
            "new",
            sim_id=None,
            activation_request_id=None,
        )


activations.DECISION_LISTENERS.append(_activation_decided)


# -- reading ----------------------------------------------------------------------------------------
def _view(session: Session, actor: Actor, order: SimOrder) -> OrderView:
    tariff = session.get(Tariff, order.tariff_id)
    partner = session.get(Partner, order.partner_id) if order.partner_id else None
    sim = session.get(Sim, order.sim_id) if order.sim_id else None
    sub = session.get(Subscriber, order.subscriber_id)
    steps = session.execute(
        select(SimOrderEvent.status, SimOrderEvent.created_at, SimOrderEvent.note)
        .where(SimOrderEvent.order_id == order.id)
        .order_by(SimOrderEvent.id)
    ).all()
    mine = actor.role == "subscriber" and actor.subscriber_id == order.subscriber_id
    staff = _may_work(actor, order)
    is_admin = actor.role == "admin" and staff
    prepaid = prepayments.of_order(session, order.id)
    fee = tariff.monthly_fee_kop if tariff else 0
    return OrderView(
        id=order.id,
        status=order.status,
        way=order.way,
        created_at=order.created_at,
        tariff_id=order.tariff_id,
        tariff_name=tariff.name if tariff else "",
        tariff_fee_kop=tariff.monthly_fee_kop if tariff else 0,
        customer_name=order.customer_name,
        customer_phone=order.customer_phone,
        document_type=order.document_type,
        document_no=order.document_no,
        settlement=order.settlement,
        partner_id=order.partner_id,
        partner_name=partner.name if partner else "",
        partner_address=partner.address if partner else "",
        address=order.address,
        reason=order.reason,
        sim_id=order.sim_id,
        msisdn=sim.msisdn if sim else "",
        iccid=sim.iccid if sim else "",
        activation_request_id=order.activation_request_id,
        subscriber_id=order.subscriber_id,
        contract_no=sub.contract_no if sub else "",
        steps=tuple(OrderStep(s, at, n) for s, at, n in steps),
        can_cancel=mine and order.status in ORDER_OPEN,
        can_topup=(
            mine
            and sim is not None
            and sim.subscriber_id == order.subscriber_id
            and sim.status in lifecycle.WORKING
        ),
        can_ship=is_admin and order.way == "delivery" and order.status == "new",
        can_deliver=is_admin and order.way == "delivery" and order.status == "shipped",
        can_hand_out=(actor.role == "partner" and staff and order.status in PICKUP_OPEN),
        can_reject=staff and order.status in ORDER_OPEN,
        prepaid_kop=prepaid.amount_kop if prepaid and prepaid.state in _PAID else 0,
        prepaid_state=prepaid.state if prepaid else "",
        prepaid_refunded_kop=prepaid.refunded_kop if prepaid else 0,
        prepaid_decline=(prepaid.decline_code or "") if prepaid else "",
        can_prepay=(
            mine
            and order.status in ORDER_OPEN
            and (prepaid is None or prepaid.state in (*_TRIED, "pending"))
        ),
        prepay_suggested_kop=min(max(fee, topups.MIN_KOP), topups.MAX_KOP),
    )


# a prepayment attempt that took nothing: another may be paid
_TRIED = ("failed", "expired")
# a prepayment the card paid (held, on the SIM, or given back)
_PAID = ("held", "credited", "refund_due", "refunded")


def _own_order(session: Session, actor: Actor, order_id: object) -> SimOrder:
    """The customer's own order; anyone else's (or none): not found. Not locked: the
    provider's page is asked for next, which the sandbox keeps in this database (SQLite has one
    writer); an order that moves on meanwhile settles its prepayment itself (billing.
    prepayments: credited or given back when it settles)."""
    sub = _contract(session, actor)
    order = session.get(SimOrder, _order_id(order_id))
    if order is None or order.subscriber_id != sub.id:
        raise NotFound("orders.error.not_found")
    return order


@verb
def pay_prepayment(
    session: Session,
    actor: Actor,
    gateway: Gateway,
    order_id: int,
    amount_kop: int,
    request_key: str,
    locale: str = "ru",
) -> prepayments.Prepayment:
    """The customer pays the first top-up of their open order now, on the provider's hosted
    page (the answer's `redirect_url`), the top-up's card checkout; the money is held on the
    order until its SIM (billing.prepayments). Another's order: not found; an order no longer
    open: refused; the amount within the top-up's limits; one prepayment per order."""
    order = _own_order(session, actor, order_id)
    if order.status not in ORDER_OPEN:
        raise DomainError("prepay.error.order_closed")
    if isinstance(amount_kop, bool) or not isinstance(amount_kop, int):
        raise ValidationError("topup.error.amount", field="amount")
    return prepayments.start(
        session,
        gateway,
        order_id=order.id,
        subscriber_id=order.subscriber_id,
        payer_user_id=actor.user_id,
        amount_kop=amount_kop,
        request_key=request_key,
        locale="en" if locale == "en" else "ru",
    )


@verb
def prepayment_result(
    session: Session,
    actor: Actor,
    gateway: Gateway,
    order_id: int,
    payment_id: int,
    abandoned: bool = False,
) -> OrderView:
    """Back on the order's page from the hosted page: what became of the prepayment (asked of
    the provider, so the page is right before the webhook). Another's order or payment: the
    provider is asked nothing."""
    order = _own_order(session, actor, order_id)
    valid = isinstance(payment_id, int) and not isinstance(payment_id, bool)
    if valid:
        prepayments.follow(session, gateway, order.id, payment_id, abandoned=abandoned is True)
    return order_detail(session, actor, order.id)


@verb
def order_detail(session: Session, actor: Actor, order_id: int) -> OrderView:
    """One order with its timeline, for its customer, an admin who may see the activation
    queue, or the partner it is to be picked up at; anyone else: not found."""
    order = session.get(SimOrder, _order_id(order_id))
    if order is None or actor is None:
        raise NotFound("orders.error.not_found")
    allowed = (
        (actor.role == "subscriber" and actor.subscriber_id == order.subscriber_id)
        or (actor.role == "admin" and actor.can("activations.view"))
        or (
            actor.role == "partner"
            and actor.partner_id is not None
            and order.partner_id == actor.partner_id
        )
    )
    if not allowed:
        raise NotFound("orders.error.not_found")
    return _view(session, actor, order)


@dataclass(frozen=True)
class OrderSummary:
    id: int
    status: str
    way: str
    created_at: datetime
    tariff_name: str
    partner_name: str
    msisdn: str


@verb
def my_orders(session: Session, actor: Actor) -> list[OrderSummary]:
    """The subscriber's latest orders, newest first."""
    sub = _contract(session, actor)
    rows = session.execute(
        select(
            SimOrder.id,
            SimOrder.status,
            SimOrder.way,
            SimOrder.created_at,
            Tariff.name,
            Partner.name,
            Sim.msisdn,
        )
        .select_from(SimOrder)
        .join(Tariff, Tariff.id == SimOrder.tariff_id)
        .outerjoin(Partner, Partner.id == SimOrder.partner_id)
        .outerjoin(Sim, Sim.id == SimOrder.sim_id)
        .where(SimOrder.subscriber_id == sub.id)
        .order_by(SimOrder.id.desc())
        .limit(MY_ORDERS)
    ).all()
    return [OrderSummary(i, s, w, c, tn or "", pn or "", m or "") for i, s, w, c, tn, pn, m in rows]


# -- the lists (admin: every order; partner: the pick-ups at it) -------------------------------------
def _order_columns(actor: Actor | None = None):
    return (
        select(
            SimOrder.id.label("id"),
            SimOrder.created_at.label("created_at"),
            SimOrder.status.label("status"),
            SimOrder.way.label("way"),
            SimOrder.customer_name.label("customer_name"),
            SimOrder.customer_phone.label("customer_phone"),
            SimOrder.settlement.label("settlement"),
            SimOrder.address.label("address"),
            SimOrder.partner_id.label("partner_id"),
            Partner.name.label("partner_name"),
            Tariff.name.label("tariff_name"),
            Sim.msisdn.label("msisdn"),
            Subscriber.contract_no.label("contract_no"),
            SimOrder.reason.label("reason"),
            # the first top-up paid with the order (billing.prepayments): the one the card paid
            select(Payment.amount_kop)
            .where(Payment.order_id == SimOrder.id, Payment.status.in_(("succeeded", "refunded")))
            .limit(1)
            .scalar_subquery()
            .label("prepaid_kop"),
        )
        .select_from(SimOrder)
        .join(Tariff, Tariff.id == SimOrder.tariff_id)
        .join(Subscriber, Subscriber.id == SimOrder.subscriber_id)
        .outerjoin(Partner, Partner.id == SimOrder.partner_id)
        .outerjoin(Sim, Sim.id == SimOrder.sim_id)
    )


def _search_orders(stmt, text: str):
    """A phone (any part) of the customer or the SIM; otherwise the customer's name, the
    document or the settlement."""
    d = digits(text)
    if d and re.fullmatch(r"[\d\s()+-]+", text):
        part = phone_part(text)
        return stmt.where(
            or_(SimOrder.customer_phone.like(f"%{part}%"), Sim.msisdn.like(f"%{part}%"))
        )
    return stmt.where(
        or_(
            contains(SimOrder.customer_name, text),
            contains(SimOrder.document_no, text),
            contains(SimOrder.settlement, text),
        )
    )


_ORDER_FILTERS = (
    FilterDef("status", lambda s, v: s.where(SimOrder.status == v), "choice", ORDER_STATUSES),
    FilterDef("way", lambda s, v: s.where(SimOrder.way == v), "choice", ORDER_WAYS),
    *date_range(SimOrder.created_at, "date_from", "date_to"),
)
_ORDER_EXPORT = (
    ExportColumn("id", "orders.col.no"),
    ExportColumn("created_at", "orders.col.created", "time"),
    ExportColumn("status", "orders.col.status", "word", "orders.status."),
    ExportColumn("way", "orders.col.way", "word", "orders.way."),
    ExportColumn("customer_name", "orders.col.customer"),
    ExportColumn("customer_phone", "orders.col.phone"),
    ExportColumn("settlement", "orders.col.settlement"),
    ExportColumn("partner_name", "orders.col.partner"),
    ExportColumn("tariff_name", "orders.col.tariff"),
    ExportColumn("msisdn", "orders.col.sim"),
    ExportColumn("reason", "orders.col.reason"),
)
_ORDER_FIELDS = (
    SearchField(
        "status", SimOrder.status, "choice", "orders.col.status", ORDER_STATUSES, "orders.status."
    ),
    SearchField("way", SimOrder.way, "choice", "orders.col.way", ORDER_WAYS, "orders.way."),
    SearchField("customer", SimOrder.customer_name, "text", "orders.col.customer"),
    SearchField("settlement", SimOrder.settlement, "text", "orders.col.settlement"),
    SearchField("tariff", SimOrder.tariff_id, "ref", "orders.col.tariff", ref="tariff"),
    SearchField("created_at", SimOrder.created_at, "date", "orders.col.created"),
)

ORDER_LIST = ListSpec(
    name="sim_orders",
    address_prefix="ord_",  # the SIM orders' tab shares /admin/activations with two lists
    permission="activations.view",
    columns=_order_columns,
    sorts={"created_at": SimOrder.id, "status": SimOrder.status},
    default_sort="created_at",
    key=SimOrder.id,
    filters=(
        *_ORDER_FILTERS,
        FilterDef("partner", id_filter(SimOrder.partner_id), "text"),
    ),
    search=_search_orders,
    export=_ORDER_EXPORT,
    fields=(
        *_ORDER_FIELDS,
        SearchField("partner", SimOrder.partner_id, "ref", "orders.col.partner", ref="partner"),
    ),
)


def _require_partner(actor: Actor | None) -> Actor:
    if actor is None or actor.role != "partner" or actor.partner_id is None:
        raise PermissionDenied()
    return actor


def _partner_order_columns(actor: Actor):
    return _order_columns().where(
        SimOrder.partner_id == _require_partner(actor).partner_id, SimOrder.way == "pickup"
    )


PARTNER_ORDER_LIST = ListSpec(
    name="partner_orders",
    permission="partner",
    columns=_partner_order_columns,
    sorts={"created_at": SimOrder.id, "status": SimOrder.status},
    default_sort="created_at",
    key=SimOrder.id,
    filters=_ORDER_FILTERS,
    search=_search_orders,
    authorize=_require_partner,
    export=_ORDER_EXPORT,
    fields=_ORDER_FIELDS,
)
