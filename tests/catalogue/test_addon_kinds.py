"""Add-on kinds: the admin defines them with their parameters; a static IP takes an address from
the pool (refused before charging when it is empty), keeps it on renewal and frees it when it
ends; data packs can be bought again and do not renew; the pool takes ranges."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from paysim_app.catalogue import addons, static_ips, tariffs
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.models import AddonService, Sim, SimAddon, StaticIp
from paysim_app.models.base import utcnow
from paysim_app.sims import inventory, own_sims


def held(session) -> dict[str, int | None]:
    session.expire_all()
    return {r.address: r.sim_addon_id for r in session.execute(select(StaticIp)).scalars()}


@pytest.fixture
def static(session):
    a = AddonService(code="IP", name="Static IP", price_kop=20000, period_days=30, kind="static_ip")
    session.add(a)
    session.commit()
    return a


# -- the pool ----------------------------------------------------------------------------------
def test_ranges_parse_cidr_and_first_last():
    assert static_ips.parse_range("198.51.100.0/30") == ["198.51.100.1", "198.51.100.2"]
    assert static_ips.parse_range("198.51.100.7/32") == ["198.51.100.7"]
    assert static_ips.parse_range(" 198.51.100.10..198.51.100.12 ") == [
        "198.51.100.10",
        "198.51.100.11",
        "198.51.100.12",
    ]
    assert static_ips.parse_range("203.0.113.5-203.0.113.6") == ["203.0.113.5", "203.0.113.6"]
    assert len(static_ips.parse_range("10.0.0.0/16")) == 65_534


@pytest.mark.parametrize(
    "text, code",
    [
        ("", "static_ip.error.range"),
        (None, "static_ip.error.range"),
        ("hello", "static_ip.error.address"),
        ("198.51.100.1/24", "static_ip.error.cidr"),
        ("2001:db8::/120", "static_ip.error.ipv4"),
        ("198.51.100.9..198.51.100.1", "static_ip.error.order"),
        ("10.0.0.0/15", "static_ip.error.too_many"),
        ("10.0.0.0..10.1.0.0", "static_ip.error.too_many"),
        ("224.0.0.1", "static_ip.error.unusable"),
        ("127.0.0.1", "static_ip.error.unusable"),
    ],
)
def test_bad_ranges_are_clear_errors(text, code):
    with pytest.raises(ValidationError) as bad:
        static_ips.parse_range(text)
    assert bad.value.code == code


def test_admin_adds_ranges_once_with_the_edit_right(session, factory):
    admin = factory.superadmin()
    assert static_ips.add_range(session, admin, "198.51.100.0/29") == (6, 0)
    assert static_ips.add_range(session, admin, "198.51.100.5..198.51.100.9") == (3, 2)
    pool = static_ips.summary(session, admin)
    assert (pool.total, pool.used, pool.free) == (9, 0, 9)
    with pytest.raises(PermissionDenied):
        static_ips.add_range(session, factory.subscriber(), "198.51.100.20")


# -- buying a static IP ------------------------------------------------------------------------
def test_static_ip_is_assigned_refused_when_empty_kept_on_renewal_and_freed(
    session, factory, static
):
    admin = factory.superadmin()
    static_ips.add_range(session, admin, "198.51.100.1")
    sub = factory.subscriber()
    sim = factory.sim(sub, status="active", balance_kop=100000)
    other = factory.sim(sub, status="active", balance_kop=100000)
    first = addons.buy(session, sub, sim.id, static.id)
    session.commit()
    assert held(session) == {"198.51.100.1": first}
    assert static_ips.address_of(session, sim.id) == "198.51.100.1"
    assert own_sims.sim_details(session, sub, sim.id).static_ip == "198.51.100.1"  # technical data
    assert inventory.sim_card(session, admin, sim.id).static_ip == "198.51.100.1"  # admin card
    with pytest.raises(DomainError) as empty:
        addons.buy(session, sub, other.id, static.id)
    assert empty.value.code == "addons.error.pool_empty"
    session.rollback()
    assert session.get(Sim, other.id).balance_kop == 100000  # nothing charged
    # renewal: the same address, now held by the renewing purchase
    row = session.get(SimAddon, first)
    row.started_at = utcnow() - timedelta(days=30)
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert addons.renew_due(session)["renewed"] == 1
    renewal = session.execute(
        select(SimAddon.id).where(SimAddon.sim_id == sim.id, SimAddon.id != first)
    ).scalar_one()
    assert held(session) == {"198.51.100.1": renewal}
    assert addons.release_ended(session) == 0
    # the renewal is switched off and runs out: the tidy job frees the address
    addons.set_auto_renew(session, sub, renewal, False)
    session.get(SimAddon, renewal).expires_at = utcnow() - timedelta(seconds=1)
    session.get(SimAddon, renewal).started_at = utcnow() - timedelta(days=1)
    session.commit()
    assert addons.release_ended(session) == 1
    session.commit()
    assert held(session) == {"198.51.100.1": None}
    assert static_ips.address_of(session, sim.id) is None
    assert addons.buy(session, sub, other.id, static.id)  # free again


def test_a_lapsed_static_ip_frees_its_address(session, factory, static):
    static_ips.add_range(session, factory.superadmin(), "198.51.100.1")
    sub = factory.subscriber()
    sim = factory.sim(sub, status="active", balance_kop=20000)  # pays once, not twice
    bought = addons.buy(session, sub, sim.id, static.id)
    session.get(SimAddon, bought).started_at = utcnow() - timedelta(days=30)
    session.get(SimAddon, bought).expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert addons.renew_due(session)["lapsed"] == 1
    assert held(session) == {"198.51.100.1": None}


@pytest.mark.postgres
def test_two_racing_purchases_never_share_an_address(session, factory, static, engine, backend):
    if backend != "postgres":
        pytest.skip("row locks: PostgreSQL")
    from sqlmodel import Session

    static_ips.add_range(session, factory.superadmin(), "198.51.100.1..198.51.100.2")
    subs = [factory.subscriber() for _ in range(3)]
    sims = [factory.sim(s, status="active", balance_kop=50000) for s in subs]
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def run(i):
        with Session(engine) as own:
            barrier.wait()
            try:
                addons.buy(own, subs[i], sims[i].id, static.id)
                own.commit()
                outcomes.append("bought")
            except DomainError as exc:
                own.rollback()
                outcomes.append(exc.code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["addons.error.pool_empty", "bought", "bought"]
    holders = held(session)
    assert None not in holders.values() and len(set(holders.values())) == 2


# -- data packs --------------------------------------------------------------------------------
def test_data_packs_add_up_and_do_not_renew(session, factory):
    pack = AddonService(code="GB5", name="+5", price_kop=100, kind="data_pack", data_gb=5)
    session.add(pack)
    session.commit()
    sub = factory.subscriber()
    sim = factory.sim(sub, status="active", balance_kop=1000)
    a, b = addons.buy(session, sub, sim.id, pack.id), addons.buy(session, sub, sim.id, pack.id)
    session.commit()
    assert a != b and not session.get(SimAddon, a).auto_renew


# -- the admin's definitions -------------------------------------------------------------------
def test_admin_defines_kinds_with_exactly_their_parameters(session, factory):
    admin = factory.superadmin()
    night = tariffs.create_addon(
        session,
        admin,
        code="NIGHT",
        name="Night",
        price_kop=9900,
        kind="night_unlimited",
        night_from_hour=1,
        night_to_hour=7,
        data_gb=50,  # not a night parameter: dropped
    )
    assert (night.kind, night.night_from_hour, night.night_to_hour, night.data_gb) == (
        "night_unlimited",
        1,
        7,
        None,
    )
    pack = tariffs.create_addon(
        session, admin, code="GB10", name="+10", price_kop=1, kind="data_pack", data_gb=10
    )
    boost = tariffs.create_addon(
        session, admin, code="BOOST", name="B", price_kop=1, kind="speed_booster", speed_mbps=100
    )
    assert (pack.data_gb, boost.speed_mbps) == (10, 100)
    edited = tariffs.update_addon(session, admin, pack.id, name="+20", price_kop=1, data_gb=20)
    assert (edited.kind, edited.data_gb) == ("data_pack", 20)
    # a bought add-on keeps its kind
    session.add(
        SimAddon(sim_id=factory.sim().id, addon_id=pack.id, expires_at=utcnow() + timedelta(1))
    )
    session.commit()
    with pytest.raises(ValidationError) as kept:
        tariffs.update_addon(session, admin, pack.id, name="x", price_kop=1, kind="other")
    assert kept.value.code == "admin_catalogue.error.kind_in_use"


@pytest.mark.parametrize(
    "kw, code",
    [
        ({"kind": "teleport"}, "admin_catalogue.error.kind"),
        ({"kind": "data_pack"}, "admin_catalogue.error.pack_gb"),
        ({"kind": "data_pack", "data_gb": 0}, "admin_catalogue.error.pack_gb"),
        ({"kind": "night_unlimited", "night_from_hour": 1}, "admin_catalogue.error.hour"),
        (
            {"kind": "night_unlimited", "night_from_hour": 24, "night_to_hour": 7},
            "admin_catalogue.error.hour",
        ),
        (
            {"kind": "night_unlimited", "night_from_hour": 3, "night_to_hour": 3},
            "admin_catalogue.error.night_empty",
        ),
        ({"kind": "speed_booster", "speed_mbps": "fast"}, "admin_catalogue.error.speed"),
    ],
)
def test_bad_kind_parameters_are_clear_errors(session, factory, kw, code):
    with pytest.raises(ValidationError) as bad:
        tariffs.create_addon(session, factory.superadmin(), code="X1", name="X", price_kop=1, **kw)
    assert bad.value.code == code
    assert not session.execute(select(AddonService)).all()


def test_tariff_limited_speed(session, factory):
    admin = factory.superadmin()
    t = tariffs.create_tariff(
        session, admin, code="T1", name="T", monthly_fee_kop=1, speed_mbps=10, data_gb=5
    )
    assert t.limited_speed_kbps == 128
    t = tariffs.update_tariff(
        session, admin, t.id, name="T", monthly_fee_kop=1, speed_mbps=10, limited_speed_kbps=512
    )
    assert t.limited_speed_kbps == 512
    for bad, code in ((0, "error.limited_speed"), (10_000, "error.limited_above_speed")):
        with pytest.raises(ValidationError) as refused:
            tariffs.update_tariff(
                session,
                admin,
                t.id,
                name="T",
                monthly_fee_kop=1,
                speed_mbps=10,
                limited_speed_kbps=bad,
            )
        assert refused.value.code == f"admin_catalogue.{code}"
