"""Admin roles: named sets of permissions."""

from __future__ import annotations

from sqlmodel import Session, select

from paysim_app.core.permissions import BUILTIN_ROLES
from paysim_app.core.unit_of_work import verb
from paysim_app.models import AdminRole, AdminRolePermission


@verb
def ensure_builtin_roles(session: Session) -> dict[str, AdminRole]:
    """Create the built-in roles that are missing; returns every role by name."""
    roles = {r.name: r for r in session.exec(select(AdminRole)).all()}
    for name, permissions in BUILTIN_ROLES.items():
        if name in roles:
            continue
        role = AdminRole(name=name, description="built-in")
        session.add(role)
        session.flush()
        session.add_all(AdminRolePermission(role_id=role.id, permission=p) for p in permissions)
        roles[name] = role
    session.flush()
    return roles
