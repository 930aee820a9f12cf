"""The back office's contracts: an admin opens a contract for a walk-in customer, puts SIMs from
stock on it (activated through the activation queue's path, with the set-password link), and
moves a SIM between contracts; the refusals, permissions, audit and a race of two moves."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from paysim_app.billing import cards
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.models import (
    ActivationRequest,
    AuditLog,
    AutopayRun,
    AutopaySetting,
    Sim,
    Subscriber,
    TariffChangeRequest,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.subscribers import contract_desk
from tests.money_helpers import count, emails, fresh, notifications

CUSTOMER = {
    "full_name": "  Ольга   Смирнова ",
    "document_type": "passport",
    "document_no": "4510 654321",
    "phone": "+7 916 555-77-88",
    "email": "Olga@Example.ru",
    "address": "Москва, ул. Ленина, 1",
}


@pytest.fixture
def admin(factory):
    return factory.superadmin()


def _create(session, admin, **changes):
    fields = {**CUSTOMER, **changes}
    result = contract_desk.create_contract(session, admin, **fields)
    session.commit()
    return result


# -- a new contract --------------------------------------------------------------------------


def test_an_admin_creates_a_contract_with_a_password_less_login(session, admin):
    made = _create(session, admin)
    sub = session.get(Subscriber, made.subscriber_id)
    assert (sub.full_name, sub.document_type, sub.document_no) == (
        "Ольга Смирнова",
        "passport",
        "4510 654321",
    )
    assert (sub.email, sub.phone, sub.address) == (
        "olga@example.ru",
        "+79165557788",
        "Москва, ул. Ленина, 1",
    )
    assert sub.status == "active" and sub.partner_id is None
    user = session.get(User, sub.user_id)
    assert (user.role, user.email, user.phone) == ("subscriber", "olga@example.ru", "+79165557788")
    assert user.password_hash.startswith("!unusable:")
    assert made.contract_no == sub.contract_no and made.login == "olga@example.ru"
    entry = session.exec(select(AuditLog).where(AuditLog.action == "subscriber.create")).one()
    assert entry.entity_id == str(sub.id) and "4510 654321" in entry.after
    assert not emails(session, kind="set_password")  # it goes with the first SIM


def test_a_phone_alone_is_enough_and_an_e_mail_alone_too(session, admin):
    by_phone = _create(session, admin, email="")
    assert by_phone.login == "+79165557788"
    by_mail = _create(session, admin, phone="", email="x@example.ru", document_no="4511 000001")
    assert by_mail.login == "x@example.ru"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"full_name": "   "}, "admin_subscribers.error.name_required", "full_name"),
        ({"full_name": "я" * 201}, "profile.error.too_long", "full_name"),
        ({"document_type": "diploma"}, "contract_desk.error.document_type", "document_type"),
        ({"document_type": None}, "contract_desk.error.document_type", "document_type"),
        ({"document_no": " "}, "contract_desk.error.document_required", "document_no"),
        ({"document_no": "45<script>"}, "admin_subscribers.error.document", "document_no"),
        ({"document_no": "1" * 41}, "admin_subscribers.error.document", "document_no"),
        ({"phone": "", "email": ""}, "contract_desk.error.contact_required", "phone"),
        ({"phone": "12"}, "profile.error.phone", "phone"),
        ({"email": "not-an-email"}, "profile.error.email", "email"),
        ({"email": ["a@b.ru"], "phone": ""}, "contract_desk.error.contact_required", "phone"),
        ({"address": "д" * 301}, "profile.error.too_long", "address"),
    ],
)
def test_bad_input_is_refused_with_the_field(session, admin, changes, code, field):
    with pytest.raises(ValidationError) as err:
        contract_desk.create_contract(session, admin, **{**CUSTOMER, **changes})
    assert (err.value.code, err.value.field) == (code, field)
    session.rollback()
    assert count(session, Subscriber) == 0


def test_duplicates_of_document_phone_and_e_mail_name_the_contract(session, admin, factory):
    first = _create(session, admin)
    for changes, code in (
        ({"document_no": "4510-654321 ", "phone": "+79160000001", "email": ""}, "document_taken"),
        ({"document_no": "1", "email": "OLGA@example.ru", "phone": ""}, "email_taken"),
        ({"document_no": "2", "phone": "8 916 555 77 88", "email": ""}, "phone_taken"),
    ):
        with pytest.raises(ValidationError) as err:
            contract_desk.create_contract(session, admin, **{**CUSTOMER, **changes})
        session.rollback()
        assert err.value.code == f"contract_desk.error.{code}"
        assert err.value.params["contract"] == first.contract_no
    # a login of someone without a contract (a partner's user) is taken too
    dealer = factory.partner(login="shop@example.ru")
    assert dealer.login == "shop@example.ru"
    with pytest.raises(ValidationError) as err:
        contract_desk.create_contract(
            session, admin, **{**CUSTOMER, "document_no": "3", "email": "shop@example.ru"}
        )
    assert err.value.code == "contract_desk.error.email_taken"
    session.rollback()
    assert count(session, Subscriber) == 1


def test_creating_needs_subscribers_edit(session, factory):
    for actor in (factory.support(), factory.subscriber(), factory.partner().actor, None):
        with pytest.raises(PermissionDenied):
            contract_desk.create_contract(session, actor, **CUSTOMER)
        session.rollback()


# -- SIMs from stock -------------------------------------------------------------------------


@pytest.fixture
def stock(factory):
    return {
        "tariff": factory.tariff("Базовый"),
        "sims": [factory.sim() for _ in range(3)],
    }


def test_put_sims_activates_them_on_the_contract_and_sends_the_set_password_link(
    session, admin, stock
):
    made = _create(session, admin)
    first, second = stock["sims"][:2]
    result = contract_desk.put_sims(
        session, admin, made.subscriber_id, [second.id, first.id], stock["tariff"].id
    )
    session.commit()
    assert result.sim_ids == sorted([first.id, second.id]) and result.set_password_sent
    for sim_id in result.sim_ids:
        sim = fresh(session, Sim, sim_id)
        assert (sim.status, sim.subscriber_id, sim.tariff_id) == (
            "active",
            made.subscriber_id,
            stock["tariff"].id,
        )
        assert sim.billing_day == min(cards.today().day, 28) and sim.activated_at is not None
    requests = session.exec(select(ActivationRequest)).all()
    assert {(r.status, r.subscriber_id, r.requester_user_id) for r in requests} == {
        ("approved", made.subscriber_id, admin.user_id)
    }
    assert count(session, AuditLog, AuditLog.action == "activation.approve") == 2
    assert count(session, AuditLog, AuditLog.action == "subscriber.put_sims") == 1
    [mail] = emails(session, kind="set_password")
    assert mail.to_address == "olga@example.ru" and made.contract_no in mail.body
    sub = session.get(Subscriber, made.subscriber_id)
    assert len(notifications(session, sub.user_id, "activation_approved")) == 2
    # a third SIM later: the password is still unset, so a fresh link goes with it
    contract_desk.put_sims(
        session, admin, made.subscriber_id, [stock["sims"][2].id], stock["tariff"].id
    )
    session.commit()
    assert len(emails(session, kind="set_password")) == 2


def test_no_link_once_the_password_is_set(session, admin, stock, factory):
    customer = factory.subscriber("own@example.ru")
    result = contract_desk.put_sims(
        session, admin, customer.subscriber_id, [stock["sims"][0].id], stock["tariff"].id
    )
    session.commit()
    assert not result.set_password_sent and not emails(session, kind="set_password")


def test_put_sims_is_all_or_nothing_and_refuses_sims_not_in_stock(session, admin, stock, factory):
    made = _create(session, admin)
    taken = factory.sim(factory.subscriber())
    ok = stock["sims"][0]
    with pytest.raises(DomainError) as err:
        contract_desk.put_sims(
            session, admin, made.subscriber_id, [ok.id, taken.id], stock["tariff"].id
        )
    assert err.value.code == "contract_desk.error.not_in_stock"
    session.rollback()
    assert fresh(session, Sim, ok.id).status == "in_stock"
    assert count(session, ActivationRequest) == 0
    awaiting = factory.sim(status="awaiting_activation")
    with pytest.raises(DomainError):
        contract_desk.put_sims(
            session, admin, made.subscriber_id, [awaiting.id], stock["tariff"].id
        )
    session.rollback()


@pytest.mark.parametrize(
    "sim_ids", [[], "1", [None], [True], ["1"], list(range(1, 60)), None, [10**12]]
)
def test_put_sims_hostile_ids(session, admin, stock, sim_ids):
    made = _create(session, admin)
    with pytest.raises(ValidationError):
        contract_desk.put_sims(session, admin, made.subscriber_id, sim_ids, stock["tariff"].id)
    session.rollback()


def test_put_sims_refusals_of_contract_and_tariff(session, admin, stock, factory):
    made = _create(session, admin)
    sim = stock["sims"][0]
    with pytest.raises(NotFound):
        contract_desk.put_sims(session, admin, 10**9, [sim.id], stock["tariff"].id)
    session.rollback()
    with pytest.raises(ValidationError):
        contract_desk.put_sims(session, admin, made.subscriber_id, [sim.id], "1")
    session.rollback()
    archived = factory.tariff(is_archived=True)
    with pytest.raises(ValidationError) as err:
        contract_desk.put_sims(session, admin, made.subscriber_id, [sim.id], archived.id)
    assert err.value.code == "admin_queues.error.tariff_archived"
    session.rollback()
    sub = session.get(Subscriber, made.subscriber_id)
    sub.status = "inactive"
    session.commit()
    with pytest.raises(DomainError) as err:
        contract_desk.put_sims(session, admin, made.subscriber_id, [sim.id], stock["tariff"].id)
    assert err.value.code == "admin_queues.error.contract_inactive"
    session.rollback()
    assert fresh(session, Sim, sim.id).status == "in_stock"


def test_put_sims_needs_activations_edit(session, admin, stock, factory):
    made = _create(session, admin)
    for actor in (factory.support(), factory.subscriber(), None):
        with pytest.raises(PermissionDenied):
            contract_desk.put_sims(
                session, actor, made.subscriber_id, [stock["sims"][0].id], stock["tariff"].id
            )
        session.rollback()


def test_the_stock_picker_finds_by_number_or_iccid(session, admin, stock, factory):
    sim = stock["sims"][0]
    factory.sim(factory.subscriber())  # on a contract: never offered
    found = contract_desk.stock_sims(session, admin, sim.msisdn[-7:])
    assert [s.id for s in found] == [sim.id] and found[0].hint == sim.iccid
    assert [s.id for s in contract_desk.stock_sims(session, admin, sim.iccid[-8:])] == [sim.id]
    assert contract_desk.stock_sims(session, admin, "12") == []
    assert contract_desk.stock_sims(session, admin, None) == []
    assert contract_desk.stock_sims(session, admin, "%%%_") == []
    with pytest.raises(PermissionDenied):
        contract_desk.stock_sims(session, factory.support(), sim.msisdn)


# -- moving a SIM ----------------------------------------------------------------------------


@pytest.fixture
def family(factory):
    tariff = factory.tariff("Семейный")
    old = factory.subscriber("old@example.ru", full_name="Пётр Старый")
    new = factory.subscriber("new@example.ru", full_name="Анна Новая")
    sim = factory.sim(old, tariff=tariff, balance_kop=12345)
    return {"tariff": tariff, "old": old, "new": new, "sim": sim}


def test_a_move_keeps_number_balance_and_tariff_and_drops_the_old_owners_ties(
    session, admin, family, factory
):
    sim, old, new = family["sim"], family["old"], family["new"]
    card = factory.card(old)
    session.add(AutopaySetting(sim_id=sim.id, card_id=card.id))
    session.add(AutopayRun(sim_id=sim.id, period="2026-12", attempt=1, next_retry_at=utcnow()))
    other_tariff = factory.tariff("Другой")
    session.add(
        TariffChangeRequest(
            sim_id=sim.id,
            requester_user_id=old.user_id,
            from_tariff_id=family["tariff"].id,
            to_tariff_id=other_tariff.id,
        )
    )
    session.commit()
    moved = contract_desk.move_sim(session, admin, sim.id, new.subscriber_id, "  утерян телефон ")
    session.commit()
    assert moved.autopay_removed and moved.requests_cancelled == 1
    after = fresh(session, Sim, sim.id)
    assert (
        after.subscriber_id,
        after.msisdn,
        after.balance_kop,
        after.tariff_id,
        after.status,
    ) == (
        new.subscriber_id,
        sim.msisdn,
        12345,
        family["tariff"].id,
        "active",
    )
    assert count(session, AutopaySetting, AutopaySetting.sim_id == sim.id) == 0
    assert session.exec(select(AutopayRun.next_retry_at)).all() == [None]
    change = session.exec(select(TariffChangeRequest)).one()
    assert (change.status, change.reason, change.decided_by_user_id) == (
        "cancelled",
        "утерян телефон",
        admin.user_id,
    )
    entry = session.exec(select(AuditLog).where(AuditLog.action == "sim.move")).one()
    assert (entry.entity, entry.entity_id) == ("sim", str(sim.id))
    assert "утерян телефон" in entry.after
    [out] = notifications(session, old, "sim_moved_out")
    assert "утерян телефон" in out.body
    [into] = notifications(session, new, "sim_moved_in")
    new_contract = session.get(Subscriber, new.subscriber_id).contract_no
    assert new_contract in into.body and moved.to_contract_no == new_contract


@pytest.mark.parametrize("status", ["blocked", "deactivated", "in_stock", "awaiting_activation"])
def test_only_a_working_sim_on_a_contract_moves(session, admin, family, status):
    sim = session.get(Sim, family["sim"].id)
    sim.status = status
    if status in ("in_stock", "awaiting_activation"):
        sim.subscriber_id = None
    session.commit()
    with pytest.raises(DomainError) as err:
        contract_desk.move_sim(session, admin, sim.id, family["new"].subscriber_id, "причина")
    assert err.value.code in (
        "contract_desk.error.not_movable",
        "contract_desk.error.not_on_contract",
    )
    session.rollback()


def test_a_suspended_sim_moves_with_its_debt(session, admin, family):
    sim = session.get(Sim, family["sim"].id)
    sim.status = "suspended"
    session.commit()
    contract_desk.move_sim(session, admin, sim.id, family["new"].subscriber_id, "семья")
    session.commit()
    assert fresh(session, Sim, sim.id).status == "suspended"


def test_move_refusals(session, admin, family, factory):
    sim, new = family["sim"], family["new"]
    for args, error in (
        ((sim.id, new.subscriber_id, "  "), ValidationError),
        ((sim.id, new.subscriber_id, None), ValidationError),
        ((sim.id, new.subscriber_id, "я" * 501), ValidationError),
        ((10**9, new.subscriber_id, "причина"), NotFound),
        (("1", new.subscriber_id, "причина"), NotFound),
        ((sim.id, 10**9, "причина"), ValidationError),
        ((sim.id, "2", "причина"), ValidationError),
        ((sim.id, family["old"].subscriber_id, "причина"), ValidationError),
    ):
        with pytest.raises(error):
            contract_desk.move_sim(session, admin, *args)
        session.rollback()
    closed = session.get(Subscriber, new.subscriber_id)
    closed.status = "inactive"
    session.commit()
    with pytest.raises(ValidationError) as err:
        contract_desk.move_sim(session, admin, sim.id, new.subscriber_id, "причина")
    assert err.value.code == "admin_queues.error.contract_inactive"
    session.rollback()
    for actor in (factory.support(), family["old"], None):
        with pytest.raises(PermissionDenied):
            contract_desk.move_sim(session, actor, sim.id, new.subscriber_id, "причина")
        session.rollback()
    assert fresh(session, Sim, sim.id).subscriber_id == family["old"].subscriber_id


def test_the_contract_picker(session, admin, family, factory):
    found = contract_desk.contracts_found(session, admin, "Анна")
    assert [s.id for s in found] == [family["new"].subscriber_id]
    excluded = contract_desk.contracts_found(
        session, admin, "Анна", exclude_id=family["new"].subscriber_id
    )
    assert excluded == []
    assert contract_desk.contracts_found(session, admin, "а") == []
    assert contract_desk.contracts_found(session, admin, 5) == []
    with pytest.raises(PermissionDenied):
        contract_desk.contracts_found(session, factory.partner().actor, "Анна")


def test_two_moves_of_one_sim_at_once_the_second_sees_the_first(
    session, admin, family, factory, new_session
):
    third = factory.subscriber("third@example.ru", full_name="Третий")
    first_session, second_session = new_session(), new_session()
    contract_desk.move_sim(
        first_session, admin, family["sim"].id, family["new"].subscriber_id, "a1"
    )
    outcome = {}

    def race():
        try:
            outcome["moved"] = contract_desk.move_sim(
                second_session, admin, family["sim"].id, third.subscriber_id, "b2"
            )
            second_session.commit()
        except DomainError as exc:
            outcome["error"] = exc.code
            second_session.rollback()

    thread = threading.Thread(target=race)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # waits for the first move's lock
    first_session.commit()
    thread.join(30)
    # the second move went from the first move's owner, not from the original one
    assert outcome["moved"].from_subscriber_id == family["new"].subscriber_id
    assert fresh(session, Sim, family["sim"].id).subscriber_id == third.subscriber_id
    assert count(session, AuditLog, AuditLog.action == "sim.move") == 2
