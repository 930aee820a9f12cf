"""A subscriber's own SIMs: details (with the audited PUK reveal), labels, blocking a lost or
stolen SIM and asking the operator to unblock it, and adding a new SIM to the contract by its
ICCID and the activation code printed on its pack (an activation request for the operator)."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session
from stdnum import luhn

from paysim_app.catalogue import static_ips
from paysim_app.core import audit, notify, rate_limits, throttles
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.errors import DomainError, ValidationError
from paysim_app.core.permissions import Actor, owned_sim, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.models import (
    ActivationRequest,
    Block,
    Sim,
    Tariff,
    TariffChangeRequest,
    UnblockRequest,
)
from paysim_app.models.base import utcnow

# What a 4G modem or router needs; the same for every PaySim SIM.
APN = {
    "name": "internet.paysim",
    "username": "",
    "password": "",
    "auth": "none",
    "pdp": "IPv4v6",
    "mcc_mnc": "250-99",
}
SUBSCRIBER_BLOCK_REASONS = ("lost", "stolen", "other")
BLOCKABLE = lifecycle.sources("block_lost")
CLAIM_MAX_FAILURES = 5
CLAIM_LOCK_MINUTES = 15


@dataclass(frozen=True)
class BlockInfo:
    id: int
    reason: str
    comment: str
    blocked_at: datetime
    unblock_requested: bool


@dataclass(frozen=True)
class SimDetails:
    id: int
    msisdn: str
    iccid: str
    imsi: str
    label: str
    status: str
    balance_kop: int
    activated_at: datetime | None
    tariff_name: str
    apn: dict = field(default_factory=dict)
    block: BlockInfo | None = None
    static_ip: str = ""  # the address its static-IP add-on holds, if any


def activation_code_hash(code: str) -> str:
    """How a pack's activation code is kept: normalised (case, spaces, dashes) and hashed."""
    normal = re.sub(r"[\s-]", "", code or "").upper()
    return hashlib.sha256(f"paysim-activation:{normal}".encode()).hexdigest()


def _active_block(session: Session, sim_id: int) -> Block | None:
    return (
        session.execute(
            select(Block)
            .where(Block.sim_id == sim_id, Block.lifted_at.is_(None))
            .order_by(Block.blocked_at.desc())
        )
        .scalars()
        .first()
    )


def _block_info(session: Session, sim: Sim) -> BlockInfo | None:
    if sim.status != "blocked":
        return None
    block = _active_block(session, sim.id)
    if block is None:
        return None
    asked = (
        session.execute(
            select(UnblockRequest.id).where(
                UnblockRequest.block_id == block.id, UnblockRequest.status == "pending"
            )
        ).first()
        is not None
    )
    return BlockInfo(block.id, block.reason, block.comment, block.blocked_at, asked)


@verb
def sim_details(session: Session, actor: Actor, sim_id: int) -> SimDetails:
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="sims.view")
    tariff = session.get(Tariff, sim.tariff_id) if sim.tariff_id else None
    return SimDetails(
        id=sim.id,
        msisdn=sim.msisdn,
        iccid=sim.iccid,
        imsi=sim.imsi,
        label=sim.label,
        status=sim.status,
        balance_kop=sim.balance_kop,
        activated_at=sim.activated_at,
        tariff_name=tariff.name if tariff else "",
        apn=dict(APN),
        block=_block_info(session, sim),
        static_ip=static_ips.address_of(session, sim.id) or "",
    )


@verb
def reveal_puk(session: Session, actor: Actor, sim_id: int) -> str:
    """The PUK code, and an audit entry saying who saw it when."""
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="sims.view")
    audit.record(session, actor, "sim.puk_reveal", "sim", sim.id)
    return sim.puk


@verb
def set_label(session: Session, actor: Actor, sim_id: int, label: str) -> None:
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="sims.edit")
    label = (label or "").strip()
    if len(label) > 40:
        raise ValidationError("sims.error.label", field="label")
    sim.label = label
    sim.updated_at = utcnow()


@verb
def block_sim(session: Session, actor: Actor, sim_id: int, reason: str, comment: str = "") -> int:
    """Lost or stolen: the SIM is blocked at once. Top-ups stay possible; the fee is not
    charged while it is blocked; the operator lifts the block on request."""
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="blocks.edit")
    if reason not in SUBSCRIBER_BLOCK_REASONS:
        raise ValidationError("error.invalid", field="reason")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError("sims.error.comment", field="comment")
    lifecycle.check(sim.status, "block_lost")  # sims.error.not_blockable
    block = Block(
        sim_id=sim.id,
        reason=reason,
        comment=comment,
        blocked_by_user_id=actor.user_id,
        previous_status=sim.status,
    )
    session.add(block)
    lifecycle.block_lost(sim)
    session.flush()
    audit.record(
        session,
        actor,
        "sim.block",
        "sim",
        sim.id,
        before={"status": block.previous_status},
        after={"status": "blocked", "reason": reason},
    )
    return block.id


@verb
def request_unblock(session: Session, actor: Actor, sim_id: int, comment: str = "") -> int:
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="blocks.view")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError("sims.error.comment", field="comment")
    block = _active_block(session, sim.id) if sim.status == "blocked" else None
    if block is None:
        raise DomainError("sims.error.not_blocked")
    if _block_info(session, sim).unblock_requested:
        raise DomainError("sims.error.unblock_pending")
    request = UnblockRequest(
        block_id=block.id, sim_id=sim.id, requester_user_id=actor.user_id, comment=comment
    )
    session.add(request)
    session.flush()
    notify.tell_queue(session, "unblock_new", request.id, msisdn=sim.msisdn)
    return request.id


@verb
def claim_sim(session: Session, actor: Actor, iccid: str, code: str, ip: str = "") -> int:
    """Ask to add a SIM from the shop to the contract: its ICCID and the pack's code must match.
    Wrong codes are counted per user (5 in a row lock the form for 15 minutes) and per address
    (many accounts from one place: rate_limits "sim_claim.ip"), so codes cannot be guessed.
    Returns the activation request's id."""
    require_role(actor, "subscriber")
    if actor.subscriber_id is None:
        raise DomainError("error.forbidden")
    digits = re.sub(r"\D", "", iccid or "")
    if not 19 <= len(digits) <= 20 or not luhn.is_valid(digits):
        raise ValidationError("sims.error.iccid", field="iccid")
    if not re.fullmatch(r"[A-Za-z0-9\s-]{4,32}", code or ""):
        raise ValidationError("sims.error.code", field="code")
    now = utcnow()
    identifier = f"claim:{actor.user_id}"
    minutes = throttles.minutes_locked(session, identifier, now)
    if minutes:
        raise DomainError("sims.error.claim_locked", minutes=minutes)
    rate_limits.check(session, "sim_claim.ip", ip)
    sim = session.execute(select(Sim).where(Sim.iccid == digits)).scalar_one_or_none()
    ok = (
        sim is not None
        and lifecycle.allows(sim.status, "claim")
        and sim.subscriber_id is None
        and sim.activation_code_hash is not None
        and hmac.compare_digest(sim.activation_code_hash, activation_code_hash(code))
    )
    if not ok:
        throttles.count_failure(session, identifier, now, CLAIM_MAX_FAILURES, CLAIM_LOCK_MINUTES)
        rate_limits.count(session, "sim_claim.ip", ip)
        session.commit()  # the failure counts even though we refuse
        raise DomainError("sims.error.claim_refused")
    throttles.clear(session, identifier)
    pending = session.execute(
        select(ActivationRequest.id).where(
            ActivationRequest.sim_id == sim.id, ActivationRequest.status == "pending"
        )
    ).first()
    if pending:
        raise DomainError("sims.error.claim_pending")
    request = ActivationRequest(
        sim_id=sim.id,
        requester_user_id=actor.user_id,
        subscriber_id=actor.subscriber_id,
        tariff_id=sim.tariff_id,
        customer_name=actor.full_name,
    )
    session.add(request)
    lifecycle.claim(sim, now)
    session.flush()
    notify.tell_queue(session, "activation_new", request.id, msisdn=sim.msisdn)
    return request.id


@dataclass(frozen=True)
class OpenRequest:
    kind: str  # activation | tariff_change | unblock
    id: int
    sim_id: int
    msisdn: str
    created_at: datetime


@verb
def open_requests(session: Session, actor: Actor) -> list[OpenRequest]:
    """The contract's requests still waiting for the operator, newest first."""
    require_role(actor, "subscriber")
    if actor.subscriber_id is None:
        return []
    out: list[OpenRequest] = []
    for kind, model in (
        ("activation", ActivationRequest),
        ("tariff_change", TariffChangeRequest),
        ("unblock", UnblockRequest),
    ):
        rows = session.execute(
            select(model.id, model.sim_id, model.created_at, Sim.msisdn)
            .join(Sim, Sim.id == model.sim_id)
            .where(model.status == "pending", Sim.subscriber_id == actor.subscriber_id)
        ).all()
        if kind == "activation":  # a claimed SIM is not on the contract yet
            rows += session.execute(
                select(model.id, model.sim_id, model.created_at, Sim.msisdn)
                .join(Sim, Sim.id == model.sim_id)
                .where(
                    model.status == "pending",
                    model.subscriber_id == actor.subscriber_id,
                    Sim.subscriber_id.is_(None),
                )
            ).all()
        out += [OpenRequest(kind, r.id, r.sim_id, r.msisdn, r.created_at) for r in rows]
    return sorted(out, key=lambda r: r.created_at, reverse=True)
