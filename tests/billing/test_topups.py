"""Top-ups by card from the cabinet: a new card is paid on the provider's hosted page (the
sandbox's test page here), a saved card at once (or on the hosted page when its bank wants
3-D Secure); the result comes back by the return URL and by webhook, and counts once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlmodel import select

from paysim_app.billing import cards as cards_service
from paysim_app.billing import checkout, topups
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.models import LedgerEntry, Payment, SavedCard, Sim
from paysim_app.models.base import utcnow
from paysim_app.payments import GatewayError
from paysim_app.payments.sandbox import TEST_CARDS, SandboxGateway
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
from tests.payments.checkout_helpers import deliver, pay_on_page, session_of, types

GOOD = "4242424242424242"
cards = cards_service


def top_up(session, actor, sim, amount=30000, key="req-000001", gateway=GW, **kw):
    return topups.top_up_by_card(
        session, actor, gateway, sim_id=sim.id, amount_kop=amount, request_key=key, **kw
    )


def result(session, actor, out, gateway=GW, **kw):
    return topups.topup_result(session, actor, gateway, out.payment_id, **kw)


def paid(session, actor, sim, amount=30000, key="req-000001", number=GOOD, **kw):
    """A new-card top-up paid on the hosted page, read back through the return URL."""
    out = top_up(session, actor, sim, amount, key, **kw)
    assert out.status == "pending" and out.redirect_url
    assert pay_on_page(GW, out.redirect_url, number, confirm=True).kind == "complete"
    return result(session, actor, out)


class DownGateway(SandboxGateway):
    """The provider does not answer when the hosted page is asked for."""

    def start_checkout(self, **kw):
        raise GatewayError("timeout")


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


# --------------------------------------------------------------------------- the hosted page


def test_pay_sends_the_subscriber_to_the_hosted_page_and_moves_no_money(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=1000)
    out = top_up(session, sub, sim, 30000)
    assert (out.status, out.balance_kop, out.decline_code) == ("pending", 1000, None)
    assert out.redirect_url.startswith("http://localhost:3000/api/sandbox/checkout/cs_sb_")
    p = fresh(session, Payment, out.payment_id)
    assert p.checkout_session == session_of(out.redirect_url)
    assert p.checkout_expires_at is not None and p.checkout_url == out.redirect_url
    assert (p.card_last4, p.card_brand, p.card_id) == ("", "", None)
    assert p.idempotency_key == f"topup:{sim.id}:req-000001"
    page = GW.page(p.checkout_session)
    assert (page.mode, page.amount_kop, page.status) == ("payment", 30000, "open")
    assert assert_ledger_consistent(session, sim.id).balance_kop == 1000


def test_paid_on_the_page_the_return_url_credits_the_sim(session, factory, sandbox_webhooks):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=1000, partner=factory.partner())
    out = paid(session, sub, sim, 30000)
    assert (out.status, out.amount_kop, out.balance_kop, out.redirect_url) == (
        "succeeded",
        30000,
        31000,
        "",
    )
    p = fresh(session, Payment, out.payment_id)
    assert (p.method, p.card_last4, p.card_brand, p.payer_user_id) == (
        "card",
        "4242",
        "visa",
        sub.user_id,
    )
    assert p.gateway_ref and p.gateway_ref.startswith("pi_sb_")
    assert count(session, SavedCard) == 0
    # the provider's webhooks arrive after the subscriber came back: they change nothing
    assert types(sandbox_webhooks) == ["payment_intent.succeeded", "checkout.session.completed"]
    assert deliver(sandbox_webhooks) == ["duplicate", "duplicate"]
    assert assert_ledger_consistent(session, sim.id).balance_kop == 31000
    assert result(session, sub, out) == out


def test_the_webhook_first_then_the_return_url_credits_once(session, factory, sandbox_webhooks):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim, 25000)
    pay_on_page(GW, out.redirect_url, "5555555555554444")
    assert deliver(sandbox_webhooks) == ["applied", "duplicate"]
    assert fresh(session, Sim, sim.id).balance_kop == 25000
    back = result(session, sub, out)
    assert (back.status, back.balance_kop) == ("succeeded", 25000)
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.payment_id == out.payment_id))
    assert len(entries.all()) == 1


def test_the_same_event_twice_applies_once(session, factory, sandbox_webhooks):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim, 25000)
    pay_on_page(GW, out.redirect_url, GOOD)
    twice = [sandbox_webhooks[0], sandbox_webhooks[0]]
    assert deliver(twice) == ["applied", "duplicate"]
    assert assert_ledger_consistent(session, sim.id).balance_kop == 25000


def test_top_up_can_save_the_card_without_its_number(session, factory, sandbox_webhooks):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim, save_card=True)
    assert GW.page(session_of(out.redirect_url)).mode == "payment"
    pay_on_page(GW, out.redirect_url, "5555 5555 5555 4444", expiry="08/29", cvc="321")
    back = result(session, sub, out)
    assert back.card_saved and back.status == "succeeded"
    [saved] = session.exec(select(SavedCard)).all()
    assert (saved.last4, saved.brand, saved.exp_month, saved.exp_year, saved.is_default) == (
        "4444",
        "mastercard",
        8,
        2029,
        True,
    )
    assert saved.gateway_customer.startswith("cus_sb_")
    row = " ".join(str(v) for v in saved.model_dump().values())
    assert "5555555555554444" not in row and "321" not in row.split()
    assert fresh(session, Payment, out.payment_id).card_id == saved.id
    deliver(sandbox_webhooks)  # the webhooks find it done: still one card
    assert count(session, SavedCard) == 1


def test_without_the_tick_the_card_is_not_kept(session, factory):
    sub = factory.subscriber()
    out = paid(session, sub, factory.sim(sub))
    assert (out.status, out.card_saved) == ("succeeded", False)
    assert count(session, SavedCard) == 0


def test_a_declined_card_is_told_on_the_page_and_the_payment_fails_on_return(
    session, factory, sandbox_webhooks
):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=7000)
    out = top_up(session, sub, sim)
    assert pay_on_page(GW, out.redirect_url, "4000 0000 0000 0002").kind == "declined"
    assert deliver(sandbox_webhooks) == ["noted"]  # payment_intent.payment_failed
    # the page stays open (another card may be tried): not settled yet
    assert result(session, sub, out).status == "pending"
    back = result(session, sub, out, abandoned=True)  # "back to PaySim"
    assert (back.status, back.decline_code, back.balance_kop) == ("failed", "card_declined", 7000)
    assert GW.page(session_of(out.redirect_url)).status == "expired"
    assert types(sandbox_webhooks) == ["checkout.session.expired"]
    assert deliver(sandbox_webhooks) == ["duplicate"]
    assert assert_ledger_consistent(session, sim.id).balance_kop == 7000


def test_another_card_after_a_decline_pays(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    assert pay_on_page(GW, out.redirect_url, "4000000000009995").kind == "declined"
    assert pay_on_page(GW, out.redirect_url, GOOD).kind == "complete"
    back = result(session, sub, out)
    assert (back.status, back.decline_code, back.balance_kop) == ("succeeded", None, 30000)


@pytest.mark.parametrize(
    "number",
    sorted(
        n for n, how in TEST_CARDS.items() if how not in ("ok", "auth", "auth_setup", "disputed")
    ),
)
def test_every_declining_test_card_leaves_the_balance_alone(session, factory, number):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=7000)
    out = top_up(session, sub, sim)
    expected = {"attach_then_decline": "card_declined"}.get(TEST_CARDS[number], TEST_CARDS[number])
    page = pay_on_page(GW, out.redirect_url, number)
    assert (page.kind, page.code) == ("declined", expected)
    back = result(session, sub, out, abandoned=True)
    assert (back.status, back.decline_code, back.balance_kop) == ("failed", expected, 7000)
    p = fresh(session, Payment, out.payment_id)
    assert (p.status, p.card_last4) == ("failed", "")
    assert p.completed_at is not None


@pytest.mark.parametrize("number", ["4000002760003184", "4000002500003155"])
def test_a_card_that_wants_3ds_is_confirmed_on_the_page(session, factory, number):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    assert pay_on_page(GW, out.redirect_url, number).kind == "challenge"
    assert result(session, sub, out).status == "pending"  # waiting for the bank
    assert GW.confirm(session_of(out.redirect_url), True).kind == "complete"
    back = result(session, sub, out)
    assert (back.status, back.balance_kop) == ("succeeded", 30000)


def test_a_failed_3ds_check_declines(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    page = pay_on_page(GW, out.redirect_url, "4000002760003184", confirm=False)
    assert (page.kind, page.code) == ("declined", "authentication_failed")
    back = result(session, sub, out, abandoned=True)
    assert (back.status, back.decline_code, back.balance_kop) == (
        "failed",
        "authentication_failed",
        0,
    )


def test_leaving_the_page_without_paying_expires_the_payment(session, factory, sandbox_webhooks):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    back = result(session, sub, out, abandoned=True)
    assert (back.status, back.decline_code, back.balance_kop) == ("expired", None, 0)
    # the page cannot be paid any more
    assert pay_on_page(GW, out.redirect_url, GOOD).kind == "closed"
    assert deliver(sandbox_webhooks) == ["duplicate"]
    assert result(session, sub, out).status == "expired"
    assert assert_ledger_consistent(session, sim.id).balance_kop == 0


def test_a_closed_tab_expires_by_the_janitor_and_by_the_providers_event(
    session, factory, sandbox_webhooks
):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    other = top_up(session, sub, sim, key="req-000002")
    assert checkout.expire_stale(session, GW) == 0  # not due yet
    later = utcnow() + timedelta(minutes=checkout.SESSION_MINUTES + 5)
    with time_machine.travel(later, tick=False):
        # the provider expires its page by itself and says so
        GW.page(session_of(other.redirect_url))
        assert deliver(sandbox_webhooks) == ["applied"]
        assert fresh(session, Payment, other.payment_id).status == "expired"
        # no event for the first (lost): the janitor looks it up
        assert checkout.expire_stale(session, GW) == 1
        assert deliver(sandbox_webhooks) == ["duplicate"]
    assert fresh(session, Payment, out.payment_id).status == "expired"
    assert fresh(session, Sim, sim.id).balance_kop == 0


def test_a_payment_made_at_the_last_moment_is_credited_by_the_janitor(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    pay_on_page(GW, out.redirect_url, GOOD)  # paid; the webhooks and the return were lost
    later = utcnow() + timedelta(minutes=checkout.SESSION_MINUTES + 5)
    with time_machine.travel(later, tick=False):
        assert checkout.expire_stale(session, GW) == 1
    assert fresh(session, Payment, out.payment_id).status == "succeeded"
    assert fresh(session, Sim, sim.id).balance_kop == 30000


def test_the_same_form_twice_is_one_payment_on_one_page(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    first = top_up(session, sub, sim, 30000, key="form-abcdef01")
    again = top_up(session, sub, sim, 30000, key="form-abcdef01")
    assert again == first and first.redirect_url
    assert len(sim_payments(session, sim.id)) == 1
    pay_on_page(GW, first.redirect_url, GOOD)
    done = result(session, sub, first)
    assert top_up(session, sub, sim, 30000, key="form-abcdef01") == done
    other = top_up(session, sub, sim, 30000, key="form-abcdef02")
    assert other.payment_id != first.payment_id and other.redirect_url != first.redirect_url


def test_the_provider_down_when_pay_is_clicked(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    with pytest.raises(DomainError) as err:
        top_up(session, sub, sim, gateway=DownGateway())
    assert err.value.code == "checkout.error.unavailable"
    [p] = sim_payments(session, sim.id)
    assert (p.status, p.decline_code, p.checkout_session) == ("failed", "processing_error", None)
    # the same form again answers with that payment; a new form tries again
    again = top_up(session, sub, sim)
    assert (again.payment_id, again.status, again.redirect_url) == (p.id, "failed", "")
    assert top_up(session, sub, sim, key="req-000002").redirect_url
    assert fresh(session, Sim, sim.id).balance_kop == 0


def test_the_provider_down_when_the_subscriber_comes_back(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    pay_on_page(GW, out.redirect_url, GOOD)

    class Silent(SandboxGateway):
        def checkout_result(self, session_id):
            raise GatewayError("timeout")

    assert result(session, sub, out, gateway=Silent()).status == "pending"  # "waiting"
    assert result(session, sub, out).status == "succeeded"


def test_the_return_url_opened_by_someone_else_shows_and_changes_nothing(session, factory):
    sub, other = factory.subscriber(), factory.subscriber()
    out = top_up(session, sub, factory.sim(sub))
    for abandoned in (False, True):
        with pytest.raises(DomainError) as err:
            result(session, other, out, abandoned=abandoned)
        assert err.value.code == "error.not_found"
    for actor in (factory.partner().actor, None):
        with pytest.raises(PermissionDenied):
            result(session, actor, out)
    # the owner's page is still open and payable
    assert GW.page(session_of(out.redirect_url)).status == "open"
    assert fresh(session, Payment, out.payment_id).status == "pending"


def test_topup_result_shows_only_own_payments(session, factory):
    sub, other = factory.subscriber(), factory.subscriber()
    out = paid(session, sub, factory.sim(sub))
    with pytest.raises(DomainError):
        topups.topup_result(session, other, GW, out.payment_id)
    with pytest.raises(DomainError):
        topups.topup_result(session, sub, GW, 999_999)


# --------------------------------------------------------------------------- webhooks: bad input


def test_a_webhook_for_an_unknown_payment_changes_nothing(session, factory, sandbox_webhooks):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    pay_on_page(GW, out.redirect_url, GOOD)
    session.delete(fresh(session, Payment, out.payment_id))  # as if it were someone else's shop
    session.commit()
    assert deliver(sandbox_webhooks) == ["unknown", "unknown"]
    assert fresh(session, Sim, sim.id).balance_kop == 0


def test_a_webhook_with_another_amount_moves_no_money(session, factory, sandbox_webhooks):
    import json

    from paysim_app.payments import stripe_events
    from paysim_app.payments.sandbox import BUILTIN_WEBHOOK_SECRET

    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim, 30000)
    pay_on_page(GW, out.redirect_url, GOOD)
    event = json.loads(sandbox_webhooks[0][0])
    assert event["type"] == "payment_intent.succeeded"
    event["data"]["object"]["amount"] = event["data"]["object"]["amount_received"] = 3_000_000
    payload = json.dumps(event).encode()
    forged = [(payload, stripe_events.sign(payload, BUILTIN_WEBHOOK_SECRET))]
    assert deliver(forged) == ["mismatch"]
    assert fresh(session, Payment, out.payment_id).status == "pending"
    assert fresh(session, Sim, sim.id).balance_kop == 0


# --------------------------------------------------------------------------- saved cards
def test_unknown_outcome_of_a_saved_card_charge_is_left_pending(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    saved = factory.card(sub)
    out = top_up(session, sub, sim, card_id=saved.id, gateway=FlakyGateway(charges_fail=True))
    assert (out.status, out.balance_kop, out.redirect_url) == ("pending", 0, "")


def test_request_key_must_look_like_one(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    for key in ["", "short", "x" * 65, "has space1", "semi;colon", None]:
        with pytest.raises(ValidationError) as err:
            top_up(session, sub, sim, key=key)
        assert err.value.field == "request_key"
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
        out = paid(session, sub, sim, key=f"status-{status[:4]}")
        assert (out.status, out.balance_kop) == (
            "succeeded",
            29900 if status == "suspended" else 30000,
        ), status


def test_top_up_restores_a_suspended_sim(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, status="suspended", balance_kop=-20000)
    out = paid(session, sub, sim, 20000)
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


def test_the_same_saved_card_request_twice_charges_once(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    saved = factory.card(sub)
    gw = FlakyGateway()
    first = top_up(session, sub, sim, 30000, key="form-abcdef01", gateway=gw, card_id=saved.id)
    again = top_up(session, sub, sim, 30000, key="form-abcdef01", gateway=gw, card_id=saved.id)
    assert again == first and first.status == "succeeded"
    assert len(gw.charged) == 1
    assert fresh(session, Sim, sim.id).balance_kop == 30000


def test_a_repeated_failed_request_is_not_retried(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    bad = factory.card(sub, "4000000000000341")
    good = factory.card(sub, "5555555555554444")
    first = top_up(session, sub, sim, key="form-decl0001", card_id=bad.id)
    again = top_up(session, sub, sim, key="form-decl0001", card_id=good.id)
    assert again.payment_id == first.payment_id and again.status == "failed"
    assert fresh(session, Sim, sim.id).balance_kop == 0


@pytest.mark.parametrize("number", ["4000002760003184", "4000002500003155"])
def test_a_saved_card_whose_bank_wants_3ds_goes_to_the_hosted_page(session, factory, number):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    saved = factory.card(sub, number)
    out = top_up(session, sub, sim, 40000, card_id=saved.id)
    assert (out.status, out.balance_kop) == ("pending", 0)
    assert "/api/sandbox/checkout/" in out.redirect_url
    assert pay_on_page(GW, out.redirect_url, number, confirm=True).kind == "complete"
    back = result(session, sub, out)
    assert (back.status, back.balance_kop) == ("succeeded", 40000)
    p = fresh(session, Payment, out.payment_id)
    assert (p.card_id, p.card_last4) == (saved.id, number[-4:])


def test_the_webhook_and_the_return_url_at_the_same_moment_credit_once(
    session, factory, engine, sandbox_webhooks
):
    """The subscriber back on the result page while the provider's webhook arrives, in two
    transactions at once (PostgreSQL: real row locks; SQLite: its write lock)."""
    import threading

    import sqlalchemy as sa

    from tests.payments.checkout_helpers import post_webhook

    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim, 25000, save_card=True)
    pay_on_page(GW, out.redirect_url, GOOD)
    paid_event = sandbox_webhooks[0]
    session.close()
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def back_to_the_page():
        try:
            with sa.orm.Session(engine, expire_on_commit=False) as s:
                start.wait()
                outcomes.append(topups.topup_result(s, sub, GW, out.payment_id).status)
                s.commit()
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    def webhook():
        try:
            start.wait()
            outcomes.append(post_webhook(*paid_event)[1]["outcome"])
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=back_to_the_page), threading.Thread(target=webhook)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    assert "succeeded" in outcomes and ({"applied", "duplicate"} & set(outcomes))
    assert assert_ledger_consistent(session, sim.id).balance_kop == 25000
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.payment_id == out.payment_id))
    assert len(entries.all()) == 1
    assert count(session, SavedCard) == 1


def test_the_schedulers_janitor_expires_pages_past_their_time(session, factory):
    from paysim_app.jobs import scheduler

    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = top_up(session, sub, sim)
    scheduler.janitor_job()
    assert fresh(session, Payment, out.payment_id).status == "pending"
    later = utcnow() + timedelta(minutes=checkout.SESSION_MINUTES + 5)
    with time_machine.travel(later, tick=False):
        scheduler.janitor_job()
    assert fresh(session, Payment, out.payment_id).status == "expired"
