"""The billing cycle: each SIM pays its monthly fee exactly once per period, whatever happens."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import select

from paysim_app.billing import autopay, cycle, ledger
from paysim_app.i18n.formats import phone
from paysim_app.models import BillingRun, LedgerEntry, Payment, Sim, Tariff
from tests.money_helpers import (
    GW,
    LONG_AGO,
    assert_ledger_consistent,
    bill,
    count,
    emails,
    fees,
    fresh,
    msk,
    notifications,
    saved_card_row,
    sim_payments,
    top_up_on_page,
    travel,
)

NOV5 = date(2026, 11, 5)


@pytest.fixture
def tariff(factory):
    return factory.tariff(fee_kop=50000)


def due(factory, sub, tariff, *, day=5, balance=100_000, **kw):
    return factory.sim(
        sub,
        tariff=tariff,
        billing_day=day,
        balance_kop=balance,
        activated_at=kw.pop("activated_at", LONG_AGO),
        **kw,
    )


def billing_runs(session) -> list[str]:
    session.expire_all()
    return list(session.exec(select(BillingRun.run_date).order_by(BillingRun.run_date)).all())


# --------------------------------------------------------------------------- once per period


def test_run_charges_due_sims_and_a_second_run_charges_nothing(session, factory, tariff):
    sub = factory.subscriber()
    today, passed, later = (due(factory, sub, tariff, day=d) for d in (5, 3, 6))
    report = bill(session, NOV5)
    assert (report.days, report.due, report.fees, report.fees_kop, report.suspended) == (
        ["2026-11-05"],
        2,
        2,
        100_000,
        0,
    )
    for sim in (today, passed):
        assert fees(session, sim.id) == ["2026-11"]
        [fee] = [e for e in ledger_rows(session, sim.id) if e.kind == "monthly_fee"]
        assert (fee.amount_kop, fee.balance_after_kop) == (-50000, 50000)
        assert assert_ledger_consistent(session, sim.id).balance_kop == 50000
    assert fees(session, later.id) == []
    assert billing_runs(session) == ["2026-11-05"]

    again = bill(session, NOV5)
    assert (again.due, again.fees, again.fees_kop) == (0, 0, 0)
    assert count(session, LedgerEntry, LedgerEntry.kind == "monthly_fee") == 2
    # the next day, the SIM whose billing day it is pays; the others were paid already
    assert bill(session, date(2026, 11, 6)).fees == 1
    assert fees(session, later.id) == ["2026-11"]
    # and next month everybody pays again, once
    assert bill(session, date(2026, 12, 6)).fees == 3
    assert fees(session, today.id) == ["2026-11", "2026-12"]


def ledger_rows(session, sim_id):
    session.expire_all()
    return list(
        session.exec(
            select(LedgerEntry).where(LedgerEntry.sim_id == sim_id).order_by(LedgerEntry.id)
        ).all()
    )


def test_sims_that_are_not_billed(session, factory, tariff):
    sub = factory.subscriber()
    skipped = {
        status: due(factory, sub, tariff, status=status)
        for status in ("suspended", "blocked", "deactivated", "awaiting_activation", "in_stock")
    }
    skipped["no_tariff"] = due(factory, sub, None)
    skipped["free_tariff"] = due(factory, sub, factory.tariff(fee_kop=0))
    # activated just after the billing day ended
    skipped["activated_later"] = due(factory, sub, tariff, activated_at=msk(2026, 11, 6, 0, 5))
    skipped["billing_day_ahead"] = due(factory, sub, tariff, day=6)
    control = due(factory, sub, tariff)
    report = bill(session, NOV5)
    assert (report.due, report.fees) == (1, 1)
    assert fees(session, control.id) == ["2026-11"]
    for kind, sim in skipped.items():
        assert fees(session, sim.id) == [], kind
        assert fresh(session, Sim, sim.id).balance_kop == 100_000, kind


def test_a_sim_activated_earlier_on_the_billing_day_pays(session, factory, tariff):
    sim = due(factory, factory.subscriber(), tariff, activated_at=msk(2026, 11, 5, 8))
    assert bill(session, NOV5).fees == 1
    assert fees(session, sim.id) == ["2026-11"]


# --------------------------------------------------------------------------- catching up


def test_catch_up_bills_every_missed_period_once(session, factory, tariff):
    """The server was down from 20 September to 10 November: the run bills 30.09, 31.10 and
    today; each SIM pays one fee per period whose billing day it missed."""
    sub = factory.subscriber()
    early = due(factory, sub, tariff, day=5)
    late = due(factory, sub, tariff, day=25)
    newcomer = due(factory, sub, tariff, day=12, activated_at=msk(2026, 10, 10))
    poor = due(factory, sub, tariff, day=25, balance=20_000)
    # what the last run (20 September) did: early paid its September fee
    ledger.post(session, ledger.Posting(early.id, "monthly_fee", -50000, fee_period="2026-09"))
    session.add(BillingRun(run_date="2026-09-20"))
    session.commit()

    report = bill(session, date(2026, 11, 10))
    assert report.days == ["2026-09-30", "2026-10-31", "2026-11-10"]
    assert fees(session, early.id) == ["2026-09", "2026-10", "2026-11"]
    assert fees(session, late.id) == ["2026-09", "2026-10"]  # 25.11 has not come yet
    assert fees(session, newcomer.id) == ["2026-10"]  # not in service in September
    # the September fee put this one in debt: a suspended SIM pays no more fees
    assert fees(session, poor.id) == ["2026-09"]
    assert fresh(session, Sim, poor.id).status == "suspended"
    assert report.fees == 2 + 2 + 1 + 1
    for sim in (early, late, newcomer, poor):
        assert_ledger_consistent(session, sim.id)
    assert billing_runs(session) == ["2026-09-20", "2026-09-30", "2026-10-31", "2026-11-10"]

    assert bill(session, date(2026, 11, 10)).fees == 0
    assert bill(session, date(2026, 11, 25)).days == ["2026-11-25"]
    assert fees(session, late.id) == ["2026-09", "2026-10", "2026-11"]


def test_days_to_bill(session):
    assert cycle.days_to_bill(session, date(2026, 11, 10)) == [date(2026, 11, 10)]
    session.add(BillingRun(run_date="2026-10-31"))
    session.commit()
    assert cycle.days_to_bill(session, date(2026, 11, 10)) == [date(2026, 11, 10)]
    assert cycle.days_to_bill(session, date(2027, 1, 2)) == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 2),
    ]
    # running for the last day of a missed month does not list it twice
    assert cycle.days_to_bill(session, date(2026, 11, 30)) == [date(2026, 11, 30)]


# --------------------------------------------------------------------------- concurrency / crash


def test_two_runs_at_once_charge_each_sim_once(session, factory, tariff, new_session):
    sub = factory.subscriber()
    sims = [due(factory, sub, tariff, day=1 + i % 5) for i in range(10)]
    low = [due(factory, sub, tariff, day=8, balance=100) for _ in range(3)]  # 3 days ahead
    with travel(NOV5):
        card = saved_card_row(session, sub, default=True)
        payers = [s.id for s in sims[:3]]
        for sim in sims[:3]:
            autopay.set_autopay(session, sub, sim.id, autopay.AutopayForm("monthly", card.id))
        session.commit()
        workers = [new_session() for _ in range(2)]
        barrier = threading.Barrier(2)
        reports, errors = [], []

        def work(s):
            try:
                barrier.wait(timeout=10)
                reports.append(cycle.run_billing(s, GW, NOV5, batch=3))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                s.rollback()

        threads = [threading.Thread(target=work, args=(s,)) for s in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    assert sum(r.fees for r in reports) == 10
    assert sum(r.autopay["succeeded"] for r in reports) == 3
    for sim in sims:
        assert fees(session, sim.id) == ["2026-11"]
        balance = 100_000 + (50000 if sim.id in payers else 0) - 50000
        assert assert_ledger_consistent(session, sim.id).balance_kop == balance
    for sim_id in payers:
        assert [p.status for p in sim_payments(session, sim_id, "autopay")] == ["succeeded"]
    assert billing_runs(session) == ["2026-11-05"]
    # both warned the same SIMs at the same time: each SIM's owner got one warning
    assert sum(r.warnings for r in reports) == len(low)
    assert len(notifications(session, sub, "low_balance")) == len(low)


def test_crash_in_the_middle_then_rerun_charges_each_sim_once(
    session, factory, tariff, monkeypatch
):
    sub = factory.subscriber()
    sims = [due(factory, sub, tariff) for _ in range(5)]
    real = ledger.post_many
    calls = []

    def crashing(s, postings):
        calls.append(len(postings))
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(s, postings)

    monkeypatch.setattr(ledger, "post_many", crashing)
    with pytest.raises(RuntimeError):
        bill(session, NOV5, batch=2)
    session.rollback()
    monkeypatch.setattr(ledger, "post_many", real)
    charged = [s.id for s in sims if fees(session, s.id)]
    assert len(charged) == 2  # the first batch was committed
    assert billing_runs(session) == []  # the day is not done

    report = bill(session, NOV5, batch=2)
    assert report.fees == 3
    for sim in sims:
        assert fees(session, sim.id) == ["2026-11"]
        assert assert_ledger_consistent(session, sim.id).balance_kop == 50000
    assert billing_runs(session) == ["2026-11-05"]


def test_crash_after_the_fees_before_the_day_is_marked(session, factory, tariff):
    sim = due(factory, factory.subscriber(), tariff)

    def crash(day):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        bill(session, NOV5, on_day_done=crash)
    session.rollback()
    assert billing_runs(session) == []
    seen = []
    report = bill(session, NOV5, on_day_done=seen.append)
    assert (report.fees, seen) == (0, [NOV5])
    assert fees(session, sim.id) == ["2026-11"]
    assert billing_runs(session) == ["2026-11-05"]


def test_the_unique_fee_period_is_the_last_line_of_defence(session, factory, tariff):
    from sqlalchemy.exc import IntegrityError

    sim = due(factory, factory.subscriber(), tariff)
    bill(session, NOV5)
    with pytest.raises(IntegrityError):
        ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -50000, fee_period="2026-11"))
    session.rollback()
    assert assert_ledger_consistent(session, sim.id).balance_kop == 50000


# --------------------------------------------------------------------------- debt


def test_fee_into_debt_suspends_notifies_and_a_top_up_restores(session, factory, tariff):
    sub = factory.subscriber()
    sim = due(factory, sub, tariff, balance=10000)
    report = bill(session, NOV5)
    assert (report.fees, report.suspended) == (1, 1)
    s = fresh(session, Sim, sim.id)
    assert (s.balance_kop, s.status) == (-40000, "suspended")
    [note] = notifications(session, sub, "sim_suspended")
    [mail] = emails(session, kind="sim_suspended")
    assert mail.to_address == sub.login
    assert (mail.subject, mail.body) == (note.title, note.body)
    # suspended: the next month brings no new fee (and no new debt)
    assert bill(session, date(2026, 12, 5)).fees == 0
    assert fresh(session, Sim, sim.id).balance_kop == -40000
    with travel(date(2026, 12, 6)):
        out = top_up_on_page(session, sub, sim.id, 40000, "restore-0001")
    assert out.balance_kop == 0
    assert fresh(session, Sim, sim.id).status == "active"
    assert len(notifications(session, sub, "sim_restored")) == 1
    # active again, it pays December's fee on the next run
    assert bill(session, date(2026, 12, 7)).fees == 1
    assert fees(session, sim.id) == ["2026-11", "2026-12"]


def test_fee_to_exactly_zero_keeps_the_sim_active(session, factory, tariff):
    sim = due(factory, factory.subscriber(), tariff, balance=50000)
    assert bill(session, NOV5).suspended == 0
    s = fresh(session, Sim, sim.id)
    assert (s.balance_kop, s.status) == (0, "active")


def test_low_balance_warning_three_days_ahead_once(session, factory, tariff):
    sub = factory.subscriber()
    poor = due(factory, sub, tariff, day=5, balance=20000)
    due(factory, sub, tariff, day=5, balance=60000)  # rich enough
    later = due(factory, sub, tariff, day=6, balance=0)
    with travel(date(2026, 11, 2)):
        covered = due(factory, sub, tariff, day=5, balance=0)
        card = saved_card_row(session, sub, default=True)
        autopay.set_autopay(session, sub, covered.id, autopay.AutopayForm("monthly", card.id))
        session.commit()
    assert bill(session, date(2026, 11, 2)).warnings == 1
    [note] = notifications(session, sub, "low_balance")
    assert phone(poor.msisdn) in note.title and "05.11.2026" in note.body
    assert bill(session, date(2026, 11, 2)).warnings == 0  # hourly runs: still one
    assert bill(session, date(2026, 11, 3)).warnings == 1  # the SIM billed on the 6th
    assert [phone(later.msisdn) in n.title for n in notifications(session, sub, "low_balance")] == [
        False,
        True,
    ]


def test_a_completed_day_is_recorded_with_its_summary(session, factory, tariff):
    due(factory, factory.subscriber(), tariff)
    report = bill(session, NOV5)
    run = session.get(BillingRun, "2026-11-05")
    assert run.finished_at is not None and '"fees": 1' in run.summary
    assert report.seconds >= 0
    assert count(session, Payment) == 0


@pytest.mark.postgres
def test_a_sim_locked_by_a_payment_is_billed_all_the_same(
    backend, session, factory, tariff, new_session
):
    """On the last day of a month a SIM that a concurrent top-up holds locked must still pay:
    tomorrow is another period, so skipping it would lose the fee for good."""
    if backend != "postgres":
        pytest.skip("row locks: PostgreSQL only")
    sub = factory.subscriber()
    busy = due(factory, sub, tariff, day=28)
    free = due(factory, sub, tariff, day=28)
    holder = new_session()
    holder.exec(select(Sim).where(Sim.id == busy.id).with_for_update()).one()
    worker = new_session()
    errors, reports = [], []

    def run():
        try:
            reports.append(cycle.run_billing(worker, GW, date(2026, 11, 30)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            worker.rollback()

    with travel(date(2026, 11, 30)):
        thread = threading.Thread(target=run)
        thread.start()
        probe = new_session()
        waiting = threading.Event()
        for _ in range(2000):  # until the run waits for the lock (or finished without it)
            probe.rollback()
            n = probe.exec(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).one()[0]
            if n or not thread.is_alive():
                break
            waiting.wait(0.005)
        holder.commit()  # the top-up is done
        thread.join(timeout=30)
    assert not errors, errors
    assert fees(session, free.id) == ["2026-11"]
    assert fees(session, busy.id) == ["2026-11"]
    assert bill(session, date(2026, 12, 1)).fees == 0


# --------------------------------------------------------------------------- a tariff's fee change


def change_fee(session, factory, tariff, fee_kop: int, on: date) -> None:
    """The admin edits the tariff's fee on `on` (it applies from the next month)."""
    from paysim_app.catalogue import tariffs

    with travel(on):
        tariffs.update_tariff(
            session,
            factory.superadmin(),
            tariff.id,
            name=tariff.name,
            monthly_fee_kop=fee_kop,
            speed_mbps=tariff.speed_mbps,
            data_gb=tariff.data_gb,
        )
        session.commit()


def test_a_fee_change_applies_from_the_next_period(session, factory, tariff):
    sub = factory.subscriber()
    sim = due(factory, sub, tariff, day=20, balance=200_000)
    change_fee(session, factory, tariff, 60000, NOV5)
    waiting = fresh(session, Tariff, tariff.id)
    assert (waiting.monthly_fee_kop, waiting.next_monthly_fee_kop, waiting.next_fee_period) == (
        50000,
        60000,
        "2026-12",
    )
    # billed on the 20th of this month: still the old fee, and the change still waits
    assert bill(session, date(2026, 11, 20)).fees_kop == 50000
    assert fresh(session, Tariff, tariff.id).next_fee_period == "2026-12"
    # next month's bill uses the new fee, which the run folds into the tariff
    assert bill(session, date(2026, 12, 20)).fees_kop == 60000
    assert [e.amount_kop for e in ledger_rows(session, sim.id) if e.kind == "monthly_fee"] == [
        -50000,
        -60000,
    ]
    promoted = fresh(session, Tariff, tariff.id)
    assert (promoted.monthly_fee_kop, promoted.next_monthly_fee_kop, promoted.next_fee_period) == (
        60000,
        None,
        None,
    )
    assert assert_ledger_consistent(session, sim.id).balance_kop == 200_000 - 110_000


def test_a_catch_up_run_bills_the_missed_month_at_the_old_fee(session, factory, tariff):
    """Down from 20 November to 21 December: the missed November is billed at November's fee,
    December at the new one."""
    sub = factory.subscriber()
    late = due(factory, sub, tariff, day=25)  # missed its November fee
    early = due(factory, sub, tariff, day=5)
    ledger.post(session, ledger.Posting(early.id, "monthly_fee", -50000, fee_period="2026-11"))
    session.add(BillingRun(run_date="2026-11-20"))
    session.commit()
    change_fee(session, factory, tariff, 60000, NOV5)

    report = bill(session, date(2026, 12, 21))
    assert report.days == ["2026-11-30", "2026-12-21"]
    assert [(e.fee_period, e.amount_kop) for e in ledger_rows(session, late.id)][1:] == [
        ("2026-11", -50000)
    ]
    assert [(e.fee_period, e.amount_kop) for e in ledger_rows(session, early.id)][1:] == [
        ("2026-11", -50000),
        ("2026-12", -60000),
    ]
    assert bill(session, date(2026, 12, 25)).fees_kop == 60000  # late's December
    assert fresh(session, Tariff, tariff.id).monthly_fee_kop == 60000


def test_monthly_autopay_and_the_warning_use_the_fee_of_their_period(session, factory, tariff):
    sub = factory.subscriber()
    poor = due(factory, sub, tariff, day=3, balance=105_000)
    with travel(date(2026, 11, 20)):
        payer = due(factory, sub, tariff, day=1, balance=50000)
        card = saved_card_row(session, sub, default=True)
        autopay.set_autopay(session, sub, payer.id, autopay.AutopayForm("monthly", card.id))
        session.commit()
    for sim in (poor, payer):  # both paid November already
        ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -50000, fee_period="2026-11"))
    session.add(BillingRun(run_date="2026-11-27"))
    session.commit()
    change_fee(session, factory, tariff, 60000, date(2026, 11, 20))
    # 30 November, three days before poor's billing day: 550 ₽ pays November's fee but not
    # December's 600 ₽, which is the one due on 3 December
    assert bill(session, date(2026, 11, 30)).warnings == 1
    [note] = notifications(session, sub, "low_balance")
    assert phone(poor.msisdn) in note.title
    # 1 December: the monthly autopay pays the new fee, which the fee pass then writes off
    bill(session, date(2026, 12, 1))
    [payment] = sim_payments(session, payer.id, "autopay")
    assert (payment.amount_kop, payment.status) == (60000, "succeeded")
    assert [e.amount_kop for e in ledger_rows(session, payer.id)] == [50000, -50000, 60000, -60000]


# --------------------------------------------------------------------------- the catalogue's step


def test_the_catalogue_registers_the_cycles_add_on_renewals():
    from paysim_app.catalogue import addons

    assert cycle._RENEWALS == [addons.renew_due]


def test_a_cycle_without_its_add_on_renewals_refuses_to_run(session, monkeypatch):
    """billing cannot import the catalogue (a context above it); a process that never imported
    the catalogue must not bill without renewing add-ons."""
    monkeypatch.setattr(cycle, "_RENEWALS", [])
    with pytest.raises(RuntimeError, match="add-on renewals"):
        bill(session, NOV5)
