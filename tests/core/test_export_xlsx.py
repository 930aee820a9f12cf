"""Excel export of any list: GET /api/export/{list} with a token signed for "xlsx" gives a
workbook with the CSV's rows and columns, typed (numbers, roubles with two decimals, Moscow
times), a bold frozen header and column widths; a formula-looking text stays text; the same
permission check and an audit entry that records the format. The format is signed: it cannot
be changed on the link."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from dataclasses import replace
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.api.exports import export_link
from paysim_app.api.routes import api
from paysim_app.core import signing, spreadsheet
from paysim_app.core.listing import ListQuery
from paysim_app.models import AuditLog
from paysim_app.overview import list_export


@pytest.fixture
def client(session):
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


def _login(session, factory, role="Superadmin"):
    user = factory.admin_user(role)
    token, _actor = identity.sign_in(session, user.email, factory.password)
    session.commit()
    return identity.session_id_of(session, token)


def _exports(session) -> list[AuditLog]:
    session.expire_all()
    stmt = select(AuditLog).where(AuditLog.action == "list.export").order_by(AuditLog.id)
    return list(session.exec(stmt).all())


def _book(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == spreadsheet.MEDIA_TYPE
    assert response.headers["content-disposition"].endswith('.xlsx"')
    return load_workbook(io.BytesIO(response.content))


def test_the_xlsx_has_the_csvs_rows_typed_with_a_bold_frozen_header(session, factory, client):
    sid = _login(session, factory)
    dealer = factory.partner(name='=HYPERLINK("http://evil","x")')
    sim = factory.sim(
        factory.subscriber(), partner=dealer, balance_kop=-123450, label="=1+1", status="active"
    )
    factory.sim(status="deactivated")  # filtered out
    query = ListQuery(filters={"status": "active"})
    book = _book(client.get(export_link(sid, "sims", query, "ru", "xlsx")))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows())
    assert len(rows) == 2  # the header and the one active SIM, as in the CSV
    header = [c.value for c in rows[0]]
    assert header[:4] == ["ICCID", "Номер", "IMSI", "Статус"]
    assert all(c.font.b for c in rows[0])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= len(sim.iccid)
    cells = {h: c for h, c in zip(header, rows[1], strict=True)}
    assert cells["ICCID"].value == sim.iccid and cells["ICCID"].data_type == "s"
    assert cells["Статус"].value == "Активна"
    balance = cells["Баланс"]
    assert balance.value == -1234.5 and balance.data_type == "n"
    assert balance.number_format == spreadsheet.MONEY_FORMAT
    created = cells["Добавлена"]
    assert isinstance(created.value, datetime) and created.number_format == "DD.MM.YYYY HH:MM"
    # the Moscow wall-clock time (UTC+3) of the stored UTC time, as on the screen and in the CSV
    stored = sim.created_at.replace(tzinfo=None)
    assert round((created.value - stored).total_seconds() / 3600) == 3
    # formula-looking text stays text, with the quote prefix, and no formula in the file
    for cell in (cells["Метка"], cells["Партнёр"]):
        assert cell.data_type == "s" and cell.quotePrefix
    assert cells["Метка"].value == "=1+1"
    assert cells["Партнёр"].value.startswith("=HYPERLINK")


def test_no_formula_is_written_to_the_sheet_xml(session, factory, client):
    sid = _login(session, factory)
    factory.sim(label="=1+1")
    factory.sim(label="@SUM(A1)")
    response = client.get(export_link(sid, "sims", ListQuery(), "en", "xlsx"))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert "=1+1" in xml and "@SUM(A1)" in xml
    header = [c.value for c in load_workbook(io.BytesIO(response.content)).active[1]]
    assert header[:2] == ["ICCID", "Number"]  # the link's locale


def test_the_format_is_signed_and_audited(session, factory, client):
    sid = _login(session, factory)
    factory.sim()
    csv_link = export_link(sid, "sims", ListQuery(), "ru")
    # a format added to the link is not the signed one: still a CSV
    response = client.get(csv_link + "&x=xlsx&format=xlsx")
    assert response.headers["content-type"].startswith("text/csv")
    xlsx_link = export_link(sid, "sims", ListQuery(), "ru", "xlsx")
    assert client.get(xlsx_link).status_code == 200
    csv_row, xlsx_row = _exports(session)
    assert json.loads(csv_row.after)["format"] == "csv"
    after = json.loads(xlsx_row.after)
    assert after["format"] == "xlsx" and after["rows"] == 1
    # a token carrying a format no one offers is refused, and not audited
    token = parse_qs(urlparse(xlsx_link).query)["t"][0]
    payload = signing.unsign(token, "export")
    bad = signing.sign({**payload, "x": "pdf"}, "export")
    assert client.get(f"/api/export/sims?t={bad}").status_code == 400
    assert len(_exports(session)) == 2


def test_permission_refused_and_not_audited(session, factory, client):
    factory.sim()
    support_sid = _login(session, factory, "Support operator")
    assert (
        client.get(export_link(support_sid, "sims", ListQuery(), "ru", "xlsx")).status_code == 403
    )
    assert _exports(session) == []


def test_an_empty_list_is_a_header_only_sheet(session, factory, client):
    sid = _login(session, factory)
    query = ListQuery(filters={"status": "blocked"})
    sheet = _book(client.get(export_link(sid, "sims", query, "en", "xlsx"))).active
    assert sheet.max_row == 1 and sheet["A1"].value == "ICCID"


@pytest.mark.parametrize(("limit", "value"), [("XLSX_MAX_ROWS", 2), ("SHEET_MAX_ROWS", 3)])
def test_a_list_longer_than_the_cap_is_cut_with_a_note(session, factory, monkeypatch, limit, value):
    """A list's workbook holds XLSX_MAX_ROWS rows (and a sheet 1 048 575 under its header):
    past them, a note sheet says the CSV has every row (the limits are lowered here)."""
    monkeypatch.setattr(spreadsheet if limit == "SHEET_MAX_ROWS" else list_export, limit, value)
    actor = factory.superadmin()
    for _ in range(4):
        factory.sim()
    spec = list_export.lists()["sims"]
    with list_export.xlsx_file(session, actor, spec, ListQuery(), "en") as fh:
        book = load_workbook(fh)
    assert book.worksheets[0].max_row == 3  # the header and two rows
    note = book.worksheets[1]["A1"].value
    assert "first 2 rows" in note and "CSV" in note
    # at the cap exactly, no note
    monkeypatch.setattr(spreadsheet if limit == "SHEET_MAX_ROWS" else list_export, limit, 5)
    with list_export.xlsx_file(session, actor, spec, ListQuery(), "en") as fh:
        assert len(load_workbook(fh).worksheets) == 1


def test_money_partner_and_payment_lists_export_too(session, factory):
    """Every exportable list writes a workbook (the columns each declares, in its order)."""
    admin = factory.superadmin()
    dealer = factory.partner()
    customer = factory.subscriber()
    factory.sim(customer, partner=dealer, balance_kop=5000)
    for name, spec in list_export.lists().items():
        if name == "notifications":
            continue  # everyone's own notices: tests/core/test_notify_centre.py
        # a partner's and a subscriber's own lists are written for their owner
        actor = {"partner": dealer.actor, "subscriber": customer}.get(spec.permission, admin)
        try:
            fh = list_export.xlsx_file(session, actor, spec, ListQuery(), "ru")
        except Exception as exc:  # pragma: no cover - says which list failed
            raise AssertionError(name) from exc
        with fh:
            sheet = load_workbook(fh).active
        assert sheet.max_column == len(spec.export), name


def test_a_partner_exports_its_own_sims_only(session, factory, client):
    dealer = factory.partner()
    token, _ = identity.sign_in(session, dealer.login, dealer.password)
    session.commit()
    sid = identity.session_id_of(session, token)
    mine = factory.sim(factory.subscriber(), partner=dealer)
    factory.sim(factory.subscriber(), partner=factory.partner())
    sheet = _book(client.get(export_link(sid, "partner_sims", ListQuery(), "en", "xlsx"))).active
    values = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
    assert sheet.max_row == 2 and mine.iccid in values
    # an admin list is not a partner's
    assert client.get(export_link(sid, "sims", ListQuery(), "en", "xlsx")).status_code == 403


def test_the_sheet_writer_refuses_past_its_rows_and_unknown_kinds(monkeypatch):
    with pytest.raises(ValueError):
        spreadsheet.SheetWriter("x", [spreadsheet.Column("a", "colour")])
    monkeypatch.setattr(spreadsheet, "SHEET_MAX_ROWS", 2)
    writer = spreadsheet.SheetWriter("x", [spreadsheet.Column("a")])
    writer.add(["\x01ok\x07"])  # characters a workbook cannot hold are dropped
    with pytest.raises(OverflowError):
        writer.add(["two"])
    with writer.save() as fh:
        assert load_workbook(fh).active["A2"].value == "ok"


def test_an_export_past_the_count_cap_records_the_format(session, factory):
    actor = factory.superadmin()
    for _ in range(3):
        factory.sim()
    spec = replace(list_export.lists()["sims"], count_cap=2)
    list_export.start_export(session, actor, spec, ListQuery(), "xlsx")
    session.commit()
    after = json.loads(_exports(session)[0].after)
    assert after["rows_more_than"] == 2 and after["format"] == "xlsx"
