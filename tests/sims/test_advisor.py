"""sims.advisor: the cheapest cover of a need by data packs (exact, where a greedy pick is not),
a tariff's cost for the same usage, the choice with its ties, and the verb over usage_day: the
last three complete billing periods, an archived current tariff, no history, another's SIM."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paysim_app.core.errors import PermissionDenied
from paysim_app.models import AddonService
from paysim_app.models.usage import UsageDay
from paysim_app.sims import advisor
from paysim_app.sims.advisor import GB, Pack, Terms

TEN = Pack(1, "+10 ГБ", 10, 10_000)
SIX = Pack(2, "+6 ГБ", 6, 7_000)


def reference_cover(need: int, packs: list[Pack]) -> int | None:
    """The plain table over every gigabyte, no shortcut: the cheapest kopecks for >= need GB."""
    if need == 0:
        return 0
    if not packs:
        return None
    table = [0] + [None] * need
    for g in range(1, need + 1):
        table[g] = min(p.price_kop + table[max(0, g - p.gb)] for p in packs)
    return table[need]


# -- the cover ---------------------------------------------------------------------------------
def test_need_is_whole_gigabytes_beyond_the_allowance():
    assert advisor.need_gb(15 * GB, 15) == 0
    assert advisor.need_gb(15 * GB + 1, 15) == 1
    assert advisor.need_gb(17 * GB, 15) == 2
    assert advisor.need_gb(10**15, None) == 0  # unlimited
    assert advisor.need_gb(0, 15) == 0


def test_the_cover_is_exact_where_greedy_is_not():
    # greedy by price per GB takes the 10 GB pack first (10 ₽/GB < 11.67 ₽/GB): 10 + 10 = 200 ₽
    # or 10 + 6 = 170 ₽; two 6 GB packs cover 12 GB for 140 ₽
    cover = advisor.cheapest_cover(12, [TEN, SIX])
    assert cover.cost_kop == 14_000 and cover.gb == 12
    assert [(line.pack_id, line.count) for line in cover.lines] == [(2, 2)]
    # 20 GB: two tens (200 ₽) beat anything with sixes (6*4 = 24 GB for 280 ₽, 10+6+6 = 240 ₽)
    cover = advisor.cheapest_cover(20, [TEN, SIX])
    assert (cover.cost_kop, [(line.pack_id, line.count) for line in cover.lines]) == (
        20_000,
        [(1, 2)],
    )


def test_no_need_costs_nothing_and_a_need_without_packs_is_not_covered():
    assert advisor.cheapest_cover(0, []) == advisor.Cover(0, ())
    assert advisor.cheapest_cover(5, []) is None
    with pytest.raises(ValueError):
        advisor.cheapest_cover(-1, [TEN])


def test_equally_cheap_covers_take_the_fewest_packs():
    five = Pack(3, "+5", 5, 5_000)
    cover = advisor.cheapest_cover(10, [five, TEN])  # 2 x 5 GB or 1 x 10 GB: both 100 ₽
    assert [(line.pack_id, line.count) for line in cover.lines] == [(1, 1)]


def test_a_large_need_is_exact_through_the_best_value_shortcut():
    packs = [Pack(1, "a", 7, 9_100), Pack(2, "b", 5, 6_600), Pack(3, "c", 3, 4_050)]
    for need in range(0, 400):
        cover = advisor.cheapest_cover(need, packs)
        assert cover.cost_kop == reference_cover(need, packs), need
        assert cover.gb >= need
        assert cover.cost_kop == sum(line.price_kop * line.count for line in cover.lines)
    # a month of a radio's worth of gigabytes stays quick and exact in its shape
    cover = advisor.cheapest_cover(32_000, packs)
    assert cover.gb >= 32_000 and cover.gb < 32_000 + 7


@settings(max_examples=200, deadline=None)
@given(
    need=st.integers(0, 150),
    specs=st.lists(st.tuples(st.integers(1, 20), st.integers(0, 50_000)), min_size=1, max_size=4),
)
def test_the_cover_matches_the_plain_table(need, specs):
    packs = [Pack(i + 1, f"p{i}", gb, price) for i, (gb, price) in enumerate(specs)]
    cover = advisor.cheapest_cover(need, packs)
    assert cover.cost_kop == reference_cover(need, packs)
    assert cover.gb >= need


# -- a tariff's cost and the choice --------------------------------------------------------------
START = Terms(1, "Старт", 35_000, 15)
OPTIMUM = Terms(2, "Оптимум", 65_000, 50)
MAXIMUM = Terms(3, "Максимум", 99_000, None)
PACK = Pack(9, "+10 ГБ", 10, 15_000)


def test_a_period_costs_the_fee_and_its_packs():
    cost = advisor.period_cost(32 * GB, START, [PACK])  # 17 GB over: two packs
    assert (cost.fee_kop, cost.packs_kop, cost.total_kop, cost.short) == (
        35_000,
        30_000,
        65_000,
        False,
    )
    assert [(p.name, p.count) for p in cost.packs] == [("+10 ГБ", 2)]
    short = advisor.period_cost(32 * GB, START, [])
    assert (short.total_kop, short.short, short.packs) == (35_000, True, ())


def test_unlimited_tariffs_cost_their_fee_whatever_the_usage():
    cost = advisor.tariff_cost([0, 500 * GB, 3000 * GB], MAXIMUM, [])
    assert cost.total_kop == 3 * 99_000 and cost.monthly_kop == 99_000 and not cost.short
    assert all(p.packs == () for p in cost.periods)


def test_the_monthly_cost_is_rounded_half_up_to_a_kopeck():
    assert advisor.per_month(100, 3) == 33
    assert advisor.per_month(101, 2) == 51
    assert advisor.per_month(99, 2) == 50


def test_a_light_user_is_advised_the_cheaper_tariff_with_the_saving():
    used = [int(7.1 * GB), int(12.3 * GB), int(9.8 * GB)]
    verdict, mine, best, saving = advisor.choose(used, OPTIMUM, [START, OPTIMUM, MAXIMUM], [PACK])
    assert verdict == "switch"
    assert (best.name, best.monthly_kop, mine.monthly_kop, saving) == (
        "Старт",
        35_000,
        65_000,
        30_000,
    )


def test_packs_count_where_they_make_a_tariff_cheaper():
    # 20, 24, 19 GB on Оптимум (650 ₽): Старт + one pack each month (500 ₽) is cheaper
    used = [20 * GB, 24 * GB, 19 * GB]
    verdict, mine, best, saving = advisor.choose(used, OPTIMUM, [START, MAXIMUM], [PACK])
    assert verdict == "switch" and best.name == "Старт"
    assert [p.packs[0].count for p in best.periods] == [1, 1, 1]
    assert (best.monthly_kop, saving) == (50_000, 15_000)
    # at 40 GB a month Старт needs three packs (800 ₽): the current tariff is the best
    verdict, mine, best, saving = advisor.choose([40 * GB] * 3, OPTIMUM, [START, MAXIMUM], [PACK])
    assert (verdict, best, saving, mine.monthly_kop) == ("best", None, 0, 65_000)


def test_a_heavy_user_is_advised_the_unlimited_tariff():
    used = [90 * GB, 120 * GB, 100 * GB]  # Оптимум + 4-7 packs; Максимум 990 ₽
    verdict, mine, best, saving = advisor.choose(used, OPTIMUM, [START, MAXIMUM], [PACK])
    assert verdict == "switch" and best.name == "Максимум"
    assert mine.total_kop == 3 * 65_000 + (4 + 7 + 5) * 15_000
    assert saving == mine.monthly_kop - 99_000


def test_a_tie_keeps_the_current_tariff():
    same = Terms(4, "Близнец", 65_000, 50)
    verdict, mine, best, saving = advisor.choose([10 * GB] * 3, OPTIMUM, [same], [PACK])
    assert (verdict, best, saving) == ("best", None, 0)


def test_between_equally_cheap_alternatives_the_cheaper_fee_wins():
    # both cost 500 ₽ a month for 20 GB: «Пакетный» 350 ₽ + a pack, «Ровный» 500 ₽ with 25 GB
    flat = Terms(5, "Ровный", 50_000, 25)
    verdict, _mine, best, saving = advisor.choose([20 * GB] * 3, OPTIMUM, [flat, START], [PACK])
    assert (verdict, best.name, best.monthly_kop, saving) == ("switch", "Старт", 50_000, 15_000)
    verdict, _mine, best, _saving = advisor.choose([20 * GB] * 3, OPTIMUM, [START, flat], [PACK])
    assert best.name == "Старт"  # whatever the order they come in


def test_a_tariff_that_would_run_out_without_packs_is_not_advised():
    verdict, mine, best, _saving = advisor.choose([20 * GB] * 3, OPTIMUM, [START, MAXIMUM], [])
    assert (verdict, best) == ("best", None)  # Старт would throttle; Максимум costs more
    # the current tariff short of packs is compared at its fee, marked short
    verdict, mine, best, saving = advisor.choose([60 * GB] * 3, OPTIMUM, [START, MAXIMUM], [])
    assert mine.short and mine.monthly_kop == 65_000 and (verdict, best) == ("best", None)
    verdict, mine, best, saving = advisor.choose([60 * GB] * 3, MAXIMUM, [START, OPTIMUM], [])
    assert (verdict, best, mine.short) == ("best", None, False)


def test_a_sim_without_a_tariff_is_offered_the_cheapest_that_covers():
    verdict, mine, best, saving = advisor.choose([20 * GB] * 3, None, [START, OPTIMUM], [])
    assert (verdict, mine, best.name, saving) == ("choose", None, "Оптимум", 0)
    assert advisor.choose([90 * GB], None, [START, OPTIMUM], [])[0] == "none"
    assert advisor.choose([], OPTIMUM, [START], [PACK]) == ("no_history", None, None, 0)


def test_complete_periods_start_after_the_history_does():
    today = date(2026, 12, 6)  # billing day 10: the current period began on 10.11
    spans = advisor.complete_periods(10, today, date(2026, 1, 1))
    assert spans == [
        (date(2026, 8, 10), date(2026, 9, 10)),
        (date(2026, 9, 10), date(2026, 10, 10)),
        (date(2026, 10, 10), date(2026, 11, 10)),
    ]
    assert advisor.complete_periods(10, today, date(2026, 9, 10)) == spans[1:]
    assert advisor.complete_periods(10, today, date(2026, 9, 11)) == spans[2:]  # mid-period
    assert advisor.complete_periods(10, today, date(2026, 10, 11)) == []
    assert advisor.complete_periods(10, today, None) == []
    assert advisor.complete_periods(10, date(2026, 12, 10), date(2026, 1, 1))[-1] == (
        date(2026, 11, 10),
        date(2026, 12, 10),
    )


# -- the verb --------------------------------------------------------------------------------------
TODAY = date(2026, 12, 6)


@pytest.fixture
def world(factory, session):
    start = factory.tariff("Старт", fee_kop=35_000, data_gb=15)
    optimum = factory.tariff("Оптимум", fee_kop=65_000, data_gb=50)
    maximum = factory.tariff("Максимум", fee_kop=99_000, data_gb=None)
    old = factory.tariff("Безлимит 2024", fee_kop=50_000, is_archived=True, is_public=False)
    factory.tariff("Корпоративный", fee_kop=10_000, data_gb=100, is_public=False)
    session.add(AddonService(code="X10", name="+10 ГБ", price_kop=15_000, kind="data_pack",
                             data_gb=10))  # fmt: skip
    session.add(AddonService(code="X50", name="+50 ГБ", price_kop=1_000, kind="data_pack",
                             data_gb=50, is_archived=True))  # fmt: skip
    session.add(AddonService(code="NIGHT", name="Ночь", price_kop=9_900, kind="night_unlimited",
                             night_from_hour=1, night_to_hour=7))  # fmt: skip
    session.commit()
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    long_ago = datetime(2026, 1, 15, 9, tzinfo=UTC)
    sim = factory.sim(alice, tariff=optimum, billing_day=10, activated_at=long_ago)
    return {
        "start": start,
        "optimum": optimum,
        "maximum": maximum,
        "old": old,
        "alice": alice,
        "bob": bob,
        "sim": sim,
        "factory": factory,
    }


def put_usage(session, sim, per_day: dict[date, int]) -> None:
    for d, n in per_day.items():
        session.add(UsageDay(sim_id=sim.id, day=d, bytes_up=n // 5, bytes_down=n - n // 5))
    session.commit()


def spread(session, sim, start: date, end: date, total: int) -> None:
    """`total` bytes over the Moscow days [start, end), the remainder on the last day."""
    days = (end - start).days
    each = total // days
    per_day = {start + timedelta(i): each for i in range(days)}
    per_day[end - timedelta(1)] += total - each * days
    put_usage(session, sim, per_day)


def test_three_light_periods_advise_start(session, world):
    sim = world["sim"]
    put_usage(session, sim, {date(2026, 7, 20): 3 * GB})  # history began long before
    spread(session, sim, date(2026, 8, 10), date(2026, 9, 10), int(7.1 * GB))
    spread(session, sim, date(2026, 9, 10), date(2026, 10, 10), int(12.3 * GB))
    spread(session, sim, date(2026, 10, 10), date(2026, 11, 10), int(9.8 * GB))
    put_usage(session, sim, {date(2026, 11, 20): 40 * GB})  # the current period: not counted
    advice = advisor.advise(session, world["alice"], sim.id, today=TODAY)
    assert advice.verdict == "switch"
    assert [(p.start, p.used_bytes) for p in advice.periods] == [
        (date(2026, 8, 10), int(7.1 * GB)),
        (date(2026, 9, 10), int(12.3 * GB)),
        (date(2026, 10, 10), int(9.8 * GB)),
    ]
    assert advice.periods[-1].end == date(2026, 11, 10)
    assert (advice.best.tariff_id, advice.best.monthly_kop) == (world["start"].id, 35_000)
    assert (advice.current.tariff_id, advice.current.monthly_kop) == (world["optimum"].id, 65_000)
    assert advice.saving_kop == 30_000


def test_packs_on_sale_only_and_the_hidden_tariff_is_not_offered(session, world):
    sim = world["sim"]
    for start, end in advisor.complete_periods(10, TODAY, date(2026, 1, 1)):
        spread(session, sim, start, end, 22 * GB)
    advice = advisor.advise(session, world["alice"], sim.id, today=TODAY)
    # Старт + one +10 ГБ (the archived +50 ГБ at 10 ₽ is not on sale): 500 ₽ against 650 ₽;
    # «Корпоративный» (100 ₽, 100 GB) is not public
    assert advice.verdict == "switch" and advice.best.name == "Старт"
    assert [[(line.name, line.count) for line in p.packs] for p in advice.best.periods] == [
        [("+10 ГБ", 1)]
    ] * 3
    assert advice.saving_kop == 15_000


def test_the_night_hours_count_like_any_other(session, world):
    """usage_day has no hours: the advice counts every byte, a night add-on or not."""
    sim = world["sim"]
    for start, end in advisor.complete_periods(10, TODAY, date(2026, 1, 1)):
        spread(session, sim, start, end, 60 * GB)
    advice = advisor.advise(session, world["alice"], sim.id, today=TODAY)
    assert [p.packs_kop for p in advice.current.periods] == [15_000] * 3
    assert advice.verdict == "best"  # Оптимум + a pack = 800 ₽ < Максимум 990 ₽


def test_a_sim_on_an_archived_tariff_is_compared_but_never_advised_back(session, world):
    sim = world["factory"].sim(
        world["alice"],
        tariff=world["old"],
        billing_day=10,
        activated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for start, end in advisor.complete_periods(10, TODAY, date(2026, 1, 1)):
        spread(session, sim, start, end, 80 * GB)
    advice = advisor.advise(session, world["alice"], sim.id, today=TODAY)
    # the archived unlimited tariff at 500 ₽ is cheapest: it stays
    assert advice.verdict == "best" and advice.current.name == "Безлимит 2024"
    assert advice.current.monthly_kop == 50_000
    light = world["factory"].sim(
        world["alice"],
        tariff=world["old"],
        billing_day=10,
        activated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for start, end in advisor.complete_periods(10, TODAY, date(2026, 1, 1)):
        spread(session, light, start, end, 5 * GB)
    advice = advisor.advise(session, world["alice"], light.id, today=TODAY)
    assert (advice.verdict, advice.best.name, advice.saving_kop) == ("switch", "Старт", 15_000)


def test_no_usage_history_or_not_one_complete_period(session, world):
    sim = world["sim"]
    advice = advisor.advise(session, world["alice"], sim.id, today=TODAY)
    assert (advice.verdict, advice.periods, advice.current, advice.best) == (
        "no_history",
        (),
        None,
        None,
    )
    put_usage(session, sim, {date(2026, 10, 20): GB, date(2026, 11, 12): GB})  # from mid-period
    assert advisor.advise(session, world["alice"], sim.id, today=TODAY).verdict == "no_history"
    # activated mid-period: that period is left out even though the network reported usage
    young = world["factory"].sim(
        world["alice"],
        tariff=world["optimum"],
        billing_day=10,
        activated_at=datetime(2026, 9, 20, 8, tzinfo=UTC),
    )
    put_usage(session, young, {date(2026, 9, 1): GB, date(2026, 10, 15): 2 * GB})
    advice = advisor.advise(session, world["alice"], young.id, today=TODAY)
    assert [(p.start, p.used_bytes) for p in advice.periods] == [(date(2026, 10, 10), 2 * GB)]
    assert advice.verdict == "switch" and advice.best.name == "Старт"


def test_only_the_owner_asks(session, world):
    with pytest.raises(PermissionDenied):
        advisor.advise(session, world["bob"], world["sim"].id, today=TODAY)
    with pytest.raises(PermissionDenied):
        advisor.advise(session, world["factory"].superadmin(), world["sim"].id, today=TODAY)
    for bad in (None, "1", -1, 10**12, True):
        with pytest.raises(PermissionDenied):
            advisor.advise(session, world["alice"], bad, today=TODAY)
