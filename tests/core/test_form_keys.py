"""A money form posts once: the balance correction and the partner's cash top-up keep the key of
the form that posted them; the same form posted again (a double click, a replayed event, two
at the same moment) changes nothing and answers as the first post did."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy.orm import Session
from sqlmodel import select

from paysim_app.billing import partner_topups
from paysim_app.core import form_keys
from paysim_app.core.errors import ValidationError
from paysim_app.models import AuditLog, Commission, LedgerEntry, Payment
from paysim_app.subscribers import contracts
from tests.money_helpers import assert_ledger_consistent, count


@pytest.fixture
def world(factory):
    dealer = factory.partner()
    customer = factory.subscriber(full_name="Иван Петров")
    sim = factory.sim(customer, partner=dealer, balance_kop=30000)
    return {
        "admin": factory.superadmin(),
        "other_admin": factory.superadmin(),
        "dealer": dealer,
        "sub_id": customer.subscriber_id,
        "sim_id": sim.id,
    }


def corrections(session, sim_id):
    session.expire_all()
    return session.exec(
        select(LedgerEntry)
        .where(LedgerEntry.sim_id == sim_id, LedgerEntry.kind == "adjustment")
        .order_by(LedgerEntry.id)
    ).all()[1:]  # the first is the factory's opening balance


def test_new_keys_are_fresh_and_of_the_accepted_shape():
    keys = {form_keys.new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(form_keys.KEY.fullmatch(k) for k in keys)


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "with space1", "../../etc", None, 12345678])
def test_a_key_that_is_not_one_of_ours_is_refused(session, world, key):
    with pytest.raises(ValidationError) as err:
        contracts.correct_balance(
            session, world["admin"], world["sub_id"], world["sim_id"], 100, "Бонус", form_key=key
        )
    assert (err.value.code, err.value.field) == ("error.invalid", "form_key")
    session.rollback()
    assert corrections(session, world["sim_id"]) == []


def test_the_same_correction_form_posted_twice_corrects_once(session, world):
    admin, sid, sim_id = world["admin"], world["sub_id"], world["sim_id"]
    key = form_keys.new_key()
    first = contracts.correct_balance(
        session, admin, sid, sim_id, -2500, "Ошибочное зачисление", form_key=key
    )
    session.commit()
    # the replay answers as the first post did, whatever the (since cleared) form now says
    again = contracts.correct_balance(session, admin, sid, sim_id, 0, "", form_key=key)
    session.commit()
    assert again == first
    assert (first.amount_kop, first.balance_after_kop) == (-2500, 27500)
    [entry] = corrections(session, sim_id)
    assert entry.form_key == f"correction:{admin.user_id}:{key}"
    assert assert_ledger_consistent(session, sim_id).balance_kop == 27500
    assert count(session, AuditLog, AuditLog.action == "sim.balance_correction") == 1
    # a new form (a new key) is a new correction
    contracts.correct_balance(
        session, admin, sid, sim_id, -2500, "Ещё одно", form_key=form_keys.new_key()
    )
    session.commit()
    assert assert_ledger_consistent(session, sim_id).balance_kop == 25000


def test_a_key_belongs_to_the_admin_who_opened_the_form(session, world):
    key = form_keys.new_key()
    args = (world["sub_id"], world["sim_id"], 1000, "Бонус")
    mine = contracts.correct_balance(session, world["admin"], *args, form_key=key)
    theirs = contracts.correct_balance(session, world["other_admin"], *args, form_key=key)
    session.commit()
    assert mine.entry_id != theirs.entry_id
    assert assert_ledger_consistent(session, world["sim_id"]).balance_kop == 32000


def test_two_posts_of_one_correction_form_at_the_same_moment_correct_once(session, world, engine):
    """Two sessions in two threads (PostgreSQL: the SIM's row lock, then the unique key;
    SQLite: its write lock)."""
    key = form_keys.new_key()
    session.close()
    start = threading.Barrier(2)
    answers, errors = [], []

    def post(comment):
        try:
            with Session(engine, expire_on_commit=False) as s:
                start.wait()
                answers.append(
                    contracts.correct_balance(
                        s,
                        world["admin"],
                        world["sub_id"],
                        world["sim_id"],
                        -1000,
                        comment,
                        form_key=key,
                    )
                )
                s.commit()
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(c,)) for c in ("Первый клик", "Второй клик")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    assert len(answers) == 2 and answers[0] == answers[1]
    assert len(corrections(session, world["sim_id"])) == 1
    assert assert_ledger_consistent(session, world["sim_id"]).balance_kop == 29000
    [audit] = session.exec(
        select(AuditLog).where(AuditLog.action == "sim.balance_correction")
    ).all()
    assert json.loads(audit.after)["amount_kop"] == -1000


def test_two_posts_of_one_partner_top_up_at_the_same_moment_credit_once(session, world, engine):
    key = form_keys.new_key()
    session.close()
    start = threading.Barrier(2)
    answers, errors = [], []

    def post():
        try:
            with Session(engine, expire_on_commit=False) as s:
                start.wait()
                answers.append(
                    partner_topups.partner_topup(
                        s, world["dealer"].actor, world["sim_id"], 50000, key
                    )
                )
                s.commit()
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    assert answers[0].payment_id == answers[1].payment_id
    assert count(session, Payment, Payment.method == "partner") == 1
    assert count(session, Commission) == 1
    assert assert_ledger_consistent(session, world["sim_id"]).balance_kop == 80000
