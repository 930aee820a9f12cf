"""The first page of each tree: the subscriber's SIMs, the partner's and the admin's figures."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from paysim_app.accounts import identity
from paysim_app.accounts.passwords import hash_password
from paysim_app.core.errors import PermissionDenied
from paysim_app.core.permissions import Actor
from paysim_app.models import (
    ActivationRequest,
    AdminRole,
    AdminRolePermission,
    Payment,
    Subscriber,
    Ticket,
    User,
)
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.overview import dashboards
from paysim_app.overview.dashboards import AdminOverview, SimSummary

MSK = ZoneInfo("Europe/Moscow")
_keys = itertools.count(1)


def zero_counts(**counts: int) -> dict[str, int]:
    return {status: counts.get(status, 0) for status in SIM_STATUSES}


def add_payment(session, sim, amount_kop, created_at, status="succeeded"):
    session.add(
        Payment(
            sim_id=sim.id,
            subscriber_id=sim.subscriber_id,
            amount_kop=amount_kop,
            method="card",
            status=status,
            idempotency_key=f"test-{next(_keys)}",
            created_at=created_at,
        )
    )
    session.commit()


def add_ticket(session, author: Actor, status: str):
    session.add(
        Ticket(
            author_user_id=author.user_id,
            subscriber_id=author.subscriber_id,
            subject=f"Тикет {status}",
            status=status,
        )
    )
    session.commit()


def add_activation(session, sim, requester: Actor, status: str):
    session.add(
        ActivationRequest(sim_id=sim.id, requester_user_id=requester.user_id, status=status)
    )
    session.commit()


# --------------------------------------------------------------------------- subscriber


def test_subscriber_sims_lists_only_that_subscribers_sims(factory):
    basic = factory.tariff("Базовый", fee_kop=45000)
    fast = factory.tariff("Безлимит", fee_kop=99000)
    alice, bob = factory.subscriber(), factory.subscriber()
    first = factory.sim(alice, tariff=basic, balance_kop=12345, label="Дача")
    second = factory.sim(alice, tariff=fast, status="blocked")
    bare = factory.sim(alice)  # no tariff yet
    factory.sim(bob, tariff=basic, balance_kop=777)
    factory.sim()  # in stock, nobody's

    sims = dashboards.subscriber_sims(factory.session, alice)

    assert sims == [
        SimSummary(first.id, first.msisdn, "Дача", "active", 12345, "Базовый", 45000),
        SimSummary(second.id, second.msisdn, "", "blocked", 0, "Безлимит", 99000),
        SimSummary(bare.id, bare.msisdn, "", "active", 0, "", 0),
    ]


def test_a_subscriber_without_sims_sees_an_empty_list(factory):
    factory.sim(factory.subscriber())
    factory.sim()
    assert dashboards.subscriber_sims(factory.session, factory.subscriber()) == []


def test_a_subscriber_actor_without_a_contract_sees_no_sims(factory):
    """subscriber_id None must not turn into 'WHERE subscriber_id IS NULL' (the stock SIMs)."""
    factory.sim()
    factory.sim()
    orphan = Actor(user_id=999, role="subscriber", subscriber_id=None)
    assert dashboards.subscriber_sims(factory.session, orphan) == []


def test_subscriber_sim_returns_the_subscribers_own_sim(factory):
    tariff = factory.tariff("Базовый", fee_kop=45000)
    alice = factory.subscriber()
    sim = factory.sim(alice, tariff=tariff, balance_kop=500)

    summary = dashboards.subscriber_sim(factory.session, alice, sim.id)

    assert summary == SimSummary(sim.id, sim.msisdn, "", "active", 500, "Базовый", 45000)


def test_security_another_subscribers_sim_id_gets_a_refusal_not_data(factory):
    """A browser can send any SIM id: someone else's SIM must be refused, exactly like a SIM that
    does not exist, and no field of it may come back."""
    tariff = factory.tariff()
    alice, mallory = factory.subscriber(), factory.subscriber()
    alice_sim = factory.sim(alice, tariff=tariff, balance_kop=99999)
    factory.sim(mallory, tariff=tariff)

    refusals = []
    for sim_id in (alice_sim.id, 999_999):
        with pytest.raises(PermissionDenied) as err:
            dashboards.subscriber_sim(factory.session, mallory, sim_id)
        refusals.append(err.value)
        assert alice_sim.msisdn not in str(err.value)
        assert err.value.params == {}

    assert refusals[0].code == refusals[1].code == "error.forbidden"
    assert all(s.id != alice_sim.id for s in dashboards.subscriber_sims(factory.session, mallory))


def test_subscriber_sim_is_for_subscribers_only(factory):
    sim = factory.sim(factory.subscriber())
    for actor in (factory.superadmin(), factory.partner().actor):
        with pytest.raises(PermissionDenied):
            dashboards.subscriber_sim(factory.session, actor, sim.id)
        with pytest.raises(PermissionDenied):
            dashboards.subscriber_sims(factory.session, actor)


# --------------------------------------------------------------------------- partner


def test_partner_overview_counts_only_its_own_sims_and_subscribers(factory):
    ours, theirs = factory.partner("Связь-Юг"), factory.partner("Другой дилер")
    alice, bob, carol = factory.subscriber(), factory.subscriber(), factory.subscriber()
    factory.sim(alice, partner=ours)
    factory.sim(alice, partner=ours)  # a second SIM of the same subscriber
    factory.sim(bob, partner=ours, status="suspended")
    factory.sim(partner=ours)  # in stock at the dealer
    factory.sim(partner=ours, status="awaiting_activation")
    factory.sim(carol, partner=theirs)
    factory.sim(carol, partner=theirs, status="blocked")
    factory.sim(bob)  # bought directly, not through a partner

    overview = dashboards.partner_overview(factory.session, ours.actor)

    assert overview.partner_name == "Связь-Юг"
    assert overview.sims_by_status == zero_counts(
        active=2, suspended=1, in_stock=1, awaiting_activation=1
    )
    assert overview.subscribers == 2

    other = dashboards.partner_overview(factory.session, theirs.actor)
    assert other.sims_by_status == zero_counts(active=1, blocked=1)
    assert other.subscribers == 1


def test_a_new_partner_sees_zeros(factory):
    overview = dashboards.partner_overview(factory.session, factory.partner().actor)
    assert overview.sims_by_status == zero_counts()
    assert overview.subscribers == 0


def test_partner_overview_is_for_partners_only(factory):
    for actor in (factory.subscriber(), factory.superadmin()):
        with pytest.raises(PermissionDenied):
            dashboards.partner_overview(factory.session, actor)
    with pytest.raises(PermissionDenied):
        dashboards.partner_overview(factory.session, Actor(user_id=1, role="partner"))


# --------------------------------------------------------------------------- admin


@pytest.fixture
def busy_day(factory):
    """A little of everything; 'now' is 2 March 2026, 10:00 in Moscow."""
    s = factory.session
    tariff = factory.tariff()
    alice, bob, gone = factory.subscriber(), factory.subscriber(), factory.subscriber()
    s.get(Subscriber, gone.subscriber_id).status = "inactive"
    s.commit()
    sim_a = factory.sim(alice, tariff=tariff)
    sim_b = factory.sim(bob, tariff=tariff, status="suspended")
    stock = [factory.sim(), factory.sim()]
    waiting = factory.sim(status="awaiting_activation")
    factory.sim(status="blocked")

    add_activation(s, waiting, alice, "pending")
    add_activation(s, stock[0], bob, "pending")
    add_activation(s, stock[1], bob, "rejected")

    for status in ("new", "open", "waiting", "resolved", "closed"):
        add_ticket(s, alice, status)

    def msk(day, hour, minute=0, second=0):
        return datetime(2026, 3, day, hour, minute, second, tzinfo=MSK)

    add_payment(s, sim_a, 10000, msk(1, 23, 59, 59))  # yesterday in Moscow, today in UTC
    add_payment(s, sim_a, 20000, msk(2, 0, 0, 0))  # first second of the Moscow day
    add_payment(s, sim_b, 30000, msk(2, 9, 30).astimezone(UTC))
    add_payment(s, sim_b, 40000, msk(2, 12, 0), status="failed")
    add_payment(s, sim_b, 50000, msk(2, 13, 0), status="pending")
    add_payment(s, sim_a, 60000, msk(2, 23, 59, 59))  # later today (a clock can be ahead)
    add_payment(s, sim_a, 70000, msk(3, 0, 0, 0))  # tomorrow
    return msk(2, 10, 0)


def test_the_superadmin_sees_every_figure(factory, busy_day):
    admin = factory.superadmin()

    overview = dashboards.admin_overview(factory.session, admin, now=busy_day)

    assert overview == AdminOverview(
        sims_by_status=zero_counts(
            active=1, suspended=1, in_stock=2, awaiting_activation=1, blocked=1
        ),
        subscribers=2,
        open_activations=2,
        open_tickets=3,
        payments_today_count=3,
        payments_today_kop=20000 + 30000 + 60000,
    )


def test_the_day_boundary_is_moscow_midnight_whatever_zone_now_is_in(factory, busy_day):
    admin = factory.superadmin()
    as_utc = dashboards.admin_overview(factory.session, admin, now=busy_day.astimezone(UTC))
    assert (as_utc.payments_today_count, as_utc.payments_today_kop) == (3, 110000)

    # 23:30 UTC on 1 March is already 2 March in Moscow
    late = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
    assert dashboards.admin_overview(factory.session, admin, now=late).payments_today_count == 3

    yesterday = dashboards.admin_overview(
        factory.session, admin, now=datetime(2026, 3, 1, 12, tzinfo=MSK)
    )
    assert (yesterday.payments_today_count, yesterday.payments_today_kop) == (1, 10000)


def test_moscow_day_bounds():
    start, end = dashboards.moscow_day_bounds(datetime(2026, 3, 1, 22, 0, tzinfo=UTC))
    assert start == datetime(2026, 3, 2, tzinfo=MSK)
    assert start.astimezone(UTC) == datetime(2026, 3, 1, 21, 0, tzinfo=UTC)
    assert end - start == (end.astimezone(UTC) - start.astimezone(UTC))
    assert end == datetime(2026, 3, 3, tzinfo=MSK)


def test_payments_today_are_zero_on_an_empty_day(factory):
    overview = dashboards.admin_overview(factory.session, factory.superadmin())
    assert (overview.payments_today_count, overview.payments_today_kop) == (0, 0)
    assert overview.sims_by_status == zero_counts()


def test_the_support_operator_sees_only_subscribers_and_tickets(factory, busy_day):
    support = factory.support()

    overview = dashboards.admin_overview(factory.session, support, now=busy_day)

    assert overview == AdminOverview(subscribers=2, open_tickets=3)
    assert overview.sims_by_status is None
    assert overview.open_activations is None
    assert overview.payments_today_count is None
    assert overview.payments_today_kop is None


def test_an_admin_role_shows_exactly_its_sections(factory, busy_day):
    s = factory.session
    role = AdminRole(name="Кассир")
    s.add(role)
    s.flush()
    s.add(AdminRolePermission(role_id=role.id, permission="payments.view"))
    user = User(
        email="cashier@example.ru",
        password_hash=hash_password("Secret-pass1"),
        role="admin",
        admin_role_id=role.id,
    )
    s.add(user)
    s.commit()
    cashier = identity.actor_for(s, user)

    overview = dashboards.admin_overview(s, cashier, now=busy_day)

    assert overview == AdminOverview(payments_today_count=3, payments_today_kop=110000)


def test_subscribers_and_partners_cannot_see_the_admin_overview(factory):
    for actor in (factory.subscriber(), factory.partner().actor, None):
        with pytest.raises(PermissionDenied):
            dashboards.admin_overview(factory.session, actor)
