"""The subscriber's usage as a list of the shared machinery (sims.usage_list.USAGE_LIST): one row
per SIM per day from usage_day, only the subscriber's own SIMs whatever the browser sends, its
filters, the advanced search's operators, sorting, the address and the exports."""

from __future__ import annotations

import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import Condition, ListQuery, fetch_page, parse_params, to_params
from paysim_app.models import AuditLog
from paysim_app.models.usage import UsageDay
from paysim_app.overview import list_export
from paysim_app.sims.usage_list import MB, USAGE_LIST

SPEC = USAGE_LIST
D1, D2, D3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)


def _day(session, sim, day: date, down_mb: float, up_mb: float) -> None:
    session.add(
        UsageDay(sim_id=sim.id, day=day, bytes_down=int(down_mb * MB), bytes_up=int(up_mb * MB))
    )


@pytest.fixture
def usage(session, factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    home = factory.sim(alice)
    cams = factory.sim(alice)
    bobs = factory.sim(bob)
    _day(session, home, D1, 900, 100)  # 1000 MB
    _day(session, home, D2, 2500, 500)  # 3000 MB
    _day(session, home, D3, 40, 9.6)  # 49.6 MB: 50 whole MB
    _day(session, cams, D2, 150, 50)  # 200 MB
    _day(session, bobs, D2, 7000, 1000)  # 8000 MB: Bob's
    session.commit()
    return {
        "alice": alice,
        "bob": bob,
        "home": home,
        "cams": cams,
        "bobs": bobs,
        "admin": factory.superadmin(),
        "dealer": factory.partner(),
    }


def ids(session, actor, **kw) -> list[str]:
    conditions = tuple(Condition(*c) for c in kw.pop("conditions", ()))
    query = ListQuery(page_size=100, conditions=conditions, **kw)
    return [r["id"] for r in fetch_page(session, actor, SPEC, query).rows]


def key(sim, day: date) -> str:
    return f"{sim.id}-{day.isoformat()}"


def test_a_subscriber_lists_only_the_days_of_its_own_sims(session, usage):
    alice, home, cams = usage["alice"], usage["home"], usage["cams"]
    page = fetch_page(session, alice, SPEC, ListQuery())
    assert page.total == 4
    assert {r["sim_id"] for r in page.rows} == {home.id, cams.id}
    # newest day first, and the sizes as stored and in whole megabytes
    assert page.rows[0]["id"] == key(home, D3)
    first = page.rows[0]
    assert (first["bytes_down"], first["bytes_up"]) == (40 * MB, int(9.6 * MB))
    assert first["bytes_total"] == first["bytes_down"] + first["bytes_up"]
    assert (first["down_mb"], first["up_mb"], first["total_mb"]) == (40, 10, 50)
    assert first["msisdn"] == home.msisdn
    assert ids(session, usage["bob"]) == [key(usage["bobs"], D2)]


def test_another_contracts_sim_never_shows_whatever_the_browser_sends(session, usage):
    alice, bobs = usage["alice"], usage["bobs"]
    assert ids(session, alice, filters={"sim": str(bobs.id)}) == []
    assert ids(session, alice, conditions=[("msisdn", "eq", bobs.msisdn)]) == []
    assert ids(session, alice, conditions=[("total_mb", "gte", "5000")]) == []
    assert ids(session, alice, filters={"total_min": "7000"}) == []
    # the owner sees its SIM's day with the same filter
    assert ids(session, usage["bob"], filters={"sim": str(bobs.id)}) == [key(bobs, D2)]


@pytest.mark.parametrize("who", ["admin", "dealer", None])
def test_only_a_subscriber_may_read_a_usage_list(session, usage, who):
    actor = usage[who] if who == "admin" else usage[who].actor if who else None
    with pytest.raises(PermissionDenied):
        fetch_page(session, actor, SPEC, ListQuery())


def test_filters(session, usage):
    alice, home, cams = usage["alice"], usage["home"], usage["cams"]
    assert set(ids(session, alice, filters={"sim": str(cams.id)})) == {key(cams, D2)}
    assert len(ids(session, alice, filters={"sim": str(home.id)})) == 3
    # a date range, both days included
    assert set(ids(session, alice, filters={"date_from": "2026-10-02"})) == {
        key(home, D2),
        key(home, D3),
        key(cams, D2),
    }
    assert set(ids(session, alice, filters={"date_to": "2026-10-01"})) == {key(home, D1)}
    only_d2 = {"date_from": "2026-10-02", "date_to": "2026-10-02"}
    assert set(ids(session, alice, filters=only_d2)) == {key(home, D2), key(cams, D2)}
    # a total range in whole megabytes, both ends included
    assert set(ids(session, alice, filters={"total_min": "1000"})) == {key(home, D1), key(home, D2)}
    assert set(ids(session, alice, filters={"total_max": "200"})) == {key(cams, D2), key(home, D3)}
    assert ids(session, alice, filters={"total_min": "201", "total_max": "999"}) == []
    assert set(ids(session, alice, filters={"total_min": "200", "total_max": "1000"})) == {
        key(cams, D2),
        key(home, D1),
    }
    # filters combine
    both = {"sim": str(home.id), "date_from": "2026-10-02", "total_min": "100"}
    assert ids(session, alice, filters=both) == [key(home, D2)]


def test_sorting_by_day_and_by_total(session, usage):
    alice, home, cams = usage["alice"], usage["home"], usage["cams"]
    by_total = ids(session, alice, sort="total")
    assert by_total == [key(home, D2), key(home, D1), key(cams, D2), key(home, D3)]
    assert ids(session, alice, sort="total", descending=False) == by_total[::-1]
    oldest = ids(session, alice, sort="day", descending=False)
    assert oldest[0] == key(home, D1) and oldest[-1] == key(home, D3)
    # the same day's two SIMs come in the key's order, never repeated across pages
    pages = [
        r["id"]
        for p in (1, 2)
        for r in fetch_page(session, alice, SPEC, ListQuery(page=p, page_size=2, sort="day")).rows
    ]
    assert sorted(pages) == sorted(oldest)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"total_min": "500", "total_max": "100"}, "total_max"),
        ({"date_from": "2026-10-02", "date_to": "2026-10-01"}, "date_to"),
        ({"sim": "1 OR 1=1"}, "sim"),
        ({"total_min": "-5"}, "total_min"),
        ({"total_max": "1,5"}, "total_max"),
        ({"date_from": "вчера"}, "date_from"),
        ({"subscriber": "1"}, "subscriber"),
    ],
)
def test_bad_filters_are_refused_with_the_field(session, usage, filters, field):
    with pytest.raises(ValidationError) as err:
        fetch_page(session, usage["alice"], SPEC, ListQuery(filters=filters))
    assert err.value.field == field


def test_advanced_search_operators_per_column_type(session, usage):
    alice, home, cams = usage["alice"], usage["home"], usage["cams"]
    everything = set(ids(session, alice))

    def cond(*conditions) -> set[str]:
        return set(ids(session, alice, conditions=conditions))

    # date: on, from, to, between (calendar days)
    assert cond(("day", "on", "2026-10-02")) == {key(home, D2), key(cams, D2)}
    assert cond(("day", "from", "2026-10-03")) == {key(home, D3)}
    assert cond(("day", "to", "2026-10-01")) == {key(home, D1)}
    assert cond(("day", "between", "2026-10-01..2026-10-02")) == everything - {key(home, D3)}
    assert cond(("day", "filled")) == everything and cond(("day", "empty")) == set()
    # text: the number
    assert cond(("msisdn", "eq", cams.msisdn)) == {key(cams, D2)}
    assert cond(("msisdn", "contains", home.msisdn[-7:])) == {
        key(home, D1),
        key(home, D2),
        key(home, D3),
    }
    assert cond(("msisdn", "starts", "+7")) == everything
    # numbers in whole megabytes: eq, gte, lte, between
    assert cond(("total_mb", "eq", "50")) == {key(home, D3)}
    assert cond(("total_mb", "gte", "1000")) == {key(home, D1), key(home, D2)}
    assert cond(("down_mb", "lte", "150")) == {key(home, D3), key(cams, D2)}
    assert cond(("up_mb", "between", "50..100")) == {key(home, D1), key(cams, D2)}
    # conditions combine with AND, and with the filters
    assert cond(("total_mb", "gte", "100"), ("day", "on", "2026-10-02")) == {
        key(home, D2),
        key(cams, D2),
    }
    with_filter = ids(
        session, alice, filters={"sim": str(cams.id)}, conditions=[("total_mb", "gte", "100")]
    )
    assert with_filter == [key(cams, D2)]


@pytest.mark.parametrize(
    "bad",
    [
        ("total_mb", "gte", "много"),
        ("total_mb", "contains", "1"),
        ("day", "between", "2026-10-02..2026-10-01"),
        ("sim_id", "eq", "1"),  # not a field of this list
        ("subscriber_id", "eq", "1"),
        ("msisdn", "eq", ""),
    ],
)
def test_a_bad_condition_is_refused(session, usage, bad):
    with pytest.raises(ValidationError):
        ids(session, usage["alice"], conditions=[bad])


def test_the_address_round_trip(session, usage):
    query = ListQuery(
        filters={"sim": str(usage["home"].id), "date_from": "2026-10-01", "total_min": "100"},
        sort="total",
        descending=False,
        conditions=(Condition("day", "between", "2026-10-01..2026-10-31"),),
    )
    params = to_params(query)
    assert params["date_from"] == "2026-10-01" and params["total_min"] == "100"
    again, refused = parse_params(SPEC, params)
    assert refused == [] and again.filters == query.filters
    assert (again.sort, again.descending, again.conditions) == ("total", False, query.conditions)
    alice = usage["alice"]
    assert (
        fetch_page(session, alice, SPEC, again).rows == fetch_page(session, alice, SPEC, query).rows
    )
    _, refused = parse_params(
        SPEC, {"total_min": "lots", "total_mb.sql": "1", "sort": "bytes_up", "date_to": "x"}
    )
    assert sorted(refused) == ["date_to", "sort", "total_mb.sql", "total_min"]


def test_the_list_is_exported_as_csv_and_excel_and_audited(session, usage):
    alice = usage["alice"]
    assert list_export.lists()["usage"] is SPEC
    query = ListQuery(filters={"total_min": "100"}, sort="total")
    list_export.start_export(session, alice, SPEC, query, "csv")
    csv = "".join(list_export.csv_chunks(session, alice, SPEC, query, "ru"))
    lines = csv.lstrip("\ufeff").strip().splitlines()
    assert lines[0] == "День;Номер;Получено, МБ;Отправлено, МБ;Всего, МБ"
    home = usage["home"].msisdn
    assert lines[1:] == [
        f"2026-10-02;'{home};2500;500;3000",  # a leading + is never a formula
        f"2026-10-01;'{home};900;100;1000",
        f"2026-10-02;'{usage['cams'].msisdn};150;50;200",
    ]
    book = load_workbook(list_export.xlsx_file(session, alice, SPEC, query, "en"))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "Day",
        "Number",
        "Downloaded, MB",
        "Uploaded, MB",
        "Total, MB",
    ]
    assert sheet.max_row == 4 and sheet.cell(2, 5).value == 3000
    session.commit()
    audit = session.exec(select(AuditLog).where(AuditLog.action == "list.export")).all()
    after = json.loads(audit[-1].after)
    assert after["format"] == "csv" and after["filters"] == {"total_min": "100"}
    # another contract's SIM or a stranger: the header only, or refused
    bobs = ListQuery(filters={"sim": str(usage["bobs"].id)})
    only_header = "".join(list_export.csv_chunks(session, alice, SPEC, bobs, "en"))
    assert len(only_header.strip().splitlines()) == 1
    with pytest.raises(PermissionDenied):
        list_export.start_export(session, usage["admin"], SPEC, query, "csv")


def test_a_subscriber_without_usage_or_sims_gets_an_empty_list(session, usage, factory):
    nobody = factory.subscriber("nobody@example.ru")
    assert fetch_page(session, nobody, SPEC, ListQuery()).rows == []
    quiet = factory.subscriber("quiet@example.ru")
    factory.sim(quiet)
    page = fetch_page(session, quiet, SPEC, ListQuery())
    assert page.rows == [] and page.total == 0
