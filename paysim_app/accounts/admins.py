"""Admins and roles of the back office, and the SELECT of the audit log.

`admins.view` lets an admin see the admins and the roles, `admins.manage` lets them change
anything here: invite an admin (a set-password link through the outbox), disable / enable one,
assign a role; create, edit and delete roles (named sets of permissions from
`permissions.PERMISSIONS`).

The last-manager guard: after any change at least one active admin whose role grants
`admins.manage` remains, and an admin never strips `admins.manage` from themselves (neither by
editing the role they hold nor by giving themselves another role) nor disables themselves.
Guarded changes lock the role rows first (SELECT ... FOR UPDATE on PostgreSQL), so two admins who
demote each other at the same moment cannot both succeed.

Every change is audited with before/after (permission lists sorted). Built-in roles (see
`permissions.BUILTIN_ROLES`) may have their permissions and description edited, but keep their
name (the CLI and the demo seed find them by it) and cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, delete, func, select
from sqlmodel import Session

from paysim_app.accounts import two_factor
from paysim_app.accounts.identity import hash_token, new_token, revoke_all_sessions
from paysim_app.accounts.passwords import unusable_hash
from paysim_app.core import audit
from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.core.listing import contains
from paysim_app.core.logins import parse_login
from paysim_app.core.outbox import SECRET, queue_email
from paysim_app.core.permissions import (
    BUILTIN_ROLES,
    PERMISSIONS,
    SECTIONS,
    SPECIAL,
    Actor,
    require,
)
from paysim_app.core.text_search import in_ids, name_matches
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_day_range
from paysim_app.models import AdminRole, AdminRolePermission, AuditLog, PasswordResetToken, User
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

VIEW = "admins.view"
MANAGE = "admins.manage"
AUDIT_VIEW = "audit.view"
INVITE_HOURS = 72  # how long an invitation's set-password link works
MAX_ROLE_NAME = 80
MAX_DESCRIPTION = 255
MAX_FULL_NAME = 200


# -- DTOs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoleRow:
    id: int
    name: str
    description: str
    permissions: tuple[str, ...]  # sorted
    users: int  # admins holding the role (active or not)
    active_users: int
    is_builtin: bool


@dataclass(frozen=True)
class RoleUser:
    id: int
    full_name: str
    email: str
    is_active: bool


@dataclass(frozen=True)
class RoleDetail:
    id: int
    name: str
    description: str
    permissions: tuple[str, ...]  # sorted
    is_builtin: bool
    created_at: datetime
    users: tuple[RoleUser, ...]  # by name


@dataclass(frozen=True)
class AdminDetail:
    id: int
    full_name: str
    email: str
    role_id: int
    role_name: str
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    permissions: tuple[str, ...]  # sorted
    is_self: bool  # the acting admin: no disable, and the guard applies to a new role


@dataclass(frozen=True)
class PermissionGroup:
    """One line of the role form: a section with its view/edit and its special rights."""

    section: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class AuditChoices:
    admins: tuple[tuple[int, str], ...]  # (user id, "name <login>") of every admin
    actions: tuple[str, ...]
    entities: tuple[str, ...]


def permission_groups() -> tuple[PermissionGroup, ...]:
    """PERMISSIONS arranged per section for the role form (labels: admin_staff.section.* and
    admin_staff.right.<view|edit|import|refund|manage>)."""
    return tuple(
        PermissionGroup(
            s,
            (f"{s}.view", f"{s}.edit", *(p for p in SPECIAL if p.startswith(f"{s}."))),
        )
        for s in SECTIONS
    )


# -- lists for the generic list machinery ---------------------------------------------------
def admin_rows_select() -> Select:
    """Every admin account (active or disabled) with labelled columns: id, full_name, email,
    role_id, role_name, is_active, last_login_at, created_at. Unfiltered and unsorted; the
    caller checks `admins.view` first (permission VIEW).

    Sort keys: User.full_name, User.email, AdminRole.name, User.last_login_at, User.created_at
    (tie-breaker User.id). Filters: `User.admin_role_id == id`, `User.is_active.is_(bool)`;
    search: full_name / email contain the text."""
    return (
        select(
            User.id.label("id"),
            User.full_name.label("full_name"),
            User.email.label("email"),
            User.admin_role_id.label("role_id"),
            AdminRole.name.label("role_name"),
            User.is_active.label("is_active"),
            User.last_login_at.label("last_login_at"),
            User.created_at.label("created_at"),
        )
        .select_from(User)
        .join(AdminRole, AdminRole.id == User.admin_role_id)
        .where(User.role == "admin")
    )


def audit_rows_select() -> Select:
    """The audit log with who did it: labelled columns id, created_at, actor_user_id,
    actor_name, actor_login (e-mail, else phone; both None for the system: CLI, jobs), action,
    entity, entity_id, before, after (JSON text, "" when empty). Unfiltered and unsorted; the
    caller checks `audit.view` first (permission AUDIT_VIEW).

    audit_filters — how the audit section filters (each is `(stmt, value) -> stmt`, the shape
    of listing.FilterDef.apply; `audit_filter_choices` gives the choice lists):

    - by admin:  `filter_audit_admin(stmt, user_id)`   AuditLog.actor_user_id == user_id
      (index ix_audit_actor_created: actor + newest first is an index range scan)
    - by action: `filter_audit_action(stmt, action)`   exact action, e.g. "assign_admin_role"
    - by entity: `filter_audit_entity(stmt, entity)`   exact entity, e.g. "sim", "admin_role";
      add `filter_audit_entity_id(stmt, "42")` for one object (index ix_audit_entity)
    - by period: `filter_audit_from(stmt, date)` / `filter_audit_to(stmt, date)`, Moscow
      calendar days, inclusive (index ix_audit_created)
    - search: `search_audit(stmt, text)` matches action, entity or entity_id by prefix.

    Sort by AuditLog.created_at (default, newest first) with AuditLog.id as the tie-breaker.
    """
    return (
        select(
            AuditLog.id.label("id"),
            AuditLog.created_at.label("created_at"),
            AuditLog.actor_user_id.label("actor_user_id"),
            User.full_name.label("actor_name"),
            func.coalesce(User.email, User.phone).label("actor_login"),
            AuditLog.action.label("action"),
            AuditLog.entity.label("entity"),
            AuditLog.entity_id.label("entity_id"),
            AuditLog.before.label("before"),
            AuditLog.after.label("after"),
        )
        .select_from(AuditLog)
        .outerjoin(User, User.id == AuditLog.actor_user_id)
    )


def filter_audit_admin(stmt: Select, user_id: int) -> Select:
    return stmt.where(AuditLog.actor_user_id == user_id)


def filter_audit_action(stmt: Select, action: str) -> Select:
    return stmt.where(AuditLog.action == action)


def filter_audit_entity(stmt: Select, entity: str) -> Select:
    return stmt.where(AuditLog.entity == entity)


def filter_audit_entity_id(stmt: Select, entity_id: object) -> Select:
    return stmt.where(AuditLog.entity_id == str(entity_id))


def filter_audit_from(stmt: Select, day: date) -> Select:
    return stmt.where(AuditLog.created_at >= moscow_day_range(day)[0])


def filter_audit_to(stmt: Select, day: date) -> Select:
    return stmt.where(AuditLog.created_at < moscow_day_range(day)[1])


def search_audit(stmt: Select, text: str) -> Select:
    """The action, the object's kind or id by prefix, or the admin who acted (name, typo-
    tolerant, or part of the e-mail)."""
    like = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    actors = select(User.id).where(
        User.role == "admin", name_matches(User.full_name, text) | contains(User.email, text)
    )
    return stmt.where(
        AuditLog.action.like(like, escape="\\")
        | AuditLog.entity.like(like, escape="\\")
        | AuditLog.entity_id.like(like, escape="\\")
        | in_ids(AuditLog.actor_user_id, actors)
    )


@verb
def audit_filter_choices(session: Session, actor: Actor) -> AuditChoices:
    """Choice lists of the audit filters: every admin, the actions and entities that occur
    (two DISTINCT scans of audit_log: fine for an audit log's size)."""
    require(actor, AUDIT_VIEW)
    admins = session.execute(
        select(User.id, User.full_name, User.email)
        .where(User.role == "admin")
        .order_by(User.full_name, User.id)
    ).all()
    actions = session.execute(select(AuditLog.action).distinct().order_by(AuditLog.action))
    entities = session.execute(select(AuditLog.entity).distinct().order_by(AuditLog.entity))
    return AuditChoices(
        admins=tuple(
            (uid, f"{name} <{email}>" if name else email or "") for uid, name, email in admins
        ),
        actions=tuple(actions.scalars()),
        entities=tuple(entities.scalars()),
    )


# -- reading ----------------------------------------------------------------------------------
def _role_permissions(session: Session, role_ids: Iterable[int] | None = None) -> dict[int, list]:
    stmt = select(AdminRolePermission.role_id, AdminRolePermission.permission)
    if role_ids is not None:
        stmt = stmt.where(AdminRolePermission.role_id.in_(list(role_ids)))
    out: dict[int, list] = {}
    for role_id, permission in session.execute(stmt.order_by(AdminRolePermission.permission)):
        out.setdefault(role_id, []).append(permission)
    return out


@verb
def list_roles(session: Session, actor: Actor) -> list[RoleRow]:
    """Every role (by name) with its sorted permissions and how many admins hold it."""
    require(actor, VIEW)
    roles = session.execute(
        select(AdminRole.id, AdminRole.name, AdminRole.description).order_by(AdminRole.name)
    ).all()
    counts = {
        role_id: (total, active or 0)
        for role_id, total, active in session.execute(
            select(
                User.admin_role_id,
                func.count(User.id),
                func.sum(case((User.is_active.is_(True), 1), else_=0)),
            )
            .where(User.role == "admin")
            .group_by(User.admin_role_id)
        )
    }
    perms = _role_permissions(session)
    return [
        RoleRow(
            id=rid,
            name=name,
            description=description,
            permissions=tuple(perms.get(rid, ())),
            users=counts.get(rid, (0, 0))[0],
            active_users=int(counts.get(rid, (0, 0))[1]),
            is_builtin=name in BUILTIN_ROLES,
        )
        for rid, name, description in roles
    ]


def _load_role(session: Session, role_id: object) -> AdminRole:
    role = session.get(AdminRole, role_id) if _is_id(role_id) else None
    if role is None:
        raise NotFound()
    return role


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@verb
def role_detail(session: Session, actor: Actor, role_id: int) -> RoleDetail:
    """A role with its sorted permissions and the admins who hold it."""
    require(actor, VIEW)
    role = _load_role(session, role_id)
    users = session.execute(
        select(User.id, User.full_name, User.email, User.is_active)
        .where(User.role == "admin", User.admin_role_id == role.id)
        .order_by(User.full_name, User.id)
    ).all()
    return RoleDetail(
        id=role.id,
        name=role.name,
        description=role.description,
        permissions=tuple(_role_permissions(session, [role.id]).get(role.id, ())),
        is_builtin=role.name in BUILTIN_ROLES,
        created_at=role.created_at,
        users=tuple(RoleUser(uid, name, email or "", active) for uid, name, email, active in users),
    )


def _load_admin(session: Session, user_id: object) -> User:
    user = session.get(User, user_id) if _is_id(user_id) else None
    if user is None or user.role != "admin":
        raise NotFound()
    return user


@verb
def admin_detail(session: Session, actor: Actor, user_id: int) -> AdminDetail:
    """One admin account with its role and that role's permissions."""
    require(actor, VIEW)
    user = _load_admin(session, user_id)
    role = session.get(AdminRole, user.admin_role_id)
    return AdminDetail(
        id=user.id,
        full_name=user.full_name,
        email=user.email or "",
        role_id=role.id,
        role_name=role.name,
        is_active=user.is_active,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        permissions=tuple(_role_permissions(session, [role.id]).get(role.id, ())),
        is_self=user.id == actor.user_id,
    )


# -- the guard --------------------------------------------------------------------------------
def _lock_roles(session: Session) -> None:
    """Serialise every guarded change (PostgreSQL row locks; SQLite has one writer anyway)."""
    session.execute(select(AdminRole.id).order_by(AdminRole.id).with_for_update()).all()


def _manager_roles(session: Session) -> set[int]:
    return set(
        session.execute(
            select(AdminRolePermission.role_id).where(AdminRolePermission.permission == MANAGE)
        ).scalars()
    )


def _active_managers(session: Session, role_ids: set[int], except_user: int | None = None) -> int:
    if not role_ids:
        return 0
    stmt = select(func.count(User.id)).where(
        User.role == "admin", User.is_active.is_(True), User.admin_role_id.in_(role_ids)
    )
    if except_user is not None:
        stmt = stmt.where(User.id != except_user)
    return session.execute(stmt).scalar_one()


def _own_role_id(session: Session, actor: Actor) -> int | None:
    return session.execute(select(User.admin_role_id).where(User.id == actor.user_id)).scalar()


def _refuse_last_manager() -> None:
    raise ValidationError("admin_staff.error.last_manager")


# -- admins -----------------------------------------------------------------------------------
def _clean_name(full_name: object) -> str:
    name = full_name.strip() if isinstance(full_name, str) else ""
    if not name:
        raise ValidationError("admin_staff.error.full_name", field="full_name")
    if len(name) > MAX_FULL_NAME:
        raise ValidationError(
            "admin_staff.error.full_name_long", field="full_name", max=MAX_FULL_NAME
        )
    return name


def _role_for_assignment(session: Session, role_id: object) -> AdminRole:
    role = session.get(AdminRole, role_id) if _is_id(role_id) else None
    if role is None:
        raise ValidationError("admins.unknown_role", field="role")
    return role


def _send_invitation(session: Session, user: User, base_url: str | None) -> str:
    settings = get_settings()
    token = new_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(hours=INVITE_HOURS),
        )
    )
    link = f"{(base_url or settings.paysim_public_url).rstrip('/')}/reset?token={SECRET}"
    queue_email(
        session,
        user.email or "",
        "PaySim: приглашение администратора / admin invitation",
        f"Здравствуйте, {user.full_name}!\nВас пригласили в панель администратора PaySim. "
        f"Задайте пароль по ссылке (действует {INVITE_HOURS} ч):\n{link}\n\n"
        f"Hello {user.full_name},\nyou are invited to the PaySim back office. "
        f"Set your password here (valid {INVITE_HOURS} h):\n{link}\n",
        kind="admin_invite",
        secret=token,
    )
    return token


@verb
def invite_admin(
    session: Session,
    actor: Actor,
    email: str,
    full_name: str,
    role_id: int,
    base_url: str | None = None,
) -> int:
    """A new admin account with the role and no usable password; a set-password link (valid
    INVITE_HOURS) goes out through the outbox. Returns the new user's id."""
    require(actor, MANAGE)
    kind, value = parse_login(email if isinstance(email, str) else "", field="email")
    if kind != "email":
        raise ValidationError("auth.login_invalid", field="email")
    name = _clean_name(full_name)
    role = _role_for_assignment(session, role_id)
    if session.execute(select(User.id).where(User.email == value)).first() is not None:
        raise ValidationError("auth.login_taken", field="email")
    user = User(
        email=value,
        password_hash=unusable_hash(),  # the link sets one
        role="admin",
        full_name=name,
        admin_role_id=role.id,
    )
    session.add(user)
    session.flush()
    _send_invitation(session, user, base_url)
    audit.record(
        session,
        actor,
        "invite_admin",
        "user",
        user.id,
        None,
        {"email": value, "full_name": name, "role": role.name},
    )
    return user.id


@verb
def resend_invitation(
    session: Session, actor: Actor, user_id: int, base_url: str | None = None
) -> None:
    """A fresh set-password link for an active admin (e.g. the first one expired)."""
    require(actor, MANAGE)
    user = _load_admin(session, user_id)
    if not user.is_active:
        raise ValidationError("admin_staff.error.disabled")
    _send_invitation(session, user, base_url)
    audit.record(session, actor, "resend_admin_invitation", "user", user.id)


@verb
def set_admin_active(session: Session, actor: Actor, user_id: int, active: bool) -> None:
    """Disable (ends all its sessions at once) or re-enable an admin account. Nobody disables
    themselves, and the last active admin-manager stays."""
    require(actor, MANAGE)
    if not isinstance(active, bool):
        raise ValidationError("error.invalid", field="active")
    user = _load_admin(session, user_id)
    if not active and user.id == actor.user_id:
        raise ValidationError("admins.cannot_disable_self")
    if user.is_active == active:
        return  # nothing to change, nothing to audit
    if not active:
        _lock_roles(session)
        if _active_managers(session, _manager_roles(session), except_user=user.id) == 0:
            _refuse_last_manager()
    user.is_active = active
    if not active:
        revoke_all_sessions(session, user.id)
    audit.record(
        session,
        actor,
        "enable_admin" if active else "disable_admin",
        "user",
        user.id,
        {"is_active": not active},
        {"is_active": active},
    )


@verb
def assign_role(session: Session, actor: Actor, user_id: int, role_id: int) -> None:
    """Give an admin another role. An admin may not take away their own admins.manage this way,
    and the last active admin-manager stays. Moved to a role that requires two-factor sign-in
    without an authenticator, the admin's sessions end (accounts.two_factor.role_assigned)."""
    require(actor, MANAGE)
    user = _load_admin(session, user_id)
    role = _role_for_assignment(session, role_id)
    if role.id == user.admin_role_id:
        return
    _lock_roles(session)
    managers = _manager_roles(session)
    if user.id == actor.user_id and role.id not in managers:
        raise ValidationError("admin_staff.error.own_manage_right", field="role")
    remaining = _active_managers(session, managers, except_user=user.id)
    if remaining + (1 if user.is_active and role.id in managers else 0) == 0:
        _refuse_last_manager()
    old = session.get(AdminRole, user.admin_role_id)
    user.admin_role_id = role.id
    two_factor.role_assigned(session, actor, user.id, role.id)  # a role that requires it
    audit.record(
        session,
        actor,
        "assign_admin_role",
        "user",
        user.id,
        {"role_id": old.id, "role": old.name},
        {"role_id": role.id, "role": role.name},
    )


# -- roles ------------------------------------------------------------------------------------
def normalise_permissions(permissions: object) -> tuple[str, ...]:
    """A sorted tuple of known permissions. Each edit or special right brings its section's
    view along (sims.edit -> sims.view; admins.manage -> admins.view): seeing is implied."""
    if isinstance(permissions, str | bytes) or not isinstance(
        permissions, list | tuple | set | frozenset
    ):
        raise ValidationError("error.invalid", field="permissions")
    chosen: set[str] = set()
    for p in permissions:
        if not isinstance(p, str) or p not in PERMISSIONS:
            raise ValidationError(
                "admin_staff.error.unknown_permission", field="permissions", permission=str(p)[:64]
            )
        chosen.add(p)
        chosen.add(p.split(".", 1)[0] + ".view")
    return tuple(sorted(chosen))


def _clean_role_name(session: Session, name: object, role_id: int | None = None) -> str:
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not text:
        raise ValidationError("admin_staff.error.role_name", field="name")
    if len(text) > MAX_ROLE_NAME:
        raise ValidationError("admin_staff.error.role_name_long", field="name", max=MAX_ROLE_NAME)
    # case-insensitive in Python: SQLite's lower() does not fold Cyrillic (roles are few)
    for rid, existing in session.execute(select(AdminRole.id, AdminRole.name)):
        if rid != role_id and existing.casefold() == text.casefold():
            raise ValidationError("admin_staff.error.role_name_taken", field="name")
    return text


def _clean_description(description: object) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise ValidationError("error.invalid", field="description")
    text = description.strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(
            "admin_staff.error.description_long", field="description", max=MAX_DESCRIPTION
        )
    return text


def _role_state(role: AdminRole, permissions: Iterable[str]) -> dict[str, Any]:
    return {
        "name": role.name,
        "description": role.description,
        "permissions": sorted(permissions),
    }


@verb
def create_role(
    session: Session,
    actor: Actor,
    name: str,
    description: str = "",
    permissions: Iterable[str] = (),
) -> int:
    """A new role (unique name, case-insensitive) with the given permissions; returns its id."""
    require(actor, MANAGE)
    clean_name = _clean_role_name(session, name)
    clean_description = _clean_description(description)
    perms = normalise_permissions(permissions)
    role = AdminRole(name=clean_name, description=clean_description)
    session.add(role)
    session.flush()
    session.add_all(AdminRolePermission(role_id=role.id, permission=p) for p in perms)
    session.flush()
    audit.record(
        session, actor, "create_role", "admin_role", role.id, None, _role_state(role, perms)
    )
    return role.id


@verb
def update_role(
    session: Session,
    actor: Actor,
    role_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    permissions: Iterable[str] | None = None,
) -> None:
    """Edit a role's name, description and/or permissions (None keeps a value). A built-in
    role keeps its name. The guard: the actor cannot remove admins.manage from the role they
    hold, and some active admin-manager must remain."""
    require(actor, MANAGE)
    role = _load_role(session, role_id)
    new_name = role.name if name is None else _clean_role_name(session, name, role.id)
    if new_name != role.name and role.name in BUILTIN_ROLES:
        raise ValidationError("admin_staff.error.builtin_rename", field="name")
    new_description = role.description if description is None else _clean_description(description)
    old_perms = tuple(_role_permissions(session, [role.id]).get(role.id, ()))
    new_perms = old_perms if permissions is None else normalise_permissions(permissions)
    if (MANAGE in old_perms) and (MANAGE not in new_perms):
        _lock_roles(session)
        if _own_role_id(session, actor) == role.id:
            raise ValidationError("admin_staff.error.own_manage_right", field="permissions")
        if _active_managers(session, _manager_roles(session) - {role.id}) == 0:
            _refuse_last_manager()
    before = _role_state(role, old_perms)
    if (new_name, new_description, new_perms) == (role.name, role.description, old_perms):
        return
    removed = set(old_perms) - set(new_perms)
    if removed:
        session.execute(
            delete(AdminRolePermission).where(
                AdminRolePermission.role_id == role.id,
                AdminRolePermission.permission.in_(sorted(removed)),
            )
        )
    session.add_all(
        AdminRolePermission(role_id=role.id, permission=p)
        for p in sorted(set(new_perms) - set(old_perms))
    )
    role.name, role.description = new_name, new_description
    session.flush()
    audit.record(
        session, actor, "update_role", "admin_role", role.id, before, _role_state(role, new_perms)
    )


@verb
def delete_role(session: Session, actor: Actor, role_id: int) -> None:
    """Delete a role that no admin account (active or disabled) holds; built-ins stay."""
    require(actor, MANAGE)
    role = _load_role(session, role_id)
    if role.name in BUILTIN_ROLES:
        raise ValidationError("admin_staff.error.builtin_delete")
    used = session.execute(
        select(func.count(User.id)).where(User.admin_role_id == role.id)
    ).scalar_one()
    if used:
        raise ValidationError("admin_staff.error.role_in_use", count=used)
    perms = tuple(_role_permissions(session, [role.id]).get(role.id, ()))
    before = _role_state(role, perms)
    session.execute(delete(AdminRolePermission).where(AdminRolePermission.role_id == role.id))
    session.delete(role)
    session.flush()
    audit.record(session, actor, "delete_role", "admin_role", role_id, before, None)


__all__ = [
    "AdminDetail",
    "AuditChoices",
    "PermissionGroup",
    "RoleDetail",
    "RoleRow",
    "RoleUser",
    "admin_detail",
    "admin_rows_select",
    "assign_role",
    "audit_filter_choices",
    "audit_rows_select",
    "create_role",
    "delete_role",
    "filter_audit_action",
    "filter_audit_admin",
    "filter_audit_entity",
    "filter_audit_entity_id",
    "filter_audit_from",
    "filter_audit_to",
    "invite_admin",
    "list_roles",
    "normalise_permissions",
    "permission_groups",
    "resend_invitation",
    "role_detail",
    "search_audit",
    "set_admin_active",
    "update_role",
]
