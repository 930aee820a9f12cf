"""The Subscribers section of the admin console: contracts, their detail and the actions on them.

Reading needs `subscribers.view` (the support operator has it), every action
`subscribers.edit`, and every action is audited:
- `subscriber_detail`: personal data, contract status, notes, SIMs, the last payments, open
  tickets and requests waiting for the operator;
- `update_subscriber` (personal data) and `set_notes`. The account's login (the e-mail or
  phone the subscriber signs in with) is deliberately left alone: changing a credential on the
  subscriber's behalf would let a wrong or forged request take the account over; the contract's
  e-mail and phone (where notifications go) do change;
- `deactivate_subscriber`: the contract becomes inactive, every SIM on it is deactivated (open
  blocks are closed, its pending requests cancelled, autopay turned off), the account is
  disabled and signed out everywhere. The balance stays as it is (a correction can settle it);
- `reactivate_subscriber`: the contract and the account work again; the SIMs stay deactivated
  (bring a SIM back from the SIMs section);
- `send_password_reset`: a one-time link through accounts.send_reset_link (into the outbox);
- `correct_balance`: a signed ledger adjustment on one SIM of the contract with a mandatory
  comment, through ledger.post (so a credit that clears a debt restores a suspended SIM); the
  form's key makes a double post correct once;
- `subscriber_rows_select`: the list's columns as one select() for the generic list machinery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select, update
from sqlmodel import Session

from paysim_app.accounts import identity
from paysim_app.billing import ledger
from paysim_app.billing.payments import display_status
from paysim_app.core import audit, form_keys
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.logins import normalise_email, normalise_phone
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.models import (
    ActivationRequest,
    AutopayRun,
    AutopaySetting,
    Block,
    LedgerEntry,
    Partner,
    Payment,
    Sim,
    SimBalance,
    Subscriber,
    Tariff,
    TariffChangeRequest,
    Ticket,
    UnblockRequest,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.models.support import OPEN_TICKET_STATUSES

NAME_MAX = 200
ADDRESS_MAX = 300
DOCUMENT_MAX = 40
NOTES_MAX = 5000
COMMENT_MIN, COMMENT_MAX = 3, 500  # ledger_entry.comment holds 500
CORRECTION_MAX_KOP = 100_000_000  # 1 000 000 ₽ either way
PAYMENTS_SHOWN = 20
_DOCUMENT = re.compile(r"[0-9A-Za-zА-Яа-яЁё№ ./-]*")


# --------------------------------------------------------------------------- DTOs


@dataclass(frozen=True)
class SubscriberSim:
    id: int
    msisdn: str
    iccid: str
    status: str
    balance_kop: int
    tariff_name: str
    autopay_enabled: bool


@dataclass(frozen=True)
class SubscriberPayment:
    id: int
    created_at: datetime
    msisdn: str
    amount_kop: int
    method: str
    status: str  # as people read it (payments.display_status)
    refunded_kop: int = 0


@dataclass(frozen=True)
class SubscriberTicket:
    id: int
    subject: str
    status: str
    priority: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SubscriberRequest:
    kind: str  # activation | tariff_change | unblock
    id: int
    sim_id: int
    msisdn: str
    created_at: datetime


@dataclass(frozen=True)
class SubscriberDetail:
    id: int
    contract_no: str
    full_name: str
    email: str
    phone: str
    address: str
    document_no: str
    status: str  # active | inactive
    notes: str
    document_type: str  # DOCUMENT_TYPES, or "" for a contract made before the back office had it
    created_at: datetime
    partner_id: int | None
    partner_name: str
    user_id: int | None
    login: str  # the account's e-mail or phone ("" without an account)
    account_active: bool
    last_login_at: datetime | None
    total_balance_kop: int
    sims: list[SubscriberSim]
    payments: list[SubscriberPayment]  # the last PAYMENTS_SHOWN, newest first
    open_tickets: list[SubscriberTicket]
    open_requests: list[SubscriberRequest]


@dataclass(frozen=True)
class Deactivation:
    sims_deactivated: list[int]
    blocks_closed: list[int]
    requests_cancelled: int
    autopay_disabled: list[int]
    account_disabled: bool


@dataclass(frozen=True)
class Correction:
    entry_id: int
    sim_id: int
    amount_kop: int
    balance_after_kop: int
    sim_status: str  # after the correction (a credit may have restored a suspended SIM)


# --------------------------------------------------------------------------- helpers


def _subscriber(session: Session, subscriber_id: int) -> Subscriber:
    sub = session.get(Subscriber, subscriber_id) if isinstance(subscriber_id, int) else None
    if sub is None:
        raise NotFound()
    return sub


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _user(session: Session, sub: Subscriber) -> User | None:
    return session.get(User, sub.user_id) if sub.user_id is not None else None


# --------------------------------------------------------------------------- reads


@verb
def subscriber_detail(session: Session, actor: Actor, subscriber_id: int) -> SubscriberDetail:
    require(actor, "subscribers.view")
    sub = _subscriber(session, subscriber_id)
    user = _user(session, sub)
    partner = session.get(Partner, sub.partner_id) if sub.partner_id else None
    sim_rows = session.execute(
        select(Sim, Tariff.name, AutopaySetting.enabled)
        .join(Tariff, Tariff.id == Sim.tariff_id, isouter=True)
        .join(AutopaySetting, AutopaySetting.sim_id == Sim.id, isouter=True)
        .where(Sim.subscriber_id == sub.id)
        .order_by(Sim.id)
    ).all()
    sims = [
        SubscriberSim(s.id, s.msisdn, s.iccid, s.status, s.balance_kop, tariff or "", bool(autopay))
        for s, tariff, autopay in sim_rows
    ]
    payments = [
        SubscriberPayment(
            p.id,
            p.created_at,
            msisdn,
            p.amount_kop,
            p.method,
            display_status(p.status, p.refunded_kop, p.dispute, p.unknown_since is not None),
            p.refunded_kop,
        )
        for p, msisdn in session.execute(
            select(Payment, Sim.msisdn)
            .join(Sim, Sim.id == Payment.sim_id)
            .where(Payment.subscriber_id == sub.id)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(PAYMENTS_SHOWN)
        ).all()
    ]
    tickets = [
        SubscriberTicket(tk.id, tk.subject, tk.status, tk.priority, tk.created_at, tk.updated_at)
        for tk in session.execute(
            select(Ticket)
            .where(Ticket.subscriber_id == sub.id, Ticket.status.in_(OPEN_TICKET_STATUSES))
            .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        ).scalars()
    ]
    return SubscriberDetail(
        id=sub.id,
        contract_no=sub.contract_no,
        full_name=sub.full_name,
        email=sub.email,
        phone=sub.phone,
        address=sub.address,
        document_no=sub.document_no,
        status=sub.status,
        notes=sub.notes,
        document_type=sub.document_type or "",
        created_at=sub.created_at,
        partner_id=sub.partner_id,
        partner_name=partner.name if partner else "",
        user_id=sub.user_id,
        login=(user.email or user.phone or "") if user else "",
        account_active=bool(user and user.is_active),
        last_login_at=user.last_login_at if user else None,
        total_balance_kop=sum(s.balance_kop for s in sims),
        sims=sims,
        payments=payments,
        open_tickets=tickets,
        open_requests=_open_requests(session, sub.id),
    )


def _open_requests(session: Session, subscriber_id: int) -> list[SubscriberRequest]:
    """Pending requests about the contract's SIMs, plus activations it asked for (a claimed SIM
    is not on the contract until approved); newest first."""
    out: list[SubscriberRequest] = []
    for kind, model, mine in (
        (
            "activation",
            ActivationRequest,
            or_(
                Sim.subscriber_id == subscriber_id,
                ActivationRequest.subscriber_id == subscriber_id,
            ),
        ),
        ("tariff_change", TariffChangeRequest, Sim.subscriber_id == subscriber_id),
        ("unblock", UnblockRequest, Sim.subscriber_id == subscriber_id),
    ):
        rows = session.execute(
            select(model.id, model.sim_id, model.created_at, Sim.msisdn)
            .join(Sim, Sim.id == model.sim_id)
            .where(model.status == "pending", mine)
        ).all()
        out += [SubscriberRequest(kind, r.id, r.sim_id, r.msisdn, r.created_at) for r in rows]
    return sorted(out, key=lambda r: (r.created_at, r.id), reverse=True)


# --------------------------------------------------------------------------- personal data


@verb
def update_subscriber(
    session: Session,
    actor: Actor,
    subscriber_id: int,
    full_name: str,
    email: str,
    phone: str,
    address: str,
    document_no: str,
) -> None:
    """Check every field (the first bad one raises, nothing changes), then write the contract's
    data; the account's display name follows the full name. The login is not changed."""
    require(actor, "subscribers.edit")
    sub = _subscriber(session, subscriber_id)
    full_name = " ".join(_text(full_name).split())
    if not full_name:
        raise ValidationError("admin_subscribers.error.name_required", field="full_name")
    if len(full_name) > NAME_MAX:
        raise ValidationError("profile.error.too_long", field="full_name", max=NAME_MAX)
    email = _text(email)
    if email:
        normalised = normalise_email(email) if len(email) <= 254 else None
        if normalised is None:
            raise ValidationError("profile.error.email", field="email")
        email = normalised
    phone = _text(phone)
    if phone:
        normalised = normalise_phone(phone) if len(phone) <= 40 else None
        if normalised is None:
            raise ValidationError("profile.error.phone", field="phone")
        phone = normalised
    address = " ".join(_text(address).split())
    if len(address) > ADDRESS_MAX:
        raise ValidationError("profile.error.too_long", field="address", max=ADDRESS_MAX)
    document_no = " ".join(_text(document_no).split())
    if len(document_no) > DOCUMENT_MAX or not _DOCUMENT.fullmatch(document_no):
        raise ValidationError(
            "admin_subscribers.error.document", field="document_no", max=DOCUMENT_MAX
        )
    before = {
        "full_name": sub.full_name,
        "email": sub.email,
        "phone": sub.phone,
        "address": sub.address,
        "document_no": sub.document_no,
    }
    after = {
        "full_name": full_name,
        "email": email,
        "phone": phone,
        "address": address,
        "document_no": document_no,
    }
    if before == after:
        return
    sub.full_name, sub.email, sub.phone = full_name, email, phone
    sub.address, sub.document_no = address, document_no
    session.add(sub)
    user = _user(session, sub)
    if user is not None:
        user.full_name = full_name
        session.add(user)
    changed = [k for k in after if before[k] != after[k]]
    audit.record(
        session,
        actor,
        "subscriber.update",
        "subscriber",
        sub.id,
        {k: before[k] for k in changed},
        {k: after[k] for k in changed},
    )
    session.flush()


@verb
def set_notes(session: Session, actor: Actor, subscriber_id: int, notes: str) -> None:
    """The staff's notes on the contract (never shown to the subscriber)."""
    require(actor, "subscribers.edit")
    sub = _subscriber(session, subscriber_id)
    notes = _text(notes)
    if len(notes) > NOTES_MAX:
        raise ValidationError("admin_subscribers.error.notes", field="notes", max=NOTES_MAX)
    if notes == sub.notes:
        return
    before = sub.notes
    sub.notes = notes
    session.add(sub)
    audit.record(
        session,
        actor,
        "subscriber.notes",
        "subscriber",
        sub.id,
        {"notes": before},
        {"notes": notes},
    )
    session.flush()


# --------------------------------------------------------------------------- contract status


@verb
def deactivate_subscriber(
    session: Session, actor: Actor, subscriber_id: int, comment: str = ""
) -> Deactivation:
    """End the contract: see the module's docstring for everything that goes with it."""
    require(actor, "subscribers.edit")
    sub = _subscriber(session, subscriber_id)
    comment = _text(comment)
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            "admin_subscribers.error.comment_long", field="comment", max=COMMENT_MAX
        )
    if sub.status == "inactive":
        raise DomainError("admin_subscribers.error.already_inactive")
    user = _user(session, sub)
    locale = user.locale if user else "ru"
    now = utcnow()
    ids = session.execute(select(Sim.id).where(Sim.subscriber_id == sub.id)).scalars().all()
    # the ledger locks these rows too: no top-up or fee moves their status under our feet
    locked = ledger.lock_sims(session, ids)
    sim_before = {
        sid: s.status for sid, s in locked.items() if lifecycle.allows(s.status, "deactivate")
    }
    changing = sorted(sim_before)
    if changing:
        session.execute(lifecycle.statement("deactivate", Sim.id.in_(changing), updated_at=now))
    blocks = (
        session.execute(
            select(Block.id).where(Block.sim_id.in_(changing), Block.lifted_at.is_(None))
        )
        .scalars()
        .all()
        if changing
        else []
    )
    if blocks:
        session.execute(
            update(Block)
            .where(Block.id.in_(blocks))
            .values(lifted_at=now, lifted_by_user_id=actor.user_id)
        )
    cancelled = _cancel_requests(
        session, actor, sub, ids, t("admin_subscribers.contract_closed", locale), now
    )
    autopay = (
        session.execute(
            select(AutopaySetting.sim_id).where(
                AutopaySetting.sim_id.in_(ids), AutopaySetting.enabled
            )
        )
        .scalars()
        .all()
        if ids
        else []
    )
    if ids:
        session.execute(
            update(AutopaySetting)
            .where(AutopaySetting.sim_id.in_(ids))
            .values(enabled=False, updated_at=now)
        )
        # a retry waiting for one of these SIMs must not charge the card any more
        session.execute(
            update(AutopayRun)
            .where(AutopayRun.sim_id.in_(ids), AutopayRun.next_retry_at.is_not(None))
            .values(next_retry_at=None)
        )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Sim | Block | AutopaySetting):
            session.expire(obj)
    sub.status = "inactive"
    session.add(sub)
    account_was_active = bool(user and user.is_active)
    if user is not None:
        identity.set_user_active(session, actor, user.id, False)  # audited, signs out everywhere
    audit.record(
        session,
        actor,
        "subscriber.deactivate",
        "subscriber",
        sub.id,
        before={
            "status": "active",
            "sims": {str(sid): st for sid, st in sim_before.items()},
            "account_active": account_was_active,
            "autopay_enabled": sorted(autopay),
        },
        after={
            "status": "inactive",
            "sims_deactivated": changing,
            "blocks_closed": sorted(blocks),
            "requests_cancelled": cancelled,
            "autopay_disabled": sorted(autopay),
            "account_active": False if user is not None else None,
            "comment": comment,
        },
    )
    session.flush()
    return Deactivation(
        sims_deactivated=changing,
        blocks_closed=sorted(blocks),
        requests_cancelled=sum(len(v) for v in cancelled.values()),
        autopay_disabled=sorted(autopay),
        account_disabled=account_was_active,
    )


def _cancel_requests(
    session: Session, actor: Actor, sub: Subscriber, sim_ids, reason: str, now: datetime
) -> dict[str, list[int]]:
    """Cancel what waits for the operator about the contract. A SIM the subscriber claimed
    from the shop (awaiting activation, not on any contract yet) goes back to stock."""
    decided = {"status": "cancelled", "decided_by_user_id": actor.user_id, "decided_at": now}
    out: dict[str, list[int]] = {}
    activation = session.execute(
        select(ActivationRequest.id, ActivationRequest.sim_id).where(
            ActivationRequest.status == "pending",
            or_(ActivationRequest.subscriber_id == sub.id, ActivationRequest.sim_id.in_(sim_ids)),
        )
    ).all()
    if activation:
        session.execute(
            update(ActivationRequest)
            .where(ActivationRequest.id.in_([r.id for r in activation]))
            .values(reason=reason[:500], **decided)
        )
        session.execute(
            lifecycle.statement(
                "cancel_sale",
                Sim.id.in_([r.sim_id for r in activation]),
                Sim.subscriber_id.is_(None),
                updated_at=now,
            )
        )
    out["activation"] = sorted(r.id for r in activation)
    for kind, model, extra in (
        ("tariff_change", TariffChangeRequest, {"reason": reason[:500]}),
        ("unblock", UnblockRequest, {}),
    ):
        found = (
            session.execute(
                select(model.id).where(model.status == "pending", model.sim_id.in_(sim_ids))
            )
            .scalars()
            .all()
            if sim_ids
            else []
        )
        if found:
            session.execute(update(model).where(model.id.in_(found)).values(**extra, **decided))
        out[kind] = sorted(found)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, ActivationRequest | TariffChangeRequest | UnblockRequest):
            session.expire(obj)
    return out


@verb
def reactivate_subscriber(session: Session, actor: Actor, subscriber_id: int) -> None:
    """The contract is active again and its account can sign in; its SIMs stay deactivated."""
    require(actor, "subscribers.edit")
    sub = _subscriber(session, subscriber_id)
    if sub.status == "active":
        raise DomainError("admin_subscribers.error.already_active")
    user = _user(session, sub)
    sub.status = "active"
    session.add(sub)
    account_was_active = bool(user and user.is_active)
    if user is not None and not user.is_active:
        identity.set_user_active(session, actor, user.id, True)
    audit.record(
        session,
        actor,
        "subscriber.reactivate",
        "subscriber",
        sub.id,
        before={"status": "inactive", "account_active": account_was_active},
        after={"status": "active", "account_active": user is not None},
    )
    session.flush()


@verb
def send_password_reset(
    session: Session, actor: Actor, subscriber_id: int, base_url: str | None = None
) -> str:
    """Mail the subscriber a one-time link to set a new password; returns where it went.
    The token never comes back to the admin."""
    require(actor, "subscribers.edit")
    sub = _subscriber(session, subscriber_id)
    user = _user(session, sub)
    if user is None:
        raise DomainError("admin_subscribers.error.no_account")
    if sub.status != "active" or not user.is_active:
        raise DomainError("admin_subscribers.error.account_disabled")
    identity.send_reset_link(session, user, base_url)
    to = user.email or user.phone or ""
    audit.record(session, actor, "subscriber.reset_link", "subscriber", sub.id, after={"to": to})
    session.flush()
    return to


# --------------------------------------------------------------------------- money


@verb
def correct_balance(
    session: Session,
    actor: Actor,
    subscriber_id: int,
    sim_id: int,
    amount_kop: int,
    comment: str,
    *,
    form_key: str,
) -> Correction:
    """Credit (+) or debit (-) one SIM of the contract by a ledger adjustment. The debt rules
    apply as to any posting: a debit that takes an active SIM below zero suspends it, a credit
    that brings a suspended one to zero or above restores it.

    `form_key` is the correction form's key (core.form_keys), kept with the ledger entry:
    the same form posted again (a double click, a replayed event) changes nothing and answers
    with the correction it made the first time."""
    require(actor, "subscribers.edit")
    key = form_keys.scoped(f"correction:{actor.user_id}", form_key)

    def earlier() -> Correction | None:
        entry = session.execute(
            select(LedgerEntry).where(LedgerEntry.form_key == key)
        ).scalar_one_or_none()
        if entry is None:
            return None
        status = session.execute(select(Sim.status).where(Sim.id == entry.sim_id)).scalar_one()
        return Correction(entry.id, entry.sim_id, entry.amount_kop, entry.balance_after_kop, status)

    found = earlier()
    if found is not None:  # before the checks: the form may have been cleared since
        return found
    sub = _subscriber(session, subscriber_id)
    sim = session.get(Sim, sim_id) if isinstance(sim_id, int) else None
    if sim is None or sim.subscriber_id != sub.id:
        raise ValidationError("admin_subscribers.error.sim", field="sim")
    if (
        isinstance(amount_kop, bool)
        or not isinstance(amount_kop, int)
        or amount_kop == 0
        or abs(amount_kop) > CORRECTION_MAX_KOP
    ):
        raise ValidationError("admin_subscribers.error.amount", field="amount")
    comment = " ".join(_text(comment).split())
    if not COMMENT_MIN <= len(comment) <= COMMENT_MAX:
        raise ValidationError(
            "admin_subscribers.error.comment", field="comment", min=COMMENT_MIN, max=COMMENT_MAX
        )

    def correct() -> Correction:
        # the SIM locked first (SQLite: the write lock before any read), so a concurrent post
        # of the same form waits here and then meets the first one's key
        status_before = ledger.lock_sims(session, [sim.id])[sim.id].status
        entry = ledger.post(
            session,
            ledger.Posting(
                sim_id=sim.id,
                kind="adjustment",
                amount_kop=amount_kop,
                actor_user_id=actor.user_id,
                comment=comment,
                form_key=key,
            ),
        )
        status_after = session.execute(select(Sim.status).where(Sim.id == sim.id)).scalar_one()
        audit.record(
            session,
            actor,
            "sim.balance_correction",
            "sim",
            sim.id,
            before={"balance_kop": entry.balance_after_kop - amount_kop, "status": status_before},
            after={
                "balance_kop": entry.balance_after_kop,
                "status": status_after,
                "amount_kop": amount_kop,
                "comment": comment,
                "subscriber_id": sub.id,
                "ledger_entry_id": entry.id,
            },
        )
        session.flush()
        return Correction(entry.id, sim.id, amount_kop, entry.balance_after_kop, status_after)

    return form_keys.once(session, earlier, correct)[0]


# --------------------------------------------------------------------------- the list


def subscriber_rows_select() -> Select:
    """Every contract as a list row, unfiltered and unsorted, columns labelled:
    id, contract_no, full_name, phone, email, document_no, status, sim_count, balance_kop
    (the sum over its SIMs), created_at, partner_id, partner_name. The two sums are correlated
    subqueries, so they cost one index lookup per row of the page that is shown."""
    sim_count = (
        select(func.count(Sim.id))
        .where(Sim.subscriber_id == Subscriber.id)
        .correlate(Subscriber)
        .scalar_subquery()
    )
    balance = (
        select(func.coalesce(func.sum(SimBalance.balance_kop), 0))
        .select_from(Sim)
        .join(SimBalance, SimBalance.sim_id == Sim.id)
        .where(Sim.subscriber_id == Subscriber.id)
        .correlate(Subscriber)
        .scalar_subquery()
    )
    return (
        select(
            Subscriber.id.label("id"),
            Subscriber.contract_no.label("contract_no"),
            Subscriber.full_name.label("full_name"),
            Subscriber.phone.label("phone"),
            Subscriber.email.label("email"),
            Subscriber.document_no.label("document_no"),
            Subscriber.status.label("status"),
            sim_count.label("sim_count"),
            balance.label("balance_kop"),
            Subscriber.created_at.label("created_at"),
            Subscriber.partner_id.label("partner_id"),
            Partner.name.label("partner_name"),
        )
        .select_from(Subscriber)
        .join(Partner, Partner.id == Subscriber.partner_id, isouter=True)
    )
