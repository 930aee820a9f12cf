"""The subscriber's payment history as a list of the shared machinery (statement.STATEMENT_LIST):
its filters, search and the advanced search's operators per column type, the exports of what is
shown, and the ownership: another contract's SIM id, number or card finds nothing."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from paysim_app.billing import statement
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import Condition, ListQuery, fetch_page, parse_params, to_params
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import AuditLog
from paysim_app.models.base import utcnow
from tests.billing.test_receipts import pay

SPEC = statement.STATEMENT_LIST


@pytest.fixture
def books(session, factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    home = factory.sim(alice, balance_kop=1000)  # an adjustment "test setup" of 10 ₽
    cams = factory.sim(alice)
    bobs = factory.sim(bob, balance_kop=5000)
    return {
        "alice": alice,
        "bob": bob,
        "home": home,
        "cams": cams,
        "bobs": bobs,
        "paid": pay(session, home, 40000),
        "declined": pay(session, home, 70000, status="failed"),
        "cams_paid": pay(session, cams, 25050),
        "bob_paid": pay(session, bobs, 90000),
        "admin": factory.superadmin(),
        "dealer": factory.partner(),
    }


def keys(session, actor, **kw) -> list[str]:
    conditions = tuple(Condition(*c) for c in kw.pop("conditions", ()))
    query = ListQuery(page_size=100, conditions=conditions, **kw)
    return [r["key"] for r in fetch_page(session, actor, SPEC, query).rows]


def cond(session, actor, *conditions) -> set[str]:
    return set(keys(session, actor, conditions=conditions))


def test_a_subscriber_lists_only_the_lines_of_its_own_contract(session, books):
    alice, bob = books["alice"], books["bob"]
    mine = keys(session, alice)
    assert len(mine) == 4  # the setup, two top-ups and the declined payment
    assert f"P{books['declined']}" in mine
    page = fetch_page(session, alice, SPEC, ListQuery())
    assert {r["sim_id"] for r in page.rows} == {books["home"].id, books["cams"].id}
    assert books["bob_paid"] not in {r["payment_id"] for r in page.rows}
    assert page.total == 4
    # newest first: the last payment made is the first line
    assert page.rows[0]["payment_id"] == books["cams_paid"]
    assert len(keys(session, bob)) == 2


def test_another_contracts_sim_number_or_card_finds_nothing(session, books):
    alice, bobs = books["alice"], books["bobs"]
    assert keys(session, alice, filters={"sim": str(bobs.id)}) == []
    assert keys(session, alice, search=bobs.msisdn) == []
    assert cond(session, alice, ("msisdn", "eq", bobs.msisdn)) == set()
    assert cond(session, alice, ("amount", "eq", "900")) == set()  # Bob's 900 ₽
    # the same number's own lines are there for its owner
    assert len(keys(session, books["bob"], filters={"sim": str(bobs.id)})) == 2


@pytest.mark.parametrize("who", ["admin", "dealer", None])
def test_only_a_subscriber_may_read_a_statement_list(session, books, who):
    actor = books[who] if who == "admin" else books[who].actor if who else None
    with pytest.raises(PermissionDenied):
        fetch_page(session, actor, SPEC, ListQuery())


def test_filters_and_search(session, books):
    alice, home = books["alice"], books["home"]
    assert len(keys(session, alice, filters={"sim": str(home.id)})) == 3
    assert keys(session, alice, filters={"status": "failed"}) == [f"P{books['declined']}"]
    assert len(keys(session, alice, filters={"method": "card"})) == 3
    assert len(keys(session, alice, filters={"amount_min": "250,50", "amount_max": "400"})) == 2
    today = moscow_date(utcnow()).isoformat()
    assert len(keys(session, alice, filters={"date_from": today, "date_to": today})) == 4
    assert keys(session, alice, filters={"date_to": "2000-01-01"}) == []
    assert len(keys(session, alice, search="4242")) == 3  # the card's last four
    assert len(keys(session, alice, search="setup")) == 1  # a comment
    assert len(keys(session, alice, search=home.msisdn[-7:])) == 3  # part of a number
    # the user's % and _ are literal (no digits: a part of a number could match the SIM's)
    assert keys(session, alice, search="%_") == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"amount_min": "500", "amount_max": "100"}, "amount_max"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to"),
        ({"status": "stolen"}, "status"),
        ({"method": "cash"}, "method"),
        ({"sim": "1 OR 1=1"}, "sim"),
        ({"amount_min": "-5"}, "amount_min"),
        ({"date_from": "вчера"}, "date_from"),
        ({"owner": "1"}, "owner"),
    ],
)
def test_bad_filters_are_refused_with_the_field(session, books, filters, field):
    with pytest.raises(ValidationError) as err:
        fetch_page(session, books["alice"], SPEC, ListQuery(filters=filters))
    assert err.value.field == field


def test_advanced_search_operators_per_column_type(session, books):
    alice, home, cams = books["alice"], books["home"], books["cams"]
    paid, declined, cams_paid = books["paid"], books["declined"], books["cams_paid"]
    setup = next(k for k in keys(session, alice, search="setup"))
    topups = {k for k in keys(session, alice) if k.startswith("L") and k != setup}
    everything = set(keys(session, alice))
    # text: contains, starts, eq, empty, filled
    assert cond(session, alice, ("comment", "contains", "SETUP")) == {setup}
    assert cond(session, alice, ("msisdn", "starts", cams.msisdn)) == cond(
        session, alice, ("msisdn", "eq", cams.msisdn)
    )
    assert cond(session, alice, ("msisdn", "eq", home.msisdn)) == set(
        keys(session, alice, filters={"sim": str(home.id)})
    )
    assert cond(session, alice, ("card_last4", "eq", "4242")) == topups | {f"P{declined}"}
    assert cond(session, alice, ("decline_code", "filled")) == {f"P{declined}"}
    assert cond(session, alice, ("decline_code", "empty")) == everything - {f"P{declined}"}
    # money: eq, gte, lte, between (roubles typed, kopecks compared; signed amounts)
    assert len(cond(session, alice, ("amount", "eq", "250,50"))) == 1
    assert cond(session, alice, ("amount", "gte", "700")) == {f"P{declined}"}
    assert cond(session, alice, ("amount", "lte", "10")) == {setup}
    assert len(cond(session, alice, ("amount", "between", "250..500"))) == 2
    # a declined payment moved no balance: its line has none
    assert cond(session, alice, ("balance", "empty")) == {f"P{declined}"}
    assert len(cond(session, alice, ("balance", "gte", "400"))) == 1  # 10 + 400 ₽ on «home»
    # choice: in, not in
    assert cond(session, alice, ("status", "in", "failed")) == {f"P{declined}"}
    assert cond(session, alice, ("status", "not_in", "failed,succeeded")) == set()
    assert cond(session, alice, ("method", "in", "correction")) == {setup}
    # date: on, from, to, between (Moscow days)
    today = moscow_date(utcnow())
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert cond(session, alice, ("created_at", "on", today.isoformat())) == everything
    assert cond(session, alice, ("created_at", "from", tomorrow)) == set()
    assert cond(session, alice, ("created_at", "to", today.isoformat())) == everything
    assert cond(session, alice, ("created_at", "between", f"2020-01-01..{tomorrow}")) == everything
    # conditions combine with AND, and with the filters
    both = cond(session, alice, ("card_last4", "eq", "4242"), ("status", "in", "succeeded"))
    assert both == topups
    paid_line = next(
        r["key"]
        for r in fetch_page(session, alice, SPEC, ListQuery()).rows
        if r["payment_id"] == paid and r["kind"] == "topup"
    )
    on_home = keys(
        session, alice, filters={"sim": str(home.id)}, conditions=[("amount", "gte", "100")]
    )
    assert set(on_home) == {paid_line, f"P{declined}"}
    assert paid and cams_paid


@pytest.mark.parametrize(
    "bad",
    [
        ("amount", "gte", "много"),
        ("amount", "contains", "1"),
        ("status", "in", "stolen"),
        ("created_at", "between", "2026-05-02..2026-05-01"),
        ("sim_id", "eq", "1"),  # not a field of this list
        ("comment", "eq", ""),
    ],
)
def test_a_bad_condition_is_refused(session, books, bad):
    with pytest.raises(ValidationError):
        cond(session, books["alice"], bad)


def test_the_address_round_trip(session, books):
    query = ListQuery(
        filters={"sim": str(books["home"].id), "status": "succeeded"},
        search="4242",
        sort="amount",
        descending=False,
        conditions=(Condition("amount", "between", "100..500"),),
    )
    params = to_params(query)
    again, refused = parse_params(SPEC, params)
    assert refused == [] and again.filters == query.filters and again.search == "4242"
    assert (again.sort, again.descending, again.conditions) == ("amount", False, query.conditions)
    assert fetch_page(session, books["alice"], SPEC, again).rows == (
        fetch_page(session, books["alice"], SPEC, query).rows
    )
    _, refused = parse_params(SPEC, {"status": "stolen", "amount.sql": "1", "sort": "id"})
    assert sorted(refused) == ["amount.sql", "sort", "status"]


def test_exports_write_what_the_list_shows_and_are_audited(session, books):
    alice = books["alice"]
    query = ListQuery(
        filters={"status": "succeeded"}, conditions=(Condition("amount", "gte", "200"),)
    )
    csv = statement.statement_csv(session, alice, query, "ru")
    lines = csv.strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("Дата;Номер;Операция")
    assert len(lines) == 3 and "400,00" in csv and "250,50" in csv
    sheet = load_workbook(io.BytesIO(statement.statement_xlsx(session, alice, query, "en"))).active
    assert sheet.max_row == 3
    session.commit()
    after = [
        json.loads(r.after)
        for r in session.exec(select(AuditLog).where(AuditLog.action == "list.export")).all()
    ]
    assert [a["format"] for a in after] == ["csv", "xlsx"]
    assert after[0]["filters"] == {"status": "succeeded", "amount.gte": "200"}
    # another contract's SIM: the header only
    bobs = ListQuery(filters={"sim": str(books["bobs"].id)})
    assert len(statement.statement_csv(session, alice, bobs, "ru").strip().splitlines()) == 1


def test_the_owners_sims_narrow_each_source_inside_the_union(books):
    """PostgreSQL does not push a condition on the union's sim_id into its sources: the owner's
    SIMs must be inside both, or every page reads the whole ledger."""
    sql = " ".join(str(SPEC.columns(books["alice"])).split())
    assert "ledger_entry.sim_id IN (SELECT sim.id FROM sim WHERE sim.subscriber_id" in sql
    assert "payment.sim_id IN (SELECT sim.id FROM sim WHERE sim.subscriber_id" in sql
