"""The life of a payment: settle once, commissions, refunds, webhooks and the janitor."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
import time_machine
from sqlmodel import select

from paysim_app.billing import autopay, ledger, payments
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.i18n import t
from paysim_app.models import AuditLog, AutopayRun, Commission, LedgerEntry, Partner, Payment, Sim
from paysim_app.payments import ChargeResult, GatewayEvent, GatewayRefund
from tests.money_helpers import (
    GW,
    FlakyGateway,
    assert_ledger_consistent,
    card_topup,
    count,
    entries,
    fresh,
    msk,
    saved_card_row,
    sim_payments,
    travel,
)


def pending_payment(session, sim, amount_kop=50000, key="pay-1", method="card", **kw):
    payment = payments.new_payment(
        session,
        sim=sim,
        amount_kop=amount_kop,
        method=method,
        idempotency_key=key,
        gateway=GW.name,
        **kw,
    )
    session.commit()
    return payment.id


def commissions(session, payment_id=None, partner_id=None):
    query = select(Commission).order_by(Commission.id)
    if payment_id is not None:
        query = query.where(Commission.payment_id == payment_id)
    if partner_id is not None:
        query = query.where(Commission.partner_id == partner_id)
    session.expire_all()
    return list(session.exec(query).all())


# --------------------------------------------------------------------------- settle


def test_settle_credits_once_and_returns_only_what_it_changed(session, factory):
    sim = factory.sim(factory.subscriber(), balance_kop=1000)
    pid = pending_payment(session, sim)
    ok = ChargeResult("succeeded", "pi_1")
    assert payments.settle(session, [(pid, ok)]) == {pid: "succeeded"}
    session.commit()
    assert payments.settle(session, [(pid, ok)]) == {}
    assert payments.settle(session, [(pid, ChargeResult("failed", "pi_1", "card_declined"))]) == {}
    session.commit()
    p = fresh(session, Payment, pid)
    assert (p.status, p.gateway_ref, p.decline_code) == ("succeeded", "pi_1", None)
    assert p.completed_at is not None
    assert [e.kind for e in entries(session, sim.id)] == ["adjustment", "topup"]
    assert entries(session, sim.id)[-1].payment_id == pid
    assert assert_ledger_consistent(session, sim.id).balance_kop == 51000


def test_settle_failed_normalises_the_code_and_moves_no_money(session, factory):
    sim = factory.sim(factory.subscriber())
    pid = pending_payment(session, sim)
    changed = payments.settle(session, [(pid, ChargeResult("failed", "pi_2", "do_not_honor"))])
    session.commit()
    assert changed == {pid: "failed"}
    p = fresh(session, Payment, pid)
    assert (p.status, p.decline_code, p.gateway_ref) == ("failed", "card_declined", "pi_2")
    assert entries(session, sim.id) == []


def test_settle_of_a_batch_keeps_each_payments_reference_and_code(session, factory):
    sims = [factory.sim(factory.subscriber()) for _ in range(4)]
    pids = [
        pending_payment(session, s, 10000 * (i + 1), key=f"batch-{i}") for i, s in enumerate(sims)
    ]
    outcomes = [
        (pids[0], ChargeResult("succeeded", "pi_a")),
        (pids[1], ChargeResult("failed", "pi_b", "insufficient_funds")),
        (pids[2], ChargeResult("succeeded", "pi_c")),
        (pids[3], ChargeResult("failed", "pi_d", "requires_action")),
    ]
    assert payments.settle(session, outcomes) == {
        pids[0]: "succeeded",
        pids[1]: "failed",
        pids[2]: "succeeded",
        pids[3]: "failed",
    }
    session.commit()
    got = [
        (p.gateway_ref, p.status, p.decline_code)
        for p in (fresh(session, Payment, pid) for pid in pids)
    ]
    assert got == [
        ("pi_a", "succeeded", None),
        ("pi_b", "failed", "insufficient_funds"),
        ("pi_c", "succeeded", None),
        ("pi_d", "failed", "authentication_required"),
    ]
    assert [fresh(session, Sim, s.id).balance_kop for s in sims] == [10000, 0, 30000, 0]


def test_settle_pending_outcome_remembers_the_reference(session, factory):
    sim = factory.sim(factory.subscriber())
    pid = pending_payment(session, sim)
    assert payments.settle(session, [(pid, ChargeResult("pending", "pi_wait"))]) == {}
    session.commit()
    p = fresh(session, Payment, pid)
    assert (p.status, p.gateway_ref) == ("pending", "pi_wait")
    # the final outcome without a reference keeps the one we know
    payments.settle(session, [(pid, ChargeResult("succeeded", None))])
    session.commit()
    assert fresh(session, Payment, pid).gateway_ref == "pi_wait"


def test_charge_and_settle_with_unknown_outcome_leaves_the_payment_pending(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    payment = payments.new_payment(
        session,
        sim=sim,
        amount_kop=50000,
        method="card",
        idempotency_key="flaky-1",
        gateway=GW.name,
    )
    status = payments.charge_and_settle(
        session,
        FlakyGateway(charges_fail=True),
        payment,
        token="pm_x",
        customer="",
        off_session=False,
    )
    assert status == "pending"
    assert fresh(session, Payment, payment.id).status == "pending"
    assert fresh(session, Sim, sim.id).balance_kop == 0


# --------------------------------------------------------------------------- commissions


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        (10000, 500, 500),
        (10, 500, 1),  # 0.5 kop rounds half up
        (9, 500, 0),  # 0.45 kop rounds down
        (1999, 1250, 250),  # 249.875
        (12345, 333, 411),  # 411.0885
        (12345, 0, 0),
        (12345, 10000, 12345),
        (150_000_000, 999, 14_985_000),
    ],
)
def test_commission_of_rounds_half_up_in_integers(amount, rate, expected):
    assert payments.commission_of(amount, rate) == expected
    assert isinstance(payments.commission_of(amount, rate), int)


def test_commission_is_accrued_at_the_rate_of_the_payment_day(session, factory):
    partner = factory.partner()
    sim = factory.sim(factory.subscriber(), partner=partner)
    first = card_topup(session, sim, 33333)
    [accrual] = commissions(session, first)
    assert (accrual.kind, accrual.rate_bp, accrual.amount_kop, accrual.partner_id) == (
        "accrual",
        500,
        1667,
        partner.partner.id,
    )
    p = fresh(session, Partner, partner.partner.id)
    p.commission_bp = 1000
    session.commit()
    second = card_topup(session, fresh(session, Sim, sim.id), 33333)
    assert [(c.rate_bp, c.amount_kop) for c in commissions(session, first)] == [(500, 1667)]
    assert [(c.rate_bp, c.amount_kop) for c in commissions(session, second)] == [(1000, 3333)]


def test_no_commission_without_partner_rate_or_on_failures(session, factory):
    partner = factory.partner()
    zero = factory.partner()
    z = fresh(session, Partner, zero.partner.id)
    z.commission_bp = 0
    session.commit()
    card_topup(session, factory.sim(factory.subscriber()), 10000)  # no partner
    card_topup(session, factory.sim(factory.subscriber(), partner=zero), 10000)
    card_topup(session, factory.sim(factory.subscriber(), partner=partner), 10000, status="failed")
    sim = factory.sim(factory.subscriber(), partner=partner)
    pid = pending_payment(session, sim, 10000, key="correction-1", method="correction")
    payments.settle(session, [(pid, ChargeResult("succeeded", None))])
    session.commit()
    assert commissions(session) == []
    assert fresh(session, Sim, sim.id).balance_kop == 10000


def test_commission_goes_to_the_partner_named_on_the_payment(session, factory):
    seller, other = factory.partner(), factory.partner()
    sim = factory.sim(factory.subscriber(), partner=seller)
    pid = pending_payment(
        session, sim, 20000, key="partner-pay", method="partner", partner_id=other.partner.id
    )
    payments.settle(session, [(pid, ChargeResult("succeeded", None))])
    session.commit()
    assert [c.partner_id for c in commissions(session, pid)] == [other.partner.id]


# --------------------------------------------------------------------------- refunds


def test_refund_debits_the_ledger_reverses_commission_and_is_audited(session, factory):
    admin = factory.superadmin()
    partner = factory.partner()
    sub = factory.subscriber()
    sim = factory.sim(sub, partner=partner, balance_kop=5000)
    pid = card_topup(session, sim, 40000)
    loaded = session.get(Payment, pid)
    assert loaded.status == "succeeded"
    gw = FlakyGateway()
    payments.refund_payment(session, admin, gw, pid, "  ошибочный платёж  ")
    session.commit()
    # a Payment object loaded in this session follows the refund too
    assert loaded.status == "refunded"
    last = entries(session, sim.id)[-1]
    assert (last.kind, last.amount_kop, last.payment_id, last.actor_user_id, last.comment) == (
        "refund",
        -40000,
        pid,
        admin.user_id,
        "ошибочный платёж",
    )
    assert assert_ledger_consistent(session, sim.id).balance_kop == 5000
    assert [(c.kind, c.amount_kop) for c in commissions(session, pid)] == [
        ("accrual", 2000),
        ("reversal", -2000),
    ]
    assert sum(c.amount_kop for c in commissions(session, partner_id=partner.partner.id)) == 0
    # the key names what was refunded before (nothing): a retry is the same gateway request
    assert gw.refunded == [f"refund:{fresh(session, Payment, pid).idempotency_key}:0"]
    [row] = session.exec(select(AuditLog).where(AuditLog.action == "payment.refund")).all()
    assert (row.actor_user_id, row.entity, row.entity_id) == (admin.user_id, "payment", str(pid))
    assert "ошибочный платёж" in row.after


def test_refund_of_spent_money_puts_the_sim_in_debt(session, factory):
    admin = factory.superadmin()
    sim = factory.sim(factory.subscriber())
    pid = card_topup(session, sim, 50000)
    ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -45000, fee_period="2026-11"))
    session.commit()
    payments.refund_payment(session, admin, GW, pid, "chargeback")
    session.commit()
    s = assert_ledger_consistent(session, sim.id)
    assert (s.balance_kop, s.status) == (-45000, "suspended")


def test_refund_twice_is_refused_and_changes_nothing(session, factory):
    admin = factory.superadmin()
    sim = factory.sim(factory.subscriber(), partner=factory.partner())
    pid = card_topup(session, sim, 30000)
    payments.refund_payment(session, admin, GW, pid, "first")
    session.commit()
    gw = FlakyGateway()
    with pytest.raises(DomainError) as err:
        payments.refund_payment(session, admin, gw, pid, "second")
    assert err.value.code == "payment.error.not_refundable"
    session.rollback()
    assert gw.refunded == []  # the gateway was not asked a second time
    assert [e.kind for e in entries(session, sim.id)] == ["topup", "refund"]
    assert count(session, Commission, Commission.kind == "reversal") == 1


def test_refund_needs_the_refund_permission(session, factory):
    sub = factory.subscriber()
    partner = factory.partner()
    sim = factory.sim(sub, partner=partner)
    pid = card_topup(session, sim, 30000)
    gw = FlakyGateway()
    for actor in (factory.support(), sub, partner.actor, None):
        with pytest.raises(PermissionDenied):
            payments.refund_payment(session, actor, gw, pid, "please")
        session.rollback()
    assert gw.refunded == []
    assert fresh(session, Payment, pid).status == "succeeded"
    assert fresh(session, Sim, sim.id).balance_kop == 30000


def test_refund_refusals(session, factory):
    admin = factory.superadmin()
    sim = factory.sim(factory.subscriber())
    failed = card_topup(session, sim, 30000, status="failed")
    pending = pending_payment(session, sim, key="still-pending")
    ok = card_topup(session, sim, 30000)
    with pytest.raises(ValidationError) as err:
        payments.refund_payment(session, admin, GW, ok, "   ")
    assert err.value.field == "comment"
    with pytest.raises(NotFound):
        payments.refund_payment(session, admin, GW, 999_999, "x")
    for pid in (failed, pending):
        with pytest.raises(DomainError) as err:
            payments.refund_payment(session, admin, GW, pid, "x")
        assert err.value.code == "payment.error.not_refundable"
    session.rollback()
    assert fresh(session, Sim, sim.id).balance_kop == 30000
    assert count(session, LedgerEntry, LedgerEntry.kind == "refund") == 0


def test_refund_the_gateway_refuses_changes_nothing(session, factory):
    admin = factory.superadmin()
    sim = factory.sim(factory.subscriber())
    pid = card_topup(session, sim, 30000)
    with pytest.raises(DomainError) as err:
        payments.refund_payment(session, admin, FlakyGateway(refunds_fail=True), pid, "x")
    assert err.value.code == "payment.error.refund_failed"
    assert t(err.value.code, "en", **err.value.params) == (
        "The gateway did not refund it (processing_error)."
    )
    session.rollback()
    assert fresh(session, Payment, pid).status == "succeeded"
    assert fresh(session, Sim, sim.id).balance_kop == 30000


def test_refund_of_a_correction_does_not_call_the_gateway(session, factory):
    admin = factory.superadmin()
    sim = factory.sim(factory.subscriber())
    pid = pending_payment(session, sim, 10000, key="corr-2", method="correction")
    payments.settle(session, [(pid, ChargeResult("succeeded", None))])
    session.commit()
    gw = FlakyGateway()
    payments.refund_payment(session, admin, gw, pid, "undo")
    session.commit()
    assert gw.refunded == []
    assert fresh(session, Sim, sim.id).balance_kop == 0


# --------------------------------------------------------------------------- webhooks


_events = itertools.count(1)


def event(kind, key=None, ref=None, code=None, **refund):
    return GatewayEvent(
        event_id=f"evt_{next(_events)}",
        kind=kind,
        payment_key=key,
        gateway_ref=ref,
        decline_code=code,
        **refund,
    )


def test_payment_succeeded_event_settles_once(session, factory):
    partner = factory.partner()
    sim = factory.sim(factory.subscriber(), partner=partner)
    pid = pending_payment(session, sim, 25000, key="hook-1")
    assert payments.apply_event(session, event("payment_succeeded", "hook-1", "pi_h1")) == "applied"
    session.commit()
    assert payments.apply_event(session, event("payment_succeeded", "hook-1", "pi_h1")) == (
        "duplicate"
    )
    session.commit()
    p = fresh(session, Payment, pid)
    assert (p.status, p.gateway_ref) == ("succeeded", "pi_h1")
    assert assert_ledger_consistent(session, sim.id).balance_kop == 25000
    assert len(commissions(session, pid)) == 1
    # a late "failed" for a payment that succeeded changes nothing
    assert payments.apply_event(session, event("payment_failed", "hook-1", code="x")) == (
        "duplicate"
    )
    assert fresh(session, Payment, pid).status == "succeeded"


def test_event_found_by_gateway_reference(session, factory):
    sim = factory.sim(factory.subscriber())
    pid = pending_payment(session, sim, 25000, key="hook-2")
    payments.settle(session, [(pid, ChargeResult("pending", "pi_by_ref"))])
    session.commit()
    assert payments.apply_event(session, event("payment_succeeded", ref="pi_by_ref")) == "applied"
    session.commit()
    assert fresh(session, Sim, sim.id).balance_kop == 25000


def test_unknown_and_ignored_events(session, factory):
    sim = factory.sim(factory.subscriber())
    pending_payment(session, sim, key="hook-3")
    assert payments.apply_event(session, event("payment_succeeded", "no-such-key")) == "unknown"
    assert payments.apply_event(session, event("payment_succeeded", ref="pi_nope")) == "unknown"
    assert payments.apply_event(session, event("payment_succeeded")) == "unknown"
    assert payments.apply_event(session, event("other", "hook-3")) == "ignored"
    session.commit()
    assert sim_payments(session, sim.id)[0].status == "pending"
    assert entries(session, sim.id) == []


def test_payment_failed_event_sets_the_decline_code(session, factory):
    sim = factory.sim(factory.subscriber())
    pid = pending_payment(session, sim, key="hook-4")
    out = payments.apply_event(
        session, event("payment_failed", "hook-4", "pi_f", "generic_decline")
    )
    assert out == "applied"
    session.commit()
    p = fresh(session, Payment, pid)
    assert (p.status, p.decline_code) == ("failed", "card_declined")
    assert payments.apply_event(session, event("payment_succeeded", "hook-4")) == "duplicate"
    session.commit()
    assert fresh(session, Sim, sim.id).balance_kop == 0


def test_refunded_event_refunds_once(session, factory):
    sim = factory.sim(factory.subscriber(), partner=factory.partner())
    pid = card_topup(session, sim, 30000)
    key = fresh(session, Payment, pid).idempotency_key
    whole = {"refunds": (GatewayRefund("re_whole", 30000),)}
    assert payments.apply_event(session, event("refunded", key, **whole)) == "applied"
    session.commit()
    assert payments.apply_event(session, event("refunded", key, **whole)) == "duplicate"
    # the same refund as the charge's running total: nothing more
    assert payments.apply_event(session, event("refunded", key, refunded_total_kop=30000)) == (
        "duplicate"
    )
    session.commit()
    assert fresh(session, Payment, pid).status == "refunded"
    assert [e.kind for e in entries(session, sim.id)] == ["topup", "refund"]
    assert entries(session, sim.id)[-1].actor_user_id is None
    assert [c.kind for c in commissions(session, pid)] == ["accrual", "reversal"]


# --------------------------------------------------------------------------- the janitor


def autopay_sim(session, factory, fee_kop=50000):
    sub = factory.subscriber()
    sim = factory.sim(sub, tariff=factory.tariff(fee_kop=fee_kop), billing_day=5)
    card = saved_card_row(session, sub, default=True)
    autopay.set_autopay(session, sub, sim.id, autopay.AutopayForm("monthly", card.id))
    session.commit()
    return sub, sim


def test_reconcile_settles_an_old_pending_autopay_payment(session, factory):
    with travel(date(2026, 11, 5)):
        sub, sim = autopay_sim(session, factory)
        claims = autopay.claim(
            session, autopay.monthly_wanted(session, [sim.id], "2026-11"), date(2026, 11, 5)
        )
        session.commit()
        flaky = FlakyGateway(charges_fail=True)
        assert autopay.charge_claims(session, flaky, claims) == {
            "succeeded": 0,
            "failed": 0,
            "pending": 1,
        }
        [payment] = sim_payments(session, sim.id)
        assert payment.status == "pending"
        # fresh: the janitor leaves it to the charge that may still be in flight
        gw = FlakyGateway()
        assert payments.reconcile_pending(session, gw, older_than=timedelta(minutes=5)) == 0
        assert gw.charged == []
    with time_machine.travel(msk(2026, 11, 5, 9, 10), tick=False):
        assert payments.reconcile_pending(session, gw, older_than=timedelta(minutes=5)) == 1
        # it repeated the charge with the same key, so the card was charged at most once
        assert gw.charged == [payment.idempotency_key]
        assert payments.reconcile_pending(session, gw, older_than=timedelta(minutes=5)) == 0
    p = fresh(session, Payment, payment.id)
    assert p.status == "succeeded"
    assert assert_ledger_consistent(session, sim.id).balance_kop == 50000
    [run] = session.exec(select(AutopayRun).where(AutopayRun.sim_id == sim.id)).all()
    assert (run.status, run.payment_id) == ("succeeded", p.id)


def test_reconcile_leaves_payments_alone_while_the_gateway_is_down(session, factory):
    with travel(date(2026, 11, 5)):
        _, sim = autopay_sim(session, factory)
        claims = autopay.claim(
            session, autopay.monthly_wanted(session, [sim.id], "2026-11"), date(2026, 11, 5)
        )
        session.commit()
        autopay.charge_claims(session, FlakyGateway(charges_fail=True), claims)
    with time_machine.travel(msk(2026, 11, 5, 10), tick=False):
        down = FlakyGateway(charges_fail=True)
        assert payments.reconcile_pending(session, down, older_than=timedelta(minutes=5)) == 0
    assert sim_payments(session, sim.id)[0].status == "pending"


def test_reconcile_fails_a_one_time_card_payment_the_gateway_never_saw(session, factory):
    sim = factory.sim(factory.subscriber())
    with travel(date(2026, 11, 5)):
        pid = pending_payment(session, sim, key="one-time")
    with time_machine.travel(msk(2026, 11, 5, 10), tick=False):
        assert payments.reconcile_pending(session, GW, older_than=timedelta(minutes=5)) == 1
    p = fresh(session, Payment, pid)
    assert (p.status, p.decline_code) == ("failed", "processing_error")
    assert fresh(session, Sim, sim.id).balance_kop == 0
