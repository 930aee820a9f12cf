"""The Partners list (partners/partner_lists.py) over the one list machinery: the row's
figures, the active / inactive filter, search by code, name or INN, sorts, refusals, export."""

from __future__ import annotations

import pytest

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, export_rows, fetch_page
from paysim_app.models import Partner, Subscriber
from paysim_app.overview import list_export
from paysim_app.partners import directory
from paysim_app.partners.partner_lists import PARTNER_LIST


def page(session, actor, **kw):
    return fetch_page(session, actor, PARTNER_LIST, ListQuery(**kw))


def ids(session, actor, **kw):
    return [r["id"] for r in page(session, actor, **kw).rows]


@pytest.fixture
def dealers(factory):
    s = factory.session
    admin = factory.superadmin()
    north = directory.create_partner(
        s,
        admin,
        code="NORTH",
        name="ООО «Северная Связь»",
        inn="7707083893",
        contact_email="north@example.com",
        commission_percent="10",
    )
    south = directory.create_partner(
        s,
        admin,
        code="SOUTH_NET",
        name="ИП Южный (SouthNet)",
        inn="500100732259",
        contact_email="south@example.com",
        commission_percent="7,5",
    )
    s.commit()
    directory.deactivate_partner(s, admin, south.id)
    s.commit()
    north_row = s.get(Partner, north.id)
    tariff = factory.tariff()
    anna = factory.subscriber(full_name="Анна")
    factory.sim(anna, partner=north_row, tariff=tariff)
    factory.sim(partner=north_row)
    factory.sim(partner=north_row)
    sub = s.get(Subscriber, anna.subscriber_id)
    sub.partner_id = north.id
    s.add(sub)
    s.commit()
    return {"admin": admin, "north": north.id, "south": south.id}


def test_rows_carry_sims_active_subscribers_and_commission(session, dealers):
    rows = {r["id"]: r for r in page(session, dealers["admin"]).rows}
    north, south = rows[dealers["north"]], rows[dealers["south"]]
    assert (north["code"], north["sims"], north["active_subscribers"]) == ("NORTH", 3, 1)
    assert (north["commission_bp"], north["is_active"], north["inn"]) == (1000, True, "7707083893")
    assert (south["sims"], south["active_subscribers"], south["is_active"]) == (0, 0, False)
    assert south["commission_bp"] == 750


def test_filter_active_and_inactive(session, dealers):
    admin = dealers["admin"]
    active = ids(session, admin, filters={"status": "active"})
    inactive = ids(session, admin, filters={"status": "inactive"})
    assert dealers["north"] in active and dealers["south"] not in active
    assert inactive == [dealers["south"]]
    with pytest.raises(ValidationError):
        page(session, admin, filters={"status": "deleted"})
    with pytest.raises(ValidationError):
        page(session, admin, filters={"inn": "7707083893"})  # not a filter of this list


@pytest.mark.parametrize(
    "text,who",
    [
        ("north", "north"),  # a code, any letter case
        ("south_", "south"),  # "_" is literal, not a LIKE wildcard
        ("северная", "north"),  # a name, any letter case (Cyrillic too)
        ("southnet", "south"),
        ("7707083893", "north"),  # a whole INN
        ("00732", "south"),  # any part of an INN
    ],
)
def test_search_by_code_name_or_inn(session, dealers, text, who):
    assert ids(session, dealers["admin"], search=text) == [dealers[who]]


def test_search_finds_nothing_for_a_stranger(session, dealers):
    assert ids(session, dealers["admin"], search="Нет такого") == []
    assert ids(session, dealers["admin"], search="%") == []


def test_sorts_by_name_sims_and_created(session, dealers):
    admin = dealers["admin"]
    pair = {dealers["north"], dealers["south"]}

    def order(sort, descending):
        return [i for i in ids(session, admin, sort=sort, descending=descending) if i in pair]

    assert order("sims", True) == [dealers["north"], dealers["south"]]
    assert order("sims", False) == [dealers["south"], dealers["north"]]
    assert order("name", False) == [dealers["south"], dealers["north"]]  # «И…» before «О…»
    assert order("created_at", True) == [dealers["south"], dealers["north"]]
    # an unknown sort falls back to the default, it does not fail
    assert set(ids(session, admin, sort="inn; drop table partner")) >= pair


def test_pages_never_repeat_a_row(session, factory, dealers):
    admin = dealers["admin"]
    for n in range(5):
        session.add(Partner(code=f"PG{n}", name=f"Страница {n}", commission_bp=100))
    session.commit()
    first = page(session, admin, sort="sims", page_size=3)
    second = page(session, admin, sort="sims", page_size=3, page=2)
    assert first.has_next
    assert not {r["id"] for r in first.rows} & {r["id"] for r in second.rows}


def test_support_operator_and_partner_are_refused(session, factory, dealers):
    with pytest.raises(PermissionDenied):
        page(session, factory.support())
    with pytest.raises(PermissionDenied):
        page(session, factory.partner().actor)
    with pytest.raises(PermissionDenied):
        page(session, factory.subscriber())
    with pytest.raises(PermissionDenied):
        page(session, None)
    with pytest.raises(PermissionDenied):
        list(export_rows(session, factory.support(), PARTNER_LIST, ListQuery()))


def test_export_is_registered_and_writes_words_and_percent(session, dealers):
    assert list_export.lists()["partners"] is PARTNER_LIST
    text = "".join(
        list_export.csv_chunks(
            session,
            dealers["admin"],
            PARTNER_LIST,
            ListQuery(filters={"status": "inactive"}),
            "ru",
        )
    )
    lines = text.lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Код;Название;ИНН")
    assert "SOUTH_NET" in lines[1] and "7,50" in lines[1] and "Деактивирован" in lines[1]
