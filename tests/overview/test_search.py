"""The admin header's search: hits from each section the role may see, by any identifier."""

from __future__ import annotations

import pytest

from paysim_app.core.errors import PermissionDenied
from paysim_app.models import Subscriber, Ticket
from paysim_app.overview import search
from tests.money_helpers import card_topup


def kinds(hits):
    return sorted({h.kind for h in hits})


def test_finds_a_sim_its_payment_and_subscriber_by_identifiers(session, factory):
    admin = factory.superadmin()
    sub = factory.subscriber(full_name="Вера Лебедева")
    sim = factory.sim(sub)
    payment_id = card_topup(session, sim, 50_000)
    session.commit()
    contract = session.get(Subscriber, sub.subscriber_id).contract_no
    assert [
        h.href for h in search.search(session, admin, "8" + sim.msisdn[2:]) if h.kind == "sim"
    ] == [f"/admin/sims/{sim.id}"]
    assert "payment" in kinds(search.search(session, admin, f"#{payment_id}"))
    assert [h.kind for h in search.search(session, admin, contract)] == ["subscriber"]
    assert "subscriber" in kinds(search.search(session, admin, "лебедева"))
    assert search.search(session, admin, "x") == []


def test_partner_and_ticket_hits_and_role_limits(session, factory):
    admin = factory.superadmin()
    dealer = factory.partner(name="Связь-Плюс")
    sub = factory.subscriber()
    ticket = Ticket(
        author_user_id=sub.user_id, subscriber_id=sub.subscriber_id, subject="Нет связи на даче"
    )
    session.add(ticket)
    session.commit()
    assert [h.kind for h in search.search(session, admin, "связь-плюс")] == ["partner"]
    assert dealer.partner.code in [
        h.detail for h in search.search(session, admin, dealer.partner.code)
    ]
    assert "ticket" in kinds(search.search(session, admin, f"#{ticket.id}"))
    support = factory.support()  # support + subscribers only
    assert kinds(search.search(session, support, "на даче")) == ["ticket"]
    assert "partner" not in kinds(search.search(session, support, "связь-плюс"))
    with pytest.raises(PermissionDenied):
        search.search(session, sub, "связь")
