"""Saved cards: added on the provider's hosted page (a setup session), listed, default, delete
(and what autopay does then), expiry warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import select

from paysim_app.billing import autopay, cards, checkout
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied
from paysim_app.core.rate_limits import TooManyAttempts
from paysim_app.models import AutopaySetting, SavedCard
from paysim_app.models.billing import CardSetup
from paysim_app.payments import GatewayError
from paysim_app.payments.sandbox import SandboxGateway
from tests.money_helpers import (
    GW,
    FlakyGateway,
    fresh,
    notifications,
    saved_card_row,
    travel,
)
from tests.payments.checkout_helpers import deliver, pay_on_page, session_of, types

TODAY = date(2026, 11, 26)


def add(session, sub, number="4242424242424242", expiry="12/30") -> int:
    """A card as the hosted page saves it (keep_card with the sandbox's token)."""
    month, year = (int(p) for p in expiry.split("/"))
    customer = GW.create_customer(reference=f"subscriber:{sub.subscriber_id}")
    token = GW.test_card(number, month, 2000 + year, customer)
    return cards.keep_card(session, GW.name, sub.subscriber_id, token).id


def setup_id_of(session, url) -> int:
    session.expire_all()
    return session.exec(select(CardSetup).where(CardSetup.session_id == session_of(url))).one().id


def rule_of(session, sim_id) -> AutopaySetting:
    session.expire_all()
    return session.exec(select(AutopaySetting).where(AutopaySetting.sim_id == sim_id)).one()


def monthly(session, sub, sim, card):
    autopay.set_autopay(session, sub, sim.id, autopay.AutopayForm("monthly", card.id))
    session.commit()


# --------------------------------------------------------------------------- adding on the page


def test_add_a_card_on_the_hosted_page_keeps_only_token_brand_last4_and_expiry(
    session, factory, sandbox_webhooks
):
    sub = factory.subscriber()
    url = checkout.start_card_setup(session, sub, GW)
    assert url.startswith("http://localhost:3000/api/sandbox/checkout/cs_sb_")
    assert GW.page(session_of(url)).mode == "setup"
    assert pay_on_page(GW, url, "2200 0000 0000 0004", expiry="03/28").kind == "complete"
    out = checkout.card_setup_result(session, sub, GW, setup_id_of(session, url))
    assert (out.status, out.brand, out.last4, out.decline_code) == ("complete", "mir", "0004", None)
    card = fresh(session, SavedCard, out.card_id)
    assert (card.brand, card.last4, card.exp_month, card.exp_year, card.is_default) == (
        "mir",
        "0004",
        3,
        2028,
        True,
    )
    assert card.gateway_token.startswith("pm_sb_") and card.gateway_customer.startswith("cus_")
    assert "2200000000000004" not in " ".join(str(v) for v in card.model_dump().values())
    # the provider's events come after: still one card
    assert types(sandbox_webhooks) == ["setup_intent.succeeded", "checkout.session.completed"]
    assert deliver(sandbox_webhooks) == ["duplicate", "duplicate"]
    assert len(session.exec(select(SavedCard)).all()) == 1


def test_the_webhook_saves_the_card_before_the_subscriber_is_back(
    session, factory, sandbox_webhooks
):
    sub = factory.subscriber()
    url = checkout.start_card_setup(session, sub, GW)
    pay_on_page(GW, url, "5555555555554444")
    assert deliver(sandbox_webhooks) == ["applied", "duplicate"]
    assert [c.last4 for c in session.exec(select(SavedCard)).all()] == ["4444"]
    out = checkout.card_setup_result(session, sub, GW, setup_id_of(session, url))
    assert (out.status, out.last4) == ("complete", "4444")
    assert len(session.exec(select(SavedCard)).all()) == 1


def test_a_card_that_wants_3ds_is_confirmed_when_it_is_added(session, factory):
    sub = factory.subscriber()
    url = checkout.start_card_setup(session, sub, GW)
    assert pay_on_page(GW, url, "4000002500003155").kind == "challenge"
    assert GW.confirm(session_of(url), True).kind == "complete"
    out = checkout.card_setup_result(session, sub, GW, setup_id_of(session, url))
    assert (out.status, out.last4) == ("complete", "3155")
    # saved for off-session use: autopay charges it without asking
    token = fresh(session, SavedCard, out.card_id).gateway_token
    charge = GW.charge(
        amount_kop=100, token=token, customer="", idempotency_key="k1", off_session=True
    )
    assert charge.status == "succeeded"


def test_first_card_is_default_and_the_same_card_is_not_saved_twice(session, factory):
    sub = factory.subscriber()
    first = add(session, sub)
    second = add(session, sub, "5555555555554444")
    again = add(session, sub)
    session.commit()
    assert again == first
    rows = cards.list_cards(session, sub)
    assert [(r.id, r.is_default) for r in rows] == [(first, True), (second, False)]
    # both cards of the subscriber share one gateway customer
    got = {c.gateway_customer for c in session.exec(select(SavedCard)).all()}
    assert len(got) == 1


def test_a_new_card_replaces_an_expired_default(session, factory):
    sub = factory.subscriber()
    with travel(TODAY):
        old = saved_card_row(session, sub, exp_month=10, exp_year=2026, default=True)
        new = add(session, sub)
        session.commit()
        assert [(r.id, r.is_default) for r in cards.list_cards(session, sub)] == [
            (new, True),
            (old.id, False),
        ]


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", "card_declined"),
        ("4000000000000069", "expired_card"),
        ("4000000000000127", "incorrect_cvc"),
        ("4000000000009995", "insufficient_funds"),
    ],
)
def test_a_card_the_bank_refuses_is_not_saved(session, factory, number, code):
    sub = factory.subscriber()
    url = checkout.start_card_setup(session, sub, GW)
    page = pay_on_page(GW, url, number)
    assert (page.kind, page.code) == ("declined", code)
    out = checkout.card_setup_result(session, sub, GW, setup_id_of(session, url), abandoned=True)
    assert (out.status, out.card_id) == ("expired", None)
    assert session.exec(select(SavedCard)).all() == []


def test_leaving_the_setup_page_saves_nothing(session, factory, sandbox_webhooks):
    sub = factory.subscriber()
    url = checkout.start_card_setup(session, sub, GW)
    setup_id = setup_id_of(session, url)
    assert checkout.card_setup_result(session, sub, GW, setup_id).status == "open"
    assert checkout.card_setup_result(session, sub, GW, setup_id, abandoned=True).status == (
        "expired"
    )
    assert pay_on_page(GW, url, "4242424242424242").kind == "closed"
    assert deliver(sandbox_webhooks) == ["duplicate"]
    assert session.exec(select(SavedCard)).all() == []


def test_someone_elses_setup_is_not_found_and_left_alone(session, factory):
    sub, other = factory.subscriber(), factory.subscriber()
    url = checkout.start_card_setup(session, sub, GW)
    setup_id = setup_id_of(session, url)
    for setup in (setup_id, 999_999, "1"):
        with pytest.raises(NotFound):
            checkout.card_setup_result(session, other, GW, setup, abandoned=True)
    assert GW.page(session_of(url)).status == "open"


def test_the_provider_down_when_add_is_clicked(session, factory):
    class Down(SandboxGateway):
        def start_checkout(self, **kw):
            raise GatewayError("timeout")

    sub = factory.subscriber()
    with pytest.raises(DomainError) as err:
        checkout.start_card_setup(session, sub, Down())
    assert err.value.code == "checkout.error.unavailable"
    [setup] = session.exec(select(CardSetup)).all()
    assert (setup.status, setup.session_id) == ("expired", None)


def test_adding_cards_is_refused_after_too_many_declines(session, factory, limits_of):
    limits_of("card.subscriber=1/hour")
    sub = factory.subscriber()
    sim = factory.sim(sub)
    bad = factory.card(sub, "4000000000000341")
    from paysim_app.billing import topups

    out = topups.top_up_by_card(
        session, sub, GW, sim_id=sim.id, amount_kop=30000, request_key="req-000001", card_id=bad.id
    )
    assert out.status == "failed"
    with pytest.raises(TooManyAttempts):
        checkout.start_card_setup(session, sub, GW)


def test_only_subscribers_have_cards(session, factory):
    for actor in (factory.partner().actor, factory.superadmin(), None):
        with pytest.raises(PermissionDenied):
            cards.list_cards(session, actor)
        with pytest.raises(PermissionDenied):
            checkout.start_card_setup(session, actor, GW)


# --------------------------------------------------------------------------- listing


def test_list_default_first_with_expiry_flags(session, factory):
    sub, other = factory.subscriber(), factory.subscriber()
    with travel(TODAY):
        far = saved_card_row(session, sub, "5555555555554444", exp_month=12, exp_year=2030)
        soon = saved_card_row(session, sub, exp_month=12, exp_year=2026)  # until 31.12 (35 d)
        this_month = saved_card_row(session, sub, exp_month=11, exp_year=2026)  # until 30.11
        expired = saved_card_row(session, sub, exp_month=10, exp_year=2026)
        default = saved_card_row(session, sub, "2200000000000004", default=True)
        saved_card_row(session, other)
        gone = saved_card_row(session, sub)
        cards.delete_card(session, sub, GW, gone.id)
        session.commit()
        sim = factory.sim(sub, tariff=factory.tariff())
        monthly(session, sub, sim, far)
        rows = cards.list_cards(session, sub)
    assert [r.id for r in rows] == [default.id, far.id, soon.id, this_month.id, expired.id]
    flags = {r.id: (r.expires_soon, r.expired, r.autopay_sims) for r in rows}
    assert flags == {
        default.id: (False, False, 0),
        far.id: (False, False, 1),
        soon.id: (False, False, 0),
        this_month.id: (True, False, 0),
        expired.id: (False, True, 0),
    }
    assert rows[0].is_default and not any(r.is_default for r in rows[1:])
    with travel(date(2026, 12, 2)):
        flags = {r.id: (r.expires_soon, r.expired) for r in cards.list_cards(session, sub)}
    assert flags[soon.id] == (True, False) and flags[this_month.id] == (False, True)


def test_subscriber_without_contract_has_no_cards(session, factory):
    sub = factory.subscriber()
    assert cards.list_cards(session, replace(sub, subscriber_id=None)) == []


# --------------------------------------------------------------------------- default


def test_set_default_moves_the_mark(session, factory):
    sub = factory.subscriber()
    a = add(session, sub)
    b = add(session, sub, "5555555555554444")
    session.commit()
    cards.set_default(session, sub, b)
    session.commit()
    assert [(r.id, r.is_default) for r in cards.list_cards(session, sub)] == [(b, True), (a, False)]


def test_another_subscribers_card_is_refused(session, factory):
    sub, other = factory.subscriber(), factory.subscriber()
    mine = saved_card_row(session, sub, default=True)
    theirs = saved_card_row(session, other, default=True)
    for card_id in (theirs.id, 999_999, str(theirs.id)):
        with pytest.raises(NotFound):
            cards.set_default(session, sub, card_id)
        with pytest.raises(NotFound):
            cards.delete_card(session, sub, GW, card_id)
    session.rollback()
    assert fresh(session, SavedCard, theirs.id).deleted_at is None
    assert fresh(session, SavedCard, theirs.id).is_default
    assert fresh(session, SavedCard, mine.id).is_default


# --------------------------------------------------------------------------- delete


def test_delete_is_soft_and_the_default_moves_on(session, factory):
    sub = factory.subscriber()
    a = add(session, sub)
    b = add(session, sub, "5555555555554444")
    session.commit()
    assert cards.delete_card(session, sub, GW, a) == 0
    session.commit()
    gone = fresh(session, SavedCard, a)
    assert gone is not None and gone.deleted_at is not None and not gone.is_default
    assert [(r.id, r.is_default) for r in cards.list_cards(session, sub)] == [(b, True)]
    with pytest.raises(NotFound):  # deleting it again: it is gone for the subscriber
        cards.delete_card(session, sub, GW, a)


def test_delete_moves_autopay_to_the_default_card(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, tariff=factory.tariff())
    default = saved_card_row(session, sub, default=True)
    spare = saved_card_row(session, sub, "5555555555554444")
    monthly(session, sub, sim, spare)
    assert cards.delete_card(session, sub, GW, spare.id) == 0
    session.commit()
    rule = rule_of(session, sim.id)
    assert (rule.card_id, rule.enabled) == (default.id, True)
    assert notifications(session, sub, "autopay_off_no_card") == []


def test_deleting_the_default_card_moves_autopay_to_the_new_default(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, tariff=factory.tariff())
    default = saved_card_row(session, sub, default=True)
    spare = saved_card_row(session, sub, "5555555555554444")
    monthly(session, sub, sim, default)
    assert cards.delete_card(session, sub, GW, default.id) == 0
    session.commit()
    assert fresh(session, SavedCard, spare.id).is_default
    assert rule_of(session, sim.id).card_id == spare.id


def test_deleting_the_last_card_switches_autopay_off_and_says_so(session, factory):
    sub = factory.subscriber()
    sims = [factory.sim(sub, tariff=factory.tariff()) for _ in range(2)]
    card = saved_card_row(session, sub, default=True)
    for sim in sims:
        monthly(session, sub, sim, card)
    assert cards.delete_card(session, sub, GW, card.id) == 2
    session.commit()
    assert [rule_of(session, s.id).enabled for s in sims] == [False, False]
    assert len(notifications(session, sub, "autopay_off_no_card")) == 2
    assert autopay.get_autopay(session, sub, sims[0].id).enabled is False


def test_autopay_does_not_move_to_an_expired_card(session, factory):
    sub = factory.subscriber()
    with travel(TODAY):
        sim = factory.sim(sub, tariff=factory.tariff())
        saved_card_row(session, sub, exp_month=10, exp_year=2026)  # expired last month
        good = saved_card_row(session, sub, "5555555555554444", default=True)
        monthly(session, sub, sim, good)
        assert cards.delete_card(session, sub, GW, good.id) == 1
        session.commit()
    assert rule_of(session, sim.id).enabled is False
    assert len(notifications(session, sub, "autopay_off_no_card")) == 1


def test_delete_prefers_a_valid_card_as_the_new_default(session, factory):
    sub = factory.subscriber()
    with travel(TODAY):
        old = saved_card_row(session, sub, exp_month=10, exp_year=2026)
        valid = saved_card_row(session, sub, "2200000000000004")
        default = saved_card_row(session, sub, "5555555555554444", default=True)
        sim = factory.sim(sub, tariff=factory.tariff())
        monthly(session, sub, sim, default)
        cards.delete_card(session, sub, GW, default.id)
        session.commit()
        assert fresh(session, SavedCard, valid.id).is_default
        assert not fresh(session, SavedCard, old.id).is_default
    assert rule_of(session, sim.id).card_id == valid.id


def test_delete_survives_a_gateway_that_fails_to_forget(session, factory):
    class Broken(FlakyGateway):
        def forget_card(self, token):
            raise RuntimeError("gateway down")

    sub = factory.subscriber()
    card = saved_card_row(session, sub, default=True)
    cards.delete_card(session, sub, Broken(), card.id)
    session.commit()
    assert fresh(session, SavedCard, card.id).deleted_at is not None


# --------------------------------------------------------------------------- expiry warnings


def test_warn_expiring_tells_autopay_users_once(session, factory):
    sub = factory.subscriber()
    idle = factory.subscriber()
    with travel(date(2026, 11, 20)):
        sim = factory.sim(sub, tariff=factory.tariff())
        card = saved_card_row(session, sub, exp_month=12, exp_year=2026, default=True)
        monthly(session, sub, sim, card)
        saved_card_row(session, idle, exp_month=12, exp_year=2026, default=True)  # no autopay
    # 31.12 is 41 days away: not yet
    assert cards.warn_expiring(session, date(2026, 11, 20)) == 0
    # 30 days before the end of the month: now, once
    assert cards.warn_expiring(session, date(2026, 12, 1)) == 1
    session.commit()
    assert cards.warn_expiring(session, date(2026, 12, 1)) == 0
    assert cards.warn_expiring(session, date(2026, 12, 20)) == 0
    session.commit()
    [note] = notifications(session, sub, "card_expiring")
    assert "31.12.2026" in note.body and "4242" in note.title
    assert notifications(session, idle) == []
    # an expired card is not "expiring"
    assert cards.warn_expiring(session, date(2027, 1, 3)) == 0


def test_warn_expiring_again_for_the_renewed_card(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, tariff=factory.tariff())
    card = saved_card_row(session, sub, exp_month=12, exp_year=2026, default=True)
    monthly(session, sub, sim, card)
    assert cards.warn_expiring(session, date(2026, 12, 5)) == 1
    session.commit()
    c = fresh(session, SavedCard, card.id)
    c.exp_year = 2027  # the bank sent a new expiry for the same card
    session.commit()
    assert cards.warn_expiring(session, date(2027, 12, 5)) == 1
    session.commit()
    assert len(notifications(session, sub, "card_expiring")) == 2
