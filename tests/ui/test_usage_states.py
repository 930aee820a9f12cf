"""The usage on the pages' states: the dashboard's card (bar, sentence, days) and its "buy a pack"
button, which buys only the pack the server offered for the subscriber's own SIM; the SIM page's
months; the partner's usage columns for its own SIMs only; the admin SIM card's usage block and
the traffic statistics' month choice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import AddonService, Sim, SimAddon
from paysim_app.models.base import utcnow
from paysim_app.sims import allowance, usage, usage_view
from paysim_app.ui.admin.sims import AdminSimState
from paysim_app.ui.admin.traffic import AdminTrafficState, _rows
from paysim_app.ui.cabinet.home import CabinetHomeState
from paysim_app.ui.cabinet.sims import SimsState
from paysim_app.ui.partner.subscribers import PartnerSubscribersState
from tests.ui.test_money_states import _router, _run, _state
from tests.ui.test_state_security import _leaf, _signed_in

GB = 10**9


def _use(sim, n_bytes: int, rid: str) -> None:
    """Usage an hour ago, through the feed's ingest."""
    end = utcnow() - timedelta(minutes=5)
    start = end - timedelta(minutes=50)
    with session_scope() as session:
        report = usage.ingest(
            session,
            "pgw",
            [{"record_id": rid, "iccid": sim.iccid, "start": start.isoformat(),
              "end": end.isoformat(), "bytes_up": 0, "bytes_down": n_bytes}],
        )  # fmt: skip
        assert report.accepted == 1


@pytest.fixture
def people(factory):
    tariff = factory.tariff("Интернет 10", data_gb=10)
    alice, bob = factory.subscriber("alice@example.ru"), factory.subscriber("bob@example.ru")
    dealer = factory.partner(login="dealer@example.ru")
    alice_sim = factory.sim(alice, tariff=tariff, balance_kop=10000, partner=dealer)
    bob_sim = factory.sim(bob, tariff=tariff, balance_kop=10000)
    pack = AddonService(
        code="GB5", name="+5 ГБ", price_kop=5000, period_days=30, kind="data_pack", data_gb=5
    )
    dear = AddonService(
        code="GB50", name="+50 ГБ", price_kop=9000, period_days=30, kind="data_pack", data_gb=50
    )
    factory.session.add_all([pack, dear])
    factory.session.commit()
    _use(alice_sim, 9 * GB, "a1")
    _use(bob_sim, 1 * GB, "b1")
    return alice_sim, bob_sim, pack, dear


def _balance(sim_id: int) -> int:
    with session_scope() as session:
        return session.get(Sim, sim_id).balance_kop


def _packs(sim_id: int) -> list[int]:
    with session_scope() as session:
        return list(session.exec(select(SimAddon.addon_id).where(SimAddon.sim_id == sim_id)))


def test_the_dashboard_shows_the_card_and_buys_the_offered_pack(db_url, people):
    alice_sim, bob_sim, pack, _ = people
    state = _state(CabinetHomeState)
    u = state.usage_text
    # "until" the day the next period begins (billing day 1: the first of next month)
    next_period = allowance.period_of(1, utcnow())[1].strftime("%d.%m")
    assert u["sentence"] == f"9 из 10\u00a0ГБ, осталось 1\u00a0ГБ до {next_period}"
    assert state.usage_percent == 90 and u["offer"] == "1" and u["tone"] == "amber"
    assert "+5 ГБ" in u["buy"] and "50,00" in u["buy"]
    # the chart's bars hold the 9 GB: on today's Moscow day, or around Moscow midnight split
    # with yesterday's (the usage was within the last hour)
    assert abs(sum(p["gb"] for p in state.usage_points[-2:]) - 9.0) <= 0.01
    asyncio.run(CabinetHomeState.buy_pack.fn(state))
    assert _balance(alice_sim.id) == 5000 and _packs(alice_sim.id) == [pack.id]
    # the card again: 9 of 15 GB
    assert state.usage_text["sentence"].startswith("9 из 15\u00a0ГБ")
    assert state.usage_percent == 60

    # a forged current SIM (another subscriber's): nothing is bought for it
    state.current_sim_id = bob_sim.id
    asyncio.run(CabinetHomeState.buy_pack.fn(state))
    assert _balance(bob_sim.id) == 10000 and _packs(bob_sim.id) == []


def test_no_offer_no_purchase(db_url, people):
    _, bob_sim, _, _ = people
    state = _state(CabinetHomeState, "bob@example.ru")
    assert state.usage_text["offer"] == "" and state.usage_percent == 10
    asyncio.run(CabinetHomeState.buy_pack.fn(state))
    assert _balance(bob_sim.id) == 10000 and _packs(bob_sim.id) == []


def test_english_sentence_and_the_sim_pages_months(db_url, people):
    state = _state(CabinetHomeState)
    state.locale = "en"
    state._follow_locale()  # as the door does before its next event
    assert state.usage_text["sentence"].startswith("9 of 10\u00a0GB, 1\u00a0GB left until ")
    sims = _state(SimsState)
    assert len(sims.months) == 12
    assert sims.month_rows[0]["total"] == "9\u00a0ГБ"  # the newest first; none before usage
    assert len(sims.month_rows) == 1 and len(sims.month_points) == 12


def test_the_partner_sees_totals_of_its_own_sims(db_url, people):
    alice_sim, bob_sim, _, _ = people
    state = _leaf(PartnerSubscribersState)
    state.auth_token = _signed_in("dealer@example.ru")
    event = asyncio.run(PartnerSubscribersState.load.fn(state))
    assert event is not None  # the totals follow the page
    assert state.rows[0]["this_month"] == "—"
    asyncio.run(PartnerSubscribersState.load_usage.fn(state))
    assert [r["this_month"] for r in state.rows] == ["9\u00a0ГБ"]
    assert state.rows[0]["last_month"] == "0\u00a0МБ"
    # a forged page holding another partner's SIM: its usage is not given
    state._raw = [*state._raw, {**state._raw[0], "id": bob_sim.id}]
    asyncio.run(PartnerSubscribersState.load_usage.fn(state))
    assert state.rows[1]["this_month"] == "—"


def test_the_admin_sim_card_shows_usage(db_url, people, factory):
    alice_sim, _, _, _ = people
    state = _leaf(AdminSimState)
    state.auth_token = _signed_in(factory.admin_user().email)
    state.router = _router(f"/admin/sims/{alice_sim.id}?sim_id={alice_sim.id}")
    _run(AdminSimState.load, state)
    assert state.usage["sentence"].startswith("9 из 10\u00a0ГБ")
    assert state.usage_percent == 90
    # the months from the first with usage, newest first
    assert [m["total"] for m in state.usage_months] == ["9\u00a0ГБ"]


def test_traffic_month_choice_and_rows(db_url, people, factory):
    support = _leaf(AdminTrafficState)
    support.auth_token = _signed_in(factory.admin_user("Support operator").email)
    assert _run(AdminTrafficState.start, support) is None  # neither permission: no block
    assert not (support.show_tariff or support.show_partner)

    state = _leaf(AdminTrafficState)
    state.auth_token = _signed_in(factory.admin_user().email)
    assert _run(AdminTrafficState.start, state) is not None  # the counting follows
    assert state.show_tariff and state.show_partner and state.counting
    first = state.month
    assert len(state.month_options) == 13 and first == state.month_options[0]["value"]
    for bad in ("2020-01", "'; drop", 5, None, ["2026-01"]):
        assert _run(AdminTrafficState.set_month, state, bad) is None
        assert state.month == first
    second = state.month_options[1]["value"]
    assert _run(AdminTrafficState.set_month, state, second) is not None
    assert state.month == second

    admin = factory.superadmin()
    got = _rows(usage_view.traffic(admin, first, "tariff"), "tariff", "ru")
    assert got == [{"name": "Интернет 10", "href": "", "sims": "2", "bytes": "10\u00a0ГБ",
                    "share": "100,0\u00a0%"}]  # fmt: skip
    got = _rows(usage_view.traffic(admin, first, "partner"), "partner", "en")
    assert [(r["bytes"], r["share"]) for r in got] == [
        ("9\u00a0GB", "90.0\u00a0%"),
        ("1\u00a0GB", "10.0\u00a0%"),
    ]
    assert got[0]["name"].startswith("Дилер") and got[0]["href"].startswith("/admin/partners/")
    assert got[1]["name"] == "No partner" and got[1]["href"] == "/admin/sims?partner=none"
