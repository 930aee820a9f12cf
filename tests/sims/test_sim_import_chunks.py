"""A big SIM import on PostgreSQL commits its new SIMs in chunks (so the SIM list beside it
never walks a million uncommitted rows) and is still all or nothing for every failure the code
sees: a chunk that fails or a later step that fails removes the SIMs the earlier chunks
committed, and the import lock is always released. SQLite keeps one transaction."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from paysim_app.core import audit
from paysim_app.core.errors import DomainError
from paysim_app.core.pacing import Pacer
from paysim_app.models import AuditLog, Sim
from paysim_app.settings import get_settings
from paysim_app.sims import importing as si
from paysim_app.sims.importing import run as importing_run
from tests.conftest import Factory, make_iccid
from tests.sims.test_sim_import import BASE, csv_bytes, row

CHUNK = 100
NEW = 450  # file lines 2..451: chunks of 100, 100, 100, 100 and 50 new SIMs
FIRST_OF_FILE = make_iccid(BASE)  # the ICCIDs of the file sort above every factory SIM


@pytest.fixture
def small_chunks(db_url, monkeypatch):
    monkeypatch.setattr(get_settings(), "paysim_import_chunk_rows", CHUNK)
    monkeypatch.setattr(get_settings(), "paysim_import_pace", 0.0)  # no pauses in tests


def watch_chunks(monkeypatch, after_chunk) -> None:
    """Call after_chunk(n) after the n-th committed chunk (1, 2, ...)."""
    done = [0]

    class Watching(Pacer):
        def batch_done(self) -> None:
            # the checks before the chunks are paced too: count the chunks' batches only
            if sys._getframe(1).f_code.co_name == "_apply_in_chunks":
                done[0] += 1
                after_chunk(done[0])
            super().batch_done()

    monkeypatch.setattr(importing_run, "Pacer", Watching)


def new_sims(engine) -> int:
    """The file's SIMs (serials above BASE) that another connection sees committed."""
    with Session(engine) as other:
        return other.exec(select(func.count()).where(Sim.iccid >= FIRST_OF_FILE)).one()


def audit_rows(engine) -> int:
    with Session(engine) as other:
        return len(other.exec(select(AuditLog).where(AuditLog.action == "sim.import")).all())


def lock_is_free(engine) -> bool:
    with engine.connect() as other:
        free = other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": si.LOCK_KEY}).scalar()
        if free:
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": si.LOCK_KEY})
        return bool(free)


def big_file(factory: Factory) -> tuple[bytes, Sim, Sim]:
    """450 new SIMs, then one update of a stock SIM and one delete of another."""
    renamed, doomed = factory.sim(), factory.sim()
    lines = [row(n) for n in range(1, NEW + 1)]
    lines.append(",".join([renamed.iccid, "+79980000001", renamed.imsi, "", "", "", ""]))
    lines.append(",".join([doomed.iccid, doomed.msisdn, doomed.imsi, "", "", "", "delete"]))
    return csv_bytes(*lines), renamed, doomed


@pytest.fixture
def postgres(backend):
    if backend != "postgres":
        pytest.skip("chunked commits are PostgreSQL's")


def test_new_sims_are_committed_chunk_by_chunk_the_rest_with_the_caller(
    postgres, small_chunks, engine, session, factory, monkeypatch
):
    admin = factory.superadmin()
    data, renamed, doomed = big_file(factory)
    seen: list[int] = []
    watch_chunks(monkeypatch, lambda n: seen.append(new_sims(engine)))
    report = si.import_sims(session, admin, data, dry_run=False)
    assert (report.created, report.updated, report.deleted) == (NEW, 1, 1)
    assert seen == [100, 200, 300, 400, 450]  # never more than one chunk uncommitted
    # the deletes, updates and the audit entry wait for the caller's commit
    assert audit_rows(engine) == 0
    with Session(engine) as other:
        assert other.get(Sim, renamed.id).msisdn == renamed.msisdn
        assert other.get(Sim, doomed.id) is not None
    session.commit()
    assert audit_rows(engine) == 1 and lock_is_free(engine)
    with Session(engine) as other:
        assert other.get(Sim, renamed.id).msisdn == "+79980000001"
        assert other.get(Sim, doomed.id) is None
    # the same file again changes nothing, in one transaction (nothing to create)
    again = si.import_sims(session, admin, big_file_again(data), dry_run=False)
    session.commit()
    assert (again.created, again.unchanged, again.rejected) == (0, NEW + 1, 0)


def big_file_again(data: bytes) -> bytes:
    """The file without its delete line (the SIM is gone: the delete would be 'unchanged')."""
    return b"\n".join(data.rstrip(b"\n").split(b"\n")[:-1]) + b"\n"


def test_a_chunk_that_fails_removes_the_committed_chunks(
    postgres, small_chunks, engine, session, factory, monkeypatch
):
    admin = factory.superadmin()
    data, renamed, doomed = big_file(factory)

    def someone_adds_a_sim_of_chunk_three(n: int) -> None:
        if n == 1:  # meanwhile an operator creates the SIM of file line 251 by hand
            with Session(engine) as other:
                other.add(
                    Sim(iccid=make_iccid(BASE + 250), msisdn="+79980000250", imsi="250980000000250")
                )
                other.commit()

    watch_chunks(monkeypatch, someone_adds_a_sim_of_chunk_three)
    with pytest.raises(DomainError) as failed:
        si.import_sims(session, admin, data, dry_run=False)
    session.rollback()
    assert failed.value.code == "sim_import.error.conflict"
    assert new_sims(engine) == 1  # only the operator's SIM: chunks one and two were removed
    assert audit_rows(engine) == 0 and lock_is_free(engine)
    with Session(engine) as other:
        assert other.get(Sim, renamed.id).msisdn == renamed.msisdn
        assert other.get(Sim, doomed.id) is not None


def test_a_failure_after_the_last_chunk_removes_them_too(
    postgres, small_chunks, engine, session, factory, monkeypatch
):
    admin = factory.superadmin()
    data, renamed, _ = big_file(factory)

    def audit_down(*args, **kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(audit, "record", audit_down)
    with pytest.raises(RuntimeError):
        si.import_sims(session, admin, data, dry_run=False)
    session.rollback()
    assert new_sims(engine) == 0 and lock_is_free(engine)
    with Session(engine) as other:
        assert other.get(Sim, renamed.id).msisdn == renamed.msisdn
    # and the connection is fit for the next import (no TEMP tables or lock left behind)
    monkeypatch.undo()
    monkeypatch.setattr(get_settings(), "paysim_import_chunk_rows", CHUNK)
    report = si.import_sims(session, admin, data, dry_run=False)
    session.commit()
    assert report.applied and new_sims(engine) == NEW


def test_sqlite_keeps_one_transaction_whatever_the_size(
    backend, small_chunks, engine, session, factory, monkeypatch
):
    if backend != "sqlite":
        pytest.skip("SQLite's single transaction")
    admin = factory.superadmin()
    data, _, _ = big_file(factory)
    watch_chunks(monkeypatch, lambda n: pytest.fail("SQLite committed a chunk"))
    report = si.import_sims(session, admin, data, dry_run=False)
    session.rollback()
    assert report.applied and new_sims(engine) == 0
