"""Top-ups by card from the cabinet."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from paysim_app.billing import cards, topups
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.models import Payment, SavedCard, Sim
from paysim_app.payments.sandbox import TEST_CARDS
from tests.money_helpers import (
    GW,
    FlakyGateway,
    assert_ledger_consistent,
    count,
    fresh,
    saved_card_row,
    sim_payments,
    travel,
)

GOOD = "4242424242424242"


def card(number=GOOD, expiry="12/30", cvc="123"):
    return cards.read_card(number, expiry, cvc, on=date(2026, 11, 26))


def top_up(session, actor, sim, amount=30000, key="req-000001", gateway=GW, **kw):
    if "card_id" not in kw and "card" not in kw:
        kw["card"] = card()
    return topups.top_up_by_card(
        session, actor, gateway, sim_id=sim.id, amount_kop=amount, request_key=key, **kw
    )


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "kop"),
    [
        ("500", 50000),
        ("500,50", 50050),
        ("500.5", 50050),
        ("1 000.5", 100050),
        ("1\u00a0000", 100000),
        (" 300 ₽ ", 30000),
        ("0,01", 1),
        ("15000", 1500000),
        ("9999999", 999999900),
    ],
)
def test_parse_amount(text, kop):
    assert topups.parse_amount(text) == kop


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "-5", "5.", ".5", "1,234,5", "500.555", "1e3", "12345678", "5 руб", None],
)
def test_parse_amount_refuses_garbage(text):
    with pytest.raises(ValidationError) as err:
        topups.parse_amount(text)
    assert err.value.field == "amount"


@pytest.mark.parametrize("amount", [1000, 1500000])
def test_limits_accept_the_bounds(amount):
    topups.check_amount(amount)


@pytest.mark.parametrize("amount", [999, 1_500_001, 0, -1000, 1000.0, "1000"])
def test_limits_refuse_outside(amount):
    with pytest.raises(ValidationError) as err:
        topups.check_amount(amount)
    assert (err.value.code, err.value.params) == ("topup.error.limits", {"min": 10, "max": 15000})


def test_top_up_outside_limits_is_refused_and_charges_nothing(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    gw = FlakyGateway()
    for amount in (999, 1_500_001):
        with pytest.raises(ValidationError):
            top_up(session, sub, sim, amount, gateway=gw)
        session.rollback()
    assert gw.charged == [] and sim_payments(session, sim.id) == []


def test_quick_amounts_put_the_tariff_fee_first(session, factory):
    sub = factory.subscriber()
    odd = factory.sim(sub, tariff=factory.tariff(fee_kop=45000))
    usual = factory.sim(sub, tariff=factory.tariff(fee_kop=50000))
    bare = factory.sim(sub)
    free = factory.sim(sub, tariff=factory.tariff(fee_kop=0))
    assert topups.quick_amounts(session, sub, odd.id) == [45000, 30000, 50000, 100000]
    assert topups.quick_amounts(session, sub, usual.id) == [30000, 50000, 100000]
    assert topups.quick_amounts(session, sub, bare.id) == [30000, 50000, 100000]
    assert topups.quick_amounts(session, sub, free.id) == [30000, 50000, 100000]
    with pytest.raises(PermissionDenied):
        topups.quick_amounts(session, factory.subscriber(), odd.id)


# --------------------------------------------------------------------------- the card form


def test_read_card_accepts_spaces_dashes_and_both_year_forms():
    got = cards.read_card("4242 4242-4242 4242", " 7 / 2031 ", " 1234 ", on=date(2026, 11, 26))
    assert (got.number, got.exp_month, got.exp_year, got.cvc) == (GOOD, 7, 2031, "1234")
    assert cards.read_card(GOOD, "11/26", "123", on=date(2026, 11, 26)).exp_year == 2026
    assert "4242424242424242" not in repr(got) and "1234" not in repr(got)


@pytest.mark.parametrize(
    ("number", "expiry", "cvc", "code", "field"),
    [
        ("4242424242424241", "12/30", "123", "card.error.number", "card_number"),  # Luhn
        ("4242 4242 420", "12/30", "123", "card.error.number", "card_number"),  # 11, Luhn ok
        ("42424242424242424242", "12/30", "123", "card.error.number", "card_number"),  # 20
        ("4242abcd42424242", "12/30", "123", "card.error.number", "card_number"),
        ("", "12/30", "123", "card.error.number", "card_number"),
        (None, "12/30", "123", "card.error.number", "card_number"),
        (GOOD, "10/26", "123", "card.error.expired", "card_expiry"),  # past (it is 26.11.2026)
        (GOOD, "12/2025", "123", "card.error.expired", "card_expiry"),
        (GOOD, "13/30", "123", "card.error.expiry", "card_expiry"),
        (GOOD, "00/30", "123", "card.error.expiry", "card_expiry"),
        (GOOD, "12/3", "123", "card.error.expiry", "card_expiry"),
        (GOOD, "12/60", "123", "card.error.expiry", "card_expiry"),  # absurdly far ahead
        (GOOD, "", "123", "card.error.expiry", "card_expiry"),
        (GOOD, "12/30", "12", "card.error.cvc", "card_cvc"),
        (GOOD, "12/30", "12345", "card.error.cvc", "card_cvc"),
        (GOOD, "12/30", "1a3", "card.error.cvc", "card_cvc"),
        (GOOD, "12/30", None, "card.error.cvc", "card_cvc"),
    ],
)
def test_read_card_refuses_bad_input(number, expiry, cvc, code, field):
    with pytest.raises(ValidationError) as err:
        cards.read_card(number, expiry, cvc, on=date(2026, 11, 26))
    assert (err.value.code, err.value.field) == (code, field)


def test_read_card_uses_todays_date_by_default():
    with travel(date(2026, 11, 26)):
        assert cards.read_card(GOOD, "11/26", "123").exp_month == 11
        with pytest.raises(ValidationError):
            cards.read_card(GOOD, "10/26", "123")


# --------------------------------------------------------------------------- charging


def test_top_up_by_new_card_credits_the_sim(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=1000, partner=factory.partner())
    out = top_up(session, sub, sim, 30000)
    assert (out.status, out.amount_kop, out.balance_kop, out.decline_code) == (
        "succeeded",
        30000,
        31000,
        None,
    )
    assert (out.sim_id, out.msisdn, out.card_saved) == (sim.id, sim.msisdn, False)
    p = fresh(session, Payment, out.payment_id)
    assert (p.method, p.card_last4, p.card_brand, p.payer_user_id, p.card_id) == (
        "card",
        "4242",
        "visa",
        sub.user_id,
        None,
    )
    assert p.idempotency_key == f"topup:{sim.id}:req-000001"
    assert assert_ledger_consistent(session, sim.id).balance_kop == 31000
    assert count(session, SavedCard) == 0
    assert topups.topup_result(session, sub, out.payment_id) == out


def test_top_up_can_save_the_card_without_keeping_its_number(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(
        session, sub, sim, card=card("5555 5555 5555 4444", "08/29", "321"), save_card=True
    )
    assert out.card_saved and out.status == "succeeded"
    [saved] = session.exec(select(SavedCard)).all()
    assert (saved.last4, saved.brand, saved.exp_month, saved.exp_year, saved.is_default) == (
        "4444",
        "mastercard",
        8,
        2029,
        True,
    )
    row = " ".join(str(v) for v in saved.model_dump().values())
    assert "5555555555554444" not in row and "321" not in row.split()
    assert fresh(session, Payment, out.payment_id).card_id == saved.id


def test_every_declining_test_card_leaves_the_balance_alone(session, factory, limits_of):
    limits_of("card.subscriber=20/hour")  # ten declines in a row: more than a person may try
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=7000)
    declining = sorted(n for n, how in TEST_CARDS.items() if how not in ("ok", "auth"))
    assert len(declining) == 10
    for i, number in enumerate(declining):
        out = top_up(session, sub, sim, 30000, key=f"declined-{i:04d}", card=card(number))
        expected = {"attach_then_decline": "card_declined"}.get(
            TEST_CARDS[number], TEST_CARDS[number]
        )
        assert (out.status, out.decline_code, out.balance_kop) == ("failed", expected, 7000)
        p = fresh(session, Payment, out.payment_id)
        assert (p.status, p.decline_code, p.card_last4) == ("failed", expected, number[-4:])
        assert p.completed_at is not None
    assert assert_ledger_consistent(session, sim.id).balance_kop == 7000
    assert len(sim_payments(session, sim.id)) == len(declining)


def test_a_card_that_needs_3ds_passes_when_the_payer_is_present(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    assert top_up(session, sub, sim, card=card("4000002760003184")).status == "succeeded"


def test_saving_a_declining_card_fails_the_payment_and_saves_nothing(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    for i, number in enumerate(["4000000000000002", "4000000000009995"]):
        out = top_up(session, sub, sim, key=f"save-decl-{i}", card=card(number), save_card=True)
        assert out.status == "failed" and not out.card_saved
    assert count(session, SavedCard) == 0
    assert fresh(session, Sim, sim.id).balance_kop == 0


def test_the_same_request_twice_charges_once(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    gw = FlakyGateway()
    first = top_up(session, sub, sim, 30000, key="form-abcdef01", gateway=gw)
    again = top_up(session, sub, sim, 30000, key="form-abcdef01", gateway=gw)
    assert again == first
    assert len(gw.charged) == 1
    assert len(sim_payments(session, sim.id)) == 1
    assert fresh(session, Sim, sim.id).balance_kop == 30000
    other = top_up(session, sub, sim, 30000, key="form-abcdef02", gateway=gw)
    assert other.payment_id != first.payment_id and other.balance_kop == 60000


def test_a_repeated_failed_request_is_not_retried(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    first = top_up(session, sub, sim, key="form-decl0001", card=card("4000000000000002"))
    again = top_up(session, sub, sim, key="form-decl0001")  # now with a good card
    assert again.payment_id == first.payment_id and again.status == "failed"
    assert fresh(session, Sim, sim.id).balance_kop == 0


def test_unknown_outcome_is_left_pending(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim, gateway=FlakyGateway(charges_fail=True))
    assert (out.status, out.balance_kop) == ("pending", 0)


def test_request_key_must_look_like_one(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    for key in ["", "short", "x" * 65, "has space1", "semi;colon", None]:
        with pytest.raises(ValidationError) as err:
            top_up(session, sub, sim, key=key)
        assert err.value.field == "request_key"
        session.rollback()
    assert sim_payments(session, sim.id) == []


def test_card_or_saved_card_exactly_one(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    saved = saved_card_row(session, sub)
    with pytest.raises(ValidationError):
        top_up(session, sub, sim, card=None)
    with pytest.raises(ValidationError):
        top_up(session, sub, sim, card=card(), card_id=saved.id)
    session.rollback()
    assert sim_payments(session, sim.id) == []


def test_someone_elses_sim_is_refused(session, factory):
    owner, stranger = factory.subscriber(), factory.subscriber()
    sim = factory.sim(owner)
    gw = FlakyGateway()
    for sim_id in (sim.id, 999_999, "1"):
        with pytest.raises(PermissionDenied):
            topups.top_up_by_card(
                session,
                stranger,
                gw,
                sim_id=sim_id,
                amount_kop=30000,
                request_key="req-000009",
                card=card(),
            )
    session.rollback()
    assert gw.charged == [] and sim_payments(session, sim.id) == []


def test_only_subscribers_top_up_here(session, factory):
    partner = factory.partner()
    sim = factory.sim(factory.subscriber(), partner=partner)
    for actor in (partner.actor, factory.superadmin(), None):
        with pytest.raises(PermissionDenied):
            top_up(session, actor, sim)
    session.rollback()
    assert sim_payments(session, sim.id) == []


def test_sims_out_of_service_are_refused(session, factory):
    sub = factory.subscriber()
    for status in ("in_stock", "deactivated"):
        sim = factory.sim(sub, status=status)
        with pytest.raises(DomainError) as err:
            top_up(session, sub, sim)
        assert err.value.code == "topup.error.sim_status"
        session.rollback()
        assert sim_payments(session, sim.id) == []


def test_sims_in_service_or_waiting_can_be_topped_up(session, factory):
    sub = factory.subscriber()
    for status in ("active", "suspended", "blocked", "awaiting_activation"):
        sim = factory.sim(sub, status=status, balance_kop=-100 if status == "suspended" else 0)
        out = top_up(session, sub, sim, key=f"status-{status[:4]}")
        assert (out.status, out.balance_kop) == (
            "succeeded",
            29900 if status == "suspended" else 30000,
        ), status


def test_top_up_restores_a_suspended_sim(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, status="suspended", balance_kop=-20000)
    out = top_up(session, sub, sim, 20000)
    assert out.balance_kop == 0
    assert fresh(session, Sim, sim.id).status == "active"


def test_saved_card_is_charged(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    saved = factory.card(sub)
    gw = FlakyGateway()
    out = top_up(session, sub, sim, 45000, card_id=saved.id, gateway=gw)
    assert (out.status, out.balance_kop, out.card_saved) == ("succeeded", 45000, False)
    p = fresh(session, Payment, out.payment_id)
    assert (p.card_id, p.card_last4, p.card_brand) == (saved.id, "4242", "visa")
    assert len(gw.charged) == 1


def test_saved_card_that_declines(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    saved = factory.card(sub, "4000000000000341")  # saves fine, then declines
    out = top_up(session, sub, sim, card_id=saved.id)
    assert (out.status, out.decline_code, out.balance_kop) == ("failed", "card_declined", 0)


def test_expired_saved_card_is_refused(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    with travel(date(2026, 11, 26)):
        old = saved_card_row(session, sub, exp_month=10, exp_year=2026)
        gw = FlakyGateway()
        with pytest.raises(ValidationError) as err:
            top_up(session, sub, sim, card_id=old.id, gateway=gw)
    assert (err.value.code, err.value.field) == ("card.error.expired", "card_id")
    session.rollback()
    assert gw.charged == [] and sim_payments(session, sim.id) == []


def test_someone_elses_or_deleted_saved_card_is_refused(session, factory):
    sub, other = factory.subscriber(), factory.subscriber()
    sim = factory.sim(sub)
    theirs = saved_card_row(session, other)
    mine = saved_card_row(session, sub)
    cards.delete_card(session, sub, GW, mine.id)
    session.commit()
    for card_id in (theirs.id, mine.id, 999_999):
        with pytest.raises(NotFound):
            top_up(session, sub, sim, card_id=card_id)
    session.rollback()
    assert sim_payments(session, sim.id) == []


def test_topup_result_shows_only_own_payments(session, factory):
    sub, other = factory.subscriber(), factory.subscriber()
    out = top_up(session, sub, factory.sim(sub))
    with pytest.raises(DomainError):
        topups.topup_result(session, other, out.payment_id)
    with pytest.raises(DomainError):
        topups.topup_result(session, sub, 999_999)
