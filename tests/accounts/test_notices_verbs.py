"""The cabinet home's notifications through overview.dashboards: the latest with the unread
count in one read, and marking them read, each a verb with or without a session."""

from __future__ import annotations

from paysim_app.core import notify
from paysim_app.overview import dashboards


def _notify(session, sub, sim, n: int) -> None:
    for _ in range(n):
        notify.notify_sim_owners(session, [(sim.id, "autopay_off_no_card", {})])
    session.commit()


def test_notices_without_a_session(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    _notify(session, sub, sim, 3)
    seen = dashboards.notices(sub, limit=2)
    assert len(seen.rows) == 2 and seen.unread == 3
    assert all(r.unread for r in seen.rows)


def test_marking_read_commits_and_returns_the_new_view(session, factory):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    _notify(session, sub, sim, 2)
    after = dashboards.mark_notices_read(sub)
    assert after.unread == 0 and not any(r.unread for r in after.rows)
    assert dashboards.notices(sub).unread == 0


def test_marking_read_with_a_session_joins_it(session, factory, new_session):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    _notify(session, sub, sim, 1)
    assert dashboards.mark_notices_read(session, sub).unread == 0
    assert dashboards.notices(new_session(), sub).unread == 1  # not committed by the verb
    session.commit()
    assert dashboards.notices(sub).unread == 0
