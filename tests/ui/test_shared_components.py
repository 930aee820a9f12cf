"""The form and page pieces the pages share (ui/components): the input bound to a key of a
state's form dict and its field error, the ticked consent, the import preview of the SIM and
coverage imports, and the scoped ids of a page's second list (no id twice on
/partner/activations). Checked on what the components render."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import reflex as rx
from reflex_base.utils import console
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.models import BaseStation
from paysim_app.ui.admin.coverage import CoverageStationState, station_page
from paysim_app.ui.admin.sim_import import COLUMNS, SimImportState
from paysim_app.ui.cabinet.order import OrderFormState
from paysim_app.ui.components.forms import field_error, form_input, tick
from paysim_app.ui.components.ids import scoped
from paysim_app.ui.components.import_preview import (
    TABLE_FILES,
    count_grid,
    preview_table,
    upload_card,
)
from paysim_app.ui.components.list_view import list_view
from paysim_app.ui.partner import orders as pickup
from paysim_app.ui.partner.activations import partner_activations_page
from paysim_app.ui.partner.orders import PartnerOrderState
from tests.coverage.test_coverage_states import boss, places  # noqa: F401 (fixtures)
from tests.ui.test_money_states import _router, _run
from tests.ui.test_state_security import _leaf, _signed_in


def _render(component: rx.Component) -> str:
    return str(component.render())


def _ids(rendered: str) -> list[str]:
    """The static ids in a rendered tree."""
    return re.findall(r'id:"([^"]+)"', rendered)


def _props_of(tree, id_: str) -> list[str]:
    """The props of the rendered element whose id is `id_`."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, list) and f'id:"{id_}"' in props:
            return props
        tree = list(tree.values())
    if isinstance(tree, list | tuple):
        for item in tree:
            if found := _props_of(item, id_):
                return found
    return []


def _event(state, handler: str) -> str:
    return f'"{state.get_full_name()}.{handler}"'


# -- the input bound to a form dict ------------------------------------------------------------
def out_tree(s) -> dict:
    return form_input(s, "phone", "orders.col.phone", "order-phone", type="tel").render()


def test_form_input_shows_and_writes_a_key_of_the_states_form():
    s = OrderFormState
    out = str(out_tree(s))
    assert _ids(out) == ["order-phone"] and 'htmlFor:"order-phone"' in out
    assert 'type:"tel"' in out
    assert 'form_rx_state_?.["phone"]' in out.replace("\n", "")
    assert _event(s, "set_field") in out
    # invalid while the state's field is this one
    invalid = next(p for p in _props_of(out_tree(s), "order-phone") if "aria-invalid" in p)
    assert "field_rx_state_" in invalid and '"phone"' in invalid and '"true"' in invalid
    assert "role" not in out  # no error given: nothing under the input


def test_form_input_takes_another_dict_setter_and_error():
    s = PartnerOrderState
    error = field_error(s, "email", s.error)
    out = _render(
        form_input(
            s,
            "email",
            "orders.hand_out.email",
            "handout-email",
            values=s.sale,
            on_change=s.set_sale,
            error=error,
            type="email",
        )
    )
    flat = out.replace("\n", "")
    assert 'sale_rx_state_?.["email"]' in flat and _event(s, "set_sale") in out
    assert _event(s, "set_field") not in out
    assert 'id:"handout-email-error"' in out and 'role:"alert"' in out
    assert "error_rx_state_" in flat


def test_field_error_is_the_forms_error_of_its_field_only():
    s = OrderFormState
    text = str(field_error(s, "phone"))
    assert "field_rx_state_" in text and "form_error_rx_state_" in text and '"phone"' in text
    other = str(field_error(PartnerOrderState, "phone", PartnerOrderState.error))
    assert "form_error" not in other and "error_rx_state_" in other


@pytest.mark.parametrize("name", ["", "x" * 300, "name with spaces"])
def test_form_input_ids_are_the_callers(name):
    out = _render(form_input(OrderFormState, "phone", "orders.col.phone", f"order-{name}"))
    assert _ids(out) == [f"order-{name}"]


def _tick(id_: str, label_key: str, *more: rx.Component) -> rx.Component:
    s = OrderFormState
    return tick(id_, label_key, s.consent, s.set_consent, s.form_error, s.field == "consent", *more)


def test_tick_is_a_labelled_checkbox_with_its_error():
    s = OrderFormState
    tree = _tick("order-consent", "consent.tick_order", rx.link("x", href="/legal")).render()
    out = str(tree)
    assert _ids(out) == ["order-consent"]
    assert any(p.startswith('"aria-label":') for p in _props_of(tree, "order-consent"))
    assert "'as:\"label\"'" in out and '"/legal"' in out
    assert _event(s, "set_consent") in out and 'role:"alert"' in out
    bare = _render(_tick("sale-consent", "consent.tick_counter"))
    assert "/legal" not in bare and _ids(bare) == ["sale-consent"]


# -- the import preview --------------------------------------------------------------------------
def test_the_upload_card_takes_one_table_file_with_the_pages_buttons():
    buttons = rx.button("go", id="go-button")
    card = upload_card(
        "up", "sim_import.intro", "sim_import.choose_file", 1234, "up-selected", buttons
    )
    out = _render(card)
    assert {"up", "up-selected", "go-button"} <= set(_ids(out))
    hooks = str(card._get_all_hooks())  # the dropzone's options live in its hook
    assert "1234" in hooks and "maxFiles" in hooks and ".xlsx" in hooks
    assert set(TABLE_FILES) == {
        "text/csv",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


def test_the_count_cards_name_each_kind_and_mark_the_rejected():
    kinds = ["create", "reject"]
    out = _render(count_grid(SimImportState.counts, kinds, lambda k: k.upper(), "n", "5", "g"))
    assert sorted(_ids(out)) == ["g", "n-create", "n-reject"]
    assert out.count("red") == 1  # the rejected count only
    assert "CREATE" in out and "REJECT" in out
    without = _render(count_grid(SimImportState.counts, kinds, str, "n", "4"))
    assert set(_ids(without)) == {"n-create", "n-reject"}


def _create_table(*note: rx.Component) -> str:
    shown = SimImportState.counts["create"] > 0
    rows, columns = SimImportState.create_rows, COLUMNS["create"]
    table = preview_table(
        shown, "sim_import.table.create", columns, rows, "sim_import.empty_kind", "t-create", *note
    )
    return _render(table)


def test_a_preview_table_shows_while_asked_with_its_note():
    out = _create_table(rx.text("first 100 of 250", id="the-note"))
    assert {"t-create", "the-note"} <= set(_ids(out))
    assert "cond_state" in out and "counts_rx_state_" in out
    assert "the-note" not in _create_table()


# -- the ids of a page's second list ------------------------------------------------------------
def test_scoped_ids():
    assert scoped("", "list-search") == "list-search"
    assert scoped("orders", "list-search") == "orders-list-search"


def _list_ids(**scope: str) -> list[str]:
    p = pickup
    return _ids(
        _render(list_view(p.PartnerOrdersState, p.COLUMNS, p.FIELDS, p.SORTS, id_="o", **scope))
    )


def test_a_scoped_list_starts_every_id_of_its_controls_with_the_scope():
    plain, scoped_ids = _list_ids(), _list_ids(scope="second")
    assert "filter-toggle" in plain and "list-search" in plain and "f-status" in plain
    assert len(plain) == len(scoped_ids)
    renamed = {p: s for p, s in zip(plain, scoped_ids, strict=True) if p != s}
    assert renamed and all(s == f"second-{p}" for p, s in renamed.items())
    # the table's and the pager's ids already carry the list's id
    assert all(p.startswith("o-") or p == "o" for p in plain if p not in renamed)


def test_the_partner_activations_page_has_no_id_twice():
    ids = _ids(_render(partner_activations_page()))
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert twice == []
    # the requests (the page's own list) keep the plain ids, the pick-up orders theirs
    assert {"filter-toggle", "orders-filter-toggle", "list-search", "orders-list-search"} <= set(
        ids
    )


# -- the base station's "active" box -------------------------------------------------------------
def test_the_stations_active_box_is_submitted_by_its_name(monkeypatch):
    warned: list[str] = []
    monkeypatch.setattr(console, "deprecate", lambda **kw: warned.append(kw["feature_name"]))
    page = station_page()
    assert 'name:"is_active"' in _props_of(page.render(), "coverage-active")
    assert not [w for w in warned if "coverage-active" in w]


def test_the_station_form_saves_the_active_box_ticked_and_unticked(places):  # noqa: F811
    """The form as the browser submits it: the named box sends "on" while ticked and nothing
    while not; the station keeps what the box shows, either way."""
    token = _signed_in("boss@example.ru")
    new = _leaf(CoverageStationState)
    new.auth_token, new.router = token, _router("/admin/coverage/stations/new")
    _run(CoverageStationState.load, new)
    for name, value in (("code", "bs-tick"), ("lat", "57.2"), ("lon", "34.5"), ("radius_m", "900")):
        _run(CoverageStationState.set_field, new, name, value)
    _run(CoverageStationState.save, new, {"is_active": "on"})
    with session_scope() as session:
        row = session.exec(select(BaseStation).where(BaseStation.code == "BS-TICK")).one()
        station_id, active = row.id, row.is_active
    assert active is True
    for ticked in (False, True, False):
        edit = _leaf(CoverageStationState)
        edit.auth_token = token
        edit.router = _router(f"/admin/coverage/stations/x?station_id={station_id}")
        _run(CoverageStationState.load, edit)
        assert edit.form["is_active"] == ("" if ticked else "1")  # as saved the last time
        _run(CoverageStationState.set_active, edit, ticked)
        _run(CoverageStationState.save, edit, {"is_active": "on"} if ticked else {})
        assert edit.form_error == ""
        with session_scope() as session:
            assert session.get(BaseStation, station_id).is_active is ticked
