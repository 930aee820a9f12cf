"""Disputes (chargebacks): charge.dispute.created / updated / closed mark the payment disputed,
then won or lost; a lost dispute debits the SIM through the ledger and reverses the partner's
commission in proportion, exactly once whatever the order and repetition of the events; admins
with the payments rights are told (in-app and by e-mail); the admin card, the payments list and
the subscriber's history show it. SQLite and PostgreSQL (the `session` fixture)."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from paysim_app.billing import disputes, payment_lists, payments, statement
from paysim_app.core.errors import DomainError, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.models import Commission, LedgerEntry, Notification, OutboxEmail, Payment, Sim
from paysim_app.models.billing import PaymentDispute, PaymentDisputeEvent
from paysim_app.payments import GatewayDispute, GatewayEvent
from paysim_app.payments.sandbox import SandboxGateway
from tests.money_helpers import assert_ledger_consistent, card_topup, fresh

AMOUNT = 50000  # 500 ₽; the partner's 5 % accrues 2500
_ids = itertools.count(1)
T0 = 1_790_000_000


@pytest.fixture
def paid(session, factory):
    admin = factory.superadmin()
    support = factory.support()  # no payments rights: hears nothing
    partner = factory.partner()
    sub = factory.subscriber()
    sim = factory.sim(sub, partner=partner, balance_kop=1000)
    pid = card_topup(session, sim, AMOUNT)
    return {"admin": admin, "support": support, "sub": sub, "sim_id": sim.id, "pid": pid}


def dispute_event(
    session, pid, status, *, at, amount=AMOUNT, ref="dp_1", kind=None, event_id=None
) -> GatewayEvent:
    payment = fresh(session, Payment, pid)
    kind = kind or (
        "charge.dispute.created"
        if status == "needs_response"
        else "charge.dispute.closed"
        if status in ("won", "lost", "warning_closed")
        else "charge.dispute.updated"
    )
    return GatewayEvent(
        event_id=event_id or f"evt_d{next(_ids)}",
        kind="dispute",
        gateway_ref=payment.gateway_ref,
        raw_type=kind,
        dispute=GatewayDispute(
            dispute_id=ref,
            amount_kop=amount,
            reason="fraudulent",
            status=status,
            evidence_due_by=datetime(2026, 12, 20, tzinfo=UTC),
            created=T0,
        ),
        created=at,
    )


def apply(session, event) -> str:
    outcome = payments.apply_event(session, event)
    session.commit()
    return outcome


def book(session, pid, sim_id) -> dict:
    session.expire_all()
    p = session.get(Payment, pid)
    return {
        "dispute": p.dispute,
        "chargeback": p.chargeback_kop,
        "balance": session.get(Sim, sim_id).balance_kop,
        "debits": session.exec(
            select(LedgerEntry.amount_kop)
            .where(LedgerEntry.payment_id == pid, LedgerEntry.kind == "refund")
            .order_by(LedgerEntry.id)  # written in turn; PostgreSQL's heap order is not that
        ).all(),
        "commission": sum(
            session.exec(select(Commission.amount_kop).where(Commission.payment_id == pid)).all()
        ),
    }


def test_created_then_lost_debits_the_sim_and_reverses_the_commission_once(session, paid):
    pid, sim_id = paid["pid"], paid["sim_id"]
    created = dispute_event(session, pid, "needs_response", at=T0)
    assert apply(session, created) == "applied"
    assert book(session, pid, sim_id) == {
        "dispute": "open",
        "chargeback": 0,
        "balance": 1000 + AMOUNT,
        "debits": [],
        "commission": 2500,
    }
    assert payments.display_status("succeeded", 0, "open") == "disputed"
    lost = dispute_event(session, pid, "lost", at=T0 + 60)
    assert apply(session, lost) == "applied"
    after = book(session, pid, sim_id)
    assert after == {
        "dispute": "lost",
        "chargeback": AMOUNT,
        "balance": 1000,
        "debits": [-AMOUNT],
        "commission": 0,
    }
    # the same events again, and an older update arriving late: nothing more
    assert apply(session, lost) == "duplicate"
    assert apply(session, created) == "duplicate"
    late = dispute_event(session, pid, "under_review", at=T0 + 30)
    assert apply(session, late) == "stale"
    assert book(session, pid, sim_id) == after
    dispute = session.exec(select(PaymentDispute)).one()
    assert (dispute.state, dispute.status, dispute.debited_kop) == ("lost", "lost", AMOUNT)
    assert dispute.evidence_due_at is not None
    history = session.exec(select(PaymentDisputeEvent.status)).all()
    assert sorted(history) == ["lost", "needs_response", "under_review"]
    assert_ledger_consistent(session, sim_id)


def test_closed_arriving_before_created_is_applied_once(session, paid):
    pid, sim_id = paid["pid"], paid["sim_id"]
    assert apply(session, dispute_event(session, pid, "lost", at=T0 + 60)) == "applied"
    assert apply(session, dispute_event(session, pid, "needs_response", at=T0)) == "stale"
    assert apply(session, dispute_event(session, pid, "under_review", at=T0 + 10)) == "stale"
    b = book(session, pid, sim_id)
    assert (b["dispute"], b["debits"], b["balance"]) == ("lost", [-AMOUNT], 1000)


@pytest.mark.parametrize("closing", ["won", "warning_closed"])
def test_a_won_dispute_moves_no_money(session, paid, closing):
    pid, sim_id = paid["pid"], paid["sim_id"]
    apply(session, dispute_event(session, pid, "needs_response", at=T0))
    assert apply(session, dispute_event(session, pid, closing, at=T0 + 5)) == "applied"
    b = book(session, pid, sim_id)
    assert (b["dispute"], b["debits"], b["commission"]) == ("won", [], 2500)
    # a "lost" after it was closed (it cannot happen at Stripe) changes nothing
    assert apply(session, dispute_event(session, pid, "lost", at=T0 + 9)) == "stale"
    assert book(session, pid, sim_id)["debits"] == []


def test_a_lost_dispute_of_spent_money_puts_the_sim_in_debt(session, paid):
    pid, sim_id = paid["pid"], paid["sim_id"]
    sim = session.get(Sim, sim_id)
    from paysim_app.billing import ledger

    ledger.post(session, ledger.Posting(sim_id, "monthly_fee", -(AMOUNT + 900)))
    session.commit()
    assert fresh(session, Sim, sim.id).balance_kop == 100
    apply(session, dispute_event(session, pid, "lost", at=T0))
    sim = fresh(session, Sim, sim_id)
    assert sim.balance_kop == 100 - AMOUNT
    assert sim.status == "suspended"
    assert_ledger_consistent(session, sim_id)


def test_a_dispute_of_the_rest_after_a_partial_refund_takes_back_its_share(session, paid):
    pid, sim_id = paid["pid"], paid["sim_id"]
    payments.refund_payment(session, paid["admin"], SandboxGateway(), pid, "part", 20000)
    session.commit()
    assert book(session, pid, sim_id)["commission"] == 2500 - 1000
    # the bank disputes more than is left: only what is left goes
    apply(session, dispute_event(session, pid, "lost", at=T0, amount=AMOUNT))
    b = book(session, pid, sim_id)
    assert b["chargeback"] == 30000
    assert b["debits"] == [-20000, -30000]
    assert b["commission"] == 0  # refund + chargeback: the whole payment, the whole accrual
    assert b["balance"] == 1000
    # nothing is left to refund now
    with pytest.raises(DomainError) as refused:
        payments.refund_payment(session, paid["admin"], SandboxGateway(), pid, "rest")
    assert refused.value.code == "payment.error.disputed"


def test_a_partial_dispute_reverses_the_commission_in_proportion(session, paid):
    pid, sim_id = paid["pid"], paid["sim_id"]
    apply(session, dispute_event(session, pid, "lost", at=T0, amount=10000))
    b = book(session, pid, sim_id)
    assert (b["chargeback"], b["debits"], b["commission"]) == (10000, [-10000], 2500 - 500)


def test_an_open_dispute_cannot_be_refunded(session, paid):
    pid = paid["pid"]
    apply(session, dispute_event(session, pid, "needs_response", at=T0))
    with pytest.raises(DomainError) as refused:
        payments.refund_payment(session, paid["admin"], SandboxGateway(), pid, "r", 100)
    assert refused.value.code == "payment.error.disputed"
    card = payment_lists.payment_card(session, paid["admin"], pid)
    assert card.display_status == "disputed"
    assert not card.refundable


def test_admins_with_payments_rights_are_told_once(session, paid):
    pid = paid["pid"]
    created = dispute_event(session, pid, "needs_response", at=T0)
    apply(session, created)
    apply(session, dispute_event(session, pid, "needs_response", at=T0 + 1, kind="x.updated"))
    apply(session, dispute_event(session, pid, "lost", at=T0 + 2))
    admin_notes = session.exec(
        select(Notification.kind).where(Notification.user_id == paid["admin"].user_id)
    ).all()
    assert sorted(admin_notes) == ["dispute_closed", "dispute_opened"]
    assert not session.exec(
        select(Notification).where(Notification.user_id == paid["support"].user_id)
    ).all()
    mails = session.exec(
        select(OutboxEmail.subject).where(
            OutboxEmail.kind.in_(("dispute_opened", "dispute_closed"))
        )
    ).all()
    assert len(mails) == 2
    assert any(f"№{pid}" in m for m in mails)


def test_unknown_payment_and_unreadable_events(session, paid):
    event = dispute_event(session, paid["pid"], "needs_response", at=T0)
    stranger = GatewayEvent(
        event_id="evt_x", kind="dispute", gateway_ref="pi_nobody", dispute=event.dispute
    )
    assert apply(session, stranger) == "unknown"
    nothing = GatewayEvent(event_id="evt_y", kind="dispute", dispute=event.dispute)
    assert apply(session, nothing) == "unknown"
    assert not session.exec(select(PaymentDispute)).all()


def test_a_dispute_of_a_failed_payment_changes_nothing(session, factory):
    sim = factory.sim(factory.subscriber())
    pid = card_topup(session, sim, AMOUNT, status="failed")
    assert apply(session, dispute_event(session, pid, "lost", at=T0)) == "unknown"


def test_the_same_loss_reported_twice_at_once_debits_once(session, paid, engine):
    pid, sim_id = paid["pid"], paid["sim_id"]
    from sqlmodel import Session

    events = [
        dispute_event(session, pid, "lost", at=T0, event_id="evt_same"),
        dispute_event(session, pid, "lost", at=T0, event_id="evt_other"),
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(event):
        with Session(engine) as own:
            barrier.wait()
            try:
                outcomes.append(payments.apply_event(own, event))
                own.commit()
            except Exception as exc:  # noqa: BLE001 - a unique key refusing the loser is fine
                own.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    b = book(session, pid, sim_id)
    assert b["debits"] == [-AMOUNT]
    assert "applied" in outcomes
    assert_ledger_consistent(session, sim_id)


def test_the_list_filters_disputed_payments_and_the_history_shows_them(session, paid, factory):
    pid = paid["pid"]
    other_sim = factory.sim(factory.subscriber())
    other = card_topup(session, other_sim, 30000)
    apply(session, dispute_event(session, pid, "needs_response", at=T0))
    page = fetch_page(
        session, paid["admin"], payment_lists.PAYMENT_LIST, ListQuery(filters={"dispute": "any"})
    )
    assert [r["id"] for r in page.rows] == [pid]
    assert page.rows[0]["dispute"] == "open"
    lost = fetch_page(
        session, paid["admin"], payment_lists.PAYMENT_LIST, ListQuery(filters={"dispute": "lost"})
    )
    assert lost.rows == []
    assert other not in [r["id"] for r in page.rows]
    lines = statement.statement(session, paid["sub"], statement.StatementFilter())[0]
    mine = [line for line in lines if line.payment_id == pid]
    assert mine and mine[0].status == "disputed"
    apply(session, dispute_event(session, pid, "lost", at=T0 + 5))
    lines = statement.statement(session, paid["sub"], statement.StatementFilter())[0]
    assert {line.status for line in lines if line.payment_id == pid} == {"dispute_lost"}
    views = disputes.payment_disputes(session, paid["admin"], pid)
    assert [s.status for s in views[0].history] == ["needs_response", "lost"]
    assert views[0].debited_kop == AMOUNT


def test_only_admins_with_payments_view_read_disputes(session, paid, factory):
    with pytest.raises(DomainError):
        disputes.payment_disputes(session, paid["sub"], paid["pid"])


# -- the sandbox's "simulate a dispute" ------------------------------------------------------------
def test_the_sandbox_simulates_a_dispute_through_the_webhook_path(session, paid):
    sent: list[tuple[bytes, str]] = []
    gateway = SandboxGateway(deliver=lambda body, sig: sent.append((body, sig)))
    pid, sim_id = paid["pid"], paid["sim_id"]
    assert disputes.simulate_dispute(session, paid["admin"], gateway, pid, "open") == "open"
    (body, sig), *_ = sent
    event = gateway.parse_webhook(body, sig)
    assert event.raw_type == "charge.dispute.created"
    assert apply(session, event) == "applied"
    with pytest.raises(DomainError) as again:
        disputes.simulate_dispute(session, paid["admin"], gateway, pid, "open")
    assert again.value.code == "dispute.error.not_now"
    disputes.simulate_dispute(session, paid["admin"], gateway, pid, "lost")
    event = gateway.parse_webhook(*sent[-1])
    assert event.raw_type == "charge.dispute.closed"
    assert apply(session, event) == "applied"
    assert book(session, pid, sim_id)["debits"] == [-AMOUNT]


def test_simulating_needs_the_sandbox_a_card_payment_and_the_right(session, paid, factory):
    gateway = SandboxGateway(deliver=lambda *_: None)
    with pytest.raises(DomainError):
        disputes.simulate_dispute(session, paid["sub"], gateway, paid["pid"], "open")
    with pytest.raises(ValidationError):
        disputes.simulate_dispute(session, paid["admin"], gateway, paid["pid"], "maybe")
    with pytest.raises(DomainError) as closing:
        disputes.simulate_dispute(session, paid["admin"], gateway, paid["pid"], "won")
    assert closing.value.code == "dispute.error.not_now"

    class Other(SandboxGateway):
        name = "stripe"

    with pytest.raises(DomainError) as other:
        disputes.simulate_dispute(session, paid["admin"], Other(), paid["pid"], "open")
    assert other.value.code == "dispute.error.sandbox_only"


def test_the_admins_subscriber_card_lists_the_payment_as_disputed(session, paid):
    from paysim_app.subscribers import contracts

    apply(session, dispute_event(session, paid["pid"], "needs_response", at=T0))
    detail = contracts.subscriber_detail(session, paid["admin"], paid["sub"].subscriber_id)
    assert [p.status for p in detail.payments if p.id == paid["pid"]] == ["disputed"]


def test_the_takings_of_the_day_leave_out_what_a_lost_dispute_took_back(session, paid):
    from paysim_app.overview import dashboards

    before = dashboards.admin_overview(session, paid["admin"]).payments_today_kop
    apply(session, dispute_event(session, paid["pid"], "lost", at=T0, amount=20000))
    after = dashboards.admin_overview(session, paid["admin"]).payments_today_kop
    assert before - after == 20000
