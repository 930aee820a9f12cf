"""The partner cabinet: its lists show only the acting partner's rows, selling a SIM files an
activation request (audited, the SIM waits), bad customer data gets field errors, and nobody
but a partner user gets in."""

from __future__ import annotations

import pytest
from sqlmodel import select

from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.models import ActivationRequest, AuditLog, Sim
from paysim_app.overview import list_export
from paysim_app.partners import cabinet
from paysim_app.partners.cabinet import (
    PARTNER_REQUEST_LIST,
    PARTNER_SIM_LIST,
    PARTNER_SUBSCRIBER_LIST,
    SaleForm,
)
from paysim_app.sims import activations

SPECS = (PARTNER_SIM_LIST, PARTNER_SUBSCRIBER_LIST, PARTNER_REQUEST_LIST)


@pytest.fixture
def world(session, factory):
    tariff = factory.tariff("Домашний", 60000)
    mine, rival = factory.partner("Связь-Сервис"), factory.partner("Конкурент")
    alice = factory.subscriber(full_name="Алиса Смирнова")
    bob = factory.subscriber(full_name="Борис Котов")
    return {
        "tariff": tariff,
        "mine": mine,
        "rival": rival,
        "my_stock": factory.sim(None, partner=mine, tariff=tariff),
        "my_active": factory.sim(alice, partner=mine, tariff=tariff, balance_kop=12300),
        "rival_stock": factory.sim(None, partner=rival, tariff=tariff),
        "rival_active": factory.sim(bob, partner=rival, tariff=tariff),
        "nobody": factory.sim(None, tariff=tariff),
    }


def _form(world, **kw) -> SaleForm:
    values = {
        "customer_name": "Пётр  Иванов",
        "phone": "8 (903) 123-45-67",
        "email": "Petr@Example.RU",
        "document": "4510123456",
        "tariff_id": str(world["tariff"].id),
        "consent": True,  # the customer's signed consent (accounts.consent)
    }
    return SaleForm(**{**values, **kw})


def _ids(session, actor, spec, **filters) -> set[int]:
    page = fetch_page(session, actor, spec, ListQuery(filters=filters, page_size=100))
    return {row["id"] for row in page.rows}


# -- lists -------------------------------------------------------------------------------------
def test_the_sim_list_holds_only_the_partners_own_sims(session, world):
    me = world["mine"].actor
    assert _ids(session, me, PARTNER_SIM_LIST) == {world["my_stock"].id, world["my_active"].id}
    assert _ids(session, world["rival"].actor, PARTNER_SIM_LIST) == {
        world["rival_stock"].id,
        world["rival_active"].id,
    }
    assert _ids(session, me, PARTNER_SIM_LIST, status="active") == {world["my_active"].id}
    # a search for the rival's number finds nothing in my list
    page = fetch_page(session, me, PARTNER_SIM_LIST, ListQuery(search=world["rival_stock"].msisdn))
    assert page.rows == []
    row = fetch_page(session, me, PARTNER_SIM_LIST, ListQuery(search="Алиса")).rows[0]
    assert (row["subscriber"], row["tariff"], row["balance_kop"]) == (
        "Алиса Смирнова",
        "Домашний",
        12300,
    )


def test_the_activation_period_filter(session, world):
    me = world["mine"].actor
    assert _ids(session, me, PARTNER_SIM_LIST, activated_from="2000-01-01") == {
        world["my_active"].id
    }
    assert _ids(session, me, PARTNER_SIM_LIST, activated_to="2000-01-01") == set()
    with pytest.raises(ValidationError):
        _ids(session, me, PARTNER_SIM_LIST, activated_from="yesterday")


def test_the_subscriber_list_shows_only_its_subscribers_without_cards(session, world):
    rows = fetch_page(session, world["mine"].actor, PARTNER_SUBSCRIBER_LIST, ListQuery()).rows
    assert [r["name"] for r in rows] == ["Алиса Смирнова"]
    assert set(rows[0]) == {
        "id",
        "subscriber_id",
        "contract_no",
        "name",
        "contract_status",
        "msisdn",
        "status",
        "balance_kop",
        "tariff",
    }
    rival_rows = fetch_page(session, world["rival"].actor, PARTNER_SUBSCRIBER_LIST, ListQuery())
    assert [r["name"] for r in rival_rows.rows] == ["Борис Котов"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_admins_subscribers_and_a_partnerless_user_are_refused(session, factory, world, spec):
    orphan = world["mine"].actor.__class__(
        user_id=world["mine"].actor.user_id, role="partner", partner_id=None
    )
    for actor in (factory.superadmin(), factory.subscriber(), orphan, None):
        with pytest.raises(PermissionDenied):
            fetch_page(session, actor, spec, ListQuery())
        with pytest.raises(PermissionDenied):
            spec.check(actor)
    # the SELECT itself refuses to run unscoped
    with pytest.raises(PermissionDenied):
        spec.columns(orphan)


def test_the_partner_lists_are_exportable_and_scoped(session, world):
    specs = list_export.lists()
    assert specs["partner_sims"] is PARTNER_SIM_LIST
    text = "".join(
        list_export.csv_chunks(session, world["mine"].actor, PARTNER_SIM_LIST, ListQuery(), "en")
    )
    assert world["my_stock"].iccid in text and world["rival_stock"].iccid not in text


# -- selling ----------------------------------------------------------------------------------------
def test_selling_an_in_stock_sim_files_a_request_and_the_admin_approves_it(session, factory, world):
    me = world["mine"].actor
    sim = world["my_stock"]
    result = cabinet.sell_sim(session, me, sim.id, _form(world))
    session.commit()
    request = session.get(ActivationRequest, result.request_id)
    assert (
        request.status,
        request.partner_id,
        request.requester_user_id,
        request.customer_name,
        request.customer_phone,
        request.customer_email,
        request.customer_document,
        request.tariff_id,
    ) == (
        "pending",
        world["mine"].partner.id,
        me.user_id,
        "Пётр Иванов",
        "+79031234567",
        "petr@example.ru",
        "4510 123456",
        world["tariff"].id,
    )
    session.refresh(sim)
    assert sim.status == "awaiting_activation"
    entry = session.exec(
        select(AuditLog).where(
            AuditLog.action == "activation.request", AuditLog.entity_id == str(request.id)
        )
    ).one()
    assert entry.actor_user_id == me.user_id
    assert cabinet.open_requests(session, me) == 1
    assert cabinet.open_requests(session, world["rival"].actor) == 0
    # the request is in my list only
    assert _ids(session, me, PARTNER_REQUEST_LIST) == {request.id}
    assert _ids(session, world["rival"].actor, PARTNER_REQUEST_LIST) == set()
    # the admin approves: a contract for the customer, the SIM active on my subscriber list
    activations.approve_activation(session, factory.superadmin(), request.id)
    session.commit()
    names = {
        r["name"]
        for r in fetch_page(session, me, PARTNER_SUBSCRIBER_LIST, ListQuery(page_size=100)).rows
    }
    assert names == {"Алиса Смирнова", "Пётр Иванов"}
    assert _ids(session, me, PARTNER_SIM_LIST, status="active") == {
        world["my_active"].id,
        sim.id,
    }


def test_another_partners_sim_or_one_without_a_partner_cannot_be_sold(session, world):
    me = world["mine"].actor
    for sim in (world["rival_stock"], world["nobody"]):
        with pytest.raises(PermissionDenied):
            cabinet.sell_sim(session, me, sim.id, _form(world))
        session.rollback()
        assert session.get(Sim, sim.id).status == "in_stock"
    for bad_id in (10**9, "1", None, True):
        with pytest.raises(PermissionDenied):
            cabinet.sell_sim(session, me, bad_id, _form(world))
        session.rollback()
    assert session.exec(select(ActivationRequest)).all() == []


def test_a_sim_that_is_not_in_stock_cannot_be_sold(session, factory, world):
    me = world["mine"].actor
    with pytest.raises(DomainError) as err:
        cabinet.sell_sim(session, me, world["my_active"].id, _form(world))
    assert err.value.code == "partner_cabinet.error.not_in_stock"
    session.rollback()
    cabinet.sell_sim(session, me, world["my_stock"].id, _form(world))
    session.commit()
    with pytest.raises(DomainError) as err:  # sold once: it is waiting now
        cabinet.sell_sim(session, me, world["my_stock"].id, _form(world))
    assert err.value.code == "partner_cabinet.error.not_in_stock"
    blocked = factory.sim(None, partner=world["mine"], status="blocked")
    with pytest.raises(DomainError):
        cabinet.sell_sim(session, me, blocked.id, _form(world))


def test_only_a_partner_user_may_sell(session, factory, world):
    for actor in (factory.superadmin(), factory.subscriber(), None):
        with pytest.raises(PermissionDenied):
            cabinet.sell_sim(session, actor, world["my_stock"].id, _form(world))
        with pytest.raises(PermissionDenied):
            cabinet.stock_sims(session, actor)
        with pytest.raises(PermissionDenied):
            cabinet.sale_tariffs(session, actor)
        with pytest.raises(PermissionDenied):
            cabinet.open_requests(session, actor)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("customer_name", " ", "partner_cabinet.error.name"),
        ("customer_name", "Я" * 201, "partner_cabinet.error.name_long"),
        ("phone", "12345", "partner_cabinet.error.phone"),
        ("phone", "", "partner_cabinet.error.phone"),
        ("email", "not-an-email", "partner_cabinet.error.email"),
        ("document", "12", "partner_cabinet.error.document"),
        ("document", "45 10 №123456", "partner_cabinet.error.document"),
        ("document", "X" * 21, "partner_cabinet.error.document"),
        ("tariff_id", "", "partner_cabinet.error.tariff"),
        ("tariff_id", "999999", "partner_cabinet.error.tariff"),
    ],
)
def test_bad_customer_data_gets_a_field_error_and_changes_nothing(
    session, world, field, value, code
):
    with pytest.raises(ValidationError) as err:
        cabinet.sell_sim(
            session, world["mine"].actor, world["my_stock"].id, _form(world, **{field: value})
        )
    assert (err.value.code, err.value.field) == (code, field)
    session.rollback()
    assert session.get(Sim, world["my_stock"].id).status == "in_stock"
    assert session.exec(select(ActivationRequest)).all() == []


def test_archived_or_hidden_tariffs_cannot_be_sold(session, factory, world):
    archived = factory.tariff("Старый", is_archived=True)
    hidden = factory.tariff("Корпоративный", is_public=False)
    offered = {t.id for t in cabinet.sale_tariffs(session, world["mine"].actor)}
    assert world["tariff"].id in offered and not offered & {archived.id, hidden.id}
    for tariff in (archived, hidden):
        with pytest.raises(ValidationError):
            cabinet.sell_sim(
                session,
                world["mine"].actor,
                world["my_stock"].id,
                _form(world, tariff_id=str(tariff.id)),
            )
        session.rollback()


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("4510 123456", "4510 123456"),
        ("45 10 123-456", "4510 123456"),
        ("ab1234567", "AB1234567"),
        ("I-МЮ 123456", "IМЮ123456"),
    ],
)
def test_document_numbers_are_normalised(raw, stored):
    assert cabinet.normalise_document(raw) == stored


def test_stock_sims_offers_only_its_own_in_stock_sims(session, world):
    me = world["mine"].actor
    assert [s.id for s in cabinet.stock_sims(session, me)] == [world["my_stock"].id]
    assert cabinet.stock_sims(session, me, world["rival_stock"].msisdn) == []


# -- cancelling --------------------------------------------------------------------------------------
def test_the_partner_cancels_its_own_request_and_not_anothers(session, factory, world):
    me, rival = world["mine"].actor, world["rival"].actor
    result = cabinet.sell_sim(session, me, world["my_stock"].id, _form(world))
    session.commit()
    for actor in (rival, factory.subscriber(), factory.superadmin()):
        with pytest.raises(PermissionDenied):
            cabinet.cancel_request(session, actor, result.request_id)
        session.rollback()
    assert session.get(ActivationRequest, result.request_id).status == "pending"
    cabinet.cancel_request(session, me, result.request_id)
    session.commit()
    assert session.get(ActivationRequest, result.request_id).status == "cancelled"
    assert session.get(Sim, world["my_stock"].id).status == "in_stock"
    with pytest.raises(DomainError):  # only a pending one
        cabinet.cancel_request(session, me, result.request_id)


def test_a_walk_in_sale_needs_the_customers_consent_and_records_it(session, world):
    from paysim_app.models import ConsentRecord

    partner, sim = world["mine"], world["my_stock"]
    with pytest.raises(ValidationError) as err:
        cabinet.sell_sim(session, partner.actor, sim.id, _form(world, consent=False))
    assert (err.value.code, err.value.field) == ("consent.counter_required", "consent")
    session.rollback()
    assert session.get(Sim, sim.id).status == "in_stock"
    sale = cabinet.sell_sim(session, partner.actor, sim.id, _form(world))
    session.commit()
    rows = session.exec(select(ConsentRecord).where(ConsentRecord.source == "dealer_sale")).all()
    assert sorted((r.doc, r.source, r.reference) for r in rows) == [
        ("personal_data", "dealer_sale", f"activation_request:{sale.request_id}"),
        ("terms", "dealer_sale", f"activation_request:{sale.request_id}"),
    ]


def test_the_counter_consent_becomes_the_new_accounts_on_approval(session, world, factory):
    from paysim_app.accounts import identity
    from paysim_app.models import ConsentRecord, User

    partner, sim = world["mine"], world["my_stock"]
    sale = cabinet.sell_sim(session, partner.actor, sim.id, _form(world))
    session.commit()
    activations.approve_activation(session, factory.superadmin(), sale.request_id)
    session.commit()
    user = session.exec(select(User).where(User.email == "petr@example.ru")).one()
    rows = session.exec(select(ConsentRecord).where(ConsentRecord.user_id == user.id)).all()
    assert {(r.doc, r.source) for r in rows} == {
        ("personal_data", "dealer_sale"),
        ("terms", "dealer_sale"),
    }
    assert not identity.actor_for(session, user).consent_due
