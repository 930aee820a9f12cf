"""The Tariffs section's two lists (catalogue/catalogue_lists.py) over the one list
machinery: filters, search, sorts, refusals, export."""

from __future__ import annotations

import pytest

from paysim_app.accounts import admins
from paysim_app.catalogue import addons
from paysim_app.catalogue.catalogue_lists import ADDON_LIST, TARIFF_LIST
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, export_rows, fetch_page
from paysim_app.models import AddonService
from paysim_app.overview import list_export


def page(session, actor, spec, **kw):
    return fetch_page(session, actor, spec, ListQuery(**kw))


def codes(session, actor, spec, **kw):
    return [r["code"] for r in page(session, actor, spec, **kw).rows]


@pytest.fixture
def catalogue(factory):
    s = factory.session
    base = factory.tariff("Базовый", 30000, data_gb=20, speed_mbps=20)
    max_ = factory.tariff("Максимум", 90000, data_gb=None, speed_mbps=100)
    old = factory.tariff("Старый", 10000, is_archived=True)
    hidden = factory.tariff("Корпоративный", 50000, is_public=False)
    for tariff, code in ((base, "BASE"), (max_, "MAX"), (old, "OLD"), (hidden, "CORP")):
        tariff.code = code
        s.add(tariff)
    sub = factory.subscriber()
    factory.sim(sub, tariff=max_)
    factory.sim(sub, tariff=max_)
    sim = factory.sim(sub, tariff=base, balance_kop=100000)
    night = AddonService(code="NIGHT", name="Ночной безлимит", price_kop=9900, period_days=30)
    gb10 = AddonService(code="GB10", name="+10 ГБ", price_kop=19900, period_days=30)
    ip = AddonService(code="IP", name="Статический IP", price_kop=15000, is_archived=True)
    s.add_all([night, gb10, ip])
    s.commit()
    addons.buy(s, sub, sim.id, night.id)
    s.commit()
    return {"admin": factory.superadmin(), "sub": sub}


# -- tariffs ----------------------------------------------------------------------------------
def test_tariff_rows_carry_fee_quota_speed_and_sim_count(session, catalogue):
    rows = {r["code"]: r for r in page(session, catalogue["admin"], TARIFF_LIST).rows}
    assert set(rows) >= {"BASE", "MAX", "OLD", "CORP"}
    assert (rows["MAX"]["sims"], rows["MAX"]["data_gb"], rows["MAX"]["speed_mbps"]) == (
        2,
        None,
        100,
    )
    assert (rows["BASE"]["sims"], rows["BASE"]["monthly_fee_kop"]) == (1, 30000)
    assert rows["OLD"]["is_archived"] is True and rows["CORP"]["is_public"] is False


def test_tariffs_filter_by_status_and_public(session, catalogue):
    admin = catalogue["admin"]
    archived = codes(session, admin, TARIFF_LIST, filters={"status": "archived"})
    assert archived == ["OLD"]
    active = codes(session, admin, TARIFF_LIST, filters={"status": "active"})
    assert {"BASE", "MAX", "CORP"} <= set(active) and "OLD" not in active
    assert codes(session, admin, TARIFF_LIST, filters={"public": "no"}) == ["CORP"]
    public = codes(session, admin, TARIFF_LIST, filters={"public": "yes", "status": "active"})
    assert {"BASE", "MAX"} <= set(public) and not {"OLD", "CORP"} & set(public)
    # "all" is no filter at all: the list state drops it before the query
    assert len(codes(session, admin, TARIFF_LIST)) >= 4


@pytest.mark.parametrize(
    "text,found",
    [("макс", ["MAX"]), ("МАКСИМУМ", ["MAX"]), ("corp", ["CORP"]), ("bas", ["BASE"])],
)
def test_tariffs_search_by_code_or_name(session, catalogue, text, found):
    assert codes(session, catalogue["admin"], TARIFF_LIST, search=text) == found


def test_tariffs_search_takes_percent_and_underscore_literally(session, catalogue):
    assert codes(session, catalogue["admin"], TARIFF_LIST, search="%") == []
    assert codes(session, catalogue["admin"], TARIFF_LIST, search="_") == []


def test_tariffs_sort_by_name_fee_sims_and_created(session, catalogue):
    admin = catalogue["admin"]
    mine = {"BASE", "MAX", "OLD", "CORP"}

    def order(**kw):
        return [c for c in codes(session, admin, TARIFF_LIST, **kw) if c in mine]

    assert order(sort="fee", descending=False) == ["OLD", "BASE", "CORP", "MAX"]
    assert order(sort="fee", descending=True) == ["MAX", "CORP", "BASE", "OLD"]
    assert order(sort="sims", descending=True)[:2] == ["MAX", "BASE"]
    assert order(sort="name", descending=False) == ["BASE", "CORP", "MAX", "OLD"]
    assert order(sort="created_at", descending=True) == ["CORP", "OLD", "MAX", "BASE"]
    assert order(sort="nonsense") == order()  # an unknown sort falls back to the default


def test_tariff_list_pages(session, catalogue):
    admin = catalogue["admin"]
    first = page(session, admin, TARIFF_LIST, page_size=2, sort="fee")
    second = page(session, admin, TARIFF_LIST, page_size=2, sort="fee", page=2)
    assert first.has_next and len(first.rows) == 2
    assert not {r["id"] for r in first.rows} & {r["id"] for r in second.rows}


def test_bad_filters_are_refused(session, catalogue):
    admin = catalogue["admin"]
    for filters in ({"status": "deleted"}, {"public": "maybe"}, {"owner": "1"}):
        with pytest.raises(ValidationError):
            page(session, admin, TARIFF_LIST, filters=filters)
    with pytest.raises(ValidationError):
        page(session, admin, ADDON_LIST, filters={"public": "yes"})  # add-ons have no such filter


# -- add-ons ----------------------------------------------------------------------------------
def test_addon_rows_filter_search_and_sort(session, catalogue):
    admin = catalogue["admin"]
    rows = {r["code"]: r for r in page(session, admin, ADDON_LIST).rows}
    assert (rows["NIGHT"]["active"], rows["NIGHT"]["price_kop"]) == (1, 9900)
    assert rows["GB10"]["active"] == 0 and rows["IP"]["is_archived"] is True
    assert codes(session, admin, ADDON_LIST, filters={"status": "archived"}) == ["IP"]
    assert set(codes(session, admin, ADDON_LIST, filters={"status": "active"})) == {
        "NIGHT",
        "GB10",
    }
    assert codes(session, admin, ADDON_LIST, search="ночной") == ["NIGHT"]
    assert codes(session, admin, ADDON_LIST, search="gb1") == ["GB10"]
    assert codes(session, admin, ADDON_LIST, sort="price", descending=True) == [
        "GB10",
        "IP",
        "NIGHT",
    ]
    assert codes(session, admin, ADDON_LIST, sort="active", descending=True)[0] == "NIGHT"
    assert codes(session, admin, ADDON_LIST, sort="name", descending=False)[0] == "GB10"


# -- who may look ------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [TARIFF_LIST, ADDON_LIST])
def test_support_operator_subscriber_and_nobody_are_refused(session, factory, catalogue, spec):
    for actor in (factory.support(), catalogue["sub"], factory.partner().actor, None):
        with pytest.raises(PermissionDenied):
            page(session, actor, spec)
        with pytest.raises(PermissionDenied):
            list(export_rows(session, actor, spec, ListQuery()))


def test_an_admin_with_only_tariffs_view_may_list(session, factory, catalogue):
    admins.create_role(session, catalogue["admin"], "Catalogue", "", ["tariffs.view"])
    session.commit()
    viewer = factory.admin("Catalogue")
    assert "MAX" in codes(session, viewer, TARIFF_LIST)
    assert "NIGHT" in codes(session, viewer, ADDON_LIST)


# -- export -------------------------------------------------------------------------------------
def test_both_lists_export_as_csv(session, catalogue):
    specs = list_export.lists()
    assert specs["tariffs"] is TARIFF_LIST and specs["addons"] is ADDON_LIST
    admin = catalogue["admin"]
    text = "".join(
        list_export.csv_chunks(
            session, admin, TARIFF_LIST, ListQuery(filters={"status": "archived"}), "en"
        )
    )
    lines = text.strip().splitlines()
    assert lines[0].startswith("Code,Name,Monthly fee")
    assert len(lines) == 2 and lines[1].startswith("OLD,Старый,100.00") and "Archived" in lines[1]
    text = "".join(list_export.csv_chunks(session, admin, ADDON_LIST, ListQuery(), "ru"))
    assert text.startswith("\ufeff") and "NIGHT;Ночной безлимит;99,00" in text
