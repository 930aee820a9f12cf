"""GET /api/receipts/{payment}: the receipt's PDF for the payment's subscriber, the dealer of its
own cash top-up and an admin with payments.view; the same 404 for everyone and everything else
(another subscriber, the SIM's dealer for a card payment, an admin without the permission, a
forged, expired, altered or foreign link, a session that ended, a payment without a receipt)."""

from __future__ import annotations

import io
import warnings

import pytest
from pypdf import PdfReader

from paysim_app.accounts import identity
from paysim_app.api.receipts import PURPOSE, receipt_link
from paysim_app.api.routes import api
from paysim_app.billing import partner_topups
from paysim_app.core import form_keys, signing
from tests.billing.test_receipts import flat, pay


@pytest.fixture
def client(session):
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


def sign_in(session, login: str, password: str) -> tuple[int, str]:
    token, _actor = identity.sign_in(session, login, password)
    session.commit()
    return identity.session_id_of(session, token), token


@pytest.fixture
def world(session, factory):
    sub = factory.subscriber(login="owner@example.ru")
    dealer = factory.partner(name="Связь-Маркет")
    sim = factory.sim(sub, partner=dealer)
    card_pid = pay(session, sim)
    cash = partner_topups.partner_topup(session, dealer.actor, sim.id, 30000, form_keys.new_key())
    session.commit()
    return {"sub": sub, "dealer": dealer, "sim": sim, "card": card_pid, "cash": cash.payment_id}


def test_the_subscriber_downloads_the_receipt_as_a_pdf(session, factory, client, world):
    sid, _ = sign_in(session, "owner@example.ru", factory.password)
    response = client.get(receipt_link(sid, world["card"], "en"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="receipt-payment-{world["card"]}.pdf"'
    )
    assert response.headers["cache-control"] == "no-store"
    text = flat(PdfReader(io.BytesIO(response.content)).pages[0].extract_text())
    assert f"Payment No. {world['card']}" in text
    # and the receipt of the dealer's cash top-up of the same SIM
    assert client.get(receipt_link(sid, world["cash"], "ru")).status_code == 200


def test_the_dealer_downloads_its_cash_top_ups_receipt_only(session, factory, client, world):
    dealer = world["dealer"]
    sid, _ = sign_in(session, dealer.login, dealer.password)
    assert client.get(receipt_link(sid, world["cash"], "ru")).status_code == 200
    assert client.get(receipt_link(sid, world["card"], "ru")).status_code == 404


def test_an_admin_needs_payments_view(session, factory, client, world):
    admin = factory.admin_user("Superadmin")
    sid, _ = sign_in(session, admin.email, factory.password)
    assert client.get(receipt_link(sid, world["card"], "ru")).status_code == 200
    support = factory.admin_user("Support operator")
    sid, _ = sign_in(session, support.email, factory.password)
    assert client.get(receipt_link(sid, world["card"], "ru")).status_code == 404


def test_everyone_else_and_every_bad_link_get_the_same_404(session, factory, client, world):
    factory.subscriber(login="stranger@example.ru")
    stranger, _ = sign_in(session, "stranger@example.ru", factory.password)
    owner, token = sign_in(session, "owner@example.ru", factory.password)
    card = world["card"]
    good = receipt_link(owner, card, "ru")
    refused = [
        receipt_link(stranger, card, "ru"),  # another subscriber
        good[:-3] + "abc",  # forged
        good.replace(
            f"/api/receipts/{card}?", f"/api/receipts/{world['cash']}?"
        ),  # signed for another
        f"/api/receipts/{card}",  # no token
        f"/api/receipts/{card}?t="
        + signing.sign({"sid": owner, "p": card}, PURPOSE, -1),  # expired
        f"/api/receipts/{card}?t="
        + signing.sign({"sid": owner, "p": card}, "export"),  # other purpose
        "/api/receipts/abc?t=" + good.split("t=")[1],
        "/api/receipts/99999999999999999999?t=" + good.split("t=")[1],
        receipt_link(owner, 999_999, "ru"),  # no such payment
    ]
    for url in refused:
        response = client.get(url)
        assert (response.status_code, response.text) == (404, "not found"), url
    failed = pay(session, world["sim"], status="failed")
    assert client.get(receipt_link(owner, failed, "ru")).status_code == 404  # no receipt
    assert client.get(good).status_code == 200
    identity.sign_out(session, token)
    session.commit()
    assert client.get(good).status_code == 404  # the session ended
