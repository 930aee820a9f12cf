"""The tariffs page's advisor card: three months of usage give the advice, in ru and en, and its
button opens the advised tariff's preview; without history it says so; while a change is open
it offers no button; another subscriber's SIM gets no advice and leaks nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

import paysim_app.paysim_app  # noqa: F401
from paysim_app.billing import cards
from paysim_app.db import session_scope
from paysim_app.models import AddonService
from paysim_app.models.usage import UsageDay
from paysim_app.sims import advisor, tariff_changes
from paysim_app.ui.cabinet.tariffs import TariffsState
from tests.ui.test_money_states import _run, _state

GB = 10**9
USAGE = (int(7.1 * GB), int(12.3 * GB), int(9.8 * GB))


def _use(sim_id: int, usage: tuple[int, ...], day_of_period: int = 3) -> None:
    """One day of usage inside each of the last complete billing periods (billing day 1), and
    one on the first day of the oldest, where the SIM's history begins."""
    spans = advisor.complete_periods(1, cards.today(), date(2000, 1, 1), len(usage))
    with session_scope() as session:
        session.add(UsageDay(sim_id=sim_id, day=spans[0][0], bytes_up=0, bytes_down=1))
        for (start, _end), n in zip(spans, usage, strict=True):
            session.add(
                UsageDay(
                    sim_id=sim_id,
                    day=start + timedelta(days=day_of_period),
                    bytes_up=n // 10,
                    bytes_down=n - n // 10 - (1 if start == spans[0][0] else 0),
                )
            )


@pytest.fixture
def world(factory, session):
    start = factory.tariff("Старт", fee_kop=35_000, data_gb=15)
    optimum = factory.tariff("Оптимум", fee_kop=65_000, data_gb=50)
    factory.tariff("Максимум", fee_kop=99_000)
    session.add(
        AddonService(code="X10", name="+10 ГБ", price_kop=15_000, kind="data_pack", data_gb=10)
    )
    session.commit()
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    long_ago = datetime.now(UTC) - timedelta(days=200)
    alice_sim = factory.sim(alice, tariff=optimum, billing_day=1, activated_at=long_ago)
    bob_sim = factory.sim(
        bob, tariff=optimum, billing_day=1, activated_at=long_ago, label="Bob's secret label"
    )
    _use(alice_sim.id, USAGE)
    _use(bob_sim.id, (int(31.7 * GB),) * 3)
    return {"start": start, "optimum": optimum, "alice": alice, "alice_sim": alice_sim,
            "bob_sim": bob_sim}  # fmt: skip


def test_the_advice_names_the_cheaper_tariff_and_opens_its_preview(db_url, world):
    state = _state(TariffsState)
    card = state.advice_card
    assert card["kind"] == "switch"
    assert card["title"] == "Можно платить меньше"
    assert card["text"] == (
        "За ваши последние 3 месяца (7,1\u00a0ГБ; 12,3\u00a0ГБ; 9,8\u00a0ГБ): тариф «Старт» "
        "стоил бы 350,00\u00a0₽ в месяц вместо 650,00\u00a0₽ — вы экономили бы 300,00\u00a0₽ "
        "в месяц."
    )
    assert card["note"] == "" and card["button"] == "Перейти на «Старт»"
    assert [r["used"] for r in state.advice_periods] == [
        "7,1\u00a0ГБ",
        "12,3\u00a0ГБ",
        "9,8\u00a0ГБ",
    ]
    assert all(r["packs"] == "" for r in state.advice_periods)
    _run(TariffsState.choose_tariff, state, card["tariff_id"])
    assert state.chosen_id == world["start"].id
    assert (
        state.preview["tariff_id"] == world["start"].id and state.preview["new_fee_kop"] == 35_000
    )

    state.locale = "en"

    state._follow_locale()  # as the door does before its next event
    assert state.advice_card["text"].startswith(
        "Based on your last 3 months (7.1\u00a0GB, 12.3\u00a0GB, 9.8\u00a0GB): tariff “Старт”"
    )
    assert state.advice_card["button"] == "Switch to “Старт”"
    assert "you would save 300.00\u00a0₽ a month" in state.advice_card["text"]


def test_packs_show_per_month_and_the_current_tariff_can_be_the_best(db_url, world, factory):
    state = _state(TariffsState, "bob@example.ru")  # 31.7 GB a month on Оптимум (50 GB)
    card = state.advice_card
    # Старт + two packs = 650 ₽: a tie, which keeps the current tariff
    assert card["kind"] == "best" and card["tariff_id"] == "" and card["button"] == ""
    assert card["title"] == "Ваш тариф — самый выгодный для того, как вы пользуетесь интернетом"
    assert "ваш тариф «Оптимум» стоил 650,00\u00a0₽ в месяц" in card["text"]
    assert [r["packs"] for r in state.advice_periods] == [""] * 3


def test_without_history_the_card_says_so(db_url, world, factory):
    fresh = factory.subscriber("carol@example.ru")
    factory.sim(fresh, tariff=world["optimum"], activated_at=datetime.now(UTC) - timedelta(days=3))
    state = _state(TariffsState, "carol@example.ru")
    assert state.advice_card["kind"] == "no_history"
    assert state.advice_card["text"].startswith("Пока мало истории расхода трафика")
    assert state.advice_card["tariff_id"] == "" and state.advice_periods == []


def test_an_open_change_hides_the_button(db_url, world):
    state = _state(TariffsState)
    _run(TariffsState.choose_tariff, state, state.advice_card["tariff_id"])
    _run(TariffsState.submit_request, state)
    assert state.pending["id"]
    assert state.advice_card["kind"] == "switch" and state.advice_card["tariff_id"] == ""


def test_someone_elses_sim_gets_no_advice(db_url, world):
    state = _state(TariffsState)
    state.current_sim_id = world["bob_sim"].id  # a forged client could not set it, but even so:
    state._load_advice()
    assert state.advice == {} and state.advice_card["kind"] == "" and state.advice_periods == []
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)
    assert "31,7" not in sent and "Bob's secret label" not in sent
    # the handlers reload it for the SIM they are allowed to show
    _run(TariffsState.select_sim, state, str(world["bob_sim"].id))
    _run(TariffsState.select_sim, state, str(world["alice_sim"].id))
    assert state.advice["sim_id"] == world["alice_sim"].id


@pytest.mark.parametrize("bad", ["", "abc", "1e3", "-1", "99999999", None, "0"])
def test_the_advice_button_with_bad_ids_opens_nothing(db_url, world, bad):
    state = _state(TariffsState)
    _run(TariffsState.choose_tariff, state, bad)
    assert state.chosen_id == 0 and state.preview == {}
    assert state.advice_card["kind"] == "switch"
    assert tariff_changes.my_requests(world["alice"], world["alice_sim"].id) == []
