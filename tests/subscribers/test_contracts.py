"""The admin Subscribers section: the contract's detail, editing personal data and notes,
deactivating and reactivating a contract (and what that does to SIMs, blocks, requests,
autopay and the account), the reset link, the balance correction through the ledger, the
list's select, refusals for customers and for the support operator, and the audit rows."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.billing import ledger
from paysim_app.core import form_keys
from paysim_app.core.errors import (
    AuthError,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from paysim_app.core.outbox import render_for_sending
from paysim_app.models import (
    ActivationRequest,
    AuditLog,
    AutopayRun,
    AutopaySetting,
    Block,
    LedgerEntry,
    OutboxEmail,
    PasswordResetToken,
    Payment,
    Sim,
    Subscriber,
    TariffChangeRequest,
    Ticket,
    UnblockRequest,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.sims import own_sims
from paysim_app.subscribers import contracts as subs
from tests.conftest import PASSWORD
from tests.money_helpers import assert_ledger_consistent

_keys = itertools.count(1)


def _correct(session, actor, *args, form_key=None):
    """A correction posted by a freshly opened form (its own key)."""
    return subs.correct_balance(session, actor, *args, form_key=form_key or form_keys.new_key())


@pytest.fixture
def world(factory):
    s = factory.session
    alice = factory.subscriber("alice@example.ru", full_name="Алиса Смирнова")
    dealer = factory.partner(name="Связь-Плюс")
    sub = s.get(Subscriber, alice.subscriber_id)
    sub.partner_id = dealer.partner.id
    s.commit()
    tariff = factory.tariff(name="Дача 50")
    sim = factory.sim(alice, tariff=tariff, balance_kop=30000)
    return {
        "alice": alice,
        "sub_id": alice.subscriber_id,
        "sim": sim,
        "tariff": tariff,
        "dealer": dealer,
        "admin": factory.superadmin(),
        "support": factory.support(),
    }


def _payment(session, sim, amount_kop, minutes_ago=0, status="succeeded"):
    p = Payment(
        sim_id=sim.id,
        subscriber_id=sim.subscriber_id,
        amount_kop=amount_kop,
        method="card",
        status=status,
        idempotency_key=f"adm-sub-{next(_keys)}",
        created_at=utcnow() - timedelta(minutes=minutes_ago),
    )
    session.add(p)
    session.commit()
    return p


def _audit(session, action: str) -> list[AuditLog]:
    session.expire_all()
    return list(
        session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()
    )


def _sim(session, sim_id) -> Sim:
    session.expire_all()
    return session.get(Sim, sim_id)


# -- detail --------------------------------------------------------------------------------------


def test_detail_shows_contract_sims_payments_tickets_and_requests(session, factory, world):
    alice, sim = world["alice"], world["sim"]
    second = factory.sim(alice, status="suspended", balance_kop=-5000)
    for i in range(25):
        _payment(session, sim, 1000 + i, minutes_ago=100 - i)
    session.add_all(
        [
            Ticket(
                author_user_id=alice.user_id, subscriber_id=alice.subscriber_id, subject="Связь"
            ),
            Ticket(
                author_user_id=alice.user_id,
                subscriber_id=alice.subscriber_id,
                subject="Старое",
                status="closed",
            ),
            TariffChangeRequest(
                sim_id=sim.id, requester_user_id=alice.user_id, to_tariff_id=world["tariff"].id
            ),
        ]
    )
    session.commit()
    own_sims.block_sim(session, alice, second.id, "lost")
    own_sims.request_unblock(session, alice, second.id)
    session.commit()
    # a SIM claimed from the shop: not on the contract yet, its activation request is
    shop_sim = factory.sim(status="awaiting_activation")
    session.add(
        ActivationRequest(
            sim_id=shop_sim.id, requester_user_id=alice.user_id, subscriber_id=alice.subscriber_id
        )
    )
    session.commit()

    d = subs.subscriber_detail(session, world["support"], world["sub_id"])  # view is enough
    assert (d.contract_no, d.full_name, d.email, d.status, d.partner_name, d.login) == (
        session.get(Subscriber, world["sub_id"]).contract_no,
        "Алиса Смирнова",
        "alice@example.ru",
        "active",
        "Связь-Плюс",
        "alice@example.ru",
    )
    assert d.account_active and d.total_balance_kop == 25000
    assert [(s.msisdn, s.status, s.balance_kop, s.tariff_name) for s in d.sims] == [
        (sim.msisdn, "active", 30000, "Дача 50"),
        (second.msisdn, "blocked", -5000, ""),
    ]
    assert len(d.payments) == 20 and d.payments[0].amount_kop == 1024
    assert [p.amount_kop for p in d.payments] == sorted(
        (p.amount_kop for p in d.payments), reverse=True
    )
    assert [t.subject for t in d.open_tickets] == ["Связь"]
    assert sorted(r.kind for r in d.open_requests) == ["activation", "tariff_change", "unblock"]
    assert {r.msisdn for r in d.open_requests if r.kind == "activation"} == {shop_sim.msisdn}


def test_missing_subscriber_is_not_found(session, world):
    with pytest.raises(NotFound):
        subs.subscriber_detail(session, world["admin"], 9999)
    with pytest.raises(NotFound):
        subs.set_notes(session, world["admin"], "1", "x")


# -- refusals ------------------------------------------------------------------------------------


def test_customers_and_the_support_operator_cannot_change_anything(session, world):
    sid, sim_id = world["sub_id"], world["sim"].id
    writes = [
        lambda a: subs.update_subscriber(session, a, sid, "Имя", "", "", "", ""),
        lambda a: subs.set_notes(session, a, sid, "заметка"),
        lambda a: subs.deactivate_subscriber(session, a, sid),
        lambda a: subs.reactivate_subscriber(session, a, sid),
        lambda a: subs.send_password_reset(session, a, sid),
        lambda a: _correct(session, a, sid, sim_id, 100, "бонус"),
    ]
    for actor in (world["alice"], world["dealer"].actor, world["support"], None):
        for call in writes:
            with pytest.raises(PermissionDenied):
                call(actor)
    for actor in (world["alice"], world["dealer"].actor, None):
        with pytest.raises(PermissionDenied):
            subs.subscriber_detail(session, actor, sid)
    session.commit()
    assert _sim(session, sim_id).balance_kop == 30000
    assert session.get(Subscriber, sid).status == "active"
    assert not session.exec(select(AuditLog).where(AuditLog.entity != "user")).all()
    assert not session.exec(select(OutboxEmail)).all()


# -- personal data and notes ---------------------------------------------------------------------


def test_edit_personal_data_normalises_and_audits_but_keeps_the_login(session, world):
    admin, sid = world["admin"], world["sub_id"]
    subs.update_subscriber(
        session,
        admin,
        sid,
        "  Алиса   Петрова ",
        " Alice.New@Example.RU ",
        "8 (912) 345-67-89",
        " Москва,  ул. Ленина, 1 ",
        "45 01  123456",
    )
    session.commit()
    sub = session.get(Subscriber, sid)
    assert (sub.full_name, sub.email, sub.phone, sub.address, sub.document_no) == (
        "Алиса Петрова",
        "alice.new@example.ru",
        "+79123456789",
        "Москва, ул. Ленина, 1",
        "45 01 123456",
    )
    user = session.get(User, sub.user_id)
    assert (user.full_name, user.email) == ("Алиса Петрова", "alice@example.ru")  # login kept
    (row,) = _audit(session, "subscriber.update")
    assert json.loads(row.before)["email"] == "alice@example.ru"
    assert json.loads(row.after)["phone"] == "+79123456789"
    # the same data again changes nothing and writes no audit row
    subs.update_subscriber(
        session, admin, sid, "Алиса Петрова", "alice.new@example.ru", "+79123456789",
        "Москва, ул. Ленина, 1", "45 01 123456",
    )  # fmt: skip
    session.commit()
    assert len(_audit(session, "subscriber.update")) == 1
    # the old login still signs in
    identity.sign_in(session, "alice@example.ru", PASSWORD)


@pytest.mark.parametrize(
    ("field", "values", "code"),
    [
        ("full_name", ("  ", "x" * 201), None),
        ("email", ("not-an-email", "a@", "x" * 250 + "@example.ru"), "profile.error.email"),
        ("phone", ("12345", "+1 212 555 0100", "+7 999 123-45-6"), "profile.error.phone"),
        ("address", ("x" * 301,), "profile.error.too_long"),
        ("document_no", ("x" * 41, "45 01 <script>"), "admin_subscribers.error.document"),
    ],
)
def test_bad_personal_data_is_refused_and_changes_nothing(session, world, field, values, code):
    good = {
        "full_name": "Алиса",
        "email": "a@example.ru",
        "phone": "+79990000001",
        "address": "Адрес",
        "document_no": "4501 123456",
    }
    for value in values:
        with pytest.raises(ValidationError) as err:
            subs.update_subscriber(
                session, world["admin"], world["sub_id"], **{**good, field: value}
            )
        assert err.value.field == field
        if code:
            assert err.value.code == code
    session.commit()
    session.expire_all()
    assert session.get(Subscriber, world["sub_id"]).full_name == "Алиса Смирнова"
    assert not _audit(session, "subscriber.update")


def test_notes_are_saved_audited_and_limited(session, world):
    subs.set_notes(session, world["admin"], world["sub_id"], "  Звонить после 18:00  ")
    session.commit()
    assert session.get(Subscriber, world["sub_id"]).notes == "Звонить после 18:00"
    (row,) = _audit(session, "subscriber.notes")
    assert json.loads(row.after) == {"notes": "Звонить после 18:00"}
    with pytest.raises(ValidationError):
        subs.set_notes(session, world["admin"], world["sub_id"], "x" * 5001)
    assert subs.subscriber_detail(session, world["support"], world["sub_id"]).notes.startswith(
        "Звонить"
    )


# -- deactivation --------------------------------------------------------------------------------


def test_deactivation_ends_sims_blocks_requests_autopay_and_the_account(session, factory, world):
    alice, sim, admin = world["alice"], world["sim"], world["admin"]
    in_debt = factory.sim(alice, status="suspended", balance_kop=-7000)
    lost = factory.sim(alice, balance_kop=100)
    own_sims.block_sim(session, alice, lost.id, "lost")
    own_sims.request_unblock(session, alice, lost.id, "нашлась")
    card = factory.card(alice)
    session.add(AutopaySetting(sim_id=sim.id, card_id=card.id))
    session.add(
        AutopayRun(
            sim_id=sim.id,
            period="2026-01",
            status="failed",
            next_retry_at=utcnow() + timedelta(days=1),
        )
    )
    session.add(
        TariffChangeRequest(
            sim_id=sim.id, requester_user_id=alice.user_id, to_tariff_id=world["tariff"].id
        )
    )
    shop_sim = factory.sim(status="awaiting_activation")
    session.add(
        ActivationRequest(
            sim_id=shop_sim.id, requester_user_id=alice.user_id, subscriber_id=alice.subscriber_id
        )
    )
    session.commit()
    token, _ = identity.sign_in(session, "alice@example.ru", PASSWORD)
    session.commit()

    result = subs.deactivate_subscriber(session, admin, world["sub_id"], "по заявлению")
    session.commit()
    session.expire_all()

    assert result.sims_deactivated == sorted([sim.id, in_debt.id, lost.id])
    assert result.requests_cancelled == 3 and result.autopay_disabled == [sim.id]
    assert result.account_disabled
    for sid in (sim.id, in_debt.id, lost.id):
        row = session.get(Sim, sid)
        assert (row.status, row.status_before_block) == ("deactivated", None)
    assert session.get(Sim, in_debt.id).balance_kop == -7000  # the balance stays
    assert session.get(Sim, shop_sim.id).status == "in_stock"  # the claimed SIM goes back
    block = session.exec(select(Block).where(Block.sim_id == lost.id)).one()
    assert block.lifted_at is not None and block.lifted_by_user_id == admin.user_id
    assert result.blocks_closed == [block.id]
    for model in (UnblockRequest, TariffChangeRequest, ActivationRequest):
        row = session.exec(select(model)).one()
        assert (row.status, row.decided_by_user_id) == ("cancelled", admin.user_id)
    assert session.exec(select(ActivationRequest)).one().reason == "Договор расторгнут."
    assert not session.exec(select(AutopaySetting)).one().enabled
    assert session.exec(select(AutopayRun)).one().next_retry_at is None
    assert session.get(Subscriber, world["sub_id"]).status == "inactive"
    assert not session.get(User, alice.user_id).is_active
    assert identity.resolve_session(session, token) is None
    with pytest.raises(AuthError):
        identity.sign_in(session, "alice@example.ru", PASSWORD)
    (row,) = _audit(session, "subscriber.deactivate")
    before, after = json.loads(row.before), json.loads(row.after)
    assert before["sims"] == {
        str(sim.id): "active",
        str(in_debt.id): "suspended",
        str(lost.id): "blocked",
    }
    assert after["sims_deactivated"] == result.sims_deactivated
    assert after["comment"] == "по заявлению" and after["status"] == "inactive"
    assert len(_audit(session, "user.set_active")) == 1
    # a second time: refused
    with pytest.raises(DomainError) as err:
        subs.deactivate_subscriber(session, admin, world["sub_id"])
    assert err.value.code == "admin_subscribers.error.already_inactive"
    d = subs.subscriber_detail(session, admin, world["sub_id"])
    assert d.status == "inactive" and not d.account_active and d.open_requests == []


def test_reactivation_enables_the_account_but_not_the_sims(session, world):
    admin, sid = world["admin"], world["sub_id"]
    with pytest.raises(DomainError) as err:
        subs.reactivate_subscriber(session, admin, sid)
    assert err.value.code == "admin_subscribers.error.already_active"
    subs.deactivate_subscriber(session, admin, sid)
    session.commit()
    subs.reactivate_subscriber(session, admin, sid)
    session.commit()
    session.expire_all()
    assert session.get(Subscriber, sid).status == "active"
    assert session.get(User, world["alice"].user_id).is_active
    assert _sim(session, world["sim"].id).status == "deactivated"
    identity.sign_in(session, "alice@example.ru", PASSWORD)
    (row,) = _audit(session, "subscriber.reactivate")
    assert json.loads(row.after) == {"status": "active", "account_active": True}


# -- reset link ----------------------------------------------------------------------------------


def test_reset_link_goes_to_the_outbox_and_the_token_stays_secret(session, world):
    admin, sid = world["admin"], world["sub_id"]
    to = subs.send_password_reset(session, admin, sid, base_url="https://paysim.test")
    session.commit()
    assert to == "alice@example.ru"
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "password_reset")).one()
    assert mail.to_address == "alice@example.ru" and "https://paysim.test/reset?token=" in mail.body
    assert session.exec(select(PasswordResetToken)).one().user_id == world["alice"].user_id
    (row,) = _audit(session, "subscriber.reset_link")
    token = render_for_sending(mail).split("token=")[1].split()[0]
    assert token not in mail.body and token not in row.after and token not in to
    subs.deactivate_subscriber(session, admin, sid)
    session.commit()
    with pytest.raises(DomainError) as err:
        subs.send_password_reset(session, admin, sid)
    assert err.value.code == "admin_subscribers.error.account_disabled"


def test_reset_link_needs_an_account(session, world):
    sub = Subscriber(contract_no="PS-9999999", full_name="Без входа")
    session.add(sub)
    session.commit()
    with pytest.raises(DomainError) as err:
        subs.send_password_reset(session, world["admin"], sub.id)
    assert err.value.code == "admin_subscribers.error.no_account"


# -- balance correction --------------------------------------------------------------------------


def test_correction_writes_an_adjustment_and_keeps_balance_equal_to_entries(session, world):
    admin, sid, sim = world["admin"], world["sub_id"], world["sim"]
    c = _correct(session, admin, sid, sim.id, -12345, "  Ошибочное   пополнение ")
    session.commit()
    assert (c.amount_kop, c.balance_after_kop, c.sim_status) == (-12345, 17655, "active")
    entry = session.get(LedgerEntry, c.entry_id)
    assert (entry.kind, entry.amount_kop, entry.actor_user_id, entry.comment) == (
        "adjustment",
        -12345,
        admin.user_id,
        "Ошибочное пополнение",
    )
    assert assert_ledger_consistent(session, sim.id).balance_kop == 17655
    assert ledger.entries_total(session, sim.id) == 17655
    (row,) = _audit(session, "sim.balance_correction")
    assert (row.entity, row.entity_id, row.actor_user_id) == ("sim", str(sim.id), admin.user_id)
    assert json.loads(row.before) == {"balance_kop": 30000, "status": "active"}
    after = json.loads(row.after)
    assert (after["amount_kop"], after["comment"], after["ledger_entry_id"]) == (
        -12345,
        "Ошибочное пополнение",
        c.entry_id,
    )


def test_debit_suspends_and_a_credit_to_zero_restores_the_sim(session, world):
    admin, sid, sim = world["admin"], world["sub_id"], world["sim"]
    c = _correct(session, admin, sid, sim.id, -40000, "Долг за роуминг")
    session.commit()
    assert (c.balance_after_kop, c.sim_status) == (-10000, "suspended")
    c = _correct(session, admin, sid, sim.id, 5000, "Частичное списание долга")
    session.commit()
    assert (c.balance_after_kop, c.sim_status) == (-5000, "suspended")
    c = _correct(session, admin, sid, sim.id, 5000, "Списание остатка долга")
    session.commit()
    assert (c.balance_after_kop, c.sim_status) == (0, "active")
    assert assert_ledger_consistent(session, sim.id).status == "active"
    statuses = [json.loads(r.after)["status"] for r in _audit(session, "sim.balance_correction")]
    assert statuses == ["suspended", "suspended", "active"]


def test_correction_limits_are_inclusive(session, world):
    admin, sid, sim = world["admin"], world["sub_id"], world["sim"]
    _correct(session, admin, sid, sim.id, 100_000_000, "Перенос с закрытого договора")
    _correct(session, admin, sid, sim.id, -100_000_000, "Отмена переноса")
    session.commit()
    assert assert_ledger_consistent(session, sim.id).balance_kop == 30000


@pytest.mark.parametrize("amount", [0, 100_000_001, -100_000_001, 1.5, True, "100", None])
def test_correction_refuses_a_bad_amount(session, world, amount):
    with pytest.raises(ValidationError) as err:
        _correct(session, world["admin"], world["sub_id"], world["sim"].id, amount, "Причина")
    assert (err.value.code, err.value.field) == ("admin_subscribers.error.amount", "amount")


@pytest.mark.parametrize("comment", ["", "   ", None, "ок", "x" * 501])
def test_correction_needs_a_comment(session, world, comment):
    with pytest.raises(ValidationError) as err:
        _correct(session, world["admin"], world["sub_id"], world["sim"].id, 100, comment)
    assert err.value.field == "comment"
    session.commit()
    assert ledger.entries_total(session, world["sim"].id) == 30000
    assert not _audit(session, "sim.balance_correction")


def test_correction_only_on_a_sim_of_that_contract(session, factory, world):
    bob = factory.subscriber("bob@example.ru")
    bob_sim = factory.sim(bob, balance_kop=500)
    for sim_id in (bob_sim.id, 9999, str(world["sim"].id)):
        with pytest.raises(ValidationError) as err:
            _correct(session, world["admin"], world["sub_id"], sim_id, 100, "Бонус")
        assert err.value.code == "admin_subscribers.error.sim"
    session.commit()
    assert _sim(session, bob_sim.id).balance_kop == 500


def test_correction_also_settles_a_deactivated_contract(session, factory, world):
    admin, sid = world["admin"], world["sub_id"]
    in_debt = factory.sim(world["alice"], status="suspended", balance_kop=-7000)
    subs.deactivate_subscriber(session, admin, sid)
    session.commit()
    c = _correct(session, admin, sid, in_debt.id, 7000, "Списание долга при расторжении")
    session.commit()
    assert (c.balance_after_kop, c.sim_status) == (0, "deactivated")  # stays deactivated


# -- the list ------------------------------------------------------------------------------------


def test_subscriber_rows_select_has_the_list_columns(session, factory, world):
    factory.sim(world["alice"], balance_kop=-500)
    bob = factory.subscriber("+79990001122", full_name="Борис")
    rows = {r.id: r for r in session.execute(subs.subscriber_rows_select()).all()}
    a, b = rows[world["sub_id"]], rows[bob.subscriber_id]
    assert a._fields == (
        "id",
        "contract_no",
        "full_name",
        "phone",
        "email",
        "document_no",
        "status",
        "sim_count",
        "balance_kop",
        "created_at",
        "partner_id",
        "partner_name",
    )
    assert (a.full_name, a.email, a.status, a.sim_count, a.balance_kop, a.partner_name) == (
        "Алиса Смирнова",
        "alice@example.ru",
        "active",
        2,
        29500,
        "Связь-Плюс",
    )
    assert (b.phone, b.sim_count, b.balance_kop, b.partner_name) == ("+79990001122", 0, 0, None)
    query = subs.subscriber_rows_select()
    cols = query.selected_columns
    found = session.execute(query.where(cols.sim_count > 0).order_by(cols.balance_kop.desc())).all()
    assert [r.id for r in found] == [world["sub_id"]]
