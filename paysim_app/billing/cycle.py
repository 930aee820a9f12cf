"""The billing cycle: once a day, for every SIM whose billing day has come, charge autopay
first, then write off the monthly fee (which suspends a SIM it takes below zero); then renew the
add-ons due, top up threshold-autopay SIMs, retry failed autopay whose time has come, and send
the warnings.

Exactly once: a fee is a ledger entry unique per (SIM, period), written only for SIMs locked in
this transaction and re-checked under the lock; autopay claims are unique rows (see autopay).
Days the server was down are caught up: the cycle remembers the last day it completed
(`billing_run`) and bills the last day of every month it missed.

A tariff's fee change waits for its period (`next_fee_period`): the fee pass charges the fee of
the period it bills, and before a day is billed the pending fees whose period has come are folded
into `monthly_fee_kop` (see promote_pending_fees).

A SIM's tariff change approved "from the next period" waits too (a "scheduled"
tariff_change_request with its `effective_on`, the SIM's next billing date): before a day's
autopay and fees, the changes due by that day are applied (apply_scheduled_tariffs), so the new
period is charged at the new fee, a missed day caught up included.
"""

from __future__ import annotations

import calendar
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from paysim_app.billing import autopay, cards, ledger, payments
from paysim_app.core import audit, bulk, maintenance, notify, policy_marks
from paysim_app.core.pacing import Pacer
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_date, moscow_day_range
from paysim_app.models import (
    AutopaySetting,
    BillingRun,
    LedgerEntry,
    Sim,
    SimBalance,
    Subscriber,
    Tariff,
    TariffChangeRequest,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.payments import Gateway
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.billing")
BILLED_STATUSES = ("active",)  # suspended and blocked SIMs get no service, so no fee
# A scheduled tariff change is a matter of the contract, not of the service: it applies to a SIM
# suspended for debt or blocked too (it comes back on the tariff the subscriber chose). A SIM
# that left its contract (deactivated, back in stock) has nothing to switch: the change is
# cancelled with a reason and the subscriber is told.
TARIFF_SWITCH_STATUSES = ("active", "suspended", "blocked")


@dataclass
class BillingReport:
    days: list[str] = field(default_factory=list)
    due: int = 0
    fees: int = 0
    fees_kop: int = 0
    suspended: int = 0
    autopay: dict = field(default_factory=lambda: {"succeeded": 0, "failed": 0, "pending": 0})
    threshold: dict = field(default_factory=lambda: {"succeeded": 0, "failed": 0, "pending": 0})
    retries: dict = field(default_factory=lambda: {"succeeded": 0, "failed": 0, "pending": 0})
    addons: dict = field(default_factory=lambda: {"renewed": 0, "lapsed": 0})
    tariffs: dict = field(default_factory=lambda: {"applied": 0, "cancelled": 0})
    reconciled: int = 0
    policies: int = 0
    warnings: int = 0
    seconds: float = 0.0
    paused: float = 0.0  # of those seconds, the Pacer's pauses

    def add(self, target: dict, counts: dict) -> None:
        for key, value in counts.items():
            target[key] = target.get(key, 0) + value


# The cycle's add-on renewals belong to the catalogue, a context above billing: it registers
# them (catalogue/addons.py) and billing calls them without importing the catalogue.
_RENEWALS: list[Callable[[Session], dict]] = []


def renews_addons(step: Callable[[Session], dict]) -> Callable[[Session], dict]:
    """Register the cycle's add-on renewal step: (session) -> {"renewed": n, "lapsed": n}."""
    if step not in _RENEWALS:
        _RENEWALS.append(step)
    return step


# The network policy (a limit that ends with the period, a booster's end) belongs to sims, above
# billing: it registers its sweep (sims/policy.py), which the cycle runs every hour after the
# renewals. A tariff switch marks its SIM (core.policy_marks), refreshed before the commit.
_POLICY_STEPS: list[Callable[[Session], int]] = []


def refreshes_policies(step: Callable[[Session], int]) -> Callable[[Session], int]:
    """Register the cycle's policy sweep: (session) -> rows refreshed."""
    if step not in _POLICY_STEPS:
        _POLICY_STEPS.append(step)
    return step


def period_of(day: date) -> str:
    return day.strftime("%Y-%m")


def fee_posting(sim_id: int, fee_kop: int, period: str) -> ledger.Posting:
    """The monthly fee of one SIM for `period` (the cycle; the demo's history)."""
    return ledger.Posting(sim_id, "monthly_fee", -fee_kop, fee_period=period)


@verb
def days_to_bill(session: Session, today: date) -> list[date]:
    """Today, preceded by the last day of every month since the last completed run."""
    last = session.execute(
        select(BillingRun.run_date).order_by(BillingRun.run_date.desc())
    ).scalar()
    if last is None:
        return [today]
    day = date.fromisoformat(last)
    out = []
    while True:
        month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        if month_end >= today:
            break
        if month_end > date.fromisoformat(last):
            out.append(month_end)
        day = month_end + timedelta(days=1)
    return [*out, today]


def fee_for_period(period: str):
    """The tariff's monthly fee for billing period `period` ('YYYY-MM'), as SQL: an admin's fee
    change waits in next_monthly_fee_kop until its next_fee_period has come."""
    return case(
        (
            and_(Tariff.next_fee_period.is_not(None), Tariff.next_fee_period <= period),
            Tariff.next_monthly_fee_kop,
        ),
        else_=Tariff.monthly_fee_kop,
    )


@verb
def promote_pending_fees(session: Session, period: str) -> int:
    """Fold the pending fees whose period has come into monthly_fee_kop (so autopay, the
    cabinet and the warnings, which read monthly_fee_kop, see the new fee). Run before a day of
    `period` is billed: the days are billed in order, so no earlier period is billed after it.
    Commits; returns how many tariffs changed."""
    result = session.execute(
        update(Tariff)
        .where(Tariff.next_fee_period.is_not(None), Tariff.next_fee_period <= period)
        .values(
            monthly_fee_kop=Tariff.next_monthly_fee_kop,
            next_monthly_fee_kop=None,
            next_fee_period=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount:
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Tariff):
                session.expire(obj)
    return result.rowcount


def _owner_locales(session: Session, sim_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(Sim.id, User.locale)
        .join(Subscriber, Subscriber.id == Sim.subscriber_id)
        .join(User, User.id == Subscriber.user_id)
        .where(bulk.id_in(session, Sim.id, sim_ids))
    ).all()
    return {sim_id: locale or "ru" for sim_id, locale in rows}


@verb
def apply_scheduled_tariffs(session: Session, day: date, *, batch: int = 500) -> dict:
    """Switch the SIMs whose scheduled tariff change is due by `day` (effective_on <= day) to
    the new tariff: the SIM's tariff (its allowance, speed and fee) changes, the request becomes
    "approved" with applied_at, the switch is audited on the SIM and the subscriber is told.
    Run before `day`'s autopay and fees, so the new period is billed at the new fee.

    Exactly once: batch by batch, the SIM rows are locked (in id order, as the fee pass locks
    them) and each request moves scheduled -> approved by a compare-and-set, so a second run, a
    second worker or a cancellation at the same moment finds it done. A SIM that left its
    contract gets the change cancelled instead (see TARIFF_SWITCH_STATUSES). Commits each
    batch; returns {"applied": n, "cancelled": n}."""
    counts = {"applied": 0, "cancelled": 0}
    after = 0
    while True:
        ledger.lock_for_write(session)
        due = session.execute(
            select(
                TariffChangeRequest.id,
                TariffChangeRequest.sim_id,
                TariffChangeRequest.to_tariff_id,
                TariffChangeRequest.effective_on,
            )
            .where(
                TariffChangeRequest.status == "scheduled",
                TariffChangeRequest.effective_on <= day,
                TariffChangeRequest.id > after,
            )
            .order_by(TariffChangeRequest.id)
            .limit(batch)
        ).all()
        if not due:
            session.rollback()
            break
        after = due[-1].id
        sim_ids = sorted({r.sim_id for r in due})
        sims = {
            sim.id: sim
            for sim in session.execute(
                select(Sim)
                .where(bulk.id_in(session, Sim.id, sim_ids))
                .order_by(Sim.id)
                .with_for_update()
                .execution_options(populate_existing=True)  # as of the lock
            ).scalars()
        }
        tariffs = {
            tariff.id: tariff
            for tariff in session.execute(
                select(Tariff).where(Tariff.id.in_(sorted({r.to_tariff_id for r in due})))
            ).scalars()
        }
        locales = _owner_locales(session, sim_ids)
        now = utcnow()
        notes = []
        for rid, sim_id, to_tariff_id, effective_on in due:
            sim, tariff = sims[sim_id], tariffs[to_tariff_id]
            switch = sim.status in TARIFF_SWITCH_STATUSES and sim.subscriber_id is not None
            reason = "" if switch else t("tariffs.cancel_reason.sim_closed", locales.get(sim_id))
            done = session.execute(
                update(TariffChangeRequest)
                .where(TariffChangeRequest.id == rid, TariffChangeRequest.status == "scheduled")
                .values(
                    status="approved" if switch else "cancelled",
                    applied_at=now if switch else None,
                    reason=reason,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # cancelled or applied since we read it
                continue
            if not switch:
                counts["cancelled"] += 1
                audit.record(
                    session,
                    None,
                    "tariff_change.cancel_scheduled",
                    "tariff_change_request",
                    rid,
                    {"status": "scheduled", "sim_status": sim.status},
                    {"status": "cancelled", "sim_id": sim_id, "reason": reason},
                )
                notes.append(
                    (
                        sim_id,
                        "tariff_change_cancelled",
                        {"tariff": tariff.name, "date": effective_on, "reason": reason},
                        rid,
                    )
                )
                continue
            before = sim.tariff_id
            sim.tariff_id, sim.updated_at = tariff.id, now
            policy_marks.mark(session, [sim_id])  # new speed and allowance for the network
            counts["applied"] += 1
            audit.record(
                session,
                None,
                "tariff_change.apply",
                "sim",
                sim_id,
                {"tariff_id": before},
                {
                    "tariff_id": tariff.id,
                    "tariff": tariff.name,
                    "request_id": rid,
                    "effective_on": effective_on.isoformat(),
                },
            )
            notes.append(
                (
                    sim_id,
                    "tariff_change_applied",
                    {
                        "tariff": tariff.name,
                        "fee_kop": tariff.monthly_fee_kop,
                        "date": effective_on,
                    },
                    rid,
                )
            )
        session.flush()
        for sim_id, kind, params, rid in notes:
            notify.notify_sim_owners(
                session, [(sim_id, kind, params)], dedup=f"{kind}:{rid}:{{sim}}"
            )
        session.commit()
    return counts


def _due_query(day: date, batch: int, after_id: int):
    """Active SIMs whose billing day has come in `day`'s month and not yet billed for it."""
    period = period_of(day)
    _, end_of_day = moscow_day_range(day)
    fee = fee_for_period(period)
    return (
        select(Sim.id, fee.label("monthly_fee_kop"))
        .join(Tariff, Tariff.id == Sim.tariff_id)
        .outerjoin(SimBalance, SimBalance.sim_id == Sim.id)
        .where(
            Sim.status.in_(BILLED_STATUSES),
            or_(SimBalance.billed_period.is_(None), SimBalance.billed_period < period),
            Sim.billing_day <= day.day,
            Sim.activated_at < end_of_day,
            fee > 0,
            Sim.id > after_id,
        )
        .order_by(Sim.id)
        .limit(batch)
    )


def _autopay_pass(
    session: Session, gateway: Gateway, day: date, batch: int, report, pacer: Pacer
) -> None:
    period = period_of(day)
    after = 0
    growing = maintenance.GrowingTables(_engine(session), ("payment", "autopay_run", "receipt"))
    while True:
        ids = (
            session.execute(
                _due_query(day, batch, after).join(
                    AutopaySetting,
                    and_(
                        AutopaySetting.sim_id == Sim.id,
                        # said again for the settings: PostgreSQL does not carry `sim.id >
                        # after` across the join, and its merge join read the settings from
                        # the first SIM's on in every batch (1M SIMs: 107 ms for a batch
                        # halfway, over 100 s of the cycle)
                        AutopaySetting.sim_id > after,
                        AutopaySetting.enabled,
                        AutopaySetting.mode == "monthly",
                    ),
                )
            )
            .scalars()
            .all()
        )
        if not ids:
            break
        after = ids[-1]
        claims = autopay.claim(session, autopay.monthly_wanted(session, ids, period), day)
        session.commit()
        report.add(report.autopay, autopay.charge_claims(session, gateway, claims))
        growing.wrote(len(claims))
        pacer.batch_done()


def _fee_pass(session: Session, day: date, batch: int, report, pacer: Pacer) -> None:
    """Batch by batch: lock the due SIMs, re-check under the lock, write the fees, commit.
    A second worker waits for the first one's batch and then finds it billed (PostgreSQL
    re-reads a row it waited for; the probe below is the belt to those braces)."""
    period = period_of(day)
    after = 0
    while True:
        ledger.lock_for_write(session)
        query = _due_query(day, batch, after)
        if bulk.is_postgres(session):
            query = query.with_for_update(of=Sim)
        rows = session.execute(query).all()
        if not rows:
            session.rollback()
            break
        after = rows[-1].id
        # a fee committed since our snapshot must not be written twice
        charged = set(
            session.execute(
                select(LedgerEntry.sim_id).where(
                    bulk.id_in(session, LedgerEntry.sim_id, [r.id for r in rows]),
                    LedgerEntry.fee_period == period,
                )
            ).scalars()
        )
        postings = [
            fee_posting(r.id, r.monthly_fee_kop, period) for r in rows if r.id not in charged
        ]
        entries = ledger.post_many(session, postings)
        report.due += len(rows)
        report.fees += len(entries)
        report.fees_kop += sum(-e.amount_kop for e in entries)
        # these SIMs were active, so a fee that left them below zero suspended them
        report.suspended += sum(1 for e in entries if e.balance_after_kop < 0)
        session.commit()
        pacer.batch_done()


def _low_balance_warnings(session: Session, day: date) -> int:
    """Three days before the billing day: the balance will not pay the next fee."""
    target = day + timedelta(days=autopay.LOW_BALANCE_DAYS_AHEAD)
    if target.day > 28:
        return 0
    no_monthly_autopay = ~exists().where(
        and_(AutopaySetting.sim_id == Sim.id, AutopaySetting.enabled)
    )
    fee = fee_for_period(period_of(target))  # the fee of the billing day warned about
    rows = session.execute(
        select(Sim.id, Sim.balance_kop, fee)
        .join(Tariff, Tariff.id == Sim.tariff_id)
        .where(
            Sim.status == "active",
            Sim.billing_day == target.day,
            Sim.balance_kop < fee,
            no_monthly_autopay,
        )
    ).all()
    sent = 0
    for sim_id, balance, fee in rows:
        sent += notify.notify_sim_owners(
            session,
            [
                (
                    sim_id,
                    "low_balance",
                    {
                        "fee_kop": fee,
                        "balance_kop": balance,
                        "missing_kop": fee - balance,
                        "date": target,
                    },
                )
            ],
            dedup=f"low-balance:{{sim}}:{period_of(target)}",
        )
    notify.notify_partners_low_balance(session, [r[0] for r in rows])  # dealers who opted in
    session.commit()
    return sent


@verb
def run_billing(
    session: Session,
    gateway: Gateway,
    today: date | None = None,
    *,
    batch: int = 500,
    on_day_done: Callable[[date], None] | None = None,
    pace: float = 0.0,
) -> BillingReport:
    """Run the cycle up to `today` (Moscow). Safe to run again, concurrently or after a crash.
    `pace`: the Pacer's pause per second of work between batches (the scheduler and the
    command line pass PAYSIM_BILLING_PACE; 0 runs flat out)."""
    started = time.perf_counter()
    today = today or moscow_date(utcnow())
    report = BillingReport()
    pacer = Pacer(pace, by_pressure=get_settings().paysim_pace_by_pressure)
    report.reconciled = payments.reconcile_pending(
        session, gateway, older_than=timedelta(minutes=5)
    )
    for day in days_to_bill(session, today):
        report.days.append(day.isoformat())
        promote_pending_fees(session, period_of(day))
        report.add(report.tariffs, apply_scheduled_tariffs(session, day, batch=batch))
        _autopay_pass(session, gateway, day, batch, report, pacer)
        _fee_pass(session, day, batch, report, pacer)
        if on_day_done:
            on_day_done(day)
        _mark_done(session, day, report)
    # add-ons renew from the balance: after the fees, before the threshold top-ups see it
    if not _RENEWALS:  # never a cycle that silently skips them
        raise RuntimeError("the add-on renewals are not registered: import paysim_app.catalogue")
    for renew in _RENEWALS:
        report.add(report.addons, renew(session))
    for step in _POLICY_STEPS:  # limits that ended with the period, boosters that ended
        report.policies += step(session)
    report.add(report.threshold, autopay.run_threshold_checks(session, gateway, None))
    claims = autopay.claim(session, autopay.retries_wanted(session, utcnow()), today)
    session.commit()
    report.add(report.retries, autopay.charge_claims(session, gateway, claims))
    report.warnings = _low_balance_warnings(session, today) + cards.warn_expiring(session, today)
    session.commit()
    # balances moved for many SIMs: the lists' counts and filters want the table tidied
    maintenance.after_bulk_write(_engine(session), "sim", report.fees)
    report.seconds = round(time.perf_counter() - started, 3)
    report.paused = round(pacer.paused, 3)
    log.info("billing: %s", json.dumps(asdict(report)))
    return report


def _engine(session: Session):
    """The engine under the session (the maintenance runs on connections of its own)."""
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def _mark_done(session: Session, day: date, report: BillingReport) -> None:
    # an upsert: two workers finishing the same day at once must not collide on the key
    now = utcnow()
    summary = json.dumps({"fees": report.fees, "fees_kop": report.fees_kop})
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(BillingRun.__table__)
        .values(run_date=day.isoformat(), started_at=now, finished_at=now, summary=summary)
        .on_conflict_do_update(
            index_elements=["run_date"], set_={"finished_at": now, "summary": summary}
        )
    )
    session.commit()
