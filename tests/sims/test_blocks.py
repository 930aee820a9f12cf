"""The blocking queue: an admin blocks a SIM and lifts the block (back to the status before it,
suspended when the balance is negative), owners' unblock requests approved and rejected, the
refusals, the audit trail and the read side (detail DTO, list SELECTs)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from paysim_app.billing import ledger
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.models import AuditLog, Block, Sim, UnblockRequest, User
from paysim_app.sims import blocks, own_sims
from tests.money_helpers import assert_ledger_consistent, emails, notifications
from tests.sims.test_activations import admin_with


@pytest.fixture
def world(factory):
    tariff = factory.tariff("Оптимум", fee_kop=65000)
    alice = factory.subscriber("alice@example.ru", full_name="Алиса Кузнецова")
    dealer = factory.partner("Связь-Маркет")
    return {
        "tariff": tariff,
        "alice": alice,
        "dealer": dealer,
        "admin": factory.superadmin(),
        "sim": factory.sim(alice, tariff=tariff, partner=dealer, balance_kop=30000),
    }


def fresh(session, model, pk):
    session.expire_all()
    return session.get(model, pk)


def audit_rows(session, action: str | None = None) -> list[AuditLog]:
    session.expire_all()
    query = select(AuditLog).where(AuditLog.action != "admin.create").order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    return list(session.exec(query).all())


def owner_blocks_and_asks(session, world, comment="нашлась") -> tuple[int, int]:
    """The subscriber blocks a lost SIM and later asks to unblock it."""
    block_id = own_sims.block_sim(session, world["alice"], world["sim"].id, "lost")
    request_id = own_sims.request_unblock(session, world["alice"], world["sim"].id, comment)
    session.commit()
    return block_id, request_id


# -- block -----------------------------------------------------------------------------------


def test_an_admin_blocks_a_sim_with_a_reason_and_the_owner_is_told(session, world):
    sim = world["sim"]
    block_id = blocks.block_sim(
        session, world["admin"], sim.id, "fraud", "  подозрительный трафик "
    )
    session.commit()
    row = fresh(session, Sim, sim.id)
    assert (row.status, row.status_before_block) == ("blocked", "active")
    block = session.get(Block, block_id)
    assert (block.reason, block.comment, block.previous_status, block.blocked_by_user_id) == (
        "fraud",
        "подозрительный трафик",
        "active",
        world["admin"].user_id,
    )
    notes = notifications(session, world["alice"], "sim_blocked")
    assert len(notes) == 1 and "подозрение на мошенничество" in notes[0].body
    assert emails(session, to="alice@example.ru", kind="sim_blocked")
    (entry,) = audit_rows(session)
    assert (entry.action, entry.entity, entry.entity_id) == ("sim.block", "sim", str(sim.id))
    assert '"fraud"' in entry.after and '"active"' in entry.before


def test_the_reason_is_told_in_the_owners_language(session, factory, world):
    bob = factory.subscriber("bob@example.ru")
    session.get(User, bob.user_id).locale = "en"
    session.commit()
    bob_sim = factory.sim(bob, tariff=world["tariff"])
    blocks.block_sim(session, world["admin"], bob_sim.id, "stolen")
    session.commit()
    (note,) = notifications(session, bob, "sim_blocked")
    assert "stolen" in note.body and "is blocked" in note.title


def test_block_refusals_change_nothing(session, factory, world):
    sim = world["sim"]
    admin = world["admin"]
    with pytest.raises(ValidationError) as err:
        blocks.block_sim(session, admin, sim.id, "boredom")
    assert err.value.code == "admin_queues.error.block_reason"
    with pytest.raises(ValidationError):
        blocks.block_sim(session, admin, sim.id, "admin", "x" * 501)
    with pytest.raises(NotFound):
        blocks.block_sim(session, admin, 999999, "admin")
    session.rollback()
    gone = factory.sim(world["alice"], status="deactivated")
    with pytest.raises(DomainError) as err:
        blocks.block_sim(session, admin, gone.id, "admin")
    assert err.value.code == "admin_queues.error.not_blockable"
    session.rollback()
    blocks.block_sim(session, admin, sim.id, "debt")
    session.commit()
    with pytest.raises(DomainError):
        blocks.block_sim(session, admin, sim.id, "admin")  # already blocked
    session.rollback()
    assert len(session.exec(select(Block)).all()) == 1
    assert [r.action for r in audit_rows(session)] == ["sim.block"]


def test_a_sim_in_stock_can_be_blocked_and_returns_to_stock(session, factory, world):
    stock = factory.sim(None, partner=world["dealer"])
    block_id = blocks.block_sim(session, world["admin"], stock.id, "stolen", "коробка украдена")
    session.commit()
    assert fresh(session, Sim, stock.id).status == "blocked"
    assert blocks.lift_block(session, world["admin"], block_id) == "in_stock"
    session.commit()
    assert fresh(session, Sim, stock.id).status == "in_stock"


# -- lift ------------------------------------------------------------------------------------


def test_lifting_returns_the_sim_to_its_previous_status(session, world):
    sim = world["sim"]
    block_id = blocks.block_sim(session, world["admin"], sim.id, "admin")
    session.commit()
    assert blocks.lift_block(session, world["admin"], block_id) == "active"
    session.commit()
    row = fresh(session, Sim, sim.id)
    assert (row.status, row.status_before_block) == ("active", None)
    block = session.get(Block, block_id)
    assert block.lifted_at is not None and block.lifted_by_user_id == world["admin"].user_id
    assert len(notifications(session, world["alice"], "sim_unblocked")) == 1
    assert [r.action for r in audit_rows(session)] == ["sim.block", "sim.unblock"]
    with pytest.raises(DomainError) as err:
        blocks.lift_block(session, world["admin"], block_id)
    assert err.value.code == "admin_queues.error.block_lifted"


def test_a_sim_with_a_negative_balance_returns_suspended(session, factory, world):
    # blocked while active, and the balance went below zero (a fee written before the block)
    sim = factory.sim(world["alice"], tariff=world["tariff"], balance_kop=-15000)
    block_id = blocks.block_sim(session, world["admin"], sim.id, "fraud")
    session.commit()
    assert fresh(session, Block, block_id).previous_status == "active"
    assert blocks.lift_block(session, world["admin"], block_id) == "suspended"
    session.commit()
    assert fresh(session, Sim, sim.id).status == "suspended"


def test_a_suspended_sim_whose_debt_was_paid_during_the_block_returns_active(
    session, factory, world
):
    sim = factory.sim(
        world["alice"], tariff=world["tariff"], status="suspended", balance_kop=-15000
    )
    block_id = blocks.block_sim(session, world["admin"], sim.id, "lost")
    session.commit()
    # a top-up during the block (still possible) pays the debt
    ledger.post(session, ledger.Posting(sim.id, "topup", 20000))
    session.commit()
    assert (fresh(session, Sim, sim.id).status, sim.status_before_block) == ("blocked", "active")
    assert blocks.lift_block(session, world["admin"], block_id) == "active"
    session.commit()
    assert_ledger_consistent(session, sim.id)
    assert fresh(session, Sim, sim.id).status == "active"


def test_a_suspended_sim_still_in_debt_returns_suspended(session, factory, world):
    sim = factory.sim(
        world["alice"], tariff=world["tariff"], status="suspended", balance_kop=-15000
    )
    block_id = blocks.block_sim(session, world["admin"], sim.id, "other")
    session.commit()
    assert blocks.block_detail(session, world["admin"], block_id).return_status == "suspended"
    assert blocks.lift_block(session, world["admin"], block_id) == "suspended"


def test_lifting_answers_a_pending_unblock_request(session, world):
    block_id, request_id = owner_blocks_and_asks(session, world)
    blocks.lift_block(session, world["admin"], block_id)
    session.commit()
    request = fresh(session, UnblockRequest, request_id)
    assert (request.status, request.decided_by_user_id) == ("approved", world["admin"].user_id)
    with pytest.raises(DomainError) as err:
        blocks.approve_unblock(session, world["admin"], request_id)
    assert err.value.code == "admin_queues.error.not_pending"


# -- unblock requests ------------------------------------------------------------------------


def test_approving_an_unblock_request_lifts_the_block(session, world):
    block_id, request_id = owner_blocks_and_asks(session, world)
    assert blocks.approve_unblock(session, world["admin"], request_id) == "active"
    session.commit()
    assert fresh(session, Sim, world["sim"].id).status == "active"
    assert fresh(session, Block, block_id).lifted_at is not None
    assert fresh(session, UnblockRequest, request_id).status == "approved"
    assert len(notifications(session, world["alice"], "sim_unblocked")) == 1
    actions = [r.action for r in audit_rows(session)]
    assert actions == ["sim.block", "sim.unblock", "unblock_request.approve"]


@pytest.mark.parametrize("reason", ["", "  ", "x" * 501])
def test_rejecting_an_unblock_request_needs_a_reason(session, world, reason):
    _, request_id = owner_blocks_and_asks(session, world)
    with pytest.raises(ValidationError):
        blocks.reject_unblock(session, world["admin"], request_id, reason)
    session.rollback()
    assert fresh(session, UnblockRequest, request_id).status == "pending"


def test_rejecting_an_unblock_request_keeps_the_block_and_tells_why(session, world):
    block_id, request_id = owner_blocks_and_asks(session, world)
    blocks.reject_unblock(session, world["admin"], request_id, "Пришлите заявление с паспортом")
    session.commit()
    assert fresh(session, UnblockRequest, request_id).status == "rejected"
    assert fresh(session, Sim, world["sim"].id).status == "blocked"
    assert fresh(session, Block, block_id).lifted_at is None
    (note,) = notifications(session, world["alice"], "unblock_rejected")
    assert "Пришлите заявление с паспортом" in note.body
    (entry,) = audit_rows(session, "unblock_request.reject")
    assert "Пришлите заявление с паспортом" in entry.after
    with pytest.raises(DomainError):
        blocks.reject_unblock(session, world["admin"], request_id, "ещё раз")
    session.rollback()
    # the owner may ask again, and this time it is granted
    second = own_sims.request_unblock(session, world["alice"], world["sim"].id, "паспорт приложен")
    session.commit()
    assert blocks.approve_unblock(session, world["admin"], second) == "active"


# -- permissions -----------------------------------------------------------------------------


def test_the_support_operator_and_non_admins_are_refused(session, factory, world):
    block_id, request_id = owner_blocks_and_asks(session, world)
    sim_id = world["sim"].id
    for actor in (factory.support(), world["alice"], world["dealer"].actor):
        for call in (
            lambda a=actor: blocks.block_detail(session, a, block_id),
            lambda a=actor: blocks.block_sim(session, a, sim_id, "admin"),
            lambda a=actor: blocks.lift_block(session, a, block_id),
            lambda a=actor: blocks.approve_unblock(session, a, request_id),
            lambda a=actor: blocks.reject_unblock(session, a, request_id, "нет"),
        ):
            with pytest.raises(PermissionDenied):
                call()
    assert fresh(session, Sim, sim_id).status == "blocked"
    assert fresh(session, UnblockRequest, request_id).status == "pending"
    # only the owner's own block is in the log
    assert [(r.action, r.actor_user_id) for r in audit_rows(session)] == [
        ("sim.block", world["alice"].user_id)
    ]


def test_an_admin_who_may_only_view_blocks_cannot_act(session, world):
    block_id, request_id = owner_blocks_and_asks(session, world)
    viewer = admin_with(session, "blocks.view")
    detail = blocks.block_detail(session, viewer, block_id)
    assert detail.is_active and not detail.can_lift
    for call in (
        lambda: blocks.lift_block(session, viewer, block_id),
        lambda: blocks.approve_unblock(session, viewer, request_id),
        lambda: blocks.reject_unblock(session, viewer, request_id, "нет"),
        lambda: blocks.block_sim(session, viewer, world["sim"].id, "admin"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    # and an activations admin is no blocks admin
    with pytest.raises(PermissionDenied):
        blocks.lift_block(session, admin_with(session, "activations.edit"), block_id)


@pytest.mark.parametrize("bad", [999999, "1", None])
def test_unknown_ids_are_not_found(session, world, bad):
    for call in (
        lambda: blocks.block_detail(session, world["admin"], bad),
        lambda: blocks.lift_block(session, world["admin"], bad),
        lambda: blocks.approve_unblock(session, world["admin"], bad),
        lambda: blocks.reject_unblock(session, world["admin"], bad, "нет"),
    ):
        with pytest.raises(NotFound):
            call()


# -- read side -------------------------------------------------------------------------------


def test_detail_shows_who_blocked_why_and_the_unblock_requests(session, world):
    block_id, request_id = owner_blocks_and_asks(session, world)
    d = blocks.block_detail(session, world["admin"], block_id)
    sim = world["sim"]
    assert (d.msisdn, d.sim_status, d.reason, d.previous_status, d.return_status) == (
        sim.msisdn,
        "blocked",
        "lost",
        "active",
        "active",
    )
    assert (d.blocked_by_role, d.blocked_by_login, d.subscriber_name, d.partner_name) == (
        "subscriber",
        "alice@example.ru",
        "Алиса Кузнецова",
        "Связь-Маркет",
    )
    assert d.is_active and d.can_lift and d.balance_kop == 30000
    (req,) = d.unblock_requests
    assert (req.id, req.status, req.comment, req.requester_login) == (
        request_id,
        "pending",
        "нашлась",
        "alice@example.ru",
    )
    blocks.approve_unblock(session, world["admin"], request_id)
    session.commit()
    after = blocks.block_detail(session, world["admin"], block_id)
    assert not after.is_active and not after.can_lift and after.lifted_by_name == "Админ"
    assert after.unblock_requests[0].decided_by_name == "Админ"


def test_the_list_selects_return_labelled_rows_the_generic_list_can_filter(session, factory, world):
    own_block, request_id = owner_blocks_and_asks(session, world)
    other = factory.sim(world["alice"], tariff=world["tariff"])
    admin_block = blocks.block_sim(session, world["admin"], other.id, "debt", "долг 3 месяца")
    session.commit()
    blocks.lift_block(session, world["admin"], admin_block)
    session.commit()

    stmt = blocks.block_rows_select()
    rows = {r["id"]: r for r in session.execute(stmt).mappings().all()}
    assert set(rows) == {own_block, admin_block}
    mine, theirs = rows[own_block], rows[admin_block]
    assert (mine["status"], mine["blocked_by_role"], mine["unblock_requested"]) == (
        "active",
        "subscriber",
        True,
    )
    assert (theirs["status"], theirs["reason"], theirs["comment"], theirs["lifted_by_name"]) == (
        "lifted",
        "debt",
        "долг 3 месяца",
        "Админ",
    )
    assert not theirs["unblock_requested"] and theirs["blocked_by_role"] == "admin"
    active = session.execute(stmt.where(stmt.selected_columns.status == "active")).all()
    assert [r.id for r in active] == [own_block]

    unblock = blocks.unblock_rows_select()
    (row,) = session.execute(unblock).mappings().all()
    assert (row["id"], row["status"], row["block_id"], row["block_reason"]) == (
        request_id,
        "pending",
        own_block,
        "lost",
    )
    assert (row["requester_login"], row["subscriber_name"], row["comment"]) == (
        "alice@example.ru",
        "Алиса Кузнецова",
        "нашлась",
    )
    pending = session.execute(unblock.where(unblock.selected_columns.status == "pending")).all()
    assert len(pending) == 1
