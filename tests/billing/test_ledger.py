"""The append-only ledger: balance == sum(entries) == last balance_after, whatever happens, and
debt suspends / a credit restores a SIM."""

from __future__ import annotations

import itertools
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from paysim_app.billing import ledger, payments
from paysim_app.core.errors import DomainError
from paysim_app.models import Commission, LedgerEntry, Payment, Sim
from tests.money_helpers import (
    GW,
    assert_ledger_consistent,
    card_topup,
    count,
    entries,
    fresh,
    notifications,
)

_periods = itertools.count(1)


def next_period() -> str:
    """A fresh 'YYYY-MM' (a SIM pays one fee per period)."""
    n = next(_periods)
    return f"{2100 + n // 12}-{n % 12 + 1:02d}"


# --------------------------------------------------------------------------- plain postings


def test_post_writes_entry_and_moves_balance(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=10000)
    entry = ledger.post(session, ledger.Posting(sim.id, "adjustment", 2550, comment="bonus"))
    session.commit()
    assert entry.balance_after_kop == 12550 and entry.kind == "adjustment"
    assert fresh(session, Sim, sim.id).balance_kop == 12550
    assert ledger.entries_total(session, sim.id) == 12550
    assert_ledger_consistent(session, sim.id)


def test_post_many_keeps_order_and_balance_after(session, factory):
    sub = factory.subscriber()
    a, b = factory.sim(sub, balance_kop=1000), factory.sim(sub)
    got = ledger.post_many(
        session,
        [
            ledger.Posting(b.id, "adjustment", 500),
            ledger.Posting(a.id, "adjustment", -300),
            ledger.Posting(b.id, "adjustment", 700),
        ],
    )
    session.commit()
    assert [(e.sim_id, e.balance_after_kop) for e in got] == [
        (b.id, 500),
        (a.id, 700),
        (b.id, 1200),
    ]
    assert_ledger_consistent(session, a.id)
    assert_ledger_consistent(session, b.id)


def test_post_refuses_zero_or_non_integer_amounts(session, factory):
    sim = factory.sim(factory.subscriber(), balance_kop=1000)
    for amount in (0, 1.5, "100", None):
        with pytest.raises(ValueError):
            ledger.post(session, ledger.Posting(sim.id, "adjustment", amount))
        session.rollback()
    assert fresh(session, Sim, sim.id).balance_kop == 1000
    assert len(entries(session, sim.id)) == 1


def test_post_to_a_missing_sim_is_refused(session):
    with pytest.raises(LookupError):
        ledger.post(session, ledger.Posting(999_999, "adjustment", 100))
    session.rollback()
    assert count(session, LedgerEntry) == 0


def test_a_loaded_sim_object_sees_the_new_balance(session, factory):
    sim = factory.sim(factory.subscriber(), balance_kop=100)
    assert sim.balance_kop == 100  # loaded in this session
    ledger.post(session, ledger.Posting(sim.id, "adjustment", -500))
    assert sim.balance_kop == -400 and sim.status == "suspended"
    session.commit()


def test_debit_below_zero_suspends_and_credit_restores(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=10000)
    ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -30000, fee_period="2026-11"))
    session.commit()
    s = fresh(session, Sim, sim.id)
    assert (s.balance_kop, s.status) == (-20000, "suspended")
    assert len(notifications(session, sub, "sim_suspended")) == 1
    # a credit that still leaves a debt keeps it suspended
    ledger.post(session, ledger.Posting(sim.id, "adjustment", 5000))
    session.commit()
    assert fresh(session, Sim, sim.id).status == "suspended"
    # a debit of a suspended SIM does not suspend it again (no second message)
    ledger.post(session, ledger.Posting(sim.id, "adjustment", -1000))
    session.commit()
    assert len(notifications(session, sub, "sim_suspended")) == 1
    # reaching exactly zero restores it
    ledger.post(session, ledger.Posting(sim.id, "adjustment", 16000))
    session.commit()
    s = fresh(session, Sim, sim.id)
    assert (s.balance_kop, s.status) == (0, "active")
    assert len(notifications(session, sub, "sim_restored")) == 1
    assert_ledger_consistent(session, sim.id)


def test_debit_leaving_balance_at_zero_does_not_suspend(session, factory):
    sim = factory.sim(factory.subscriber(), balance_kop=500)
    ledger.post(session, ledger.Posting(sim.id, "adjustment", -500))
    session.commit()
    assert fresh(session, Sim, sim.id).status == "active"


def test_debt_does_not_change_other_statuses(session, factory):
    sub = factory.subscriber()
    for status in ("blocked", "deactivated", "awaiting_activation", "in_stock"):
        sim = factory.sim(sub, status=status, balance_kop=100)
        ledger.post(session, ledger.Posting(sim.id, "adjustment", -1000))
        ledger.post(session, ledger.Posting(sim.id, "adjustment", 5000))
        session.commit()
        s = fresh(session, Sim, sim.id)
        assert (s.status, s.balance_kop) == (status, 4100)


def test_credit_restores_a_suspended_sim_that_was_blocked_afterwards(session, factory):
    sim = factory.sim(factory.subscriber(), balance_kop=-500)
    s = fresh(session, Sim, sim.id)
    s.status, s.status_before_block = "blocked", "suspended"
    session.commit()
    ledger.post(session, ledger.Posting(sim.id, "adjustment", 500))
    session.commit()
    s = fresh(session, Sim, sim.id)
    # still blocked, but lifting the block brings it back to active, not to suspended
    assert (s.status, s.status_before_block) == ("blocked", "active")


def test_batch_of_debit_and_credit_uses_the_net_change(session, factory):
    """post_many moves the SIM once by the net amount: -300 then +500 from 100 ends at 300 and
    never suspends."""
    sim = factory.sim(factory.subscriber(), balance_kop=100)
    got = ledger.post_many(
        session,
        [ledger.Posting(sim.id, "adjustment", -300), ledger.Posting(sim.id, "adjustment", 500)],
    )
    session.commit()
    assert [e.balance_after_kop for e in got] == [-200, 300]
    assert fresh(session, Sim, sim.id).status == "active"
    assert_ledger_consistent(session, sim.id)


def test_posting_records_debited_sims(session, factory):
    sim = factory.sim(factory.subscriber(), balance_kop=1000)
    other = factory.sim(factory.subscriber(), balance_kop=1000)
    ledger.post_many(
        session,
        [ledger.Posting(sim.id, "adjustment", -100), ledger.Posting(other.id, "adjustment", 100)],
    )
    assert ledger.pop_debited(session) == {sim.id}
    assert ledger.pop_debited(session) == set()
    session.commit()


# --------------------------------------------------------------------------- the property

OPS = st.one_of(
    st.tuples(st.just("topup"), st.integers(1000, 300_000)),
    st.tuples(st.just("fee"), st.integers(1, 200_000)),
    st.tuples(st.just("refund"), st.integers(0, 50)),
    st.tuples(st.just("adjust"), st.integers(-200_000, 200_000).filter(bool)),
)


def test_ledger_property_random_money_movements(session, factory):
    """Random sequences of settled card top-ups, monthly fees, refunds and corrections keep
    balance == sum(entries) == last balance_after, suspend exactly when a debit takes an active
    SIM below zero and restore exactly when a credit brings it back to >= 0; commissions follow
    the payments that stayed paid."""
    sub = factory.subscriber()
    admin = factory.superadmin()
    partner = factory.partner()
    rate = partner.partner.commission_bp
    counts = {"suspended": 0, "restored": 0}

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(start=st.integers(0, 100_000), ops=st.lists(OPS, min_size=1, max_size=12))
    def run(start, ops):
        sim = factory.sim(sub, partner=partner, balance_kop=start)
        balance, status = start, "active"
        suspensions = restorations = 0
        paid: list[tuple[int, int]] = []  # (payment id, amount) still refundable
        refunded: list[int] = []
        for op, value in ops:
            if op == "refund" and not paid:
                if refunded:  # a second refund of the same payment is refused and changes nothing
                    with pytest.raises(DomainError):
                        payments.refund_payment(session, admin, GW, refunded[0], "again")
                    session.rollback()
                continue
            if op == "topup":
                pid = card_topup(session, fresh(session, Sim, sim.id), value)
                paid.append((pid, value))
                delta = value
            elif op == "fee":
                ledger.post(
                    session, ledger.Posting(sim.id, "monthly_fee", -value, fee_period=next_period())
                )
                session.commit()
                delta = -value
            elif op == "refund":
                pid, amount = paid.pop(value % len(paid))
                payments.refund_payment(session, admin, GW, pid, "test refund")
                session.commit()
                refunded.append(pid)
                delta = -amount
            else:
                ledger.post(
                    session,
                    ledger.Posting(
                        sim.id,
                        "adjustment",
                        value,
                        actor_user_id=admin.user_id,
                        comment="correction",
                    ),
                )
                session.commit()
                delta = value
            balance += delta
            if delta < 0 and balance < 0 and status == "active":
                status, suspensions = "suspended", suspensions + 1
            elif delta > 0 and balance >= 0 and status == "suspended":
                status, restorations = "active", restorations + 1
            s = assert_ledger_consistent(session, sim.id)
            assert (s.balance_kop, s.status) == (balance, status)
            assert ledger.entries_total(session, sim.id) == balance
        rows = session.exec(
            select(Commission.amount_kop, Payment.id, Payment.amount_kop, Payment.status)
            .join(Payment, Payment.id == Commission.payment_id)
            .where(Payment.sim_id == sim.id)
        ).all()
        total = sum(r[0] for r in rows)
        expected = sum(payments.commission_of(a, rate) for _, a in paid)
        assert total == expected
        assert all(r[3] in ("succeeded", "refunded") for r in rows)
        refunded_rows = session.exec(
            select(Payment.id).where(Payment.sim_id == sim.id, Payment.status == "refunded")
        ).all()
        assert sorted(refunded_rows) == sorted(refunded)
        counts["suspended"] += suspensions
        counts["restored"] += restorations

    run()
    assert len(notifications(session, sub, "sim_suspended")) == counts["suspended"]
    assert len(notifications(session, sub, "sim_restored")) == counts["restored"]


# --------------------------------------------------------------------------- concurrency


@pytest.mark.postgres
def test_concurrent_topups_and_charges_lose_nothing(backend, session, factory, new_session):
    """20 workers, each in its own session, top up and charge one SIM at the same time."""
    if backend != "postgres":
        pytest.skip("row locks and real parallel writers: PostgreSQL only")
    sub = factory.subscriber()
    start = 50_000
    sim = factory.sim(sub, balance_kop=start)
    workers, rounds = 20, 4
    sessions = [new_session() for _ in range(workers)]
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    expected = [0] * workers

    def work(i: int) -> None:
        s = sessions[i]
        try:
            barrier.wait(timeout=30)
            for j in range(rounds):
                if (i + j) % 2 == 0:
                    amount = 1000 * (i + 1) + j
                    card_topup(s, s.get(Sim, sim.id), amount)
                    expected[i] += amount
                elif j % 3 == 0:
                    ledger.post(
                        s,
                        ledger.Posting(
                            sim.id, "monthly_fee", -(700 + i), fee_period=f"{2000 + i}-{j + 1:02d}"
                        ),
                    )
                    s.commit()
                    expected[i] -= 700 + i
                else:
                    ledger.post(s, ledger.Posting(sim.id, "adjustment", -(2000 + j)))
                    s.commit()
                    expected[i] -= 2000 + j
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            s.rollback()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    total = start + sum(expected)
    s = assert_ledger_consistent(session, sim.id)
    assert s.balance_kop == total == ledger.entries_total(session, sim.id)
    assert len(entries(session, sim.id)) == 1 + workers * rounds
    assert s.status == ("active" if total >= 0 else "suspended")
    assert count(session, Payment, Payment.sim_id == sim.id, Payment.status == "succeeded") == sum(
        1 for i in range(workers) for j in range(rounds) if (i + j) % 2 == 0
    )
