"""Tariff changes from the cabinet: the catalogue, the preview's figures, the request and its
refusals, cancellation, and another subscriber's SIMs and requests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from paysim_app.billing import ledger
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import (
    AuditLog,
    LedgerEntry,
    Notification,
    Sim,
    Tariff,
    TariffChangeRequest,
)
from paysim_app.models.base import utcnow
from paysim_app.sims import activations
from paysim_app.sims import tariff_changes as tc
from tests.money_helpers import travel
from tests.sims.test_activations import admin_with


@pytest.fixture
def world(factory):
    optimum = factory.tariff("Оптимум", fee_kop=65000, data_gb=50, speed_mbps=50)
    maximum = factory.tariff("Максимум", fee_kop=99000, data_gb=None, speed_mbps=100)
    start = factory.tariff("Старт", fee_kop=35000, data_gb=15, speed_mbps=20)
    old = factory.tariff("Безлимит 2024", fee_kop=50000, is_archived=True, is_public=False)
    hidden = factory.tariff("Корпоративный", fee_kop=10000, is_public=False)
    alice = factory.subscriber("alice@example.ru")
    bob = factory.subscriber("bob@example.ru")
    sim = factory.sim(alice, tariff=optimum, billing_day=1)
    bob_sim = factory.sim(bob, tariff=optimum)
    return {
        "optimum": optimum,
        "maximum": maximum,
        "start": start,
        "old": old,
        "hidden": hidden,
        "alice": alice,
        "bob": bob,
        "sim": sim,
        "bob_sim": bob_sim,
    }


def _request(session, w, tariff="maximum", when="next_period", sim=None, actor=None) -> int:
    rid = tc.request_change(session, actor or w["alice"], (sim or w["sim"]).id, w[tariff].id, when)
    session.commit()
    return rid


def _status(session, rid: int) -> str:
    session.expire_all()
    return session.get(TariffChangeRequest, rid).status


# -- catalogue -----------------------------------------------------------------------------------


def test_catalogue_offers_public_active_tariffs_and_marks_the_current_one(session, world):
    offers = tc.catalogue(session, world["alice"], world["sim"].id)
    assert [o.name for o in offers] == ["Старт", "Оптимум", "Максимум"]  # cheapest first
    assert [o.is_current for o in offers] == [False, True, False]
    maximum = offers[2]
    assert (maximum.data_gb, maximum.speed_mbps, maximum.monthly_fee_kop) == (None, 100, 99000)
    assert not any(o.is_archived for o in offers)


def test_an_archived_current_tariff_is_shown_marked_but_not_offered_to_others(
    session, factory, world
):
    on_old = factory.sim(world["alice"], tariff=world["old"])
    offers = tc.catalogue(session, world["alice"], on_old.id)
    old = [o for o in offers if o.id == world["old"].id]
    assert len(old) == 1 and old[0].is_current and old[0].is_archived
    # the other SIM of the same contract is not offered the archived or the hidden tariff
    ids = {o.id for o in tc.catalogue(session, world["alice"], world["sim"].id)}
    assert world["old"].id not in ids and world["hidden"].id not in ids


def test_a_sim_without_a_tariff_gets_the_catalogue(session, factory, world):
    bare = factory.sim(world["alice"])
    offers = tc.catalogue(session, world["alice"], bare.id)
    assert len(offers) == 3 and not any(o.is_current for o in offers)


def test_catalogue_of_someone_elses_sim_is_refused(session, world):
    with pytest.raises(PermissionDenied):
        tc.catalogue(session, world["alice"], world["bob_sim"].id)
    with pytest.raises(PermissionDenied):
        tc.catalogue(session, world["alice"], 999_999)


# -- preview -------------------------------------------------------------------------------------


def test_preview_next_period_changes_nothing_today_and_starts_on_the_next_billing_day(
    session, world
):
    p = tc.preview(
        session,
        world["alice"],
        world["sim"].id,
        world["maximum"].id,
        "next_period",
        on=date(2026, 5, 17),
    )
    assert p.effective_date == date(2026, 6, 1)
    assert (p.current_fee_kop, p.new_fee_kop, p.difference_kop) == (65000, 99000, 0)
    assert p.tariff_name == "Максимум" and p.when == "next_period"


@pytest.mark.parametrize(
    ("billing_day", "on", "effective"),
    [
        (15, date(2026, 5, 10), date(2026, 5, 15)),
        (15, date(2026, 5, 15), date(2026, 6, 15)),  # on the billing day: the period just began
        (15, date(2026, 12, 20), date(2027, 1, 15)),
        (28, date(2026, 2, 28), date(2026, 3, 28)),
    ],
)
def test_next_period_date(session, factory, world, billing_day, on, effective):
    sim = factory.sim(world["alice"], tariff=world["optimum"], billing_day=billing_day)
    p = tc.preview(session, world["alice"], sim.id, world["start"].id, "next_period", on=on)
    assert p.effective_date == effective


def test_preview_now_charges_the_prorated_difference_rounded_half_up(session, world):
    # period 1 May - 1 June = 31 days; 17 May .. 31 May = 15 days left (today included)
    p = tc.preview(
        session, world["alice"], world["sim"].id, world["maximum"].id, "now", on=date(2026, 5, 17)
    )
    assert p.effective_date == date(2026, 5, 17)
    assert (p.days_left, p.period_days) == (15, 31)
    assert p.difference_kop == 16452  # 34000 * 15 / 31 = 16451.61...


def test_preview_now_to_a_cheaper_tariff_is_a_credit(session, world):
    p = tc.preview(
        session, world["alice"], world["sim"].id, world["start"].id, "now", on=date(2026, 5, 17)
    )
    assert p.difference_kop == -14516  # -30000 * 15 / 31 = -14516.13


def test_preview_now_across_new_year(session, factory, world):
    sim = factory.sim(world["alice"], tariff=world["optimum"], billing_day=28)
    p = tc.preview(session, world["alice"], sim.id, world["maximum"].id, "now", on=date(2026, 1, 5))
    # 28 Dec 2025 - 28 Jan 2026: 31 days, 23 left
    assert (p.days_left, p.period_days) == (23, 31)
    assert p.difference_kop == 25226  # 34000 * 23 / 31 = 25225.8


@pytest.mark.parametrize(
    ("old", "new", "left", "period", "expected"),
    [
        (50000, 50001, 15, 30, 1),  # +0.5 -> 1
        (50001, 50000, 15, 30, -1),  # -0.5 -> -1 (the mirror image)
        (0, 3, 15, 30, 2),  # 1.5 -> 2
        (3, 0, 15, 30, -2),
        (0, 1, 14, 30, 0),  # 0.4666 -> 0
        (65000, 99000, 30, 30, 34000),  # the whole period
        (65000, 65000, 10, 30, 0),
    ],
)
def test_prorated_difference_rounding(old, new, left, period, expected):
    assert tc.prorated_difference(old, new, left, period) == expected


def test_preview_uses_todays_moscow_date_by_default(session, world):
    with travel(date(2026, 5, 17)):
        p = tc.preview(session, world["alice"], world["sim"].id, world["maximum"].id, "now")
    assert p.effective_date == date(2026, 5, 17) and p.difference_kop == 16452


def test_preview_refusals(session, factory, world):
    a, sim = world["alice"], world["sim"].id
    with pytest.raises(DomainError, match="tariffs.error.same"):
        tc.preview(session, a, sim, world["optimum"].id, "now")
    with pytest.raises(DomainError, match="tariffs.error.not_offered"):
        tc.preview(session, a, sim, world["old"].id, "now")
    with pytest.raises(ValidationError, match="tariffs.error.when"):
        tc.preview(session, a, sim, world["maximum"].id, "yesterday")
    with pytest.raises(ValidationError, match="tariffs.error.not_found"):
        tc.preview(session, a, sim, 999_999, "now")
    with pytest.raises(PermissionDenied):
        tc.preview(session, a, world["bob_sim"].id, world["maximum"].id, "now")


# -- request -------------------------------------------------------------------------------------


def test_request_change_files_a_pending_request(session, world):
    rid = _request(session, world, when="now")
    row = session.get(TariffChangeRequest, rid)
    assert (row.status, row.effective, row.sim_id) == ("pending", "now", world["sim"].id)
    assert row.from_tariff_id == world["optimum"].id and row.to_tariff_id == world["maximum"].id
    assert row.requester_user_id == world["alice"].user_id
    assert row.decided_at is None and row.decided_by_user_id is None
    session.expire_all()
    assert world["sim"].tariff_id == world["optimum"].id  # nothing switches until approval


def test_a_suspended_sim_may_request(session, factory, world):
    sim = factory.sim(world["alice"], tariff=world["optimum"], status="suspended")
    assert _request(session, world, sim=sim)


@pytest.mark.parametrize(
    ("tariff", "code"),
    [
        ("optimum", "tariffs.error.same"),
        ("old", "tariffs.error.not_offered"),
        ("hidden", "tariffs.error.not_offered"),
    ],
)
def test_request_refuses_a_tariff_that_is_not_offered(session, world, tariff, code):
    with pytest.raises(DomainError) as err:
        _request(session, world, tariff=tariff)
    assert err.value.code == code
    session.rollback()
    assert session.exec(select(TariffChangeRequest)).all() == []


@pytest.mark.parametrize("status", ["blocked", "awaiting_activation", "deactivated"])
def test_request_refuses_a_sim_that_is_not_working(session, factory, world, status):
    sim = factory.sim(world["alice"], tariff=world["optimum"], status=status)
    with pytest.raises(DomainError) as err:
        _request(session, world, sim=sim)
    assert err.value.code == "tariffs.error.sim_status"


def test_request_refuses_a_second_pending_request_for_the_same_sim(session, factory, world):
    _request(session, world)
    with pytest.raises(DomainError) as err:
        _request(session, world, tariff="start", when="now")
    assert err.value.code == "tariffs.error.pending_exists"
    session.rollback()
    # another SIM of the same contract is independent
    other = factory.sim(world["alice"], tariff=world["optimum"])
    assert _request(session, world, sim=other)


def test_request_refuses_a_bad_when_and_a_missing_tariff(session, world):
    with pytest.raises(ValidationError):
        _request(session, world, when="tomorrow")
    session.rollback()
    with pytest.raises(ValidationError):
        tc.request_change(session, world["alice"], world["sim"].id, 999_999, "now")


def test_another_subscribers_sim_is_refused_like_a_missing_one(session, factory, world):
    with pytest.raises(PermissionDenied):
        _request(session, world, sim=world["bob_sim"])
    session.rollback()
    with pytest.raises(PermissionDenied):
        tc.request_change(session, world["alice"], 999_999, world["maximum"].id, "now")
    session.rollback()
    partner = factory.partner()
    with pytest.raises(PermissionDenied):
        tc.request_change(session, partner.actor, world["sim"].id, world["maximum"].id, "now")
    session.rollback()
    assert session.exec(select(TariffChangeRequest)).all() == []


# -- cancel and list -----------------------------------------------------------------------------


def test_cancel_own_pending_request_then_a_new_one_is_allowed(session, world):
    rid = _request(session, world)
    tc.cancel_request(session, world["alice"], rid)
    session.commit()
    assert _status(session, rid) == "cancelled"
    with pytest.raises(DomainError) as err:
        tc.cancel_request(session, world["alice"], rid)
    assert err.value.code == "tariffs.error.not_pending"
    session.rollback()
    assert _request(session, world, tariff="start")


@pytest.mark.parametrize("status", ["approved", "rejected"])
def test_a_decided_request_cannot_be_cancelled(session, world, status):
    rid = _request(session, world)
    row = session.get(TariffChangeRequest, rid)
    row.status = status
    session.commit()
    with pytest.raises(DomainError) as err:
        tc.cancel_request(session, world["alice"], rid)
    assert err.value.code == "tariffs.error.not_pending"
    session.rollback()
    assert _status(session, rid) == status


def test_someone_elses_request_cannot_be_cancelled_or_seen(session, world):
    bob_rid = _request(session, world, sim=world["bob_sim"], actor=world["bob"])
    with pytest.raises(PermissionDenied):
        tc.cancel_request(session, world["alice"], bob_rid)
    session.rollback()
    with pytest.raises(PermissionDenied):
        tc.cancel_request(session, world["alice"], 999_999)
    session.rollback()
    assert _status(session, bob_rid) == "pending"
    assert tc.my_requests(session, world["alice"]) == []
    with pytest.raises(PermissionDenied):
        tc.my_requests(session, world["alice"], world["bob_sim"].id)


def test_my_requests_lists_newest_first_with_names_and_status(session, factory, world):
    first = _request(session, world)
    tc.cancel_request(session, world["alice"], first)
    session.commit()
    second = _request(session, world, tariff="start", when="now")
    other = factory.sim(world["alice"], tariff=world["maximum"])
    third = _request(session, world, tariff="optimum", sim=other)
    views = tc.my_requests(session, world["alice"], world["sim"].id)
    assert [v.id for v in views] == [second, first]
    assert (views[0].from_tariff_name, views[0].to_tariff_name) == ("Оптимум", "Старт")
    assert (views[0].status, views[0].when, views[0].can_cancel) == ("pending", "now", True)
    assert (views[1].status, views[1].can_cancel) == ("cancelled", False)
    assert views[0].created_at is not None and views[0].decided_at is None
    assert {v.id for v in tc.my_requests(session, world["alice"])} == {first, second, third}


# -- the admin's decision (the tariff-change tab of the activation queue) -------------------------


def _admin_sees(session, rid: int):
    stmt = activations.tariff_change_rows_select()
    return session.execute(stmt.where(stmt.selected_columns.id == rid)).mappings().one()


def _fund(session, sim, kop: int) -> None:
    ledger.post(session, ledger.Posting(sim.id, "topup", kop))
    session.commit()


def _audit(session, action: str):
    session.expire_all()
    return session.exec(select(AuditLog).where(AuditLog.action == action)).all()


def test_approve_now_switches_today_and_posts_exactly_the_previewed_difference(
    session, factory, world
):
    admin = factory.superadmin()
    _fund(session, world["sim"], 50000)
    rid = _request(session, world, when="now")
    on = date(2026, 5, 17)
    shown = tc.preview(session, world["alice"], world["sim"].id, world["maximum"].id, "now", on=on)

    decision = tc.approve_change(session, admin, rid, on=on)
    session.commit()

    assert decision.difference_kop == shown.difference_kop == 16452
    assert (decision.when, decision.effective_date) == ("now", on)
    entry = session.get(LedgerEntry, decision.ledger_entry_id)
    assert (entry.kind, entry.amount_kop, entry.actor_user_id) == (
        "adjustment",
        -16452,
        admin.user_id,
    )
    assert (
        "Оптимум" in entry.comment and "Максимум" in entry.comment and "15 из 31" in entry.comment
    )
    sim = session.get(Sim, world["sim"].id)
    assert (sim.tariff_id, sim.balance_kop, sim.status) == (world["maximum"].id, 33548, "active")
    row = session.get(TariffChangeRequest, rid)
    assert (row.status, row.decided_by_user_id) == ("approved", admin.user_id)
    assert row.decided_at is not None
    note = session.exec(select(Notification).where(Notification.kind == "tariff_change_now")).one()
    assert note.user_id == world["alice"].user_id and "164,52" in note.body
    (audited,) = _audit(session, "tariff_change.approve")
    assert '"difference_kop": 16452' in audited.after
    assert _admin_sees(session, rid)["decided_by_name"] == "Админ"


def test_approve_now_to_a_cheaper_tariff_credits_the_difference(session, factory, world):
    admin = factory.superadmin()
    rid = _request(session, world, tariff="start", when="now")
    on = date(2026, 5, 17)
    shown = tc.preview(session, world["alice"], world["sim"].id, world["start"].id, "now", on=on)
    decision = tc.approve_change(session, admin, rid, on=on)
    session.commit()
    assert decision.difference_kop == shown.difference_kop == -14516
    assert session.get(Sim, world["sim"].id).balance_kop == 14516  # the credit, from 0


def test_approve_next_period_schedules_the_switch_with_no_difference(session, factory, world):
    admin = factory.superadmin()
    rid = _request(session, world, when="next_period")
    on = date(2026, 5, 17)
    shown = tc.preview(
        session, world["alice"], world["sim"].id, world["maximum"].id, "next_period", on=on
    )
    decision = tc.approve_change(session, admin, rid, on=on)
    session.commit()
    assert (decision.difference_kop, decision.ledger_entry_id) == (0, None)
    assert decision.effective_date == shown.effective_date == date(2026, 6, 1)
    sim = session.get(Sim, world["sim"].id)
    # scheduled: the SIM keeps its tariff until the billing cycle switches it on 1 June
    assert (sim.tariff_id, sim.balance_kop) == (world["optimum"].id, 0)
    row = session.get(TariffChangeRequest, rid)
    assert (row.status, row.effective_on, row.applied_at) == ("scheduled", date(2026, 6, 1), None)
    assert not session.exec(select(LedgerEntry).where(LedgerEntry.sim_id == sim.id)).all()
    note = session.exec(
        select(Notification).where(Notification.kind == "tariff_change_approved")
    ).one()
    assert "01.06.2026" in note.body and "990,00" in note.body
    assert len(_audit(session, "tariff_change.approve")) == 1


def test_approve_now_beyond_the_balance_is_refused_and_next_period_is_offered(
    session, factory, world
):
    admin = factory.superadmin()
    _fund(session, world["sim"], 10000)
    rid = _request(session, world, when="now")
    with pytest.raises(DomainError) as err:
        tc.approve_change(session, admin, rid, on=date(2026, 5, 17))
    assert err.value.code == "admin_queues.error.balance_short"
    assert err.value.params == {"missing_kop": 6452, "difference_kop": 16452}
    session.rollback()
    assert _status(session, rid) == "pending"
    decision = tc.approve_change(session, admin, rid, when="next_period", on=date(2026, 5, 17))
    session.commit()
    assert decision.when == "next_period" and decision.difference_kop == 0
    assert session.get(TariffChangeRequest, rid).effective == "next_period"
    assert session.get(Sim, world["sim"].id).balance_kop == 10000


def test_reject_needs_a_reason_and_tells_the_subscriber(session, factory, world):
    admin = factory.superadmin()
    rid = _request(session, world)
    for reason in ("", "  ", "x" * 501):
        with pytest.raises(ValidationError):
            tc.reject_change(session, admin, rid, reason)
        session.rollback()
    tc.reject_change(session, admin, rid, "Тариф доступен только с 1-го числа")
    session.commit()
    row = session.get(TariffChangeRequest, rid)
    assert (row.status, row.reason) == ("rejected", "Тариф доступен только с 1-го числа")
    assert session.get(Sim, world["sim"].id).tariff_id == world["optimum"].id
    note = session.exec(
        select(Notification).where(Notification.kind == "tariff_change_rejected")
    ).one()
    assert "Тариф доступен только с 1-го числа" in note.body and "Максимум" in note.body
    view = tc.my_requests(session, world["alice"], world["sim"].id)[0]
    assert (view.status, view.reason) == ("rejected", "Тариф доступен только с 1-го числа")
    assert len(_audit(session, "tariff_change.reject")) == 1


def test_a_decided_or_cancelled_request_cannot_be_decided_again(session, factory, world):
    admin = factory.superadmin()
    rid = _request(session, world)
    tc.approve_change(session, admin, rid, on=date(2026, 5, 17))
    session.commit()
    for call in (
        lambda: tc.approve_change(session, admin, rid),
        lambda: tc.reject_change(session, admin, rid, "поздно"),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "admin_queues.error.not_pending"
        session.rollback()
    tc.cancel_scheduled(session, world["alice"], rid)  # the scheduled change makes room
    session.commit()
    cancelled = _request(session, world, tariff="start")
    tc.cancel_request(session, world["alice"], cancelled)
    session.commit()
    with pytest.raises(DomainError):
        tc.approve_change(session, admin, cancelled)
    assert len(_audit(session, "tariff_change.approve")) == 1


def test_the_sim_must_still_be_working_and_the_tariff_still_sold(session, factory, world):
    admin = factory.superadmin()
    rid = _request(session, world)
    session.get(Sim, world["sim"].id).status = "blocked"
    session.commit()
    with pytest.raises(DomainError) as err:
        tc.approve_change(session, admin, rid)
    assert err.value.code == "admin_queues.error.tariff_sim_status"
    session.rollback()
    session.get(Sim, world["sim"].id).status = "active"
    session.get(Tariff, world["maximum"].id).is_archived = True
    session.commit()
    with pytest.raises(DomainError) as err:
        tc.approve_change(session, admin, rid)
    assert err.value.code == "admin_queues.error.tariff_archived"
    session.rollback()
    assert _status(session, rid) == "pending"


def test_only_admins_with_activations_edit_decide_tariff_changes(session, factory, world):
    rid = _request(session, world)
    viewer = admin_with(session, "activations.view")
    for actor in (factory.support(), viewer, world["alice"]):
        for call in (
            lambda a=actor: tc.approve_change(session, a, rid),
            lambda a=actor: tc.reject_change(session, a, rid, "нет"),
        ):
            with pytest.raises(PermissionDenied):
                call()
    assert _status(session, rid) == "pending"
    with pytest.raises(NotFound):
        tc.approve_change(session, factory.superadmin(), 999_999)


# -- the subscriber's list of requests: filters -------------------------------------------------


def test_my_requests_filter_by_status_period_and_tariff_name(session, world):
    first = _request(session, world, "maximum")
    tc.cancel_request(session, world["alice"], first)
    session.commit()
    second = _request(session, world, "start")
    alice, sim_id = world["alice"], world["sim"].id

    def ids(**kw):
        return [r.id for r in tc.my_requests(session, alice, sim_id, **kw)]

    assert ids() == [second, first]
    assert ids(status="cancelled") == [first]
    assert ids(status="pending") == [second]
    assert ids(search="макс") == [first]  # any letter case, Cyrillic too
    today = moscow_date(utcnow())
    assert ids(date_from=today, date_to=today) == [second, first]
    assert ids(date_to=today - timedelta(days=1)) == []
    with pytest.raises(ValidationError):
        ids(status="lost")
    assert [r.id for r in tc.my_requests(session, world["bob"], status="pending")] == []
