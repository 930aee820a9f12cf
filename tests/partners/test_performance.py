"""Partner statistics against figures computed by hand on a small fixture: commissions accrued
and one reversed across two months, activations in two months, Moscow month boundaries; and
who may see them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pytest

from paysim_app.billing import payments
from paysim_app.core.errors import NotFound, PermissionDenied, ValidationError
from paysim_app.models import Subscriber
from paysim_app.partners import performance
from paysim_app.partners.performance import MonthPoint
from tests.money_helpers import GW, card_topup, msk, travel

MAR1, APR30 = date(2026, 3, 1), date(2026, 4, 30)


@dataclass
class World:
    admin: object
    a: object  # PartnerBundle, 5 % commission
    b: object
    c: object


def pay(session, sim, amount_kop: int, when, status: str = "succeeded") -> int:
    with travel(when):
        return card_topup(session, sim, amount_kop, status=status)


def bring(session, subscriber, partner, status: str = "active") -> None:
    row = session.get(Subscriber, subscriber.subscriber_id)
    row.partner_id, row.status = partner.partner.id, status
    session.commit()


@pytest.fixture
def world(session, factory) -> World:
    admin = factory.superadmin()
    a, b, c = factory.partner("Альфа"), factory.partner("Бета"), factory.partner("Гамма")
    sub1, sub2, gone = factory.subscriber(), factory.subscriber(), factory.subscriber()
    bring(session, sub1, a)
    bring(session, sub2, a)
    bring(session, gone, a, "inactive")
    s1 = factory.sim(sub1, partner=a, activated_at=msk(2026, 3, 15))
    s2 = factory.sim(sub2, partner=a, activated_at=msk(2026, 4, 2))
    # 00:30 in Moscow on 1 March is still 28 February in UTC: a March activation
    factory.sim(sub1, partner=a, activated_at=msk(2026, 3, 1, 0, 30))
    factory.sim(sub1, partner=a, status="suspended", activated_at=msk(2026, 2, 10))
    factory.sim(partner=a)  # in stock
    # 00:30 in Moscow on 1 May is 30 April in UTC: a May activation, outside the period
    factory.sim(sub2, partner=a, status="blocked", activated_at=msk(2026, 5, 1, 0, 30))

    pay(session, s1, 50000, msk(2026, 2, 15, 12))  # +2 500 in February
    refunded = pay(session, s1, 100_000, msk(2026, 3, 20, 12))  # +5 000 in March
    pay(session, s2, 20000, msk(2026, 4, 1, 1))  # +1 000: 1 April in Moscow, 31 March in UTC
    pay(session, s2, 200_000, msk(2026, 4, 5, 12))  # +10 000 in April
    pay(session, s1, 30000, msk(2026, 4, 7, 12), status="failed")  # nothing
    pay(session, s1, 40000, msk(2026, 5, 1, 0, 30))  # +2 000 in May (30 April in UTC)
    with travel(msk(2026, 4, 10, 12)):  # the March payment is refunded in April: -5 000
        payments.refund_payment(session, admin, GW, refunded, "ошибка")
        session.commit()

    sub_b = factory.subscriber()
    bring(session, sub_b, b)
    b1 = factory.sim(sub_b, partner=b, activated_at=msk(2026, 3, 10))
    factory.sim(partner=b)
    pay(session, b1, 60000, msk(2026, 3, 12, 12))  # +3 000 for B
    return World(admin, a, b, c)


def test_one_partner_for_a_period(session, world):
    stats = performance.partner_stats(session, world.admin, world.a.partner.id, MAR1, APR30)
    assert stats.partner_name == "Альфа"
    assert stats.sims_by_status == {
        "in_stock": 1,
        "awaiting_activation": 0,
        "active": 3,
        "suspended": 1,
        "blocked": 1,
        "deactivated": 0,
    }
    assert (stats.sims, stats.subscribers, stats.active_subscribers) == (6, 3, 2)
    assert stats.profit_total_kop == 2500 + 5000 + 1000 + 10000 - 5000 + 2000
    assert stats.profit_kop == 5000 + (1000 + 10000 - 5000)
    # the refunded March payment no longer counts; the failed one never did
    assert (stats.payments_count, stats.payments_kop) == (2, 220_000)
    assert stats.activations == 3
    assert stats.months == [MonthPoint("2026-03", 5000, 2), MonthPoint("2026-04", 6000, 1)]


def test_every_month_of_the_period_is_in_the_series(session, world):
    stats = performance.partner_stats(
        session, world.admin, world.a.partner.id, date(2026, 1, 15), date(2026, 5, 31)
    )
    assert stats.months == [
        MonthPoint("2026-01", 0, 0),
        MonthPoint("2026-02", 2500, 1),
        MonthPoint("2026-03", 5000, 2),
        MonthPoint("2026-04", 6000, 1),
        MonthPoint("2026-05", 2000, 1),
    ]
    assert (stats.profit_kop, stats.activations) == (15500, 5)
    assert stats.profit_kop == stats.profit_total_kop
    # one day: the refund day holds only the reversal
    day = performance.partner_stats(
        session, world.admin, world.a.partner.id, date(2026, 4, 10), date(2026, 4, 10)
    )
    assert (day.profit_kop, day.payments_count, day.activations) == (-5000, 0, 0)
    assert day.months == [MonthPoint("2026-04", -5000, 0)]


def test_comparison_of_all_partners(session, world):
    rows = performance.partners_comparison(session, world.admin, MAR1, APR30)
    got = [
        (
            r.name,
            r.sims,
            r.subscribers,
            r.active_subscribers,
            r.activations,
            r.payments_count,
            r.payments_kop,
            r.profit_kop,
        )
        for r in rows
    ]
    assert got == [
        ("Альфа", 6, 3, 2, 3, 2, 220_000, 11000),
        ("Бета", 2, 1, 1, 1, 1, 60000, 3000),
        ("Гамма", 0, 0, 0, 0, 0, 0, 0),
    ]
    assert [r.partner_id for r in rows] == [
        world.a.partner.id,
        world.b.partner.id,
        world.c.partner.id,
    ]


def test_a_partner_sees_its_own_statistics_only(session, factory, world):
    own = performance.partner_stats(session, world.a.actor, world.a.partner.id, MAR1, APR30)
    assert own == performance.partner_stats(session, world.admin, world.a.partner.id, MAR1, APR30)
    with pytest.raises(PermissionDenied):
        performance.partner_stats(session, world.a.actor, world.b.partner.id, MAR1, APR30)
    with pytest.raises(PermissionDenied):
        performance.partners_comparison(session, world.a.actor, MAR1, APR30)


def test_others_are_refused(session, factory, world):
    support, sub = factory.support(), factory.subscriber()
    for actor in (support, sub, None):
        with pytest.raises(PermissionDenied):
            performance.partner_stats(session, actor, world.a.partner.id, MAR1, APR30)
        with pytest.raises(PermissionDenied):
            performance.partners_comparison(session, actor, MAR1, APR30)
    # a partner user whose account names no partner matches nothing
    with pytest.raises(PermissionDenied):
        performance.partner_stats(
            session, replace(world.a.actor, partner_id=None), None, MAR1, APR30
        )


def test_bad_periods_are_refused(session, world):
    pid = world.a.partner.id
    with pytest.raises(ValidationError) as err:
        performance.partner_stats(session, world.admin, pid, APR30, MAR1)
    assert err.value.code == "admin_catalogue.error.date_range"
    with pytest.raises(ValidationError) as err:
        performance.partners_comparison(session, world.admin, date(2010, 1, 1), APR30)
    assert err.value.code == "admin_catalogue.error.range_too_long"
    with pytest.raises(ValidationError):
        performance.partner_stats(session, world.admin, pid, "2026-03-01", APR30)
    with pytest.raises(NotFound):
        performance.partner_stats(session, world.admin, 999_999, MAR1, APR30)


def test_a_payment_refunded_in_part_counts_what_it_kept(session, world):
    """A partial refund leaves the payment succeeded; the takings count what stayed."""
    from sqlmodel import select

    from paysim_app.models import Payment
    from paysim_app.payments import GatewayEvent, GatewayRefund

    [paid] = session.exec(select(Payment).where(Payment.partner_id == world.b.partner.id)).all()
    event = GatewayEvent(
        event_id="evt_part",
        kind="refunded",
        gateway_ref=paid.gateway_ref,
        payment_key=paid.idempotency_key,
        refunds=(GatewayRefund("re_part", 15000),),
    )
    with travel(msk(2026, 3, 20, 12)):
        assert payments.apply_event(session, event) == "applied"
        session.commit()
    stats = performance.partner_stats(session, world.admin, world.b.partner.id, MAR1, APR30)
    assert (stats.payments_count, stats.payments_kop) == (1, 60000 - 15000)
    rows = {r.name: r for r in performance.partners_comparison(session, world.admin, MAR1, APR30)}
    assert (rows["Бета"].payments_count, rows["Бета"].payments_kop) == (1, 45000)
