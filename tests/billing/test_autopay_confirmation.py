"""Autopay charges whose bank wants 3-D Secure wait for the subscriber's confirmation
(billing.confirmations): the payment and its run wait, the retry schedule leaves them alone, the
subscriber is told with a link, and "Confirm payment" pays exactly that payment on the hosted page
(credited once); a failed check, an abandoned page and a wait that runs out each end clearly."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

import paysim_app.catalogue  # noqa: F401 - registers the cycle's add-on renewals
from paysim_app.billing import autopay, checkout, confirmations, ledger, statement, topups
from paysim_app.core import signing
from paysim_app.core.errors import DomainError, NotFound
from paysim_app.models import Payment
from paysim_app.payments import GatewayEvent
from tests.billing.test_autopay import NOV5, Form, make
from tests.money_helpers import (
    GW,
    FlakyGateway,
    assert_ledger_consistent,
    bill,
    emails,
    entries,
    fresh,
    msk,
    notifications,
    runs,
    sim_payments,
    travel,
)
from tests.payments.checkout_helpers import pay_on_page

START = msk(2026, 11, 5)  # the billing run's morning
ASKS = "4000002760003184"  # asks for 3-D Secure every time, off-session included


def waiting(session, factory, **kw):
    """A SIM whose monthly autopay (3184) is waiting for its owner after the 5 November run."""
    sub, sim, card = make(session, factory, number=ASKS, **kw)
    report = bill(session, NOV5)
    [payment] = sim_payments(session, sim.id)
    return sub, sim, payment, report


def token_of(text: str) -> str:
    return re.search(r"confirm=([\w.\-]+)", text)[1]


def test_a_charge_that_wants_3ds_waits_and_tells_the_subscriber(session, factory):
    sub, sim, payment, report = waiting(session, factory)
    assert report.autopay == {"succeeded": 0, "failed": 0, "pending": 0, "requires_action": 1}
    assert (payment.status, payment.decline_code, payment.completed_at) == (
        "requires_action",
        "authentication_required",
        None,
    )
    with travel(NOV5):
        assert payment.confirm_by == payment.created_at + confirmations.WAIT
    [run] = runs(session, sim.id)
    assert (run.status, run.next_retry_at, run.payment_id) == ("requires_action", None, payment.id)
    # the fee is written off as always; nothing came in yet
    assert [e.kind for e in entries(session, sim.id)] == ["monthly_fee"]
    [note] = notifications(session, sub, "autopay_confirm")
    [mail] = emails(session, kind="autopay_confirm")
    assert "500" in note.title and f"/cabinet/autopay?sim={sim.id}&confirm=" in note.body
    assert token_of(mail.body) == token_of(note.body)
    assert notifications(session, sub, "autopay_failed_hard") == []
    with travel(NOV5):
        assert confirmations.payment_of_link(session, sub, token_of(note.body)) == payment.id
    view = autopay.get_autopay(session, sub, sim.id)
    [shown] = view.waiting
    assert (shown.payment_id, shown.amount_kop, shown.on_page) == (payment.id, 50000, False)
    # the payment history lists it with its status, and its filter finds it
    for wanted in ("", "requires_action"):
        rows, _ = statement.statement(
            session, sub, statement.StatementFilter(sim_id=sim.id, status=wanted)
        )
        waiting_rows = [r for r in rows if r.payment_id == payment.id]
        assert [r.status for r in waiting_rows] == ["requires_action"]


def test_the_retry_schedule_is_paused_while_it_waits(session, factory):
    sub, sim, payment, _ = waiting(session, factory)
    for day in (date(2026, 11, 6), date(2026, 11, 7)):
        report = bill(session, day)
        assert report.retries.get("requires_action", 0) == 0
    assert len(runs(session, sim.id)) == 1
    assert len(sim_payments(session, sim.id)) == 1


def test_threshold_autopay_claims_no_new_attempt_while_one_waits(session, factory):
    form = Form("threshold", 0, threshold_kop=20000, topup_kop=30000)
    sub, sim, card = make(session, factory, number=ASKS, balance=60000, form=form)
    report = bill(session, NOV5)  # the fee takes it below the threshold: a top-up that waits
    assert report.threshold == {"succeeded": 0, "failed": 0, "pending": 0, "requires_action": 1}
    with travel(date(2026, 11, 7)):
        # another debit is a new trigger, but the SIM's autopay waits for the first one
        ledger.post(session, ledger.Posting(sim.id, "addon", -500))
        session.commit()
        assert autopay.run_threshold_checks(session, GW, [sim.id]).get("requires_action", 0) == 0
    assert [p.status for p in sim_payments(session, sim.id)] == ["requires_action"]
    assert len(runs(session, sim.id)) == 1


def test_confirmed_on_the_hosted_page_it_is_paid_and_credited_once(session, factory):
    sub, sim, payment, _ = waiting(session, factory)
    with travel(START + timedelta(hours=5)):
        url = confirmations.start_confirmation(session, sub, GW, payment.id)
        # a second click while the page is open: the same page, not a second one
        assert confirmations.start_confirmation(session, sub, GW, payment.id) == url
        assert fresh(session, Payment, payment.id).status == "pending"
        assert pay_on_page(GW, url, ASKS, confirm=True).kind == "complete"
        out = topups.topup_result(session, sub, GW, payment.id)
        again = topups.topup_result(session, sub, GW, payment.id)
    assert (out.status, again.status) == ("succeeded", "succeeded")
    kinds = [e.kind for e in entries(session, sim.id)]
    assert kinds == ["monthly_fee", "topup"]
    assert assert_ledger_consistent(session, sim.id).balance_kop == 0
    [run] = runs(session, sim.id)
    assert (run.status, run.next_retry_at) == ("succeeded", None)
    assert len(notifications(session, sub, "autopay_ok")) == 1
    # done: the link no longer opens anything
    with pytest.raises(DomainError):
        confirmations.start_confirmation(session, sub, GW, payment.id)
    assert autopay.get_autopay(session, sub, sim.id).waiting == []


def test_failed_on_the_hosted_page_it_ends_failed_without_retries(session, factory):
    sub, sim, payment, _ = waiting(session, factory)
    with travel(START + timedelta(hours=1)):
        url = confirmations.start_confirmation(session, sub, GW, payment.id)
        assert pay_on_page(GW, url, ASKS, confirm=False).kind == "declined"
        out = topups.topup_result(session, sub, GW, payment.id, abandoned=True)
    assert (out.status, out.decline_code) == ("failed", "authentication_failed")
    [run] = runs(session, sim.id)
    assert (run.status, run.decline_code, run.next_retry_at) == (
        "failed",
        "authentication_failed",
        None,
    )
    assert len(notifications(session, sub, "autopay_failed_hard")) == 1
    assert [e.kind for e in entries(session, sim.id)] == ["monthly_fee"]
    bill(session, date(2026, 11, 9))
    assert len(runs(session, sim.id)) == 1


def test_a_page_left_unpaid_waits_again_and_a_new_page_pays(session, factory):
    sub, sim, payment, _ = waiting(session, factory)
    with travel(START + timedelta(hours=1)):
        first = confirmations.start_confirmation(session, sub, GW, payment.id)
        out = topups.topup_result(session, sub, GW, payment.id, abandoned=True)
        assert out.status == "requires_action"
        assert fresh(session, Payment, payment.id).decline_code == "authentication_required"
        second = confirmations.start_confirmation(session, sub, GW, payment.id)
        assert second != first
        assert pay_on_page(GW, first, "4242424242424242").kind == "closed"
        assert pay_on_page(GW, second, ASKS, confirm=True).kind == "complete"
        assert topups.topup_result(session, sub, GW, payment.id).status == "succeeded"
    assert [e.kind for e in entries(session, sim.id)] == ["monthly_fee", "topup"]


def test_the_wait_runs_out_and_the_payment_ends_failed(session, factory):
    sub, sim, payment, _ = waiting(session, factory)
    with travel(START + timedelta(hours=71)):
        assert checkout.expire_stale(session, GW) == 0
    with travel(START + timedelta(hours=73)):
        assert checkout.expire_stale(session, GW) == 1
        with pytest.raises(DomainError):
            confirmations.start_confirmation(session, sub, GW, payment.id)
    p = fresh(session, Payment, payment.id)
    assert (p.status, p.decline_code) == ("failed", "authentication_required")
    [run] = runs(session, sim.id)
    assert (run.status, run.next_retry_at) == ("failed", None)
    assert len(notifications(session, sub, "autopay_failed_hard")) == 1


def test_a_page_open_when_the_wait_runs_out_ends_the_payment(session, factory):
    sub, sim, payment, _ = waiting(session, factory)
    with travel(START + timedelta(hours=71, minutes=50)):
        confirmations.start_confirmation(session, sub, GW, payment.id)
    with travel(START + timedelta(hours=73)):
        checkout.expire_stale(session, GW)
    p = fresh(session, Payment, payment.id)
    assert (p.status, p.decline_code) == ("failed", "authentication_required")
    assert runs(session, sim.id)[0].status == "failed"


def test_the_link_names_one_payment_of_its_owner_only(session, factory):
    sub, sim, payment, _ = waiting(session, factory)
    [note] = notifications(session, sub, "autopay_confirm")
    token = token_of(note.body)
    other = factory.subscriber()
    with travel(NOV5):
        with pytest.raises(NotFound):
            confirmations.payment_of_link(session, other, token)
        with pytest.raises(NotFound):
            confirmations.start_confirmation(session, other, GW, payment.id)
        with pytest.raises(NotFound):
            confirmations.payment_of_link(session, sub, token[:-2] + "xx")
        forged = signing.sign({"p": payment.id}, "csv-export", ttl_seconds=600)
        with pytest.raises(NotFound):
            confirmations.payment_of_link(session, sub, forged)
        with pytest.raises(NotFound):
            confirmations.payment_of_link(session, sub, "nonsense")
    with travel(START + timedelta(hours=73)), pytest.raises(NotFound):
        confirmations.payment_of_link(session, sub, token)


def test_the_provider_down_leaves_it_waiting(session, factory):
    sub, sim, payment, _ = waiting(session, factory)

    class Down(FlakyGateway):
        def start_checkout(self, **kw):
            from paysim_app.payments import GatewayError

            raise GatewayError("down")

    with travel(NOV5), pytest.raises(DomainError) as error:
        confirmations.start_confirmation(session, sub, Down(), payment.id)
    assert error.value.code == "checkout.error.unavailable"
    assert fresh(session, Payment, payment.id).status == "requires_action"


def test_the_off_session_failure_reported_by_webhook_first_puts_it_on_hold(session, factory):
    """Stripe sends payment_intent.payment_failed for the off-session attempt; arriving before
    autopay reads the answer, it holds the payment as the answer would (and once)."""
    sub, sim, card = make(session, factory, number=ASKS)
    with travel(NOV5):
        [claim] = autopay.claim(session, autopay.monthly_wanted(session, [sim.id], "2026-11"), NOV5)
        session.commit()
        event = GatewayEvent(
            "evt_1",
            "payment_failed",
            gateway_ref="pi_1",
            payment_key=claim.idempotency_key,
            decline_code="authentication_required",
        )
        assert checkout.apply_event(session, GW, event) == "applied"
        session.commit()
        assert checkout.apply_event(session, GW, event) == "duplicate"
        counts = autopay.charge_claims(session, GW, [claim])
    assert counts.get("requires_action", 0) == 0
    p = fresh(session, Payment, claim.payment_id)
    assert (p.status, p.gateway_ref) == ("requires_action", "pi_1")
    assert len(notifications(session, sub, "autopay_confirm")) == 1
    assert runs(session, sim.id)[0].status == "requires_action"
