"""The bulk statements (core.bulk) on both databases: what they write and what they return."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from paysim_app.core import bulk
from paysim_app.models import AutopayRun, Notification
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


# text that the array's text form must quote: quotes, backslashes, commas, braces, the word
# NULL, an empty string, spaces at the ends, a new line, Cyrillic
AWKWARD = ['say "hi"', "back\\slash", "a,b", "{x}", "NULL", "", "  edge  ", "two\nlines", "Ёж"]


def test_insert_rows_keeps_every_value_as_given(session, factory):
    user = factory.subscriber().user_id
    sim = factory.sim(factory.subscriber()).id
    moment = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)
    rows = [
        {
            "user_id": user,
            "kind": "test",
            "title": text,
            "body": text * 2,
            "dedup_key": None if i % 2 else f"k{i}",
            "sim_id": sim if i % 3 else None,
            "read_at": moment + timedelta(seconds=i) if i % 2 else None,
            "created_at": moment,
        }
        for i, text in enumerate(AWKWARD)
    ]
    ids = bulk.insert_rows(session, Notification.__table__, rows)
    session.commit()
    stored = {n.id: n for n in session.exec(select(Notification)).all()}
    naive = moment.replace(tzinfo=None)  # the column keeps UTC without its zone
    for i, (row, new_id) in enumerate(zip(rows, ids, strict=True)):
        got = stored[new_id]
        assert (got.title, got.body, got.dedup_key, got.sim_id) == (
            row["title"],
            row["body"],
            row["dedup_key"],
            row["sim_id"],
        )
        assert got.created_at.replace(tzinfo=None) == naive
        assert (
            got.read_at is None
            if i % 2 == 0
            else got.read_at.replace(tzinfo=None) == (naive + timedelta(seconds=i))
        )


def test_update_by_id_and_id_in_carry_awkward_text(session, factory):
    user = factory.subscriber().user_id
    rows = [
        {"user_id": user, "kind": "test", "title": "t", "body": "", "created_at": utcnow()}
        for _ in AWKWARD
    ]
    ids = bulk.insert_rows(session, Notification.__table__, rows)
    bulk.update_by_id(
        session,
        Notification.__table__,
        [{"id": i, "title": t, "body": t} for i, t in zip(ids, AWKWARD, strict=True)],
    )
    session.commit()
    found = session.exec(
        select(Notification.id, Notification.title).where(
            bulk.id_in(session, Notification.id, ids[:3])
        )
    ).all()
    assert sorted(found) == sorted(zip(ids[:3], AWKWARD[:3], strict=True))
    titles = session.exec(select(Notification.title).order_by(Notification.id)).all()
    assert titles == AWKWARD


def test_array_literal_quotes_what_it_must_and_leaves_other_types_to_the_driver():
    assert bulk.array_literal([1, None, True, False]) == "{1,NULL,t,f}"
    assert bulk.array_literal(['a "b"', "c\\d", "NULL"]) == '{"a \\"b\\"","c\\\\d","NULL"}'
    assert bulk.array_literal([date(2026, 12, 7)]) == "{2026-12-07}"
    assert bulk.array_literal([datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)]) == (
        '{"2026-12-07 01:02:03+00:00"}'
    )
    assert bulk.array_literal([1.5, 2]) == [1.5, 2]  # not of the kinds above: the list itself
    assert bulk.array_literal([]) == "{}"
