"""The scheduler: its jobs and their settings, leader-only execution through the database lease,
and two workers running the billing job at the same moment.

The jobs open their own sessions through get_engine()/session_scope(); the `db_url` fixture
(through `session`) points DATABASE_URL at this test's database and clears the caches."""

from __future__ import annotations

import functools
import logging
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from paysim_app.billing import autopay, cycle, ledger
from paysim_app.core import leases
from paysim_app.i18n.formats import moscow_date
from paysim_app.jobs import scheduler
from paysim_app.models import AutopayRun, BillingRun, LedgerEntry, PartnerTakings, Payment, Sim
from paysim_app.payments import get_gateway
from tests.money_helpers import card_topup

HOLDER = "test-worker:1"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_gateway():
    get_gateway.cache_clear()
    yield
    get_gateway.cache_clear()


@pytest.fixture
def as_holder(monkeypatch):
    monkeypatch.setattr(scheduler, "HOLDER", HOLDER)
    return HOLDER


# --------------------------------------------------------------------------- wiring


def test_build_scheduler_has_its_jobs_with_safe_settings():
    sched = scheduler.build_scheduler()
    sched.start(paused=True)  # applies the job defaults; a paused scheduler runs nothing
    try:
        jobs = {job.id: job for job in sched.get_jobs()}
        assert {"lease", "billing", "janitor", "tidy"} <= set(jobs)
        for job in jobs.values():
            # a slow run never piles up, and a run missed while the worker slept is still made
            assert job.coalesce is True, job.id
            assert job.max_instances == 1, job.id
            assert job.misfire_grace_time >= 3600, job.id
            # every job goes through _leader_only (it keeps the job's name)
            expected = "holds_lease" if job.id == "lease" else f"{job.id}_job"
            assert job.func.__name__ == expected
            assert job.func is not getattr(scheduler, expected)
        lease = jobs["lease"].trigger
        assert isinstance(lease, IntervalTrigger)
        # renewed well within the lease's lifetime
        assert lease.interval < scheduler.LEASE_TTL / 2
        assert isinstance(jobs["billing"].trigger, CronTrigger)
        assert isinstance(jobs["janitor"].trigger, IntervalTrigger)
        assert str(sched.timezone) == "Europe/Moscow"
    finally:
        sched.shutdown(wait=False)


def test_start_does_nothing_when_the_scheduler_is_switched_off(monkeypatch):
    monkeypatch.setenv("PAYSIM_SCHEDULER", "0")
    scheduler.get_settings.cache_clear()
    try:
        assert scheduler.start() is None
        scheduler.stop(None)  # and stopping "no scheduler" is harmless
    finally:
        scheduler.get_settings.cache_clear()


def test_stop_releases_the_lease(session, as_holder):
    sched = scheduler.build_scheduler()
    sched.start(paused=True)
    assert scheduler.holds_lease() is True
    assert leases.holder_of(session, scheduler.LEASE) == HOLDER
    scheduler.stop(sched)
    assert leases.holder_of(session, scheduler.LEASE) is None
    assert leases.acquire(session, scheduler.LEASE, "other-worker:2", scheduler.LEASE_TTL)


# --------------------------------------------------------------------------- leader only


def test_leader_only_runs_the_job_in_the_lease_holder(session, as_holder):
    calls = []

    def job():
        calls.append(leases.holder_of(session, scheduler.LEASE))

    wrapped = scheduler._leader_only(job)
    assert wrapped.__name__ == "job"
    wrapped()
    wrapped()
    assert calls == [HOLDER, HOLDER]


def test_leader_only_skips_the_job_while_another_worker_holds_the_lease(session, as_holder):
    calls = []
    with time_machine.travel(NOW, tick=False) as clock:
        assert leases.acquire(session, scheduler.LEASE, "other-worker:2", scheduler.LEASE_TTL)
        wrapped = scheduler._leader_only(lambda: calls.append("ran"))
        wrapped()
        assert calls == []
        assert leases.holder_of(session, scheduler.LEASE) == "other-worker:2"
        # the other worker dies: once its lease runs out this one takes over and runs the job
        clock.shift(scheduler.LEASE_TTL + timedelta(seconds=1))
        wrapped()
        assert calls == ["ran"]
        assert leases.holder_of(session, scheduler.LEASE) == HOLDER


def test_leader_only_logs_a_failing_job_and_does_not_raise(session, as_holder, caplog):
    def broken_job():
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="paysim.jobs"):
        scheduler._leader_only(broken_job)()  # the scheduler thread must survive it
    assert "job broken_job failed" in caplog.text
    assert "boom" in caplog.text


def test_leader_only_survives_an_unreachable_database(monkeypatch, as_holder, caplog):
    def no_database():
        raise ConnectionError("database down")

    monkeypatch.setattr(scheduler, "holds_lease", no_database)
    calls = []
    with caplog.at_level(logging.ERROR, logger="paysim.jobs"):
        scheduler._leader_only(lambda: calls.append(1))()
    assert calls == []
    assert "database down" in caplog.text


# --------------------------------------------------------------------------- billing job


def _due_population(session, factory):
    """SIMs due today: paid up, broke (suspended by the fee), monthly autopay that succeeds and
    autopay whose card declines. Returns (sims, autopay sims)."""
    tariff = factory.tariff(fee_kop=50000)
    partner = factory.partner()
    sims, with_autopay = [], []
    for n in range(4):
        sub = factory.subscriber()
        paid_up = factory.sim(
            sub, tariff=tariff, partner=partner, balance_kop=120000, billing_day=1
        )
        broke = factory.sim(sub, tariff=tariff, balance_kop=1000, billing_day=1)
        auto = factory.sim(sub, tariff=tariff, partner=partner, billing_day=1)
        card = factory.card(sub, "4242424242424242" if n % 2 == 0 else "4000000000000341")
        autopay.set_autopay(session, sub, auto.id, autopay.AutopayForm("monthly", card.id))
        session.commit()
        sims += [paid_up, broke, auto]
        with_autopay.append(auto)
    return sims, with_autopay


def _run_concurrently(target, n: int = 2) -> None:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            target()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a billing job hangs"
    assert not errors, errors


def _assert_billed_once(session, sims, with_autopay, period: str) -> None:
    session.expire_all()
    fees = dict(
        session.execute(
            select(LedgerEntry.sim_id, func.count())
            .where(LedgerEntry.kind == "monthly_fee", LedgerEntry.fee_period == period)
            .group_by(LedgerEntry.sim_id)
        ).all()
    )
    assert fees == {s.id: 1 for s in sims}
    autopay_ids = [s.id for s in with_autopay]
    charges = dict(
        session.execute(
            select(Payment.sim_id, func.count())
            .where(Payment.method == "autopay")
            .group_by(Payment.sim_id)
        ).all()
    )
    assert charges == {sid: 1 for sid in autopay_ids}
    runs = session.execute(
        select(AutopayRun.sim_id, AutopayRun.attempt).where(AutopayRun.period == period)
    ).all()
    assert sorted(runs) == [(sid, 1) for sid in sorted(autopay_ids)]
    assert (
        session.execute(
            select(func.count()).select_from(Payment).where(Payment.status == "pending")
        ).scalar_one()
        == 0
    )
    for sim in sims:
        total = session.execute(
            select(func.coalesce(func.sum(LedgerEntry.amount_kop), 0)).where(
                LedgerEntry.sim_id == sim.id
            )
        ).scalar_one()
        row = session.get(Sim, sim.id)
        assert row.balance_kop == total, sim.id
        assert (row.status == "suspended") == (row.balance_kop < 0), sim.id


def test_billing_job_bills_the_due_sims_of_the_app_database(session, factory):
    with time_machine.travel(NOW, tick=True):
        sims, with_autopay = _due_population(session, factory)
        scheduler.billing_job()
        period = cycle.period_of(moscow_date(NOW))
        _assert_billed_once(session, sims, with_autopay, period)
        assert session.get(BillingRun, moscow_date(NOW).isoformat()) is not None
        scheduler.billing_job()  # the hourly repeat changes nothing
        _assert_billed_once(session, sims, with_autopay, period)
    # the cycle's payments and commissions are in the partners' takings, folded
    assert session.execute(select(PartnerTakings).where(~PartnerTakings.folded)).first() is None


@pytest.mark.parametrize("batch", [500, 2], ids=["one-batch", "small-batches"])
def test_two_workers_running_billing_at_once_charge_each_sim_once(
    session, factory, monkeypatch, caplog, batch
):
    # small batches make the two runs interleave: each worker commits many times
    monkeypatch.setattr(cycle, "run_billing", functools.partial(cycle.run_billing, batch=batch))
    with time_machine.travel(NOW, tick=True), caplog.at_level(logging.INFO, "paysim.jobs"):
        sims, with_autopay = _due_population(session, factory)
        _run_concurrently(scheduler.billing_job)
        _assert_billed_once(session, sims, with_autopay, cycle.period_of(moscow_date(NOW)))
        # what the two workers report adds up to one fee per SIM, whoever wrote it
        done = [r.args for r in caplog.records if r.getMessage().startswith("billing done")]
        assert len(done) == 2
        assert sum(fees for fees, _ in done) == len(sims)
        assert sum(ok for _, ok in done) == 2
        declined = session.execute(
            select(func.count())
            .select_from(Payment)
            .where(Payment.method == "autopay", Payment.status == "failed")
        ).scalar_one()
        assert declined == 2


def test_threshold_job_tops_up_a_sim_below_its_threshold_once(session, factory):
    if not hasattr(scheduler, "threshold_job"):
        pytest.skip("no threshold sweep in this scheduler")
    sub = factory.subscriber()
    sim = factory.sim(sub, tariff=factory.tariff(), balance_kop=20000)
    card = factory.card(sub)
    form = autopay.AutopayForm("threshold", card.id, threshold_kop=10000, topup_kop=50000)
    autopay.set_autopay(session, sub, sim.id, form)
    session.commit()
    scheduler.threshold_job()  # above the threshold: nothing to do
    session.expire_all()
    assert session.get(Sim, sim.id).balance_kop == 20000
    ledger.post(session, ledger.Posting(sim.id, "adjustment", -15000, comment="debit"))
    session.commit()
    scheduler.threshold_job()
    scheduler.threshold_job()  # the same debit never tops up twice
    session.expire_all()
    assert session.get(Sim, sim.id).balance_kop == 5000 + 50000
    assert (
        session.execute(
            select(func.count()).select_from(Payment).where(Payment.method == "autopay")
        ).scalar_one()
        == 1
    )


def test_janitor_job_settles_a_payment_left_pending(session, factory):
    from paysim_app.billing import payments

    sub = factory.subscriber()
    sim = factory.sim(sub, tariff=factory.tariff(), balance_kop=0)
    card = factory.card(sub)
    with time_machine.travel(NOW, tick=False) as clock:
        payment = payments.new_payment(
            session,
            sim=sim,
            amount_kop=25000,
            method="autopay",  # the janitor repeats only autopay charges the gateway never saw
            idempotency_key="autopay:janitor-test",
            gateway="sandbox",
            card_id=card.id,
        )
        session.commit()
        scheduler.janitor_job()  # too recent: the payer's own request may still be settling it
        session.expire_all()
        assert session.get(Payment, payment.id).status == "pending"
        clock.shift(timedelta(minutes=6))
        scheduler.janitor_job()
    session.expire_all()
    assert session.get(Payment, payment.id).status == "succeeded"
    assert session.get(Sim, sim.id).balance_kop == 25000


def test_tidy_job_sweeps_unsent_files_lapsed_limit_windows_old_usage_ids_and_rolls_months(
    session, factory, monkeypatch, tmp_path
):
    from paysim_app.core import rate_limits
    from paysim_app.models import RateCounter, UsageRecordSeen
    from paysim_app.models.usage import UsageMonth
    from paysim_app.settings import get_settings
    from paysim_app.sims import usage
    from paysim_app.support import attachments

    monkeypatch.setenv("PAYSIM_ATTACHMENTS_DIR", str(tmp_path / "files"))
    get_settings.cache_clear()
    sub = factory.subscriber()
    with time_machine.travel(NOW, tick=False) as clock:
        stored = attachments.save(b"%PDF-1.7\n" + b"x" * 64, "bill.pdf", sub)
        rate_limits.hit(session, "register.ip", "192.0.2.1")
        sim, long_ago = factory.sim(), NOW - timedelta(days=41)
        cdr = {"record_id": "r1", "iccid": sim.iccid, "start": long_ago.isoformat()}
        cdr.update(end=long_ago.isoformat(), bytes_up=1, bytes_down=1)
        assert usage.ingest(session, "pgw", [cdr], now=long_ago).accepted == 1
        card_topup(session, factory.sim(sub, partner=factory.partner()), 10_000)  # a dealer's
        session.commit()
        unfolded = select(PartnerTakings).where(~PartnerTakings.folded)
        assert session.execute(unfolded).first() is not None
        old = (NOW - timedelta(hours=2)).timestamp()
        os.utime(tmp_path / "files" / stored.stored, (old, old))
        clock.shift(timedelta(hours=2))
        scheduler.tidy_job()
    assert not (tmp_path / "files" / stored.stored).exists()
    session.expire_all()
    # the hour's window lapsed; the day's (the upload's quota) is still running
    assert [r.key for r in session.execute(select(RateCounter)).scalars()] == [
        f"LIMITER/attachments.user/{sub.user_id}/30/1/day"
    ]
    assert session.execute(select(UsageRecordSeen)).first() is None  # past its 40 days
    # the day 41 days ago is final: it is in its month (sims.usage_months)
    rolled = session.execute(select(UsageMonth.sim_id, UsageMonth.bytes_up)).all()
    assert [tuple(r) for r in rolled] == [(sim.id, 1)]
    assert session.execute(unfolded).first() is None  # the partners' takings folded
    get_settings.cache_clear()
