"""The advanced search (core.listing.SearchField / Condition): every operator of every field
kind on the SIM and payment lists, forged conditions refused, the list state's round trip
through the address, and the saved filter sets (core.saved_filters)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError

from paysim_app.billing import payment_lists
from paysim_app.core import saved_filters
from paysim_app.core.errors import NotFound, PermissionDenied, ValidationError
from paysim_app.core.listing import (
    MAX_CONDITIONS,
    OPERATORS,
    Condition,
    ListQuery,
    fetch_page,
    parse_params,
    to_params,
    to_query_string,
)
from paysim_app.models import Payment, SavedFilter
from paysim_app.models.base import utcnow
from paysim_app.overview import ref_lookup
from paysim_app.sims import inventory

SIMS = inventory.SIM_LIST


def ids(session, actor, *conds, spec=SIMS, **kw):
    q = ListQuery(conditions=tuple(Condition(*c) for c in conds), page_size=100, **kw)
    return {r["id"] for r in fetch_page(session, actor, spec, q).rows}


@pytest.fixture
def stock(session, factory):
    """Three SIMs that differ in every searchable column."""
    admin = factory.superadmin()
    dealer = factory.partner(name="Связь-Плюс")
    tariff = factory.tariff(name="Безлимит")
    petrov = factory.subscriber(full_name="Пётр Сидоров")
    a = factory.sim(petrov, partner=dealer, tariff=tariff, balance_kop=-500, label="дача")
    b = factory.sim(balance_kop=12_345, label="Офис на Тверской")
    c = factory.sim(status="blocked")
    b.created_at = utcnow() - timedelta(days=10)
    session.add(b)
    session.commit()
    return admin, a, b, c, dealer, tariff, petrov


def test_text_operators(session, stock):
    admin, a, b, c, *_ = stock
    assert ids(session, admin, ("label", "contains", "ТВЕРСК")) == {b.id}
    assert ids(session, admin, ("label", "starts", "офис")) == {b.id}
    assert ids(session, admin, ("label", "starts", "Тверск")) == set()
    assert ids(session, admin, ("label", "eq", "дача")) == {a.id}
    assert ids(session, admin, ("label", "empty", "")) == {c.id}
    assert ids(session, admin, ("label", "filled", "")) == {a.id, b.id}
    assert ids(session, admin, ("msisdn", "starts", a.msisdn[:-2])) >= {a.id}
    # the user's % and _ are literal
    assert ids(session, admin, ("label", "contains", "%")) == set()


def test_money_operators_in_roubles(session, stock):
    admin, a, b, c, *_ = stock
    assert ids(session, admin, ("balance", "eq", "123,45")) == {b.id}
    assert ids(session, admin, ("balance", "gte", "0")) == {b.id, c.id}
    assert ids(session, admin, ("balance", "lte", "-5")) == {a.id}
    assert ids(session, admin, ("balance", "between", "-10..0")) == {a.id, c.id}
    assert ids(session, admin, ("balance", "between", "100..")) == {b.id}
    assert ids(session, admin, ("balance", "between", "..-1")) == {a.id}


def test_number_operators(session, factory):
    admin = factory.superadmin()
    sub = factory.subscriber()
    low, high = factory.sim(sub, balance_kop=100), factory.sim(sub, balance_kop=900)
    pays = []
    for sim, kop in ((low, 1_000), (high, 50_000)):
        pay = Payment(
            sim_id=sim.id,
            subscriber_id=sub.subscriber_id,
            amount_kop=kop,
            method="card",
            status="succeeded",
            idempotency_key=f"adv-{sim.id}-{kop}",
        )
        session.add(pay)
        pays.append(pay)
    session.commit()
    spec = payment_lists.PAYMENT_LIST
    assert ids(session, admin, ("amount", "gte", "100"), spec=spec) == {pays[1].id}
    assert ids(session, admin, ("amount", "between", "5..20"), spec=spec) == {pays[0].id}
    assert ids(session, admin, ("refunded", "eq", "0"), spec=spec) == {p.id for p in pays}
    assert ids(session, admin, ("subscriber", "eq", str(sub.subscriber_id)), spec=spec) == {
        p.id for p in pays
    }
    assert ids(session, admin, ("partner", "empty", ""), spec=spec) == {p.id for p in pays}
    assert ids(session, admin, ("partner", "filled", ""), spec=spec) == set()
    assert ids(session, admin, ("status", "in", "succeeded,failed"), spec=spec) == {
        p.id for p in pays
    }


def test_date_operators_by_moscow_day(session, stock):
    admin, a, b, c, *_ = stock
    today = (utcnow() + timedelta(hours=3)).date()
    old = today - timedelta(days=10)
    assert ids(session, admin, ("created_at", "on", old.isoformat())) == {b.id}
    assert ids(session, admin, ("created_at", "from", today.isoformat())) == {a.id, c.id}
    assert ids(session, admin, ("created_at", "to", old.isoformat())) == {b.id}
    span = f"{(old - timedelta(days=1)).isoformat()}..{(old + timedelta(days=1)).isoformat()}"
    assert ids(session, admin, ("created_at", "between", span)) == {b.id}
    assert ids(session, admin, ("activated_at", "empty", "")) == {b.id, c.id}
    assert ids(session, admin, ("activated_at", "filled", "")) == {a.id}


def test_choice_ref_and_and(session, stock):
    admin, a, b, c, dealer, tariff, petrov = stock
    assert ids(session, admin, ("status", "in", "blocked,in_stock")) == {b.id, c.id}
    assert ids(session, admin, ("status", "not_in", "blocked")) == {a.id, b.id}
    assert ids(session, admin, ("status", "empty", "")) == set()
    assert ids(session, admin, ("partner", "eq", str(dealer.partner.id))) == {a.id}
    assert ids(session, admin, ("tariff", "eq", str(tariff.id))) == {a.id}
    assert ids(session, admin, ("subscriber", "filled", "")) == {a.id}
    assert ids(session, admin, ("partner", "empty", "")) == {b.id, c.id}
    # AND: three conditions, and with a filter and the search box
    both = (("status", "in", "in_stock,blocked"), ("balance", "gte", "1"), ("label", "filled", ""))
    assert ids(session, admin, *both) == {b.id}
    assert ids(session, admin, ("balance", "lte", "0"), filters={"status": "blocked"}) == {c.id}
    assert ids(session, admin, ("label", "filled", ""), search="Сидоров") == {a.id}


def test_every_declared_operator_compiles(session, stock):
    """Every field of the two lists with every operator its kind allows (and a valid value)."""
    admin = stock[0]
    samples = {
        "text": "1",
        "number": "1",
        "money": "1",
        "date": "2026-01-01",
        "choice": None,
        "ref": "1",
        "bool": "",
    }
    for spec in (SIMS, payment_lists.PAYMENT_LIST):
        for f in spec.fields:
            for op in OPERATORS[f.kind]:
                value = f.choices[0] if f.kind == "choice" else samples[f.kind]
                if op == "between":
                    value = f"{value}..{value}"
                fetch_page(
                    session, admin, spec, ListQuery(conditions=(Condition(f.name, op, value),))
                )


@pytest.mark.parametrize(
    "cond",
    [
        ("nope", "eq", "1"),  # unknown field
        ("balance", "contains", "1"),  # an operator of another kind
        ("balance", "drop table", "1"),
        ("balance", "gte", "много"),
        ("balance", "between", "5..1"),  # reversed
        ("balance", "between", ".."),
        ("balance", "gte", ""),  # no value
        ("created_at", "on", "2026-13-01"),
        ("status", "in", "active,hacked"),
        ("status", "in", ",".join(["active"] * 0) or ","),
        ("partner", "eq", "1 OR 1=1"),
        ("label", "contains", ""),
    ],
)
def test_forged_conditions_are_refused(session, stock, cond):
    with pytest.raises(ValidationError):
        ids(session, stock[0], cond)


@pytest.mark.parametrize("forged", [(1, "eq", "1"), ("label", None, "x"), ("label", "eq", 5)])
def test_conditions_of_the_wrong_types_are_refused(session, stock, forged):
    with pytest.raises(ValidationError):
        fetch_page(session, stock[0], SIMS, ListQuery(conditions=(Condition(*forged),)))
    with pytest.raises(ValidationError):
        fetch_page(session, stock[0], SIMS, ListQuery(conditions=("label",)))


def test_too_many_conditions_are_refused(session, stock):
    many = [("label", "filled", "")] * (MAX_CONDITIONS + 1)
    with pytest.raises(ValidationError):
        ids(session, stock[0], *many)


def test_a_list_without_the_permission_is_refused_before_the_conditions(session, factory):
    support = factory.support()
    with pytest.raises(PermissionDenied):
        ids(session, support, ("label", "filled", ""))


# -- the address ----------------------------------------------------------------------------
def test_round_trip_of_a_full_query():
    q = ListQuery(
        filters={"status": "active", "partner": "none"},
        search="Петров",
        sort="balance",
        descending=False,
        page=3,
        conditions=(
            Condition("balance", "between", "10..20,50"),
            Condition("label", "empty", ""),
            Condition("status", "in", "active,blocked"),
            Condition("created_at", "from", "2026-11-01"),
        ),
    )
    back, refused = parse_params(SIMS, to_params(q))
    assert refused == [] and back == q
    assert to_query_string(q).startswith("partner=none&status=active&q=")
    assert "balance.between=10..20%2C50" in to_query_string(q)


values = st.sampled_from(["active", "blocked", "in_stock"])


@settings(max_examples=60, deadline=None)
@given(
    search=st.text(max_size=30).map(str.strip),
    page=st.integers(1, 500),
    asc=st.booleans(),
    status=st.lists(values, min_size=1, max_size=3, unique=True),
    low=st.integers(-1000, 1000),
    label=st.text(alphabet="абвabc %_-.&=?", min_size=1, max_size=20).map(str.strip),
)
def test_round_trip_property(search, page, asc, status, low, label):
    conds = [Condition("status", "in", ",".join(status)), Condition("balance", "gte", str(low))]
    if label:
        conds.append(Condition("label", "contains", label))
    q = ListQuery(
        search=search, page=page, descending=not asc, sort="msisdn", conditions=tuple(conds)
    )
    from urllib.parse import parse_qsl

    parsed = dict(parse_qsl(to_query_string(q), keep_blank_values=True))
    assert parse_params(SIMS, parsed) == (q, [])


def test_garbage_in_the_address_is_left_out_and_named():
    params = {
        "status": "nonsense",
        "balance.gte": "lots",
        "label.sql": "1",
        "ghost.eq": "1",
        "sort": "password",
        "page": "-4",
        "utm_source": "mail",  # not ours: ignored silently
        "msisdn.starts": "903",
        "q": "ivan",
        "asc": "1",
    }
    q, refused = parse_params(SIMS, params)
    assert q.conditions == (Condition("msisdn", "starts", "903"),)
    assert q.filters == {} and q.search == "ivan" and q.sort == "" and q.page == 1
    assert not q.descending
    assert sorted(refused) == sorted(
        ["status", "balance.gte", "label.sql", "ghost.eq", "sort", "page"]
    )
    # not text at all (a forged router payload)
    q, refused = parse_params(SIMS, {"balance.gte": ["1"], 5: "x", "page": 7})
    assert q == ListQuery(page=1) and refused == []


# -- saved filter sets ----------------------------------------------------------------------
def test_saved_filters_are_the_owners_only(session, factory):
    me, other = factory.superadmin(), factory.superadmin()
    mine = saved_filters.save_filter(session, me, "sims", "  Должники  ", "?balance.lte=-1")
    saved_filters.save_filter(session, me, "payments", "Должники", "status=failed")
    saved_filters.save_filter(session, other, "sims", "Должники", "status=blocked")
    assert mine.name == "Должники" and mine.query == "balance.lte=-1"
    assert [s.name for s in saved_filters.list_saved(session, me, "sims")] == ["Должники"]
    assert [s.query for s in saved_filters.list_saved(session, other, "sims")] == ["status=blocked"]
    with pytest.raises(NotFound):
        saved_filters.delete_filter(session, other, mine.id)
    with pytest.raises(NotFound):
        saved_filters.rename_filter(session, other, mine.id, "Моё")
    renamed = saved_filters.rename_filter(session, me, mine.id, "В минусе")
    assert renamed.name == "В минусе"
    saved_filters.delete_filter(session, me, mine.id)
    assert saved_filters.list_saved(session, me, "sims") == []
    with pytest.raises(PermissionDenied):
        saved_filters.list_saved(session, None, "sims")


def test_saved_filter_names_are_unique_per_user_and_list(session, factory):
    me = factory.superadmin()
    saved_filters.save_filter(session, me, "sims", "Склад", "status=in_stock")
    with pytest.raises(ValidationError) as err:
        saved_filters.save_filter(session, me, "sims", "склад", "status=blocked")
    assert err.value.code == "saved_filter.error.taken"
    second = saved_filters.save_filter(session, me, "sims", "Блок", "status=blocked")
    with pytest.raises(ValidationError):
        saved_filters.rename_filter(session, me, second.id, "СКЛАД")
    session.commit()
    # the table's own constraint holds even past the verb
    session.add(SavedFilter(user_id=me.user_id, list_name="sims", name="Склад", query=""))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "args",
    [
        ("Sims; drop", "x", "q=1"),
        ("sims", "", "q=1"),
        ("sims", "x" * 61, "q=1"),
        ("sims", "ok", "q=1\nSet-Cookie: x"),
        ("sims", "ok", "q=" + "1" * 1001),
        ("sims", 5, "q=1"),
        (None, "ok", "q=1"),
    ],
)
def test_bad_saved_filters_are_refused(session, factory, args):
    with pytest.raises(ValidationError):
        saved_filters.save_filter(session, factory.superadmin(), *args)


def test_a_user_keeps_a_limited_number_of_sets(session, factory, monkeypatch):
    monkeypatch.setattr(saved_filters, "MAX_PER_USER", 3)
    me = factory.superadmin()
    for n in range(3):
        saved_filters.save_filter(session, me, "sims", f"Набор {n}", f"page={n + 2}")
    with pytest.raises(ValidationError) as err:
        saved_filters.save_filter(session, me, "payments", "Ещё", "page=2")
    assert err.value.code == "saved_filter.error.limit"
    saved_filters.save_filter(session, factory.superadmin(), "sims", "Набор 0", "")


# -- pickers --------------------------------------------------------------------------------
def test_pickers_find_by_name_or_contract_and_check_the_permission(session, factory):
    admin = factory.superadmin()
    sub = factory.subscriber(full_name="Анна Кузнецова")
    factory.partner(name="Связь-Плюс")
    factory.tariff(name="Ночной")
    hits = ref_lookup.lookup(session, admin, "subscriber", "кузне")
    assert [h.value for h in hits] == [str(sub.subscriber_id)]
    assert "Анна Кузнецова" in hits[0].label
    assert [
        h.label.split(" (")[0] for h in ref_lookup.lookup(session, admin, "partner", "плюс")
    ] == ["Связь-Плюс"]
    assert ref_lookup.lookup(session, admin, "tariff", "ночн")[0].label.startswith("Ночной")
    assert ref_lookup.lookup(session, admin, "admin", "Админ")
    assert ref_lookup.lookup(session, admin, "subscriber", "   ") == []
    with pytest.raises(ValidationError):
        ref_lookup.lookup(session, admin, "user_account", "a")
    with pytest.raises(PermissionDenied):
        ref_lookup.lookup(session, factory.support(), "partner", "плюс")
    with pytest.raises(PermissionDenied):
        ref_lookup.lookup(session, sub, "subscriber", "кузне")


def _sample(f, op: str) -> str:
    if op in ("empty", "filled", "yes", "no"):
        return ""
    value = {
        "text": "7",
        "number": "1",
        "money": "1",
        "date": "2026-01-01",
        "ref": "1",
    }.get(f.kind) or ",".join(f.choices[:2])
    return f"{value}..{value}" if op == "between" else value


def test_every_field_of_every_list_runs_with_every_operator(session, factory):
    """Each declared field of each exported list, each operator of its kind: a real query on
    this backend (a field on a table the list's SELECT does not join would fail here)."""
    from paysim_app.overview import list_export

    admin = factory.superadmin()
    dealer = factory.partner()
    customer = factory.subscriber()
    factory.sim(customer, partner=dealer, tariff=factory.tariff())
    ran = 0
    for spec in list_export.lists().values():
        # the partner's and the subscriber's own lists are checked as their owner
        actor = {"partner": dealer.actor, "subscriber": customer}.get(spec.permission, admin)
        for f in spec.fields:
            assert f.kind != "ref" or actor is admin  # a picker needs a back-office right
            for op in f.operators:
                cond = Condition(f.name, op, _sample(f, op))
                fetch_page(session, actor, spec, ListQuery(conditions=(cond,)))
                ran += 1
    assert ran > 350


def test_every_field_label_and_choice_has_both_languages():
    from paysim_app.i18n import EN, RU
    from paysim_app.overview import list_export

    for spec in list_export.lists().values():
        for f in spec.fields:
            keys = [f.label_key] + [f"{f.label_prefix}{c}" for c in f.choices]
            keys += [f"adv.op.{op}" for op in f.operators]
            for key in keys:
                assert key in RU and key in EN, (spec.name, f.name, key)


def test_a_capped_count_with_a_one_of_condition_gets_its_estimate(session, stock):
    """Past the cap PostgreSQL's planner estimate is asked for (EXPLAIN of the same SELECT):
    the IN list of a "one of" condition must be expanded there too."""
    from dataclasses import replace

    small = replace(SIMS, count_cap=1)
    q = ListQuery(conditions=(Condition("status", "in", "in_stock,blocked,active"),))
    page = fetch_page(session, stock[0], small, q)
    assert len(page.rows) == 3 and (page.capped or page.estimated)
