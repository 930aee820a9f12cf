"""The dealer's payments list (partner_lists.PARTNER_PAYMENT_LIST): its subscribers' payments and
its own cash top-ups with the commission each earned (less what refunds took back), filters and
the advanced search's operators per column type, and nothing of another dealer's, whatever id,
filter or condition is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paysim_app.billing import partner_topups
from paysim_app.core import form_keys
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import Condition, ListQuery, fetch_page
from paysim_app.i18n.formats import moscow_date
from paysim_app.models.base import utcnow
from paysim_app.partners.partner_lists import PARTNER_PAYMENT_LIST as SPEC
from tests.billing.test_payments_refunds import apply, refund_event
from tests.billing.test_receipts import pay


@pytest.fixture
def shops(session, factory):
    mine = factory.partner("Связь-Плюс")
    theirs = factory.partner("Чужой дилер")
    anna = factory.subscriber("anna@example.ru", full_name="Анна Кузнецова")
    oleg = factory.subscriber("oleg@example.ru", full_name="Олег Петров")
    anna_sim = factory.sim(anna, partner=mine)
    oleg_sim = factory.sim(oleg, partner=theirs)
    card = pay(session, anna_sim, 50000)  # 5 %: 25,00 ₽
    declined = pay(session, anna_sim, 70000, status="failed")
    cash = partner_topups.partner_topup(
        session, mine.actor, anna_sim.id, 30000, form_keys.new_key()
    ).payment_id
    session.commit()
    other = pay(session, oleg_sim, 90000)
    apply(session, refund_event(session, card, ("re_part", 10000)))  # 100 ₽ of 500 back
    return {
        "mine": mine,
        "theirs": theirs,
        "anna_sim": anna_sim,
        "oleg_sim": oleg_sim,
        "card": card,
        "declined": declined,
        "cash": cash,
        "other": other,
        "admin": factory.superadmin(),
        "anna": anna,
    }


def ids(session, actor, **kw) -> list[int]:
    conditions = tuple(Condition(*c) for c in kw.pop("conditions", ()))
    query = ListQuery(page_size=100, conditions=conditions, **kw)
    return [r["id"] for r in fetch_page(session, actor, SPEC, query).rows]


def cond(session, actor, *conditions) -> set[int]:
    return set(ids(session, actor, conditions=conditions))


def test_the_dealer_sees_its_payments_with_their_commission(session, shops):
    page = fetch_page(session, shops["mine"].actor, SPEC, ListQuery())
    rows = {r["id"]: r for r in page.rows}
    assert list(rows) == [shops["cash"], shops["declined"], shops["card"]]  # newest first
    card = rows[shops["card"]]
    # 25,00 ₽ accrued on 500 ₽, 5,00 ₽ reversed with the 100 ₽ refund
    assert (card["commission_kop"], card["refunded_kop"]) == (2000, 10000)
    assert card["subscriber"] == "Анна Кузнецова" and card["msisdn"] == shops["anna_sim"].msisdn
    assert rows[shops["cash"]]["method"] == "partner"
    assert rows[shops["cash"]]["commission_kop"] == 1500
    assert rows[shops["declined"]]["commission_kop"] == 0
    # no card details, no gateway reference
    assert not {"card_last4", "card_brand", "gateway_ref"} & set(card)


def test_another_dealers_payments_never_show(session, shops):
    mine, oleg_sim = shops["mine"].actor, shops["oleg_sim"]
    assert shops["other"] not in ids(session, mine)
    assert ids(session, mine, filters={"sim": str(oleg_sim.id)}) == []
    assert ids(session, mine, search=f"#{shops['other']}") == []
    assert ids(session, mine, search=oleg_sim.msisdn) == []
    assert ids(session, mine, search="Петров") == []
    assert cond(session, mine, ("msisdn", "eq", oleg_sim.msisdn)) == set()
    assert cond(session, mine, ("amount", "eq", "900")) == set()
    assert ids(session, shops["theirs"].actor) == [shops["other"]]


@pytest.mark.parametrize("who", ["admin", "anna", None])
def test_only_a_dealer_may_read_it(session, shops, who):
    actor = shops[who] if who else None
    with pytest.raises(PermissionDenied):
        fetch_page(session, actor, SPEC, ListQuery())


def test_filters_search_and_operators_per_column_type(session, shops):
    mine = shops["mine"].actor
    card, declined, cash = shops["card"], shops["declined"], shops["cash"]
    assert ids(session, mine, filters={"status": "failed"}) == [declined]
    assert ids(session, mine, filters={"method": "partner"}) == [cash]
    assert ids(session, mine, filters={"amount_min": "400", "amount_max": "600"}) == [card]
    today = moscow_date(utcnow())
    assert len(ids(session, mine, filters={"date_from": today.isoformat()})) == 3
    assert ids(session, mine, search=f"#{card}") == [card]
    assert len(ids(session, mine, search="кузнецова")) == 3
    assert len(ids(session, mine, search=shops["anna_sim"].msisdn[-5:])) == 3
    # text
    assert len(cond(session, mine, ("subscriber", "contains", "АННА"))) == 3
    assert cond(session, mine, ("subscriber", "starts", "Олег")) == set()
    assert len(cond(session, mine, ("contract_no", "filled"))) == 3
    # money: the amount, what was refunded, the commission (roubles typed)
    assert cond(session, mine, ("amount", "gte", "700")) == {declined}
    assert cond(session, mine, ("refunded", "gte", "0,01")) == {card}
    assert cond(session, mine, ("commission", "between", "10..20")) == {card, cash}
    assert cond(session, mine, ("commission", "eq", "20")) == {card}
    assert cond(session, mine, ("commission", "lte", "0")) == {declined}
    # choice
    assert cond(session, mine, ("method", "in", "card,partner")) == {card, declined, cash}
    assert cond(session, mine, ("status", "not_in", "succeeded")) == {declined}
    # date
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert cond(session, mine, ("created_at", "from", tomorrow)) == set()
    assert len(cond(session, mine, ("created_at", "on", today.isoformat()))) == 3
    # AND
    assert cond(session, mine, ("method", "in", "card"), ("status", "in", "succeeded")) == {card}


@pytest.mark.parametrize(
    "bad",
    [
        ("commission", "contains", "1"),
        ("amount", "gte", "много"),
        ("method", "in", "cash"),
        ("partner", "eq", "1"),  # not a field of the dealer's list
    ],
)
def test_a_bad_condition_is_refused(session, shops, bad):
    with pytest.raises(ValidationError):
        cond(session, shops["mine"].actor, bad)
