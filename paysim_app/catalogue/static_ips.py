"""The pool of static IPv4 addresses the static-IP add-on hands out.

The admin adds a range (a CIDR block, "first..last" or "first-last"; at most MAX_RANGE addresses
at once; addresses already in the pool are skipped). A purchase takes the first free address
under a row lock (FOR UPDATE SKIP LOCKED on PostgreSQL, so two racing purchases take two
addresses and neither waits for the other); a renewal hands the address on to the renewing
purchase; the address goes back to the pool when the add-on ends without renewal
(catalogue.addons.renew_due and release_ended).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from paysim_app.core import audit
from paysim_app.core.errors import ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.models import SimAddon, StaticIp
from paysim_app.models.base import utcnow

MAX_RANGE = 65_536
CHUNK = 1000  # rows per INSERT (SQLite's limit on bound parameters)


@dataclass(frozen=True)
class PoolSummary:
    total: int
    used: int

    @property
    def free(self) -> int:
        return self.total - self.used


def _address(text: str) -> ipaddress.IPv4Address:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValidationError("static_ip.error.address", field="range", value=text[:40]) from None
    if not isinstance(address, ipaddress.IPv4Address):
        raise ValidationError("static_ip.error.ipv4", field="range")
    return address


def _usable(address: ipaddress.IPv4Address) -> bool:
    return not (
        address.is_multicast
        or address.is_loopback
        or address.is_unspecified
        or address.is_reserved
        or address.is_link_local
    )


def parse_range(text: object) -> list[str]:
    """The addresses a range names, in order: "198.51.100.0/24" (its hosts: without the
    network and broadcast addresses, unless /31 or /32), "198.51.100.10..198.51.100.20" or with
    "-" (both ends included). IPv4 only, no multicast, loopback, link-local or reserved
    addresses, at most MAX_RANGE of them."""
    if not isinstance(text, str) or not text.strip() or len(text) > 100:
        raise ValidationError("static_ip.error.range", field="range")
    text = text.strip()
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError:
            raise ValidationError("static_ip.error.cidr", field="range") from None
        if not isinstance(network, ipaddress.IPv4Network):
            raise ValidationError("static_ip.error.ipv4", field="range")
        if network.num_addresses > MAX_RANGE + 2:
            raise ValidationError("static_ip.error.too_many", field="range", max=MAX_RANGE)
        addresses = list(network.hosts()) if network.prefixlen < 31 else list(network)
    else:
        sep = ".." if ".." in text else "-" if "-" in text else None
        if sep is None:
            first = last = _address(text)
        else:
            left, _, right = text.partition(sep)
            first, last = _address(left), _address(right)
        if last < first:
            raise ValidationError("static_ip.error.order", field="range")
        count = int(last) - int(first) + 1
        if count > MAX_RANGE:
            raise ValidationError("static_ip.error.too_many", field="range", max=MAX_RANGE)
        addresses = [ipaddress.IPv4Address(i) for i in range(int(first), int(last) + 1)]
    if len(addresses) > MAX_RANGE:
        raise ValidationError("static_ip.error.too_many", field="range", max=MAX_RANGE)
    if not all(_usable(a) for a in addresses):
        raise ValidationError("static_ip.error.unusable", field="range")
    return [str(a) for a in addresses]


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(StaticIp.__table__)


@verb
def add_range(session: Session, actor: Actor, text: str) -> tuple[int, int]:
    """Add a range to the pool: (added, already there)."""
    require(actor, "tariffs.edit")
    addresses = parse_range(text)
    now = utcnow()
    added = 0
    for i in range(0, len(addresses), CHUNK):
        part = addresses[i : i + CHUNK]
        there = session.execute(
            select(func.count(StaticIp.id)).where(StaticIp.address.in_(part))
        ).scalar_one()
        session.execute(
            _insert(session)
            .values([{"address": a, "created_at": now} for a in part])
            .on_conflict_do_nothing(index_elements=["address"])
        )
        added += len(part) - there
    audit.record(
        session,
        actor,
        "static_ip.add_range",
        "static_ip",
        None,
        None,
        {"range": text.strip(), "added": added, "skipped": len(addresses) - added},
    )
    return added, len(addresses) - added


@verb
def summary(session: Session, actor: Actor) -> PoolSummary:
    require(actor, "tariffs.view")
    total, used = session.execute(
        select(func.count(StaticIp.id), func.count(StaticIp.sim_addon_id))
    ).one()
    return PoolSummary(total=total, used=used)


# --------------------------------------------------------------------------- for addons
def _take_free(session: Session) -> StaticIp | None:
    """The first free address, locked for this transaction (others skip it), or None."""
    query = (
        select(StaticIp)
        .where(StaticIp.sim_addon_id.is_(None))
        .order_by(StaticIp.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.execute(query).scalars().first()


def _assign(session: Session, address: StaticIp, sim_id: int, sim_addon_id: int, at: datetime):
    address.sim_id, address.sim_addon_id, address.assigned_at = sim_id, sim_addon_id, at
    session.add(address)
    session.flush()


def _hand_on(session: Session, from_sim_addon_id: int, to_sim_addon_id: int) -> None:
    """A renewal keeps the address: it moves to the renewing purchase."""
    session.execute(
        update(StaticIp)
        .where(StaticIp.sim_addon_id == from_sim_addon_id)
        .values(sim_addon_id=to_sim_addon_id)
    )


def _release(session: Session, sim_addon_ids: list[int]) -> int:
    if not sim_addon_ids:
        return 0
    result = session.execute(
        update(StaticIp)
        .where(StaticIp.sim_addon_id.in_(sim_addon_ids))
        .values(sim_id=None, sim_addon_id=None, assigned_at=None)
    )
    return max(result.rowcount, 0)


def _release_ended(session: Session, now: datetime) -> int:
    """Free the addresses of add-ons that ended and will not be renewed (auto-renewal off, or
    already handled by renew_due, which turns it off)."""
    ended = (
        select(SimAddon.id)
        .where(SimAddon.expires_at <= now, SimAddon.auto_renew.is_(False))
        .scalar_subquery()
    )
    result = session.execute(
        update(StaticIp)
        .where(StaticIp.sim_addon_id.in_(ended))
        .values(sim_id=None, sim_addon_id=None, assigned_at=None)
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount, 0)


@verb
def address_of(session: Session, sim_id: int) -> str | None:
    """The static address a SIM holds now (its technical data), if any."""
    return session.execute(
        select(StaticIp.address).where(StaticIp.sim_id == sim_id).order_by(StaticIp.id).limit(1)
    ).scalar()
