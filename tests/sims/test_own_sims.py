"""The subscriber's own SIMs: details, the audited PUK, labels, blocking and unblock requests,
and adding a SIM by ICCID and pack code (with the guard against guessing codes)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.models import ActivationRequest, AuditLog, Block, Sim, UnblockRequest
from paysim_app.overview import dashboards
from paysim_app.sims import own_sims


@pytest.fixture
def alice(factory):
    return factory.subscriber("alice@example.ru")


@pytest.fixture
def alice_sim(factory, alice):
    sim = factory.sim(alice, tariff=factory.tariff(fee_kop=40000), balance_kop=12300, label="Дача")
    sim.puk = "12345678"
    factory.session.commit()
    return sim


def test_details_show_the_technical_data_and_apn(session, alice, alice_sim):
    d = own_sims.sim_details(session, alice, alice_sim.id)
    assert (d.iccid, d.imsi, d.msisdn, d.label) == (
        alice_sim.iccid,
        alice_sim.imsi,
        alice_sim.msisdn,
        "Дача",
    )
    assert d.apn["name"] == "internet.paysim" and d.block is None
    assert "puk" not in d.__dict__  # the PUK only comes through reveal_puk


def test_puk_reveal_is_audited(session, alice, alice_sim):
    assert own_sims.reveal_puk(session, alice, alice_sim.id) == "12345678"
    session.commit()
    row = session.exec(select(AuditLog).where(AuditLog.action == "sim.puk_reveal")).one()
    assert (row.actor_user_id, row.entity_id) == (alice.user_id, str(alice_sim.id))


def test_someone_elses_sim_is_refused_everywhere(session, factory, alice_sim):
    bob = factory.subscriber("bob@example.ru")
    for call in (
        lambda: own_sims.sim_details(session, bob, alice_sim.id),
        lambda: own_sims.reveal_puk(session, bob, alice_sim.id),
        lambda: own_sims.set_label(session, bob, alice_sim.id, "mine"),
        lambda: own_sims.block_sim(session, bob, alice_sim.id, "stolen"),
        lambda: own_sims.request_unblock(session, bob, alice_sim.id),
        lambda: dashboards.sim_dashboard(session, bob, alice_sim.id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert not session.exec(select(AuditLog)).all()


def test_label_is_trimmed_and_limited(session, alice, alice_sim):
    own_sims.set_label(session, alice, alice_sim.id, "  Дом  ")
    assert session.get(Sim, alice_sim.id).label == "Дом"
    with pytest.raises(ValidationError):
        own_sims.set_label(session, alice, alice_sim.id, "x" * 41)


def test_block_then_ask_to_unblock_once(session, alice, alice_sim):
    block_id = own_sims.block_sim(session, alice, alice_sim.id, "lost", "в такси")
    session.commit()
    sim = session.get(Sim, alice_sim.id)
    assert (sim.status, sim.status_before_block) == ("blocked", "active")
    block = session.get(Block, block_id)
    assert (block.reason, block.comment, block.previous_status) == ("lost", "в такси", "active")
    with pytest.raises(DomainError):
        own_sims.block_sim(session, alice, alice_sim.id, "stolen")  # already blocked
    own_sims.request_unblock(session, alice, alice_sim.id, "нашлась")
    session.commit()
    with pytest.raises(DomainError) as twice:
        own_sims.request_unblock(session, alice, alice_sim.id)
    assert twice.value.code == "sims.error.unblock_pending"
    assert len(session.exec(select(UnblockRequest)).all()) == 1
    d = own_sims.sim_details(session, alice, alice_sim.id)
    assert d.block.reason == "lost" and d.block.unblock_requested


def test_block_refuses_bad_reasons_and_unblockable_sims(session, factory, alice, alice_sim):
    with pytest.raises(ValidationError):
        own_sims.block_sim(session, alice, alice_sim.id, "fraud")  # the operator's reason, not ours
    with pytest.raises(ValidationError):
        own_sims.block_sim(session, alice, alice_sim.id, "lost", "x" * 501)
    gone = factory.sim(alice, status="deactivated")
    with pytest.raises(DomainError):
        own_sims.block_sim(session, alice, gone.id, "lost")
    with pytest.raises(DomainError):
        own_sims.request_unblock(session, alice, alice_sim.id)  # not blocked
    assert session.get(Sim, alice_sim.id).status == "active"


def test_claim_a_sim_from_the_shop(session, factory, alice):
    stock = factory.sim(None)
    stock.activation_code_hash = own_sims.activation_code_hash("AB12-CD34")
    session.commit()
    request_id = own_sims.claim_sim(session, alice, stock.iccid, "ab12 cd34")
    session.commit()
    request = session.get(ActivationRequest, request_id)
    assert (request.subscriber_id, request.status) == (alice.subscriber_id, "pending")
    assert session.get(Sim, stock.id).status == "awaiting_activation"
    assert [r.kind for r in own_sims.open_requests(session, alice)] == ["activation"]
    with pytest.raises(DomainError):
        own_sims.claim_sim(session, alice, stock.iccid, "AB12-CD34")  # no longer in stock


def test_claim_refusals_and_the_guessing_lock(session, factory, alice):
    stock = factory.sim(None)
    stock.activation_code_hash = own_sims.activation_code_hash("RIGHT1")
    session.commit()
    with pytest.raises(ValidationError):
        own_sims.claim_sim(session, alice, "1234", "RIGHT1")
    with pytest.raises(ValidationError):
        own_sims.claim_sim(
            session, alice, stock.iccid[:-1] + str((int(stock.iccid[-1]) + 1) % 10), "RIGHT1"
        )  # a wrong Luhn digit
    with pytest.raises(ValidationError):
        own_sims.claim_sim(session, alice, stock.iccid, "<script>")
    for _ in range(own_sims.CLAIM_MAX_FAILURES):
        with pytest.raises(DomainError) as wrong:
            own_sims.claim_sim(session, alice, stock.iccid, "WRONG1")
        assert wrong.value.code == "sims.error.claim_refused"
    with pytest.raises(DomainError) as locked:
        own_sims.claim_sim(session, alice, stock.iccid, "RIGHT1")  # right code, but locked now
    assert locked.value.code == "sims.error.claim_locked"
    assert session.get(Sim, stock.id).status == "in_stock"


def test_dashboard_of_a_suspended_and_of_a_blocked_sim(session, factory, alice):
    tariff = factory.tariff(fee_kop=50000, data_gb=30, speed_mbps=50)
    owing = factory.sim(alice, tariff=tariff, status="suspended", balance_kop=-7000)
    b = dashboards.sim_dashboard(session, alice, owing.id)
    assert (b.sim.status, b.sim.balance_kop, b.tariff_data_gb, b.tariff_speed_mbps) == (
        "suspended",
        -7000,
        30,
        50,
    )
    assert b.last_lines and b.last_lines[0].amount_kop == -7000
    assert not b.autopay_enabled and b.runway_until is not None
    own_sims.block_sim(session, alice, owing.id, "stolen")
    session.commit()
    b = dashboards.sim_dashboard(session, alice, owing.id)
    assert b.block_reason == "stolen" and b.blocked_at is not None and not b.unblock_requested
