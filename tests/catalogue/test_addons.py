"""Add-on services: bought from the balance under the SIM's lock, refused when short, renewed by
the billing cycle when the balance allows and lapsing (with a notification) when it does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from paysim_app.billing import ledger
from paysim_app.catalogue import addons
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied
from paysim_app.models import AddonService, LedgerEntry, Notification, Sim, SimAddon
from paysim_app.models.base import utcnow


@pytest.fixture
def night(session):
    addon = AddonService(code="NIGHT", name="Ночной безлимит", price_kop=15000, period_days=30)
    session.add(addon)
    session.commit()
    return addon


def test_buy_from_the_balance(session, factory, night):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=20000)
    sim_addon_id = addons.buy(session, sub, sim.id, night.id)
    session.commit()
    assert session.get(Sim, sim.id).balance_kop == 5000
    assert ledger.entries_total(session, sim.id) == 5000
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.kind == "addon")).one()
    assert entry.amount_kop == -15000
    bought = session.get(SimAddon, sim_addon_id)
    assert bought.ledger_entry_id == entry.id and bought.auto_renew
    assert [o.name for o in addons.owned(session, sub, sim.id)] == ["Ночной безлимит"]
    assert addons.catalogue(session, sub, sim.id)[0].active_until is not None
    with pytest.raises(DomainError) as twice:
        addons.buy(session, sub, sim.id, night.id)
    assert twice.value.code == "addons.error.already_active"


def test_refusals_change_nothing(session, factory, night):
    sub = factory.subscriber()
    poor = factory.sim(sub, balance_kop=10000)
    with pytest.raises(DomainError) as short:
        addons.buy(session, sub, poor.id, night.id)
    assert short.value.code == "addons.error.balance_short"
    assert short.value.params["missing_kop"] == 5000
    suspended = factory.sim(sub, status="suspended", balance_kop=50000)
    with pytest.raises(DomainError):
        addons.buy(session, sub, suspended.id, night.id)
    with pytest.raises(NotFound):
        addons.buy(session, sub, poor.id, 999_999)
    night.is_archived = True
    session.commit()
    with pytest.raises(NotFound):
        addons.buy(session, sub, poor.id, night.id)
    other = factory.subscriber()
    with pytest.raises(PermissionDenied):
        addons.buy(session, other, poor.id, night.id)
    assert session.get(Sim, poor.id).balance_kop == 10000
    assert not session.exec(select(SimAddon)).all()


def test_auto_renew_switch_is_the_owners_only(session, factory, night):
    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=20000)
    row_id = addons.buy(session, sub, sim.id, night.id)
    with pytest.raises(PermissionDenied):
        addons.set_auto_renew(session, factory.subscriber(), row_id, False)
    addons.set_auto_renew(session, sub, row_id, False)
    assert not session.get(SimAddon, row_id).auto_renew


def test_renewal_charges_once_or_lapses_with_a_notice(session, factory, night):
    sub = factory.subscriber()
    rich = factory.sim(sub, balance_kop=40000)
    poor = factory.sim(sub, balance_kop=15000)
    rich_row = addons.buy(session, sub, rich.id, night.id)
    addons.buy(session, sub, poor.id, night.id)  # leaves 0
    session.commit()
    later = utcnow() + timedelta(days=31)
    assert addons.renew_due(session, later) == {"renewed": 1, "lapsed": 1}
    assert addons.renew_due(session, later) == {"renewed": 0, "lapsed": 0}  # nothing twice
    session.expire_all()
    assert session.get(Sim, rich.id).balance_kop == 10000
    rows = session.exec(
        select(SimAddon).where(SimAddon.sim_id == rich.id).order_by(SimAddon.id)
    ).all()
    assert len(rows) == 2 and rows[1].started_at == session.get(SimAddon, rich_row).expires_at
    assert session.exec(select(Notification).where(Notification.kind == "addon_lapsed")).one()
    assert ledger.entries_total(session, poor.id) == 0
