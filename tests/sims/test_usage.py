"""sims.usage: the network's usage records summed per SIM per hour, deduplicated by record id,
bad records rejected with a reason while the rest of the batch is kept."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from paysim_app.core.errors import ValidationError
from paysim_app.models import UsageRecordSeen
from paysim_app.sims import usage

NOW = datetime(2026, 12, 6, 14, 30, tzinfo=UTC)
H = timedelta(hours=1)


def rec(
    rid, sim, start="2026-12-06T10:00:00+00:00", end="2026-12-06T10:30:00Z", up=100, down=900, **kw
):
    r = {"record_id": rid, "iccid": sim.iccid, "start": start, "end": end}
    r.update(bytes_up=up, bytes_down=down)
    r.update(kw)
    return r


def totals(session, sim_id):
    hours = usage.hours_of(session, sim_id)
    return sum(h[1] for h in hours), sum(h[2] for h in hours)


def test_records_sum_per_sim_per_hour(session, factory):
    a, b = factory.sim(), factory.sim()
    report = usage.ingest(
        session,
        "pgw",
        [
            rec("1", a),
            rec("2", a, start="2026-12-06T10:40:00+00:00", end="2026-12-06T10:50:00+00:00"),
            {**rec("3", b), "iccid": None, "imsi": b.imsi},
            rec("4", a, start="2026-12-06T13:10:00+03:00", end="2026-12-06T13:20:00+03:00"),
        ],
        now=NOW,
    )
    assert report.as_dict() == {"accepted": 4, "duplicates": 0, "rejected": []}
    assert usage.hours_of(session, a.id) == [(datetime(2026, 12, 6, 10, tzinfo=UTC), 300, 2700)]
    assert usage.hours_of(session, b.id) == [(datetime(2026, 12, 6, 10, tzinfo=UTC), 100, 900)]


def test_a_record_over_several_hours_is_split_in_proportion_with_exact_sums(session, factory):
    sim = factory.sim()
    # 10:30 .. 13:15: 30 + 60 + 60 + 15 minutes of 165
    usage.ingest(
        session,
        "pgw",
        [rec("x", sim, start="2026-12-06T10:30:00Z", end="2026-12-06T13:15:00Z", up=1000, down=7)],
        now=NOW,
    )
    hours = usage.hours_of(session, sim.id)
    assert [h[0].hour for h in hours] == [10, 11, 12, 13]
    assert [h[1] for h in hours] == [181, 363, 363, 93]  # 1000*30//165, 1000*60//165, ..., rest
    assert [h[2] for h in hours] == [1, 2, 2, 2]
    assert totals(session, sim.id) == (1000, 7)
    assert usage.split_hours(NOW, NOW, 5, 6) == [(NOW.replace(minute=0), 5, 6)]


def test_a_resent_batch_adds_nothing_and_a_duplicate_in_a_batch_counts_once(session, factory):
    sim = factory.sim()
    batch = [rec("1", sim), rec("2", sim), rec("1", sim, up=5)]
    first = usage.ingest(session, "pgw", batch, now=NOW)
    assert (first.accepted, first.duplicates) == (2, 1)
    again = usage.ingest(session, "pgw", batch, now=NOW)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 3, [])
    assert totals(session, sim.id) == (200, 1800)
    # the same id from another sender is another record
    other = usage.ingest(session, "sgw", [rec("1", sim)], now=NOW)
    assert other.accepted == 1
    assert totals(session, sim.id) == (300, 2700)


def test_every_reject_reason_and_the_rest_of_the_batch_kept(session, factory):
    sim, other = factory.sim(), factory.sim()
    batch = [
        rec("ok", sim),
        {"record_id": "m1", "start": "2026-12-06T10:00:00Z"},  # no SIM, no end
        rec("", sim),
        rec("u", sim, iccid="8970199999999999999"),
        rec("a", sim, imsi=other.imsi),
        rec("e", sim, start="2026-12-06T10:30:00Z", end="2026-12-06T10:00:00Z"),
        rec("f", sim, start="2026-12-06T14:20:00Z", end="2026-12-06T14:40:00Z"),
        rec("n", sim, up=-1),
        rec("b", sim, up=10**15),
        rec("l", sim, start="2026-12-04T10:00:00Z", end="2026-12-05T10:00:01Z"),
        rec("t", sim, start="2026-12-06T10:00:00"),  # naive
        rec("v", sim, down="lots"),
        rec("x" * 200, sim),
        "not a record",
        rec("o", sim, start="2026-11-01T10:00:00Z", end="2026-11-01T10:30:00Z"),
    ]
    report = usage.ingest(session, "pgw", batch, now=NOW)
    assert report.accepted == 1
    assert [(r.index, r.record_id, r.reason) for r in report.rejected] == [
        (1, "m1", "missing_fields"),
        (2, None, "missing_fields"),
        (3, "u", "unknown_sim"),
        (4, "a", "ambiguous_sim"),
        (5, "e", "end_before_start"),
        (6, "f", "in_future"),
        (7, "n", "negative_bytes"),
        (8, "b", "absurd_bytes"),
        (9, "l", "too_long"),
        (10, "t", "bad_time"),
        (11, "v", "bad_value"),
        (12, "x" * 128, "bad_value"),
        (13, None, "bad_value"),
        (14, "o", "too_old"),
    ]
    assert {r.reason for r in report.rejected} == set(usage.REASONS)
    assert totals(session, sim.id) == (100, 900)
    assert totals(session, other.id) == (0, 0)
    # a rejected record is not remembered: corrected, it is accepted
    fixed = usage.ingest(session, "pgw", [rec("n", sim, up=1)], now=NOW)
    assert fixed.accepted == 1


def test_clock_skew_and_the_radio_limit_have_their_allowance(session, factory):
    sim = factory.sim()
    near = (NOW + timedelta(minutes=4)).isoformat()
    full = 125_000_000 * 1800 + usage.BYTES_ALLOWANCE  # half an hour at 1 Gbit/s
    report = usage.ingest(
        session,
        "pgw",
        [rec("skew", sim, start=near, end=near), rec("max", sim, up=full - 900)],
        now=NOW,
    )
    assert (report.accepted, report.rejected) == (2, [])


def test_csv_and_json_are_read(factory):
    csv = (
        b"\xef\xbb\xbfrecord_id,iccid,imsi,start,end,bytes_up,bytes_down\r\n"
        b"1,8970100000000000001,,2026-12-06T10:00:00Z,2026-12-06T10:10:00Z,5,6\r\n"
    )
    rows = usage.parse(csv)
    assert rows[0]["record_id"] == "1" and rows[0]["bytes_down"] == "6" and rows[0]["imsi"] == ""
    assert usage.parse(b' [{"record_id": "1"}]') == [{"record_id": "1"}]
    assert usage.parse(b'{"records": [{"record_id": "2"}]}') == [{"record_id": "2"}]
    deep = b"[" * 100_000 + b"]" * 100_000
    for bad in (b"{not json", b'{"rows": []}', b"a,b\n1,2\n", b"\xff\xfe", b"", deep):
        with pytest.raises(ValidationError):
            usage.parse(bad)


def test_sender_tokens(monkeypatch):
    assert usage.sender_tokens("pgw=abc; sgw = def ;broken;=x;y=") == {"pgw": "abc", "sgw": "def"}
    monkeypatch.setenv("PAYSIM_USAGE_TOKENS", "pgw=abc;sgw=def")
    from paysim_app.settings import get_settings

    get_settings.cache_clear()
    try:
        assert usage.sender_for("def") == "sgw"
        assert usage.sender_for("abc") == "pgw"
        assert usage.sender_for("abd") is None
        assert usage.sender_for("") is None
    finally:
        get_settings.cache_clear()


def test_seen_ids_are_swept_after_40_days(session, factory):
    sim = factory.sim()
    old = rec("old", sim, start="2026-10-20T10:00:00Z", end="2026-10-20T10:30:00Z")
    assert usage.ingest(session, "pgw", [old], now=NOW - timedelta(days=41)).accepted == 1
    usage.ingest(session, "pgw", [rec("new", sim)], now=NOW)
    assert usage.sweep(session, now=NOW) == 1
    session.commit()
    left = session.exec(select(UsageRecordSeen.record_id)).all()
    assert left == ["new"]
    # its id forgotten, the old record sent again is refused, not counted twice
    again = usage.ingest(session, "pgw", [old], now=NOW)
    assert [r.reason for r in again.rejected] == ["too_old"]
    assert totals(session, sim.id) == (200, 1800)


@pytest.mark.postgres
def test_two_identical_batches_racing_count_once(backend, session, factory, new_session):
    if backend != "postgres":
        pytest.skip("real parallel writers: PostgreSQL only")
    sims = [factory.sim() for _ in range(3)]
    session.commit()
    batch = [
        rec(f"r{i}", sims[i % 3], start="2026-12-06T09:50:00Z", end="2026-12-06T10:20:00Z")
        for i in range(300)
    ]
    workers = 2
    sessions = [new_session() for _ in range(workers)]
    barrier = threading.Barrier(workers)
    reports: list[usage.Report] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            reports.append(usage.ingest(sessions[i], "pgw", batch, now=NOW))
            sessions[i].commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            sessions[i].rollback()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(r.accepted for r in reports) == [0, 300]
    assert sorted(r.duplicates for r in reports) == [0, 300]
    session.expire_all()
    assert sum(totals(session, s.id)[0] for s in sims) == 300 * 100
    assert sum(totals(session, s.id)[1] for s in sims) == 300 * 900


def test_import_usage_command_adds_a_cdr_file_once(backend, db_url, session, factory, tmp_path):
    """One process: a CSV with a rejected record is kept but for it (exit code 1)."""
    if backend != "sqlite":
        pytest.skip("the command runs on the test's SQLite file")
    from sqlalchemy.engine import make_url

    from tests.test_cli import run_cli

    sim = factory.sim()
    session.commit()
    cdr = tmp_path / "cdr.csv"
    cdr.write_text(
        "record_id,iccid,start,end,bytes_up,bytes_down\n"
        f"1,{sim.iccid},2026-12-05T10:00:00Z,2026-12-05T11:00:00Z,10,20\n"
        f"2,{sim.iccid},2026-12-05T10:00:00Z,2026-12-05T10:30:00Z,-1,20\n"
    )
    result = run_cli(make_url(db_url).database, "import-usage", str(cdr))
    assert result.returncode == 1, result.stderr
    assert "2 records: 1 accepted, 0 duplicates, 1 rejected" in result.stdout
    assert "record 2 (2): negative_bytes" in result.stdout
    session.expire_all()
    assert totals(session, sim.id) == (10, 20)


def unwatched(session, sims) -> None:
    """Policy rows whose usage cannot change them (sims.policy's screening lets none through)."""
    from paysim_app.models import SimPolicy

    session.add_all(
        SimPolicy(sim_id=s.id, state="off", speed_kbps=0, change_seq=1, changed_at=NOW)
        for s in sims
    )
    session.commit()


def test_sims_are_looked_up_in_bulk(session, factory):
    from sqlalchemy import event

    sims = [factory.sim() for _ in range(5)]
    unwatched(session, sims)
    batch = [rec(str(i), sims[i % 5]) for i in range(40)]
    batch += [
        {**rec(f"i{i}", sims[i % 5]), "iccid": None, "imsi": sims[i % 5].imsi} for i in range(10)
    ]
    statements: list[str] = []
    engine = session.get_bind()

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert usage.ingest(session, "pgw", batch, now=NOW).accepted == 50
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert sum(" FROM sim " in s.replace("\n", " ") + " " for s in statements) == 2
    # SIMs by ICCID, by IMSI, the record ids, the hourly sums, the daily sums with the policy's
    # screening (sims.policy: nothing to refresh here; SQLite reads the policy rows apart)
    assert len(statements) == (5 if engine.dialect.name == "postgresql" else 6)


@pytest.mark.postgres
def test_a_big_batch_costs_five_statements_on_postgres(backend, session, factory):
    """PostgreSQL takes the batch's values as arrays: the statements do not grow with it."""
    if backend != "postgres":
        pytest.skip("SQLite writes multi-row INSERTs of usage.CHUNK rows")
    from sqlalchemy import event

    sims = [factory.sim() for _ in range(30)]
    unwatched(session, sims)
    batch = [
        rec(
            f"r{i}",
            sims[i % 30],
            start=f"2026-12-05T{i % 24:02d}:10:00Z",
            end=f"2026-12-05T{i % 24:02d}:50:00Z",
            up=i,
            down=2 * i,
        )
        for i in range(3000)
    ]
    for r, s in zip(batch[1::2], sims[1::2] * 100, strict=True):  # every other one by IMSI
        r.update(iccid=None, imsi=s.imsi)
    statements: list[str] = []
    engine = session.get_bind()

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert usage.ingest(session, "pgw", batch, now=NOW).accepted == 3000
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 5  # the daily sums' statement screens for the policy too
    assert sum(totals(session, s.id)[0] for s in sims) == sum(range(3000))
    # SIM j gets the records j, j + 30, ...: hours j + 6k (mod 24), four of them
    assert sum(len(usage.hours_of(session, s.id)) for s in sims) == 30 * 4


def test_record_ids_and_sims_with_any_characters_round_trip(session, factory):
    """The ids travel to PostgreSQL inside array literals: quotes, backslashes, commas, braces
    and spaces must come back as sent (and deduplicate as sent)."""
    sim = factory.sim()
    odd = ['a"b', 'x","y', "c\\d", "e,f", "{g}", " h ", "NULL", 'ж\\"', "'"]
    first = usage.ingest(session, "pgw", [rec(rid, sim) for rid in odd], now=NOW)
    assert (first.accepted, first.rejected) == (len(odd), [])
    session.commit()
    stored = session.exec(select(UsageRecordSeen.record_id)).all()
    assert sorted(stored) == sorted(odd)
    again = usage.ingest(session, "pgw", [rec(rid, sim) for rid in odd], now=NOW)
    assert (again.accepted, again.duplicates) == (0, len(odd))
    # an ICCID with a quote is simply unknown, not an error
    bad = usage.ingest(session, "pgw", [rec("q", sim, iccid='89"7')], now=NOW)
    assert [r.reason for r in bad.rejected] == ["unknown_sim"]
    assert totals(session, sim.id) == (100 * len(odd), 900 * len(odd))
