"""The demo's usage (paysim_app/demo_usage.py): six months of days, the hours the retention keeps,
the demo subscriber's near-limit and limited SIMs, evening peaks, determinism.

One seeded database per backend for the whole module (seeding takes seconds): SQLite in a
tmp_path file (a copy of the run's seed, tests/demo_databases.py), PostgreSQL in a database of
its own on the PAYSIM_TEST_POSTGRES_URL server.
"""

from __future__ import annotations

import ipaddress
import os
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from paysim_app import db as app_db
from paysim_app import demo, demo_usage
from paysim_app.db import make_engine
from paysim_app.models import (
    AddonService,
    Block,
    LedgerEntry,
    Notification,
    OutboxEmail,
    Sim,
    SimAddon,
    StaticIp,
    Subscriber,
    Tariff,
    TariffChangeRequest,
    User,
)
from paysim_app.models.policy import SimPolicy
from paysim_app.models.usage import UsageDay, UsageHour
from paysim_app.settings import get_settings
from paysim_app.sims import allowance, policy, usage
from paysim_app.sims.tariff_changes import current_period
from tests.conftest import (
    alembic_config,
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
)
from tests.demo_databases import MSK, NOW, TODAY, seeded_copy

GB = 10**9

BACKENDS = [pytest.param("sqlite", id="sqlite")]
if postgres_server_url():
    BACKENDS.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory) -> Iterator[None]:
    scratch = tmp_path_factory.mktemp("usage-env")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAYSIM_BCRYPT_ROUNDS", "4")
        mp.setenv("DATABASE_URL", f"sqlite:///{scratch / 'unused.db'}")
        mp.setenv("PAYSIM_TIMEZONE", "Europe/Moscow")
        get_settings.cache_clear()
        app_db.get_engine.cache_clear()
        yield
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()


def _seeded_engine(url: str) -> tuple[Engine, dict]:
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        counts = demo.seed_demo(session, today=TODAY, now=NOW)
        session.commit()
    return engine, counts


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, demo_env, tmp_path_factory) -> Iterator[tuple[Engine, dict]]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("usage-seed") / "demo.db"
        counts, _ = seeded_copy(tmp_path_factory, "a", path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine, counts
        engine.dispose()
        return
    name = f"paysim_demo_usage_{os.getpid()}"
    engine, counts = _seeded_engine(create_postgres_database(name))
    try:
        yield engine, counts
    finally:
        engine.dispose()
        drop_postgres_database(name)


@pytest.fixture
def session(seeded) -> Iterator[Session]:
    engine, _ = seeded
    with Session(engine, expire_on_commit=False) as s:
        yield s
        s.rollback()  # the module's database stays as the seed wrote it


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _demo_sims(session: Session) -> dict[str, Sim]:
    user = session.exec(select(User).where(User.email == demo.DEMO_SUBSCRIBER_EMAIL)).one()
    sub = session.exec(select(Subscriber).where(Subscriber.user_id == user.id)).one()
    return {s.label: s for s in session.exec(select(Sim).where(Sim.subscriber_id == sub.id))}


# The seeded databases are read-only for this module's tests (a test that writes rolls back), so
# the ~6,000 day rows and ~130,000 hour rows of each are read once (keyed by the database's URL)
# and every test gets its own copy of the outer container.
_read_once: dict[tuple[str, str], object] = {}


def _days(session: Session) -> dict[int, dict[date, int]]:
    key = ("days", session.get_bind().url.render_as_string(hide_password=True))
    if key not in _read_once:
        out: dict[int, dict[date, int]] = defaultdict(dict)
        for sim_id, day, up, down in session.exec(
            select(UsageDay.sim_id, UsageDay.day, UsageDay.bytes_up, UsageDay.bytes_down)
        ):
            out[sim_id][day] = up + down
        _read_once[key] = {sim_id: dict(mine) for sim_id, mine in out.items()}
    return defaultdict(dict, {sim_id: dict(mine) for sim_id, mine in _read_once[key].items()})


def _hours(session: Session) -> list[tuple[int, datetime, int, int]]:
    key = ("hours", session.get_bind().url.render_as_string(hide_password=True))
    if key not in _read_once:
        rows = session.exec(
            select(UsageHour.sim_id, UsageHour.hour, UsageHour.bytes_up, UsageHour.bytes_down)
        ).all()
        _read_once[key] = [(sim_id, _aware(hour), up, down) for sim_id, hour, up, down in rows]
    return list(_read_once[key])


# --------------------------------------------------------------------------- the tables


def test_every_sim_in_service_has_its_days_since_activation(seeded, session):
    _, counts = seeded
    days = _days(session)
    assert counts["usage_days"] == sum(len(d) for d in days.values())
    sims = session.exec(select(Sim)).all()
    in_service = [s for s in sims if s.activated_at is not None]
    assert len(in_service) > 150
    for sim in sims:
        if sim.activated_at is None:  # in stock, waiting for activation: nothing moved
            assert sim.id not in days, sim.status
            continue
        mine = days[sim.id]
        first, last = min(mine), max(mine)
        activated = _aware(sim.activated_at).astimezone(MSK).date()
        assert activated <= first <= activated + timedelta(days=1), sim.id
        assert len(mine) == (last - first).days + 1, sim.id  # every day, no gaps
        if sim.status == "active":
            assert last == TODAY
    # six months: the oldest SIMs have about 180 days of usage
    longest = max(len(d) for d in days.values())
    assert 175 <= longest <= 184
    assert min(min(d) for d in days.values()) >= TODAY - timedelta(days=demo_usage.HISTORY_DAYS)


def test_hours_are_kept_for_the_retention_window_and_add_up_to_the_days(seeded, session):
    _, counts = seeded
    hours = _hours(session)
    assert counts["usage_hours"] == len(hours) > 100_000
    keep = timedelta(days=get_settings().paysim_usage_keep_hours_days)
    newest_hour = NOW.astimezone(UTC).replace(minute=0) - timedelta(hours=1)
    assert min(h for _, h, _, _ in hours) >= NOW - keep
    assert max(h for _, h, _, _ in hours) == newest_hour  # complete hours only
    assert all(up >= 0 and down >= 0 and up + down > 0 for _, _, up, down in hours)

    by_day: dict[tuple[int, date], int] = defaultdict(int)
    for sim_id, hour, up, down in hours:
        by_day[(sim_id, usage.day_of(hour))] += up + down
    days = _days(session)
    first_whole_day = usage.day_of(NOW - keep) + timedelta(days=1)
    checked = 0
    for sim_id, mine in days.items():
        for day, total in mine.items():
            if day >= first_whole_day:
                assert by_day.get((sim_id, day)) == total, (sim_id, day)
                checked += 1
    assert checked > 5000
    # and no hour without its day
    assert all(day in days[sim_id] for sim_id, day in by_day)


def test_stopped_sims_have_no_usage_after_they_stopped(session):
    last_hour = dict(
        session.exec(
            select(UsageHour.sim_id, func.max(UsageHour.hour)).group_by(UsageHour.sim_id)
        ).all()
    )
    last_day = dict(
        session.exec(
            select(UsageDay.sim_id, func.max(UsageDay.day)).group_by(UsageDay.sim_id)
        ).all()
    )
    blocked = session.exec(select(Sim).where(Sim.status == "blocked")).all()
    suspended = session.exec(select(Sim).where(Sim.status == "suspended")).all()
    assert blocked and suspended
    for sim in blocked:
        block = session.exec(
            select(Block).where(Block.sim_id == sim.id, Block.lifted_at.is_(None))
        ).one()
        stopped = _aware(block.blocked_at)
        assert last_day[sim.id] <= stopped.astimezone(MSK).date()
        if sim.id in last_hour:
            assert _aware(last_hour[sim.id]) < stopped
    for sim in suspended:  # the fee that found no money stopped it
        fee_at = session.exec(
            select(func.max(LedgerEntry.created_at)).where(
                LedgerEntry.sim_id == sim.id, LedgerEntry.kind == "monthly_fee"
            )
        ).one()
        assert last_day[sim.id] <= _aware(fee_at).astimezone(MSK).date()
        if sim.id in last_hour:
            assert _aware(last_hour[sim.id]) < _aware(fee_at)
    tablet = _demo_sims(session)["Планшет"]
    assert last_day[tablet.id] == TODAY - timedelta(days=12)  # lost in a taxi 12 days ago


# --------------------------------------------------------------------------- the stories


def test_the_demo_subscriber_has_a_sim_near_its_limit_with_free_nights_and_a_pack(session):
    sims = _demo_sims(session)
    assert set(sims) == {"Дом", "Дача", "Планшет", "Камеры"}
    home = sims["Дом"]
    now = allowance.of_sim(session, home.id, now=NOW)
    assert not now.unlimited and now.tariff_bytes == 50 * GB
    assert now.pack_bytes == 10 * GB  # the +10 GB pack bought this period
    assert now.total_bytes == 60 * GB
    assert 85 <= now.percent_used <= 95
    assert not now.exhausted and not now.limited
    assert now.speed_kbps == session.get(Tariff, home.tariff_id).speed_mbps * 1000
    # the night-unlimited add-on's hours were used, and are left out of the count
    assert now.free_bytes > 2 * GB
    assert now.used_bytes == now.counted_bytes + now.free_bytes
    kinds = set(
        session.exec(
            select(AddonService.kind)
            .join(SimAddon, SimAddon.addon_id == AddonService.id)
            .where(SimAddon.sim_id == home.id, SimAddon.expires_at > NOW)
        )
    )
    assert {"night_unlimited", "data_pack"} <= kinds
    # the period began long enough ago for the story to read the same on any seed day
    assert (TODAY - now.period_start).days >= 20


def test_the_demo_subscriber_has_a_limited_sim_with_a_static_ip(session):
    cameras = _demo_sims(session)["Камеры"]
    tariff = session.get(Tariff, cameras.tariff_id)
    now = allowance.of_sim(session, cameras.id, now=NOW)
    assert now.exhausted and now.limited
    assert now.total_bytes == 15 * GB and now.percent_used > 100
    assert now.speed_kbps == tariff.limited_speed_kbps
    # since it ran out, no hour carries more than the reduced speed lets through
    cap = tariff.limited_speed_kbps * 1000 // 8 * 3600
    recent = session.exec(
        select(UsageHour.bytes_up + UsageHour.bytes_down).where(
            UsageHour.sim_id == cameras.id, UsageHour.hour >= NOW - timedelta(hours=24)
        )
    ).all()
    assert len(recent) >= 23 and all(0 < b <= cap for b in recent)
    # cameras send more than they receive
    up, down = session.exec(
        select(func.sum(UsageDay.bytes_up), func.sum(UsageDay.bytes_down)).where(
            UsageDay.sim_id == cameras.id
        )
    ).one()
    assert up > 4 * down
    held = session.exec(select(StaticIp).where(StaticIp.sim_id == cameras.id)).one()
    assert ipaddress.ip_address(held.address) in ipaddress.ip_network(demo.STATIC_IP_POOL)
    bought = session.get(SimAddon, held.sim_addon_id)
    assert session.get(AddonService, bought.addon_id).kind == "static_ip"
    assert _aware(bought.expires_at) > NOW
    # the packet core's view (sims.policy): limited, at the reduced speed, with its address
    row = policy.of_sim(session, cameras.id)
    assert (row.state, row.speed_kbps, row.static_ip) == (
        "limited",
        tariff.limited_speed_kbps,
        held.address,
    )


def test_the_policy_and_the_notices_follow_the_usage(session):
    sims = _demo_sims(session)
    states = {label: policy.of_sim(session, sim.id).state for label, sim in sims.items()}
    assert states == {
        "Дом": "normal",
        "Камеры": "limited",
        "Дача": "suspended",
        "Планшет": "blocked",
    }
    counts = dict(
        session.exec(select(SimPolicy.state, func.count()).group_by(SimPolicy.state)).all()
    )
    assert counts["limited"] == 1 and counts["normal"] > 100  # nobody else has run out
    notices = session.exec(
        select(Notification).where(Notification.kind.in_(demo_usage.NOTICE_KINDS))
    ).all()
    by_sim = {(n.sim_id, n.kind) for n in notices}
    assert by_sim == {(sims["Дом"].id, "data_80"), (sims["Камеры"].id, "data_100")}
    assert all(_aware(n.created_at) == NOW for n in notices)  # the seed's clock, not the wall's
    mails = session.exec(
        select(OutboxEmail).where(OutboxEmail.kind.in_(demo_usage.NOTICE_KINDS))
    ).all()
    assert len(mails) == 2 and all(_aware(m.created_at) == NOW for m in mails)


def test_other_sims_use_30_to_80_percent_or_20_to_150_gb_a_period(session):
    """Whole billing periods of SIMs without packs, night add-ons or tariff changes."""
    special = set(session.exec(select(SimAddon.sim_id)))
    special |= set(session.exec(select(TariffChangeRequest.sim_id)))
    days = _days(session)
    checked = {"limited": 0, "unlimited": 0}
    for sim in session.exec(select(Sim).where(Sim.activated_at.is_not(None))).all():
        if sim.id in special or sim.label in ("Дом", "Камеры"):
            continue
        tariff = session.get(Tariff, sim.tariff_id)
        mine = days[sim.id]
        first, last = min(mine), max(mine)
        start, end = current_period(sim.billing_day, first + timedelta(days=1))
        while end <= last:
            if start > first:
                used = sum(b for d, b in mine.items() if start <= d < end)
                if tariff.data_gb is None:
                    assert 20 * GB - 10**6 <= used <= 150 * GB, (sim.id, start)
                    checked["unlimited"] += 1
                else:
                    share = used / (tariff.data_gb * GB)
                    assert 0.3 - 1e-6 <= share <= 0.8, (sim.id, start, share)
                    checked["limited"] += 1
            start, end = end, current_period(sim.billing_day, end)[1]
    assert checked["limited"] > 200 and checked["unlimited"] > 50


def test_evenings_are_heavier_than_nights_and_weekends_than_weekdays(session):
    by_hour: dict[int, list[int]] = defaultdict(list)
    for _, hour, up, down in _hours(session):
        by_hour[hour.astimezone(MSK).hour].append(up + down)

    def mean(hours) -> float:
        values = [b for h in hours for b in by_hour[h]]
        return sum(values) / len(values)

    evening, night, daytime = mean(range(19, 24)), mean(range(2, 7)), mean(range(10, 17))
    assert evening > 3 * night
    assert evening > 1.2 * daytime and daytime > 2 * night

    home_like = {
        s.id
        for s in session.exec(select(Sim).where(Sim.activated_at.is_not(None))).all()
        if s.label not in ("Офис", "Дача", "Камеры")
    }
    weekday, weekend = [], []
    for sim_id, mine in _days(session).items():
        if sim_id in home_like:
            for day, total in mine.items():
                (weekend if day.weekday() >= 5 else weekday).append(total)
    assert sum(weekend) / len(weekend) > 1.05 * sum(weekday) / len(weekday)


# --------------------------------------------------------------------------- the rest


def test_the_feed_adds_to_the_seeded_rows(session):
    """The seeded hours and days are stored as the feed stores them: a record for an hour the
    seed wrote adds to that row (no second row for the same hour)."""
    cameras = _demo_sims(session)["Камеры"]
    hour = NOW.astimezone(UTC).replace(minute=0) - timedelta(hours=2)
    before = session.exec(
        select(UsageHour.bytes_down).where(UsageHour.sim_id == cameras.id, UsageHour.hour == hour)
    ).one()
    day_before = session.exec(
        select(UsageDay.bytes_down).where(
            UsageDay.sim_id == cameras.id, UsageDay.day == usage.day_of(hour)
        )
    ).one()
    record = {
        "record_id": "late-1",
        "iccid": cameras.iccid,
        "start": (hour + timedelta(minutes=10)).isoformat(),
        "end": (hour + timedelta(minutes=20)).isoformat(),
        "bytes_up": 0,
        "bytes_down": 1000,
    }
    report = usage.ingest(session, "test", [record], now=NOW)
    assert report.accepted == 1
    rows = session.exec(
        select(UsageHour.bytes_down).where(UsageHour.sim_id == cameras.id, UsageHour.hour == hour)
    ).all()
    assert rows == [before + 1000]
    day_rows = session.exec(
        select(UsageDay.bytes_down).where(
            UsageDay.sim_id == cameras.id, UsageDay.day == usage.day_of(hour)
        )
    ).all()
    assert day_rows == [day_before + 1000]


def test_story_days_ago_puts_the_period_start_where_asked():
    for today in (date(2026, 3, 15), date(2026, 3, 31), date(2026, 3, 1), date(2027, 1, 10)):
        for into in (16, 20):
            days = demo_usage.story_days_ago(today, into)
            activated = today - timedelta(days=days)
            start, _ = current_period(min(activated.day, 28), today)
            assert into <= (today - start).days <= into + 3, (today, into)
            assert 150 <= days <= 181


@pytest.fixture(scope="module")
def seeded_again(demo_env, tmp_path_factory) -> Iterator[Engine]:
    """A second seed (SQLite) with the same reference day and clock, made independently of the
    first on another fresh database (a copy of the run's seed "b")."""
    path = tmp_path_factory.mktemp("again") / "again.db"
    seeded_copy(tmp_path_factory, "b", path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def test_seed_is_deterministic(seeded, seeded_again):
    """The same rows every time, on either backend."""
    engine, counts = seeded
    with Session(engine) as a, Session(seeded_again) as b:
        assert _days(a) == _days(b)
        assert sorted(_hours(a)) == sorted(_hours(b))
        assert demo.count_rows(b)["usage_hours"] == counts["usage_hours"]
