"""sims.policy: the limit at 100 % and the 80 % / 100 % notices, what lifts the limit, status
changes in the feed, the feed's paging, and the cursor's guard against a transaction that
commits after a later one (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text
from sqlmodel import Session

from paysim_app.billing import cycle, ledger
from paysim_app.catalogue import addons
from paysim_app.core import policy_marks
from paysim_app.core.errors import ValidationError
from paysim_app.models import AddonService, Notification, SimAddon, SimPolicy, Tariff
from paysim_app.sims import allowance, blocks, policy, usage
from paysim_app.sims.allowance import GB

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # 15:00 Moscow; periods from the 1st
SENDER = "pgw-test"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


_n = iter(range(1, 10**9))


def feed_usage(session, sim, n_bytes: int, at: datetime | None = None) -> usage.Report:
    """One record of `n_bytes` through the ingest (the hour before `at`)."""
    end = at or NOW - timedelta(minutes=1)
    record = {
        "record_id": f"r{next(_n)}",
        "iccid": sim.iccid,
        "start": (end - timedelta(minutes=30)).isoformat(),
        "end": end.isoformat(),
        "bytes_up": n_bytes // 10,
        "bytes_down": n_bytes - n_bytes // 10,
    }
    report = usage.ingest(session, SENDER, [record], now=NOW)
    session.commit()
    assert report.accepted == 1, report.as_dict()
    return report


def notices(session, sim) -> list[str]:
    return sorted(
        session.execute(
            select(Notification.kind).where(
                Notification.sim_id == sim.id, Notification.kind.in_(("data_80", "data_100"))
            )
        ).scalars()
    )


def row(session, sim) -> SimPolicy:
    session.expire_all()
    return session.get(SimPolicy, sim.id)


def new_addon(session, kind: str, **params) -> AddonService:
    a = AddonService(
        code=f"A{next(_n)}", name=kind, price_kop=1000, period_days=30, kind=kind, **params
    )
    session.add(a)
    session.commit()
    return a


def subscriber_sim(factory, **tariff):
    sub = factory.subscriber()
    tariff = factory.tariff(
        **{"data_gb": 10, "speed_mbps": 50, "limited_speed_kbps": 256, **tariff}
    )
    sim = factory.sim(sub, tariff=tariff, status="active", balance_kop=100_000, billing_day=1)
    return sub, sim


def whole_feed(session, since=None, limit=1000, expect: int = 0) -> tuple[list, str]:
    """Every page from `since`. On PostgreSQL a change shows once no transaction older than it
    runs in the cluster (other processes' included): wait for `expect` items, up to 20 s."""
    for _ in range(200):
        items, cursor = [], since
        while True:
            page = policy.feed(session, cursor, limit)
            session.rollback()
            items.extend(page.items)
            cursor = page.next
            if not page.more:
                break
        if len(items) >= expect:
            return items, cursor
        time.sleep(0.1)
    raise AssertionError(f"{len(items)} of {expect} changes after 20 s")


# --------------------------------------------------------------------------- the pure rules
def test_thresholds_and_headroom():
    a = allowance.Allowance(
        1, NOW.date(), NOW.date(), 10 * GB, 0, 7 * GB, 7 * GB, 50_000, False, None
    )
    assert policy.threshold_80(10 * GB) == 8 * GB and policy.threshold_80(7) == 6
    assert policy.notices_due(a, None, None) == ([], None, None)
    assert policy.headroom(a, None) == 1 * GB  # to 80 %
    assert policy.headroom(a, 10 * GB) == 3 * GB  # 80 % told: to 100 %
    full = allowance.Allowance(
        1, NOW.date(), NOW.date(), 10 * GB, 0, 11 * GB, 11 * GB, 256, True, None
    )
    # both crossed at once: the 100 % notice only, and 80 % counts as told
    assert policy.notices_due(full, None, None) == (["data_100"], 10 * GB, 10 * GB)
    assert policy.notices_due(full, 10 * GB, 10 * GB) == ([], 10 * GB, 10 * GB)
    assert policy.headroom(full, 10 * GB) is None  # used up: usage changes nothing more
    unlimited = allowance.Allowance(
        1, NOW.date(), NOW.date(), None, 0, 99 * GB, 99 * GB, 50_000, False, None
    )
    assert policy.notices_due(unlimited, None, None)[0] == []
    assert policy.headroom(unlimited, None) is None
    assert policy.policy_of("blocked", True, a, "10.0.0.1") == policy.Policy(
        "blocked", 0, "10.0.0.1"
    )
    assert policy.policy_of("active", False, None, None).state == "off"
    assert policy.policy_of("in_stock", True, None, None).state == "off"


# --------------------------------------------------------------------------- limit + notices
def test_80_and_100_percent_each_once_a_period_and_the_limit(session, factory):
    _, sim = subscriber_sim(factory)
    feed_usage(session, sim, 5 * GB)
    assert (row(session, sim).state, row(session, sim).speed_kbps) == ("normal", 50_000)
    assert notices(session, sim) == []
    feed_usage(session, sim, 3 * GB + GB // 2)  # 85 %
    assert notices(session, sim) == ["data_80"]
    feed_usage(session, sim, GB // 10)  # a second batch above 80 %: told already
    assert notices(session, sim) == ["data_80"]
    feed_usage(session, sim, 2 * GB)  # 106 %
    r = row(session, sim)
    assert (r.state, r.speed_kbps) == ("limited", 256)
    assert notices(session, sim) == ["data_100", "data_80"]
    feed_usage(session, sim, GB)
    assert notices(session, sim) == ["data_100", "data_80"]
    note = session.execute(select(Notification).where(Notification.kind == "data_100")).scalar_one()
    assert "256" in note.body and "10\xa0ГБ" in note.body  # the reduced speed, the allowance


def test_a_screened_batch_refreshes_nothing_far_from_a_threshold(session, factory, monkeypatch):
    _, sim = subscriber_sim(factory, data_gb=100)
    feed_usage(session, sim, GB)  # the first batch makes the row
    refreshed: list = []
    real = policy.refresh
    monkeypatch.setattr(
        policy, "refresh", lambda s, ids, now=None: refreshed.append(ids) or real(s, ids, now)
    )
    feed_usage(session, sim, GB)
    assert refreshed == []  # 2 % of 100 GB: nowhere near 80 %
    feed_usage(session, sim, 79 * GB)
    assert refreshed == [[sim.id]] and notices(session, sim) == ["data_80"]
    assert row(session, sim).check_day.isoformat() == "2026-12-01"  # the period's first day
    feed_usage(session, sim, GB, at=NOW - timedelta(days=3))  # Dec 3: rolled, not refreshed
    r = row(session, sim)
    assert len(refreshed) == 1 and r.check_day.isoformat() == "2026-12-03"
    # 81 GB used (all on Dec 6), 19 GB to 100 %: from Dec 3 on the days must hold 100 GB
    assert r.check_bytes == 100 * GB
    feed_usage(session, sim, 1, at=datetime(2026, 11, 30, 12, tzinfo=UTC))  # before it: looked at
    assert len(refreshed) == 2


def test_a_pack_lifts_the_limit_and_rearms_the_notices(session, factory):
    sub, sim = subscriber_sim(factory)
    feed_usage(session, sim, 11 * GB)
    assert row(session, sim).state == "limited"
    pack = new_addon(session, "data_pack", data_gb=10)
    addons.buy(session, sub, sim.id, pack.id)
    session.commit()  # the purchase marked the SIM: refreshed before the commit
    r = row(session, sim)
    assert (r.state, r.speed_kbps) == ("normal", 50_000)
    assert notices(session, sim) == ["data_100"]
    feed_usage(session, sim, 6 * GB)  # 17 of 20 GB: the new allowance's 80 %
    assert notices(session, sim) == ["data_100", "data_80"]
    feed_usage(session, sim, 4 * GB)  # 21 of 20
    assert row(session, sim).state == "limited"
    assert notices(session, sim) == ["data_100", "data_100", "data_80"]


def test_the_limit_ends_with_the_period(session, factory, clock):
    _, sim = subscriber_sim(factory)
    feed_usage(session, sim, 12 * GB)
    r = row(session, sim)
    assert r.state == "limited"
    assert policy._aware(r.valid_until) == datetime(2026, 12, 31, 21, tzinfo=UTC)  # Jan 1 MSK
    assert policy.refresh_due(session, NOW + timedelta(days=1)) == 0
    clock.move_to(datetime(2027, 1, 1, 9, tzinfo=UTC))
    assert policy.refresh_due(session) == 1
    r = row(session, sim)
    assert (r.state, r.speed_kbps) == ("normal", 50_000)
    assert r.period_start.isoformat() == "2027-01-01" and r.warned_100_bytes is None


def test_the_sweep_gives_a_row_to_a_working_sim_created_with_its_status(session, factory):
    _, sim = subscriber_sim(factory)  # inserted as active, as an import or the demo does
    stock = factory.sim()
    assert row(session, sim) is None
    assert policy.refresh_due(session) == 1
    assert (row(session, sim).state, row(session, stock)) == ("normal", None)
    assert policy.refresh_due(session) == 0


def test_a_tariff_edited_faster_reaches_the_sims_on_it_at_the_next_sweep(session, factory):
    from paysim_app.catalogue import tariffs

    _, sim = subscriber_sim(factory)
    other = subscriber_sim(factory)[1]
    policy.refresh(session, [sim.id, other.id])
    session.commit()
    assert policy.refresh_due(session) == 0
    t = session.get(Tariff, sim.tariff_id)
    tariffs.update_tariff(
        session, factory.admin(), t.id, name=t.name, monthly_fee_kop=t.monthly_fee_kop,
        speed_mbps=80, data_gb=10, limited_speed_kbps=256,
    )  # fmt: skip
    session.commit()
    assert policy.refresh_due(session) == 1  # its SIM, not the other tariff's
    assert row(session, sim).speed_kbps == 80_000 and row(session, other).speed_kbps == 50_000


def test_a_booster_speed_and_its_end(session, factory, clock):
    sub, sim = subscriber_sim(factory)
    feed_usage(session, sim, 12 * GB)
    boost = new_addon(session, "speed_booster", speed_mbps=100)
    addons.buy(session, sub, sim.id, boost.id)
    session.commit()
    r = row(session, sim)
    assert (r.state, r.speed_kbps) == ("normal", 100_000)
    assert policy._aware(r.valid_until) == datetime(2026, 12, 31, 21, tzinfo=UTC)  # period end
    session.execute(
        SimAddon.__table__.update()
        .where(SimAddon.sim_id == sim.id)
        .values(auto_renew=False, expires_at=NOW + timedelta(hours=2))
    )
    policy.refresh(session, [sim.id])
    session.commit()
    assert policy._aware(row(session, sim).valid_until) == NOW + timedelta(hours=2)
    clock.move_to(NOW + timedelta(hours=3))
    assert policy.refresh_due(session) == 1
    assert (row(session, sim).state, row(session, sim).speed_kbps) == ("limited", 256)


def test_an_unlimited_tariff_is_never_limited(session, factory):
    _, sim = subscriber_sim(factory, data_gb=None)
    for _ in range(3):
        feed_usage(session, sim, 100 * GB)
    r = row(session, sim)
    assert (r.state, r.speed_kbps, r.check_bytes) == ("normal", 50_000, None)
    assert notices(session, sim) == []


def test_a_static_ip_is_in_the_policy_and_leaves_it(session, factory, clock):
    from paysim_app.models import StaticIp

    sub, sim = subscriber_sim(factory)
    session.add(StaticIp(address="198.51.100.7"))
    session.commit()
    ip = new_addon(session, "static_ip")
    addons.buy(session, sub, sim.id, ip.id)
    session.commit()
    assert row(session, sim).static_ip == "198.51.100.7"
    session.execute(
        SimAddon.__table__.update().where(SimAddon.sim_id == sim.id).values(auto_renew=False)
    )
    session.commit()
    clock.move_to(NOW + timedelta(days=31))
    assert addons.release_ended(session) == 1
    session.commit()
    assert row(session, sim).static_ip is None


# --------------------------------------------------------------------------- status changes
def test_block_unblock_suspension_and_resumption_appear_in_the_feed(session, factory):
    _, sim = subscriber_sim(factory)
    policy.refresh(session, [sim.id])
    session.commit()
    items, cursor = whole_feed(session, expect=1)
    assert [(i.iccid, i.state, i.speed_kbps) for i in items] == [(sim.iccid, "normal", 50_000)]
    admin = factory.admin()

    block_id = blocks.block_sim(session, admin, sim.id, "fraud")
    session.commit()
    items, cursor = whole_feed(session, cursor, expect=1)
    assert [(i.state, i.speed_kbps) for i in items] == [("blocked", 0)]
    blocks.lift_block(session, admin, block_id)
    session.commit()
    items, cursor = whole_feed(session, cursor, expect=1)
    assert [i.state for i in items] == ["normal"]

    ledger.post(session, ledger.Posting(sim.id, "adjustment", -200_000))  # into debt
    session.commit()
    items, cursor = whole_feed(session, cursor, expect=1)
    assert [i.state for i in items] == ["suspended"]
    ledger.post(session, ledger.Posting(sim.id, "adjustment", 150_000))  # debt paid
    session.commit()
    items, cursor = whole_feed(session, cursor, expect=1)
    assert [(i.state, i.speed_kbps) for i in items] == [("normal", 50_000)]
    assert whole_feed(session, cursor)[0] == []  # nothing new: nothing again


def test_a_set_based_status_change_marks_its_rows(session, factory):
    from paysim_app.core import sim_lifecycle
    from paysim_app.models import Sim

    _, sim = subscriber_sim(factory)
    policy.refresh(session, [sim.id])
    session.commit()
    session.execute(sim_lifecycle.statement("deactivate", Sim.id.in_([sim.id])))
    assert policy_marks.pending(session) == {sim.id}
    session.commit()
    assert row(session, sim).state == "off"


def test_a_rollback_forgets_its_marks(session, factory):
    _, sim = subscriber_sim(factory)
    session.execute(text("SELECT 1"))
    policy_marks.mark(session, [sim.id])
    session.rollback()
    session.execute(text("SELECT 1"))
    session.commit()
    assert row(session, sim) is None
    policy_marks.mark(session, [sim.id])
    session.commit()
    assert row(session, sim).state == "normal"


def test_a_scheduled_tariff_switch_refreshes_the_policy(session, factory):
    from paysim_app.models import TariffChangeRequest

    sub, sim = subscriber_sim(factory)
    policy.refresh(session, [sim.id])
    session.commit()
    faster = factory.tariff(data_gb=10, speed_mbps=100, limited_speed_kbps=512)
    session.add(
        TariffChangeRequest(
            sim_id=sim.id,
            requester_user_id=sub.user_id,
            from_tariff_id=sim.tariff_id,
            to_tariff_id=faster.id,
            status="scheduled",
            effective_on=NOW.date(),
        )
    )
    session.commit()
    assert cycle.apply_scheduled_tariffs(session, NOW.date())["applied"] == 1
    assert row(session, sim).speed_kbps == 100_000


# --------------------------------------------------------------------------- the feed
def test_paging_returns_every_change_exactly_once(session, factory):
    sims = [subscriber_sim(factory)[1] for _ in range(7)]
    policy.refresh(session, [s.id for s in sims])
    session.commit()
    items, cursor = whole_feed(session, limit=3, expect=7)
    assert sorted(i.iccid for i in items) == sorted(s.iccid for s in sims)
    assert len(items) == 7
    # changes after the cursor: exactly those, once, however the pages cut them
    admin = factory.admin()
    for s in sims[:4]:
        blocks.block_sim(session, admin, s.id, "fraud")
        session.commit()
    later, cursor = whole_feed(session, cursor, limit=2, expect=4)
    assert sorted(i.iccid for i in later) == sorted(s.iccid for s in sims[:4])
    assert {i.state for i in later} == {"blocked"}
    assert whole_feed(session, cursor)[0] == []
    first = policy.feed(session, None, 3)
    assert first.more and len(first.items) == 3
    d = first.as_dict()
    assert set(d["items"][0]) == {
        "iccid", "imsi", "msisdn", "state", "speed_kbps", "static_ip", "changed_at"
    }  # fmt: skip


def test_bad_cursor_and_limit(session):
    for bad in ("", "x", "p1.", "p1.!!!", "p1." + "A" * 80, "p1.LTE6Mg", 5):
        with pytest.raises(ValidationError):
            policy.decode_cursor(bad)
    assert policy.decode_cursor(policy.encode_cursor(12, 34)) == (12, 34)
    for bad in (0, -1, 10_001, "10", True, 1.5):
        with pytest.raises(ValidationError):
            policy.check_limit(bad)
    empty = policy.feed(session, None, 10)
    assert (empty.items, empty.more) == ([], False)
    assert policy.decode_cursor(empty.next) == (0, 0)


def test_a_transaction_that_commits_late_is_never_skipped(engine, factory, session):
    """T1 changes SIM a and stays open; T2 (a later transaction) changes SIM b and commits. A
    reader must not get b's change before a's: its cursor would then pass a's for good. With
    the transaction-id cursor, b waits until T1 has ended; then both come, once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: T2 cannot write while T1 is open")
    a, b = subscriber_sim(factory)[1], subscriber_sim(factory)[1]
    policy.refresh(session, [a.id, b.id])
    session.commit()
    _, cursor = whole_feed(session, expect=2)
    admin = factory.admin()

    t1 = Session(engine)
    blocks.block_sim(t1, admin, a.id, "fraud")
    policy_marks.apply_marks(t1)  # a's row written with T1's id, T1 still open
    t1.execute(text("SELECT 1"))
    t2 = Session(engine)
    blocks.block_sim(t2, admin, b.id, "fraud")
    t2.commit()  # T2 started later, has the higher id, commits first
    t2.close()

    page = policy.feed(session, cursor, 100)
    session.rollback()
    assert page.items == [] and page.next == cursor  # b held back behind the open T1
    done = threading.Event()

    def commit_t1():
        t1.commit()
        t1.close()
        done.set()

    threading.Thread(target=commit_t1).start()
    assert done.wait(10)
    items, cursor = whole_feed(session, cursor, expect=2)
    assert sorted((i.iccid, i.state) for i in items) == sorted(
        [(a.iccid, "blocked"), (b.iccid, "blocked")]
    )
    assert whole_feed(session, cursor)[0] == []
