"""A tariff change takes effect when it says: approved "from the next period" it is scheduled and
the billing cycle switches the SIM on its effective date, before that day's fee, exactly once;
"now" switches at once with the prorated difference; a scheduled change can be cancelled until
then, blocks a second request, and is cancelled for a SIM that left its contract."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from paysim_app.billing import cycle
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.models import AuditLog, LedgerEntry, Notification, Sim, TariffChangeRequest
from paysim_app.sims import inventory
from paysim_app.sims import tariff_changes as tc
from tests.money_helpers import LONG_AGO, assert_ledger_consistent, bill, entries, fees, fresh
from tests.sims.test_activations import admin_with

OPTIMUM_FEE, MAXIMUM_FEE, START_FEE = 65000, 99000, 35000


@pytest.fixture
def world(factory):
    optimum = factory.tariff("Оптимум", fee_kop=OPTIMUM_FEE, data_gb=50, speed_mbps=50)
    maximum = factory.tariff("Максимум", fee_kop=MAXIMUM_FEE, data_gb=None, speed_mbps=100)
    start = factory.tariff("Старт", fee_kop=START_FEE, data_gb=15, speed_mbps=20)
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    sim = factory.sim(
        alice, tariff=optimum, billing_day=10, balance_kop=500_000, activated_at=LONG_AGO
    )
    bob_sim = factory.sim(bob, tariff=optimum, billing_day=10, activated_at=LONG_AGO)
    return {
        "optimum": optimum,
        "maximum": maximum,
        "start": start,
        "alice": alice,
        "bob": bob,
        "admin": factory.superadmin(),
        "sim": sim,
        "bob_sim": bob_sim,
    }


def _request(session, w, tariff="maximum", when="next_period", sim=None, actor=None) -> int:
    rid = tc.request_change(session, actor or w["alice"], (sim or w["sim"]).id, w[tariff].id, when)
    session.commit()
    return rid


def _schedule(session, w, on: date, tariff="maximum", sim=None, actor=None) -> int:
    """A next-period request, approved on `on`."""
    rid = _request(session, w, tariff, sim=sim, actor=actor)
    tc.approve_change(session, w["admin"], rid, on=on)
    session.commit()
    return rid


def _row(session, rid: int) -> TariffChangeRequest:
    return fresh(session, TariffChangeRequest, rid)


def _tariff_of(session, sim) -> int | None:
    return fresh(session, Sim, sim.id).tariff_id


def _fee_amounts(session, sim_id: int) -> dict[str, int]:
    return {e.fee_period: -e.amount_kop for e in entries(session, sim_id) if e.fee_period}


def _notes(session, kind: str) -> list[Notification]:
    session.expire_all()
    return list(session.exec(select(Notification).where(Notification.kind == kind)).all())


def _audits(session, action: str) -> list[AuditLog]:
    session.expire_all()
    return list(session.exec(select(AuditLog).where(AuditLog.action == action)).all())


# -- approval: scheduled, the SIM unchanged -------------------------------------------------------


def test_approved_next_period_is_scheduled_and_the_sim_keeps_its_tariff(session, world):
    rid = _schedule(session, world, date(2026, 5, 17))
    row = _row(session, rid)
    assert (row.status, row.effective_on, row.applied_at) == ("scheduled", date(2026, 6, 10), None)
    assert row.decided_by_user_id == world["admin"].user_id and row.decided_at is not None
    assert _tariff_of(session, world["sim"]) == world["optimum"].id
    # the subscriber sees it with its date, and it is the one open change of the SIM
    (view,) = tc.my_requests(session, world["alice"], world["sim"].id, status="scheduled")
    assert (view.id, view.effective_on, view.to_tariff_name) == (rid, date(2026, 6, 10), "Максимум")
    assert view.can_cancel and view.to_fee_kop == MAXIMUM_FEE
    # the admin's SIM card shows it too
    card = inventory.sim_card(session, world["admin"], world["sim"].id)
    assert (card.tariff, card.next_tariff, card.next_tariff_on) == (
        "Оптимум",
        "Максимум",
        date(2026, 6, 10),
    )
    note = _notes(session, "tariff_change_approved")[0]
    assert "10.06.2026" in note.title and "990,00" in note.body


# -- the billing cycle switches on the boundary, before the fee, exactly once ---------------------


def test_the_cycle_switches_on_the_boundary_day_and_bills_the_new_fee_once(session, world):
    sim = world["sim"]
    rid = _schedule(session, world, date(2026, 5, 17))
    report = bill(session, date(2026, 6, 9))  # the day before: nothing yet
    assert report.tariffs == {"applied": 0, "cancelled": 0}
    assert _tariff_of(session, sim) == world["optimum"].id
    assert _row(session, rid).status == "scheduled"

    report = bill(session, date(2026, 6, 10))
    assert report.tariffs == {"applied": 1, "cancelled": 0}
    assert _tariff_of(session, sim) == world["maximum"].id
    row = _row(session, rid)
    assert row.status == "approved" and row.applied_at is not None
    assert _fee_amounts(session, sim.id) == {"2026-06": MAXIMUM_FEE}  # the new period, new fee
    assert assert_ledger_consistent(session, sim.id).balance_kop == 500_000 - MAXIMUM_FEE
    (note,) = _notes(session, "tariff_change_applied")
    assert note.user_id == world["alice"].user_id
    assert "Максимум" in note.title and "10.06.2026" in note.body and "990,00" in note.body
    (audited,) = _audits(session, "tariff_change.apply")
    assert (audited.entity, audited.entity_id, audited.actor_user_id) == ("sim", str(sim.id), None)
    assert f'"tariff_id": {world["optimum"].id}' in audited.before
    assert f'"request_id": {rid}' in audited.after
    # the SIM card's history shows the switch
    history = inventory.sim_card(session, world["admin"], sim.id).history
    assert any(h.what == "tariff_change.apply" for h in history)

    # a re-run of the same day, and the next days, add nothing
    for day in (date(2026, 6, 10), date(2026, 6, 11)):
        again = bill(session, day)
        assert again.tariffs == {"applied": 0, "cancelled": 0} and again.fees == 0
    assert len(_notes(session, "tariff_change_applied")) == 1
    assert len(_audits(session, "tariff_change.apply")) == 1
    assert fees(session, sim.id) == ["2026-06"]
    # the step alone, run again for a later day, finds nothing to do
    assert cycle.apply_scheduled_tariffs(session, date(2026, 7, 1)) == {
        "applied": 0,
        "cancelled": 0,
    }
    # and next month the new fee again
    bill(session, date(2026, 7, 10))
    assert _fee_amounts(session, sim.id) == {"2026-06": MAXIMUM_FEE, "2026-07": MAXIMUM_FEE}


def test_a_catch_up_over_missed_days_switches_before_billing_the_missed_period(session, world):
    sim = world["sim"]
    bill(session, date(2026, 5, 10))  # May billed at the old fee; then the server is down
    rid = _schedule(session, world, date(2026, 5, 17))
    report = bill(session, date(2026, 7, 2))  # catches up 31 May and 30 June, then 2 July
    assert report.days == ["2026-05-31", "2026-06-30", "2026-07-02"]
    assert report.tariffs == {"applied": 1, "cancelled": 0}
    assert _row(session, rid).status == "approved"
    assert _fee_amounts(session, sim.id) == {"2026-05": OPTIMUM_FEE, "2026-06": MAXIMUM_FEE}
    assert len(_notes(session, "tariff_change_applied")) == 1
    assert bill(session, date(2026, 7, 2)).tariffs["applied"] == 0


def test_a_catch_up_inside_the_month_switches_the_late_day(session, world):
    sim = world["sim"]
    bill(session, date(2026, 6, 5))
    _schedule(session, world, date(2026, 5, 17))
    report = bill(session, date(2026, 6, 15))  # 6..14 June missed, 10 June among them
    assert report.days == ["2026-06-15"] and report.tariffs["applied"] == 1
    assert _fee_amounts(session, sim.id) == {"2026-06": MAXIMUM_FEE}


def test_billing_day_28_is_the_boundary_in_february(session, factory, world):
    """Billing days are 1..28 (a check constraint keeps 29-31 out, so every month has its
    billing day): a SIM billed on the 28th switches on 28 February."""
    sim = factory.sim(
        world["alice"],
        tariff=world["optimum"],
        billing_day=28,
        balance_kop=300_000,
        activated_at=LONG_AGO,
    )
    rid = _schedule(session, world, date(2027, 1, 31), sim=sim)
    assert _row(session, rid).effective_on == date(2027, 2, 28)
    bill(session, date(2027, 2, 27))
    assert _tariff_of(session, sim) == world["optimum"].id and fees(session, sim.id) == []
    bill(session, date(2027, 2, 28))
    assert _tariff_of(session, sim) == world["maximum"].id
    assert _fee_amounts(session, sim.id) == {"2027-02": MAXIMUM_FEE}
    session.rollback()
    with pytest.raises(IntegrityError):
        factory.sim(world["alice"], tariff=world["optimum"], billing_day=31)
    session.rollback()


def test_now_still_switches_at_once_with_the_prorated_difference(session, world):
    sim = world["sim"]
    rid = _request(session, world, when="now")
    decision = tc.approve_change(session, world["admin"], rid, on=date(2026, 5, 17))
    session.commit()
    # period 10 May - 10 June = 31 days, 24 left (17 May .. 9 June): 34000 * 24 / 31
    assert (decision.when, decision.difference_kop) == ("now", 26323)
    assert _tariff_of(session, sim) == world["maximum"].id
    row = _row(session, rid)
    assert (row.status, row.effective_on) == ("approved", date(2026, 5, 17))
    assert row.applied_at is not None
    assert fresh(session, Sim, sim.id).balance_kop == 500_000 - 26323
    # the cycle has nothing to apply; the next period is billed at the new fee
    assert bill(session, date(2026, 6, 10)).tariffs == {"applied": 0, "cancelled": 0}
    assert _fee_amounts(session, sim.id) == {"2026-06": MAXIMUM_FEE}
    assert _notes(session, "tariff_change_applied") == []


# -- one open change per SIM; cancelling a scheduled change ---------------------------------------


def test_a_second_request_while_one_is_scheduled_is_refused_with_its_date(session, world):
    _schedule(session, world, date(2026, 5, 17))
    with pytest.raises(DomainError) as err:
        _request(session, world, tariff="start", when="now")
    assert err.value.code == "tariffs.error.scheduled_exists"
    assert err.value.params == {"name": "Максимум", "date": date(2026, 6, 10)}
    session.rollback()
    assert len(session.exec(select(TariffChangeRequest)).all()) == 1


def test_the_database_holds_one_open_change_per_sim(session, world):
    _schedule(session, world, date(2026, 5, 17))
    session.add(
        TariffChangeRequest(
            sim_id=world["sim"].id,
            requester_user_id=world["alice"].user_id,
            to_tariff_id=world["start"].id,
            status="pending",
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_the_subscriber_cancels_a_scheduled_change_and_the_cycle_leaves_the_sim(session, world):
    sim = world["sim"]
    rid = _schedule(session, world, date(2026, 5, 17))
    # the pending-request verb does not touch a scheduled change
    with pytest.raises(DomainError) as err:
        tc.cancel_request(session, world["alice"], rid)
    assert err.value.code == "tariffs.error.not_pending"
    session.rollback()
    tc.cancel_scheduled(session, world["alice"], rid)
    session.commit()
    row = _row(session, rid)
    assert (row.status, row.applied_at, row.reason) == ("cancelled", None, "")
    (audited,) = _audits(session, "tariff_change.cancel_scheduled")
    assert audited.actor_user_id == world["alice"].user_id
    assert _notes(session, "tariff_change_cancelled") == []  # they did it themselves
    with pytest.raises(DomainError) as err:
        tc.cancel_scheduled(session, world["alice"], rid)
    assert err.value.code == "tariffs.error.not_scheduled"
    session.rollback()
    assert bill(session, date(2026, 6, 10)).tariffs == {"applied": 0, "cancelled": 0}
    assert _tariff_of(session, sim) == world["optimum"].id
    assert _fee_amounts(session, sim.id) == {"2026-06": OPTIMUM_FEE}
    assert inventory.sim_card(session, world["admin"], sim.id).next_tariff == ""
    # room for a new request
    assert _request(session, world, tariff="start")


def test_an_applied_change_can_no_longer_be_cancelled(session, world):
    rid = _schedule(session, world, date(2026, 5, 17))
    bill(session, date(2026, 6, 10))
    with pytest.raises(DomainError) as err:
        tc.cancel_scheduled(session, world["alice"], rid)
    assert err.value.code == "tariffs.error.not_scheduled"
    session.rollback()
    assert _tariff_of(session, world["sim"]) == world["maximum"].id


def test_an_admin_of_the_queue_cancels_with_a_reason_the_subscriber_is_told(session, world):
    rid = _schedule(session, world, date(2026, 5, 17))
    viewer = admin_with(session, "activations.view")
    with pytest.raises(PermissionDenied):
        tc.cancel_scheduled(session, viewer, rid, "нет")
    session.rollback()
    with pytest.raises(ValidationError):
        tc.cancel_scheduled(session, world["admin"], rid, "  ")
    session.rollback()
    with pytest.raises(NotFound):
        tc.cancel_scheduled(session, world["admin"], 999_999, "нет")
    session.rollback()
    assert _row(session, rid).status == "scheduled"
    tc.cancel_scheduled(session, world["admin"], rid, "Тариф снят с продажи")
    session.commit()
    row = _row(session, rid)
    assert (row.status, row.reason) == ("cancelled", "Тариф снят с продажи")
    (note,) = _notes(session, "tariff_change_cancelled")
    assert note.user_id == world["alice"].user_id
    assert "Тариф снят с продажи" in note.body and "10.06.2026" in note.body


@pytest.mark.parametrize("bad", [None, "1", 1.0, True, -1, 999_999])
def test_cancel_refuses_what_is_not_the_subscribers_own_request(session, world, bad):
    bob_rid = _schedule(session, world, date(2026, 5, 17), sim=world["bob_sim"], actor=world["bob"])
    with pytest.raises(PermissionDenied):
        tc.cancel_scheduled(session, world["alice"], bob_rid)
    session.rollback()
    with pytest.raises(PermissionDenied):
        tc.cancel_scheduled(session, world["alice"], bad)
    session.rollback()
    assert _row(session, bob_rid).status == "scheduled"


# -- the SIM's state on the day ---------------------------------------------------------------------


def test_a_deactivated_sim_gets_its_change_cancelled_with_a_reason(session, world):
    sim = world["sim"]
    rid = _schedule(session, world, date(2026, 5, 17))
    fresh(session, Sim, sim.id).status = "deactivated"
    session.commit()
    report = bill(session, date(2026, 6, 10))
    assert report.tariffs == {"applied": 0, "cancelled": 1}
    row = _row(session, rid)
    assert row.status == "cancelled" and row.applied_at is None
    assert "отключена" in row.reason  # in the subscriber's language (ru)
    assert _tariff_of(session, sim) == world["optimum"].id
    (note,) = _notes(session, "tariff_change_cancelled")
    assert "Максимум" in note.title and row.reason in note.body
    (audited,) = _audits(session, "tariff_change.cancel_scheduled")
    assert audited.actor_user_id is None and '"sim_status": "deactivated"' in audited.before
    assert bill(session, date(2026, 6, 11)).tariffs == {"applied": 0, "cancelled": 0}
    assert len(_notes(session, "tariff_change_cancelled")) == 1


@pytest.mark.parametrize("status", ["blocked", "suspended"])
def test_a_blocked_or_suspended_sim_switches_all_the_same_and_pays_no_fee(session, world, status):
    sim = world["sim"]
    rid = _schedule(session, world, date(2026, 5, 17))
    fresh(session, Sim, sim.id).status = status
    session.commit()
    assert bill(session, date(2026, 6, 10)).tariffs == {"applied": 1, "cancelled": 0}
    assert _row(session, rid).status == "approved"
    assert _tariff_of(session, sim) == world["maximum"].id
    assert fees(session, sim.id) == []  # no service, no fee
    assert not session.exec(
        select(LedgerEntry).where(LedgerEntry.sim_id == sim.id, LedgerEntry.kind == "monthly_fee")
    ).all()


# -- the migration: changes approved before it were applied at approval ------------------------------


def test_the_migration_marks_earlier_approvals_applied_and_its_downgrade_unschedules(tmp_path):
    import sqlalchemy as sa
    from alembic import command

    from tests.conftest import alembic_config

    # a plain SQLite engine handed to alembic: foreign keys are not enforced for these bare rows
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")

    def migrate(step, revision: str) -> None:
        with engine.connect() as conn:
            step(alembic_config(connection=conn), revision)

    migrate(command.upgrade, "0024_addon_kinds")
    insert = sa.text(
        "INSERT INTO tariff_change_request (id, sim_id, requester_user_id, to_tariff_id,"
        " effective, status, reason, decided_at, created_at)"
        " VALUES (:id, :id, 1, 1, 'next_period', :status, '', :decided, '2026-05-01 09:00:00')"
    )
    with engine.begin() as conn:
        conn.execute(insert, {"id": 1, "status": "approved", "decided": "2026-05-17 22:30:00"})
        conn.execute(insert, {"id": 2, "status": "pending", "decided": None})
    migrate(command.upgrade, "0025_tariff_schedule")
    read = sa.text("SELECT id, status, effective_on, applied_at FROM tariff_change_request")
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(read)}
    # 22:30 UTC on 17 May is 18 May in Moscow: the day the SIM was switched
    assert (rows[1].status, str(rows[1].effective_on)) == ("approved", "2026-05-18")
    assert rows[1].applied_at is not None
    assert (rows[2].status, rows[2].effective_on, rows[2].applied_at) == ("pending", None, None)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tariff_change_request SET status = 'scheduled' WHERE id = 2"))
    migrate(command.downgrade, "0024_addon_kinds")
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.text("SELECT id, status FROM tariff_change_request")).all())
    assert statuses == {1: "approved", 2: "pending"}  # not switched yet: waiting again
    engine.dispose()


def test_two_cycles_at_once_switch_each_sim_once(session, factory, world, new_session):
    import threading

    from tests.money_helpers import GW, travel

    sims = [
        factory.sim(
            world["alice"],
            tariff=world["optimum"],
            billing_day=10,
            balance_kop=200_000,
            activated_at=LONG_AGO,
        )
        for _ in range(5)
    ]
    for sim in sims:
        _schedule(session, world, date(2026, 5, 17), sim=sim)
    day = date(2026, 6, 10)
    with travel(day):
        workers = [new_session() for _ in range(2)]
        barrier = threading.Barrier(2)
        reports, errors = [], []

        def work(s):
            try:
                barrier.wait(timeout=10)
                reports.append(cycle.run_billing(s, GW, day, batch=2))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                s.rollback()

        threads = [threading.Thread(target=work, args=(s,)) for s in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    assert sum(r.tariffs["applied"] for r in reports) == 5
    for sim in sims:
        assert _tariff_of(session, sim) == world["maximum"].id
        assert _fee_amounts(session, sim.id) == {"2026-06": MAXIMUM_FEE}
    assert len(_notes(session, "tariff_change_applied")) == 5
    assert len(_audits(session, "tariff_change.apply")) == 5
