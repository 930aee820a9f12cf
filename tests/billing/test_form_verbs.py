"""The verbs the cabinet's money forms call without a session: each owns its unit of work,
and a gateway's failure comes back as a refusal (DomainError), never as a gateway exception."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from paysim_app.billing import autopay, cards, topups
from paysim_app.catalogue import addons
from paysim_app.core.errors import DomainError
from paysim_app.models import AddonService, Payment, SavedCard, Sim
from paysim_app.payments import GatewayError
from paysim_app.payments.sandbox import SandboxGateway
from tests.money_helpers import GW, fresh, saved_card_row, sim_payments


class SilentGateway(SandboxGateway):
    """A gateway that never answers about a card."""

    def tokenize(self, card):
        raise GatewayError("timeout")


def read(number="4242424242424242"):
    return cards.read_card(number, "12/34", "123")


def _cards(session) -> list[SavedCard]:
    session.expire_all()
    return list(session.exec(select(SavedCard)).all())


# --------------------------------------------------------------------------- cards.save_card


def test_save_card_without_a_session_commits_its_own_unit_of_work(session, factory):
    sub = factory.subscriber()
    card_id = cards.save_card(sub, read())
    assert [c.id for c in _cards(session)] == [card_id]


def test_save_card_with_a_session_joins_it(session, factory, new_session):
    sub = factory.subscriber()
    card_id = cards.save_card(session, sub, GW, read())
    other = new_session()
    assert other.get(SavedCard, card_id) is None  # not committed by the verb
    session.commit()
    assert other.get(SavedCard, card_id) is not None


def test_a_declined_card_is_a_refusal_with_the_decline_code(session, factory):
    sub = factory.subscriber()
    with pytest.raises(DomainError) as err:
        cards.save_card(sub, read("4000000000000002"))
    assert err.value.code == "decline.card_declined"
    assert err.value.params == {"decline": "card_declined"}
    assert _cards(session) == []
    with pytest.raises(DomainError) as joined:
        cards.save_card(session, sub, GW, read("4000000000000069"))
    assert joined.value.code == "decline.expired_card"


def test_a_gateway_that_does_not_answer_is_a_processing_error(session, factory):
    sub = factory.subscriber()
    with pytest.raises(DomainError) as err:
        cards.save_card(sub, read(), gateway=SilentGateway())
    assert err.value.code == "decline.processing_error"
    assert _cards(session) == []


# --------------------------------------------------------------------------- top-up by card


def _top_up(*lead, sim_id, card, **gateway):
    return topups.top_up_by_card(
        *lead, sim_id=sim_id, amount_kop=50000, request_key="req-000001", card=card, **gateway
    )


def test_top_up_without_a_session_credits_the_sim(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    out = _top_up(sub, sim_id=sim.id, card=read())
    assert out.status == "succeeded"
    assert fresh(session, Sim, sim.id).balance_kop == 50000


def test_a_gateway_that_does_not_answer_about_a_new_card_is_a_refusal(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    silent = SilentGateway()
    for lead, gateway in (((sub,), {"gateway": silent}), ((session, sub, silent), {})):
        with pytest.raises(DomainError) as err:
            _top_up(*lead, sim_id=sim.id, card=read(), **gateway)
        assert err.value.code == "decline.processing_error"
        session.rollback()
    assert sim_payments(session, sim.id) == []
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
