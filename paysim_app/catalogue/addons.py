"""Add-on services bought from a SIM's balance (+10 GB, night unlimited, static IP, ...).

A purchase is a ledger entry (kind "addon") written with the SIM row locked and the balance
checked under that lock, so two purchases cannot both spend the same money. An add-on with
auto-renewal is bought again when it expires (by the billing cycle), if the balance allows;
otherwise it lapses and the subscriber is told.

Kinds (AddonService.kind) have effects: a data pack can be bought again and again (each adds its
gigabytes to the billing period it was bought in, sims.allowance; it does not renew); a static IP
takes a free address from the pool (catalogue.static_ips) under a row lock before the balance is
charged, and is refused when the pool is empty; its renewal keeps the address, and the address
goes back to the pool when the add-on ends without renewal (renew_due, release_ended). Night
unlimited and the speed booster act through sims.allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlmodel import Session

from paysim_app.billing import autopay, ledger
from paysim_app.billing import cycle as billing_cycle
from paysim_app.catalogue import static_ips
from paysim_app.core import notify, policy_marks
from paysim_app.core.errors import DomainError, NotFound
from paysim_app.core.permissions import Actor, owned_sim, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.models import AddonService, Sim, SimAddon, StaticIp
from paysim_app.models.base import utcnow
from paysim_app.payments import Gateway

BUYABLE = ("active",)


@dataclass(frozen=True)
class Offer:
    id: int
    code: str
    name: str
    description: str
    price_kop: int
    period_days: int
    active_until: datetime | None  # set when the SIM has it now


@dataclass(frozen=True)
class Owned:
    id: int
    addon_id: int
    name: str
    price_kop: int
    started_at: datetime
    expires_at: datetime
    auto_renew: bool


def _active(session: Session, sim_id: int, now: datetime) -> list[tuple[SimAddon, AddonService]]:
    return list(
        session.execute(
            select(SimAddon, AddonService)
            .join(AddonService, AddonService.id == SimAddon.addon_id)
            .where(SimAddon.sim_id == sim_id, SimAddon.expires_at > now, SimAddon.started_at <= now)
            .order_by(SimAddon.expires_at)
        ).all()
    )


@verb
def catalogue(session: Session, actor: Actor, sim_id: int) -> list[Offer]:
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="sims.view")
    now = utcnow()
    until = {a.addon_id: a.expires_at for a, _ in _active(session, sim.id, now)}
    rows = session.execute(
        select(AddonService)
        .where(AddonService.is_archived.is_(False))
        .order_by(AddonService.price_kop, AddonService.id)
    ).scalars()
    return [
        Offer(a.id, a.code, a.name, a.description, a.price_kop, a.period_days, until.get(a.id))
        for a in rows
    ]


@verb
def owned(session: Session, actor: Actor, sim_id: int) -> list[Owned]:
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="sims.view")
    return [
        Owned(a.id, s.id, s.name, s.price_kop, a.started_at, a.expires_at, a.auto_renew)
        for a, s in _active(session, sim.id, utcnow())
    ]


@verb
def buy(session: Session, actor: Actor, sim_id: int, addon_id: int) -> int:
    """Buy an add-on for its period from the balance; refused when the balance is short."""
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="sims.edit")
    addon = session.get(AddonService, addon_id) if isinstance(addon_id, int) else None
    if addon is None or addon.is_archived:
        raise NotFound("addons.error.not_found")
    if sim.status not in BUYABLE:
        raise DomainError("addons.error.sim_status")
    now = utcnow()
    balance = ledger.lock_sims(session, [sim.id])[sim.id].balance  # checked under the lock
    repeatable = addon.kind == "data_pack"  # packs add up
    if not repeatable and any(a.addon_id == addon.id for a, _ in _active(session, sim.id, now)):
        raise DomainError("addons.error.already_active")
    if balance < addon.price_kop:
        raise DomainError(
            "addons.error.balance_short",
            missing_kop=addon.price_kop - balance,
            price_kop=addon.price_kop,
        )
    address = None
    if addon.kind == "static_ip":
        address = static_ips._take_free(session)  # locked: a racing purchase skips it
        if address is None:
            raise DomainError("addons.error.pool_empty")
    bought = _charge(session, sim.id, addon, now, actor.user_id)
    if address is not None:
        static_ips._assign(session, address, sim.id, bought, now)
    return bought


@verb
def buy_and_top_up(
    session: Session, actor: Actor, gateway: Gateway, sim_id: int, addon_id: int
) -> int:
    """buy, committed; then the SIM's threshold autopay, since the purchase may have taken the
    balance below the rule's threshold (a top-up that fails leaves the purchase in place)."""
    bought = buy(session, actor, sim_id, addon_id)
    session.commit()
    autopay.run_threshold_checks(session, gateway, [sim_id])
    return bought


def purchase_posting(sim_id: int, addon: AddonService, actor_user_id: int | None) -> ledger.Posting:
    """What buying (or renewing) `addon` writes to the SIM's ledger (here; the demo's history)."""
    return ledger.Posting(
        sim_id, "addon", -addon.price_kop, actor_user_id=actor_user_id, comment=addon.name[:500]
    )


def _charge(
    session: Session, sim_id: int, addon: AddonService, start: datetime, actor_user_id: int | None
) -> int:
    entry = ledger.post(session, purchase_posting(sim_id, addon, actor_user_id))
    bought = SimAddon(
        sim_id=sim_id,
        addon_id=addon.id,
        started_at=start,
        expires_at=start + timedelta(days=addon.period_days),
        auto_renew=addon.kind != "data_pack",  # a pack is bought when needed, not monthly
        ledger_entry_id=entry.id,
    )
    session.add(bought)
    session.flush()
    policy_marks.mark(session, [sim_id])  # a pack, a booster, an address: the network learns it
    return bought.id


@verb
def set_auto_renew(session: Session, actor: Actor, sim_addon_id: int, on: bool) -> None:
    require_role(actor, "subscriber")
    row = session.get(SimAddon, sim_addon_id) if isinstance(sim_addon_id, int) else None
    if row is None:
        raise NotFound("addons.error.not_found")
    owned_sim(session, actor, row.sim_id, admin_permission="sims.edit")  # someone else's: refused
    row.auto_renew = bool(on)


@billing_cycle.renews_addons
@verb
def renew_due(session: Session, now: datetime | None = None) -> dict:
    """Renew expired auto-renewing add-ons (once: the renewal is a newer row, looked for under
    the SIM's lock); an add-on the balance cannot pay lapses and its owner is told."""
    now = now or utcnow()
    due = session.execute(
        select(SimAddon, AddonService, Sim.status)
        .join(AddonService, AddonService.id == SimAddon.addon_id)
        .join(Sim, Sim.id == SimAddon.sim_id)
        .where(SimAddon.auto_renew, SimAddon.expires_at <= now)
        .order_by(SimAddon.sim_id, SimAddon.id)
        .limit(1000)
    ).all()
    counts = {"renewed": 0, "lapsed": 0}
    for row, addon, status in due:
        balance = ledger.lock_sims(session, [row.sim_id])[row.sim_id].balance
        taken = session.execute(
            select(SimAddon.id).where(
                and_(
                    SimAddon.sim_id == row.sim_id,
                    SimAddon.addon_id == row.addon_id,
                    SimAddon.started_at >= row.expires_at,
                )
            )
        ).first()
        session.execute(update(SimAddon).where(SimAddon.id == row.id).values(auto_renew=False))
        if taken:
            continue
        if status in BUYABLE and not addon.is_archived and balance >= addon.price_kop:
            renewal = _charge(session, row.sim_id, addon, row.expires_at, None)
            static_ips._hand_on(session, row.id, renewal)  # a renewal keeps the address
            counts["renewed"] += 1
        else:
            static_ips._release(session, [row.id])
            policy_marks.mark(session, [row.sim_id])
            notify.notify_sim_owners(
                session,
                [(row.sim_id, "addon_lapsed", {"name": addon.name, "price_kop": addon.price_kop})],
            )
            counts["lapsed"] += 1
        session.commit()
    return counts


@verb
def release_ended(session: Session, now: datetime | None = None) -> int:
    """The tidy job: static addresses of add-ons that ended without renewal go back to the pool
    (an auto-renewing one keeps its address until renew_due has decided); their SIMs are
    marked for the network policy (the address leaves it)."""
    now = now or utcnow()
    holders = session.execute(
        select(StaticIp.sim_id)
        .join(SimAddon, SimAddon.id == StaticIp.sim_addon_id)
        .where(SimAddon.expires_at <= now, SimAddon.auto_renew.is_(False))
    ).scalars()
    policy_marks.mark(session, list(holders))
    return static_ips._release_ended(session, now)
