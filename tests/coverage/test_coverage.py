"""Coverage: the check by settlement and by point, the type-ahead, "no coverage yet" leads and
their limit, the demand report, the admin's edits and the file import (bad rows: nothing
imported). On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from sqlmodel import select

from paysim_app import coverage
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.core.rate_limits import TooManyAttempts
from paysim_app.models import AuditLog, BaseStation, CoverageRegion, DemandLead, Settlement

SETTLEMENTS = (
    "region;name;kind;quality;lat;lon\n"
    "Тверская область;Тверь;город;good;56.8587;35.9176\n"
    "Тверская область;Кашин;город;fair;57.3597;37.6119\n"
    "Тверская область;Ёлкино;деревня;none;57.1000;34.5000\n"
    "Тверская область;Конаково;город;good;;\n"
)
STATIONS = (
    "code,lat,lon,radius_m,region,settlement,technology,band\n"
    "BS-TVER-1,56.8587,35.9176,5000,Тверская область,Тверь,LTE,B3\n"
    "BS-KASH-1,57.3597,37.6119,3000,Тверская область,Кашин,LTE,B20\n"
)


@pytest.fixture
def admin(factory):
    return factory.superadmin()


@pytest.fixture
def tariffs(factory):
    return {
        "slow": factory.tariff("Старт", fee_kop=35000, speed_mbps=20),
        "fast": factory.tariff("Макс", fee_kop=90000, speed_mbps=100),
        "cheap": factory.tariff("Эконом", fee_kop=20000, speed_mbps=10),
        "hidden": factory.tariff("Служебный", fee_kop=100, speed_mbps=10, is_public=False),
    }


@pytest.fixture
def places(session, admin, tariffs):
    report = coverage.confirm_import(session, admin, SETTLEMENTS.encode(), "places.csv")
    assert report.applied, report
    report = coverage.confirm_import(session, admin, STATIONS.encode(), "stations.csv")
    assert report.applied, report
    session.commit()
    return {s.name: s for s in session.exec(select(Settlement)).all()}


def test_check_by_settlement_gives_quality_and_tariffs(session, places, tariffs):
    good = coverage.check_by_settlement(session, places["Тверь"].id)
    assert good.quality == "good" and good.region == "Тверская область"
    # every tariff on sale, cheapest first; the hidden one is not offered
    assert [o.name for o in good.offers] == ["Эконом", "Старт", "Макс"]
    fair = coverage.check_by_settlement(session, places["Кашин"].id)
    assert [o.speed_mbps <= coverage.FAIR_MAX_MBPS for o in fair.offers] == [True, True]
    none = coverage.check_by_settlement(session, places["Ёлкино"].id)
    assert none.quality == "none" and none.offers == ()


def test_unknown_settlement_is_refused(session, places):
    for bad in (10**9, "abc", None, True, -1):
        with pytest.raises(NotFound) as err:
            coverage.check_by_settlement(session, bad)
        assert err.value.code == "coverage.error.unknown"


def test_check_by_point(session, places):
    # at the station: good; 4 km out of its 5 km radius: fair
    at = coverage.check_by_point(session, "56.8587", "35,9176")
    assert (at.quality, at.source, at.settlement) == ("good", "station", "Тверь")
    out = coverage.check_by_point(session, 56.8587 + 4 / 111.0, 35.9176)
    assert out.quality == "fair" and 3900 < out.distance_m < 4100
    # no station reaches; the nearest settlement with a point within 5 km decides
    near = coverage.check_by_point(session, 57.1000 + 2 / 111.0, 34.5000)
    assert (near.quality, near.source, near.settlement) == ("none", "nearby", "Ёлкино")
    # far from anything
    far = coverage.check_by_point(session, 60.0, 100.0)
    assert (far.quality, far.source, far.offers) == ("none", "nothing", ())


@pytest.mark.parametrize(
    "lat, lon, code",
    [
        (48.8566, 2.3522, "coverage.error.outside_russia"),  # Paris
        (40.0, 45.0, "coverage.error.outside_russia"),  # south of the box
        ("91", "30", "coverage.error.coordinate"),
        ("abc", "30", "coverage.error.coordinate"),
        ("", "30", "coverage.error.coordinate"),
        (float("nan"), 30.0, "coverage.error.coordinate"),
        (True, 30.0, "coverage.error.coordinate"),
    ],
)
def test_point_outside_russia_or_bad_is_refused(session, lat, lon, code):
    with pytest.raises(ValidationError) as err:
        coverage.check_by_point(session, lat, lon)
    assert err.value.code == code


def test_chukotka_past_the_antimeridian_is_russia(session):
    assert coverage.check_by_point(session, 66.0, -171.0).quality == "none"


def test_type_ahead(session, places):
    names = lambda hits: [h.name for h in hits]  # noqa: E731
    assert names(coverage.find_settlements(session, "ка")) == ["Кашин"]
    assert names(coverage.find_settlements(session, "  КАШ ")) == ["Кашин"]
    assert names(coverage.find_settlements(session, "елк")) == ["Ёлкино"]  # ё as е
    assert names(coverage.find_settlements(session, "т")) == ["Тверь"]
    assert coverage.find_settlements(session, "") == []
    assert coverage.find_settlements(session, "%") == []  # LIKE's wildcard is literal
    region = session.exec(select(CoverageRegion)).one()
    assert len(coverage.find_settlements(session, "к", region.id)) == 2
    assert coverage.find_settlements(session, "к", region.id + 100) == []
    assert len(coverage.find_settlements(session, "к", limit=1)) == 1
    with pytest.raises(ValidationError):
        coverage.find_settlements(session, ["к"])
    with pytest.raises(ValidationError):
        coverage.find_settlements(session, "к", "nope")


def test_leave_contact_and_demand_report(session, places, admin):
    elkino = places["Ёлкино"].id
    first = coverage.leave_contact(
        session, contact="+7 903 111-22-33", settlement_id=elkino, consent=True, ip="10.0.0.1"
    )
    again = coverage.leave_contact(
        session, contact="89031112233", settlement_id=elkino, consent=True, ip="10.0.0.1"
    )
    assert again.repeated and again.id == first.id
    coverage.leave_contact(
        session, contact="Anna@Example.ru", settlement_id=elkino, consent=True, ip="10.0.0.2"
    )
    coverage.leave_contact(
        session, contact="b@example.ru", place="хутор Дальний", consent=True, ip="10.0.0.3"
    )
    session.commit()
    leads = session.exec(select(DemandLead).order_by(DemandLead.id)).all()
    assert [(lead.phone, lead.email) for lead in leads] == [
        ("+79031112233", None),
        (None, "anna@example.ru"),
        (None, "b@example.ru"),
    ]
    page = fetch_page(session, admin, coverage.DEMAND_LIST, ListQuery(sort="leads"))
    assert [(r["name"], r["leads"]) for r in page.rows] == [("Ёлкино", 2), ("хутор Дальний", 1)]
    newest = fetch_page(session, admin, coverage.DEMAND_LIST, ListQuery())
    assert newest.rows[0]["name"] == "хутор Дальний"
    with pytest.raises(PermissionDenied):
        fetch_page(session, None, coverage.DEMAND_LIST, ListQuery())


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"contact": "not a contact", "place": "x", "consent": True}, "contact"),
        ({"contact": "a@b.ru", "place": "x", "consent": False}, "consent"),
        ({"contact": "a@b.ru", "consent": True}, "place"),
        ({"contact": "a@b.ru", "place": "x" * 201, "consent": True}, "place"),
        ({"contact": "a@b.ru", "settlement_id": 10**9, "consent": True}, "settlement"),
        ({"contact": "a@b.ru", "lat": "x", "lon": "1", "consent": True}, "lat"),
    ],
)
def test_bad_lead_is_refused(session, kwargs, field):
    with pytest.raises(DomainError) as err:
        coverage.leave_contact(session, ip="10.0.0.9", **kwargs)
    assert err.value.field == field
    assert session.exec(select(DemandLead)).all() == []


def test_leads_are_limited_per_address_and_contact(session, limits_of):
    limits_of("coverage_lead.ip=2/hour;coverage_lead.contact=1/day")
    coverage.leave_contact(session, contact="a@b.ru", place="один", consent=True, ip="1.1.1.1")
    with pytest.raises(TooManyAttempts):  # the same contact again, elsewhere
        coverage.leave_contact(session, contact="a@b.ru", place="два", consent=True, ip="2.2.2.2")
    coverage.leave_contact(session, contact="c@b.ru", place="три", consent=True, ip="1.1.1.1")
    with pytest.raises(TooManyAttempts):
        coverage.leave_contact(
            session, contact="d@b.ru", place="четыре", consent=True, ip="1.1.1.1"
        )


def test_import_with_a_bad_row_imports_nothing(session, admin):
    bad = SETTLEMENTS + "Тверская область;Кашин;город;good;;\n" + ";Безрегионное;село;good;;\n"
    bad += "Тверская область;Плохое;село;отличное;;\nТверская область;Точка;село;good;95;30\n"
    report = coverage.confirm_import(session, admin, bad.encode("cp1251"), "bad.csv")
    assert not report.applied and report.file_kind == "settlements"
    assert report.counts == {"create": 4, "update": 0, "unchanged": 0, "reject": 4}
    rejects = [(r.line, r.detail, r.params) for r in report.samples["reject"]]
    assert rejects == [
        (6, "duplicate", {"ref": 3}),
        (7, "region_missing", {}),
        (8, "quality_unknown", {"value": "отличное"}),
        (9, "point", {}),
    ]
    session.commit()
    assert session.exec(select(Settlement)).all() == []
    assert session.exec(select(CoverageRegion)).all() == []
    # fixed: imported, audited; the same file again changes nothing
    report = coverage.confirm_import(session, admin, SETTLEMENTS.encode(), "good.csv")
    assert report.applied and report.counts["create"] == 4
    session.commit()
    log = session.exec(
        select(AuditLog).where(AuditLog.action == "coverage.import.settlements")
    ).one()
    assert json.loads(log.after)["created"] == 4
    again = coverage.preview_import(session, admin, SETTLEMENTS.encode(), "good.csv")
    assert again.counts == {"create": 0, "update": 0, "unchanged": 4, "reject": 0}


def test_import_stations_needs_known_settlements(session, admin, places):
    text = STATIONS + "BS-X,56.1,35.1,2000,Тверская область,Нигде,LTE,B3\nbad code!,1,2,3,,,,\n"
    report = coverage.preview_import(session, admin, text.encode(), "st.csv")
    assert report.counts["unchanged"] == 2
    assert [(r.line, r.detail) for r in report.samples["reject"]] == [
        (4, "settlement_unknown"),
        (5, "code_format"),
    ]
    moved = STATIONS.replace("5000", "7000")
    report = coverage.confirm_import(session, admin, moved.encode(), "st.csv")
    assert report.applied and report.counts["update"] == 1
    session.commit()
    assert (
        session.exec(select(BaseStation).where(BaseStation.code == "BS-TVER-1")).one().radius_m
        == 7000
    )


def test_import_xlsx(session, admin):
    book = Workbook()
    sheet = book.active
    sheet.append(["Регион", "Название", "Тип", "Качество", "Широта", "Долгота"])
    sheet.append(["Псковская область", "Псков", "город", "хорошее", 57.8194, 28.3318])
    sheet.append(["Псковская область", "Остров", "город", "среднее", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    report = coverage.confirm_import(session, admin, buffer.getvalue(), "p.xlsx")
    assert report.applied and report.counts["create"] == 2
    session.commit()
    assert {s.quality for s in session.exec(select(Settlement)).all()} == {"good", "fair"}


@pytest.mark.parametrize(
    "data, error",
    [
        (b"", "empty"),
        (b"foo,bar\n1,2\n", "no_header"),
        (b"region,name\nA,B\n", "missing_columns"),
        (b"PK\x03\x04garbage", "xlsx_broken"),
        (b"x" * (coverage.MAX_BYTES + 1), "too_large"),
    ],
)
def test_import_file_errors(session, admin, data, error):
    report = coverage.preview_import(session, admin, data, "f.csv")
    assert report.error == error and not report.applied


def test_import_and_edits_need_the_permission(session, factory, places):
    support = factory.support()
    with pytest.raises(PermissionDenied):
        coverage.preview_import(session, support, SETTLEMENTS.encode(), "f.csv")
    with pytest.raises(PermissionDenied):
        coverage.update_settlement(session, support, places["Тверь"].id, quality="none")
    with pytest.raises(PermissionDenied):
        fetch_page(session, support, coverage.SETTLEMENT_LIST, ListQuery())


def test_admin_edits_are_audited(session, admin, places):
    view = coverage.update_settlement(
        session, admin, places["Ёлкино"].id, quality="fair", lat="57,1", lon="34.5"
    )
    assert view.quality == "fair"
    with pytest.raises(ValidationError):
        coverage.update_settlement(session, admin, places["Ёлкино"].id, quality="great")
    with pytest.raises(ValidationError):
        coverage.update_settlement(session, admin, places["Ёлкино"].id, quality="good", lat="57")
    station = coverage.create_station(
        session,
        admin,
        code="bs-new",
        lat=57.1,
        lon=34.5,
        radius_m=1500,
        settlement_id=places["Ёлкино"].id,
    )
    assert station.code == "BS-NEW" and station.settlement == "Ёлкино"
    with pytest.raises(ValidationError):
        coverage.create_station(session, admin, code="BS-NEW", lat=57.1, lon=34.5, radius_m=10)
    with pytest.raises(ValidationError):
        coverage.update_station(session, admin, station.id, lat=57.1, lon=34.5, radius_m=0)
    coverage.update_station(
        session, admin, station.id, lat=57.1, lon=34.5, radius_m=2500, is_active=False
    )
    session.commit()
    actions = [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert actions[-3:] == [
        "coverage.settlement.update",
        "coverage.station.create",
        "coverage.station.update",
    ]
    page = fetch_page(
        session, admin, coverage.SETTLEMENT_LIST, ListQuery(filters={"quality": "fair"})
    )
    assert {r["name"] for r in page.rows} == {"Кашин", "Ёлкино"}
    stations = fetch_page(
        session, admin, coverage.STATION_LIST, ListQuery(filters={"active": "no"})
    )
    assert [r["code"] for r in stations.rows] == ["BS-NEW"]


def test_the_coverage_lists_export_in_words(session, admin, places):
    from paysim_app.overview import list_export

    coverage.leave_contact(
        session, contact="a@b.ru", settlement_id=places["Ёлкино"].id, consent=True
    )
    session.commit()
    specs = list_export.lists()
    texts = {}
    for spec in (coverage.SETTLEMENT_LIST, coverage.STATION_LIST, coverage.DEMAND_LIST):
        assert specs[spec.name] is spec
        texts[spec.name] = "".join(list_export.csv_chunks(session, admin, spec, ListQuery(), "ru"))
    assert "Ёлкино;деревня;Тверская область;Покрытия пока нет" in texts["coverage_settlements"]
    assert "BS-TVER-1;Тверь;Тверская область" in texts["coverage_stations"]
    assert ";да;" in texts["coverage_stations"]
    assert "Ёлкино;Тверская область;Покрытия пока нет;1;" in texts["coverage_demand"]
