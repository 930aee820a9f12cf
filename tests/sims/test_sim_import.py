"""CSV import of SIMs: every kind of bad row is reported with its line and reason and nothing is
imported; good files import (UTF-8, cp1251 with `;`, BOM), a second import changes nothing,
updates count only real changes, deletes spare SIMs in use, the preview is re-checked at
confirm, only `sims.import` may import, one audit row per import, and two imports at once on
PostgreSQL leave no duplicate."""

from __future__ import annotations

import csv
import hashlib
import io
import threading

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.i18n import EN, RU
from paysim_app.models import ActivationRequest, AuditLog, Partner, Sim, Tariff
from paysim_app.settings import get_settings
from paysim_app.sims import importing as si
from paysim_app.sims import own_sims
from paysim_app.sims.importing import uploads
from tests.conftest import make_iccid, make_imsi, make_msisdn

HEADER = "iccid,msisdn,imsi,status,partner_code,tariff_code,action"
BASE = 700_000  # serials of the SIMs the files bring (far from the factory's)


def row(n: int, status="", partner="", tariff="", action="", **over) -> str:
    cells = {
        "iccid": make_iccid(BASE + n),
        "msisdn": make_msisdn(BASE + n),
        "imsi": make_imsi(BASE + n),
        "status": status,
        "partner_code": partner,
        "tariff_code": tariff,
        "action": action,
    }
    cells.update(over)
    return ",".join(cells[c] for c in HEADER.split(","))


def csv_bytes(*rows: str, header: str = HEADER, sep: str = ",", encoding="utf-8") -> bytes:
    text = "\n".join([header, *rows]) + "\n"
    if sep != ",":
        text = text.replace(",", sep)
    return text.encode(encoding)


def sim_count(session) -> int:
    return session.exec(select(func.count()).select_from(Sim)).one()


def snapshot(session) -> list[tuple]:
    session.expire_all()
    return [
        (
            s.id,
            s.iccid,
            s.msisdn,
            s.imsi,
            s.status,
            s.partner_id,
            s.tariff_id,
            s.activation_code_hash,
            s.updated_at,
        )
        for s in session.exec(select(Sim).order_by(Sim.id)).all()
    ]


def reasons(report) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in report.samples["reject"]]


@pytest.fixture
def admin(factory):
    return factory.superadmin()


@pytest.fixture
def world(factory):
    """A partner, a tariff, an archived tariff, an inactive partner, and SIMs already there:
    one in use (a subscriber), one in stock with history (a ledger entry), one plain in stock."""
    partner = factory.partner().partner
    tariff = factory.tariff()
    old = factory.tariff(is_archived=True)
    gone = factory.partner().partner
    gone.is_active = False
    factory.session.commit()
    alice = factory.subscriber()
    used = factory.sim(alice, tariff=tariff)
    used2 = factory.sim(alice, tariff=tariff)
    with_history = factory.sim(balance_kop=1000)  # in stock, but its ledger has an entry
    stock = factory.sim(partner=partner)
    return {
        "partner": partner,
        "tariff": tariff,
        "old": old,
        "gone": gone,
        "used": used,
        "used2": used2,
        "history": with_history,
        "stock": stock,
    }


@pytest.fixture(autouse=True)
def imports_folder(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(get_settings(), "paysim_attachments_dir", str(tmp_path / "attachments"))
    return tmp_path / "imports"


# --------------------------------------------------------------------------- the bad file


def test_every_kind_of_bad_row_is_reported_and_nothing_is_imported(session, admin, world):
    p, tr = world["partner"].code, world["tariff"].code
    used, used2, stock = world["used"], world["used2"], world["stock"]
    lines = [
        row(1, "in_stock", p, tr),  # 2: fine on its own
        row(2, iccid=make_iccid(BASE + 2)[:-1] + str((int(make_iccid(BASE + 2)[-1]) + 1) % 10)),
        row(3, imsi="25099123"),  # 4: short IMSI
        row(
            4, iccid=make_iccid(BASE + 1), msisdn=make_msisdn(BASE + 40), imsi=make_imsi(BASE + 40)
        ),
        row(5, msisdn=make_msisdn(BASE + 1)),  # 6: number of line 2 again
        row(6, msisdn=stock.msisdn),  # 7: number of another SIM in the database
        row(7, imsi=used.imsi),  # 8: IMSI of another SIM in the database
        row(8, partner="NO-SUCH"),  # 9
        row(9, tariff="NO-SUCH"),  # 10
        row(10, status="sleeping"),  # 11
        f"{used.iccid},,,,,,delete",  # 12: delete of an active SIM with a subscriber
        "8.9E+19," + make_msisdn(BASE + 12) + "," + make_imsi(BASE + 12) + ",,,,",  # 13: Excel
        row(13, action="remove"),  # 14
        row(14, msisdn="+1 555 123 4567"),  # 15
        row(15) + ",surplus",  # 16: a cell too many
        row(16, partner=world["gone"].code),  # 17: inactive partner
        row(17, tariff=world["old"].code),  # 18: archived tariff
        f"{used2.iccid},{used2.msisdn},{used2.imsi},in_stock,,,",  # 19: status of a SIM in use
        f"{world['history'].iccid},,,,,,delete",  # 20: delete of a SIM with a ledger entry
        row(20, imsi="2.50991E+14"),  # 21: Excel again
        "",  # 22: a blank line is skipped, not counted
        row(22, iccid="12345"),  # 23
        row(23, msisdn=""),  # 24
    ]
    data = bytearray(csv_bytes(*lines))
    # 25: a line of bytes that are neither UTF-8 nor any sensible Windows-1251 text
    data += b"\xff\xfe\x00\x01\x98\x9f,\x81\x83,\x00\n"
    before = snapshot(session)
    report = si.import_sims(session, admin, bytes(data), file_name="bad.csv", dry_run=False)
    session.commit()
    assert reasons(report) == [
        (3, "iccid_luhn"),
        (4, "imsi_format"),
        (5, "duplicate_iccid"),
        (6, "duplicate_msisdn"),
        (7, "msisdn_taken"),
        (8, "imsi_taken"),
        (9, "partner_unknown"),
        (10, "tariff_unknown"),
        (11, "status_unknown"),
        (12, "sim_in_use"),
        (13, "iccid_scientific"),
        (14, "action_unknown"),
        (15, "msisdn_format"),
        (16, "cells"),
        (17, "partner_inactive"),
        (18, "tariff_archived"),
        (19, "status_in_use"),
        (20, "sim_in_use"),
        (21, "imsi_scientific"),
        (23, "iccid_format"),
        (24, "msisdn_missing"),
        (25, "encoding"),
    ]
    refs = {r.line: r.ref for r in report.samples["reject"]}
    assert refs[5] == "2" and refs[6] == "2"  # the line where it first appears
    assert refs[7] == stock.iccid and refs[8] == used.iccid
    assert (report.rows, report.rejected, report.created) == (23, 22, 1)
    assert [r.line for r in report.samples["create"]] == [2]
    assert not report.applied and not report.ok and report.error == ""
    assert snapshot(session) == before  # nothing imported
    assert not session.exec(select(AuditLog).where(AuditLog.action == "sim.import")).all()


def test_the_report_counts_are_complete(session, admin, world):
    """Only line 2 of this file is good: it would be created; the others are rejected."""
    lines = [row(1), row(2, imsi="1"), row(3, iccid=make_iccid(BASE + 1))]
    report = si.import_sims(session, admin, csv_bytes(*lines), dry_run=False)
    assert report.counts() == {"create": 1, "update": 0, "delete": 0, "unchanged": 0, "reject": 2}
    assert reasons(report) == [(3, "imsi_format"), (4, "duplicate_iccid")]
    assert sim_count(session) == 4


def test_first_problem_of_a_row_is_its_reason(session, admin, world):
    bad = row(1, status="nope", partner="NO-SUCH", imsi="12")
    report = si.import_sims(session, admin, csv_bytes(bad))
    assert reasons(report) == [(2, "imsi_format")]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "empty"),
        (b"\r\n  \r\n", "empty"),
        (HEADER.encode() + b"\r\n\r\n", "empty"),  # a header and no row
        (b"\xef\xbb\xbf", "empty"),
        (row(1).encode() + b"\n" + row(2).encode() + b"\n", "no_header"),  # header missing
        (b"iccid;msisdn;status\n" + row(1).replace(",", ";").encode(), "missing_columns"),
        (b"\x00\x01\x02\xff\xfe\xfd\x98\n\x03\x98\x99\n", "encoding"),
        ("iccid,msisdn,imsi\n".encode("utf-16"), "encoding"),
        (b"PK\x03\x04\x14\x00\x06\x00 workbook", "not_csv"),
        ((HEADER + "\n" + row(1) + "\n" + '"' + "x" * 200_000).encode(), "quotes"),
    ],
    ids=[
        "zero",
        "blank",
        "header-only",
        "bom-only",
        "no-header",
        "column",
        "garbage",
        "utf16",
        "xlsx",
        "quote",
    ],
)
def test_files_that_cannot_be_read_are_refused_whole(session, admin, data, error):
    report = si.import_sims(session, admin, data, file_name="f.csv", dry_run=False)
    assert (report.error, report.rows, report.applied, report.ok) == (error, 0, False, False)
    if error == "missing_columns":
        assert report.error_params == {"columns": "imsi"}
    if error == "quotes":
        assert report.error_params == {"line": "3"}
    assert si.error_text(report, "en") != f"sim_import.error.{error}"
    assert sim_count(session) == 0


def test_rejects_csv_has_the_columns_and_a_reason_and_neutralised_cells(session, admin, world):
    lines = [row(1), row(2, status="=HYPERLINK(1)"), row(3, imsi="@SUM(1)")]
    out = io.StringIO()
    report = si.import_sims(session, admin, csv_bytes(*lines), rejects_to=out)
    assert report.rejects_written == 2
    text = out.getvalue()
    assert text.startswith("\ufeff")  # Russian Excel (the admin's locale is ru)
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert parsed[0] == [*si.COLUMNS, "reason"]
    assert parsed[1][3] == "'=hyperlink(1)" and parsed[1][-1].startswith("строка 3: ")
    assert parsed[2][2] == "'@SUM(1)" and "IMSI" in parsed[2][-1]
    # fixed in the spreadsheet and sent back: the apostrophes and the reason column are ignored
    parsed[1][3], parsed[2][2] = "in_stock", make_imsi(BASE + 3)
    again = io.StringIO()
    csv.writer(again, delimiter=";").writerows(parsed)
    fixed = si.import_sims(session, admin, again.getvalue().encode("utf-8-sig"), dry_run=False)
    assert (fixed.created, fixed.rejected) == (2, 0) and fixed.applied


def test_samples_are_capped_but_the_counts_are_not(session, admin):
    lines = [row(n) for n in range(1, 31)] + [row(n, imsi="1") for n in range(31, 41)]
    report = si.import_sims(session, admin, csv_bytes(*lines), sample_size=5)
    assert (report.created, report.rejected) == (30, 10)
    assert [r.line for r in report.samples["create"]] == [2, 3, 4, 5, 6]
    assert [r.line for r in report.samples["reject"]] == [32, 33, 34, 35, 36]


def test_every_reason_and_file_error_has_words_in_both_languages():
    keys = [f"sim_import.reason.{r}" for r in si.REASONS]
    keys += [f"sim_import.error.{e}" for e in si.FILE_ERRORS]
    keys += ["sim_import.error.conflict", "sim_import.error.busy"]
    assert [k for k in keys if k not in RU or k not in EN] == []


# --------------------------------------------------------------------------- good files


def test_a_cp1251_semicolon_file_from_russian_excel_imports(session, admin, factory):
    tariff = factory.tariff()
    partner = Partner(code="МСК-1", name="Дилер Москва")
    session.add(partner)
    session.commit()
    lines = [
        f"{make_iccid(BASE + 1)};8 (999) 070-00-01;{make_imsi(BASE + 1)};;мск-1;{tariff.code};",
        f"{make_iccid(BASE + 2)};+7 999 070-00-02;{make_imsi(BASE + 2)};in_stock;;;upsert",
        f"{make_iccid(BASE + 3)};79990700003;{make_imsi(BASE + 3)};;МСК-1;;",
    ]
    data = ("sep=;\r\n" + HEADER.replace(",", ";") + "\r\n" + "\r\n".join(lines) + "\r\n").encode(
        "cp1251"
    )
    report = si.import_sims(session, admin, data, file_name="сим.csv", dry_run=False)
    session.commit()
    assert (report.encoding, report.delimiter, report.error) == ("cp1251", ";", "")
    assert (report.created, report.rejected, report.applied) == (3, 0, True)
    assert [r.line for r in report.samples["create"]] == [3, 4, 5]
    first = session.exec(select(Sim).where(Sim.iccid == make_iccid(BASE + 1))).one()
    assert (first.msisdn, first.status, first.partner_id, first.tariff_id) == (
        "+79990700001",
        "in_stock",
        partner.id,
        tariff.id,
    )


def test_utf8_with_bom_and_semicolons_imports(session, admin):
    data = csv_bytes(row(1), row(2), sep=";", encoding="utf-8-sig")
    report = si.import_sims(session, admin, data, dry_run=False)
    assert (report.encoding, report.delimiter, report.created) == ("utf-8-sig", ";", 2)


def test_the_same_file_twice_changes_nothing_the_second_time(session, admin, world):
    p, tr = world["partner"].code, world["tariff"].code
    lines = [row(n, "in_stock", p, tr) + f",CODE-{n}" for n in range(1, 6)]
    lines.append(f"{world['stock'].iccid},,,,,,delete,")
    data = csv_bytes(*lines, header=HEADER + ",activation_code")
    first = si.import_sims(session, admin, data, file_name="a.csv", dry_run=False)
    session.commit()
    assert (first.created, first.deleted, first.rejected) == (5, 1, 0)
    after_first = snapshot(session)
    second = si.import_sims(session, admin, data, file_name="a.csv", dry_run=False)
    session.commit()
    assert (second.created, second.updated, second.deleted, second.unchanged) == (0, 0, 0, 6)
    assert snapshot(session) == after_first


def test_updates_count_only_real_changes_and_empty_cells_keep_values(session, admin, world):
    stock, tariff, partner = world["stock"], world["tariff"], world["partner"]
    header = HEADER + ",activation_code"
    same = f"{stock.iccid},{stock.msisdn},{stock.imsi},,,,,"  # 2: all kept
    moved = f"{stock.iccid},{make_msisdn(BASE + 9)},{stock.imsi},awaiting_activation,,{tariff.code},,AB-12-cd"
    report = si.import_sims(session, admin, csv_bytes(same, header=header))
    assert (report.unchanged, report.updated) == (1, 0)
    assert report.samples["unchanged"][0].partner_code == partner.code  # kept
    report = si.import_sims(session, admin, csv_bytes(moved, header=header), dry_run=False)
    session.commit()
    assert (report.updated, report.unchanged) == (1, 0)
    changes = report.samples["update"][0].changes
    assert f"msisdn: {stock.msisdn} → {make_msisdn(BASE + 9)}" in changes
    assert "status: in_stock → awaiting_activation" in changes
    assert f"tariff_code: — → {tariff.code}" in changes and "activation_code" in changes
    session.refresh(stock)
    assert (stock.msisdn, stock.status, stock.partner_id, stock.tariff_id) == (
        make_msisdn(BASE + 9),
        "awaiting_activation",
        partner.id,
        tariff.id,
    )
    assert stock.activation_code_hash == own_sims.activation_code_hash("ab12cd")


def test_the_activation_code_lets_a_subscriber_claim_the_sim(session, admin, factory):
    header = HEADER + ",activation_code"
    si.import_sims(session, admin, csv_bytes(row(1) + ",Q7W-8E9R", header=header), dry_run=False)
    session.commit()
    bob = factory.subscriber()
    request_id = own_sims.claim_sim(session, bob, make_iccid(BASE + 1), "q7w8e9r")
    assert session.get(ActivationRequest, request_id).subscriber_id == bob.subscriber_id
    stored = session.exec(select(Sim.activation_code_hash)).all()
    assert "Q7W-8E9R" not in str(stored)  # only the hash is kept


def test_delete_of_a_stock_sim_and_of_an_unknown_iccid(session, admin, world):
    stock_id = world["stock"].id
    lines = [f"{world['stock'].iccid},,,,,,delete", f"{make_iccid(BASE + 5)},,,,,,DELETE"]
    report = si.import_sims(session, admin, csv_bytes(*lines), dry_run=False)
    session.commit()
    assert (report.deleted, report.unchanged, report.rejected) == (1, 1, 0)
    assert session.exec(select(Sim.id).where(Sim.id == stock_id)).first() is None


def test_a_new_active_sim_gets_an_activation_date(session, admin):
    si.import_sims(session, admin, csv_bytes(row(1, "active")), dry_run=False)
    session.commit()
    sim = session.exec(select(Sim)).one()
    assert sim.status == "active" and sim.activated_at is not None


def test_msisdn_forms_are_normalised():
    for raw in ("89991234567", "+7 (999) 123-45-67", "7 999 123 45 67", "8-999-123-45-67"):
        assert si.normalise_msisdn(raw) == "+79991234567", raw
    for raw in ("9991234567", "+8 999 123 45 67", "+7999123456", "+7999123456a", "+7٩٩٩1234567"):
        assert si.normalise_msisdn(raw) is None, raw


def test_blank_lines_keep_the_line_numbers_of_the_file(session, admin):
    data = (HEADER + "\r\n\r\n" + row(1) + "\r\n\r\n\r\n" + row(2, imsi="x") + "\r\n").encode()
    report = si.import_sims(session, admin, data)
    assert [r.line for r in report.samples["create"]] == [3]
    assert reasons(report) == [(6, "imsi_format")]


# --------------------------------------------------------------------------- who and audit


def test_the_support_operator_may_not_import(session, factory, tmp_path):
    support = factory.support()
    upload = si.StoredImport("a.csv", "0" * 32 + ".csv")
    for call in (
        lambda: si.import_sims(session, support, csv_bytes(row(1)), dry_run=True),
        lambda: si.import_sims(session, support, csv_bytes(row(1)), dry_run=False),
        lambda: si.UploadWriter(support, "a.csv"),
        lambda: si.store_upload(support, b"x", "a.csv"),
        lambda: si.preview_upload(session, support, upload),
        lambda: si.confirm_upload(session, support, upload),
        lambda: si.read_rejects(support, upload),
        lambda: si.discard_upload(support, upload),
    ):
        with pytest.raises(PermissionDenied):
            call()
    partner = factory.partner().actor
    with pytest.raises(PermissionDenied):
        si.import_sims(session, partner, csv_bytes(row(1)))
    assert sim_count(session) == 0


def test_one_audit_row_per_import_with_counts_name_and_sha256(session, admin, world):
    data = csv_bytes(row(1), row(2), f"{world['stock'].iccid},,,,,,delete")
    si.import_sims(session, admin, data, file_name="../../etc/stock.csv", dry_run=True)
    session.commit()
    assert not session.exec(select(AuditLog).where(AuditLog.action == "sim.import")).all()
    si.import_sims(session, admin, data, file_name="../../etc/stock.csv", dry_run=False)
    session.commit()
    rows = session.exec(select(AuditLog).where(AuditLog.action == "sim.import")).all()
    assert len(rows) == 1 and rows[0].actor_user_id == admin.user_id
    assert f'"sha256": "{hashlib.sha256(data).hexdigest()}"' in rows[0].after
    for part in ('"file": "stock.csv"', '"created": 2', '"deleted": 1', '"rows": 3'):
        assert part in rows[0].after


# --------------------------------------------------------------------------- upload, preview, confirm


def test_upload_preview_then_confirm_checks_again(session, admin, factory, imports_folder):
    data = csv_bytes(row(1), row(2), row(3, imsi="1"))
    upload = si.store_upload(admin, data, "../stock list.csv")
    assert upload.name == "stock list.csv" and (imports_folder / upload.stored).exists()
    preview = si.preview_upload(session, admin, upload)
    assert (preview.created, preview.rejected, preview.dry_run) == (2, 1, True)
    name, rejects = si.read_rejects(admin, upload)
    assert name == "stock list-rejects.csv" and b"imsi" in rejects
    confirmed = si.confirm_upload(session, admin, upload)
    assert not confirmed.applied and confirmed.rejected == 1 and sim_count(session) == 0

    fixed = si.store_upload(admin, csv_bytes(row(1), row(2)), "fixed.csv")
    assert si.preview_upload(session, admin, fixed).ok
    session.commit()
    # meanwhile someone gives line 3's number to another SIM: confirm sees it and refuses
    factory.sim().msisdn = make_msisdn(BASE + 2)
    session.commit()
    late = si.confirm_upload(session, admin, fixed)
    assert not late.applied and reasons(late) == [(3, "msisdn_taken")] and sim_count(session) == 1
    with pytest.raises(ValidationError):
        si.read_rejects(admin, si.StoredImport("x.csv", "../../etc/passwd"))
    si.discard_upload(admin, fixed)
    assert si.preview_upload(session, admin, fixed).error == "gone"


def test_an_upload_over_the_limit_is_refused_and_removed(admin, imports_folder):
    writer = si.UploadWriter(admin, "big.csv", limit=10)
    writer.write(b"12345")
    with pytest.raises(ValidationError) as refused:
        writer.write(b"678901")
    assert refused.value.code == "sim_import.error.too_large"
    assert list(imports_folder.glob("*.csv")) == []


# --------------------------------------------------------------------------- two at once


@pytest.mark.parametrize("chunk", [0, 300], ids=["one-transaction", "chunked"])
def test_two_overlapping_imports_at_once_leave_no_duplicate(
    engine, backend, factory, admin, chunk, monkeypatch
):
    if backend != "postgres":
        pytest.skip("the advisory lock is PostgreSQL's")
    # 300: the new SIMs are committed 300 lines at a time and the lock holds between them
    monkeypatch.setattr(get_settings(), "paysim_import_chunk_rows", chunk)
    tariff = factory.tariff()
    first = csv_bytes(*[row(n, tariff=tariff.code) for n in range(1, 1501)])
    second = csv_bytes(*[row(n, tariff=tariff.code) for n in range(1001, 2501)])
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(name: str, data: bytes) -> None:
        with Session(engine, expire_on_commit=False) as s:
            try:
                barrier.wait()
                report = si.import_sims(s, admin, data, file_name=name, dry_run=False)
                s.commit()
                results[name] = report
            except Exception as exc:  # noqa: BLE001 - reported below
                s.rollback()
                results[name] = exc

    threads = [
        threading.Thread(target=run, args=("a.csv", first)),
        threading.Thread(target=run, args=("b.csv", second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    a, b = results["a.csv"], results["b.csv"]
    assert a.applied and b.applied, results
    assert a.created + b.created == 2500 and a.unchanged + b.unchanged == 500
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Sim)).one() == 2500
        assert s.exec(select(func.count(func.distinct(Sim.iccid)))).one() == 2500
        assert s.exec(select(func.count()).where(Sim.tariff_id == tariff.id)).one() == 2500
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "sim.import")).all()) == 2


def test_sqlite_imports_one_after_the_other_too(engine, backend, admin):
    if backend != "sqlite":
        pytest.skip("SQLite's database lock")
    first = csv_bytes(*[row(n) for n in range(1, 301)])
    second = csv_bytes(*[row(n) for n in range(201, 501)])
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(name: str, data: bytes) -> None:
        with Session(engine, expire_on_commit=False) as s:
            try:
                barrier.wait()
                results[name] = si.import_sims(s, admin, data, file_name=name, dry_run=False)
                s.commit()
            except Exception as exc:  # noqa: BLE001
                s.rollback()
                results[name] = exc

    threads = [threading.Thread(target=run, args=(n, d)) for n, d in (("a", first), ("b", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(not isinstance(r, Exception) for r in results.values()), results
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Sim)).one() == 500


def test_tariff_and_partner_tables_untouched(session, admin, world):
    before = (
        session.exec(select(func.count()).select_from(Tariff)).one(),
        session.exec(select(func.count()).select_from(Partner)).one(),
    )
    si.import_sims(session, admin, csv_bytes(row(1)), dry_run=False)
    assert before == (
        session.exec(select(func.count()).select_from(Tariff)).one(),
        session.exec(select(func.count()).select_from(Partner)).one(),
    )


def test_an_upload_is_received_from_a_stream_block_by_block(
    session, admin, imports_folder, monkeypatch
):
    monkeypatch.setattr(uploads, "READ_BLOCK", 7)  # a file of several blocks
    data = csv_bytes(row(1), row(2))
    upload = si.receive_upload(admin, io.BytesIO(data), "../stock list.csv")
    assert upload.name == "stock list.csv"
    assert (imports_folder / upload.stored).read_bytes() == data
    assert si.preview_upload(session, admin, upload).ok
    with pytest.raises(ValidationError) as refused:
        si.receive_upload(admin, io.BytesIO(data), "big.csv", limit=10)
    assert refused.value.code == "sim_import.error.too_large"
    assert [p.name for p in imports_folder.glob("*.csv")] == [upload.stored]


def test_a_small_upload_is_checked_in_the_worker_and_a_large_one_in_the_import_process(
    admin, imports_folder, monkeypatch
):
    small = si.store_upload(admin, csv_bytes(row(1), row(2)), "small.csv")
    assert si.is_small(small)
    monkeypatch.setattr(uploads, "SMALL_UPLOAD_BYTES", 10)
    assert not si.is_small(small)
    for gone in ("../etc/passwd", "", "x" * 500, "0" * 32 + ".csv"):
        assert not si.is_small(si.StoredImport("a.csv", gone))
