"""Receipts: one per succeeded payment and one per refund (made once, on both databases), the
PDF's fields in Russian and English (read back with pypdf), the e-mail that carries it, and
who may download it (everyone else: NotFound, as for a payment that does not exist)."""

from __future__ import annotations

import io
import itertools

import pytest
from pypdf import PdfReader
from sqlalchemy import delete
from sqlmodel import select

from paysim_app.billing import partner_topups, payments, receipts
from paysim_app.core import form_keys, outbox
from paysim_app.core.errors import NotFound
from paysim_app.fiscal.sandbox import FN_NUMBER, SandboxFiscal
from paysim_app.models import OutboxEmail, Payment, Sim
from paysim_app.models.billing import PaymentRefund, Receipt
from paysim_app.payments import ChargeResult, GatewayEvent, GatewayRefund
from tests.money_helpers import GW, count, fresh

AMOUNT = 50000  # 500,00 ₽: 22 % VAT included is 90,16 ₽
_keys = itertools.count(1)


def pay(session, sim: Sim, amount: int = AMOUNT, *, method: str = "card", status="succeeded"):
    """A card payment (Visa •••• 4242) created pending and settled as the gateway answered."""
    key = f"receipt-test-{next(_keys)}"
    payment = payments.new_payment(
        session,
        sim=sim,
        amount_kop=amount,
        method=method,
        idempotency_key=key,
        gateway=GW.name,
        card_brand="visa",
        card_last4="4242",
    )
    pid = payment.id
    session.commit()
    code = None if status == "succeeded" else "card_declined"
    payments.settle(session, [(pid, ChargeResult(status, f"pi_{key}", code))])
    session.commit()
    return pid


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Extracted text with every run of white space (and the PDF's no-break spaces) as one."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture
def paid(session, factory):
    sub = factory.subscriber(login="payer@example.ru")
    partner = factory.partner(name="Связь-Маркет")
    sim = factory.sim(sub, partner=partner)
    pid = pay(session, sim)
    return {"sub": sub, "sim": sim, "pid": pid, "partner": partner, "admin": factory.superadmin()}


def sell_receipts(session, pid: int) -> list[Receipt]:
    session.expire_all()
    return list(
        session.exec(select(Receipt).where(Receipt.payment_id == pid, Receipt.kind == "sell")).all()
    )


# --------------------------------------------------------------------------- made once


def test_a_succeeded_payment_gets_one_receipt_and_one_email_carrying_it(session, paid):
    [receipt] = sell_receipts(session, paid["pid"])
    assert (receipt.status, receipt.amount_kop, receipt.vat) == ("pending", AMOUNT, "22")
    assert receipt.external_id == f"paysim-sell-{paid['pid']}"
    [mail] = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "receipt")).all()
    assert mail.to_address == "payer@example.ru"
    assert mail.attachments == f"receipt:{receipt.id}"
    assert "500,00" in mail.subject and f"№ {receipt.id}" in mail.body
    # the admin's outbox names the attachment
    [row] = [r for r in outbox.recent_emails(session, paid["admin"]) if r.id == mail.id]
    assert row.attachments == (("receipt", receipt.id),)
    # and the sender gets the PDF itself, in the subscriber's language
    [file] = outbox.render_attachments(session, mail)
    assert file.content_type == "application/pdf"
    assert file.filename == f"chek-platezh-{paid['pid']}.pdf"
    assert "КАССОВЫЙ ЧЕК" in text_of(file.data)


def test_the_same_outcome_reported_again_makes_no_second_receipt(session, paid):
    again = payments.settle(session, [(paid["pid"], ChargeResult("succeeded", "pi_x", None))])
    session.commit()
    assert again == {}
    assert len(sell_receipts(session, paid["pid"])) == 1
    assert count(session, OutboxEmail, OutboxEmail.kind == "receipt") == 1


def test_failed_payments_and_corrections_have_no_receipt(session, factory, paid):
    failed = pay(session, paid["sim"], status="failed")
    correction = pay(session, paid["sim"], method="correction")
    assert sell_receipts(session, failed) == []
    assert sell_receipts(session, correction) == []
    for pid in (failed, correction):
        with pytest.raises(NotFound):
            receipts.receipt_pdf(session, paid["admin"], pid)


def test_a_payment_from_before_receipts_gets_its_receipt_once_on_download(session, paid):
    pid = paid["pid"]
    session.execute(delete(Receipt))
    session.commit()
    receipts.receipt_pdf(session, paid["sub"], pid)
    receipts.receipt_pdf(session, paid["sub"], pid)
    session.commit()
    assert len(sell_receipts(session, pid)) == 1


def test_a_receipt_another_writer_made_meanwhile_is_not_made_again(session, new_session, paid):
    """INSERT ... ON CONFLICT (external_id) DO NOTHING: a writer that did not see the other's
    row (it looked before that commit) adds nothing and fails nothing."""
    pid = paid["pid"]
    session.execute(delete(Receipt))
    session.commit()
    other = new_session()
    assert other.exec(select(Receipt).where(Receipt.payment_id == pid)).all() == []
    receipts._sell_receipt(session, session.get(Payment, pid))
    session.commit()
    row = {"payment_id": pid, "refund_id": None, "kind": "sell", "amount_kop": AMOUNT}
    assert receipts._insert_receipts(other, [{**row, "external_id": f"paysim-sell-{pid}"}]) == []
    other.commit()
    assert len(sell_receipts(session, pid)) == 1


# --------------------------------------------------------------------------- the PDF


def test_the_russian_receipt_carries_the_fields_of_a_cash_receipt(session, paid, monkeypatch):
    receipts.send_pending(session, SandboxFiscal())
    pid, sim = paid["pid"], fresh(session, Sim, paid["sim"].id)
    [receipt] = sell_receipts(session, pid)
    name, pdf = receipts.receipt_pdf(session, paid["sub"], pid, "ru")
    assert pdf.startswith(b"%PDF") and name == f"chek-platezh-{pid}.pdf"
    text = flat(text_of(pdf))
    for expected in (
        "ООО «ПэйСим» (демо)",
        "ИНН 7701234560",
        "КАССОВЫЙ ЧЕК",
        "Приход",
        f"Чек № {receipt.id}",
        f"Платёж № {pid}",
        "(МСК)",
        "Оплата услуг связи, номер +7",
        f"ICCID {sim.iccid}",
        "500,00 ₽",
        "НДС 22 %",
        "90,16 ₽",
        "Безналичными",
        "банковская карта Visa •••• 4242",
        "payer@example.ru",
        f"ФН № {FN_NUMBER}",
        f"ФД № {receipt.fd_number}",
        f"ФПД {receipt.fpd}",
        "тестовая касса",
    ):
        assert expected in text, expected
    assert receipt.status == "registered" and receipt.fd_number and receipt.fpd


def test_the_english_receipt_is_the_same_receipt_in_english(session, paid):
    receipts.send_pending(session, SandboxFiscal())
    pid = paid["pid"]
    name, pdf = receipts.receipt_pdf(session, paid["admin"], pid, "en")
    text = flat(text_of(pdf))
    assert name == f"receipt-payment-{pid}.pdf"
    for expected in (
        "CASH RECEIPT",
        "Sale",
        f"Payment No. {pid}",
        "(Moscow)",
        "Telecom services, number +7",
        "500.00 ₽",
        "VAT 22 %",
        "90.16 ₽",
        "bank card Visa •••• 4242",
        "INN 7701234560",
        "FN No.",
        "test cash register",
    ):
        assert expected in text, expected
    assert "Приход" not in text


def test_the_vat_rate_comes_from_the_settings(session, factory, monkeypatch):
    monkeypatch.setenv("PAYSIM_VAT", "20")
    from paysim_app.settings import get_settings

    get_settings.cache_clear()
    try:
        sub = factory.subscriber()
        pid = pay(session, factory.sim(sub), 12000)
        text = flat(text_of(receipts.receipt_pdf(session, sub, pid)[1]))
        assert "НДС 20 %" in text and "20,00 ₽" in text  # 120 ₽ with 20 % VAT: 20 ₽
    finally:
        get_settings.cache_clear()


def test_a_pending_receipt_says_it_waits_for_registration(session, paid):
    text = flat(text_of(receipts.receipt_pdf(session, paid["sub"], paid["pid"])[1]))
    assert "ожидает регистрации" in text and "ФН №" not in text


def test_a_dealers_cash_top_up_prints_cash_and_the_dealer(session, factory):
    partner = factory.partner(name="Связь-Маркет")
    sub = factory.subscriber()
    sim = factory.sim(sub, partner=partner)
    key = form_keys.new_key()
    done = partner_topups.partner_topup(session, partner.actor, sim.id, 30000, key)
    session.commit()
    pid = done.payment_id
    text = flat(text_of(receipts.receipt_pdf(session, partner.actor, pid)[1]))
    assert "Наличными" in text and "наличными через партнёра «Связь-Маркет»" in text


# --------------------------------------------------------------------------- refunds


def refund(session, pid: int, ref: str, amount: int) -> None:
    payment = fresh(session, Payment, pid)
    outcome = payments.apply_event(
        session,
        GatewayEvent(
            event_id=f"evt_{ref}",
            kind="refunded",
            payment_key=payment.idempotency_key,
            gateway_ref=payment.gateway_ref,
            refunds=(GatewayRefund(ref, amount),),
            refunded_total_kop=None,
        ),
    )
    session.commit()
    assert outcome == "applied"


def test_each_refund_gets_one_refund_receipt_printed_under_the_sale(session, paid):
    pid = paid["pid"]
    refund(session, pid, "re_1", 15000)
    counts = receipts.send_pending(session, SandboxFiscal())
    assert counts["queued"] == 1
    assert receipts.send_pending(session, SandboxFiscal())["queued"] == 0  # made once
    session.expire_all()
    [refund_receipt] = session.exec(select(Receipt).where(Receipt.kind == "sell_refund")).all()
    [booked] = session.exec(select(PaymentRefund)).all()
    assert (refund_receipt.refund_id, refund_receipt.amount_kop) == (booked.id, 15000)
    assert refund_receipt.status == "registered"
    mails = session.exec(
        select(OutboxEmail).where(OutboxEmail.kind == "receipt").order_by(OutboxEmail.id)
    ).all()
    assert [m.attachments for m in mails][-1] == f"receipt:{refund_receipt.id}"
    assert "Чек возврата" in mails[-1].subject
    text = flat(text_of(receipts.receipt_pdf(session, paid["sub"], pid)[1]))
    assert "Возврат прихода" in text and "150,00 ₽" in text
    assert f"Чек № {refund_receipt.id}" in text
    # a payment refunded whole still has its receipt, with both refunds
    refund(session, pid, "re_2", AMOUNT - 15000)
    receipts.send_pending(session, SandboxFiscal())
    assert fresh(session, Payment, pid).status == "refunded"
    text = flat(text_of(receipts.receipt_pdf(session, paid["admin"], pid, "en")[1]))
    assert text.count("Sale refund") == 2 and "350.00 ₽" in text


# --------------------------------------------------------------------------- who may download


def test_only_the_payer_the_dealer_of_a_cash_top_up_and_payment_viewers_see_it(
    session, factory, paid
):
    pid = paid["pid"]
    assert receipts.receipt_pdf(session, paid["sub"], pid)[1].startswith(b"%PDF")
    assert receipts.receipt_pdf(session, paid["admin"], pid)[1].startswith(b"%PDF")
    stranger = factory.subscriber()
    other_dealer = factory.partner()
    refused = [
        None,  # nobody signed in
        stranger,  # another subscriber
        paid["partner"].actor,  # the SIM's dealer: a card payment is not its cash top-up
        other_dealer.actor,
        factory.support(),  # an admin without payments.view
    ]
    for actor in refused:
        with pytest.raises(NotFound):
            receipts.receipt_pdf(session, actor, pid)
    for bad in (999_999, "1", None, -1):
        with pytest.raises(NotFound):
            receipts.receipt_pdf(session, paid["admin"], bad)


def test_a_dealer_sees_its_own_cash_top_ups_only(session, factory):
    mine, theirs = factory.partner(), factory.partner()
    sub = factory.subscriber()
    sim_a, sim_b = factory.sim(sub, partner=mine), factory.sim(sub, partner=theirs)
    a = partner_topups.partner_topup(session, mine.actor, sim_a.id, 30000, form_keys.new_key())
    b = partner_topups.partner_topup(session, theirs.actor, sim_b.id, 30000, form_keys.new_key())
    session.commit()
    assert receipts.receipt_pdf(session, mine.actor, a.payment_id)[1].startswith(b"%PDF")
    with pytest.raises(NotFound):
        receipts.receipt_pdf(session, mine.actor, b.payment_id)
    # the subscriber whose SIM it credited has the receipt too
    assert receipts.receipt_pdf(session, sub, b.payment_id)[1].startswith(b"%PDF")
