"""Autopay: the monthly charge, threshold top-ups, the monthly cap, retries and the rule form."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlmodel import select

from paysim_app.billing import autopay, cycle, ledger
from paysim_app.billing import cards as cards_service
from paysim_app.core.errors import NotFound, PermissionDenied, ValidationError
from paysim_app.models import AutopayRun, AutopaySetting, Payment, SavedCard, Sim
from tests.money_helpers import (
    GW,
    LONG_AGO,
    FlakyGateway,
    assert_ledger_consistent,
    bill,
    count,
    entries,
    fees,
    fresh,
    msk,
    notifications,
    runs,
    saved_card_row,
    sim_payments,
    top_up_on_page,
    travel,
)

GOOD = "4242424242424242"
POOR = "4000000000009995"  # insufficient_funds: a soft decline
NOV5 = date(2026, 11, 5)
SETUP_DAY = date(2026, 10, 20)
Form = autopay.AutopayForm


def make(
    session, factory, *, number=GOOD, balance=0, fee=50000, form=None, partner=None, exp=(12, 2034)
):
    """A subscriber with one SIM (billing day 5) and a saved card; autopay set on 20.10.2026."""
    sub = factory.subscriber()
    with travel(SETUP_DAY):
        sim = factory.sim(
            sub,
            tariff=factory.tariff(fee_kop=fee),
            billing_day=5,
            balance_kop=balance,
            partner=partner,
            activated_at=LONG_AGO,
        )
        card = saved_card_row(session, sub, number, exp_month=exp[0], exp_year=exp[1], default=True)
        if form is not False:
            autopay.set_autopay(
                session, sub, sim.id, replace(form or Form("monthly", 0), card_id=card.id)
            )
            session.commit()
    return sub, sim, card


def rule_of(session, sim_id) -> AutopaySetting:
    session.expire_all()
    return session.exec(select(AutopaySetting).where(AutopaySetting.sim_id == sim_id)).one()


def sim_state(session, sim_id):
    s = assert_ledger_consistent(session, sim_id)
    return s.balance_kop, s.status


# --------------------------------------------------------------------------- monthly


def test_monthly_pays_the_fee_before_the_fee_once_per_period(session, factory):
    partner = factory.partner()
    sub, sim, card = make(session, factory, partner=partner)
    report = bill(session, NOV5)
    assert report.autopay == {"succeeded": 1, "failed": 0, "pending": 0}
    assert (report.fees, report.suspended) == (1, 0)
    assert [e.kind for e in entries(session, sim.id)] == ["topup", "monthly_fee"]
    assert sim_state(session, sim.id) == (0, "active")
    [payment] = sim_payments(session, sim.id)
    assert (payment.method, payment.status, payment.amount_kop, payment.card_id) == (
        "autopay",
        "succeeded",
        50000,
        card.id,
    )
    assert payment.idempotency_key == f"autopay:{sim.id}:2026-11:monthly:1"
    assert payment.partner_id == partner.partner.id
    [run] = runs(session, sim.id)
    assert (run.period, run.mode, run.attempt, run.status, run.payment_id, run.next_retry_at) == (
        "2026-11",
        "monthly",
        1,
        "succeeded",
        payment.id,
        None,
    )
    assert len(notifications(session, sub, "autopay_ok")) == 1

    bill(session, NOV5)
    bill(session, date(2026, 11, 6))
    assert len(sim_payments(session, sim.id)) == 1
    assert bill(session, date(2026, 12, 5)).autopay["succeeded"] == 1
    assert [r.period for r in runs(session, sim.id)] == ["2026-11", "2026-12"]
    assert sim_state(session, sim.id) == (0, "active")


def test_monthly_with_a_fixed_amount(session, factory):
    _, sim, _ = make(session, factory, form=Form("monthly", 0, fixed_amount_kop=70000))
    bill(session, NOV5)
    assert [p.amount_kop for p in sim_payments(session, sim.id)] == [70000]
    assert sim_state(session, sim.id) == (20000, "active")


def test_monthly_autopay_is_not_charged_for_a_sim_that_is_not_due(session, factory):
    _, sim, _ = make(session, factory)
    bill(session, date(2026, 11, 4))
    assert sim_payments(session, sim.id) == []
    s = fresh(session, Sim, sim.id)
    s.status = "blocked"
    session.commit()
    bill(session, NOV5)
    assert sim_payments(session, sim.id) == [] and fees(session, sim.id) == []


# --------------------------------------------------------------------------- threshold


def test_threshold_tops_up_after_the_fee_takes_the_balance_below(session, factory):
    form = Form("threshold", 0, threshold_kop=20000, topup_kop=30000)
    _, sim, _ = make(session, factory, balance=60000, form=form)
    report = bill(session, NOV5)
    assert report.threshold == {"succeeded": 1, "failed": 0, "pending": 0}
    assert report.autopay == {"succeeded": 0, "failed": 0, "pending": 0}
    assert sim_state(session, sim.id) == (40000, "active")
    fee = [e for e in entries(session, sim.id) if e.kind == "monthly_fee"][0]
    [run] = runs(session, sim.id)
    assert (run.mode, run.period, run.status) == ("threshold", f"t{fee.id}", "succeeded")
    # asking again changes nothing: the debit was answered
    bill(session, NOV5)
    bill(session, date(2026, 11, 6))
    assert len(sim_payments(session, sim.id)) == 1
    # December's fee is a new debit: 40000 - 50000 suspends, the top-up restores
    bill(session, date(2026, 12, 5))
    assert sim_state(session, sim.id) == (20000, "active")
    assert len(runs(session, sim.id)) == 2


def test_threshold_not_crossed_charges_nothing(session, factory):
    form = Form("threshold", 0, threshold_kop=20000, topup_kop=30000)
    _, sim, _ = make(session, factory, balance=100000, form=form)
    assert bill(session, NOV5).threshold["succeeded"] == 0
    assert sim_payments(session, sim.id) == [] and runs(session, sim.id) == []


def test_threshold_tops_up_once_per_triggering_debit(session, factory):
    form = Form("threshold", 0, threshold_kop=20000, topup_kop=1000)
    _, sim, _ = make(session, factory, balance=60000, form=form)
    bill(session, NOV5)
    assert sim_state(session, sim.id) == (11000, "active")  # still below the threshold
    bill(session, NOV5)
    bill(session, date(2026, 11, 6))
    assert len(sim_payments(session, sim.id)) == 1
    with travel(date(2026, 11, 7)):
        ledger.post(session, ledger.Posting(sim.id, "addon", -500))
        session.commit()
        assert autopay.run_threshold_checks(session, GW, [sim.id])["succeeded"] == 1
        assert autopay.run_threshold_checks(session, GW, [sim.id])["succeeded"] == 0
        assert autopay.run_threshold_checks(session, GW, [])["succeeded"] == 0
    assert sim_state(session, sim.id) == (11500, "active")
    assert len(sim_payments(session, sim.id)) == 2


# --------------------------------------------------------------------------- monthly cap


def test_monthly_cap_skips_a_charge_that_would_exceed_it(session, factory):
    form = Form("monthly", 0, monthly_cap_kop=40000)  # the fee is 500 ₽
    sub, sim, _ = make(session, factory, balance=60000, form=form)
    report = bill(session, NOV5)
    assert report.autopay == {"succeeded": 0, "failed": 0, "pending": 0}
    [run] = runs(session, sim.id)
    assert (run.status, run.decline_code, run.payment_id, run.next_retry_at) == (
        "skipped",
        "monthly_cap",
        None,
        None,
    )
    assert sim_payments(session, sim.id) == []
    assert sim_state(session, sim.id) == (10000, "active")  # the fee was still written off
    assert len(notifications(session, sub, "autopay_cap")) == 1
    bill(session, NOV5)
    assert len(runs(session, sim.id)) == 1
    assert len(notifications(session, sub, "autopay_cap")) == 1


def test_monthly_cap_counts_what_autopay_already_charged_this_month(session, factory):
    form = Form("threshold", 0, threshold_kop=20000, topup_kop=30000, monthly_cap_kop=50000)
    sub, sim, _ = make(session, factory, balance=60000, form=form)
    bill(session, NOV5)  # 60000 - 50000 = 10000 -> +30000
    assert sim_state(session, sim.id) == (40000, "active")
    with travel(date(2026, 11, 20)):
        ledger.post(session, ledger.Posting(sim.id, "addon", -30000))  # -> 10000
        session.commit()
        autopay.run_threshold_checks(session, GW, None)
    assert [(r.status, r.decline_code) for r in runs(session, sim.id)] == [
        ("succeeded", None),
        ("skipped", "monthly_cap"),
    ]
    assert len(sim_payments(session, sim.id)) == 1
    assert len(notifications(session, sub, "autopay_cap")) == 1
    # a new month, a new allowance
    bill(session, date(2026, 12, 5))
    assert len(sim_payments(session, sim.id, "autopay")) == 2


# --------------------------------------------------------------------------- failures, retries


def test_soft_decline_retries_after_1_3_5_days_then_gives_up(session, factory):
    sub, sim, _ = make(session, factory, number=POOR)
    report = bill(session, NOV5)
    assert report.autopay == {"succeeded": 0, "failed": 1, "pending": 0}
    assert sim_state(session, sim.id) == (-50000, "suspended")
    [run] = runs(session, sim.id)
    assert (run.status, run.decline_code, run.attempt) == ("failed", "insufficient_funds", 1)
    assert run.next_retry_at == msk(2026, 11, 6)
    assert len(notifications(session, sub, "autopay_failed")) == 1

    schedule = [
        (date(2026, 11, 6), 2, msk(2026, 11, 9)),
        (date(2026, 11, 9), 3, msk(2026, 11, 14)),
        (date(2026, 11, 14), 4, None),
    ]
    for day, attempt, retry_at in schedule:
        bill(session, day - timedelta(days=1))  # the day before: not yet
        assert len(runs(session, sim.id)) == attempt - 1
        report = bill(session, day)
        assert report.retries == {"succeeded": 0, "failed": 1, "pending": 0}
        bill(session, day)  # twice the same day: one attempt
        got = runs(session, sim.id)
        assert [r.attempt for r in got] == list(range(1, attempt + 1))
        assert all(r.next_retry_at is None for r in got[:-1])
        assert (got[-1].status, got[-1].next_retry_at) == ("failed", retry_at)
    # gave up: the subscriber is asked to act, and nothing more happens
    assert len(notifications(session, sub, "autopay_failed")) == 3
    assert len(notifications(session, sub, "autopay_failed_hard")) == 1
    bill(session, date(2026, 11, 20))
    bill(session, date(2026, 11, 25))
    assert len(runs(session, sim.id)) == 4
    assert [p.status for p in sim_payments(session, sim.id)] == ["failed"] * 4
    keys = [p.idempotency_key for p in sim_payments(session, sim.id)]
    assert keys == [f"autopay:{sim.id}:2026-11:monthly:{n}" for n in (1, 2, 3, 4)]
    assert sim_state(session, sim.id) == (-50000, "suspended")


def test_a_retry_that_succeeds_restores_the_sim(session, factory):
    sub, sim, card = make(session, factory, number=POOR)
    bill(session, NOV5)
    # the subscriber put money on the card: the same saved card now pays
    c = fresh(session, SavedCard, card.id)
    c.gateway_token = saved_card_row(session, sub, GOOD).gateway_token
    session.commit()
    report = bill(session, date(2026, 11, 6))
    assert report.retries == {"succeeded": 1, "failed": 0, "pending": 0}
    assert sim_state(session, sim.id) == (0, "active")
    assert [(r.attempt, r.status, r.next_retry_at) for r in runs(session, sim.id)] == [
        (1, "failed", None),
        (2, "succeeded", None),
    ]
    assert len(notifications(session, sub, "sim_restored")) == 1
    assert len(notifications(session, sub, "autopay_ok")) == 1


def test_hard_decline_is_not_retried_and_asks_to_act(session, factory):
    sub = factory.subscriber()
    with travel(SETUP_DAY):
        sim = factory.sim(
            sub, tariff=factory.tariff(fee_kop=50000), billing_day=5, activated_at=LONG_AGO
        )
        # a lost card: hard (a card that wants 3-D Secure waits instead: test_autopay_confirmation)
        card = factory.card(sub, "4000000000009987")
        autopay.set_autopay(session, sub, sim.id, Form("monthly", card.id))
        session.commit()
    bill(session, NOV5)
    [run] = runs(session, sim.id)
    assert (run.status, run.decline_code, run.next_retry_at) == ("failed", "lost_card", None)
    [note] = notifications(session, sub, "autopay_failed_hard")
    assert notifications(session, sub, "autopay_failed") == []
    bill(session, date(2026, 11, 6))
    bill(session, date(2026, 11, 12))
    assert len(runs(session, sim.id)) == 1
    assert note.title


def test_expired_saved_card_is_not_charged(session, factory):
    sub, sim, _ = make(session, factory, exp=(10, 2026))  # valid when autopay was set
    gw = FlakyGateway()
    with travel(NOV5):
        cycle.run_billing(session, gw, NOV5)
    assert gw.charged == []
    [run] = runs(session, sim.id)
    assert (run.status, run.decline_code, run.payment_id, run.next_retry_at) == (
        "failed",
        "expired_card",
        None,
        None,
    )
    assert sim_payments(session, sim.id) == []
    assert len(notifications(session, sub, "autopay_failed_hard")) == 1
    assert sim_state(session, sim.id) == (-50000, "suspended")


def test_disabling_autopay_cancels_pending_retries(session, factory):
    sub, sim, _ = make(session, factory, number=POOR)
    bill(session, NOV5)
    assert runs(session, sim.id)[0].next_retry_at is not None
    autopay.disable_autopay(session, sub, sim.id)
    session.commit()
    assert runs(session, sim.id)[0].next_retry_at is None
    assert rule_of(session, sim.id).enabled is False
    bill(session, date(2026, 11, 6))
    bill(session, date(2026, 12, 5))
    assert len(runs(session, sim.id)) == 1
    assert len(sim_payments(session, sim.id)) == 1


def test_a_retry_is_skipped_when_the_sim_no_longer_needs_money(session, factory):
    sub, sim, card = make(session, factory, number=POOR)
    bill(session, NOV5)
    with travel(date(2026, 11, 5), hour=15):
        top_up_on_page(session, sub, sim.id, 50000, "pay-debt-01", GOOD)
    assert sim_state(session, sim.id) == (0, "active")
    report = bill(session, date(2026, 11, 6))
    assert report.retries == {"succeeded": 0, "failed": 0, "pending": 0}
    [run] = runs(session, sim.id)
    assert run.next_retry_at is None
    bill(session, date(2026, 11, 9))
    assert len(runs(session, sim.id)) == 1


def test_an_unknown_outcome_is_reconciled_by_the_next_run(session, factory):
    sub, sim, _ = make(session, factory)
    with travel(NOV5):
        report = cycle.run_billing(session, FlakyGateway(charges_fail=True), NOV5)
    assert report.autopay == {"succeeded": 0, "failed": 0, "pending": 1}
    # the fee did not wait for the card
    assert sim_state(session, sim.id) == (-50000, "suspended")
    assert [r.status for r in runs(session, sim.id)] == ["pending"]
    # the next hourly run, while the provider still remembers the charge's key (past a day the
    # janitor never charges again: payments.KEY_MEMORY, tests/payments/test_stripe_disputes.py)
    with travel(msk(2026, 11, 5, 21)):
        report = cycle.run_billing(session, GW, NOV5)
    assert report.reconciled == 1
    assert sim_state(session, sim.id) == (0, "active")
    assert [r.status for r in runs(session, sim.id)] == ["succeeded"]
    assert len(sim_payments(session, sim.id)) == 1


# --------------------------------------------------------------------------- the view


def test_view_of_monthly_autopay(session, factory):
    sub, sim, card = make(session, factory, balance=12345)
    with travel(date(2026, 11, 20)):
        view = autopay.get_autopay(session, sub, sim.id)
    assert (view.enabled, view.mode, view.card_id, view.card_label) == (
        True,
        "monthly",
        card.id,
        "visa •••• 4242",
    )
    assert (view.balance_kop, view.fee_kop, view.billing_day) == (12345, 50000, 5)
    assert (view.next_billing_date, view.next_charge_date, view.next_charge_kop) == (
        date(2026, 12, 5),
        date(2026, 12, 5),
        50000,
    )
    assert view.runway_until == date(2026, 12, 4) and view.runs == []  # the balance alone
    on_the_day = autopay.autopay_view(session, fresh(session, Sim, sim.id), date(2026, 12, 5))
    assert on_the_day.next_charge_date == date(2026, 12, 5)
    fixed = Form("monthly", card.id, fixed_amount_kop=70000)
    with travel(date(2026, 11, 20)):
        autopay.set_autopay(session, sub, sim.id, fixed)
        session.commit()
        assert autopay.get_autopay(session, sub, sim.id).next_charge_kop == 70000


def test_view_without_autopay_shows_the_runway(session, factory):
    sub, sim, _ = make(session, factory, balance=120000, form=False)
    s = fresh(session, Sim, sim.id)
    view = autopay.autopay_view(session, s, date(2026, 11, 20))
    assert (view.enabled, view.next_charge_date, view.next_charge_kop) == (False, None, None)
    # 1200 ₽ pays the fees of 5.12 and 5.01; on 5.02 it runs out
    assert view.runway_until == date(2027, 2, 4)
    assert autopay.runway(0, 50000, 5, date(2026, 11, 20)) == date(2026, 12, 4)
    assert autopay.runway(-100, 50000, 5, date(2026, 11, 20)) == date(2026, 12, 4)
    assert autopay.runway(49999, 50000, 5, date(2026, 11, 3)) == date(2026, 11, 4)
    assert autopay.runway(50000, 50000, 28, date(2026, 12, 29)) == date(2027, 2, 27)
    assert autopay.runway(100, 0, 5, date(2026, 11, 20)) is None


def test_view_on_the_billing_day_after_the_fee_looks_at_next_month(session, factory):
    sub, sim, _ = make(session, factory, balance=50000, form=False)
    before = autopay.autopay_view(session, fresh(session, Sim, sim.id), NOV5)
    assert (before.next_billing_date, before.runway_until) == (NOV5, date(2026, 12, 4))
    bill(session, NOV5)  # the fee takes the 500 ₽
    after = autopay.autopay_view(session, fresh(session, Sim, sim.id), NOV5)
    assert (after.next_billing_date, after.runway_until) == (date(2026, 12, 5), date(2026, 12, 4))
    with travel(NOV5):
        card = saved_card_row(session, sub, default=True)
        autopay.set_autopay(session, sub, sim.id, Form("monthly", card.id))
        session.commit()
    view = autopay.autopay_view(session, fresh(session, Sim, sim.id), NOV5)
    assert view.next_charge_date == date(2026, 12, 5)


def test_next_billing_date():
    assert autopay.next_billing_date(5, date(2026, 11, 4)) == date(2026, 11, 5)
    assert autopay.next_billing_date(5, date(2026, 11, 5)) == date(2026, 11, 5)
    assert autopay.next_billing_date(5, date(2026, 11, 6)) == date(2026, 12, 5)
    assert autopay.next_billing_date(28, date(2026, 12, 29)) == date(2027, 1, 28)


def test_view_of_threshold_autopay(session, factory):
    form = Form("threshold", 0, threshold_kop=20000, topup_kop=30000)
    _, sim, _ = make(session, factory, balance=60000, form=form)
    on = date(2026, 11, 20)
    view = autopay.autopay_view(session, fresh(session, Sim, sim.id), on)
    assert (view.mode, view.threshold_kop, view.topup_kop) == ("threshold", 20000, 30000)
    # the fee of 5.12 takes 600 ₽ below 200 ₽
    assert (view.next_charge_date, view.next_charge_kop) == (date(2026, 12, 5), 30000)
    ledger.post(session, ledger.Posting(sim.id, "addon", -50000))
    session.commit()
    assert autopay.autopay_view(session, fresh(session, Sim, sim.id), on).next_charge_date == on
    ledger.post(session, ledger.Posting(sim.id, "adjustment", 100000))
    session.commit()
    assert autopay.autopay_view(session, fresh(session, Sim, sim.id), on).next_charge_date is None


def test_view_shows_the_retry_and_the_attempts(session, factory):
    sub, sim, _ = make(session, factory, number=POOR)
    bill(session, NOV5)
    with travel(NOV5, hour=12):
        view = autopay.get_autopay(session, sub, sim.id)
    assert view.next_charge_date == date(2026, 11, 6)
    [row] = view.runs
    assert (row.attempt, row.status, row.amount_kop, row.decline_code) == (
        1,
        "failed",
        50000,
        "insufficient_funds",
    )
    assert row.next_retry_at == msk(2026, 11, 6)


def test_view_is_only_for_the_owner_and_admins(session, factory):
    sub, sim, _ = make(session, factory)
    with pytest.raises(PermissionDenied):
        autopay.get_autopay(session, factory.subscriber(), sim.id)
    with pytest.raises(PermissionDenied):
        autopay.get_autopay(session, factory.support(), sim.id)
    assert autopay.get_autopay(session, factory.superadmin(), sim.id).enabled


# --------------------------------------------------------------------------- the form


INVALID_FORMS = [
    (Form("weekly", 0), ValidationError, "error.invalid", "mode"),
    (Form("", 0), ValidationError, "error.invalid", "mode"),
    (
        Form("monthly", 0, fixed_amount_kop=999),
        ValidationError,
        "topup.error.limits",
        "fixed_amount",
    ),
    (
        Form("monthly", 0, fixed_amount_kop=1_500_001),
        ValidationError,
        "topup.error.limits",
        "fixed_amount",
    ),
    (Form("monthly", 0, monthly_cap_kop=999), ValidationError, "topup.error.limits", "monthly_cap"),
    (
        Form("monthly", 0, fixed_amount_kop=50000, monthly_cap_kop=40000),
        ValidationError,
        "autopay.error.cap_below_amount",
        "monthly_cap",
    ),
    (
        Form("threshold", 0, topup_kop=30000),
        ValidationError,
        "autopay.error.threshold",
        "threshold",
    ),
    (
        Form("threshold", 0, threshold_kop=-1, topup_kop=30000),
        ValidationError,
        "autopay.error.threshold",
        "threshold",
    ),
    (
        Form("threshold", 0, threshold_kop=1_500_001, topup_kop=30000),
        ValidationError,
        "autopay.error.threshold",
        "threshold",
    ),
    (Form("threshold", 0, threshold_kop=20000), ValidationError, "error.required", "topup"),
    (
        Form("threshold", 0, threshold_kop=20000, topup_kop=999),
        ValidationError,
        "topup.error.limits",
        "topup",
    ),
    (
        Form("threshold", 0, threshold_kop=20000, topup_kop=1_500_001),
        ValidationError,
        "topup.error.limits",
        "topup",
    ),
    (
        Form("threshold", 0, threshold_kop=20000, topup_kop=30000, monthly_cap_kop=20000),
        ValidationError,
        "autopay.error.cap_below_amount",
        "monthly_cap",
    ),
    (Form("monthly", "theirs"), NotFound, "card.error.not_found", None),
    (Form("monthly", "deleted"), NotFound, "card.error.not_found", None),
    (Form("monthly", "missing"), NotFound, "card.error.not_found", None),
    (Form("monthly", "text"), NotFound, "card.error.not_found", None),
    (Form("monthly", "expired"), ValidationError, "card.error.expired", "card_id"),
]


def test_invalid_forms_are_refused_and_change_nothing(session, factory):
    sub, sim, card = make(session, factory, form=Form("monthly", 0, fixed_amount_kop=60000))
    other = factory.subscriber()
    with travel(SETUP_DAY):
        cards = {
            "theirs": saved_card_row(session, other).id,
            "deleted": saved_card_row(session, sub, "5555555555554444").id,
            "expired": saved_card_row(session, sub, exp_month=9, exp_year=2026).id,
            "missing": 999_999,
            "text": str(card.id),
        }
        cards_service.delete_card(session, sub, GW, cards["deleted"])
        session.commit()
        before = rule_of(session, sim.id).model_dump()
        for form, error, code, field in INVALID_FORMS:
            card_id = card.id if form.card_id == 0 else cards[form.card_id]
            with pytest.raises(error) as err:
                autopay.set_autopay(session, sub, sim.id, replace(form, card_id=card_id))
            session.rollback()
            assert (err.value.code, err.value.field) == (code, field), form
            assert rule_of(session, sim.id).model_dump() == before, form


def test_autopay_on_someone_elses_sim_is_refused(session, factory):
    owner_sub, sim, _ = make(session, factory, form=False)
    stranger = factory.subscriber()
    card = saved_card_row(session, stranger)
    for actor, sim_id in (
        (stranger, sim.id),
        (stranger, 999_999),
        (factory.superadmin(), sim.id),
        (factory.partner().actor, sim.id),
    ):
        with pytest.raises(PermissionDenied):
            autopay.set_autopay(session, actor, sim_id, Form("monthly", card.id))
        with pytest.raises(PermissionDenied):
            autopay.disable_autopay(session, actor, sim_id)
    session.rollback()
    assert count(session, AutopaySetting) == 0


def test_switching_modes_clears_the_other_modes_fields(session, factory):
    form = Form("monthly", 0, fixed_amount_kop=60000, monthly_cap_kop=100000)
    sub, sim, card = make(session, factory, form=form)
    with travel(SETUP_DAY):
        autopay.disable_autopay(session, sub, sim.id)
        autopay.set_autopay(
            session, sub, sim.id, Form("threshold", card.id, threshold_kop=0, topup_kop=30000)
        )
        session.commit()
    rule = rule_of(session, sim.id)
    assert (
        rule.mode,
        rule.enabled,
        rule.fixed_amount_kop,
        rule.threshold_kop,
        rule.topup_kop,
        rule.monthly_cap_kop,
    ) == ("threshold", True, None, 0, 30000, None)
    assert count(session, AutopaySetting) == 1


def test_autopay_runs_are_unique_per_attempt(session, factory):
    _, sim, _ = make(session, factory)
    with travel(NOV5):
        wanted = autopay.monthly_wanted(session, [sim.id], "2026-11")
        first = autopay.claim(session, wanted, NOV5)
        session.commit()
        second = autopay.claim(session, wanted, NOV5)
        session.commit()
    assert len(first) == 1 and second == []
    assert count(session, AutopayRun) == 1 and count(session, Payment) == 1


def test_autopay_follows_settlement_whichever_billing_module_is_imported_first():
    """Settlement knows nothing of autopay: autopay registers itself (payments.after_settlement)
    when the billing package is imported, so a webhook process that imports only payments still
    has its runs follow their payments."""
    import subprocess
    import sys

    code = (
        "from paysim_app.billing import payments;"
        "print([h.__module__ + '.' + h.__name__ for h in payments._AFTER_SETTLEMENT])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # receipts follow settlement the same way (a receipt for each payment that succeeded), and
    # so do a SIM order's prepayments (credited or given back as their order stands)
    assert out.strip().strip("[]").split(", ") == [
        "'paysim_app.billing.autopay.on_settled'",
        "'paysim_app.billing.prepayments._on_settlement'",
        "'paysim_app.billing.receipts._on_settlement'",
    ]
