"""The partner's (dealer's) own cabinet: its SIMs, the subscribers on them and its activation
requests, as lists over core.listing, plus selling an in-stock SIM to a walk-in customer.

Every list is scoped to the acting partner inside its SELECT (`columns(actor)` filters by
`actor.partner_id`) and its `authorize` refuses anyone who is not a partner user with a
partner: a partner never sees another partner's rows, and admins use their own sections.

sell_sim files an ActivationRequest for one of the partner's in-stock SIMs (the SIM waits in
awaiting_activation); an admin approves it with sims.activations.approve_activation, which
creates the contract and mails the customer a link to set a password. cancel_request withdraws a
pending one (sims.activations.cancel_activation checks the ownership).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlmodel import Session

from paysim_app.accounts import consent
from paysim_app.core import audit, notify
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.checks import normalise_document
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.core.listing import (
    ExportColumn,
    FilterDef,
    ListSpec,
    SearchField,
    contains,
    date_range,
    digits,
    phone_part,
)
from paysim_app.core.logins import normalise_email, normalise_phone
from paysim_app.core.permissions import Actor
from paysim_app.core.text_search import sim_number_part
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import ActivationRequest, Sim, Subscriber, Tariff
from paysim_app.models.base import utcnow
from paysim_app.models.requests import REQUEST_STATUSES
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.partners import performance
from paysim_app.sims import activations

NAME_MAX = 200
STOCK_CHOICES = 100  # in-stock SIMs the sale form offers at once (narrowed by a search)


# -- who may look ------------------------------------------------------------------------------
def require_partner(actor: Actor | None) -> Actor:
    """The actor if it is a partner user attached to a partner; PermissionDenied otherwise."""
    if actor is None or actor.role != "partner" or actor.partner_id is None:
        raise PermissionDenied()
    return actor


def _partner_id(actor: Actor) -> int:
    # columns() only ever runs after authorize; this keeps a bare call from listing everyone's
    return require_partner(actor).partner_id


# -- search shared by the lists ----------------------------------------------------------------
def _search_number(stmt, text: str):
    """A number (any part; +7 / 8 ignored) or ICCID; otherwise the subscriber's name."""
    d = digits(text)
    if d and re.fullmatch(r"[\d\s()+-]+", text):
        part = phone_part(text)
        match = or_(Sim.msisdn.like(f"%{part}%"), Sim.iccid.like(f"%{d}%"))
        return stmt.where(sim_number_part(Sim, part, match))
    return stmt.where(contains(Subscriber.full_name, text))


# -- the partner's SIMs --------------------------------------------------------------------------
def _sim_columns(actor: Actor):
    return (
        select(
            Sim.id.label("id"),
            Sim.msisdn.label("msisdn"),
            Sim.iccid.label("iccid"),
            Sim.status.label("status"),
            Sim.balance_kop.label("balance_kop"),
            Sim.activated_at.label("activated_at"),
            Tariff.name.label("tariff"),
            Subscriber.full_name.label("subscriber"),
        )
        .select_from(Sim)
        .outerjoin(Subscriber, Subscriber.id == Sim.subscriber_id)
        .outerjoin(Tariff, Tariff.id == Sim.tariff_id)
        .where(Sim.partner_id == _partner_id(actor))
    )


PARTNER_SIM_LIST = ListSpec(
    name="partner_sims",
    permission="partner",
    columns=_sim_columns,
    sorts={
        "created_at": Sim.id,
        "msisdn": Sim.msisdn,
        "activated_at": Sim.activated_at,
        "balance": Sim.balance_kop,
    },
    default_sort="created_at",
    key=Sim.id,
    filters=(
        FilterDef("status", lambda s, v: s.where(Sim.status == v), "choice", SIM_STATUSES),
        *date_range(Sim.activated_at, "activated_from", "activated_to"),
    ),
    search=_search_number,
    authorize=require_partner,
    export=(
        ExportColumn("msisdn", "partner_cabinet.col.msisdn"),
        ExportColumn("iccid", "partner_cabinet.col.iccid"),
        ExportColumn("status", "partner_cabinet.col.status", "word", "sim.status."),
        ExportColumn("tariff", "partner_cabinet.col.tariff"),
        ExportColumn("subscriber", "partner_cabinet.col.subscriber"),
        ExportColumn("balance_kop", "partner_cabinet.col.balance", "money"),
        ExportColumn("activated_at", "partner_cabinet.col.activated", "time"),
    ),
    fields=(
        SearchField("msisdn", Sim.msisdn, "text", "partner_cabinet.col.msisdn"),
        SearchField("iccid", Sim.iccid, "text", "partner_cabinet.col.iccid"),
        SearchField(
            "status",
            Sim.status,
            "choice",
            "partner_cabinet.col.status",
            SIM_STATUSES,
            "sim.status.",
        ),
        SearchField("tariff", Tariff.name, "text", "partner_cabinet.col.tariff"),
        SearchField("subscriber", Subscriber.full_name, "text", "partner_cabinet.col.subscriber"),
        SearchField("balance", Sim.balance_kop, "money", "partner_cabinet.col.balance"),
        SearchField("activated_at", Sim.activated_at, "date", "partner_cabinet.col.activated"),
    ),
)


# -- the subscribers on its SIMs (one row per SIM with a contract; no cards, no tickets) ----------
def _subscriber_columns(actor: Actor):
    return (
        select(
            Sim.id.label("id"),
            Subscriber.id.label("subscriber_id"),
            Subscriber.contract_no.label("contract_no"),
            Subscriber.full_name.label("name"),
            Subscriber.status.label("contract_status"),
            Sim.msisdn.label("msisdn"),
            Sim.status.label("status"),
            Sim.balance_kop.label("balance_kop"),
            Tariff.name.label("tariff"),
        )
        .select_from(Sim)
        .join(Subscriber, Subscriber.id == Sim.subscriber_id)
        .outerjoin(Tariff, Tariff.id == Sim.tariff_id)
        .where(Sim.partner_id == _partner_id(actor))
    )


PARTNER_SUBSCRIBER_LIST = ListSpec(
    name="partner_subscribers",
    permission="partner",
    columns=_subscriber_columns,
    sorts={"created_at": Sim.id, "name": Subscriber.full_name, "balance": Sim.balance_kop},
    default_sort="created_at",
    key=Sim.id,
    filters=(FilterDef("status", lambda s, v: s.where(Sim.status == v), "choice", SIM_STATUSES),),
    search=_search_number,
    authorize=require_partner,
    export=(
        ExportColumn("contract_no", "partner_cabinet.col.contract"),
        ExportColumn("name", "partner_cabinet.col.name"),
        ExportColumn("msisdn", "partner_cabinet.col.msisdn"),
        ExportColumn("status", "partner_cabinet.col.status", "word", "sim.status."),
        ExportColumn("tariff", "partner_cabinet.col.tariff"),
        ExportColumn("balance_kop", "partner_cabinet.col.balance", "money"),
    ),
    fields=(
        SearchField("contract_no", Subscriber.contract_no, "text", "partner_cabinet.col.contract"),
        SearchField("name", Subscriber.full_name, "text", "partner_cabinet.col.name"),
        SearchField("msisdn", Sim.msisdn, "text", "partner_cabinet.col.msisdn"),
        SearchField(
            "status",
            Sim.status,
            "choice",
            "partner_cabinet.col.status",
            SIM_STATUSES,
            "sim.status.",
        ),
        SearchField("tariff", Tariff.name, "text", "partner_cabinet.col.tariff"),
        SearchField("balance", Sim.balance_kop, "money", "partner_cabinet.col.balance"),
    ),
)


# -- its activation requests ----------------------------------------------------------------------
def _request_columns(actor: Actor):
    req = ActivationRequest
    return (
        select(
            req.id.label("id"),
            req.created_at.label("created_at"),
            req.status.label("status"),
            req.customer_name.label("customer"),
            req.reason.label("reason"),
            req.decided_at.label("decided_at"),
            Sim.msisdn.label("msisdn"),
            Sim.iccid.label("iccid"),
            Tariff.name.label("tariff"),
        )
        .select_from(req)
        .join(Sim, Sim.id == req.sim_id)
        .outerjoin(Tariff, Tariff.id == req.tariff_id)
        .where(req.partner_id == _partner_id(actor))
    )


def _search_requests(stmt, text: str):
    d = digits(text)
    if d and re.fullmatch(r"[\d\s()+-]+", text):
        part = phone_part(text)
        match = or_(Sim.msisdn.like(f"%{part}%"), Sim.iccid.like(f"%{d}%"))
        return stmt.where(sim_number_part(Sim, part, match))
    return stmt.where(contains(ActivationRequest.customer_name, text))


PARTNER_REQUEST_LIST = ListSpec(
    name="partner_activations",
    permission="partner",
    columns=_request_columns,
    sorts={"created_at": ActivationRequest.id, "status": ActivationRequest.status},
    default_sort="created_at",
    key=ActivationRequest.id,
    filters=(
        FilterDef(
            "status",
            lambda s, v: s.where(ActivationRequest.status == v),
            "choice",
            REQUEST_STATUSES,
        ),
    ),
    search=_search_requests,
    authorize=require_partner,
    export=(
        ExportColumn("id", "partner_cabinet.col.no"),
        ExportColumn("created_at", "partner_cabinet.col.created", "time"),
        ExportColumn("status", "partner_cabinet.col.request_status", "word", "queues.status."),
        ExportColumn("customer", "partner_cabinet.col.customer"),
        ExportColumn("msisdn", "partner_cabinet.col.msisdn"),
        ExportColumn("iccid", "partner_cabinet.col.iccid"),
        ExportColumn("tariff", "partner_cabinet.col.tariff"),
        ExportColumn("reason", "partner_cabinet.col.reason"),
    ),
    fields=(
        SearchField(
            "created_at", ActivationRequest.created_at, "date", "partner_cabinet.col.created"
        ),
        SearchField(
            "status",
            ActivationRequest.status,
            "choice",
            "partner_cabinet.col.request_status",
            REQUEST_STATUSES,
            "queues.status.",
        ),
        SearchField(
            "customer", ActivationRequest.customer_name, "text", "partner_cabinet.col.customer"
        ),
        SearchField("msisdn", Sim.msisdn, "text", "partner_cabinet.col.msisdn"),
        SearchField("iccid", Sim.iccid, "text", "partner_cabinet.col.iccid"),
        SearchField("tariff", Tariff.name, "text", "partner_cabinet.col.tariff"),
        SearchField("reason", ActivationRequest.reason, "text", "partner_cabinet.col.reason"),
    ),
)


# -- choices for the sale form ------------------------------------------------------------------------
@dataclass(frozen=True)
class StockSim:
    id: int
    msisdn: str
    iccid: str


@dataclass(frozen=True)
class TariffChoice:
    id: int
    name: str
    monthly_fee_kop: int


@verb
def stock_sims(
    session: Session, actor: Actor, search: str = "", limit: int = STOCK_CHOICES
) -> list[StockSim]:
    """The partner's in-stock SIMs (by number), narrowed by a number or ICCID fragment."""
    pid = require_partner(actor).partner_id
    stmt = select(Sim.id, Sim.msisdn, Sim.iccid).where(
        Sim.partner_id == pid, Sim.status == "in_stock"
    )
    d = digits(search or "")
    if d:
        part = phone_part(search)
        match = or_(Sim.msisdn.like(f"%{part}%"), Sim.iccid.like(f"%{d}%"))
        stmt = stmt.where(sim_number_part(Sim, part, match))
    rows = session.execute(stmt.order_by(Sim.msisdn).limit(max(1, min(limit, 500)))).all()
    return [StockSim(i, m, c) for i, m, c in rows]


@verb
def sale_tariffs(session: Session, actor: Actor) -> list[TariffChoice]:
    """Tariffs a partner may sell: public and not archived, cheapest first."""
    require_partner(actor)
    rows = session.execute(
        select(Tariff.id, Tariff.name, Tariff.monthly_fee_kop)
        .where(Tariff.is_public.is_(True), Tariff.is_archived.is_(False))
        .order_by(Tariff.monthly_fee_kop, Tariff.name)
    ).all()
    return [TariffChoice(i, n, f) for i, n, f in rows]


@verb
def open_requests(session: Session, actor: Actor) -> int:
    """How many of the partner's activation requests wait for an admin."""
    pid = require_partner(actor).partner_id
    return int(
        session.execute(
            select(func.count()).where(
                ActivationRequest.partner_id == pid, ActivationRequest.status == "pending"
            )
        ).scalar_one()
    )


@dataclass(frozen=True)
class HomeFigures:
    month_activations: int  # its SIMs activated this Moscow month
    month_commission_kop: int  # its commission this Moscow month
    open_requests: int  # its activation requests waiting for an admin


@verb
def home_figures(session: Session, actor: Actor) -> HomeFigures:
    """The partner home's figures for this month (the same numbers as its statistics)."""
    pid = require_partner(actor).partner_id
    today = moscow_date(utcnow())
    stats = performance.partner_stats(session, actor, pid, today.replace(day=1), today)
    return HomeFigures(stats.activations, stats.profit_kop, open_requests(session, actor))


# -- selling a SIM ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaleForm:
    customer_name: str = ""
    phone: str = ""
    email: str = ""
    document: str = ""
    tariff_id: str = ""
    # the customer signed the consent to the processing of personal data and accepted the
    # service terms at the counter (accounts.consent): no walk-in sale without it
    consent: bool = False


@dataclass(frozen=True)
class SaleResult:
    request_id: int
    sim_id: int
    msisdn: str


def _clean(
    session: Session, form: SaleForm, *, email_required: bool = True
) -> tuple[str, str, str, str, Tariff]:
    name = " ".join(str(form.customer_name or "").split())
    if len(name) < 2:
        raise ValidationError("partner_cabinet.error.name", field="customer_name")
    if len(name) > NAME_MAX:
        raise ValidationError("partner_cabinet.error.name_long", field="customer_name")
    phone_no = normalise_phone(str(form.phone or ""))
    if phone_no is None:
        raise ValidationError("partner_cabinet.error.phone", field="phone")
    raw_email = str(form.email or "").strip()
    email = normalise_email(raw_email) if raw_email or email_required else ""
    if email is None:
        raise ValidationError("partner_cabinet.error.email", field="email")
    document = normalise_document(str(form.document or ""))
    if document is None:
        raise ValidationError("partner_cabinet.error.document", field="document")
    raw = str(form.tariff_id or "").strip()
    tariff = session.get(Tariff, int(raw)) if raw.isdigit() else None
    if tariff is None or not tariff.is_public or tariff.is_archived:
        raise ValidationError("partner_cabinet.error.tariff", field="tariff_id")
    return name, phone_no, email, document, tariff


@verb
def sell_sim(
    session: Session,
    actor: Actor,
    sim_id: int,
    form: SaleForm,
    *,
    subscriber_id: int | None = None,
) -> SaleResult:
    """File an activation request for one of the partner's in-stock SIMs with the new customer's
    data; the SIM moves to awaiting_activation. Audited. Another partner's SIM (or a missing one)
    is refused alike; a SIM that is not in stock is refused with a reason. A walk-in customer's
    consent (personal data, terms; `form.consent`) is required and recorded as a dealer sale's.

    `subscriber_id`: the customer's own contract, for a SIM they ordered (partners.orders
    checks it is the order's): approval puts the SIM on it, and the e-mail may be empty."""
    pid = require_partner(actor).partner_id
    valid_id = isinstance(sim_id, int) and not isinstance(sim_id, bool)
    sim = activations.lock_row(session, Sim, sim_id) if valid_id else None
    if sim is None or sim.partner_id != pid:
        raise PermissionDenied()
    if not lifecycle.allows(sim.status, "sell") or sim.subscriber_id is not None:
        raise DomainError("partner_cabinet.error.not_in_stock")
    name, phone_no, email, document, tariff = _clean(
        session, form, email_required=subscriber_id is None
    )
    # a walk-in customer consents at the counter; an ordered SIM's customer did with the order
    if subscriber_id is None and form.consent is not True:
        raise ValidationError("consent.counter_required", field="consent")
    # compare-and-set: only while the status still allows the sale
    moved = session.execute(
        lifecycle.statement("sell", Sim.id == sim.id, updated_at=utcnow()).execution_options(
            synchronize_session=False
        )
    )
    if moved.rowcount != 1:
        raise DomainError("partner_cabinet.error.not_in_stock")
    session.expire(sim)
    request = ActivationRequest(
        sim_id=sim.id,
        requester_user_id=actor.user_id,
        partner_id=pid,
        subscriber_id=subscriber_id,
        tariff_id=tariff.id,
        customer_name=name,
        customer_phone=phone_no,
        customer_email=email,
        customer_document=document,
    )
    session.add(request)
    session.flush()
    if form.consent is True:
        consent.record_consents(
            session,
            personal_data=True,
            terms=True,
            source="dealer_sale",
            subscriber_id=subscriber_id,
            reference=f"activation_request:{request.id}",
        )
    notify.tell_queue(session, "activation_new", request.id, msisdn=sim.msisdn)
    audit.record(
        session,
        actor,
        "activation.request",
        "activation_request",
        request.id,
        {"sim_status": "in_stock"},
        {
            "status": "pending",
            "sim_id": sim.id,
            "sim_status": "awaiting_activation",
            "partner_id": pid,
            "tariff_id": tariff.id,
            "customer_name": name,
            "customer_phone": phone_no,
            "customer_email": email,
        },
    )
    session.flush()
    return SaleResult(request_id=request.id, sim_id=sim.id, msisdn=sim.msisdn)


@verb
def cancel_request(session: Session, actor: Actor, request_id: int) -> None:
    """Withdraw one of the partner's pending requests (the SIM goes back to stock)."""
    require_partner(actor)
    activations.cancel_activation(session, actor, request_id)
