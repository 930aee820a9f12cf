"""Who may do what. Every service calls require() or an ownership check before it acts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from paysim_app.core.errors import PermissionDenied
from paysim_app.models import AdminRolePermission, Sim

# Admin sections, each with view/edit, plus the special rights.
SECTIONS = (
    "sims",
    "subscribers",
    "partners",
    "payments",
    "tariffs",
    "activations",
    "blocks",
    "support",
    "admins",
    "audit",
    "quality",
    "coverage",
    "privacy",
)
SPECIAL = ("sims.import", "payments.refund", "admins.manage")
PERMISSIONS: tuple[str, ...] = (
    tuple(f"{s}.{v}" for s in SECTIONS for v in ("view", "edit")) + SPECIAL
)

# Built-in roles that seed-demo and create-admin make.
ROLE_SUPERADMIN = "Superadmin"
ROLE_SUPPORT = "Support operator"
BUILTIN_ROLES: dict[str, tuple[str, ...]] = {
    ROLE_SUPERADMIN: PERMISSIONS,
    ROLE_SUPPORT: ("support.view", "support.edit", "subscribers.view"),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user as services see it; built from a live session on every call."""

    user_id: int
    role: str  # subscriber | partner | admin
    full_name: str = ""
    login: str = ""
    locale: str = "ru"
    subscriber_id: int | None = None
    partner_id: int | None = None
    permissions: frozenset[str] = field(default_factory=frozenset)
    # a subscriber who has not accepted the current legal texts (accounts.consent): the door
    # lets them reach only the page that asks for it
    consent_due: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can(self, permission: str) -> bool:
        return self.role == "admin" and permission in self.permissions


def load_permissions(session: Session, admin_role_id: int | None) -> frozenset[str]:
    if admin_role_id is None:
        return frozenset()
    rows = session.exec(
        select(AdminRolePermission.permission).where(AdminRolePermission.role_id == admin_role_id)
    ).all()
    return frozenset(rows)


def require(actor: Actor | None, permission: str) -> Actor:
    """Raise PermissionDenied unless the actor is an admin whose role grants `permission`."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if actor is None or not actor.can(permission):
        raise PermissionDenied()
    return actor


def require_role(actor: Actor | None, *roles: str) -> Actor:
    if actor is None or actor.role not in roles:
        raise PermissionDenied()
    return actor


def owned_sim(
    session: Session,
    actor: Actor | None,
    sim_id: int,
    *,
    admin_permission: str,
    partner: bool = False,
) -> Sim:
    """The SIM if the actor may act on it: its subscriber, an admin with the right, and its
    partner only where the verb says so (`partner=True`): a dealer sells and activates SIMs but
    never reads its subscribers' statements, cards, autopay or PUKs.

    Whether the SIM exists or belongs to someone else, the answer is the same refusal.
    """
    if actor is None:
        raise PermissionDenied()
    sim = session.get(Sim, sim_id) if isinstance(sim_id, int) else None
    if sim is not None:
        # `is not None`: an actor without a contract/partner must not match SIMs that have none
        if (
            actor.role == "subscriber"
            and actor.subscriber_id is not None
            and sim.subscriber_id == actor.subscriber_id
        ):
            return sim
        if (
            partner
            and actor.role == "partner"
            and actor.partner_id is not None
            and sim.partner_id == actor.partner_id
        ):
            return sim
        if actor.can(admin_permission):
            return sim
    raise PermissionDenied()
