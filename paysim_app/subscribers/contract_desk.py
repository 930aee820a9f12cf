"""The back office's own contracts: an admin opens a contract for a walk-in customer, puts SIMs
from stock on it, and moves a SIM from one contract to another (a lost phone, a family).

- `create_contract` (subscribers.edit): the customer's name, ID document (type and number),
  phone and/or e-mail (at least one: the login) and address. Duplicates are refused with the
  contract that has them: the same document (spaces and hyphens ignored, any case), an e-mail or
  phone that is already a login or on a contract. The account has no usable password yet; the
  set-password link goes out with the first SIM put on the contract, in the same message a
  dealer's customer gets (it names the number), while the password is still unset.
- `put_sims` (activations.edit, as the activation queue: it is an activation): SIMs in stock,
  each activated at once on the contract with the chosen tariff through the activation queue's
  own path (sims.activations.approve_activation on a request the admin files and approves in
  one step): the status machine's `activate`, a billing day from today, the balance from zero,
  the queue's audit entries and the subscriber's notification. A SIM in a partner's stock keeps
  its partner (the dealer still earns its commission on the SIM's payments). All or nothing.
- `move_sim` (subscribers.edit): a working SIM (active or suspended: a blocked SIM's block and
  a closed one stay with their contract) goes to another active contract with a reason. It
  keeps its number, balance, tariff, add-ons and partner. What belonged to the old owner goes:
  the SIM's autopay rule (it charges the old owner's saved card) is removed and its waiting
  retries stopped; the SIM's pending and scheduled requests (tariff change, unblock) are
  cancelled with the reason. Audited on the SIM ("sim.move"); both contract holders are told
  (sim_moved_out, sim_moved_in). Two moves of one SIM at once: the SIM's row is locked, the
  second sees the first's owner.
- `stock_sims` and `contracts_found`: the type-ahead pickers' suggestions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session

from paysim_app.accounts.identity import add_user_without_password, next_contract_no
from paysim_app.core import audit
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.logins import normalise_email, normalise_phone
from paysim_app.core.permissions import Actor, require
from paysim_app.core.text_search import sim_number_part
from paysim_app.core.unit_of_work import verb
from paysim_app.models import (
    ActivationRequest,
    AutopayRun,
    AutopaySetting,
    Sim,
    Subscriber,
    TariffChangeRequest,
    UnblockRequest,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.models.subscribers import DOCUMENT_TYPES
from paysim_app.sims import activations

NAME_MAX, ADDRESS_MAX, DOCUMENT_MAX = 200, 300, 40
PUT_MAX = 50  # SIMs put on a contract at once
SUGGESTIONS = 10
QUERY_MAX = 64
MOVABLE_STATUSES = lifecycle.WORKING  # active, suspended
_DOCUMENT = re.compile(r"[0-9A-Za-zА-Яа-яЁё№ ./-]+")
_UNUSABLE = "!unusable:"  # accounts.passwords.unusable_hash: no password was ever set


@dataclass(frozen=True)
class NewContract:
    subscriber_id: int
    contract_no: str
    login: str


@dataclass(frozen=True)
class PutSims:
    subscriber_id: int
    contract_no: str
    sim_ids: list[int]
    set_password_sent: bool


@dataclass(frozen=True)
class Move:
    sim_id: int
    msisdn: str
    from_subscriber_id: int
    to_subscriber_id: int
    to_contract_no: str
    autopay_removed: bool
    requests_cancelled: int


@dataclass(frozen=True)
class Suggestion:
    id: int
    label: str
    hint: str


# --------------------------------------------------------------------------- helpers


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _int_id(value: object) -> int | None:
    """A row id, or None for anything else (a string, a bool, a number no id column holds)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
        return value
    return None


def document_key(value: str) -> str:
    """A document number as compared for duplicates: no spaces or hyphens, upper case."""
    return re.sub(r"[\s-]", "", value or "").upper()


def _document_column():
    return func.upper(func.replace(func.replace(Subscriber.document_no, " ", ""), "-", ""))


def _taken_by(session: Session, *where) -> str:
    found = session.execute(select(Subscriber.contract_no).where(or_(*where)).limit(1)).scalar()
    return found or ""


# --------------------------------------------------------------------------- a new contract


@verb
def create_contract(
    session: Session,
    actor: Actor,
    full_name: str,
    document_type: str,
    document_no: str,
    phone: str = "",
    email: str = "",
    address: str = "",
) -> NewContract:
    """A contract with its password-less account (see the module's docstring)."""
    require(actor, "subscribers.edit")
    full_name = _text(full_name)
    if not full_name:
        raise ValidationError("admin_subscribers.error.name_required", field="full_name")
    if len(full_name) > NAME_MAX:
        raise ValidationError("profile.error.too_long", field="full_name", max=NAME_MAX)
    if document_type not in DOCUMENT_TYPES:
        raise ValidationError("contract_desk.error.document_type", field="document_type")
    document_no = _text(document_no)
    if not document_no:
        raise ValidationError("contract_desk.error.document_required", field="document_no")
    if len(document_no) > DOCUMENT_MAX or not _DOCUMENT.fullmatch(document_no):
        raise ValidationError(
            "admin_subscribers.error.document", field="document_no", max=DOCUMENT_MAX
        )
    email_in, phone_in = _text(email), _text(phone)
    email_no = normalise_email(email_in) if email_in and len(email_in) <= 254 else None
    if email_in and email_no is None:
        raise ValidationError("profile.error.email", field="email")
    phone_no = normalise_phone(phone_in) if phone_in and len(phone_in) <= 40 else None
    if phone_in and phone_no is None:
        raise ValidationError("profile.error.phone", field="phone")
    if email_no is None and phone_no is None:
        raise ValidationError("contract_desk.error.contact_required", field="phone")
    address = _text(address)
    if len(address) > ADDRESS_MAX:
        raise ValidationError("profile.error.too_long", field="address", max=ADDRESS_MAX)
    taken = _taken_by(session, _document_column() == document_key(document_no))
    if taken:
        raise ValidationError(
            "contract_desk.error.document_taken", field="document_no", contract=taken
        )
    for value, column, login, field in (
        (email_no, Subscriber.email, User.email, "email"),
        (phone_no, Subscriber.phone, User.phone, "phone"),
    ):
        if value is None:
            continue
        owner = session.execute(select(User.id).where(login == value)).scalar()
        taken = _taken_by(session, column == value, Subscriber.user_id == (owner or -1))
        if owner is not None or taken:
            raise ValidationError(
                f"contract_desk.error.{field}_taken", field=field, contract=taken or "—"
            )
    user = add_user_without_password(
        session, "subscriber", full_name, email=email_no, phone=phone_no
    )
    sub = Subscriber(
        contract_no=next_contract_no(session),
        user_id=user.id,
        full_name=full_name,
        email=email_no or "",
        phone=phone_no or "",
        address=address,
        document_type=document_type,
        document_no=document_no,
    )
    session.add(sub)
    session.flush()
    audit.record(
        session,
        actor,
        "subscriber.create",
        "subscriber",
        sub.id,
        None,
        {
            "contract_no": sub.contract_no,
            "user_id": user.id,
            "full_name": full_name,
            "document_type": document_type,
            "document_no": document_no,
            "email": sub.email,
            "phone": sub.phone,
            "address": address,
            "by": "admin",
        },
    )
    session.flush()
    return NewContract(sub.id, sub.contract_no, email_no or phone_no or "")


# --------------------------------------------------------------------------- SIMs from stock


@verb
def put_sims(
    session: Session, actor: Actor, subscriber_id: int, sim_ids: list[int], tariff_id: int
) -> PutSims:
    """Activate SIMs from stock on the contract with the tariff, all or none (see above)."""
    require(actor, "activations.edit")
    if (
        not isinstance(sim_ids, list | tuple)
        or not sim_ids
        or len(sim_ids) > PUT_MAX
        or any(_int_id(i) is None for i in sim_ids)
    ):
        raise ValidationError("contract_desk.error.sims", field="sims", max=PUT_MAX)
    ids = sorted(set(sim_ids))
    if _int_id(tariff_id) is None:
        raise ValidationError("admin_queues.error.no_tariff", field="tariff")
    sub_id = _int_id(subscriber_id)
    sub = session.get(Subscriber, sub_id) if sub_id is not None else None
    if sub is None:
        raise NotFound()
    if sub.status != "active":
        raise DomainError("admin_queues.error.contract_inactive")
    sims = [activations.lock_row(session, Sim, i) for i in ids]  # id order: no deadlock
    for sim in sims:
        if sim is None:
            raise ValidationError("contract_desk.error.sim_missing", field="sims")
        if sim.status != "in_stock" or sim.subscriber_id is not None:
            raise DomainError("contract_desk.error.not_in_stock", field="sims", msisdn=sim.msisdn)
    for sim in sims:
        request = ActivationRequest(
            sim_id=sim.id,
            requester_user_id=actor.user_id,
            subscriber_id=sub.id,
            tariff_id=tariff_id,
        )
        session.add(request)
        session.flush()
        activations.approve_activation(session, actor, request.id, tariff_id)
    user = session.get(User, sub.user_id) if sub.user_id is not None else None
    sent = bool(user and user.is_active and user.password_hash.startswith(_UNUSABLE))
    if sent:
        activations.send_set_password_link(session, user, sub, sims[0])
    audit.record(
        session,
        actor,
        "subscriber.put_sims",
        "subscriber",
        sub.id,
        None,
        {"sim_ids": ids, "tariff_id": tariff_id, "set_password_sent": sent},
    )
    session.flush()
    return PutSims(sub.id, sub.contract_no, ids, sent)


# --------------------------------------------------------------------------- a move


@verb
def move_sim(
    session: Session, actor: Actor, sim_id: int, to_subscriber_id: int, reason: str
) -> Move:
    """Move a working SIM to another active contract (see the module's docstring)."""
    require(actor, "subscribers.edit")
    reason = activations.clean_reason(reason if isinstance(reason, str) else "")
    sid = _int_id(sim_id)
    sim = activations.lock_row(session, Sim, sid) if sid is not None else None
    if sim is None:
        raise NotFound()
    if sim.subscriber_id is None:
        raise DomainError("contract_desk.error.not_on_contract")
    if sim.status not in MOVABLE_STATUSES:
        raise DomainError("contract_desk.error.not_movable", status=sim.status)
    to_id = _int_id(to_subscriber_id)
    target = session.get(Subscriber, to_id) if to_id is not None else None
    if target is None:
        raise ValidationError("contract_desk.error.target_missing", field="to_subscriber")
    if target.id == sim.subscriber_id:
        raise ValidationError("contract_desk.error.same_contract", field="to_subscriber")
    if target.status != "active":
        raise ValidationError("admin_queues.error.contract_inactive", field="to_subscriber")
    old = session.get(Subscriber, sim.subscriber_id)
    now = utcnow()
    autopay = session.execute(
        select(AutopaySetting.id, AutopaySetting.enabled).where(AutopaySetting.sim_id == sim.id)
    ).first()
    if autopay is not None:
        session.execute(delete(AutopaySetting).where(AutopaySetting.sim_id == sim.id))
    session.execute(
        update(AutopayRun)
        .where(AutopayRun.sim_id == sim.id, AutopayRun.next_retry_at.is_not(None))
        .values(next_retry_at=None)
    )
    decided = {"decided_by_user_id": actor.user_id, "decided_at": now, "status": "cancelled"}
    changes = (
        session.execute(
            select(TariffChangeRequest.id).where(
                TariffChangeRequest.sim_id == sim.id,
                TariffChangeRequest.status.in_(("pending", "scheduled")),
            )
        )
        .scalars()
        .all()
    )
    if changes:
        session.execute(
            update(TariffChangeRequest)
            .where(TariffChangeRequest.id.in_(changes))
            .values(reason=reason, **decided)
        )
    unblocks = (
        session.execute(
            select(UnblockRequest.id).where(
                UnblockRequest.sim_id == sim.id, UnblockRequest.status == "pending"
            )
        )
        .scalars()
        .all()
    )
    if unblocks:
        session.execute(
            update(UnblockRequest).where(UnblockRequest.id.in_(unblocks)).values(**decided)
        )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AutopaySetting | TariffChangeRequest | UnblockRequest):
            session.expire(obj)
    from_id = sim.subscriber_id
    sim.subscriber_id = target.id
    sim.updated_at = now
    session.add(sim)
    audit.record(
        session,
        actor,
        "sim.move",
        "sim",
        sim.id,
        {
            "subscriber_id": from_id,
            "contract_no": old.contract_no if old else "",
            "autopay": bool(autopay),
        },
        {
            "subscriber_id": target.id,
            "contract_no": target.contract_no,
            "reason": reason,
            "autopay_removed": autopay is not None,
            "tariff_changes_cancelled": sorted(changes),
            "unblock_requests_cancelled": sorted(unblocks),
            "status": sim.status,
            "balance_kop": sim.balance_kop,
            "tariff_id": sim.tariff_id,
        },
    )
    session.flush()
    old_user = old.user_id if old else None
    if old_user is not None:
        activations.notify_owner(
            session, sim, "sim_moved_out", {"reason": reason}, user_id=old_user
        )
    activations.notify_owner(session, sim, "sim_moved_in", {"contract": target.contract_no})
    return Move(
        sim_id=sim.id,
        msisdn=sim.msisdn,
        from_subscriber_id=from_id,
        to_subscriber_id=target.id,
        to_contract_no=target.contract_no,
        autopay_removed=autopay is not None,
        requests_cancelled=len(changes) + len(unblocks),
    )


# --------------------------------------------------------------------------- pickers


def _query(value: object) -> str:
    text = _text(value)[:QUERY_MAX]
    return text.replace("\\", "").replace("%", "").replace("_", "")


@verb
def stock_sims(session: Session, actor: Actor, query: str) -> list[Suggestion]:
    """SIMs in stock (not on a contract) whose number or ICCID holds the typed digits; the first
    SUGGESTIONS by number. Fewer than 3 digits: nothing."""
    require(actor, "activations.edit")
    digits = "".join(ch for ch in _query(query) if ch.isdigit())
    if len(digits) < 3:
        return []
    rows = session.execute(
        select(Sim.id, Sim.msisdn, Sim.iccid)
        .where(
            Sim.status == "in_stock",
            Sim.subscriber_id.is_(None),
            sim_number_part(
                Sim, digits, or_(Sim.msisdn.contains(digits), Sim.iccid.contains(digits))
            ),
        )
        .order_by(Sim.msisdn)
        .limit(SUGGESTIONS)
    ).all()
    return [Suggestion(r.id, r.msisdn, r.iccid) for r in rows]


@verb
def contracts_found(
    session: Session, actor: Actor, query: str, exclude_id: int | None = None
) -> list[Suggestion]:
    """Active contracts whose number, holder's name, phone or e-mail holds the typed text."""
    require(actor, "subscribers.view")
    text = _query(query)
    if len(text) < 2:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    match = [
        Subscriber.contract_no.ilike(f"%{text}%"),
        Subscriber.full_name.ilike(f"%{text}%"),
        Subscriber.email.ilike(f"%{text}%"),
    ]
    if len(digits) >= 3:
        match.append(Subscriber.phone.contains(digits))
    where = [Subscriber.status == "active", or_(*match)]
    if _int_id(exclude_id) is not None:
        where.append(Subscriber.id != exclude_id)
    rows = session.execute(
        select(Subscriber.id, Subscriber.full_name, Subscriber.contract_no)
        .where(*where)
        .order_by(Subscriber.full_name, Subscriber.id)
        .limit(SUGGESTIONS)
    ).all()
    return [Suggestion(r.id, r.full_name, r.contract_no) for r in rows]
