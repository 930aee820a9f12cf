"""The cabinet's usage list page state (/cabinet/usage): the list from and to the address, its own
SIMs only whatever the address or the events send, hostile arguments refused, the export link."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qsl

import pytest

import paysim_app.paysim_app  # noqa: F401
from paysim_app.models.usage import UsageDay
from paysim_app.sims.usage_list import MB
from paysim_app.ui.cabinet.usage import UsageListState
from paysim_app.ui.components.format import phone
from tests.ui.test_advanced_search_states import _run, _state


@pytest.fixture
def usage(session, factory):
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    home = factory.sim(alice, label="Дом")
    cams = factory.sim(alice, label="Камеры")
    bobs = factory.sim(bob, label="Bob's secret label")
    for sim, day, down in (
        (home, date(2026, 10, 1), 900),
        (home, date(2026, 10, 2), 2500),
        (cams, date(2026, 10, 2), 150),
        (bobs, date(2026, 10, 2), 7777),
    ):
        session.add(UsageDay(sim_id=sim.id, day=day, bytes_down=down * MB, bytes_up=0))
    session.commit()
    return {"home": home, "cams": cams, "bobs": bobs}


def _usage(path: str, login: str = "alice@example.ru"):
    return _state(UsageListState, path, login)


def test_the_list_shows_days_in_megabytes_and_gigabytes(db_url, usage):
    state = _usage("/cabinet/usage")
    assert state.total == 3 and state.list_error == "" and state.url_note == ""
    assert [r["day"] for r in state.rows] == ["02.10.2026", "02.10.2026", "01.10.2026"]
    assert any(r["total"] == "2,5\u00a0ГБ" and r["down"] == r["total"] for r in state.rows)
    assert {r["sim"] for r in state.rows} == {
        phone(usage["home"].msisdn),
        phone(usage["cams"].msisdn),
    }
    assert any(r["total"] == "150\u00a0МБ" and r["label"] == "Камеры" for r in state.rows)
    values = [o["value"] for o in state.sim_filter_options]
    assert values == ["all", str(usage["home"].id), str(usage["cams"].id)]


def test_the_list_restores_itself_from_the_address(db_url, usage):
    home = usage["home"]
    path = (
        f"/cabinet/usage?sim={home.id}&date_from=2026-10-01&date_to=2026-10-31"
        "&total_min=1000&sort=total&asc=1"
    )
    state = _usage(path)
    assert [r["id"] for r in state._raw] == [f"{home.id}-2026-10-02"]
    assert state.filters["sim"] == str(home.id) and state.filters["total_min"] == "1000"
    assert state.sort == "total" and not state.descending and state.url_note == ""
    assert dict(parse_qsl(state._url_applied)) == dict(parse_qsl(path.partition("?")[2]))
    # garbage in the address is left out and named
    state = _usage("/cabinet/usage?total_min=lots&date_to=вчера&total_mb.sql=1&sort=bytes")
    assert len(state._raw) == 3
    assert all(k in state.url_note for k in ("total_min", "date_to", "total_mb.sql", "sort"))


def test_filters_from_the_page_narrow_and_go_into_the_address(db_url, usage):
    state = _usage("/cabinet/usage")
    _run(UsageListState.set_filter, state, "date_from", "2026-10-02")
    assert len(state._raw) == 2 and "date_from=2026-10-02" in state._url_applied
    _run(UsageListState.type_filter, state, "total_min", "200")
    _run(UsageListState.apply, state)
    assert [r["id"] for r in state._raw] == [f"{usage['home'].id}-2026-10-02"]
    assert "total_min=200" in state._url_applied
    # a range the wrong way round is refused with a message, not an empty list
    _run(UsageListState.type_filter, state, "total_max", "100")
    _run(UsageListState.apply, state)
    assert state.list_error
    _run(UsageListState.clear, state)
    assert len(state._raw) == 3 and state._url_applied == "" and state.list_error == ""


@pytest.mark.parametrize(
    "address",
    ["?sim={bobs}", "?msisdn.eq={bobs_number}", "?q={bobs_number}", "?total_mb.gte=7000"],
)
def test_another_contracts_sim_shows_nothing(db_url, usage, address):
    bobs = usage["bobs"]
    query = address.format(bobs=bobs.id, bobs_number=bobs.msisdn.replace("+", "%2B"))
    state = _usage(f"/cabinet/usage{query}")
    assert state._raw == [] and state.rows == [] and state.total == 0
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)
    assert "Bob's secret label" not in sent and "7,8" not in sent
    # the same from the page's own events: "not yours", not an empty list
    state = _usage("/cabinet/usage")
    _run(UsageListState.set_filter, state, "sim", str(bobs.id))
    assert state._raw == [] and state.list_error


@pytest.mark.parametrize(
    "call",
    [
        ("set_filter", "subscriber_id", "1"),
        ("set_filter", "sim", "1 OR 1=1"),
        ("set_filter", "total_min", "-1"),
        ("set_filter", "date_from", "'; DROP TABLE usage_day; --"),
        ("set_sort", "bytes_up"),
        ("adv_set", 0, "field", "subscriber_id"),
        ("adv_set", 7, "value", "1"),
        ("adv_remove", 3),
        ("open_saved", "999"),
        ("delete_saved", "999"),
    ],
)
def test_hostile_arguments_show_nothing_foreign(db_url, usage, call):
    state = _usage("/cabinet/usage")
    name, *args = call
    _run(getattr(UsageListState, name), state, *args)
    assert {r["sim_id"] for r in state._raw} <= {usage["home"].id, usage["cams"].id}
    assert state.sort in ("", "day", "total")
    sent = json.dumps(state.dict(), default=str, ensure_ascii=False)
    assert "Bob's secret label" not in sent


def test_the_export_is_a_signed_link_of_what_is_shown(db_url, usage):
    state = _usage("/cabinet/usage?total_min=100")
    for file_format in ("csv", "xlsx", "exe"):
        out = str(_run(UsageListState.export, state, file_format))
        assert "/api/export/usage?t=" in out
        assert (".xlsx" in out) == (file_format == "xlsx")


def test_a_subscriber_without_sims_gets_the_empty_state(db_url, factory):
    factory.subscriber("nobody@example.ru")
    state = _usage("/cabinet/usage", "nobody@example.ru")
    assert state.sims == [] and state.sim_options == [] and state.rows == []
