"""The blocking queue: SIMs blocked by admins or by their owners (lost, stolen), with when, why
and who; an admin blocks a SIM, lifts a block, and decides the owners' unblock requests.

Lifting returns the SIM to the status it had before the block (sim.status_before_block, which
the ledger keeps current: a top-up during the block that pays a debt makes it "active"); a
working SIM whose balance is below zero returns suspended for debt, one at zero or above active.
Top-ups stay possible while a SIM is blocked, and no monthly fee is charged (see billing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import case, exists, func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from paysim_app.core import audit
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.models import Block, Partner, Sim, Subscriber, UnblockRequest, User
from paysim_app.models.base import utcnow
from paysim_app.models.requests import BLOCK_REASONS
from paysim_app.sims.activations import clean_reason, decide, lock_row, notify_owner

# what an admin may block: besides working SIMs, stock (a stolen box) and SIMs awaiting activation
ADMIN_BLOCKABLE = lifecycle.sources("block")
WORKING = lifecycle.WORKING
# the status a lifted block gives back (the lifecycle's rule)
return_status = lifecycle.return_status


def _valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------- read side


@dataclass(frozen=True)
class UnblockRequestInfo:
    id: int
    created_at: datetime
    status: str
    comment: str
    requester_name: str
    requester_login: str
    decided_at: datetime | None
    decided_by_name: str


@dataclass(frozen=True)
class BlockDetail:
    id: int
    sim_id: int
    msisdn: str
    iccid: str
    sim_status: str
    balance_kop: int
    subscriber_id: int | None
    subscriber_name: str
    contract_no: str
    partner_name: str
    reason: str  # one of BLOCK_REASONS
    comment: str
    blocked_at: datetime
    blocked_by_user_id: int
    blocked_by_name: str
    blocked_by_login: str
    blocked_by_role: str  # subscriber (the owner) | admin | partner
    previous_status: str
    is_active: bool
    lifted_at: datetime | None
    lifted_by_name: str
    # what lifting would set now (the SIM's status before the block, by the balance's sign)
    return_status: str
    unblock_requests: tuple[UnblockRequestInfo, ...]
    can_lift: bool


def _login(user: User | None) -> str:
    return (user.email or user.phone or "") if user else ""


@verb
def block_detail(session: Session, actor: Actor, block_id: int) -> BlockDetail:
    require(actor, "blocks.view")
    block = session.get(Block, block_id) if _valid_id(block_id) else None
    if block is None:
        raise NotFound("admin_queues.error.block_not_found")
    sim = session.get(Sim, block.sim_id)
    sub = session.get(Subscriber, sim.subscriber_id) if sim.subscriber_id else None
    partner = session.get(Partner, sim.partner_id) if sim.partner_id else None
    by = session.get(User, block.blocked_by_user_id)
    lifter = session.get(User, block.lifted_by_user_id) if block.lifted_by_user_id else None
    requester, decider = aliased(User), aliased(User)
    rows = session.execute(
        select(UnblockRequest, requester, decider.full_name)
        .join(requester, requester.id == UnblockRequest.requester_user_id)
        .outerjoin(decider, decider.id == UnblockRequest.decided_by_user_id)
        .where(UnblockRequest.block_id == block.id)
        .order_by(UnblockRequest.created_at.desc(), UnblockRequest.id.desc())
    ).all()
    active = block.lifted_at is None
    return BlockDetail(
        id=block.id,
        sim_id=sim.id,
        msisdn=sim.msisdn,
        iccid=sim.iccid,
        sim_status=sim.status,
        balance_kop=sim.balance_kop,
        subscriber_id=sim.subscriber_id,
        subscriber_name=sub.full_name if sub else "",
        contract_no=sub.contract_no if sub else "",
        partner_name=partner.name if partner else "",
        reason=block.reason,
        comment=block.comment,
        blocked_at=block.blocked_at,
        blocked_by_user_id=block.blocked_by_user_id,
        blocked_by_name=by.full_name if by else "",
        blocked_by_login=_login(by),
        blocked_by_role=by.role if by else "",
        previous_status=block.previous_status,
        is_active=active,
        lifted_at=block.lifted_at,
        lifted_by_name=lifter.full_name if lifter else "",
        return_status=return_status(
            sim.status_before_block or block.previous_status, sim.balance_kop
        ),
        unblock_requests=tuple(
            UnblockRequestInfo(
                id=r.id,
                created_at=r.created_at,
                status=r.status,
                comment=r.comment,
                requester_name=u.full_name,
                requester_login=_login(u),
                decided_at=r.decided_at,
                decided_by_name=decided_by or "",
            )
            for r, u, decided_by in rows
        ),
        can_lift=active and actor.can("blocks.edit"),
    )


@cache  # built once: a statement is immutable, and its aliases cost ~1-2 ms
def block_rows_select():
    """Every block, current and lifted (unfiltered, unsorted).

    Columns: id, blocked_at, status (active | lifted), reason, comment, sim_id, msisdn, iccid,
    sim_status, previous_status, blocked_by_user_id, blocked_by_name, blocked_by_login,
    blocked_by_role, subscriber_id, subscriber_name, contract_no, partner_id, partner_name,
    lifted_at, lifted_by_name, unblock_requested (a pending unblock request exists)."""
    by, lifter = aliased(User), aliased(User)
    pending = exists().where(
        UnblockRequest.block_id == Block.id, UnblockRequest.status == "pending"
    )
    return (
        select(
            Block.id.label("id"),
            Block.blocked_at.label("blocked_at"),
            case((Block.lifted_at.is_(None), "active"), else_="lifted").label("status"),
            Block.reason.label("reason"),
            Block.comment.label("comment"),
            Block.sim_id.label("sim_id"),
            Sim.msisdn.label("msisdn"),
            Sim.iccid.label("iccid"),
            Sim.status.label("sim_status"),
            Block.previous_status.label("previous_status"),
            Block.blocked_by_user_id.label("blocked_by_user_id"),
            by.full_name.label("blocked_by_name"),
            func.coalesce(by.email, by.phone, "").label("blocked_by_login"),
            by.role.label("blocked_by_role"),
            Sim.subscriber_id.label("subscriber_id"),
            func.coalesce(Subscriber.full_name, "").label("subscriber_name"),
            func.coalesce(Subscriber.contract_no, "").label("contract_no"),
            Sim.partner_id.label("partner_id"),
            func.coalesce(Partner.name, "").label("partner_name"),
            Block.lifted_at.label("lifted_at"),
            func.coalesce(lifter.full_name, "").label("lifted_by_name"),
            pending.label("unblock_requested"),
        )
        .select_from(Block)
        .join(Sim, Sim.id == Block.sim_id)
        .join(by, by.id == Block.blocked_by_user_id)
        .outerjoin(Subscriber, Subscriber.id == Sim.subscriber_id)
        .outerjoin(Partner, Partner.id == Sim.partner_id)
        .outerjoin(lifter, lifter.id == Block.lifted_by_user_id)
    )


@cache  # built once: a statement is immutable, and its aliases cost ~1-2 ms
def unblock_rows_select():
    """Every unblock request from owners (unfiltered, unsorted).

    Columns: id, created_at, status, comment, block_id, block_reason, blocked_at, block_status
    (active | lifted), sim_id, msisdn, iccid, sim_status, requester_user_id, requester_name,
    requester_login, subscriber_id, subscriber_name, contract_no, partner_id, partner_name,
    decided_at, decided_by_name."""
    requester, decider = aliased(User), aliased(User)
    return (
        select(
            UnblockRequest.id.label("id"),
            UnblockRequest.created_at.label("created_at"),
            UnblockRequest.status.label("status"),
            UnblockRequest.comment.label("comment"),
            UnblockRequest.block_id.label("block_id"),
            Block.reason.label("block_reason"),
            Block.blocked_at.label("blocked_at"),
            case((Block.lifted_at.is_(None), "active"), else_="lifted").label("block_status"),
            UnblockRequest.sim_id.label("sim_id"),
            Sim.msisdn.label("msisdn"),
            Sim.iccid.label("iccid"),
            Sim.status.label("sim_status"),
            UnblockRequest.requester_user_id.label("requester_user_id"),
            requester.full_name.label("requester_name"),
            func.coalesce(requester.email, requester.phone, "").label("requester_login"),
            Sim.subscriber_id.label("subscriber_id"),
            func.coalesce(Subscriber.full_name, "").label("subscriber_name"),
            func.coalesce(Subscriber.contract_no, "").label("contract_no"),
            Sim.partner_id.label("partner_id"),
            func.coalesce(Partner.name, "").label("partner_name"),
            UnblockRequest.decided_at.label("decided_at"),
            func.coalesce(decider.full_name, "").label("decided_by_name"),
        )
        .select_from(UnblockRequest)
        .join(Block, Block.id == UnblockRequest.block_id)
        .join(Sim, Sim.id == UnblockRequest.sim_id)
        .join(requester, requester.id == UnblockRequest.requester_user_id)
        .outerjoin(Subscriber, Subscriber.id == Sim.subscriber_id)
        .outerjoin(Partner, Partner.id == Sim.partner_id)
        .outerjoin(decider, decider.id == UnblockRequest.decided_by_user_id)
    )


# --------------------------------------------------------------------------- actions


@verb
def block_sim(session: Session, actor: Actor, sim_id: int, reason: str, comment: str = "") -> int:
    """An admin blocks a SIM with a reason (BLOCK_REASONS) and an optional comment the owner is
    told. Returns the block's id."""
    require(actor, "blocks.edit")
    if reason not in BLOCK_REASONS:
        raise ValidationError("admin_queues.error.block_reason", field="reason")
    comment = clean_reason(comment, required=False, field="comment")
    sim = lock_row(session, Sim, sim_id) if _valid_id(sim_id) else None
    if sim is None:
        raise NotFound()
    lifecycle.check(sim.status, "block")  # admin_queues.error.not_blockable
    previous = sim.status
    block = Block(
        sim_id=sim.id,
        reason=reason,
        comment=comment,
        blocked_by_user_id=actor.user_id,
        previous_status=previous,
    )
    session.add(block)
    lifecycle.block(sim)
    session.flush()
    audit.record(
        session,
        actor,
        "sim.block",
        "sim",
        sim.id,
        {"status": previous},
        {"status": "blocked", "reason": reason, "comment": comment, "block_id": block.id},
    )
    notify_owner(
        session,
        sim,
        "sim_blocked",
        lambda locale: {"reason": t(f"sims.reason.{reason}", locale), "comment": comment},
    )
    return block.id


def _lift(session: Session, actor: Actor, block: Block, unblock_request_id: int | None) -> str:
    """Close the (locked, active) block, give the SIM its status back, settle the pending
    unblock requests of this block as approved. Returns the SIM's new status."""
    sim = lock_row(session, Sim, block.sim_id)
    now = utcnow()
    done = session.execute(
        update(Block)
        .where(Block.id == block.id, Block.lifted_at.is_(None))
        .values(lifted_at=now, lifted_by_user_id=actor.user_id)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError("admin_queues.error.block_lifted")
    session.expire(block)
    before = sim.status
    if lifecycle.allows(sim.status, "unblock"):
        after = lifecycle.unblock(sim, block.previous_status, now)
    else:  # the SIM was moved on meanwhile (e.g. deactivated): only the block is closed
        after = sim.status
    # a lift answers every pending request to lift this block
    session.execute(
        update(UnblockRequest)
        .where(UnblockRequest.block_id == block.id, UnblockRequest.status == "pending")
        .values(status="approved", decided_by_user_id=actor.user_id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor,
        "sim.unblock",
        "sim",
        sim.id,
        {"status": before, "block_id": block.id},
        {"status": after, "block_id": block.id, "unblock_request_id": unblock_request_id},
    )
    session.flush()
    notify_owner(session, sim, "sim_unblocked", {})
    return after


@verb
def lift_block(session: Session, actor: Actor, block_id: int) -> str:
    """Lift an active block; returns the SIM's status after it."""
    require(actor, "blocks.edit")
    block = lock_row(session, Block, block_id) if _valid_id(block_id) else None
    if block is None:
        raise NotFound("admin_queues.error.block_not_found")
    if block.lifted_at is not None:
        raise DomainError("admin_queues.error.block_lifted")
    return _lift(session, actor, block, None)


def _pending_unblock(session: Session, request_id: int) -> UnblockRequest:
    request = lock_row(session, UnblockRequest, request_id) if _valid_id(request_id) else None
    if request is None:
        raise NotFound("admin_queues.error.not_found")
    if request.status != "pending":
        raise DomainError("admin_queues.error.not_pending")
    return request


@verb
def approve_unblock(session: Session, actor: Actor, request_id: int) -> str:
    """Grant an owner's unblock request: the block is lifted. Returns the SIM's new status."""
    require(actor, "blocks.edit")
    request = _pending_unblock(session, request_id)
    block = lock_row(session, Block, request.block_id)
    if block.lifted_at is not None:
        raise DomainError("admin_queues.error.block_lifted")
    status = _lift(session, actor, block, request.id)
    session.expire(request)
    audit.record(
        session,
        actor,
        "unblock_request.approve",
        "unblock_request",
        request.id,
        {"status": "pending"},
        {"status": "approved", "sim_id": request.sim_id, "block_id": block.id},
    )
    return status


@verb
def reject_unblock(session: Session, actor: Actor, request_id: int, reason: str) -> None:
    """Refuse an unblock request with a reason the owner reads in a notification (the request
    table has no reason column: the reason lives in the audit entry and the notification)."""
    require(actor, "blocks.edit")
    reason = clean_reason(reason)
    request = _pending_unblock(session, request_id)
    decide(session, UnblockRequest, request.id, actor, "rejected")
    audit.record(
        session,
        actor,
        "unblock_request.reject",
        "unblock_request",
        request.id,
        {"status": "pending"},
        {"status": "rejected", "sim_id": request.sim_id, "reason": reason},
    )
    session.flush()
    sim = session.get(Sim, request.sim_id)
    notify_owner(
        session, sim, "unblock_rejected", {"reason": reason}, user_id=request.requester_user_id
    )
