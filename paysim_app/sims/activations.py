"""The activation queue: SIMs that subscribers claimed (ICCID + pack code, see sims.claim_sim)
and SIMs that partners sold to walk-in customers wait here for an admin.

approve_activation: the SIM becomes active on the contract with balance 0 and a billing day from
today; a partner's sale of a new customer creates the contract and a user account without a
usable password, and mails the customer a link to set one. reject_activation: a reason the
requester is told; the SIM goes back to stock. cancel_activation: the requester changed their
mind. Two admins deciding the same request at once: the request row is locked and its status
moved with a compare-and-set, so exactly one wins and the other gets `not_pending`.

Also the admin's read side: activation_detail() and SELECT builders for the generic lists of
activation and tariff-change requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from paysim_app.accounts import consent
from paysim_app.accounts.identity import (
    add_user_without_password,
    hash_token,
    new_token,
    next_contract_no,
    queue_to_login,
)
from paysim_app.billing import cards, ledger
from paysim_app.core import audit, notify, outbox
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.core.logins import normalise_email, normalise_phone
from paysim_app.core.permissions import Actor, require, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import phone
from paysim_app.models import (
    ActivationRequest,
    Partner,
    PasswordResetToken,
    Sim,
    Subscriber,
    Tariff,
    TariffChangeRequest,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

APPROVABLE_SIM_STATUSES = lifecycle.sources("activate")
REASON_MAX = 500
# a customer activated by a partner gets days, not the 30 minutes of a reset link, to set a
# password (the same token table and /reset page as a password reset)
SET_PASSWORD_DAYS = 7


# --------------------------------------------------------------------------- helpers shared by
# the queue services (blocks and tariff_changes use them too)


@verb
def lock_row(session: Session, model, row_id: int):
    """The row, locked for this transaction (SQLite: the database write lock), as of the lock."""
    ledger.lock_for_write(session)
    row = (
        session.execute(
            select(model)
            .where(model.id == row_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .scalars()
        .one_or_none()
    )
    if isinstance(row, Sim):
        # a SIM's balance is in sim_balance, which PostgreSQL does not read again after waiting
        # for the lock (billing.ledger.lock_sims): read it now, as of the lock too
        session.refresh(row, ["balance_kop"])
    return row


@verb
def decide(session: Session, model, row_id: int, actor: Actor, status: str, **values) -> None:
    """Compare-and-set pending -> `status`; `not_pending` if someone decided it first."""
    done = session.execute(
        update(model)
        .where(model.id == row_id, model.status == "pending")
        .values(status=status, decided_by_user_id=actor.user_id, decided_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError("admin_queues.error.not_pending")
    loaded = session.identity_map.get(session.identity_key(model, row_id))
    if loaded is not None:  # the ORM copy must not keep "pending"
        session.expire(loaded)


def clean_reason(reason: str, *, required: bool = True, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError("admin_queues.error.reason_required", field=field)
    if len(reason) > REASON_MAX:
        raise ValidationError(
            "admin_queues.error.reason_too_long"
            if field == "reason"
            else "admin_queues.error.comment_too_long",
            field=field,
        )
    return reason


@verb
def notify_owner(
    session: Session,
    sim: Sim,
    kind: str,
    params: dict | Callable[[str], dict],
    *,
    user_id: int | None = None,
) -> bool:
    """Notify the SIM's contract holder (or `user_id`), with params built for their language
    (a callable gets the locale). False when there is nobody to tell."""
    if user_id is None and sim.subscriber_id is not None:
        user_id = session.execute(
            select(Subscriber.user_id).where(Subscriber.id == sim.subscriber_id)
        ).scalar()
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.is_active:
        return False
    if user.role == "subscriber" and not user.email:
        # a contract registered by phone may still have an e-mail on the contract
        email = (
            session.execute(select(Subscriber.email).where(Subscriber.user_id == user.id)).scalar()
            or ""
        )
    else:
        email = user.email or ""
    shown = params(user.locale) if callable(params) else params
    return notify.notify_user(
        session,
        user.id,
        kind,
        {"msisdn": phone(sim.msisdn), **shown},
        locale=user.locale,
        email=email,
    )


def _request_id(request_id: object) -> int:
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise NotFound("admin_queues.error.not_found")
    return request_id


# --------------------------------------------------------------------------- read side


@dataclass(frozen=True)
class ActivationDetail:
    id: int
    status: str  # pending | approved | rejected | cancelled
    created_at: datetime
    kind: str  # claim (a subscriber's own) | partner_sale
    sim_id: int
    msisdn: str
    iccid: str
    imsi: str
    sim_status: str
    requester_user_id: int
    requester_name: str
    requester_login: str
    requester_role: str
    partner_id: int | None
    partner_name: str
    subscriber_id: int | None
    subscriber_name: str
    contract_no: str
    customer_name: str
    customer_phone: str
    customer_email: str
    customer_document: str
    tariff_id: int | None
    tariff_name: str
    tariff_fee_kop: int | None
    reason: str
    decided_at: datetime | None
    decided_by_name: str
    # a partner's sale whose e-mail/phone already has an account: that contract's number
    existing_contract_no: str
    can_decide: bool  # pending, the SIM still available, and the actor has activations.edit


def _login(user: User | None) -> str:
    return (user.email or user.phone or "") if user else ""


def _contacts(request: ActivationRequest) -> tuple[str | None, str | None]:
    """The customer's e-mail and phone, normalised; ValidationError for a bad one."""
    email = phone_no = None
    if request.customer_email.strip():
        email = normalise_email(request.customer_email)
        if email is None:
            raise ValidationError("admin_queues.error.customer_email", field="customer_email")
    if request.customer_phone.strip():
        phone_no = normalise_phone(request.customer_phone)
        if phone_no is None:
            raise ValidationError("admin_queues.error.customer_phone", field="customer_phone")
    if email is None and phone_no is None:
        raise ValidationError("admin_queues.error.customer_contact", field="customer_email")
    return email, phone_no


def _document(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def _existing_users(session: Session, email: str | None, phone_no: str | None) -> list[User]:
    found: dict[int, User] = {}
    if email:
        for u in session.execute(select(User).where(User.email == email)).scalars():
            found[u.id] = u
    if phone_no:
        for u in session.execute(select(User).where(User.phone == phone_no)).scalars():
            found[u.id] = u
    return list(found.values())


def _existing_contract(session: Session, request: ActivationRequest) -> Subscriber | None:
    """For display: the contract whose account already uses the sale's e-mail or phone."""
    if request.subscriber_id is not None:
        return None
    try:
        email, phone_no = _contacts(request)
    except ValidationError:
        return None
    for user in _existing_users(session, email, phone_no):
        sub = session.execute(select(Subscriber).where(Subscriber.user_id == user.id)).scalar()
        if sub is not None:
            return sub
    return None


@verb
def activation_detail(session: Session, actor: Actor, request_id: int) -> ActivationDetail:
    require(actor, "activations.view")
    request = session.get(ActivationRequest, _request_id(request_id))
    if request is None:
        raise NotFound("admin_queues.error.not_found")
    sim = session.get(Sim, request.sim_id)
    requester = session.get(User, request.requester_user_id)
    decider = session.get(User, request.decided_by_user_id) if request.decided_by_user_id else None
    partner_id = request.partner_id or (requester.partner_id if requester else None)
    partner = session.get(Partner, partner_id) if partner_id else None
    sub = session.get(Subscriber, request.subscriber_id) if request.subscriber_id else None
    tariff_id = request.tariff_id or sim.tariff_id
    tariff = session.get(Tariff, tariff_id) if tariff_id else None
    existing = _existing_contract(session, request)
    return ActivationDetail(
        id=request.id,
        status=request.status,
        created_at=request.created_at,
        kind="partner_sale" if requester and requester.role == "partner" else "claim",
        sim_id=sim.id,
        msisdn=sim.msisdn,
        iccid=sim.iccid,
        imsi=sim.imsi,
        sim_status=sim.status,
        requester_user_id=request.requester_user_id,
        requester_name=requester.full_name if requester else "",
        requester_login=_login(requester),
        requester_role=requester.role if requester else "",
        partner_id=partner.id if partner else None,
        partner_name=partner.name if partner else "",
        subscriber_id=request.subscriber_id,
        subscriber_name=sub.full_name if sub else "",
        contract_no=sub.contract_no if sub else "",
        customer_name=request.customer_name,
        customer_phone=request.customer_phone,
        customer_email=request.customer_email,
        customer_document=request.customer_document,
        tariff_id=tariff.id if tariff else None,
        tariff_name=tariff.name if tariff else "",
        tariff_fee_kop=tariff.monthly_fee_kop if tariff else None,
        reason=request.reason,
        decided_at=request.decided_at,
        decided_by_name=decider.full_name if decider else "",
        existing_contract_no=existing.contract_no if existing else "",
        can_decide=(
            request.status == "pending"
            and sim.status in APPROVABLE_SIM_STATUSES
            and actor.can("activations.edit")
        ),
    )


@cache  # built once: a statement is immutable, and its aliases cost ~1-2 ms
def activation_rows_select():
    """Every activation request with what the queue shows, one row each (unfiltered, unsorted).

    Columns: id, created_at, status, requester_role, sim_id, msisdn, iccid, sim_status,
    requester_user_id, requester_name, requester_login, partner_id, partner_name, subscriber_id,
    subscriber_name, contract_no, customer_name, customer_phone, customer_email, tariff_id,
    tariff_name, reason, decided_at, decided_by_name."""
    req, requester, decider = ActivationRequest, aliased(User), aliased(User)
    return (
        select(
            req.id.label("id"),
            req.created_at.label("created_at"),
            req.status.label("status"),
            requester.role.label("requester_role"),
            req.sim_id.label("sim_id"),
            Sim.msisdn.label("msisdn"),
            Sim.iccid.label("iccid"),
            Sim.status.label("sim_status"),
            req.requester_user_id.label("requester_user_id"),
            requester.full_name.label("requester_name"),
            func.coalesce(requester.email, requester.phone, "").label("requester_login"),
            req.partner_id.label("partner_id"),
            func.coalesce(Partner.name, "").label("partner_name"),
            req.subscriber_id.label("subscriber_id"),
            func.coalesce(Subscriber.full_name, "").label("subscriber_name"),
            func.coalesce(Subscriber.contract_no, "").label("contract_no"),
            req.customer_name.label("customer_name"),
            req.customer_phone.label("customer_phone"),
            req.customer_email.label("customer_email"),
            req.tariff_id.label("tariff_id"),
            func.coalesce(Tariff.name, "").label("tariff_name"),
            req.reason.label("reason"),
            req.decided_at.label("decided_at"),
            func.coalesce(decider.full_name, "").label("decided_by_name"),
        )
        .select_from(req)
        .join(Sim, Sim.id == req.sim_id)
        .join(requester, requester.id == req.requester_user_id)
        .outerjoin(Partner, Partner.id == req.partner_id)
        .outerjoin(Subscriber, Subscriber.id == req.subscriber_id)
        .outerjoin(Tariff, Tariff.id == req.tariff_id)
        .outerjoin(decider, decider.id == req.decided_by_user_id)
    )


@cache  # built once: a statement is immutable, and its aliases cost ~1-2 ms
def tariff_change_rows_select():
    """Every tariff-change request (the second tab of the activation queue), unfiltered.

    Columns: id, created_at, status, effective, sim_id, msisdn, iccid, sim_status,
    requester_user_id, requester_name, requester_login, subscriber_id, subscriber_name,
    contract_no, partner_id, partner_name, from_tariff_id, from_tariff_name, from_fee_kop,
    to_tariff_id, to_tariff_name, to_fee_kop, reason, decided_at, decided_by_name."""
    req = TariffChangeRequest
    requester, decider = aliased(User), aliased(User)
    old, new = aliased(Tariff), aliased(Tariff)
    return (
        select(
            req.id.label("id"),
            req.created_at.label("created_at"),
            req.status.label("status"),
            req.effective.label("effective"),
            req.sim_id.label("sim_id"),
            Sim.msisdn.label("msisdn"),
            Sim.iccid.label("iccid"),
            Sim.status.label("sim_status"),
            req.requester_user_id.label("requester_user_id"),
            requester.full_name.label("requester_name"),
            func.coalesce(requester.email, requester.phone, "").label("requester_login"),
            Sim.subscriber_id.label("subscriber_id"),
            func.coalesce(Subscriber.full_name, "").label("subscriber_name"),
            func.coalesce(Subscriber.contract_no, "").label("contract_no"),
            Sim.partner_id.label("partner_id"),
            func.coalesce(Partner.name, "").label("partner_name"),
            req.from_tariff_id.label("from_tariff_id"),
            func.coalesce(old.name, "").label("from_tariff_name"),
            old.monthly_fee_kop.label("from_fee_kop"),
            req.to_tariff_id.label("to_tariff_id"),
            new.name.label("to_tariff_name"),
            new.monthly_fee_kop.label("to_fee_kop"),
            req.reason.label("reason"),
            req.decided_at.label("decided_at"),
            func.coalesce(decider.full_name, "").label("decided_by_name"),
        )
        .select_from(req)
        .join(Sim, Sim.id == req.sim_id)
        .join(requester, requester.id == req.requester_user_id)
        .join(new, new.id == req.to_tariff_id)
        .outerjoin(old, old.id == req.from_tariff_id)
        .outerjoin(Subscriber, Subscriber.id == Sim.subscriber_id)
        .outerjoin(Partner, Partner.id == Sim.partner_id)
        .outerjoin(decider, decider.id == req.decided_by_user_id)
    )


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class ActivationResult:
    request_id: int
    sim_id: int
    subscriber_id: int
    contract_no: str
    created_subscriber: bool  # a partner's sale of a new customer made the contract
    set_password_sent: bool


def _tariff_for(session: Session, request: ActivationRequest, sim: Sim, tariff_id) -> Tariff:
    chosen = tariff_id if tariff_id is not None else (request.tariff_id or sim.tariff_id)
    if chosen is None:
        raise ValidationError("admin_queues.error.no_tariff", field="tariff")
    tariff = session.get(Tariff, chosen) if isinstance(chosen, int) else None
    if tariff is None:
        raise ValidationError("admin_queues.error.tariff_not_found", field="tariff")
    if tariff.is_archived:
        raise ValidationError(
            "admin_queues.error.tariff_archived", field="tariff", name=tariff.name
        )
    return tariff


def _customer_contract(
    session: Session, request: ActivationRequest
) -> tuple[Subscriber, User | None]:
    """The contract a partner's sale goes to: a new one (with its new, password-less account,
    returned second) or, when the customer already has an account with the same ID document,
    theirs (second value None)."""
    name = request.customer_name.strip()
    if not name:
        raise ValidationError("admin_queues.error.customer_name", field="customer_name")
    email, phone_no = _contacts(request)
    document = _document(request.customer_document)
    existing = _existing_users(session, email, phone_no)
    if existing:
        sub = None
        if len(existing) == 1 and existing[0].role == "subscriber":
            sub = session.execute(
                select(Subscriber).where(Subscriber.user_id == existing[0].id)
            ).scalar()
        if sub is not None and document and _document(sub.document_no) == document:
            return sub, None
        shown = f" ({sub.contract_no})" if sub is not None else ""
        raise DomainError("admin_queues.error.contact_taken", contract=shown)
    user = add_user_without_password(session, "subscriber", name[:200], email=email, phone=phone_no)
    sub = Subscriber(
        contract_no=next_contract_no(session),
        user_id=user.id,
        full_name=name[:200],
        email=email or "",
        phone=phone_no or "",
        document_no=request.customer_document.strip()[:40],
        partner_id=request.partner_id,
    )
    session.add(sub)
    session.flush()
    # the consent the customer gave at the counter is the new account's
    consent.attach_to(session, f"activation_request:{request.id}", user.id, sub.id)
    return sub, user


@verb
def send_set_password_link(session: Session, user: User, sub: Subscriber, sim: Sim) -> None:
    """A one-time link to /reset (the password-reset token machinery), valid for days."""
    settings = get_settings()
    token = new_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(days=SET_PASSWORD_DAYS),
        )
    )
    link = f"{settings.paysim_public_url.rstrip('/')}/reset?token={outbox.SECRET}"
    params = {
        "name": sub.full_name,
        "msisdn": phone(sim.msisdn),
        "contract": sub.contract_no,
        "days": SET_PASSWORD_DAYS,
        "link": link,
    }
    queue_to_login(  # an e-mail, or an SMS (sms_set_password) to a phone-only customer
        session,
        user,
        t("admin_queues.welcome.subject", user.locale, **params),
        t("admin_queues.welcome.body", user.locale, **params),
        "set_password",
        token,
        t("verification.sms.set_password", user.locale, **params),
    )


def _reset_balance(session: Session, actor: Actor, sim: Sim, request_id: int) -> None:
    """A new contract starts at 0: money left on a SIM back from an old life goes out through
    the ledger (never seen in practice; stock SIMs have no entries)."""
    if sim.balance_kop:
        ledger.post(
            session,
            ledger.Posting(
                sim.id,
                "adjustment",
                -sim.balance_kop,
                actor_user_id=actor.user_id,
                comment=f"activation #{request_id}: balance reset",
            ),
        )
        session.refresh(sim)


@verb
def approve_activation(
    session: Session, actor: Actor, request_id: int, tariff_id: int | None = None
) -> ActivationResult:
    """Activate the request's SIM on its contract (creating the contract for a partner's sale
    of a new customer). `tariff_id` overrides the requested tariff."""
    require(actor, "activations.edit")
    request = lock_row(session, ActivationRequest, _request_id(request_id))
    if request is None:
        raise NotFound("admin_queues.error.not_found")
    if request.status != "pending":
        raise DomainError("admin_queues.error.not_pending")
    sim = lock_row(session, Sim, request.sim_id)
    lifecycle.check(sim.status, "activate")  # admin_queues.error.sim_not_available
    tariff = _tariff_for(session, request, sim, tariff_id)
    new_user = None
    if request.subscriber_id is not None:
        sub = session.get(Subscriber, request.subscriber_id)
        if sub is None or sub.status != "active":
            raise DomainError("admin_queues.error.contract_inactive")
    else:  # a partner's sale: the customer's data is in the request
        sub, new_user = _customer_contract(session, request)
    if sim.subscriber_id not in (None, sub.id):
        raise DomainError("admin_queues.error.sim_taken")
    decide(session, ActivationRequest, request.id, actor, "approved", subscriber_id=sub.id)
    before = {
        "status": "pending",
        "sim_status": sim.status,
        "subscriber_id": sim.subscriber_id,
        "tariff_id": sim.tariff_id,
    }
    _reset_balance(session, actor, sim, request.id)
    now = utcnow()
    sim.subscriber_id = sub.id
    sim.tariff_id = tariff.id
    lifecycle.activate(sim, now)
    sim.activated_at = now
    # the fee is due on the day of the month the SIM was switched on (29-31: the 28th, so
    # every month has the day); the first fee is written at the next billing run
    sim.billing_day = min(cards.today().day, 28)
    sim.updated_at = now
    if new_user is not None:
        audit.record(
            session,
            actor,
            "subscriber.create",
            "subscriber",
            sub.id,
            None,
            {
                "contract_no": sub.contract_no,
                "user_id": new_user.id,
                "partner_id": sub.partner_id,
                "activation_request_id": request.id,
            },
        )
    audit.record(
        session,
        actor,
        "activation.approve",
        "activation_request",
        request.id,
        before,
        {
            "status": "approved",
            "sim_id": sim.id,
            "sim_status": "active",
            "subscriber_id": sub.id,
            "tariff_id": tariff.id,
            "billing_day": sim.billing_day,
            "created_subscriber": new_user is not None,
        },
    )
    session.flush()
    _order_decided(session, request, "approved")
    notify_owner(session, sim, "activation_approved", {"tariff": tariff.name})
    notify.tell_partner_decision(
        session, request, sim.msisdn, approved=True, contract=sub.contract_no
    )
    if new_user is not None:
        send_set_password_link(session, new_user, sub, sim)
    return ActivationResult(
        request_id=request.id,
        sim_id=sim.id,
        subscriber_id=sub.id,
        contract_no=sub.contract_no,
        created_subscriber=new_user is not None,
        set_password_sent=new_user is not None,
    )


# who else follows a request's decision: fn(session, request, "approved" | "rejected" |
# "cancelled") in the deciding transaction (sims.orders registers the SIM order bound to it)
DECISION_LISTENERS: list[Callable[[Session, ActivationRequest, str], None]] = []


def _order_decided(session: Session, request: ActivationRequest, outcome: str) -> None:
    for listener in DECISION_LISTENERS:
        listener(session, request, outcome)


def _back_to_stock(session: Session, sim: Sim, request_id: int) -> str:
    """A SIM a request moved to awaiting_activation returns to stock (unless another request
    for it still waits). Returns the SIM's status after."""
    if not lifecycle.allows(sim.status, "cancel_sale") or sim.subscriber_id is not None:
        return sim.status
    other = session.execute(
        select(ActivationRequest.id).where(
            ActivationRequest.sim_id == sim.id,
            ActivationRequest.status == "pending",
            ActivationRequest.id != request_id,
        )
    ).first()
    if other is None:
        lifecycle.cancel_sale(sim)
    return sim.status


@verb
def reject_activation(session: Session, actor: Actor, request_id: int, reason: str) -> None:
    """Refuse with a reason the requester reads in a notification."""
    require(actor, "activations.edit")
    reason = clean_reason(reason)
    request = lock_row(session, ActivationRequest, _request_id(request_id))
    if request is None:
        raise NotFound("admin_queues.error.not_found")
    if request.status != "pending":
        raise DomainError("admin_queues.error.not_pending")
    sim = lock_row(session, Sim, request.sim_id)
    decide(session, ActivationRequest, request.id, actor, "rejected", reason=reason)
    before_status = sim.status
    after_status = _back_to_stock(session, sim, request.id)
    audit.record(
        session,
        actor,
        "activation.reject",
        "activation_request",
        request.id,
        {"status": "pending", "sim_status": before_status},
        {"status": "rejected", "sim_id": sim.id, "sim_status": after_status, "reason": reason},
    )
    session.flush()
    _order_decided(session, request, "rejected")
    if not notify.tell_partner_decision(
        session, request, sim.msisdn, approved=False, reason=reason
    ):
        notify_owner(
            session,
            sim,
            "activation_rejected",
            {"reason": reason},
            user_id=request.requester_user_id,
        )


@verb
def cancel_activation(session: Session, actor: Actor, request_id: int) -> None:
    """The requester withdraws a pending request: the subscriber whose claim it is, or any user
    of the partner that filed it. Anyone else is refused as if it did not exist."""
    require_role(actor, "subscriber", "partner")
    valid_id = isinstance(request_id, int) and not isinstance(request_id, bool)
    request = lock_row(session, ActivationRequest, request_id) if valid_id else None
    if request is None:
        raise PermissionDenied()
    own = (
        actor.role == "subscriber"
        and actor.subscriber_id is not None
        and request.subscriber_id == actor.subscriber_id
    ) or (
        actor.role == "partner"
        and actor.partner_id is not None
        and (
            request.partner_id == actor.partner_id
            or (
                request.partner_id is None
                and session.execute(
                    select(User.partner_id).where(User.id == request.requester_user_id)
                ).scalar()
                == actor.partner_id
            )
        )
    )
    if not own:
        raise PermissionDenied()
    if request.status != "pending":
        raise DomainError("admin_queues.error.not_cancellable")
    sim = lock_row(session, Sim, request.sim_id)
    done = session.execute(
        update(ActivationRequest)
        .where(ActivationRequest.id == request.id, ActivationRequest.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError("admin_queues.error.not_cancellable")
    before_status = sim.status
    after_status = _back_to_stock(session, sim, request.id)
    audit.record(
        session,
        actor,
        "activation.cancel",
        "activation_request",
        request.id,
        {"status": "pending", "sim_status": before_status},
        {"status": "cancelled", "sim_id": sim.id, "sim_status": after_status},
    )
    session.flush()
    _order_decided(session, request, "cancelled")
