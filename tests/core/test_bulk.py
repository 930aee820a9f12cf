"""The bulk statements (core.bulk) on both databases: what they write and what they return."""

from __future__ import annotations

from sqlmodel import select

from paysim_app.core import bulk
from paysim_app.models import AutopayRun
from paysim_app.models.base import utcnow


def _run(sim_id: int, attempt: int, status: str = "pending") -> dict:
    return {
        "sim_id": sim_id,
        "period": "2026-12",
        "mode": "monthly",
        "attempt": attempt,
        "status": status,
        "decline_code": None if status == "pending" else "expired_card",
        "created_at": utcnow(),
    }


def test_insert_new_rows_skips_what_a_unique_key_holds_and_returns_the_new(session, factory):
    a, b = factory.sim(factory.subscriber()).id, factory.sim(factory.subscriber()).id
    first = bulk.insert_new_rows(session, AutopayRun.__table__, [_run(a, 1)], ["id", "sim_id"])
    session.commit()
    assert [r.sim_id for r in first] == [a]
    again = bulk.insert_new_rows(
        session,
        AutopayRun.__table__,
        [_run(a, 1), _run(b, 1, "failed"), _run(a, 2)],  # the first is there already
        ["id", "sim_id", "attempt", "status", "decline_code"],
    )
    session.commit()
    got = sorted((r.sim_id, r.attempt, r.status, r.decline_code) for r in again)
    assert got == sorted([(b, 1, "failed", "expired_card"), (a, 2, "pending", None)])
    assert first[0].id not in {r.id for r in again}
    stored = session.exec(select(AutopayRun.sim_id, AutopayRun.attempt)).all()
    assert sorted(stored) == sorted([(a, 1), (b, 1), (a, 2)])
    assert bulk.insert_new_rows(session, AutopayRun.__table__, [], ["id"]) == []
