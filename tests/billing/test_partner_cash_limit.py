"""A partner's daily limit of cash top-ups (set by the admin, audited, the Moscow day, two top-ups
at once) and the settlement figures: cash collected, commission, what the partner owes."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlmodel import select

from paysim_app.billing import partner_topups
from paysim_app.billing.topups import MIN_KOP
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.models import AuditLog, Commission, Partner, Payment
from paysim_app.partners import directory, performance
from tests.money_helpers import count, fresh, travel


@pytest.fixture
def world(factory):
    dealer = factory.partner("Связь-Сервис")
    customer = factory.subscriber("ivan@example.ru", full_name="Иван Петров")
    sim = factory.sim(customer, partner=dealer)
    return {"dealer": dealer, "sim": sim, "admin": factory.superadmin()}


def _top_up(session, world, amount, key):
    result = partner_topups.partner_topup(
        session, world["dealer"].actor, world["sim"].id, amount, key
    )
    session.commit()
    return result


def _limit(session, world, limit_kop):
    view = directory.set_cash_limit(session, world["admin"], world["dealer"].partner.id, limit_kop)
    session.commit()
    return view


def test_the_admin_sets_and_lifts_the_limit_audited(session, world):
    assert (
        directory.get_partner(
            session, world["admin"], world["dealer"].partner.id
        ).cash_daily_limit_kop
        is None
    )
    assert _limit(session, world, 300000).cash_daily_limit_kop == 300000
    _limit(session, world, 300000)  # the same value again: no second entry
    assert _limit(session, world, None).cash_daily_limit_kop is None
    entries = session.exec(
        select(AuditLog).where(AuditLog.action == "partner.cash_limit").order_by(AuditLog.id)
    ).all()
    assert [e.after for e in entries] == [
        '{"cash_daily_limit_kop": 300000}',
        '{"cash_daily_limit_kop": null}',
    ]


@pytest.mark.parametrize("bad", [-1, "1000", 1.5, True, 10**11, [1]])
def test_a_bad_limit_is_refused(session, world, bad):
    with pytest.raises(ValidationError) as err:
        directory.set_cash_limit(session, world["admin"], world["dealer"].partner.id, bad)
    assert err.value.field == "cash_limit"
    session.rollback()


def test_setting_the_limit_needs_partners_edit(session, world, factory):
    for actor in (factory.support(), world["dealer"].actor, None):
        with pytest.raises(PermissionDenied):
            directory.set_cash_limit(session, actor, world["dealer"].partner.id, 100)
        session.rollback()
    assert fresh(session, Partner, world["dealer"].partner.id).cash_daily_limit_kop is None


def test_a_top_up_past_the_days_limit_is_refused_with_what_is_left(session, world):
    _limit(session, world, 100000)  # 1 000 ₽ a day
    with travel(date(2026, 12, 7), hour=10):
        _top_up(session, world, 60000, "req-a-000001")
        with pytest.raises(DomainError) as err:
            _top_up(session, world, 50000, "req-a-000002")
        session.rollback()
        assert err.value.code == "partner_money.error.daily_limit"
        assert err.value.params == {"limit_kop": 100000, "left_kop": 40000}
        _top_up(session, world, 40000, "req-a-000003")  # exactly to the limit
        with pytest.raises(DomainError) as err:
            _top_up(session, world, MIN_KOP, "req-a-000004")
        assert err.value.params["left_kop"] == 0
        session.rollback()
        # the same form again is not a new top-up: it answers with the first one
        again = _top_up(session, world, 60000, "req-a-000001")
        assert again.amount_kop == 60000
    # 00:30 Moscow the next day (21:30 UTC the day before): a new day, a new limit
    with travel(date(2026, 12, 8), hour=0):
        _top_up(session, world, 100000, "req-a-000005")
    assert count(session, Payment, Payment.method == "partner") == 3


def test_no_limit_means_none(session, world):
    with travel(date(2026, 12, 7)):
        for n in range(3):
            _top_up(session, world, 1_500_000, f"req-n-00000{n}")
    assert count(session, Payment) == 3


def test_two_top_ups_at_once_cannot_pass_the_limit(session, world, new_session):
    """The first holds the partner's row; the second waits, then sums with it and is refused."""
    _limit(session, world, 100000)
    first_session, second_session = new_session(), new_session()
    outcome = {}
    with travel(date(2026, 12, 7)):
        partner_topups.partner_topup(
            first_session, world["dealer"].actor, world["sim"].id, 70000, "req-r-000001"
        )

        def race():
            try:
                partner_topups.partner_topup(
                    second_session, world["dealer"].actor, world["sim"].id, 70000, "req-r-000002"
                )
                second_session.commit()
                outcome["second"] = "ok"
            except DomainError as exc:
                outcome["second"] = exc.params
                second_session.rollback()

        thread = threading.Thread(target=race)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waiting for the first top-up's transaction
        first_session.commit()
        thread.join(30)
    assert outcome["second"] == {"limit_kop": 100000, "left_kop": 30000}
    assert count(session, Payment) == 1


# -- settlement ------------------------------------------------------------------------------


def test_settlement_cash_commission_and_owed_by_month(session, world, factory):
    other = factory.partner("Другой")
    with travel(date(2026, 11, 20)):
        _top_up(session, world, 100000, "req-s-000001")  # commission 5 %: 5 000
    with travel(date(2026, 12, 3)):
        _top_up(session, world, 40000, "req-s-000002")
    admin = world["admin"]
    rows = performance.settlement(
        session, admin, world["dealer"].partner.id, date(2026, 10, 1), date(2026, 12, 31)
    )
    assert [(r.key, r.cash_kop, r.commission_kop, r.owed_kop) for r in rows] == [
        ("2026-10", 0, 0, 0),
        ("2026-11", 100000, 5000, 95000),
        ("2026-12", 40000, 2000, 38000),
    ]
    # the partner's own user sees its own; not another partner's
    mine = performance.settlement(
        session,
        world["dealer"].actor,
        world["dealer"].partner.id,
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    assert [(r.cash_kop, r.owed_kop) for r in mine] == [(40000, 38000)]
    with pytest.raises(PermissionDenied):
        performance.settlement(
            session, other.actor, world["dealer"].partner.id, date(2026, 12, 1), date(2026, 12, 31)
        )
    all_partners = performance.settlements(session, admin, date(2026, 11, 1), date(2026, 12, 31))
    assert set(all_partners) == {world["dealer"].partner.id}
    total = all_partners[world["dealer"].partner.id]
    assert (total.cash_kop, total.commission_kop, total.owed_kop) == (140000, 7000, 133000)
    with pytest.raises(PermissionDenied):
        performance.settlements(
            session, world["dealer"].actor, date(2026, 11, 1), date(2026, 12, 31)
        )
    with pytest.raises(ValidationError):
        performance.settlement(
            session, admin, world["dealer"].partner.id, "2026-01-01", date(2026, 12, 31)
        )


def test_a_refunded_cash_top_up_counts_neither_cash_nor_commission(session, world):
    """What the dealer kept counts (the amount less refunds), and the reversal cancels the
    commission."""
    with travel(date(2026, 12, 3)):
        paid = _top_up(session, world, 100000, "req-c-000001")
    payment = session.get(Payment, paid.payment_id)
    payment.refunded_kop = 100000
    payment.status = "refunded"
    accrual = session.exec(select(Commission).where(Commission.payment_id == payment.id)).one()
    session.add(
        Commission(
            partner_id=accrual.partner_id,
            payment_id=payment.id,
            kind="reversal",
            rate_bp=500,
            amount_kop=-accrual.amount_kop,
            created_at=accrual.created_at,
        )
    )
    session.commit()
    [row] = performance.settlement(
        session, world["admin"], world["dealer"].partner.id, date(2026, 12, 1), date(2026, 12, 31)
    )
    assert (row.cash_kop, row.commission_kop, row.owed_kop) == (0, 0, 0)
