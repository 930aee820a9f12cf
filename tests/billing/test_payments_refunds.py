"""Refunds in parts: a gateway's refund is booked for exactly its amount and once (by its refund
id, or by the event that reported a running total), never beyond the payment; the commission
is taken back in proportion; the admin's refund gives back only what is left."""

from __future__ import annotations

import itertools
import json
import os
import threading

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel, select

from paysim_app.billing import payment_lists, payments, statement
from paysim_app.core.errors import DomainError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.db import make_engine
from paysim_app.models import AuditLog, Commission, LedgerEntry, Payment, Sim
from paysim_app.models.billing import PaymentRefund
from paysim_app.payments import GatewayEvent, GatewayRefund
from paysim_app.payments.sandbox import SandboxGateway
from paysim_app.subscribers import contracts
from tests.conftest import (
    BACKENDS,
    alembic_config,
    create_postgres_database,
    drop_postgres_database,
    make_iccid,
    make_imsi,
    make_msisdn,
)
from tests.money_helpers import (
    FlakyGateway,
    assert_ledger_consistent,
    card_topup,
    count,
    entries,
    fresh,
)

AMOUNT = 50000  # 500,00 ₽; the partner's 5 % accrues 2500
_events = itertools.count(1)


@pytest.fixture
def paid(session, factory):
    """A card payment of 500 ₽ that succeeded, for a SIM of a partner at 5 %."""
    admin = factory.superadmin()
    partner = factory.partner()
    sub = factory.subscriber()
    sim = factory.sim(sub, partner=partner, balance_kop=1000)
    pid = card_topup(session, sim, AMOUNT)
    return {
        "admin": admin,
        "sub": sub,
        "sim_id": sim.id,
        "pid": pid,
        "partner_id": partner.partner.id,
    }


def refund_event(session, pid, *refunds, total=None, event_id=None, by_ref=False):
    """What a gateway's webhook says about refunds of the payment: single refunds (id, amount)
    and/or the running total; found by the payment key (or by the gateway's reference)."""
    payment = fresh(session, Payment, pid)
    return GatewayEvent(
        event_id=event_id or f"evt_r{next(_events)}",
        kind="refunded",
        payment_key=None if by_ref else payment.idempotency_key,
        gateway_ref=payment.gateway_ref,
        refunds=tuple(GatewayRefund(ref, kop) for ref, kop in refunds),
        refunded_total_kop=total,
    )


def apply(session, event) -> str:
    outcome = payments.apply_event(session, event)
    session.commit()
    return outcome


def book(session, pid) -> dict:
    """The payment's refund bookkeeping as one comparable value."""
    session.expire_all()
    p = session.get(Payment, pid)
    rows = session.exec(
        select(LedgerEntry)
        .where(LedgerEntry.payment_id == pid, LedgerEntry.kind == "refund")
        .order_by(LedgerEntry.id)
    ).all()
    reversals = session.exec(
        select(Commission.amount_kop).where(
            Commission.payment_id == pid, Commission.kind == "reversal"
        )
    ).all()
    return {
        "status": p.status,
        "refunded": p.refunded_kop,
        "ledger": [e.amount_kop for e in rows],
        "reversed": sum(reversals),
    }


# --------------------------------------------------------------------------- the gateway's refunds


def test_a_partial_refund_is_booked_for_exactly_its_amount(session, paid):
    pid = paid["pid"]
    assert apply(session, refund_event(session, pid, ("re_1", 15000))) == "applied"
    assert book(session, pid) == {
        "status": "succeeded",  # not refunded: 350 ₽ of it still stand
        "refunded": 15000,
        "ledger": [-15000],
        "reversed": -payments.commission_of(15000, 500),  # 750 of the 2500
    }
    sim = assert_ledger_consistent(session, paid["sim_id"])
    assert sim.balance_kop == 1000 + AMOUNT - 15000
    [last] = [e for e in entries(session, paid["sim_id"]) if e.kind == "refund"]
    assert (last.payment_id, last.actor_user_id, last.comment) == (pid, None, "gateway refund")
    [row] = session.exec(select(PaymentRefund)).all()
    assert (row.payment_id, row.ref, row.kind, row.amount_kop, row.applied_kop) == (
        pid,
        "re_1",
        "refund",
        15000,
        15000,
    )
    reversal = session.exec(select(Commission).where(Commission.kind == "reversal")).one()
    assert reversal.refund_id == row.id


def test_a_redelivered_refund_books_nothing_more(session, paid):
    pid = paid["pid"]
    event = refund_event(session, pid, ("re_1", 15000))
    assert apply(session, event) == "applied"
    once = book(session, pid)
    assert apply(session, event) == "duplicate"  # the same event again
    # the same refund in another event (refund.created after charge.refunded, by reference)
    assert apply(session, refund_event(session, pid, ("re_1", 15000), by_ref=True)) == "duplicate"
    # and as the charge's running total
    assert apply(session, refund_event(session, pid, total=15000)) == "duplicate"
    assert book(session, pid) == once
    assert count(session, PaymentRefund) == 1


def test_a_running_total_first_then_the_refund_by_its_id_books_it_once(session, paid):
    """charge.refunded (total only) can arrive before refund.created (the id): the named refund
    is taken as the one the total already counted."""
    pid = paid["pid"]
    assert apply(session, refund_event(session, pid, total=15000)) == "applied"
    assert apply(session, refund_event(session, pid, ("re_1", 15000))) == "duplicate"
    assert book(session, pid)["refunded"] == 15000
    # a second refund: its total arrives first again, then its id; then a late, older total
    assert apply(session, refund_event(session, pid, total=25000)) == "applied"
    assert apply(session, refund_event(session, pid, ("re_2", 10000))) == "duplicate"
    assert apply(session, refund_event(session, pid, total=15000)) == "duplicate"
    assert book(session, pid) == {
        "status": "succeeded",
        "refunded": 25000,
        "ledger": [-15000, -10000],
        "reversed": -payments.commission_of(25000, 500),
    }
    rows = session.exec(select(PaymentRefund).order_by(PaymentRefund.id)).all()
    assert [(r.kind, r.amount_kop, r.applied_kop) for r in rows] == [
        ("total", 15000, 15000),
        ("refund", 15000, 0),
        ("total", 10000, 10000),
        ("refund", 10000, 0),
    ]


def test_refunds_named_out_of_order_with_totals_still_add_up(session, paid):
    """re_2 named before re_1 while only a total counted re_1: the books follow the larger of
    the named sum and the total, so they never count a refund twice and end at the truth."""
    pid = paid["pid"]
    apply(session, refund_event(session, pid, total=10000))  # re_1 (100 ₽), not named yet
    apply(session, refund_event(session, pid, ("re_2", 5000)))  # named: taken as part of it
    assert book(session, pid)["refunded"] == 10000
    apply(session, refund_event(session, pid, ("re_1", 10000)))  # now 150 ₽ are named
    assert book(session, pid)["refunded"] == 15000
    apply(session, refund_event(session, pid, total=15000))  # the truth: nothing more
    assert book(session, pid)["refunded"] == 15000
    assert assert_ledger_consistent(session, paid["sim_id"]).balance_kop == 1000 + AMOUNT - 15000


def test_one_event_naming_several_refunds_books_each(session, paid):
    """charge.refunded of an API version that lists the charge's refunds."""
    pid = paid["pid"]
    event = refund_event(session, pid, ("re_1", 10000), ("re_2", 5000), total=15000)
    assert apply(session, event) == "applied"
    assert book(session, pid)["ledger"] == [-10000, -5000]
    assert apply(session, refund_event(session, pid, ("re_2", 5000))) == "duplicate"
    assert book(session, pid)["refunded"] == 15000


def test_the_payment_is_refunded_only_when_all_of_it_is(session, paid):
    pid = paid["pid"]
    apply(session, refund_event(session, pid, ("re_1", 20000)))
    apply(session, refund_event(session, pid, ("re_2", 20000)))
    assert book(session, pid)["status"] == "succeeded"
    apply(session, refund_event(session, pid, ("re_3", 10000)))
    assert book(session, pid) == {
        "status": "refunded",
        "refunded": AMOUNT,
        "ledger": [-20000, -20000, -10000],
        "reversed": -2500,  # the whole accrual, not a kopeck more
    }
    assert assert_ledger_consistent(session, paid["sim_id"]).balance_kop == 1000
    assert (
        sum(c.amount_kop for c in session.exec(select(Commission)).all()) == 0
    )  # the partner keeps nothing of it


def test_several_partial_refunds_never_reverse_more_than_the_commission(session, factory):
    """3,33 ₽ at 5 %: the accrual rounds to 0,17 ₽; three refunds of 1,11 ₽ each would round
    to 0,06 ₽ apiece (0,18 ₽ in all) if each were rounded on its own."""
    partner = factory.partner()
    sim = factory.sim(factory.subscriber(), partner=partner)
    pid = card_topup(session, sim, 333)
    assert payments.commission_of(333, 500) == 17
    assert payments.commission_of(111, 500) * 3 == 18
    for n in (1, 2, 3):
        apply(session, refund_event(session, pid, (f"re_{n}", 111)))
    reversals = session.exec(
        select(Commission.amount_kop).where(Commission.kind == "reversal").order_by(Commission.id)
    ).all()
    assert reversals == [-6, -5, -6]
    assert sum(reversals) == -17
    assert book(session, pid)["status"] == "refunded"


def test_refunds_never_exceed_the_payment(session, paid):
    pid = paid["pid"]
    apply(session, refund_event(session, pid, ("re_1", 40000)))
    assert apply(session, refund_event(session, pid, ("re_2", 40000))) == "applied"
    assert apply(session, refund_event(session, pid, total=90000)) == "duplicate"
    assert apply(session, refund_event(session, pid, ("re_3", 1))) == "duplicate"
    assert book(session, pid) == {
        "status": "refunded",
        "refunded": AMOUNT,
        "ledger": [-40000, -10000],
        "reversed": -2500,
    }


def test_a_refund_of_a_payment_still_pending_here_asks_for_redelivery(session, factory):
    sim = factory.sim(factory.subscriber(), partner=factory.partner())
    payment = payments.new_payment(
        session, sim=sim, amount_kop=AMOUNT, method="card", idempotency_key="early-1", gateway="x"
    )
    session.commit()
    early = refund_event(session, payment.id, ("re_1", 15000))
    assert apply(session, early) == "early"
    assert book(session, payment.id) == {
        "status": "pending",
        "refunded": 0,
        "ledger": [],
        "reversed": 0,
    }
    succeeded = GatewayEvent("evt_ok", "payment_succeeded", "pi_early", "early-1")
    assert apply(session, succeeded) == "applied"
    assert apply(session, early) == "applied"  # Stripe's redelivery
    assert book(session, payment.id)["refunded"] == 15000


def test_a_refund_event_for_a_failed_payment_or_without_an_amount_changes_nothing(
    session, factory, paid
):
    sim = factory.sim(factory.subscriber())
    failed = card_topup(session, sim, AMOUNT, status="failed")
    assert apply(session, refund_event(session, failed, ("re_f", 100))) == "duplicate"
    assert apply(session, refund_event(session, paid["pid"])) == "ignored"  # no amount at all
    assert count(session, PaymentRefund) == 0
    assert book(session, failed)["refunded"] == 0


def test_the_same_refund_arriving_twice_at_once_books_it_once(session, paid, engine):
    """Two webhook deliveries of one refund in two transactions at the same moment (PostgreSQL:
    real row locks; SQLite: its write lock)."""
    pid = paid["pid"]
    event = refund_event(session, pid, ("re_1", 15000))
    session.close()
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def deliver():
        try:
            with sa.orm.Session(engine) as s:
                start.wait()
                outcomes.append(payments.apply_event(s, event))
                s.commit()
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    assert sorted(outcomes) == ["applied", "duplicate"]
    assert book(session, pid)["ledger"] == [-15000]
    assert assert_ledger_consistent(session, paid["sim_id"]).balance_kop == 1000 + AMOUNT - 15000


# --------------------------------------------------------------------------- the admin's refund


def test_the_admin_refunds_what_is_left_after_a_partial_gateway_refund(session, paid):
    pid = paid["pid"]
    apply(session, refund_event(session, pid, ("re_1", 15000)))
    gw = FlakyGateway()
    assert payments.refund_payment(session, paid["admin"], gw, pid, "остаток") == 35000
    session.commit()
    key = fresh(session, Payment, pid).idempotency_key
    assert gw.refunded == [f"refund:{key}:15000"]  # asked for the rest, under a new key
    assert book(session, pid) == {
        "status": "refunded",
        "refunded": AMOUNT,
        "ledger": [-15000, -35000],
        "reversed": -2500,
    }
    assert assert_ledger_consistent(session, paid["sim_id"]).balance_kop == 1000
    [row] = session.exec(select(AuditLog).where(AuditLog.action == "payment.refund")).all()
    assert json.loads(row.before) == {"status": "succeeded", "refunded_kop": 15000}
    after = json.loads(row.after)
    assert (after["status"], after["refunded_kop"], after["amount_kop"]) == (
        "refunded",
        AMOUNT,
        35000,
    )
    with pytest.raises(DomainError) as err:
        payments.refund_payment(session, paid["admin"], gw, pid, "ещё раз")
    assert err.value.code == "payment.error.not_refundable"


def test_the_gateways_webhooks_for_the_admins_refund_book_nothing_more(session, paid):
    pid = paid["pid"]
    payments.refund_payment(session, paid["admin"], SandboxGateway(), pid, "ошибка")
    session.commit()
    once = book(session, pid)
    [row] = session.exec(select(PaymentRefund)).all()
    assert row.ref.startswith("re_sb_") and row.actor_user_id == paid["admin"].user_id
    assert apply(session, refund_event(session, pid, (row.ref, AMOUNT), by_ref=True)) == (
        "duplicate"
    )
    assert apply(session, refund_event(session, pid, total=AMOUNT)) == "duplicate"
    assert (
        book(session, pid)
        == once
        == {
            "status": "refunded",
            "refunded": AMOUNT,
            "ledger": [-AMOUNT],
            "reversed": -2500,
        }
    )


def test_a_webhook_that_books_the_admins_refund_first_leaves_it_the_admins(session, paid, engine):
    """Stripe may deliver refund.created before the admin's own call has booked the refund: it
    is booked once, and the admin's refund still names the admin and is audited."""
    pid = paid["pid"]
    payment_key = fresh(session, Payment, pid).idempotency_key

    class WebhookFirst(SandboxGateway):
        def refund(self, **kw):
            result = super().refund(**kw)
            with sa.orm.Session(engine) as other:  # the webhook, in its own transaction
                event = GatewayEvent(
                    "evt_fast",
                    "refunded",
                    payment_key=payment_key,
                    refunds=(GatewayRefund(result.gateway_ref, kw["amount_kop"]),),
                )
                assert payments.apply_event(other, event) == "applied"
                other.commit()
            return result

    payments.refund_payment(session, paid["admin"], WebhookFirst(), pid, "по просьбе")
    session.commit()
    assert book(session, pid)["ledger"] == [-AMOUNT]
    [row] = session.exec(select(PaymentRefund)).all()
    assert (row.actor_user_id, row.comment) == (paid["admin"].user_id, "по просьбе")
    assert count(session, AuditLog, AuditLog.action == "payment.refund") == 1


def test_two_admin_posts_of_one_refund_book_it_once(session, paid, new_session):
    """The second post read the payment before the first one booked its refund: the gateway
    answers the same key with the same refund, which is booked and audited once."""
    pid = paid["pid"]
    gw = FlakyGateway()
    second = new_session()
    seen = second.get(Payment, pid)  # what the second post has read (kept: a weak identity map)
    assert seen.status == "succeeded"
    assert payments.refund_payment(session, paid["admin"], gw, pid, "первый") == AMOUNT
    session.commit()
    assert payments.refund_payment(second, paid["admin"], gw, pid, "второй") == AMOUNT
    second.commit()
    assert len(gw.refunded) == 2 and len(set(gw.refunded)) == 1
    assert book(session, pid)["ledger"] == [-AMOUNT]
    assert count(session, AuditLog, AuditLog.action == "payment.refund") == 1


# --------------------------------------------------------------------------- what people see


def test_the_statement_shows_a_partly_refunded_payment_truthfully(session, paid):
    pid, sub = paid["pid"], paid["sub"]
    apply(session, refund_event(session, pid, ("re_1", 15000)))
    rows, total = statement.statement(session, sub, statement.StatementFilter())
    lines = {r.kind: r for r in rows}
    assert total == 3  # the opening balance, the top-up, the refund
    topup, refund = lines["topup"], lines["refund"]
    assert (topup.status, topup.amount_kop, topup.refunded_kop) == (
        "partly_refunded",
        AMOUNT,
        15000,
    )
    assert (refund.status, refund.amount_kop) == ("partly_refunded", -15000)
    assert statement.describe(topup, "ru").endswith("возвращено 150,00\xa0₽ из 500,00\xa0₽")
    assert statement.describe(refund, "en") == (
        "Refund: gateway refund · refunded 150.00\xa0₽ of 500.00\xa0₽"
    )
    found, _ = statement.statement(
        session, sub, statement.StatementFilter(status="partly_refunded")
    )
    assert {r.kind for r in found} == {"topup", "refund"}
    csv = statement.statement_csv(session, sub, statement.StatementFilter(), "ru")
    assert "Частично возвращён" in csv and "возвращено 150,00" in csv
    # refunded in full, it reads "refunded" and needs no "of"
    apply(session, refund_event(session, pid, ("re_2", 35000)))
    rows, _ = statement.statement(session, sub, statement.StatementFilter())
    topup = next(r for r in rows if r.kind == "topup")
    assert topup.status == "refunded" and "из" not in statement.describe(topup, "ru")


def test_a_statement_export_is_audited(session, paid):
    sub = paid["sub"]
    statement.statement_csv(
        session, sub, statement.StatementFilter(sim_id=paid["sim_id"], search=" 4242 "), "en"
    )
    session.commit()
    [row] = session.exec(select(AuditLog).where(AuditLog.action == "list.export")).all()
    assert (row.actor_user_id, row.entity_id) == (sub.user_id, "statement")
    after = json.loads(row.after)
    assert after["filters"] == {"sim_id": str(paid["sim_id"])}
    assert after["search"] == "4242" and after["rows"] == 0


def test_the_admins_payment_card_and_list_show_what_was_refunded(session, paid):
    pid, admin = paid["pid"], paid["admin"]
    apply(session, refund_event(session, pid, total=10000))
    apply(session, refund_event(session, pid, ("re_1", 10000)))  # the same money, named
    card = payment_lists.payment_card(session, admin, pid)
    assert (card.status, card.display_status, card.refunded_kop) == (
        "succeeded",
        "partly_refunded",
        10000,
    )
    assert card.refundable  # the rest can still be given back
    assert [(r.applied_kop, r.by) for r in card.refunds] == [(10000, ""), (0, "")]
    assert card.commission_kop == 2500 - payments.commission_of(10000, 500)
    payments.refund_payment(session, admin, SandboxGateway(), pid, "остаток")
    session.commit()
    card = payment_lists.payment_card(session, admin, pid)
    assert (card.display_status, card.refunded_kop, card.refundable) == ("refunded", AMOUNT, False)
    assert card.refunds[-1].applied_kop == 40000 and card.refunds[-1].by == "Админ"
    assert card.commission_kop == 0
    page = fetch_page(session, admin, payment_lists.PAYMENT_LIST, ListQuery())
    [row] = [r for r in page.rows if r["id"] == pid]
    assert row["refunded_kop"] == AMOUNT
    totals = payment_lists.totals(session, admin, ListQuery())
    assert totals.refunded_kop == AMOUNT


def test_the_totals_count_partial_refunds(session, paid):
    apply(session, refund_event(session, paid["pid"], ("re_1", 15000)))
    totals = payment_lists.totals(session, paid["admin"], ListQuery())
    assert (totals.succeeded_kop, totals.refunded_kop) == (AMOUNT, 15000)


def test_the_subscriber_card_lists_the_payment_as_partly_refunded(session, paid):
    apply(session, refund_event(session, paid["pid"], ("re_1", 15000)))
    detail = contracts.subscriber_detail(session, paid["admin"], paid["sub"].subscriber_id)
    [p] = [p for p in detail.payments if p.id == paid["pid"]]
    assert (p.status, p.refunded_kop) == ("partly_refunded", 15000)


# --------------------------------------------------------------------------- the migration


def _insert(conn, table_name: str, **values) -> int:
    """A row in the schema as it is now (reflected), the models' defaults filling the rest."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    model = SQLModel.metadata.tables[table_name]
    row = dict(values)
    for col in table.columns:
        if col.name in row or col.primary_key or col.nullable or col.server_default is not None:
            continue
        default = model.c[col.name].default
        row[col.name] = default.arg(None) if default.is_callable else default.arg
    return conn.execute(sa.insert(table).values(row).returning(table.c.id)).scalar_one()


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"paysim_refund_migration_{os.getpid()}"
    try:
        yield create_postgres_database(name)
    finally:
        drop_postgres_database(name)


def test_the_migration_upgrades_a_database_with_payments(empty_url):
    """Old refunds were whole: their payments have given back all of it. (On SQLite too, where
    payment and ledger_entry are referenced by other tables' rows and must not be rebuilt.)"""
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0009")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            sim = _insert(
                conn,
                "sim",
                iccid=make_iccid(900001),
                msisdn=make_msisdn(900001),
                imsi=make_imsi(900001),
                balance_kop=0,  # a column of `sim` until 0040
            )
            partner = _insert(conn, "partner", code="MIG", name="Дилер", commission_bp=500)
            common = {"sim_id": sim, "amount_kop": 1000, "method": "card", "partner_id": partner}
            refunded = _insert(conn, "payment", status="refunded", idempotency_key="m1", **common)
            kept = _insert(conn, "payment", status="succeeded", idempotency_key="m2", **common)
            for pid, kind, kop in ((refunded, "accrual", 50), (refunded, "reversal", -50)):
                _insert(
                    conn,
                    "commission",
                    partner_id=partner,
                    payment_id=pid,
                    kind=kind,
                    rate_bp=500,
                    amount_kop=kop,
                )
            _insert(
                conn,
                "ledger_entry",
                sim_id=sim,
                kind="topup",
                amount_kop=1000,
                balance_after_kop=1000,
                payment_id=kept,
            )
        command.upgrade(cfg, "0010")
        with engine.connect() as conn:
            got = dict(conn.execute(sa.text("SELECT id, refunded_kop FROM payment")).all())
            kinds = conn.execute(sa.text("SELECT kind FROM commission ORDER BY id")).scalars()
            assert got == {refunded: 1000, kept: 0}
            assert list(kinds) == ["accrual", "reversal"]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE payment SET refunded_kop = 1001 WHERE id = {kept}"))
    finally:
        engine.dispose()


def test_the_migration_folds_partial_reversals_when_undone(empty_url):
    cfg = alembic_config(empty_url)
    if "sqlite" in empty_url:
        pytest.skip("undoing 0010 rebuilds payment on SQLite: for a database without children")
    command.upgrade(cfg, "0010")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            sim = _insert(
                conn,
                "sim",
                iccid=make_iccid(900002),
                msisdn=make_msisdn(900002),
                imsi=make_imsi(900002),
                balance_kop=0,  # a column of `sim` until 0040
            )
            partner = _insert(conn, "partner", code="MIG2", name="Дилер", commission_bp=500)
            kept = _insert(
                conn,
                "payment",
                sim_id=sim,
                amount_kop=1000,
                method="card",
                status="succeeded",
                idempotency_key="m3",
                refunded_kop=200,
            )
            for n, back in ((1, -20), (2, -30)):
                rid = _insert(
                    conn, "payment_refund", payment_id=kept, ref=f"re_{n}", amount_kop=100
                )
                _insert(
                    conn,
                    "commission",
                    partner_id=partner,
                    payment_id=kept,
                    kind="reversal",
                    rate_bp=500,
                    amount_kop=back,
                    refund_id=rid,
                )
        command.downgrade(cfg, "0009")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT payment_id, kind, amount_kop FROM commission")
            ).all()
        assert [tuple(r) for r in rows] == [(kept, "reversal", -50)]
    finally:
        engine.dispose()


def test_sim_balance_is_untouched_by_a_duplicate(session, paid):
    """Belt and braces: whatever is redelivered, balance == sum of entries."""
    pid = paid["pid"]
    for _ in range(3):
        apply(session, refund_event(session, pid, ("re_1", 15000), total=15000))
    sim = session.get(Sim, paid["sim_id"])
    assert assert_ledger_consistent(session, sim.id).balance_kop == 1000 + AMOUNT - 15000
