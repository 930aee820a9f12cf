"""The coverage pages' states: the public check (type-ahead, a pick among the suggestions only,
coordinates, the contact form) and the back office (the import's preview and confirm, a
settlement's quality, a base station; the support operator kept out)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
import reflex as rx
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app import coverage
from paysim_app.core.errors import DomainError
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.db import session_scope
from paysim_app.models import BaseStation, DemandLead, Settlement
from paysim_app.ui.admin.coverage import (
    CoverageImportState,
    CoverageSettlementState,
    CoverageStationState,
)
from paysim_app.ui.public.coverage import PublicCoverageState
from tests.coverage.test_coverage import SETTLEMENTS, STATIONS
from tests.ui.test_money_states import _router, _run
from tests.ui.test_state_security import _leaf, _signed_in


def _upload(data: bytes, name: str = "coverage.csv") -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name))


@pytest.fixture
def boss(db_url, factory):
    return factory.admin(email="boss@example.ru")


@pytest.fixture
def places(db_url, factory, boss):
    factory.tariff("Старт", fee_kop=35000, speed_mbps=20)
    factory.tariff("Макс", fee_kop=90000, speed_mbps=100)
    coverage.confirm_import(boss, SETTLEMENTS.encode(), "p.csv")
    coverage.confirm_import(boss, STATIONS.encode(), "s.csv")
    with session_scope() as session:
        return {s.name: s.id for s in session.exec(select(Settlement)).all()}


def _visitor():
    state = _leaf(PublicCoverageState)
    _run(PublicCoverageState.load, state)
    return state


def test_a_visitor_types_picks_and_sees_tariffs(places):
    state = _visitor()
    assert [r["label"] for r in state.regions] == ["Тверская область"]
    _run(PublicCoverageState.set_query, state, "тве")
    assert [h["name"] for h in state.hits] == ["Тверь"]
    assert state.hits[0]["sub"] == "город, Тверская область"
    # an id the page did not offer is ignored
    _run(PublicCoverageState.pick, state, str(places["Кашин"]))
    assert state.quality == ""
    _run(PublicCoverageState.pick, state, str(places["Тверь"]))
    assert state.quality == "good" and state.quality_label == "Хорошее покрытие"
    assert [o["name"] for o in state.offers] == ["Старт", "Макс"]
    assert state.offers[0]["href"].startswith("/cabinet/order?tariff=")
    _run(PublicCoverageState.set_query, state, "кашин")
    _run(PublicCoverageState.pick, state, str(places["Кашин"]))
    assert state.quality == "fair" and [o["name"] for o in state.offers] == ["Старт"]
    _run(PublicCoverageState.set_query, state, "Нигдеево")
    assert state.hits == [] and state.searched


def test_a_visitor_checks_coordinates(places):
    state = _visitor()
    _run(PublicCoverageState.set_mode, state, "point")
    _run(PublicCoverageState.set_lat, state, "48.85")
    _run(PublicCoverageState.set_lon, state, "2.35")
    _run(PublicCoverageState.check_point, state)
    assert state.quality == "" and "за пределами России" in state.error
    _run(PublicCoverageState.set_lat, state, "56,8587")
    _run(PublicCoverageState.set_lon, state, "35.9176")
    _run(PublicCoverageState.check_point, state)
    assert state.quality == "good" and "Тверь" in state.place and state.error == ""


def test_no_coverage_leaves_a_contact(places):
    state = _visitor()
    _run(PublicCoverageState.set_query, state, "елк")
    _run(PublicCoverageState.pick, state, str(places["Ёлкино"]))
    assert state.quality == "none" and state.offers == [] and state.lead_place == "Ёлкино"
    _run(PublicCoverageState.set_lead_contact, state, "+7 903 111-22-33")
    _run(PublicCoverageState.send_lead, state)
    assert state.lead_field == "consent" and state.lead_done == ""
    _run(PublicCoverageState.set_lead_consent, state, True)
    _run(PublicCoverageState.send_lead, state)
    assert "Ёлкино" in state.lead_done
    with session_scope() as session:
        [lead] = session.exec(select(DemandLead)).all()
        assert (lead.settlement_id, lead.phone) == (places["Ёлкино"], "+79031112233")


def test_the_import_previews_then_confirms(boss):
    state = _leaf(CoverageImportState)
    state.auth_token = _signed_in("boss@example.ru")
    assert _run(CoverageImportState.load, state) is None
    bad = SETTLEMENTS + "Тверская область;Кашин;город;good;;\n"
    asyncio.run(CoverageImportState.preview.fn(state, [_upload(bad.encode())]))
    assert state.counts["reject"] == 1 and not state.can_confirm
    assert state.reject_rows == [
        {"line": "6", "label": "Тверская область / Кашин", "detail": "повтор строки 3"}
    ]
    asyncio.run(CoverageImportState.confirm.fn(state))  # refused: nothing written
    with session_scope() as session:
        assert session.exec(select(Settlement)).all() == []
    asyncio.run(CoverageImportState.preview.fn(state, [_upload(SETTLEMENTS.encode())]))
    assert state.can_confirm and state.counts["create"] == 4
    asyncio.run(CoverageImportState.confirm.fn(state))
    assert state.phase == "done" and "новых 4" in state.result
    with session_scope() as session:
        assert len(session.exec(select(Settlement)).all()) == 4


def test_the_support_operator_is_kept_out(db_url, factory, places):
    factory.admin(ROLE_SUPPORT, email="ops@example.ru")
    state = _leaf(CoverageImportState)
    state.auth_token = _signed_in("ops@example.ru")
    assert _run(CoverageImportState.load, state) is not None  # a redirect
    asyncio.run(CoverageImportState.preview.fn(state, [_upload(STATIONS.encode())]))
    assert state.phase == "" and state._data == b""
    edit = _leaf(CoverageSettlementState)
    edit.auth_token = state.auth_token
    edit.router = _router(f"/admin/coverage/settlements/x?settlement_id={places['Тверь']}")
    assert _run(CoverageSettlementState.load, edit) is not None


def test_a_settlement_and_a_station_are_edited(places):
    token = _signed_in("boss@example.ru")
    edit = _leaf(CoverageSettlementState)
    edit.auth_token = token
    edit.router = _router(f"/admin/coverage/settlements/x?settlement_id={places['Ёлкино']}")
    assert _run(CoverageSettlementState.load, edit) is None
    assert edit.form == {"quality": "none", "lat": "57.1", "lon": "34.5"}
    _run(CoverageSettlementState.set_field, edit, "quality", "fair")
    _run(CoverageSettlementState.set_field, edit, "lat", "abc")
    _run(CoverageSettlementState.save, edit)
    assert edit.field == "lat"
    _run(CoverageSettlementState.set_field, edit, "lat", "57.2")
    _run(CoverageSettlementState.save, edit)
    assert edit.field == "" and edit.item["quality"] == "Среднее покрытие"

    station = _leaf(CoverageStationState)
    station.auth_token = token
    station.router = _router("/admin/coverage/stations/new")
    assert _run(CoverageStationState.load, station) is None
    for name, value in (("code", "bs-new"), ("lat", "57.2"), ("lon", "34.5"), ("radius_m", "0")):
        _run(CoverageStationState.set_field, station, name, value)
    _run(CoverageStationState.save, station)
    assert station.field == "radius_m"
    _run(CoverageStationState.set_field, station, "radius_m", "2500")
    _run(CoverageStationState.set_field, station, "settlement_id", str(places["Ёлкино"]))
    _run(CoverageStationState.save, station)
    with session_scope() as session:
        row = session.exec(select(BaseStation).where(BaseStation.code == "BS-NEW")).one()
        assert (row.radius_m, row.settlement_id) == (2500, places["Ёлкино"])


HOSTILE = ["", "²", "٣", "1e309", "NaN", "x" * 10_240, 2**70, -1, 0, None, True, [1], {"a": 1}, 1.5]


def test_hostile_arguments_change_nothing_and_raise_nothing(places):
    """What a raw websocket client may send instead of the browser's values: every handler
    answers with its own refusal, never an exception."""
    state = _visitor()
    for value in HOSTILE:
        for handler in (
            PublicCoverageState.set_region,
            PublicCoverageState.set_mode,
            PublicCoverageState.set_query,
            PublicCoverageState.pick,
            PublicCoverageState.set_lat,
            PublicCoverageState.set_lon,
            PublicCoverageState.set_lead_place,
            PublicCoverageState.set_lead_name,
            PublicCoverageState.set_lead_contact,
            PublicCoverageState.set_lead_consent,
        ):
            _run(handler, state, value)
        _run(PublicCoverageState.check_point, state)
        _run(PublicCoverageState.send_lead, state)
    for value in HOSTILE:
        for call in (
            lambda v: coverage.check_by_settlement(v),
            lambda v: coverage.check_by_point(v, v),
            lambda v: coverage.find_settlements("т", v),
            lambda v: coverage.leave_contact(contact="a@b.ru", settlement_id=v, consent=True),
        ):
            try:
                call(value)
            except DomainError:
                pass
    token = _signed_in("boss@example.ru")
    edit = _leaf(CoverageStationState)
    edit.auth_token = token
    edit.router = _router("/admin/coverage/stations/new")
    _run(CoverageStationState.load, edit)
    for value in HOSTILE:
        for name in ("code", "settlement_id", "lat", "lon", "radius_m", value):
            _run(CoverageStationState.set_field, edit, name, value)
        _run(CoverageStationState.set_active, edit, value)
        _run(CoverageStationState.save, edit)
    with session_scope() as session:
        assert len(session.exec(select(BaseStation)).all()) == 2  # the imported ones only
