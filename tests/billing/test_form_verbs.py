"""The verbs the cabinet's money forms call without a session: each owns its unit of work,
and a gateway's failure comes back as a refusal (DomainError), never as a gateway exception."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from paysim_app.billing import autopay, checkout, topups
from paysim_app.catalogue import addons
from paysim_app.core.errors import DomainError
from paysim_app.models import AddonService, Payment, SavedCard, Sim
from paysim_app.models.billing import CardSetup
from paysim_app.payments import GatewayError
from paysim_app.payments.sandbox import SandboxGateway
from tests.money_helpers import GW, fresh, saved_card_row, sim_payments
from tests.payments.checkout_helpers import pay_on_page


class SilentGateway(SandboxGateway):
    """A gateway that never answers about a hosted page."""

    def start_checkout(self, **kw):
        raise GatewayError("timeout")


def _setups(session) -> list[CardSetup]:
    session.expire_all()
    return list(session.exec(select(CardSetup)).all())


# --------------------------------------------------------------------------- adding a card


def test_start_card_setup_without_a_session_commits_its_own_unit_of_work(session, factory):
    sub = factory.subscriber()
    url = checkout.start_card_setup(sub)
    [setup] = _setups(session)
    assert (setup.status, setup.url) == ("open", url)


def test_card_setup_result_without_a_session(session, factory):
    sub = factory.subscriber()
    url = checkout.start_card_setup(sub)
    pay_on_page(GW, url, "4242424242424242")
    [setup] = _setups(session)
    out = checkout.card_setup_result(sub, setup.id)
    assert (out.status, out.last4) == ("complete", "4242")
    assert [c.last4 for c in session.exec(select(SavedCard)).all()] == ["4242"]


def test_a_gateway_that_does_not_answer_is_a_refusal(session, factory):
    sub = factory.subscriber()
    with pytest.raises(DomainError) as err:
        checkout.start_card_setup(sub, gateway=SilentGateway())
    assert err.value.code == "checkout.error.unavailable"
    assert [s.status for s in _setups(session)] == ["expired"]
    assert session.exec(select(SavedCard)).all() == []


# --------------------------------------------------------------------------- top-up by card


def _top_up(*lead, sim_id, **kw):
    return topups.top_up_by_card(
        *lead, sim_id=sim_id, amount_kop=50000, request_key="req-000001", **kw
    )


def test_top_up_without_a_session_goes_to_the_page_and_credits_on_return(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = _top_up(sub, sim_id=sim.id)
    assert out.status == "pending" and out.redirect_url
    pay_on_page(GW, out.redirect_url, "4242424242424242")
    assert topups.topup_result(sub, out.payment_id).status == "succeeded"
    assert fresh(session, Sim, sim.id).balance_kop == 50000


def test_top_up_with_a_saved_card_without_a_session(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    card = saved_card_row(session, sub)
    assert _top_up(sub, sim_id=sim.id, card_id=card.id).status == "succeeded"
    assert fresh(session, Sim, sim.id).balance_kop == 50000


def test_a_gateway_that_does_not_answer_about_a_new_card_is_a_refusal(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    silent = SilentGateway()
    for n, (lead, gateway) in enumerate(
        (((sub,), {"gateway": silent}), ((session, sub, silent), {}))
    ):
        with pytest.raises(DomainError) as err:
            topups.top_up_by_card(
                *lead, sim_id=sim.id, amount_kop=50000, request_key=f"req-00000{n}", **gateway
            )
        assert err.value.code == "checkout.error.unavailable"
        session.rollback()
    # nothing to pay on: the payments ended at once, no money moved
    assert [p.status for p in sim_payments(session, sim.id)] == ["failed", "failed"]
    assert fresh(session, Sim, sim.id).balance_kop == 0


# --------------------------------------------------------------------------- add-ons


@pytest.fixture
def night(session):
    addon = AddonService(code="NIGHT", name="Ночной безлимит", price_kop=15000, period_days=30)
    session.add(addon)
    session.commit()
    return addon


def _threshold_sim(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=20000)
    card = saved_card_row(session, sub, default=True)
    form = autopay.AutopayForm("threshold", card.id, threshold_kop=10000, topup_kop=30000)
    autopay.set_autopay(session, sub, sim.id, replace(form))
    session.commit()
    return sub, sim


def test_buy_and_top_up_without_a_session(session, factory, night):
    sub, sim = _threshold_sim(session, factory)
    addons.buy_and_top_up(sub, sim.id, night.id)
    # 20000 - 15000 = 5000 is below the threshold of 10000: the rule tops up 30000
    assert fresh(session, Sim, sim.id).balance_kop == 35000
    assert [p.amount_kop for p in sim_payments(session, sim.id)] == [30000]


def test_buy_and_top_up_with_a_session(session, factory, night):
    sub, sim = _threshold_sim(session, factory)
    addons.buy_and_top_up(session, sub, GW, sim.id, night.id)
    session.commit()
    assert fresh(session, Sim, sim.id).balance_kop == 35000


def test_a_refused_purchase_tops_nothing_up(session, factory, night):
    sub, sim = _threshold_sim(session, factory)
    other = factory.subscriber()
    with pytest.raises(DomainError):
        addons.buy_and_top_up(other, sim.id, night.id)
    assert fresh(session, Sim, sim.id).balance_kop == 20000
    assert session.exec(select(Payment)).all() == []
