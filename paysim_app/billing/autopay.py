"""Autopay: a saved card pays the monthly fee on the billing day, or tops the SIM up when its
balance falls below a threshold; failed charges are retried on a schedule.

Exactly once: every attempt is an `autopay_run` row, unique per (SIM, period, mode, attempt),
claimed with INSERT ... ON CONFLICT DO NOTHING and committed with its pending payment before the
gateway is called. Two workers, a second run or a run after a crash find the claim taken; a
claim left pending by a crash is finished by the janitor with the same idempotency key.
Periods: 'YYYY-MM' for monthly charges, 't<ledger entry id>' for the debit that took the balance
below the threshold.

A charge whose bank wants 3-D Secure (off-session nobody can pass it) does not fail: the payment
and its run wait for the subscriber's confirmation (billing.confirmations), out of the retry
schedule, and no new attempt is claimed for the SIM while one waits.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from paysim_app.billing import cards, confirmations, payments, topups

# the autopay page's verbs for a charge waiting for the subscriber's confirmation
from paysim_app.billing.confirmations import payment_of_link, start_confirmation  # noqa: F401
from paysim_app.core import bulk, notify
from paysim_app.core.errors import ValidationError
from paysim_app.core.permissions import Actor, owned_sim, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_date, moscow_day_range
from paysim_app.models import (
    AutopayRun,
    AutopaySetting,
    LedgerEntry,
    Payment,
    SavedCard,
    Sim,
    Tariff,
)
from paysim_app.models.base import utcnow
from paysim_app.payments import Gateway, GatewayError
from paysim_app.payments.declines import is_hard

RETRY_AFTER_DAYS = (1, 3, 5)  # after the 1st, 2nd and 3rd failed attempt; then give up
LOW_BALANCE_DAYS_AHEAD = 3
_RUN = AutopayRun.__table__


# -- the rule the subscriber sets ----------------------------------------------------------------
@dataclass(frozen=True)
class AutopayForm:
    mode: str  # monthly | threshold
    card_id: int
    fixed_amount_kop: int | None = None  # monthly: None pays the tariff's fee
    threshold_kop: int | None = None
    topup_kop: int | None = None
    monthly_cap_kop: int | None = None


@dataclass(frozen=True)
class RunRow:
    attempt: int
    period: str
    mode: str
    status: str
    amount_kop: int
    decline_code: str | None
    created_at: datetime
    next_retry_at: datetime | None


@dataclass(frozen=True)
class AutopayView:
    sim_id: int
    msisdn: str
    enabled: bool
    mode: str
    card_id: int | None
    card_label: str
    fixed_amount_kop: int | None
    threshold_kop: int | None
    topup_kop: int | None
    monthly_cap_kop: int | None
    balance_kop: int
    fee_kop: int
    billing_day: int
    next_billing_date: date
    next_charge_date: date | None
    next_charge_kop: int | None
    runway_until: date | None
    runs: list[RunRow] = field(default_factory=list)
    # autopay payments waiting for the subscriber's confirmation (3-D Secure)
    waiting: list[confirmations.Waiting] = field(default_factory=list)


def next_billing_date(billing_day: int, on: date) -> date:
    """The next billing day on or after `on`."""
    if on.day <= billing_day:
        return on.replace(day=billing_day)
    year, month = (on.year + 1, 1) if on.month == 12 else (on.year, on.month + 1)
    return date(year, month, billing_day)


def runway(balance_kop: int, fee_kop: int, billing_day: int, on: date) -> date | None:
    """The last day the balance pays for at this fee (None: no fee, it never runs out)."""
    if fee_kop <= 0:
        return None
    covered = max(balance_kop, 0) // fee_kop  # how many coming fees the balance pays in full
    due = next_billing_date(billing_day, on)
    for _ in range(covered):
        due = next_billing_date(billing_day, due + timedelta(days=1))
    return due - timedelta(days=1)


def _check_form(session: Session, actor: Actor, form: AutopayForm) -> None:
    if form.mode not in ("monthly", "threshold"):
        raise ValidationError("error.invalid", field="mode")
    card = cards.owned_card(session, actor, form.card_id)
    if cards.card_valid_until(card.exp_month, card.exp_year) < cards.today():
        raise ValidationError("card.error.expired", field="card_id")

    def amount(value: int | None, name: str, required: bool) -> None:
        if value is None:
            if required:
                raise ValidationError("error.required", field=name)
            return
        try:
            topups.check_amount(value)
        except ValidationError as exc:
            raise ValidationError("topup.error.limits", field=name, **exc.params) from None

    if form.mode == "monthly":
        amount(form.fixed_amount_kop, "fixed_amount", required=False)
    else:
        if form.threshold_kop is None or not 0 <= form.threshold_kop <= topups.MAX_KOP:
            raise ValidationError("autopay.error.threshold", field="threshold")
        amount(form.topup_kop, "topup", required=True)
    amount(form.monthly_cap_kop, "monthly_cap", required=False)
    charge = form.fixed_amount_kop if form.mode == "monthly" else form.topup_kop
    if form.monthly_cap_kop is not None and charge is not None and form.monthly_cap_kop < charge:
        raise ValidationError("autopay.error.cap_below_amount", field="monthly_cap")


@verb
def set_autopay(session: Session, actor: Actor, sim_id: int, form: AutopayForm) -> None:
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="payments.view")
    _check_form(session, actor, form)
    rule = session.execute(
        select(AutopaySetting).where(AutopaySetting.sim_id == sim.id)
    ).scalar_one_or_none()
    if rule is None:
        rule = AutopaySetting(sim_id=sim.id, card_id=form.card_id)
        session.add(rule)
    rule.card_id = form.card_id
    rule.mode = form.mode
    rule.fixed_amount_kop = form.fixed_amount_kop if form.mode == "monthly" else None
    rule.threshold_kop = form.threshold_kop if form.mode == "threshold" else None
    rule.topup_kop = form.topup_kop if form.mode == "threshold" else None
    rule.monthly_cap_kop = form.monthly_cap_kop
    rule.enabled = True
    rule.updated_at = utcnow()
    session.flush()


@verb
def disable_autopay(session: Session, actor: Actor, sim_id: int) -> None:
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="payments.view")
    session.execute(
        update(AutopaySetting)
        .where(AutopaySetting.sim_id == sim.id)
        .values(enabled=False, updated_at=utcnow())
    )
    # a retry waiting for this SIM would charge a card the subscriber just said no to
    session.execute(
        update(_RUN)
        .where(_RUN.c.sim_id == sim.id, _RUN.c.next_retry_at.is_not(None))
        .values(next_retry_at=None)
    )


@verb
def get_autopay(session: Session, actor: Actor, sim_id: int) -> AutopayView:
    sim = owned_sim(session, actor, sim_id, admin_permission="payments.view")
    return autopay_view(session, sim)


@verb
def autopay_view(session: Session, sim: Sim, on: date | None = None) -> AutopayView:
    """What the subscriber (and the admin) see about a SIM's autopay and its retry schedule."""
    on = on or cards.today()
    rule = session.execute(
        select(AutopaySetting).where(AutopaySetting.sim_id == sim.id)
    ).scalar_one_or_none()
    card = session.get(SavedCard, rule.card_id) if rule else None
    fee = (
        session.execute(
            select(Tariff.monthly_fee_kop).where(Tariff.id == sim.tariff_id)
        ).scalar_one_or_none()
        or 0
    )
    # on the billing day itself, once this period's fee is written off the next one is due
    # next month (otherwise the page would promise a charge, or a runway, that is already past)
    fee_paid = (
        session.execute(
            select(LedgerEntry.id).where(
                LedgerEntry.sim_id == sim.id, LedgerEntry.fee_period == on.strftime("%Y-%m")
            )
        ).first()
        is not None
    )
    start = on + timedelta(days=1) if fee_paid and on.day >= sim.billing_day else on
    billing = next_billing_date(sim.billing_day, start)
    enabled = bool(rule and rule.enabled)
    next_date = next_kop = None
    if enabled and rule.mode == "monthly":
        next_date, next_kop = billing, rule.fixed_amount_kop or fee
    elif enabled and rule.mode == "threshold":
        next_kop = rule.topup_kop
        # the day the fee would take the balance below the threshold
        if sim.balance_kop - fee < (rule.threshold_kop or 0) <= sim.balance_kop:
            next_date = billing
        elif sim.balance_kop < (rule.threshold_kop or 0):
            next_date = on
    retry = session.execute(
        select(AutopayRun.next_retry_at)
        .where(AutopayRun.sim_id == sim.id, AutopayRun.next_retry_at.is_not(None))
        .order_by(AutopayRun.next_retry_at)
    ).scalar()
    if enabled and retry is not None:
        next_date = moscow_date(retry)
    runs = session.execute(
        select(AutopayRun, Payment.amount_kop)
        .join(Payment, Payment.id == AutopayRun.payment_id, isouter=True)
        .where(AutopayRun.sim_id == sim.id)
        .order_by(AutopayRun.created_at.desc(), AutopayRun.id.desc())
        .limit(12)
    ).all()
    return AutopayView(
        sim_id=sim.id,
        msisdn=sim.msisdn,
        enabled=enabled,
        mode=rule.mode if rule else "monthly",
        card_id=card.id if card and card.deleted_at is None else None,
        card_label=f"{card.brand} •••• {card.last4}" if card else "",
        fixed_amount_kop=rule.fixed_amount_kop if rule else None,
        threshold_kop=rule.threshold_kop if rule else None,
        topup_kop=rule.topup_kop if rule else None,
        monthly_cap_kop=rule.monthly_cap_kop if rule else None,
        balance_kop=sim.balance_kop,
        fee_kop=fee,
        billing_day=sim.billing_day,
        next_billing_date=billing,
        next_charge_date=next_date,
        next_charge_kop=next_kop,
        runway_until=runway(sim.balance_kop, fee, sim.billing_day, start),
        runs=[
            RunRow(
                r.attempt,
                r.period,
                r.mode,
                r.status,
                amount or 0,
                r.decline_code,
                r.created_at,
                r.next_retry_at,
            )
            for r, amount in runs
        ],
        waiting=confirmations.waiting_for_sim(session, sim.id),
    )


# -- the engine the billing cycle drives ----------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    run_id: int
    payment_id: int
    sim_id: int
    amount_kop: int
    idempotency_key: str
    token: str
    customer: str


def _month_bounds(on: date) -> tuple[datetime, datetime]:
    start, _ = moscow_day_range(on.replace(day=1))
    _, end = moscow_day_range(on.replace(day=calendar.monthrange(on.year, on.month)[1]))
    return start, end


def _spent_this_month(session: Session, sim_ids: list[int], on: date) -> dict[int, int]:
    if not sim_ids:
        return {}
    start, end = _month_bounds(on)
    return dict(
        session.execute(
            select(Payment.sim_id, func.sum(Payment.amount_kop))
            .where(
                Payment.sim_id.in_(sim_ids),
                Payment.method == "autopay",
                Payment.status.in_(("pending", "succeeded", "requires_action")),
                Payment.created_at >= start,
                Payment.created_at < end,
            )
            .group_by(Payment.sim_id)
        ).all()
    )


@verb
def claim(
    session: Session,
    wanted: list[tuple[int, str, str, int, int]],
    on: date,
) -> list[Claim]:
    """Claim attempts: wanted = (sim id, period, mode, attempt, amount). Attempts someone else
    claimed are skipped; over the monthly cap or with an expired card they are recorded as
    skipped/failed without a charge. The caller commits, then calls `charge_claims`."""
    if not wanted:
        return []
    sim_ids = sorted({w[0] for w in wanted})
    rows = session.execute(
        select(AutopaySetting, SavedCard, Sim.subscriber_id, Sim.partner_id)
        .join(SavedCard, SavedCard.id == AutopaySetting.card_id)
        .join(Sim, Sim.id == AutopaySetting.sim_id)
        .where(
            bulk.id_in(session, AutopaySetting.sim_id, sim_ids),
            AutopaySetting.enabled,
            SavedCard.deleted_at.is_(None),
        )
    ).all()
    rules = {rule.sim_id: (rule, card, sub, partner) for rule, card, sub, partner in rows}
    # a charge waiting for the subscriber's confirmation pauses the SIM's autopay
    for sim_id in session.execute(
        select(AutopayRun.sim_id).where(
            bulk.id_in(session, AutopayRun.sim_id, sim_ids),
            AutopayRun.status == "requires_action",
        )
    ).scalars():
        rules.pop(sim_id, None)
    capped = [s for s in sim_ids if s in rules and rules[s][0].monthly_cap_kop]
    spent = _spent_this_month(session, capped, on)
    values, outcome = [], {}
    for sim_id, period, mode, attempt, amount in wanted:
        if sim_id not in rules or amount <= 0:
            continue
        rule, card, _, _ = rules[sim_id]
        status, code = "pending", None
        if rule.monthly_cap_kop and spent.get(sim_id, 0) + amount > rule.monthly_cap_kop:
            status, code = "skipped", "monthly_cap"
        elif cards.card_valid_until(card.exp_month, card.exp_year) < on:
            status, code = "failed", "expired_card"
        spent[sim_id] = spent.get(sim_id, 0) + (amount if status == "pending" else 0)
        values.append(
            dict(
                sim_id=sim_id,
                period=period,
                mode=mode,
                attempt=attempt,
                status=status,
                decline_code=code,
                created_at=utcnow(),
            )
        )
        outcome[(sim_id, period, mode, attempt)] = amount
    if not values:
        return []
    inserted = bulk.insert_new_rows(
        session,
        _RUN,
        values,
        ["id", "sim_id", "period", "mode", "attempt", "status", "decline_code"],
    )
    claims, refusals, new_payments = [], [], []
    now = utcnow()
    for run in inserted:
        rule, card, subscriber_id, partner_id = rules[run.sim_id]
        amount = outcome[(run.sim_id, run.period, run.mode, run.attempt)]
        if run.status != "pending":
            refusals.append((run.sim_id, run.decline_code, amount))
            continue
        new_payments.append(
            (
                run,
                card,
                {
                    "sim_id": run.sim_id,
                    "subscriber_id": subscriber_id,
                    "partner_id": partner_id,
                    "card_id": card.id,
                    "amount_kop": amount,
                    "method": "autopay",
                    "status": "pending",
                    "gateway": card.gateway,
                    "card_brand": card.brand,
                    "card_last4": card.last4,
                    "idempotency_key": f"autopay:{run.sim_id}:{run.period}:{run.mode}:{run.attempt}",
                    "created_at": now,
                },
            )
        )
    payment_ids = bulk.insert_rows(session, Payment.__table__, [p for _, _, p in new_payments])
    bulk.update_by_id(
        session,
        _RUN,
        [
            {"id": run.id, "payment_id": pid}
            for (run, _, _), pid in zip(new_payments, payment_ids, strict=True)
        ],
    )
    for (run, card, p), pid in zip(new_payments, payment_ids, strict=True):
        claims.append(
            Claim(
                run.id,
                pid,
                run.sim_id,
                p["amount_kop"],
                p["idempotency_key"],
                card.gateway_token,
                card.gateway_customer,
            )
        )
    notify.notify_sim_owners(  # in bulk: two lookups and two inserts for the batch
        session,
        [
            (
                sim_id,
                "autopay_cap" if code == "monthly_cap" else "autopay_failed_hard",
                {"amount_kop": amount, "decline_code": code},
            )
            for sim_id, code, amount in refusals
        ],
    )
    return claims


@verb
def charge_claims(
    session: Session, gateway: Gateway, claims: list[Claim], chunk: int = 500
) -> dict:
    """Call the gateway for committed claims and settle the outcomes, committing per chunk."""
    counts = {"succeeded": 0, "failed": 0, "pending": 0}
    for start in range(0, len(claims), chunk):
        outcomes, held = [], []
        for c in claims[start : start + chunk]:
            try:
                result = gateway.charge(
                    amount_kop=c.amount_kop,
                    token=c.token,
                    customer=c.customer,
                    idempotency_key=c.idempotency_key,
                    off_session=True,
                    description=f"PaySim autopay {c.sim_id}",
                )
            except GatewayError:
                counts["pending"] += 1
                continue
            if confirmations.needs_confirmation(result.status, result.decline_code):
                held.append((c.payment_id, result.gateway_ref))
            else:
                outcomes.append((c.payment_id, result))
        if held:  # waiting for their owners' confirmation (the key only when there are some)
            waiting = len(confirmations.hold(session, held))
            counts["requires_action"] = counts.get("requires_action", 0) + waiting
        changed = payments.settle(session, outcomes)
        session.commit()
        for status in changed.values():
            counts[status] += 1
    return counts


@payments.after_settlement
def on_settled(session: Session, changed: dict[int, str]) -> None:
    """Runs in every settlement (payments.after_settlement): the runs follow their payments;
    failures get a retry date (soft declines) or a request to act (hard ones); the subscriber
    is told either way."""
    if not changed:
        return
    runs = session.execute(
        select(AutopayRun, Payment.amount_kop, Payment.decline_code)
        .join(Payment, Payment.id == AutopayRun.payment_id)
        .where(bulk.id_in(session, AutopayRun.payment_id, list(changed)))
    ).all()
    if not runs:
        return
    now = utcnow()
    updates, messages = [], []
    for run, amount, code in runs:
        status = changed[run.payment_id]
        retry_at = None
        if status == "failed" and not is_hard(code) and run.attempt <= len(RETRY_AFTER_DAYS):
            retry_at = now + timedelta(days=RETRY_AFTER_DAYS[run.attempt - 1])
        updates.append(
            {"id": run.id, "status": status, "decline_code": code, "next_retry_at": retry_at}
        )
        if status == "succeeded":
            messages.append((run.sim_id, "autopay_ok", {"amount_kop": amount}))
        elif retry_at is not None:
            messages.append(
                (
                    run.sim_id,
                    "autopay_failed",
                    {"amount_kop": amount, "decline_code": code, "retry": moscow_date(retry_at)},
                )
            )
        else:
            messages.append(
                (run.sim_id, "autopay_failed_hard", {"amount_kop": amount, "decline_code": code})
            )
    bulk.update_by_id(session, _RUN, updates)
    notify.notify_sim_owners(session, messages)


@verb
def monthly_wanted(session: Session, sim_ids: list[int], period: str) -> list[tuple]:
    """First attempts of the monthly charge for these (due) SIMs."""
    if not sim_ids:
        return []
    rows = session.execute(
        select(AutopaySetting.sim_id, AutopaySetting.fixed_amount_kop, Tariff.monthly_fee_kop)
        .join(Sim, Sim.id == AutopaySetting.sim_id)
        .join(Tariff, Tariff.id == Sim.tariff_id)
        .where(
            bulk.id_in(session, AutopaySetting.sim_id, sim_ids),
            AutopaySetting.enabled,
            AutopaySetting.mode == "monthly",
        )
    ).all()
    return [(sid, period, "monthly", 1, fixed or fee) for sid, fixed, fee in rows]


@verb
def threshold_wanted(session: Session, sim_ids: list[int] | None = None) -> list[tuple]:
    """SIMs with a threshold rule whose balance is below it, keyed by the debit that took it
    there (so one debit triggers one top-up, however many times this is asked)."""
    last_debit = (
        select(func.max(LedgerEntry.id))
        .where(LedgerEntry.sim_id == AutopaySetting.sim_id, LedgerEntry.amount_kop < 0)
        .correlate(AutopaySetting)
        .scalar_subquery()
    )
    query = (
        select(AutopaySetting.sim_id, AutopaySetting.topup_kop, last_debit)
        .join(Sim, Sim.id == AutopaySetting.sim_id)
        .where(
            AutopaySetting.enabled,
            AutopaySetting.mode == "threshold",
            Sim.balance_kop < AutopaySetting.threshold_kop,
            Sim.status.in_(("active", "suspended", "blocked")),
        )
    )
    if sim_ids is not None:
        if not sim_ids:
            return []
        query = query.where(AutopaySetting.sim_id.in_(sim_ids))
    return [
        (sid, f"t{debit}", "threshold", 1, topup)
        for sid, topup, debit in session.execute(query).all()
        if debit is not None
    ]


@verb
def retries_wanted(session: Session, now: datetime) -> list[tuple]:
    """Failed attempts whose retry time has come, while the SIM still needs the money."""
    rows = session.execute(
        select(
            AutopayRun,
            Payment.amount_kop,
            Sim.balance_kop,
            AutopaySetting.threshold_kop,
            AutopaySetting.enabled,
        )
        .join(Payment, Payment.id == AutopayRun.payment_id)
        .join(Sim, Sim.id == AutopayRun.sim_id)
        .join(AutopaySetting, AutopaySetting.sim_id == AutopayRun.sim_id)
        .where(
            AutopayRun.status == "failed",
            AutopayRun.next_retry_at.is_not(None),
            AutopayRun.next_retry_at <= now,
        )
    ).all()
    wanted, consumed, not_needed = [], [], []
    for run, amount, balance, threshold, enabled in rows:
        consumed.append(run.id)
        needed = balance < 0 if run.mode == "monthly" else balance < (threshold or 0)
        if enabled and needed:
            wanted.append((run.sim_id, run.period, run.mode, run.attempt + 1, amount))
        else:
            not_needed.append(run.id)
    if consumed:
        session.execute(update(_RUN).where(_RUN.c.id.in_(consumed)).values(next_retry_at=None))
    return wanted


@verb
def run_threshold_checks(session: Session, gateway: Gateway, sim_ids: list[int] | None) -> dict:
    """Top up threshold-autopay SIMs that are below their threshold (all of them when None)."""
    claims = claim(session, threshold_wanted(session, sim_ids), cards.today())
    session.commit()
    return charge_claims(session, gateway, claims)
