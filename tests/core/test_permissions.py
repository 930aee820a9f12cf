"""Who may do what: admin permissions from roles, ownership of SIMs."""

from __future__ import annotations

import pytest
from sqlmodel import select

from paysim_app.accounts.roles import ensure_builtin_roles
from paysim_app.core.errors import PermissionDenied
from paysim_app.core.permissions import (
    BUILTIN_ROLES,
    PERMISSIONS,
    ROLE_SUPERADMIN,
    ROLE_SUPPORT,
    Actor,
    owned_sim,
    require,
    require_role,
)
from paysim_app.models import AdminRole, AdminRolePermission

SUPPORT_ALLOWED = ("support.view", "support.edit", "subscribers.view")
SUPPORT_REFUSED = tuple(p for p in PERMISSIONS if p not in SUPPORT_ALLOWED)


# --------------------------------------------------------------------------- require()


def test_the_support_operator_may_do_exactly_what_its_role_grants(factory):
    support = factory.support()
    assert support.permissions == frozenset(SUPPORT_ALLOWED)
    for permission in SUPPORT_ALLOWED:
        assert require(support, permission) is support


@pytest.mark.parametrize(
    "permission",
    ["sims.view", "payments.view", "subscribers.edit", "admins.manage", "sims.import"],
)
def test_the_support_operator_is_refused_other_sections(factory, permission):
    support = factory.support()
    with pytest.raises(PermissionDenied):
        require(support, permission)


def test_the_support_operator_is_refused_everything_else(factory):
    support = factory.support()
    refused = []
    for permission in SUPPORT_REFUSED:
        with pytest.raises(PermissionDenied):
            require(support, permission)
        refused.append(permission)
    assert len(refused) == len(PERMISSIONS) - 3


def test_the_superadmin_passes_every_permission(factory):
    admin = factory.superadmin()
    assert admin.permissions == frozenset(PERMISSIONS)
    assert all(require(admin, p) is admin for p in PERMISSIONS)


def test_subscribers_and_partners_never_pass_require(factory):
    subscriber = factory.subscriber()
    partner = factory.partner().actor
    for actor in (subscriber, partner):
        assert not actor.is_admin
        for permission in PERMISSIONS:
            with pytest.raises(PermissionDenied):
                require(actor, permission)


def test_a_non_admin_with_permissions_smuggled_in_still_fails():
    forged = Actor(user_id=1, role="subscriber", permissions=frozenset(PERMISSIONS))
    with pytest.raises(PermissionDenied):
        require(forged, "sims.view")
    assert not forged.can("sims.view")


def test_nobody_passes_require():
    with pytest.raises(PermissionDenied):
        require(None, "sims.view")


@pytest.mark.parametrize("permission", ["sims.delete", "", "SIMS.VIEW", "support"])
def test_an_unknown_permission_is_a_programming_error(factory, permission):
    admin = factory.superadmin()
    with pytest.raises(ValueError, match="unknown permission"):
        require(admin, permission)


def test_require_role():
    subscriber = Actor(user_id=1, role="subscriber", subscriber_id=1)
    assert require_role(subscriber, "subscriber", "partner") is subscriber
    with pytest.raises(PermissionDenied):
        require_role(subscriber, "admin")
    with pytest.raises(PermissionDenied):
        require_role(None, "subscriber")


def test_builtin_roles_are_created_once(session):
    first = ensure_builtin_roles(session)
    session.commit()
    second = ensure_builtin_roles(session)
    session.commit()

    assert set(first) == set(BUILTIN_ROLES) == {ROLE_SUPERADMIN, ROLE_SUPPORT}
    assert {n: r.id for n, r in first.items()} == {n: r.id for n, r in second.items()}
    assert len(session.exec(select(AdminRole)).all()) == 2
    support_id = first[ROLE_SUPPORT].id
    granted = session.exec(
        select(AdminRolePermission.permission).where(AdminRolePermission.role_id == support_id)
    ).all()
    assert sorted(granted) == sorted(SUPPORT_ALLOWED)


# --------------------------------------------------------------------------- owned_sim()


@pytest.fixture
def two_subscribers(factory):
    tariff = factory.tariff()
    alice, bob = factory.subscriber(), factory.subscriber()
    return {
        "alice": alice,
        "bob": bob,
        "alice_sim": factory.sim(alice, tariff=tariff),
        "bob_sim": factory.sim(bob, tariff=tariff),
    }


def test_the_owner_gets_its_sim(session, two_subscribers):
    sim = owned_sim(
        session,
        two_subscribers["alice"],
        two_subscribers["alice_sim"].id,
        admin_permission="sims.view",
    )
    assert sim.id == two_subscribers["alice_sim"].id


def test_another_subscriber_is_refused_an_existing_and_a_missing_sim_alike(
    session, two_subscribers
):
    bob = two_subscribers["bob"]
    alice_sim_id = two_subscribers["alice_sim"].id
    errors = []
    for sim_id in (alice_sim_id, 999_999):
        with pytest.raises(PermissionDenied) as err:
            owned_sim(session, bob, sim_id, admin_permission="sims.view")
        errors.append((type(err.value), err.value.code, err.value.params))
    assert errors[0] == errors[1]  # nothing tells "not yours" from "does not exist"


@pytest.mark.parametrize("bad_id", ["1", None, 1.0, [1]])
def test_an_id_that_is_not_an_int_is_refused(session, two_subscribers, bad_id):
    with pytest.raises(PermissionDenied):
        owned_sim(session, two_subscribers["alice"], bad_id, admin_permission="sims.view")


def test_a_partner_gets_only_its_own_sims(session, factory):
    ours, theirs = factory.partner(), factory.partner()
    our_sim = factory.sim(partner=ours)
    their_sim = factory.sim(partner=theirs)
    no_partner_sim = factory.sim()

    got = owned_sim(session, ours.actor, our_sim.id, admin_permission="sims.view", partner=True)
    assert got.id == our_sim.id
    for sim in (their_sim, no_partner_sim):
        with pytest.raises(PermissionDenied):
            owned_sim(session, ours.actor, sim.id, admin_permission="sims.view", partner=True)


def test_a_partner_reaches_its_own_sim_only_where_the_verb_allows_it(session, factory):
    """A dealer's SIM is not the dealer's subscriber's statement, cards, autopay or PUK."""
    ours = factory.partner()
    our_sim = factory.sim(partner=ours)
    with pytest.raises(PermissionDenied):
        owned_sim(session, ours.actor, our_sim.id, admin_permission="payments.view")


def test_a_subscriber_without_a_contract_owns_nothing(session, factory):
    """A subscriber actor whose subscriber_id is None must not match SIMs without an owner."""
    stock_sim = factory.sim()  # subscriber_id IS NULL
    orphan = Actor(user_id=999, role="subscriber", subscriber_id=None)
    with pytest.raises(PermissionDenied):
        owned_sim(session, orphan, stock_sim.id, admin_permission="sims.view")
    partnerless = Actor(user_id=998, role="partner", partner_id=None)
    with pytest.raises(PermissionDenied):
        owned_sim(session, partnerless, stock_sim.id, admin_permission="sims.view", partner=True)


def test_an_admin_with_the_permission_passes(session, factory, two_subscribers):
    admin = factory.superadmin()
    for key in ("alice_sim", "bob_sim"):
        sim_id = two_subscribers[key].id
        assert owned_sim(session, admin, sim_id, admin_permission="sims.view").id == sim_id
    with pytest.raises(PermissionDenied):
        owned_sim(session, admin, 999_999, admin_permission="sims.view")


def test_the_support_operator_is_refused_sims(session, factory, two_subscribers):
    support = factory.support()
    with pytest.raises(PermissionDenied):
        owned_sim(session, support, two_subscribers["alice_sim"].id, admin_permission="sims.view")
    with pytest.raises(PermissionDenied):
        owned_sim(session, support, two_subscribers["alice_sim"].id, admin_permission="sims.edit")


def test_nobody_is_refused_a_sim(session, two_subscribers):
    with pytest.raises(PermissionDenied):
        owned_sim(session, None, two_subscribers["alice_sim"].id, admin_permission="sims.view")
