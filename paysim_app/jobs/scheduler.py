"""The in-process scheduler: started by the app's lifespan in every worker, but the jobs run
only in the worker that holds the database lease "scheduler" (renewed every 20 s, valid 60 s, so
when that worker dies another one takes over within a minute).

Jobs: the billing cycle (hourly; it is idempotent and catches up missed days, so an hourly run
costs little and recovers quickly after downtime), the threshold-autopay sweep (every 10 min, so
a balance that drops by any debit, not only the monthly fee, is topped up soon) and the janitor
that reconciles payments left pending by a crash. `coalesce` and `max_instances=1` keep a slow run from piling up.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from paysim_app.db import get_engine, session_scope
from paysim_app.payments import get_gateway
from paysim_app.services import autopay, billing, leases, payments
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.jobs")
LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=60)
HOLDER = leases.process_id()


def holds_lease() -> bool:
    with session_scope() as session:
        return leases.acquire(session, LEASE, HOLDER, LEASE_TTL)


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


def billing_job() -> None:
    with session_scope() as session:
        report = billing.run_billing(session, get_gateway())
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
    if settled:
        log.info("janitor settled %s pending payments", settled)


def build_scheduler() -> BackgroundScheduler:
    tz = get_settings().paysim_timezone
    scheduler = BackgroundScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )
    scheduler.add_job(_leader_only(holds_lease), "interval", seconds=20, id="lease")
    scheduler.add_job(_leader_only(billing_job), "cron", minute=5, id="billing")
    scheduler.add_job(_leader_only(threshold_job), "interval", minutes=10, id="threshold")
    scheduler.add_job(_leader_only(janitor_job), "interval", minutes=5, id="janitor")
    return scheduler


def start() -> BackgroundScheduler | None:
    if not get_settings().paysim_scheduler:
        return None
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
