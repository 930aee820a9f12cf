"""The balance cache apart from `sim` (sim_balance, migration 0040): every SIM has its row however
it was added, a posting writes it and leaves the SIM's own row alone unless its status moves,
and a reader that waited for a SIM's lock sees the balance as of the lock."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from paysim_app.billing import ledger
from paysim_app.db import make_engine
from paysim_app.models import Sim, SimBalance
from paysim_app.sims.activations import lock_row
from tests.conftest import alembic_config, make_iccid, make_imsi, make_msisdn
from tests.money_helpers import assert_ledger_consistent, fresh


def _row(session, sim_id: int) -> SimBalance | None:
    session.expire_all()
    return session.get(SimBalance, sim_id)


def test_every_new_sim_gets_its_balance_row_and_loses_it_with_the_sim(session, factory):
    orm = factory.sim()  # through the ORM
    session.execute(
        sa.text(
            "INSERT INTO sim (iccid, msisdn, imsi, status, label, billing_day, puk, created_at,"
            " updated_at) VALUES (:iccid, :msisdn, :imsi, 'in_stock', '', 1, '', :at, :at)"
        ),
        {"iccid": make_iccid(9001), "msisdn": make_msisdn(9001), "imsi": make_imsi(9001),
         "at": orm.created_at},
    )  # fmt: skip
    raw = session.execute(select(Sim.id).where(Sim.iccid == make_iccid(9001))).scalar_one()
    session.commit()
    for sim_id in (orm.id, raw):
        row = _row(session, sim_id)
        assert (row.balance_kop, row.billed_period) == (0, None)
        assert fresh(session, Sim, sim_id).balance_kop == 0
    session.delete(session.get(Sim, raw))
    session.commit()
    assert _row(session, raw) is None


def test_a_posting_moves_the_cache_and_the_billing_mark(session, factory):
    sim = factory.sim(factory.subscriber(), balance_kop=10_000)
    ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -4_000, fee_period="2026-12"))
    session.commit()
    row = _row(session, sim.id)
    assert (row.balance_kop, row.billed_period) == (6_000, "2026-12")
    assert assert_ledger_consistent(session, sim.id).balance_kop == 6_000
    # an older period's fee posted late never moves the mark back
    ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -1_000, fee_period="2026-11"))
    session.commit()
    assert _row(session, sim.id).billed_period == "2026-12"


def test_a_fee_that_changes_no_status_leaves_the_sims_row_as_it_was(backend, session, factory):
    """What makes a month's fees cheap: no new version of the wide `sim` row (PostgreSQL's xmin
    is the transaction that wrote the row's current version)."""
    sim = factory.sim(factory.subscriber(), balance_kop=10_000)
    version = "xmin::text" if backend == "postgres" else "updated_at"
    before = session.execute(sa.text(f"SELECT {version} FROM sim WHERE id = {sim.id}")).scalar()
    session.commit()
    ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -4_000, fee_period="2026-12"))
    session.commit()
    after = session.execute(sa.text(f"SELECT {version} FROM sim WHERE id = {sim.id}")).scalar()
    assert after == before
    # a fee into debt suspends it: then the SIM's row is written
    ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -9_000, fee_period="2027-01"))
    session.commit()
    s = fresh(session, Sim, sim.id)
    assert (s.status, s.balance_kop) == ("suspended", -3_000)
    assert session.execute(sa.text(f"SELECT {version} FROM sim WHERE id = {sim.id}")).scalar() != (
        before
    )


def test_a_sim_written_around_the_trigger_gets_its_row_at_its_first_posting(session, factory):
    sim = factory.sim(factory.subscriber())
    session.execute(sa.delete(SimBalance).where(SimBalance.sim_id == sim.id))
    session.commit()
    assert fresh(session, Sim, sim.id).balance_kop == 0  # no row reads as 0
    ledger.post(session, ledger.Posting(sim.id, "adjustment", 2_500))
    session.commit()
    assert _row(session, sim.id).balance_kop == 2_500


@pytest.mark.postgres
def test_a_reader_that_waited_for_the_lock_sees_the_balance_as_of_the_lock(
    backend, session, factory, new_session
):
    """PostgreSQL re-reads a locked row it waited for, not the rows joined to it: lock_row
    reads the balance again after the lock (the unblock's 'suspended or active' depends on it)."""
    if backend != "postgres":
        pytest.skip("row locks: PostgreSQL only")
    sim = factory.sim(factory.subscriber(), balance_kop=-500, status="suspended")
    writer, reader = new_session(), new_session()
    ledger.post(writer, ledger.Posting(sim.id, "adjustment", 800))  # holds the SIM's lock
    seen: list[int] = []

    def read() -> None:
        seen.append(lock_row(reader, Sim, sim.id).balance_kop)
        reader.rollback()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=1)
    assert thread.is_alive()  # waiting for the writer's lock
    writer.commit()
    thread.join(timeout=30)
    assert seen == [300]


def test_the_migration_moves_the_balances_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0039_usage_month")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO sim (id, iccid, msisdn, imsi, status, label, balance_kop,"
                    " billed_period, billing_day, puk, created_at, updated_at) VALUES"
                    " (5, :iccid, :msisdn, :imsi, 'active', '', -1234, '2026-11', 1, '',"
                    " '2026-01-01', '2026-01-01')"
                ),
                {"iccid": make_iccid(9002), "msisdn": make_msisdn(9002), "imsi": make_imsi(9002)},
            )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT * FROM sim_balance")).one()
        assert (row.sim_id, row.balance_kop, row.billed_period) == (5, -1234, "2026-11")
        command.downgrade(cfg, "0039_usage_month")
        with engine.connect() as conn:
            back = conn.execute(sa.text("SELECT balance_kop, billed_period FROM sim")).one()
        assert tuple(back) == (-1234, "2026-11")
    finally:
        engine.dispose()


def test_a_sim_refuses_a_balance_given_around_the_ledger():
    """A table model drops what is not its field: Sim(balance_kop=...) would be lost unseen."""
    with pytest.raises(TypeError, match="ledger"):
        Sim(iccid=make_iccid(9003), msisdn=make_msisdn(9003), imsi=make_imsi(9003), balance_kop=1)
