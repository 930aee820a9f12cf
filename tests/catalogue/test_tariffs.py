"""Admin: tariffs and add-on services — create, edit (a fee waits for the next period),
archive, unarchive, delete only what was never used; every refusal changes nothing; every
write is audited with before/after."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.catalogue import addons, tariffs
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.models import (
    ActivationRequest,
    AddonService,
    AdminRole,
    AdminRolePermission,
    AuditLog,
    Tariff,
    TariffChangeRequest,
)
from paysim_app.sims import tariff_changes
from tests.money_helpers import travel

NOV10 = date(2026, 11, 10)


@pytest.fixture
def admin(factory):
    return factory.superadmin()


def audits(session, action: str) -> list[AuditLog]:
    session.expire_all()
    return list(
        session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
    )


def new_tariff(session, admin, **kw):
    fields = {
        "code": "home-50",
        "name": "Дом 50",
        "description": "50 ГБ",
        "monthly_fee_kop": 50000,
        "data_gb": 50,
        "speed_mbps": 50,
    }
    fields.update(kw)
    view = tariffs.create_tariff(session, admin, **fields)
    session.commit()
    return view


# --------------------------------------------------------------------------- tariffs
def test_create_tariff_is_audited(session, admin):
    view = new_tariff(session, admin, code="  home-50 ", data_gb=None, is_public=False)
    assert (view.code, view.name, view.monthly_fee_kop, view.data_gb, view.speed_mbps) == (
        "HOME-50",
        "Дом 50",
        50000,
        None,
        50,
    )
    assert (view.is_public, view.is_archived, view.sims, view.next_fee_period) == (
        False,
        False,
        0,
        None,
    )
    [row] = audits(session, "tariff.create")
    after = json.loads(row.after)
    assert (row.actor_user_id, row.entity, row.entity_id) == (admin.user_id, "tariff", str(view.id))
    assert after["code"] == "HOME-50" and after["monthly_fee_kop"] == 50000 and row.before == ""
    assert tariffs.get_tariff(session, admin, view.id) == view


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("code", "x", "admin_catalogue.error.code"),
        ("code", "дом", "admin_catalogue.error.code"),
        ("code", "a" * 33, "admin_catalogue.error.code"),
        ("code", "with space", "admin_catalogue.error.code"),
        ("name", "  ", "error.required"),
        ("name", "x" * 121, "admin_catalogue.error.too_long"),
        ("description", "x" * 501, "admin_catalogue.error.too_long"),
        ("monthly_fee_kop", -1, "admin_catalogue.error.fee"),
        ("monthly_fee_kop", 10.5, "admin_catalogue.error.fee"),
        ("monthly_fee_kop", "500", "admin_catalogue.error.fee"),
        ("monthly_fee_kop", True, "admin_catalogue.error.fee"),
        ("data_gb", 0, "admin_catalogue.error.data_gb"),
        ("speed_mbps", 0, "admin_catalogue.error.speed"),
    ],
)
def test_bad_tariff_data_is_refused(session, admin, field, value, code):
    with pytest.raises(ValidationError) as err:
        new_tariff(session, admin, **{field: value})
    assert (err.value.code, err.value.field) == (code, field)
    session.rollback()
    assert not session.exec(select(Tariff)).all()
    assert not audits(session, "tariff.create")


def test_a_free_tariff_is_allowed_and_codes_are_unique_whatever_the_case(session, admin):
    new_tariff(session, admin, code="free", monthly_fee_kop=0)
    with pytest.raises(ValidationError) as err:
        new_tariff(session, admin, code="FREE")
    assert (err.value.code, err.value.field) == ("admin_catalogue.error.code_taken", "code")


def test_only_tariff_editors_may_act(session, factory, admin):
    tariff = new_tariff(session, admin)
    support = factory.support()
    sub = factory.subscriber()
    partner = factory.partner().actor
    for actor in (support, sub, partner, None):
        for call in (
            lambda a: tariffs.get_tariff(session, a, tariff.id),
            lambda a: tariffs.create_tariff(
                session, a, code="x1", name="X", monthly_fee_kop=1, speed_mbps=1
            ),
            lambda a: tariffs.update_tariff(
                session, a, tariff.id, name="X", monthly_fee_kop=1, speed_mbps=1
            ),
            lambda a: tariffs.archive_tariff(session, a, tariff.id),
            lambda a: tariffs.unarchive_tariff(session, a, tariff.id),
            lambda a: tariffs.delete_tariff(session, a, tariff.id),
        ):
            with pytest.raises(PermissionDenied):
                call(actor)
    # a viewer sees but does not change
    viewer = factory.admin_user()
    role = AdminRole(name="Tariff viewer")
    session.add(role)
    session.flush()
    session.add(AdminRolePermission(role_id=role.id, permission="tariffs.view"))
    viewer.admin_role_id = role.id
    session.commit()
    reader = identity.actor_for(session, viewer)
    assert tariffs.get_tariff(session, reader, tariff.id).id == tariff.id
    with pytest.raises(PermissionDenied):
        tariffs.archive_tariff(session, reader, tariff.id)
    assert session.get(Tariff, tariff.id).is_archived is False
    assert len(audits(session, "tariff.create")) == 1
    assert not audits(session, "tariff.update") and not audits(session, "tariff.archive")
    with pytest.raises(NotFound):
        tariffs.get_tariff(session, admin, 999_999)
    with pytest.raises(NotFound):
        tariffs.archive_tariff(session, admin, "1")


def test_edit_changes_the_terms_at_once_and_the_fee_from_next_month(session, admin):
    tariff = new_tariff(session, admin)
    with travel(NOV10):
        view = tariffs.update_tariff(
            session,
            admin,
            tariff.id,
            name="Дом 60",
            description="60 ГБ",
            monthly_fee_kop=60000,
            data_gb=60,
            speed_mbps=60,
            is_public=False,
        )
        session.commit()
    assert (view.name, view.description, view.data_gb, view.speed_mbps, view.is_public) == (
        "Дом 60",
        "60 ГБ",
        60,
        60,
        False,
    )
    assert (view.monthly_fee_kop, view.next_monthly_fee_kop, view.next_fee_period) == (
        50000,
        60000,
        "2026-12",
    )
    assert view.planned_fee_kop == 60000
    [row] = audits(session, "tariff.update")
    assert json.loads(row.before) == {
        "name": "Дом 50",
        "description": "50 ГБ",
        "data_gb": 50,
        "speed_mbps": 50,
        "is_public": True,
        "next_monthly_fee_kop": None,
        "next_fee_period": None,
    }
    assert json.loads(row.after) == {
        "name": "Дом 60",
        "description": "60 ГБ",
        "data_gb": 60,
        "speed_mbps": 60,
        "is_public": False,
        "next_monthly_fee_kop": 60000,
        "next_fee_period": "2026-12",
    }


def edit_fee(session, admin, tariff_id, fee, day):
    with travel(day):
        view = tariffs.update_tariff(
            session,
            admin,
            tariff_id,
            name="Дом 50",
            description="50 ГБ",
            monthly_fee_kop=fee,
            data_gb=50,
            speed_mbps=50,
        )
        session.commit()
    return view


def test_fee_changes_wait_wrap_the_year_and_can_be_taken_back(session, admin):
    tariff = new_tariff(session, admin)
    view = edit_fee(session, admin, tariff.id, 70000, date(2026, 12, 31))
    assert (view.monthly_fee_kop, view.next_monthly_fee_kop, view.next_fee_period) == (
        50000,
        70000,
        "2027-01",
    )
    # a second change before the period replaces the waiting one
    view = edit_fee(session, admin, tariff.id, 65000, date(2026, 12, 31))
    assert (view.next_monthly_fee_kop, view.next_fee_period) == (65000, "2027-01")
    # back to the current fee: nothing waits any more
    view = edit_fee(session, admin, tariff.id, 50000, date(2026, 12, 31))
    assert (view.monthly_fee_kop, view.next_monthly_fee_kop, view.next_fee_period) == (
        50000,
        None,
        None,
    )
    assert len(audits(session, "tariff.update")) == 3
    # saving the same values again writes nothing
    edit_fee(session, admin, tariff.id, 50000, date(2026, 12, 31))
    assert len(audits(session, "tariff.update")) == 3


def test_a_waiting_fee_whose_period_began_is_the_fee_when_edited_again(session, admin):
    tariff = new_tariff(session, admin)
    edit_fee(session, admin, tariff.id, 60000, NOV10)  # from December
    # in December, before any billing run folded it in, the admin changes it again
    view = edit_fee(session, admin, tariff.id, 80000, date(2026, 12, 3))
    assert (view.monthly_fee_kop, view.next_monthly_fee_kop, view.next_fee_period) == (
        60000,
        80000,
        "2027-01",
    )
    row = audits(session, "tariff.update")[-1]
    assert json.loads(row.before) == {
        "monthly_fee_kop": 50000,
        "next_monthly_fee_kop": 60000,
        "next_fee_period": "2026-12",
    }
    # and setting December's fee again simply confirms it
    view = edit_fee(session, admin, tariff.id, 60000, date(2026, 12, 4))
    assert (view.monthly_fee_kop, view.next_monthly_fee_kop) == (60000, None)


def test_archive_stops_sales_but_the_sim_keeps_its_tariff(session, factory, admin):
    tariff = new_tariff(session, admin)
    other = new_tariff(session, admin, code="other")
    owner, newcomer = factory.subscriber(), factory.subscriber()
    sim = factory.sim(owner, tariff=tariff.id)
    fresh_sim = factory.sim(newcomer, tariff=other.id)

    view = tariffs.archive_tariff(session, admin, tariff.id)
    session.commit()
    assert view.is_archived and view.sims == 1
    [row] = audits(session, "tariff.archive")
    assert (json.loads(row.before), json.loads(row.after)) == (
        {"is_archived": False},
        {"is_archived": True},
    )
    offered = {o.id: o for o in tariff_changes.catalogue(session, owner, sim.id)}
    assert offered[tariff.id].is_current and offered[tariff.id].is_archived
    assert tariff.id not in {
        o.id for o in tariff_changes.catalogue(session, newcomer, fresh_sim.id)
    }
    with pytest.raises(DomainError):
        tariff_changes.request_change(session, newcomer, fresh_sim.id, tariff.id, "next_period")
    session.rollback()
    # archiving twice is a no-op, unarchive puts it back on sale
    tariffs.archive_tariff(session, admin, tariff.id)
    assert len(audits(session, "tariff.archive")) == 1
    tariffs.unarchive_tariff(session, admin, tariff.id)
    session.commit()
    assert len(audits(session, "tariff.unarchive")) == 1
    assert tariff.id in {o.id for o in tariff_changes.catalogue(session, newcomer, fresh_sim.id)}


def test_delete_only_a_tariff_never_used(session, factory, admin):
    unused = new_tariff(session, admin, code="unused")
    tariffs.delete_tariff(session, admin, unused.id)
    session.commit()
    assert session.get(Tariff, unused.id) is None
    [row] = audits(session, "tariff.delete")
    assert json.loads(row.before)["code"] == "UNUSED" and row.after == ""

    on_sim = new_tariff(session, admin, code="on-sim")
    factory.sim(tariff=on_sim.id)
    requested = new_tariff(session, admin, code="requested")
    changed_to = new_tariff(session, admin, code="changed-to")
    sub = factory.subscriber()
    sim = factory.sim(sub)
    session.add(
        ActivationRequest(sim_id=sim.id, requester_user_id=sub.user_id, tariff_id=requested.id)
    )
    session.add(
        TariffChangeRequest(
            sim_id=sim.id, requester_user_id=sub.user_id, to_tariff_id=changed_to.id
        )
    )
    session.commit()
    for tariff, sims, requests in ((on_sim, 1, 0), (requested, 0, 1), (changed_to, 0, 1)):
        with pytest.raises(DomainError) as err:
            tariffs.delete_tariff(session, admin, tariff.id)
        assert err.value.code == "admin_catalogue.error.tariff_in_use"
        assert err.value.params == {"sims": sims, "requests": requests}
        assert session.get(Tariff, tariff.id) is not None
    assert len(audits(session, "tariff.delete")) == 1
    with pytest.raises(NotFound):
        tariffs.delete_tariff(session, admin, 999_999)


def test_tariff_rows_select_counts_sims(session, factory, admin):
    busy = new_tariff(session, admin, code="busy")
    idle = new_tariff(session, admin, code="idle")
    factory.sim(tariff=busy.id)
    factory.sim(tariff=busy.id)
    factory.sim()
    rows = {r["code"]: r for r in session.execute(tariffs.tariff_rows_select()).mappings().all()}
    assert (rows["BUSY"]["sims"], rows["IDLE"]["sims"]) == (2, 0)
    assert rows["IDLE"]["id"] == idle.id and rows["BUSY"]["monthly_fee_kop"] == 50000
    assert {"name", "is_archived", "is_public", "next_fee_period", "created_at"} <= set(
        rows["BUSY"]
    )


# --------------------------------------------------------------------------- add-ons
def new_addon(session, admin, **kw):
    fields = {"code": "night", "name": "Ночь", "price_kop": 9900, "period_days": 30}
    fields.update(kw)
    view = tariffs.create_addon(session, admin, **fields)
    session.commit()
    return view


def test_addon_create_edit_archive_delete(session, factory, admin):
    view = new_addon(session, admin, description="01:00–07:00")
    assert (view.code, view.price_kop, view.period_days, view.bought, view.active) == (
        "NIGHT",
        9900,
        30,
        0,
        0,
    )
    [created] = audits(session, "addon.create")
    assert json.loads(created.after)["price_kop"] == 9900

    view = tariffs.update_addon(
        session, admin, view.id, name="Ночной безлимит", price_kop=12900, period_days=7
    )
    session.commit()
    assert (view.name, view.price_kop, view.period_days, view.description) == (
        "Ночной безлимит",
        12900,
        7,
        "",
    )
    [updated] = audits(session, "addon.update")
    assert json.loads(updated.before) == {
        "name": "Ночь",
        "price_kop": 9900,
        "period_days": 30,
        "description": "01:00–07:00",
    }

    sub = factory.subscriber()
    sim = factory.sim(sub, balance_kop=50000)
    assert view.id in {o.id for o in addons.catalogue(session, sub, sim.id)}
    tariffs.archive_addon(session, admin, view.id)
    session.commit()
    assert view.id not in {o.id for o in addons.catalogue(session, sub, sim.id)}
    tariffs.unarchive_addon(session, admin, view.id)
    session.commit()
    addons.buy(session, sub, sim.id, view.id)
    session.commit()
    assert tariffs.get_addon(session, admin, view.id).bought == 1
    assert tariffs.get_addon(session, admin, view.id).active == 1
    assert [len(audits(session, a)) for a in ("addon.archive", "addon.unarchive")] == [1, 1]

    with pytest.raises(DomainError) as err:
        tariffs.delete_addon(session, admin, view.id)
    assert (err.value.code, err.value.params) == (
        "admin_catalogue.error.addon_in_use",
        {"count": 1},
    )
    assert session.get(AddonService, view.id) is not None

    unsold = new_addon(session, admin, code="ip")
    tariffs.delete_addon(session, admin, unsold.id)
    session.commit()
    assert session.get(AddonService, unsold.id) is None
    [deleted] = audits(session, "addon.delete")
    assert json.loads(deleted.before)["code"] == "IP"

    rows = {r["code"]: r for r in session.execute(tariffs.addon_rows_select()).mappings()}
    assert rows["NIGHT"]["active"] == 1 and set(rows) == {"NIGHT"}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("code", "!", "admin_catalogue.error.code"),
        ("name", "", "error.required"),
        ("price_kop", -100, "admin_catalogue.error.fee"),
        ("period_days", 0, "admin_catalogue.error.period_days"),
        ("period_days", 367, "admin_catalogue.error.period_days"),
    ],
)
def test_bad_addon_data_is_refused(session, admin, field, value, code):
    with pytest.raises(ValidationError) as err:
        new_addon(session, admin, **{field: value})
    assert (err.value.code, err.value.field) == (code, field)
    session.rollback()
    assert not session.exec(select(AddonService)).all()


def test_addon_code_taken_and_support_refused(session, factory, admin):
    addon = new_addon(session, admin)
    with pytest.raises(ValidationError) as err:
        new_addon(session, admin, code="Night")
    assert err.value.code == "admin_catalogue.error.code_taken"
    support = factory.support()
    for call in (
        lambda: tariffs.get_addon(session, support, addon.id),
        lambda: tariffs.create_addon(session, support, code="zz", name="Z", price_kop=1),
        lambda: tariffs.update_addon(session, support, addon.id, name="Z", price_kop=1),
        lambda: tariffs.archive_addon(session, support, addon.id),
        lambda: tariffs.unarchive_addon(session, support, addon.id),
        lambda: tariffs.delete_addon(session, support, addon.id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert session.get(AddonService, addon.id).name == "Ночь"
    assert not session.exec(select(AuditLog).where(AuditLog.actor_user_id == support.user_id)).all()
