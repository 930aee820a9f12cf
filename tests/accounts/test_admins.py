"""services/admins: admins (invite, disable/enable, assign a role), roles (create, edit, delete),
the last-admin-manager guard, the list SELECTs of admins and of the audit log."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from paysim_app.accounts import admins, identity
from paysim_app.core.errors import AuthError, NotFound, PermissionDenied, ValidationError
from paysim_app.core.outbox import render_for_sending
from paysim_app.core.permissions import PERMISSIONS, ROLE_SUPERADMIN, ROLE_SUPPORT
from paysim_app.models import (
    AdminRole,
    AdminRolePermission,
    AuditLog,
    AuthSession,
    OutboxEmail,
    User,
)
from paysim_app.models.base import utcnow

NEW_PASSWORD = "Brand-new-pass7"


def role_id(session, name: str) -> int:
    return session.execute(select(AdminRole.id).where(AdminRole.name == name)).scalar_one()


def perms_of(session, rid: int) -> list[str]:
    session.expire_all()
    return sorted(
        session.execute(
            select(AdminRolePermission.permission).where(AdminRolePermission.role_id == rid)
        ).scalars()
    )


def audits(session, action: str) -> list[AuditLog]:
    session.expire_all()
    return list(
        session.execute(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        ).scalars()
    )


def fresh(session, actor):
    """The actor as a new request would see it (permissions reloaded from the database)."""
    session.expire_all()
    return identity.actor_for(session, session.get(User, actor.user_id))


@pytest.fixture
def boss(factory):
    return factory.superadmin()


@pytest.fixture
def viewer(factory, session, boss):
    """An admin who may look at admins and the audit log but change nothing."""
    admins.create_role(session, boss, "Viewers", "", ["admins.view", "audit.view"])
    session.commit()
    return factory.admin("Viewers")


# -- roles: reading -------------------------------------------------------------------------
def test_list_roles_shows_sorted_permissions_and_holders(session, factory, boss):
    factory.support()
    disabled = factory.admin_user(ROLE_SUPPORT)
    disabled.is_active = False
    session.commit()
    rows = {r.name: r for r in admins.list_roles(session, boss)}
    assert set(rows) == {ROLE_SUPERADMIN, ROLE_SUPPORT}
    assert rows[ROLE_SUPERADMIN].permissions == tuple(sorted(PERMISSIONS))
    assert rows[ROLE_SUPPORT].permissions == ("subscribers.view", "support.edit", "support.view")
    assert (rows[ROLE_SUPPORT].users, rows[ROLE_SUPPORT].active_users) == (2, 1)
    assert (rows[ROLE_SUPERADMIN].users, rows[ROLE_SUPERADMIN].active_users) == (1, 1)
    assert rows[ROLE_SUPPORT].is_builtin


def test_role_and_admin_detail(session, factory, boss):
    operator = factory.support()
    detail = admins.role_detail(session, boss, role_id(session, ROLE_SUPPORT))
    assert [u.id for u in detail.users] == [operator.user_id]
    assert detail.permissions == ("subscribers.view", "support.edit", "support.view")
    me = admins.admin_detail(session, boss, boss.user_id)
    assert (me.role_name, me.is_self, me.is_active) == (ROLE_SUPERADMIN, True, True)
    other = admins.admin_detail(session, boss, operator.user_id)
    assert other.is_self is False and "support.view" in other.permissions
    with pytest.raises(NotFound):
        admins.role_detail(session, boss, 9999)
    subscriber = factory.subscriber()
    for bad in (subscriber.user_id, 9999, "1", True):
        with pytest.raises(NotFound):
            admins.admin_detail(session, boss, bad)


def test_permission_groups_cover_every_permission_once():
    groups = admins.permission_groups()
    flat = [p for g in groups for p in g.permissions]
    assert sorted(flat) == sorted(PERMISSIONS) and len(flat) == len(set(flat))
    assert next(g for g in groups if g.section == "admins").permissions == (
        "admins.view",
        "admins.edit",
        "admins.manage",
    )


def test_reading_needs_admins_view(session, factory, boss):
    operator = factory.support()
    subscriber = factory.subscriber()
    for who in (operator, subscriber, None):
        for call in (
            lambda who=who: admins.list_roles(session, who),
            lambda who=who: admins.role_detail(session, who, role_id(session, ROLE_SUPERADMIN)),
            lambda who=who: admins.admin_detail(session, who, boss.user_id),
            lambda who=who: admins.audit_filter_choices(session, who),
        ):
            with pytest.raises(PermissionDenied):
                call()


# -- roles: writing -------------------------------------------------------------------------
def test_create_role_adds_implied_views_and_audits_sorted(session, boss):
    rid = admins.create_role(
        session, boss, "  Бухгалтер  ", "Платежи", ["payments.refund", "sims.edit", "audit.view"]
    )
    session.commit()
    expected = ["audit.view", "payments.refund", "payments.view", "sims.edit", "sims.view"]
    assert perms_of(session, rid) == expected
    (row,) = audits(session, "create_role")
    assert (row.actor_user_id, row.entity, row.entity_id) == (boss.user_id, "admin_role", str(rid))
    assert json.loads(row.after) == {
        "name": "Бухгалтер",
        "description": "Платежи",
        "permissions": expected,
    }
    assert row.before == ""


@pytest.mark.parametrize(
    ("name", "permissions", "code"),
    [
        ("", [], "admin_staff.error.role_name"),
        ("   ", [], "admin_staff.error.role_name"),
        ("x" * 81, [], "admin_staff.error.role_name_long"),
        ("superadmin", [], "admin_staff.error.role_name_taken"),
        ("Бухгалтер", [], "admin_staff.error.role_name_taken"),
        ("БУХГАЛТЕР", [], "admin_staff.error.role_name_taken"),
        ("New", ["sims.delete"], "admin_staff.error.unknown_permission"),
        ("New", [None], "admin_staff.error.unknown_permission"),
        ("New", "sims.view", "error.invalid"),
        ("New", None, "error.invalid"),
    ],
)
def test_bad_roles_are_refused_and_nothing_is_written(session, boss, name, permissions, code):
    admins.create_role(session, boss, "Бухгалтер", "", [])
    session.commit()
    before = session.execute(select(func.count(AdminRole.id))).scalar_one()
    with pytest.raises(ValidationError) as err:
        admins.create_role(session, boss, name, "", permissions)
    assert err.value.code == code
    session.rollback()
    assert session.execute(select(func.count(AdminRole.id))).scalar_one() == before
    assert len(audits(session, "create_role")) == 1


def test_long_description_is_refused(session, boss):
    with pytest.raises(ValidationError) as err:
        admins.create_role(session, boss, "R", "d" * 256, [])
    assert err.value.field == "description"


def test_update_role_changes_name_and_permissions_with_before_after(session, boss):
    rid = admins.create_role(session, boss, "Ops", "", ["sims.view", "blocks.edit"])
    session.commit()
    admins.update_role(
        session, boss, rid, name="Operations", description="Смена", permissions=["tariffs.view"]
    )
    session.commit()
    assert perms_of(session, rid) == ["tariffs.view"]
    assert session.get(AdminRole, rid).name == "Operations"
    (row,) = audits(session, "update_role")
    assert json.loads(row.before) == {
        "name": "Ops",
        "description": "",
        "permissions": ["blocks.edit", "blocks.view", "sims.view"],
    }
    assert json.loads(row.after) == {
        "name": "Operations",
        "description": "Смена",
        "permissions": ["tariffs.view"],
    }
    # keeping everything as it is changes and audits nothing
    admins.update_role(session, boss, rid, name="Operations", permissions=["tariffs.view"])
    session.commit()
    assert len(audits(session, "update_role")) == 1


def test_builtin_roles_may_be_edited_but_keep_their_name(session, factory, boss):
    rid = role_id(session, ROLE_SUPPORT)
    admins.update_role(
        session,
        boss,
        rid,
        description="Операторы",
        permissions=["support.view", "support.edit", "subscribers.view", "quality.view"],
    )
    session.commit()
    assert "quality.view" in perms_of(session, rid)
    with pytest.raises(ValidationError) as err:
        admins.update_role(session, boss, rid, name="Helpdesk")
    assert err.value.code == "admin_staff.error.builtin_rename"
    admins.update_role(session, boss, rid, name=ROLE_SUPPORT)  # the same name is fine
    with pytest.raises(ValidationError):
        admins.update_role(session, boss, role_id(session, ROLE_SUPERADMIN), name="Root")
    with pytest.raises(ValidationError) as dup:
        admins.update_role(
            session, boss, admins.create_role(session, boss, "Other"), name=ROLE_SUPPORT
        )
    assert dup.value.code == "admin_staff.error.role_name_taken"


def test_delete_role(session, factory, boss):
    rid = admins.create_role(session, boss, "Temp", "", ["sims.view"])
    session.commit()
    admins.delete_role(session, boss, rid)
    session.commit()
    assert session.get(AdminRole, rid) is None and perms_of(session, rid) == []
    (row,) = audits(session, "delete_role")
    assert json.loads(row.before)["permissions"] == ["sims.view"] and row.after == ""
    with pytest.raises(NotFound):
        admins.delete_role(session, boss, rid)


def test_a_role_in_use_even_by_a_disabled_admin_is_not_deleted(session, factory, boss):
    rid = admins.create_role(session, boss, "Used", "", ["sims.view"])
    session.commit()
    user = factory.admin_user("Used")
    user.is_active = False
    session.commit()
    with pytest.raises(ValidationError) as err:
        admins.delete_role(session, boss, rid)
    assert (err.value.code, err.value.params) == ("admin_staff.error.role_in_use", {"count": 1})
    session.rollback()
    assert session.get(AdminRole, rid) is not None and perms_of(session, rid) == ["sims.view"]


def test_builtin_roles_are_not_deleted(session, boss):
    for name in (ROLE_SUPPORT, ROLE_SUPERADMIN):
        with pytest.raises(ValidationError) as err:
            admins.delete_role(session, boss, role_id(session, name))
        assert err.value.code == "admin_staff.error.builtin_delete"


def test_changing_anything_needs_admins_manage(session, factory, boss, viewer):
    operator = factory.support()
    rid = role_id(session, ROLE_SUPPORT)
    for who in (viewer, operator, factory.subscriber(), None):
        for call in (
            lambda who=who: admins.invite_admin(session, who, "x@example.ru", "X", rid),
            lambda who=who: admins.resend_invitation(session, who, operator.user_id),
            lambda who=who: admins.set_admin_active(session, who, operator.user_id, False),
            lambda who=who: admins.assign_role(session, who, operator.user_id, rid),
            lambda who=who: admins.create_role(session, who, "R", "", []),
            lambda who=who: admins.update_role(session, who, rid, description="x"),
            lambda who=who: admins.delete_role(session, who, rid),
        ):
            with pytest.raises(PermissionDenied):
                call()
    session.rollback()
    assert session.get(User, operator.user_id).is_active
    assert [r.action for r in audits(session, "create_role")] == ["create_role"]  # the fixture's
    assert not session.execute(select(OutboxEmail)).first()


# -- admins ---------------------------------------------------------------------------------
def test_invite_creates_an_admin_and_mails_a_set_password_link(session, engine, boss):
    rid = role_id(session, ROLE_SUPPORT)
    uid = admins.invite_admin(
        session, boss, " New.Admin@Example.RU ", " Ольга ", rid, base_url="https://ps.test/"
    )
    session.commit()
    user = session.get(User, uid)
    assert (user.role, user.email, user.full_name, user.admin_role_id, user.is_active) == (
        "admin",
        "new.admin@example.ru",
        "Ольга",
        rid,
        True,
    )
    mail = session.execute(
        select(OutboxEmail).where(OutboxEmail.kind == "admin_invite")
    ).scalar_one()
    assert mail.to_address == "new.admin@example.ru"
    token = re.search(r"https://ps\.test/reset\?token=(\S+)", render_for_sending(mail)).group(1)
    (row,) = audits(session, "invite_admin")
    assert json.loads(row.after) == {
        "email": "new.admin@example.ru",
        "full_name": "Ольга",
        "role": ROLE_SUPPORT,
    }
    # the link sets the password; then the new admin signs in with the role's permissions
    identity.reset_password(session, token, NEW_PASSWORD)
    session.commit()
    _, actor = identity.sign_in(session, "new.admin@example.ru", NEW_PASSWORD)
    assert actor.can("support.view") and not actor.can("sims.view")


@pytest.mark.parametrize(
    ("email", "name", "role", "code"),
    [
        ("not-an-email", "X", None, "auth.login_invalid"),
        ("+79991234567", "X", None, "auth.login_invalid"),
        ("taken@example.ru", "X", None, "auth.login_taken"),
        ("TAKEN@example.ru", "X", None, "auth.login_taken"),
        ("ok@example.ru", "  ", None, "admin_staff.error.full_name"),
        ("ok@example.ru", "x" * 201, None, "admin_staff.error.full_name_long"),
        ("ok@example.ru", "X", 9999, "admins.unknown_role"),
        ("ok@example.ru", "X", "1", "admins.unknown_role"),
    ],
)
def test_bad_invitations_change_nothing(session, factory, boss, email, name, role, code):
    factory.admin_user(ROLE_SUPPORT, email="taken@example.ru")
    users = session.execute(select(func.count(User.id))).scalar_one()
    with pytest.raises(ValidationError) as err:
        admins.invite_admin(session, boss, email, name, role or role_id(session, ROLE_SUPPORT))
    assert err.value.code == code
    session.rollback()
    assert session.execute(select(func.count(User.id))).scalar_one() == users
    assert not session.execute(select(OutboxEmail)).first()


def test_resend_invitation(session, factory, boss):
    operator = factory.support()
    admins.resend_invitation(session, boss, operator.user_id)
    session.commit()
    assert session.execute(select(func.count(OutboxEmail.id))).scalar_one() == 1
    assert len(audits(session, "resend_admin_invitation")) == 1
    admins.set_admin_active(session, boss, operator.user_id, False)
    with pytest.raises(ValidationError):
        admins.resend_invitation(session, boss, operator.user_id)
    with pytest.raises(NotFound):
        admins.resend_invitation(session, boss, factory.subscriber().user_id)


def test_disable_ends_sessions_and_enable_lets_back_in(session, factory, boss):
    user = factory.admin_user(ROLE_SUPPORT, email="op@example.ru")
    token, _ = identity.sign_in(session, "op@example.ru", factory.password)
    session.commit()
    admins.set_admin_active(session, boss, user.id, False)
    session.commit()
    assert identity.resolve_session(session, token) is None
    assert session.execute(
        select(AuthSession.revoked_at).where(AuthSession.user_id == user.id)
    ).scalar_one()
    with pytest.raises(AuthError) as denied:
        identity.sign_in(session, "op@example.ru", factory.password)
    assert denied.value.code == "auth.account_disabled"
    admins.set_admin_active(session, boss, user.id, False)  # already disabled: no new entry
    admins.set_admin_active(session, boss, user.id, True)
    session.commit()
    identity.sign_in(session, "op@example.ru", factory.password)
    (off,) = audits(session, "disable_admin")
    (on,) = audits(session, "enable_admin")
    assert (json.loads(off.before), json.loads(off.after)) == (
        {"is_active": True},
        {"is_active": False},
    )
    assert json.loads(on.after) == {"is_active": True} and on.entity_id == str(user.id)


def test_nobody_disables_themselves_or_a_non_admin(session, factory, boss):
    with pytest.raises(ValidationError) as err:
        admins.set_admin_active(session, boss, boss.user_id, False)
    assert err.value.code == "admins.cannot_disable_self"
    subscriber = factory.subscriber()
    partner = factory.partner()
    for uid in (subscriber.user_id, partner.user.id, 9999, None):
        with pytest.raises(NotFound):
            admins.set_admin_active(session, boss, uid, False)
    with pytest.raises(ValidationError):
        admins.set_admin_active(session, boss, factory.support().user_id, "no")
    session.rollback()
    assert (
        session.get(User, subscriber.user_id).is_active
        and session.get(User, boss.user_id).is_active
    )


def test_assign_role(session, factory, boss):
    operator = factory.support()
    rid = admins.create_role(session, boss, "Payments", "", ["payments.view"])
    session.commit()
    admins.assign_role(session, boss, operator.user_id, rid)
    session.commit()
    assert fresh(session, operator).permissions == {"payments.view"}
    (row,) = audits(session, "assign_admin_role")
    assert json.loads(row.before) == {
        "role_id": role_id(session, ROLE_SUPPORT),
        "role": ROLE_SUPPORT,
    }
    assert json.loads(row.after) == {"role_id": rid, "role": "Payments"}
    admins.assign_role(session, boss, operator.user_id, rid)  # the same role: nothing happens
    assert len(audits(session, "assign_admin_role")) == 1
    for bad in (9999, "2", None):
        with pytest.raises(ValidationError) as err:
            admins.assign_role(session, boss, operator.user_id, bad)
        assert err.value.code == "admins.unknown_role"
    with pytest.raises(NotFound):
        admins.assign_role(session, boss, factory.subscriber().user_id, rid)


# -- the last-admin-manager guard -----------------------------------------------------------
def test_an_admin_cannot_give_themselves_a_role_without_manage(session, boss):
    rid = admins.create_role(session, boss, "Viewers", "", ["admins.view"])
    session.commit()
    with pytest.raises(ValidationError) as err:
        admins.assign_role(session, boss, boss.user_id, rid)
    assert err.value.code == "admin_staff.error.own_manage_right"
    session.rollback()
    assert fresh(session, boss).can("admins.manage")
    assert not audits(session, "assign_admin_role")


def test_self_demotion_is_refused_even_when_other_managers_remain(session, factory, boss):
    factory.superadmin()  # a second manager
    viewers = admins.create_role(session, boss, "Viewers", "", ["admins.view"])
    session.commit()
    with pytest.raises(ValidationError) as own_role:
        admins.assign_role(session, boss, boss.user_id, viewers)
    assert own_role.value.code == "admin_staff.error.own_manage_right"
    everything_but_manage = [p for p in PERMISSIONS if p != "admins.manage"]
    with pytest.raises(ValidationError) as edit:
        admins.update_role(
            session, boss, role_id(session, ROLE_SUPERADMIN), permissions=everything_but_manage
        )
    assert (edit.value.code, edit.value.field) == (
        "admin_staff.error.own_manage_right",
        "permissions",
    )
    session.rollback()
    assert "admins.manage" in perms_of(session, role_id(session, ROLE_SUPERADMIN))


def test_an_admin_may_move_to_another_managing_role(session, boss):
    rid = admins.create_role(session, boss, "Admin managers", "", ["admins.manage"])
    session.commit()
    admins.assign_role(session, boss, boss.user_id, rid)
    session.commit()
    assert fresh(session, boss).permissions == {"admins.manage", "admins.view"}


def test_manage_may_be_removed_from_a_role_others_hold_while_a_manager_remains(
    session, factory, boss
):
    rid = admins.create_role(session, boss, "Managers", "", ["admins.manage"])
    session.commit()
    other = factory.admin("Managers")
    admins.update_role(session, boss, rid, permissions=["admins.view"])
    session.commit()
    assert not fresh(session, other).can("admins.manage")
    assert json.loads(audits(session, "update_role")[0].before)["permissions"] == [
        "admins.manage",
        "admins.view",
    ]


def test_disabling_the_last_manager_is_refused(session, factory, boss):
    """`boss` acts with the permissions read at the start of its request; meanwhile another
    manager took admins.manage away from boss's role. Disabling that other manager now would
    leave nobody who can manage admins."""
    admins.create_role(session, boss, "Managers", "", ["admins.manage"])
    session.commit()
    other = factory.admin("Managers")
    no_manage = [p for p in PERMISSIONS if p != "admins.manage"]
    admins.update_role(session, other, role_id(session, ROLE_SUPERADMIN), permissions=no_manage)
    session.commit()
    with pytest.raises(ValidationError) as err:
        admins.set_admin_active(session, boss, other.user_id, False)  # boss: stale actor
    assert err.value.code == "admin_staff.error.last_manager"
    session.rollback()
    assert session.get(User, other.user_id).is_active


def test_disabled_managers_do_not_count(session, factory, boss):
    admins.create_role(session, boss, "Managers", "", ["admins.manage"])
    session.commit()
    other = factory.admin("Managers")
    sleeper = factory.admin_user("Managers")
    sleeper.is_active = False
    session.commit()
    viewers = admins.create_role(session, boss, "Viewers", "", ["admins.view"])
    no_manage = [p for p in PERMISSIONS if p != "admins.manage"]
    admins.update_role(session, other, role_id(session, ROLE_SUPERADMIN), permissions=no_manage)
    session.commit()
    # boss (stale) moves the only active manager to a role without manage: refused
    with pytest.raises(ValidationError) as err:
        admins.assign_role(session, boss, other.user_id, viewers)
    assert err.value.code == "admin_staff.error.last_manager"
    # and cannot take manage away from the managers' role either
    with pytest.raises(ValidationError) as edit:
        admins.update_role(session, boss, role_id(session, "Managers"), permissions=[])
    assert edit.value.code == "admin_staff.error.last_manager"
    session.rollback()
    assert fresh(session, other).can("admins.manage")


def test_enabling_is_never_blocked_by_the_guard(session, factory, boss):
    operator = factory.support()
    admins.set_admin_active(session, boss, operator.user_id, False)
    admins.set_admin_active(session, boss, operator.user_id, True)
    session.commit()
    assert session.get(User, operator.user_id).is_active


# -- list SELECTs ---------------------------------------------------------------------------
def test_admin_rows_select_lists_admins_only(session, factory, boss):
    operator = factory.support()
    factory.subscriber()
    factory.partner()
    rows = {r["id"]: r for r in session.execute(admins.admin_rows_select()).mappings()}
    assert set(rows) == {boss.user_id, operator.user_id}
    row = rows[operator.user_id]
    assert set(row) == {
        "id",
        "full_name",
        "email",
        "role_id",
        "role_name",
        "is_active",
        "last_login_at",
        "created_at",
    }
    assert (row["role_name"], row["is_active"]) == (ROLE_SUPPORT, True)
    only_support = admins.admin_rows_select().where(
        User.admin_role_id == role_id(session, ROLE_SUPPORT)
    )
    assert [r.id for r in session.execute(only_support)] == [operator.user_id]


def test_audit_rows_select_and_its_filters(session, factory, boss):
    operator = factory.support()  # create_admin writes a system entry (no actor)
    rid = admins.create_role(session, boss, "Temp", "", ["sims.view"])
    admins.set_admin_active(session, boss, operator.user_id, False)
    old = AuditLog(action="old_thing", entity="sim", entity_id="5")
    old.created_at = utcnow() - timedelta(days=40)
    session.add(old)
    session.commit()
    stmt = admins.audit_rows_select()
    rows = session.execute(stmt.order_by(AuditLog.id)).mappings().all()
    assert {r["action"] for r in rows} >= {"admin.create", "create_role", "disable_admin"}
    system = next(r for r in rows if r["action"] == "admin.create")
    assert (system["actor_name"], system["actor_login"]) == (None, None)
    mine = next(r for r in rows if r["action"] == "create_role")
    assert (mine["actor_name"], mine["entity"], mine["entity_id"]) == (
        "Админ",
        "admin_role",
        str(rid),
    )
    assert mine["actor_login"] == boss.login and json.loads(mine["after"])["name"] == "Temp"

    def actions(s):
        return sorted(r.action for r in session.execute(s))

    assert actions(admins.filter_audit_admin(stmt, boss.user_id)) == [
        "create_role",
        "disable_admin",
    ]
    assert actions(admins.filter_audit_action(stmt, "disable_admin")) == ["disable_admin"]
    assert actions(
        admins.filter_audit_entity_id(admins.filter_audit_entity(stmt, "user"), operator.user_id)
    ) == ["admin.create", "disable_admin"]
    today = utcnow().date()
    recent = admins.filter_audit_from(stmt, today - timedelta(days=2))
    assert "old_thing" not in actions(recent)
    past = admins.filter_audit_to(stmt, today - timedelta(days=30))
    assert actions(past) == ["old_thing"]
    assert actions(admins.search_audit(stmt, "disable")) == ["disable_admin"]
    assert actions(admins.search_audit(stmt, "%")) == []

    choices = admins.audit_filter_choices(session, boss)
    assert {"create_role", "old_thing"} <= set(choices.actions)
    assert {"admin_role", "sim", "user"} <= set(choices.entities)
    assert {uid for uid, _ in choices.admins} == {boss.user_id, operator.user_id}
