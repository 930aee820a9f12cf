"""Shared helpers for the money tests (ledger, payments, billing, autopay, top-ups, cards)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func
from sqlmodel import select

import paysim_app.catalogue  # noqa: F401 - registers the add-on renewals bill() runs
from paysim_app.billing import cycle, payments
from paysim_app.core.permissions import Actor
from paysim_app.models import (
    AutopayRun,
    LedgerEntry,
    Notification,
    OutboxEmail,
    Payment,
    SavedCard,
    Sim,
)
from paysim_app.payments import ChargeResult, GatewayError, RefundResult
from paysim_app.payments.sandbox import SandboxGateway

MSK = ZoneInfo("Europe/Moscow")
GW = SandboxGateway()
LONG_AGO = datetime(2025, 1, 10, 12, 0, tzinfo=MSK)  # "activated a long time ago"
_keys = itertools.count(1)


def msk(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment of a Moscow calendar day."""
    return datetime(y, m, d, hour, minute, tzinfo=MSK)


def travel(day: date | datetime, hour: int = 9):
    """Freeze the clock (utcnow, cards.today) on `day` at `hour` Moscow time."""
    moment = day if isinstance(day, datetime) else msk(day.year, day.month, day.day, hour)
    return time_machine.travel(moment, tick=False)


def bill(session, day: date, **kw) -> cycle.BillingReport:
    """Run the billing cycle on `day` with the clock on that morning."""
    with travel(day):
        return cycle.run_billing(session, GW, day, **kw)


def fresh(session, model, pk):
    session.expire_all()
    return session.get(model, pk)


def entries(session, sim_id: int) -> list[LedgerEntry]:
    session.expire_all()
    return list(
        session.exec(
            select(LedgerEntry).where(LedgerEntry.sim_id == sim_id).order_by(LedgerEntry.id)
        ).all()
    )


def fees(session, sim_id: int) -> list[str]:
    """The periods of the SIM's monthly fees, in order."""
    return [e.fee_period for e in entries(session, sim_id) if e.kind == "monthly_fee"]


def assert_ledger_consistent(session, sim_id: int) -> Sim:
    """balance == sum(entries) == last balance_after, and every balance_after follows from the
    previous one by the entry's amount (ordered by id)."""
    rows = entries(session, sim_id)
    sim = session.get(Sim, sim_id)
    total = 0
    for row in rows:
        total += row.amount_kop
        assert row.balance_after_kop == total, (row.id, row.balance_after_kop, total)
    assert sim.balance_kop == total
    if rows:
        assert rows[-1].balance_after_kop == sim.balance_kop
    return sim


def count(session, model, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def notifications(session, actor: Actor | int, kind: str | None = None) -> list[Notification]:
    user_id = actor.user_id if isinstance(actor, Actor) else actor
    query = select(Notification).where(Notification.user_id == user_id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    session.expire_all()
    return list(session.exec(query.order_by(Notification.id)).all())


def emails(session, to: str | None = None, kind: str | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail)
    if to is not None:
        query = query.where(OutboxEmail.to_address == to)
    if kind is not None:
        query = query.where(OutboxEmail.kind == kind)
    session.expire_all()
    return list(session.exec(query.order_by(OutboxEmail.id)).all())


def runs(session, sim_id: int) -> list[AutopayRun]:
    session.expire_all()
    return list(
        session.exec(
            select(AutopayRun).where(AutopayRun.sim_id == sim_id).order_by(AutopayRun.id)
        ).all()
    )


def sim_payments(session, sim_id: int, method: str | None = None) -> list[Payment]:
    query = select(Payment).where(Payment.sim_id == sim_id)
    if method is not None:
        query = query.where(Payment.method == method)
    session.expire_all()
    return list(session.exec(query.order_by(Payment.id)).all())


def saved_card_row(
    session,
    subscriber: Actor,
    number: str = "4242424242424242",
    *,
    exp_month: int = 12,
    exp_year: int = 2034,
    default: bool = False,
) -> SavedCard:
    """A saved card as if it had been saved earlier, when it still worked (the sandbox refuses
    to save most declining cards) or before it expired."""
    token = GW.test_card(number, exp_month, exp_year)
    card = SavedCard(
        subscriber_id=subscriber.subscriber_id,
        gateway=GW.name,
        gateway_token=token.token,
        gateway_customer=GW.create_customer(reference=f"subscriber:{subscriber.subscriber_id}"),
        brand=token.brand,
        last4=token.last4,
        exp_month=exp_month,
        exp_year=exp_year,
        is_default=default,
    )
    session.add(card)
    session.commit()
    return card


def card_topup(session, sim: Sim, amount_kop: int, *, status: str = "succeeded") -> int:
    """A card payment for the SIM, created pending and settled through payments.settle."""
    key = f"test-topup-{next(_keys)}"
    payment = payments.new_payment(
        session,
        sim=sim,
        amount_kop=amount_kop,
        method="card",
        idempotency_key=key,
        gateway=GW.name,
    )
    pid = payment.id
    session.commit()
    code = None if status == "succeeded" else "card_declined"
    payments.settle(session, [(pid, ChargeResult(status, f"pi_test_{key}", code))])
    session.commit()
    return pid


class FlakyGateway(SandboxGateway):
    """The sandbox, with a switch that makes charges (or refunds) fail in transit and a log of
    every charge it answered."""

    def __init__(self, *, charges_fail: bool = False, refunds_fail: bool = False):
        super().__init__()
        self.charges_fail = charges_fail
        self.refunds_fail = refunds_fail
        self.charged: list[str] = []  # idempotency keys the gateway answered
        self.refunded: list[str] = []

    def charge(self, **kw):
        if self.charges_fail:
            raise GatewayError("timeout")
        self.charged.append(kw["idempotency_key"])
        return super().charge(**kw)

    def refund(self, **kw):
        self.refunded.append(kw["idempotency_key"])
        if self.refunds_fail:
            return RefundResult("failed", None, "processing_error")
        return super().refund(**kw)


def top_up_on_page(session, actor, sim_id, amount_kop, request_key, number="4242424242424242"):
    """A top-up with a new card as the subscriber makes it: paid on the sandbox's hosted page,
    read back through the return URL."""
    from paysim_app.billing import topups
    from tests.payments.checkout_helpers import pay_on_page

    out = topups.top_up_by_card(
        session, actor, GW, sim_id=sim_id, amount_kop=amount_kop, request_key=request_key
    )
    pay_on_page(GW, out.redirect_url, number, confirm=True)
    return topups.topup_result(session, actor, GW, out.payment_id)
