"""A dealer's cash top-ups of its subscribers' SIMs, and its own statistics."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from paysim_app.billing import partner_topups
from paysim_app.billing.payment_lists import PAYMENT_LIST
from paysim_app.billing.payments import commission_of
from paysim_app.billing.topups import MAX_KOP, MIN_KOP
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import AuditLog, Commission, Payment
from paysim_app.models.base import utcnow
from paysim_app.partners import performance
from tests.money_helpers import assert_ledger_consistent, count, notifications


@pytest.fixture
def world(factory):
    dealer = factory.partner("Связь-Сервис")
    other = factory.partner("Чужой дилер")
    customer = factory.subscriber("ivan@example.ru", full_name="Иван Петров")
    sim = factory.sim(customer, partner=dealer, balance_kop=10000)
    foreign = factory.sim(factory.subscriber(), partner=other)
    return {"dealer": dealer, "other": other, "customer": customer, "sim": sim, "foreign": foreign}


DEALER = object()


def _top_up(session, world, target=None, amount=50000, key="req-000001", actor=DEALER):
    result = partner_topups.partner_topup(
        session,
        world["dealer"].actor if actor is DEALER else actor,
        target if target is not None else world["sim"].msisdn,
        amount,
        key,
    )
    session.commit()
    return result


def test_mask_name():
    assert partner_topups.mask_name("Иван Петров") == "Иван П."
    assert partner_topups.mask_name("Петров Иван Сергеевич") == "Иван П."
    assert partner_topups.mask_name("Иван") == "И."
    assert partner_topups.mask_name("") == ""


def test_top_up_credits_through_the_ledger_accrues_commission_audits_and_notifies(session, world):
    result = _top_up(
        session, world, target=" 8 (" + world["sim"].msisdn[2:5] + ") " + world["sim"].msisdn[5:]
    )
    assert result.amount_kop == 50000 and result.status == "succeeded"
    assert result.subscriber_name == "Иван П."
    sim = assert_ledger_consistent(session, world["sim"].id)
    assert sim.balance_kop == 60000
    payment = session.get(Payment, result.payment_id)
    assert (payment.method, payment.status, payment.partner_id, payment.payer_user_id) == (
        "partner",
        "succeeded",
        world["dealer"].partner.id,
        world["dealer"].user.id,
    )
    assert payment.subscriber_id == world["customer"].subscriber_id
    assert payment.completed_at is not None
    accrual = session.exec(select(Commission).where(Commission.payment_id == payment.id)).one()
    assert accrual.partner_id == world["dealer"].partner.id
    assert accrual.amount_kop == commission_of(50000, 500) == 2500
    assert count(session, AuditLog, AuditLog.action == "payment.partner_topup") == 1
    [note] = notifications(session, world["customer"], "partner_topup")
    assert "500,00" in note.body


def test_top_up_by_sim_id_works_too(session, world):
    result = _top_up(session, world, target=world["sim"].id, amount=MIN_KOP)
    assert result.sim_id == world["sim"].id
    assert assert_ledger_consistent(session, world["sim"].id).balance_kop == 10000 + MIN_KOP


def test_double_submit_credits_once(session, world):
    first = _top_up(session, world)
    again = _top_up(session, world)
    assert again.payment_id == first.payment_id
    assert count(session, Payment, Payment.method == "partner") == 1
    assert count(session, Commission) == 1
    assert assert_ledger_consistent(session, world["sim"].id).balance_kop == 60000
    _top_up(session, world, key="req-000002")
    assert assert_ledger_consistent(session, world["sim"].id).balance_kop == 110000


def test_another_partners_sim_and_an_unknown_number_get_the_same_refusal(session, world):
    codes = []
    for target in (
        world["foreign"].msisdn,
        world["foreign"].id,
        "+79990009999",
        999_999,
    ):
        with pytest.raises(PermissionDenied) as err:
            _top_up(session, world, target=target)
        codes.append(err.value.code)
        with pytest.raises(PermissionDenied):
            partner_topups.find_sim(session, world["dealer"].actor, target)
    assert set(codes) == {"partner_money.error.not_yours"}
    session.rollback()
    assert count(session, Payment) == 0
    assert assert_ledger_consistent(session, world["foreign"].id).balance_kop == 0


def test_only_a_partner_user_tops_up_here(session, factory, world):
    for actor in (world["customer"], factory.superadmin(), None):
        with pytest.raises(PermissionDenied):
            _top_up(session, world, actor=actor)
    session.rollback()
    assert count(session, Payment) == 0


def test_a_bad_number_is_a_field_error(session, world):
    with pytest.raises(ValidationError) as err:
        _top_up(session, world, target="12345")
    assert err.value.field == "number"


@pytest.mark.parametrize("amount", [MIN_KOP - 1, MAX_KOP + 1, 0, -100])
def test_amount_limits(session, world, amount):
    with pytest.raises(ValidationError) as err:
        _top_up(session, world, amount=amount)
    assert err.value.code == "topup.error.limits"
    session.rollback()
    assert count(session, Payment) == 0


@pytest.mark.parametrize("amount", [MIN_KOP, MAX_KOP])
def test_amount_limits_are_inclusive(session, world, amount):
    assert _top_up(session, world, amount=amount).amount_kop == amount


def test_a_bad_request_key_is_refused(session, world):
    with pytest.raises(ValidationError):
        _top_up(session, world, key="x")


@pytest.mark.parametrize("status", ["suspended", "blocked"])
def test_a_suspended_or_blocked_sim_can_be_topped_up(session, world, status):
    sim = world["sim"]
    sim.status = status
    session.add(sim)
    session.commit()
    _top_up(session, world)
    assert assert_ledger_consistent(session, sim.id).balance_kop == 60000


@pytest.mark.parametrize("status", ["in_stock", "awaiting_activation", "deactivated"])
def test_a_sim_out_of_service_is_refused(session, factory, world, status):
    sim = factory.sim(partner=world["dealer"], status=status)
    with pytest.raises(DomainError) as err:
        _top_up(session, world, target=sim.msisdn)
    assert err.value.code == "partner_money.error.sim_status"
    with pytest.raises(DomainError):
        partner_topups.find_sim(session, world["dealer"].actor, sim.msisdn)


def test_find_sim_shows_the_masked_subscriber(session, world):
    target = partner_topups.find_sim(session, world["dealer"].actor, world["sim"].msisdn)
    assert (target.sim_id, target.subscriber_name, target.status) == (
        world["sim"].id,
        "Иван П.",
        "active",
    )


def test_recent_topups_are_the_partners_own(session, factory, world):
    _top_up(session, world, amount=30000)
    _top_up(session, world, amount=40000, key="req-000002")
    other_sim = factory.sim(factory.subscriber(), partner=world["other"])
    _top_up(session, world, target=other_sim.msisdn, actor=world["other"].actor, key="req-000003")
    rows = partner_topups.recent_topups(session, world["dealer"].actor)
    assert [r.amount_kop for r in rows] == [40000, 30000]
    assert partner_topups.recent_numbers(session, world["dealer"].actor) == [world["sim"].msisdn]
    with pytest.raises(PermissionDenied):
        partner_topups.recent_topups(session, world["customer"])


def test_partner_stats_equal_the_admins_and_count_the_top_up(session, factory, world):
    _top_up(session, world)
    today = moscow_date(utcnow())
    start = date(today.year - 1, today.month, 1)
    pid = world["dealer"].partner.id
    own = performance.partner_stats(session, world["dealer"].actor, pid, start, today)
    admin = performance.partner_stats(session, factory.superadmin(), pid, start, today)
    assert own == admin
    assert own.payments_count == 1 and own.payments_kop == 50000
    assert own.profit_kop == 2500
    with pytest.raises(PermissionDenied):
        performance.partner_stats(
            session, world["dealer"].actor, world["other"].partner.id, start, today
        )


def test_the_top_up_shows_in_the_admins_payments_filtered_by_partner(session, factory, world):
    result = _top_up(session, world)
    admin = factory.superadmin()
    mine = fetch_page(
        session,
        admin,
        PAYMENT_LIST,
        ListQuery(filters={"partner": str(world["dealer"].partner.id), "method": "partner"}),
    )
    assert [r["id"] for r in mine.rows] == [result.payment_id]
    theirs = fetch_page(
        session, admin, PAYMENT_LIST, ListQuery(filters={"partner": str(world["other"].partner.id)})
    )
    assert theirs.rows == []
