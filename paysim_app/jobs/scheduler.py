"""The in-process scheduler: started by the app's lifespan in every worker, but the jobs run
only in the worker that holds the database lease "scheduler" (by default renewed every 10 s and
valid 40 s, so when that worker dies another one takes over within 40 + 10 s; see
PAYSIM_SCHEDULER_LEASE_SECONDS and PAYSIM_SCHEDULER_TICK_SECONDS).

Jobs: the billing cycle (hourly; it is idempotent and catches up missed days, so an hourly run
costs little and recovers quickly after downtime), the threshold-autopay sweep (every 10 min, so
a balance that drops by any debit, not only the monthly fee, is topped up soon), the janitor
that reconciles payments left pending by a crash, and the receipts job (every minute: cash
receipts to the online cash register, billing.receipts.send_pending) and the outbox's delivery
(every PAYSIM_DELIVERY_SECONDS, 15 s: e-mail over SMTP and SMS, messaging.delivery; it drains
in batches until nothing is due, for at most a tick). `coalesce` and
`max_instances=1` keep a slow run from piling up. A job that outlives a lost lease (a paused worker) is harmless: every job is
idempotent, the lease only keeps the work from being done N times over.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from paysim_app.billing import autopay, checkout, cycle, payments, prepayments, receipts
from paysim_app.catalogue import addons as _addons  # noqa: F401 - the cycle renews add-ons
from paysim_app.core import leases, rate_limits
from paysim_app.db import get_engine, session_scope
from paysim_app.messaging import delivery
from paysim_app.partners import takings
from paysim_app.payments import get_gateway
from paysim_app.settings import get_settings
from paysim_app.sims import usage, usage_months
from paysim_app.support import attachments

log = logging.getLogger("paysim.jobs")
LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=40)  # the production default of PAYSIM_SCHEDULER_LEASE_SECONDS
HOLDER = leases.process_id()
BACKGROUND_NICENESS = 10
_leading = False  # did this process hold the lease at its last renewal (for the log only)


def _forked() -> None:
    # The production server imports the app once and forks its workers from that process: each
    # worker must ask for the lease under its own name, or every worker would "hold" it at once.
    global HOLDER, _leading
    HOLDER, _leading = leases.process_id(), False


os.register_at_fork(after_in_child=_forked)


def lease_ttl() -> timedelta:
    return timedelta(seconds=get_settings().paysim_scheduler_lease_seconds)


def holds_lease() -> bool:
    global _leading
    with session_scope() as session:
        held = leases.acquire(session, LEASE, HOLDER, lease_ttl())
    if held != _leading:
        _leading = held
        log.info("%s %s the scheduler lease", HOLDER, "took" if held else "lost")
    return held


def _leader_only(job):
    def run() -> None:
        try:
            if not holds_lease():
                return
            job()
        except Exception:  # a failed run is logged and retried at the next tick
            log.exception("job %s failed", job.__name__)

    run.__name__ = job.__name__
    return run


def _yield_cpu() -> None:
    """Run this job thread at a lower CPU priority (Linux niceness is per thread): a billing
    cycle is a core's work for a minute, and the worker's web requests should win the CPU."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: run as is
        pass


def billing_job() -> None:
    _yield_cpu()
    with session_scope() as session:
        report = cycle.run_billing(session, get_gateway(), pace=get_settings().paysim_billing_pace)
        takings.fold(session)  # the cycle's payments and commissions, one row per hour again
    log.info("billing done: %s fees, %s autopay ok", report.fees, report.autopay["succeeded"])


def threshold_job() -> None:
    with session_scope() as session:
        counts = autopay.run_threshold_checks(session, get_gateway(), None)
    if any(counts.values()):
        log.info("threshold autopay: %s", counts)


def janitor_job() -> None:
    with session_scope() as session:
        settled = payments.reconcile_pending(
            session, get_gateway(), older_than=timedelta(minutes=5)
        )
        settled += checkout.expire_stale(session, get_gateway())
        # SIM orders' prepayments still held on orders that ended (a refund the gateway did
        # not answer) or got their SIM
        settled += prepayments.follow_up_due(session, get_gateway())
    if settled:
        log.info("janitor settled %s pending payments", settled)


def receipts_job() -> None:
    """Cash receipts: refund receipts queued, pending ones sent to the cash register."""
    with session_scope() as session:
        counts = receipts.send_pending(session)
    if any(counts.values()):
        log.info("receipts: %s", counts)


def delivery_job() -> None:
    """Send what is due in the outbox, batch after batch (one SMTP connection each), until
    nothing is left or a tick's time is spent; rows wait for their next try otherwise."""
    settings = get_settings()
    deadline = time.monotonic() + settings.paysim_scheduler_tick_seconds
    totals: dict[str, int] = {}
    while True:
        counts = delivery.deliver_due()
        for name, n in counts.items():
            totals[name] = totals.get(name, 0) + n
        if counts["claimed"] < settings.paysim_delivery_batch or time.monotonic() > deadline:
            break
    if totals.get("claimed"):
        log.info("delivery: %s", totals)


def tidy_job() -> None:
    """Support files no message took within the hour, lapsed windows of the limits, usage
    record ids past the time a resend can come, hourly and daily usage past their keeping
    (sims.usage.sweep), the days of usage that became final rolled up into months
    (sims.usage_months), the static addresses of ended add-ons, and the partners' takings
    folded (partners.takings)."""
    with session_scope() as session:
        files = attachments.sweep_unsent(session)
        windows = rate_limits.sweep(session)
        ids = usage.sweep(session)
        session.commit()
        rolled = usage_months.roll_up(session)
        session.commit()
        addresses = _addons.release_ended(session)
        session.commit()
        folded = takings.fold(session)
    if files or windows or ids or rolled or addresses or folded:
        log.info(
            "tidy: %s unsent files, %s lapsed limit windows, %s usage rows (ids, hours, days),"
            " %s days of usage rolled into months, %s static addresses freed,"
            " %s rows of partners' takings folded",
            files,
            windows,
            ids,
            rolled,
            addresses,
            folded,
        )


def build_scheduler() -> BackgroundScheduler:
    settings = get_settings()
    tick, ttl = settings.paysim_scheduler_tick_seconds, settings.paysim_scheduler_lease_seconds
    if tick * 2 >= ttl:  # one late renewal must not let the lease lapse
        raise ValueError(
            f"PAYSIM_SCHEDULER_TICK_SECONDS ({tick}) must be under half of "
            f"PAYSIM_SCHEDULER_LEASE_SECONDS ({ttl})"
        )
    scheduler = BackgroundScheduler(
        timezone=settings.paysim_timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )
    # at once on start, so a fresh worker does not wait a tick to take a free lease
    scheduler.add_job(
        _leader_only(holds_lease),
        "interval",
        seconds=tick,
        id="lease",
        next_run_time=datetime.now(scheduler.timezone),
    )
    if settings.paysim_scheduler_billing_seconds:
        billing_trigger = {
            "trigger": "interval",
            "seconds": settings.paysim_scheduler_billing_seconds,
        }
    else:
        billing_trigger = {"trigger": "cron", "minute": 5}
    scheduler.add_job(_leader_only(billing_job), id="billing", **billing_trigger)
    scheduler.add_job(_leader_only(threshold_job), "interval", minutes=10, id="threshold")
    scheduler.add_job(_leader_only(janitor_job), "interval", minutes=5, id="janitor")
    scheduler.add_job(_leader_only(receipts_job), "interval", minutes=1, id="receipts")
    scheduler.add_job(_leader_only(tidy_job), "interval", minutes=15, id="tidy")
    scheduler.add_job(
        _leader_only(delivery_job),
        "interval",
        seconds=settings.paysim_delivery_seconds,
        id="delivery",
    )
    return scheduler


def _log_to_stderr() -> None:
    """Show the jobs' lines (lease taken or lost, billing done) in the worker's output, unless
    the deployment has configured logging itself."""
    if log.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")
    )
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def start() -> BackgroundScheduler | None:
    if not get_settings().paysim_scheduler:
        return None
    _log_to_stderr()
    get_engine()
    scheduler = build_scheduler()
    scheduler.start()
    log.info("scheduler started in %s", HOLDER)
    return scheduler


def stop(scheduler: BackgroundScheduler | None) -> None:
    if scheduler is None:
        return
    scheduler.shutdown(wait=False)
    try:
        with session_scope() as session:
            leases.release(session, LEASE, HOLDER)
    except Exception:  # shutting down: the lease simply expires
        log.debug("lease release failed", exc_info=True)
