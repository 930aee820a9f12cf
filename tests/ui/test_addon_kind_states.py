"""The admin's add-on form with a kind and its parameters, the tariff's limited speed, and the
static IP pool under the add-on list: bad input is a field error that changes nothing; a
support admin (without tariffs.edit) cannot add addresses."""

from __future__ import annotations

import pytest
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.db import session_scope
from paysim_app.models import AddonService, StaticIp
from paysim_app.ui.admin.tariffs import AdminAddonState, AdminTariffState, StaticIpPoolState
from tests.ui.test_money_states import _router, _run
from tests.ui.test_state_security import _leaf, _signed_in


def _page(cls, path: str, login: str):
    state = _leaf(cls)
    state.auth_token = _signed_in(login)
    state.router = _router(path)
    _run(cls.load, state)
    return state


@pytest.fixture
def admin_login(factory):
    return factory.admin_user().email


def _addresses() -> list[str]:
    with session_scope() as session:
        return [r.address for r in session.exec(select(StaticIp).order_by(StaticIp.id))]


def test_the_pool_adds_a_range_and_shows_its_counts(db_url, admin_login):
    state = _page(StaticIpPoolState, "/admin/tariffs?tab=addons", admin_login)
    assert "0" in state.counts
    _run(StaticIpPoolState.set_range, state, "198.51.100.0/30")
    _run(StaticIpPoolState.add, state)
    assert not state.pool_error and state.range_text == ""
    assert _addresses() == ["198.51.100.1", "198.51.100.2"]
    assert "2" in state.counts
    for bad in ("198.51.100.1/24", "not an address", "10.0.0.0/8"):
        _run(StaticIpPoolState.set_range, state, bad)
        _run(StaticIpPoolState.add, state)
        assert state.pool_error
    _run(StaticIpPoolState.set_range, state, ["198.51.100.9"])  # not text: read as text, refused
    _run(StaticIpPoolState.add, state)
    assert state.pool_error
    assert _addresses() == ["198.51.100.1", "198.51.100.2"]


def test_a_support_admin_cannot_add_addresses(db_url, factory):
    login = factory.admin_user(ROLE_SUPPORT).email
    state = _leaf(StaticIpPoolState)
    state.auth_token = _signed_in(login)
    state.range_text = "198.51.100.7"
    _run(StaticIpPoolState.add, state)
    assert _addresses() == []


def test_the_addon_form_saves_a_kind_with_its_parameters(db_url, admin_login):
    state = _page(AdminAddonState, "/admin/addons/new", admin_login)
    assert state.form["kind"] == "other"
    for name, value in {
        "code": "NIGHT",
        "name": "Ночь",
        "price_kop": "99",
        "period_days": "30",
        "kind": "night_unlimited",
        "night_from_hour": "1",
        "night_to_hour": "1",
        "data_gb": "junk",  # not a night parameter: ignored
    }.items():
        _run(AdminAddonState.set_field, state, name, value)
    _run(AdminAddonState.save, state)
    assert state.field == "night_to_hour" and state.form_error
    _run(AdminAddonState.set_field, state, "night_to_hour", "7")
    _run(AdminAddonState.save, state)
    assert not state.form_error
    with session_scope() as session:
        a = session.exec(select(AddonService)).one()
        assert (a.kind, a.night_from_hour, a.night_to_hour, a.data_gb) == (
            "night_unlimited",
            1,
            7,
            None,
        )
    _run(AdminAddonState.set_field, state, "kind", "teleport")
    _run(AdminAddonState.save, state)
    assert state.form_error


def test_the_tariff_form_takes_the_limited_speed(db_url, admin_login):
    state = _page(AdminTariffState, "/admin/tariffs/new", admin_login)
    assert state.form["limited_speed_kbps"] == "128"
    for name, value in {
        "code": "T1",
        "name": "Тариф",
        "monthly_fee_kop": "500",
        "data_gb": "30",
        "speed_mbps": "1",
        "limited_speed_kbps": "2000",
    }.items():
        _run(AdminTariffState.set_field, state, name, value)
    _run(AdminTariffState.save, state)
    assert state.field == "limited_speed_kbps" and state.form_error
    _run(AdminTariffState.set_field, state, "limited_speed_kbps", "256")
    _run(AdminTariffState.save, state)
    assert not state.form_error
