"""The activation queue: approving a partner's sale (new contract, set-password link,
notification) and a subscriber's claim, rejecting with a reason, the requester's cancellation,
two admins deciding at once, a SIM that left the stock, the refusals, the audit trail and the
read side (detail DTO, list SELECTs)."""

from __future__ import annotations

import re
import threading
import time
from datetime import date

import pytest
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.accounts.passwords import hash_password, verify_password
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.core.outbox import render_for_sending
from paysim_app.models import (
    ActivationRequest,
    AdminRole,
    AdminRolePermission,
    AuditLog,
    PasswordResetToken,
    Sim,
    Subscriber,
    TariffChangeRequest,
    User,
)
from paysim_app.sims import activations, own_sims
from tests.money_helpers import count, emails, notifications, travel

CUSTOMER = {
    "customer_name": "Мария Сидорова",
    "customer_phone": "+7 916 555-01-02",
    "customer_email": "Maria@Example.ru",
    "customer_document": "4510 123456",
}


def admin_with(session, *permissions: str):
    """An admin whose role grants exactly `permissions`."""
    role = AdminRole(name=f"role-{'-'.join(permissions) or 'none'}")
    session.add(role)
    session.flush()
    session.add_all(AdminRolePermission(role_id=role.id, permission=p) for p in permissions)
    user = User(
        email=f"limited{role.id}@example.ru",
        password_hash=hash_password("Secret-pass1"),
        role="admin",
        full_name="Ограниченный админ",
        admin_role_id=role.id,
    )
    session.add(user)
    session.commit()
    return identity.actor_for(session, user)


@pytest.fixture
def world(factory):
    tariff = factory.tariff("Оптимум", fee_kop=65000)
    dealer = factory.partner("Связь-Маркет")
    return {
        "tariff": tariff,
        "dealer": dealer,
        "admin": factory.superadmin(),
        "alice": factory.subscriber("alice@example.ru", full_name="Алиса Кузнецова"),
    }


def sale(session, factory, world, *, sim=None, **customer) -> ActivationRequest:
    """A partner's request for a SIM it sold to a walk-in customer (as the partner pages file
    it: the SIM waits for activation)."""
    sim = sim or factory.sim(None, partner=world["dealer"], tariff=world["tariff"])
    request = ActivationRequest(
        sim_id=sim.id,
        requester_user_id=world["dealer"].user.id,
        partner_id=world["dealer"].partner.id,
        tariff_id=world["tariff"].id,
        **{**CUSTOMER, **customer},
    )
    session.add(request)
    session.get(Sim, sim.id).status = "awaiting_activation"
    session.commit()
    return request


def claim(session, factory, world, subscriber=None) -> ActivationRequest:
    """A subscriber's claim of a SIM from the shop (ICCID + pack code)."""
    stock = factory.sim(None, partner=world["dealer"], tariff=world["tariff"])
    stock.activation_code_hash = own_sims.activation_code_hash("PACK-1234")
    session.commit()
    rid = own_sims.claim_sim(session, subscriber or world["alice"], stock.iccid, "PACK-1234")
    session.commit()
    return session.get(ActivationRequest, rid)


def fresh(session, model, pk):
    session.expire_all()
    return session.get(model, pk)


def audit_actions(session, entity: str | None = None) -> list[str]:
    session.expire_all()
    # (the factory's admins leave "admin.create" rows)
    query = select(AuditLog.action).where(AuditLog.action != "admin.create").order_by(AuditLog.id)
    if entity:
        query = query.where(AuditLog.entity == entity)
    return list(session.exec(query).all())


# -- approve ---------------------------------------------------------------------------------


def test_approving_a_partners_sale_creates_the_contract_and_sends_a_set_password_link(
    session, factory, world
):
    request = sale(session, factory, world)
    subscribers_before = count(session, Subscriber)
    with travel(date(2026, 3, 15)):
        result = activations.approve_activation(session, world["admin"], request.id)
        session.commit()

    assert result.created_subscriber and result.set_password_sent
    assert count(session, Subscriber) == subscribers_before + 1
    sub = fresh(session, Subscriber, result.subscriber_id)
    assert (sub.full_name, sub.email, sub.phone, sub.document_no, sub.partner_id) == (
        "Мария Сидорова",
        "maria@example.ru",
        "+79165550102",
        "4510 123456",
        world["dealer"].partner.id,
    )
    assert sub.contract_no == result.contract_no and sub.status == "active"
    user = session.get(User, sub.user_id)
    assert (user.role, user.email, user.phone) == ("subscriber", "maria@example.ru", "+79165550102")
    assert not verify_password("", user.password_hash)  # nobody can sign in before the link

    sim = session.get(Sim, request.sim_id)
    assert (sim.status, sim.subscriber_id, sim.partner_id, sim.tariff_id, sim.balance_kop) == (
        "active",
        sub.id,
        world["dealer"].partner.id,  # the dealer keeps its SIM (and its commission)
        world["tariff"].id,
        0,
    )
    assert sim.billing_day == 15 and sim.activated_at is not None
    row = session.get(ActivationRequest, request.id)
    assert (row.status, row.decided_by_user_id, row.subscriber_id) == (
        "approved",
        world["admin"].user_id,
        sub.id,
    )

    # exactly one set-password mail; its link opens the reset page and sets a password
    links = emails(session, to="maria@example.ru", kind="set_password")
    assert len(links) == 1 and sub.contract_no in links[0].body
    token = re.search(r"/reset\?token=(\S+)", render_for_sending(links[0])).group(1)
    assert (
        len(
            session.exec(
                select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)
            ).all()
        )
        == 1
    )
    with travel(date(2026, 3, 21)):  # the link lasts days, not a reset link's 30 minutes
        identity.reset_password(session, token, "Maria-new-pass1")
        session.commit()
        _, actor = identity.sign_in(session, "maria@example.ru", "Maria-new-pass1")
    assert actor.subscriber_id == sub.id

    notes = notifications(session, user.id, "activation_approved")
    assert len(notes) == 1 and "Оптимум" in notes[0].body
    assert audit_actions(session) == ["subscriber.create", "activation.approve"]


@pytest.mark.parametrize(("day", "billing_day"), [(1, 1), (28, 28), (29, 28), (31, 28)])
def test_the_billing_day_is_todays_date_with_29_to_31_as_the_28th(
    session, factory, world, day, billing_day
):
    request = sale(session, factory, world)
    with travel(date(2026, 1, day)):
        activations.approve_activation(session, world["admin"], request.id)
        session.commit()
    assert fresh(session, Sim, request.sim_id).billing_day == billing_day


def test_approving_a_claim_puts_the_sim_on_the_subscribers_contract(session, factory, world):
    alice = world["alice"]
    request = claim(session, factory, world)
    subscribers_before = count(session, Subscriber)

    result = activations.approve_activation(session, world["admin"], request.id)
    session.commit()

    assert not result.created_subscriber and result.subscriber_id == alice.subscriber_id
    assert count(session, Subscriber) == subscribers_before
    sim = fresh(session, Sim, request.sim_id)
    assert (sim.status, sim.subscriber_id, sim.balance_kop) == ("active", alice.subscriber_id, 0)
    assert not emails(session, kind="set_password")
    notes = notifications(session, alice, "activation_approved")
    assert len(notes) == 1 and emails(session, to="alice@example.ru", kind="activation_approved")
    assert audit_actions(session) == ["activation.approve"]


def test_the_admin_may_choose_the_tariff_and_an_archived_or_missing_one_is_refused(
    session, factory, world
):
    request = sale(session, factory, world)
    archived = factory.tariff("Безлимит 2024", is_archived=True)
    for tariff_id, code in (
        (archived.id, "admin_queues.error.tariff_archived"),
        (999999, "admin_queues.error.tariff_not_found"),
    ):
        with pytest.raises(ValidationError) as err:
            activations.approve_activation(session, world["admin"], request.id, tariff_id)
        assert err.value.code == code
        session.rollback()
    maximum = factory.tariff("Максимум", fee_kop=99000)
    activations.approve_activation(session, world["admin"], request.id, maximum.id)
    session.commit()
    assert fresh(session, Sim, request.sim_id).tariff_id == maximum.id


def test_a_request_without_any_tariff_asks_for_one(session, factory, world):
    bare = factory.sim(None, partner=world["dealer"])
    request = sale(session, factory, world, sim=bare)
    request.tariff_id = None
    session.commit()
    with pytest.raises(ValidationError) as err:
        activations.approve_activation(session, world["admin"], request.id)
    assert err.value.code == "admin_queues.error.no_tariff"


@pytest.mark.parametrize(
    ("customer", "code"),
    [
        ({"customer_name": "  "}, "admin_queues.error.customer_name"),
        ({"customer_email": "", "customer_phone": ""}, "admin_queues.error.customer_contact"),
        ({"customer_email": "not-an-email@"}, "admin_queues.error.customer_email"),
        ({"customer_phone": "12345"}, "admin_queues.error.customer_phone"),
    ],
)
def test_a_sale_with_bad_customer_data_is_refused_and_changes_nothing(
    session, factory, world, customer, code
):
    request = sale(session, factory, world, **customer)
    users_before = count(session, User)
    with pytest.raises(ValidationError) as err:
        activations.approve_activation(session, world["admin"], request.id)
    assert err.value.code == code
    session.rollback()
    assert count(session, User) == users_before
    assert fresh(session, ActivationRequest, request.id).status == "pending"
    assert fresh(session, Sim, request.sim_id).status == "awaiting_activation"


def test_a_sale_to_someone_who_already_has_an_account(session, factory, world):
    alice = world["alice"]
    contract = session.get(Subscriber, alice.subscriber_id)
    contract.document_no = "4510 999888"
    session.commit()
    # another person's document: refused, the admin sees whose contract it is
    other = sale(session, factory, world, customer_email="alice@example.ru")
    with pytest.raises(DomainError) as err:
        activations.approve_activation(session, world["admin"], other.id)
    assert err.value.code == "admin_queues.error.contact_taken"
    assert contract.contract_no in err.value.params["contract"]
    session.rollback()
    detail = activations.activation_detail(session, world["admin"], other.id)
    assert detail.existing_contract_no == contract.contract_no
    # the same document: a second SIM on the customer's own contract, no new account
    same = sale(
        session, factory, world, customer_email="alice@example.ru", customer_document="4510-999888"
    )
    users_before = count(session, User)
    result = activations.approve_activation(session, world["admin"], same.id)
    session.commit()
    assert (result.created_subscriber, result.subscriber_id) == (False, alice.subscriber_id)
    assert count(session, User) == users_before
    assert not emails(session, kind="set_password")


# -- two admins, and a SIM that moved on -----------------------------------------------------


def test_a_second_approval_of_the_same_request_is_refused(session, factory, world, new_session):
    request = sale(session, factory, world)
    other = new_session()
    stale = other.get(ActivationRequest, request.id)  # admin B opened the request earlier
    assert stale.status == "pending"

    activations.approve_activation(session, world["admin"], request.id)
    session.commit()
    second = factory.superadmin()
    with pytest.raises(DomainError) as err:
        activations.approve_activation(other, second, request.id)
    assert err.value.code == "admin_queues.error.not_pending"
    other.rollback()
    with pytest.raises(DomainError):
        activations.reject_activation(other, second, request.id, "поздно")
    other.rollback()
    assert count(session, Subscriber, Subscriber.full_name == "Мария Сидорова") == 1
    assert audit_actions(session, "activation_request") == ["activation.approve"]


def test_two_admins_approving_at_once_exactly_one_wins(session, factory, world, new_session):
    request = sale(session, factory, world)
    second = factory.superadmin()
    first_session, second_session = new_session(), new_session()
    activations.approve_activation(first_session, world["admin"], request.id)  # holds the lock
    outcome = {}

    def race():
        try:
            outcome["result"] = activations.approve_activation(second_session, second, request.id)
            second_session.commit()
        except DomainError as exc:
            outcome["error"] = exc.code
            second_session.rollback()

    thread = threading.Thread(target=race)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the first admin's transaction
    first_session.commit()
    thread.join(30)
    assert outcome == {"error": "admin_queues.error.not_pending"}
    assert count(session, Subscriber, Subscriber.full_name == "Мария Сидорова") == 1
    assert len(emails(session, kind="set_password")) == 1
    assert (
        fresh(session, ActivationRequest, request.id).decided_by_user_id == world["admin"].user_id
    )


@pytest.mark.parametrize("status", ["active", "blocked", "deactivated", "suspended"])
def test_a_sim_no_longer_in_stock_is_not_activated(session, factory, world, status):
    request = sale(session, factory, world)
    sim = session.get(Sim, request.sim_id)
    sim.status = status
    session.commit()
    with pytest.raises(DomainError) as err:
        activations.approve_activation(session, world["admin"], request.id)
    assert err.value.code == "admin_queues.error.sim_not_available"
    session.rollback()
    assert fresh(session, ActivationRequest, request.id).status == "pending"
    assert not activations.activation_detail(session, world["admin"], request.id).can_decide
    # the admin can still reject it
    activations.reject_activation(session, world["admin"], request.id, "Сим-карта уже продана")
    session.commit()
    assert fresh(session, Sim, request.sim_id).status == status  # not sent back to stock


def test_a_sim_on_another_contract_is_not_moved(session, factory, world):
    request = claim(session, factory, world)
    bob = factory.subscriber("bob@example.ru")
    sim = session.get(Sim, request.sim_id)
    sim.subscriber_id = bob.subscriber_id  # a data fix put it elsewhere meanwhile
    session.commit()
    with pytest.raises(DomainError) as err:
        activations.approve_activation(session, world["admin"], request.id)
    assert err.value.code == "admin_queues.error.sim_taken"


def test_a_closed_contract_gets_no_sim(session, factory, world):
    request = claim(session, factory, world)
    session.get(Subscriber, world["alice"].subscriber_id).status = "inactive"
    session.commit()
    with pytest.raises(DomainError) as err:
        activations.approve_activation(session, world["admin"], request.id)
    assert err.value.code == "admin_queues.error.contract_inactive"


# -- reject ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_rejection_needs_a_reason_of_at_most_500_characters(session, factory, world, reason):
    request = sale(session, factory, world)
    with pytest.raises(ValidationError) as err:
        activations.reject_activation(session, world["admin"], request.id, reason)
    assert err.value.field == "reason"
    session.rollback()
    assert fresh(session, ActivationRequest, request.id).status == "pending"
    assert not audit_actions(session)


def test_rejecting_a_sale_tells_the_partner_why_and_returns_the_sim_to_stock(
    session, factory, world
):
    request = sale(session, factory, world)
    activations.reject_activation(
        session, world["admin"], request.id, "  Паспортные данные не совпадают  "
    )
    session.commit()
    row = fresh(session, ActivationRequest, request.id)
    assert (row.status, row.reason, row.decided_by_user_id) == (
        "rejected",
        "Паспортные данные не совпадают",
        world["admin"].user_id,
    )
    assert session.get(Sim, request.sim_id).status == "in_stock"
    notes = notifications(session, world["dealer"].user.id, "partner_activation_rejected")
    assert len(notes) == 1 and "Паспортные данные не совпадают" in notes[0].body
    assert audit_actions(session) == ["activation.reject"]
    with pytest.raises(DomainError):
        activations.approve_activation(session, world["admin"], request.id)


def test_rejecting_a_claim_tells_the_subscriber(session, factory, world):
    request = claim(session, factory, world)
    activations.reject_activation(session, world["admin"], request.id, "Код не от этой карты")
    session.commit()
    assert fresh(session, Sim, request.sim_id).status == "in_stock"
    notes = notifications(session, world["alice"], "activation_rejected")
    assert len(notes) == 1 and "Код не от этой карты" in notes[0].body


# -- cancel by the requester -----------------------------------------------------------------


def test_the_subscriber_cancels_their_own_claim(session, factory, world):
    request = claim(session, factory, world)
    bob = factory.subscriber("bob@example.ru")
    with pytest.raises(PermissionDenied):
        activations.cancel_activation(session, bob, request.id)
    with pytest.raises(PermissionDenied):
        activations.cancel_activation(session, world["dealer"].actor, request.id)
    session.rollback()
    activations.cancel_activation(session, world["alice"], request.id)
    session.commit()
    assert fresh(session, ActivationRequest, request.id).status == "cancelled"
    assert session.get(Sim, request.sim_id).status == "in_stock"
    assert audit_actions(session) == ["activation.cancel"]
    with pytest.raises(DomainError) as err:
        activations.cancel_activation(session, world["alice"], request.id)
    assert err.value.code == "admin_queues.error.not_cancellable"


def test_the_partner_cancels_its_own_sale_and_no_one_else_can(session, factory, world):
    request = sale(session, factory, world)
    rival = factory.partner("Конкурент")
    for actor in (rival.actor, world["alice"], world["admin"]):
        with pytest.raises(PermissionDenied):
            activations.cancel_activation(session, actor, request.id)
        session.rollback()
    with pytest.raises(PermissionDenied):
        activations.cancel_activation(session, world["dealer"].actor, 999999)
    session.rollback()
    activations.cancel_activation(session, world["dealer"].actor, request.id)
    session.commit()
    assert fresh(session, ActivationRequest, request.id).status == "cancelled"
    assert session.get(Sim, request.sim_id).status == "in_stock"


def test_a_decided_request_cannot_be_cancelled(session, factory, world):
    request = claim(session, factory, world)
    activations.approve_activation(session, world["admin"], request.id)
    session.commit()
    with pytest.raises(DomainError) as err:
        activations.cancel_activation(session, world["alice"], request.id)
    assert err.value.code == "admin_queues.error.not_cancellable"
    session.rollback()
    assert fresh(session, Sim, request.sim_id).status == "active"


# -- permissions -----------------------------------------------------------------------------


def test_the_support_operator_and_non_admins_are_refused(session, factory, world):
    request = sale(session, factory, world)
    for actor in (factory.support(), world["alice"], world["dealer"].actor):
        for call in (
            lambda a=actor: activations.activation_detail(session, a, request.id),
            lambda a=actor: activations.approve_activation(session, a, request.id),
            lambda a=actor: activations.reject_activation(session, a, request.id, "нет"),
        ):
            with pytest.raises(PermissionDenied):
                call()
    assert fresh(session, ActivationRequest, request.id).status == "pending"
    assert not audit_actions(session)


def test_an_admin_who_may_only_view_the_queue_cannot_decide(session, factory, world):
    request = sale(session, factory, world)
    viewer = admin_with(session, "activations.view")
    detail = activations.activation_detail(session, viewer, request.id)
    assert detail.status == "pending" and not detail.can_decide
    with pytest.raises(PermissionDenied):
        activations.approve_activation(session, viewer, request.id)
    with pytest.raises(PermissionDenied):
        activations.reject_activation(session, viewer, request.id, "нет")
    assert activations.activation_detail(session, world["admin"], request.id).can_decide


@pytest.mark.parametrize("bad", [999999, "1", None, True])
def test_unknown_or_malformed_ids_are_not_found(session, world, bad):
    for call in (
        lambda: activations.activation_detail(session, world["admin"], bad),
        lambda: activations.approve_activation(session, world["admin"], bad),
        lambda: activations.reject_activation(session, world["admin"], bad, "нет"),
    ):
        with pytest.raises(NotFound):
            call()


# -- read side -------------------------------------------------------------------------------


def test_detail_shows_the_sim_the_requester_and_the_customer(session, factory, world):
    request = sale(session, factory, world)
    d = activations.activation_detail(session, world["admin"], request.id)
    sim = session.get(Sim, request.sim_id)
    assert (d.kind, d.msisdn, d.iccid, d.sim_status) == (
        "partner_sale",
        sim.msisdn,
        sim.iccid,
        "awaiting_activation",
    )
    assert (d.requester_role, d.requester_login, d.partner_name) == (
        "partner",
        world["dealer"].login,
        "Связь-Маркет",
    )
    assert (d.customer_name, d.customer_document, d.tariff_name, d.tariff_fee_kop) == (
        "Мария Сидорова",
        "4510 123456",
        "Оптимум",
        65000,
    )
    assert d.existing_contract_no == "" and d.can_decide
    c = activations.activation_detail(session, world["admin"], claim(session, factory, world).id)
    assert (c.kind, c.subscriber_name, c.subscriber_id) == (
        "claim",
        "Алиса Кузнецова",
        world["alice"].subscriber_id,
    )


def test_the_list_selects_return_labelled_rows_the_generic_list_can_filter(session, factory, world):
    pending = sale(session, factory, world)
    decided = claim(session, factory, world)
    activations.reject_activation(session, world["admin"], decided.id, "Не та карта")
    session.commit()

    stmt = activations.activation_rows_select()
    rows = session.execute(stmt).mappings().all()
    assert {r["id"] for r in rows} == {pending.id, decided.id}
    only = session.execute(stmt.where(stmt.selected_columns.status == "pending")).mappings().one()
    assert (only["id"], only["requester_role"], only["partner_name"], only["tariff_name"]) == (
        pending.id,
        "partner",
        "Связь-Маркет",
        "Оптимум",
    )
    assert only["customer_name"] == "Мария Сидорова" and only["decided_by_name"] == ""
    rejected = session.execute(stmt.where(stmt.selected_columns.id == decided.id)).mappings().one()
    assert (rejected["subscriber_name"], rejected["reason"], rejected["decided_by_name"]) == (
        "Алиса Кузнецова",
        "Не та карта",
        "Админ",
    )
    assert rejected["requester_login"] == "alice@example.ru"

    sim = factory.sim(world["alice"], tariff=world["tariff"], partner=world["dealer"])
    maximum = factory.tariff("Максимум", fee_kop=99000)
    session.add(
        TariffChangeRequest(
            sim_id=sim.id,
            requester_user_id=world["alice"].user_id,
            from_tariff_id=world["tariff"].id,
            to_tariff_id=maximum.id,
            effective="now",
        )
    )
    session.commit()
    changes = session.execute(activations.tariff_change_rows_select()).mappings().all()
    assert len(changes) == 1
    row = changes[0]
    assert (row["from_tariff_name"], row["to_tariff_name"], row["to_fee_kop"]) == (
        "Оптимум",
        "Максимум",
        99000,
    )
    assert (row["subscriber_name"], row["partner_name"], row["effective"], row["msisdn"]) == (
        "Алиса Кузнецова",
        "Связь-Маркет",
        "now",
        sim.msisdn,
    )
