"""Fiscalisation through ATOL Online v4 (fiscal.atol over httpx) against a local fake of its API
(tests/billing/fake_atol.py), driven by the fiscal job (receipts.send_pending): registered at
once, pending then done, refused by the provider, the provider down (tried later, never lost),
an answer lost on the way (sent again under the same external id: registered once), an expired
token; and the sandbox's deterministic fiscal data."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from paysim_app.billing import payments, receipts
from paysim_app.fiscal import FiscalDocument, FiscalUnavailable
from paysim_app.fiscal.atol import AtolFiscal, document_body
from paysim_app.fiscal.sandbox import SandboxFiscal
from paysim_app.models import Sim
from paysim_app.models.billing import Receipt
from paysim_app.payments import ChargeResult
from tests.billing.fake_atol import FakeAtol
from tests.money_helpers import GW

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
_keys = itertools.count(1)


def pay(session, sim: Sim, amount: int = 50000) -> int:
    key = f"atol-test-{next(_keys)}"
    payment = payments.new_payment(
        session, sim=sim, amount_kop=amount, method="card", idempotency_key=key, gateway=GW.name
    )
    pid = payment.id
    session.commit()
    payments.settle(session, [(pid, ChargeResult("succeeded", f"pi_{key}", None))])
    session.commit()
    return pid


def receipt_of(session, pid: int) -> Receipt:
    session.expire_all()
    return session.exec(select(Receipt).where(Receipt.payment_id == pid)).one()


def run(session, provider, minutes: float = 0) -> dict[str, int]:
    """The fiscal job, `minutes` after T0."""
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        return receipts.send_pending(session, provider)


@pytest.fixture
def fake():
    with FakeAtol() as server:
        yield server


@pytest.fixture
def atol(fake):
    return AtolFiscal(
        login=fake.login, password=fake.password, group_code=fake.group, api_base=fake.url
    )


@pytest.fixture
def paid(session, factory):
    sub = factory.subscriber(login="buyer@example.ru")
    sim = factory.sim(sub)
    with time_machine.travel(T0 - timedelta(minutes=1), tick=False):
        pid = pay(session, sim)
    return {"pid": pid, "sim": sim}


def test_a_receipt_is_handed_over_then_registered_with_its_fiscal_data(session, fake, atol, paid):
    pid = paid["pid"]
    counts = run(session, atol)
    assert counts["waiting"] == 1
    receipt = receipt_of(session, pid)
    [sell] = fake.calls("POST", "/sell")
    assert receipt.status == "pending" and receipt.provider == "atol"
    assert receipt.provider_uuid == fake.documents[f"paysim-sell-{pid}"]["uuid"]
    # what went over the wire: ATOL v4's sell document, with the token ATOL gave
    body = sell[2]
    assert sell[3] and fake.calls("POST", "/getToken")
    assert body["external_id"] == f"paysim-sell-{pid}"
    item = body["receipt"]["items"][0]
    assert item["name"].startswith("Оплата услуг связи, номер +7")
    assert paid["sim"].iccid in item["name"]
    assert (item["price"], item["sum"], item["payment_object"]) == (500.0, 500.0, "service")
    assert item["vat"] == {"type": "vat22", "sum": 90.16}
    assert body["receipt"]["payments"] == [{"type": 1, "sum": 500.0}]
    assert body["receipt"]["client"] == {"email": "buyer@example.ru"}
    assert body["receipt"]["company"]["inn"] == "7701234560"
    assert body["timestamp"] == "06.12.2026 11:59:00"  # Moscow time
    # not asked again before it is due
    assert run(session, atol, 0.2)["waiting"] == 0
    counts = run(session, atol, 1)
    assert counts["registered"] == 1
    receipt = receipt_of(session, pid)
    assert receipt.status == "registered"
    assert (receipt.fn_number, receipt.fd_number, receipt.fpd) == (
        "9287440300077777",
        "101",
        "3026455760",
    )
    assert receipt.ecr_number == "0000111122223333"
    assert receipt.fiscal_at == datetime(2026, 12, 6, 8, 59, tzinfo=UTC)
    assert len(fake.calls("POST", "/sell")) == 1
    assert run(session, atol, 5) == {
        "queued": 0,
        "registered": 0,
        "failed": 0,
        "waiting": 0,
        "unavailable": 0,
    }


def test_a_receipt_still_being_registered_is_asked_for_until_done(session, fake, atol, paid):
    fake.waits = 2
    run(session, atol)
    assert run(session, atol, 1)["waiting"] == 1
    assert run(session, atol, 2)["waiting"] == 1
    assert run(session, atol, 3)["registered"] == 1
    assert receipt_of(session, paid["pid"]).attempts == 4
    assert len(fake.calls("POST", "/sell")) == 1
    assert len(fake.calls("GET", "/report/" + receipt_of(session, paid["pid"]).provider_uuid)) == 3


def test_a_receipt_the_provider_refuses_fails_with_its_reason(session, fake, atol, paid):
    fake.refuse_next(32, "Ошибка валидации JSON")
    assert run(session, atol)["failed"] == 1
    receipt = receipt_of(session, paid["pid"])
    assert receipt.status == "failed"
    assert receipt.last_error == "32: Ошибка валидации JSON"
    assert run(session, atol, 10)["failed"] == 0  # a failed receipt is not sent again
    assert len(fake.calls("POST", "/sell")) == 1


def test_a_provider_that_is_down_leaves_the_receipt_pending_for_a_later_run(
    session, fake, atol, paid
):
    fake.down = True
    assert run(session, atol)["unavailable"] == 1
    receipt = receipt_of(session, paid["pid"])
    assert (receipt.status, receipt.attempts) == ("pending", 1)
    assert "503" in receipt.last_error
    assert receipt.next_attempt_at == T0 + timedelta(minutes=1)
    assert run(session, atol, 3)["unavailable"] == 1  # still down: waits longer
    assert receipt_of(session, paid["pid"]).next_attempt_at == T0 + timedelta(minutes=5)
    requests = len(fake.requests)
    assert run(session, atol, 4)["unavailable"] == 0  # not due yet: not even asked
    assert len(fake.requests) == requests
    fake.down = False
    assert run(session, atol, 5)["waiting"] == 1
    assert run(session, atol, 6)["registered"] == 1
    assert [ext for ext in fake.documents] == [f"paysim-sell-{paid['pid']}"]


def test_a_provider_that_cannot_be_reached_at_all_is_unavailable(session, paid):
    with FakeAtol() as gone:
        url = gone.url
    provider = AtolFiscal(login="x", password="y", group_code="g", api_base=url)
    assert run(session, provider)["unavailable"] == 1
    assert receipt_of(session, paid["pid"]).status == "pending"


def test_an_answer_lost_on_the_way_never_registers_the_receipt_twice(session, fake, atol, paid):
    atol._get_token()
    fake.drop_next()  # ATOL takes the document, its answer never arrives
    assert run(session, atol)["unavailable"] == 1
    assert receipt_of(session, paid["pid"]).provider_uuid == ""
    assert len(fake.documents) == 1
    # sent again under the same external id: ATOL answers 33 with the first document's uuid
    assert run(session, atol, 2)["registered"] == 1
    receipt = receipt_of(session, paid["pid"])
    [document] = fake.documents.values()
    assert receipt.provider_uuid == document["uuid"] and receipt.status == "registered"
    assert len(fake.calls("POST", "/sell")) == 2 and len(fake.documents) == 1


def test_an_expired_token_is_fetched_again(session, fake, atol, paid):
    run(session, atol)
    fake.expire_token()
    assert run(session, atol, 1)["registered"] == 1
    assert len(fake.calls("POST", "/getToken")) == 2


def test_wrong_credentials_leave_receipts_pending(session, fake, paid):
    wrong = AtolFiscal(
        login="paysim-test", password="nope", group_code=fake.group, api_base=fake.url
    )
    assert run(session, wrong)["unavailable"] == 1
    receipt = receipt_of(session, paid["pid"])
    assert receipt.status == "pending" and "12" in receipt.last_error
    assert fake.calls("POST", "/sell") == []


def test_a_refund_receipt_is_a_sell_refund(session, fake, atol, paid):
    from paysim_app.models import Payment
    from paysim_app.payments import GatewayEvent, GatewayRefund

    payment = session.get(Payment, paid["pid"])
    payments.apply_event(
        session,
        GatewayEvent(
            event_id="evt_refund_atol",
            kind="refunded",
            payment_key=payment.idempotency_key,
            gateway_ref=payment.gateway_ref,
            refunds=(GatewayRefund("re_atol", 20000),),
            refunded_total_kop=None,
        ),
    )
    session.commit()
    run(session, atol)
    [refund] = fake.calls("POST", "/sell_refund")
    assert refund[2]["receipt"]["total"] == 200.0
    assert refund[2]["external_id"].startswith("paysim-refund-")


def test_the_sandbox_registers_at_once_with_the_same_numbers_every_time(session, paid):
    document = FiscalDocument(
        kind="sell",
        external_id="paysim-sell-1",
        created_at=T0,
        item_name="x",
        amount_kop=100,
        vat="22",
        payment_type="electronic",
        client_email="a@b.ru",
        client_phone="",
        seller_inn="7701234560",
        seller_email="s@b.ru",
        payment_address="https://x",
        tax_system="osn",
    )
    first, second = SandboxFiscal().register(document), SandboxFiscal().register(document)
    assert first.status == "done" and first == second
    assert first.data.registered_at == T0
    other = SandboxFiscal().register(
        FiscalDocument(**{**document.__dict__, "external_id": "paysim-sell-2"})
    )
    assert other.data.fpd != first.data.fpd
    assert document_body(document)["receipt"]["items"][0]["vat"] == {"type": "vat22", "sum": 0.18}
    item = document_body(document)["receipt"]["items"][0]
    assert (item["payment_method"], item["payment_object"]) == ("full_payment", "service")
    # a SIM order's prepayment is registered as an advance (аванс, предмет расчёта "платёж")
    advance = FiscalDocument(**{**document.__dict__, "advance": True})
    item = document_body(advance)["receipt"]["items"][0]
    assert (item["payment_method"], item["payment_object"]) == ("advance", "payment")


def test_unavailable_is_what_a_transport_failure_raises(fake, atol):
    fake.down = True
    with pytest.raises(FiscalUnavailable):
        atol.report("nope")


def test_a_receipt_that_breaks_the_job_waits_and_the_next_ones_go_on(session, factory, fake, atol):
    sub = factory.subscriber()
    sim = factory.sim(sub)
    with time_machine.travel(T0 - timedelta(minutes=1), tick=False):
        first, second = pay(session, sim), pay(session, sim)
    calls = []

    class Breaking(AtolFiscal):
        def register(self, document):
            calls.append(document.external_id)
            if document.external_id == f"paysim-sell-{first}":
                raise KeyError("a bug of ours")
            return super().register(document)

    broken = Breaking(
        login=fake.login, password=fake.password, group_code=fake.group, api_base=fake.url
    )
    counts = run(session, broken)
    assert (counts["unavailable"], counts["waiting"]) == (1, 1)
    stuck = receipt_of(session, first)
    assert stuck.status == "pending" and stuck.last_error.startswith("KeyError")
    assert receipt_of(session, second).provider_uuid
