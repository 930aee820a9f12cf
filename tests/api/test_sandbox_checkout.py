"""The sandbox's test payment page over HTTP (/api/sandbox/checkout/<session>): marked as a test,
in both languages, a paid page sends the payer to the success URL, a bad card stays on the page
with its error, the 3-D Secure step, and no such page with the Stripe gateway."""

from __future__ import annotations

import warnings

import pytest

from paysim_app.api.routes import api
from paysim_app.payments import get_gateway
from paysim_app.settings import get_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def client(db_url):
    get_gateway.cache_clear()
    with TestClient(api) as c:
        yield c
    get_gateway.cache_clear()


def _page(amount=50_000, mode="payment", key="checkout:topup:1:abcdefgh"):
    return get_gateway().start_checkout(
        mode=mode,
        reference=key.removeprefix("checkout:"),
        customer="",
        success_url="http://localhost:3000/cabinet/topup/result?payment=1",
        cancel_url="http://localhost:3000/cabinet/topup/result?payment=1&back=1",
        idempotency_key=key,
        amount_kop=amount if mode == "payment" else None,
    )


def _path(page) -> str:
    return page.url.removeprefix("http://localhost:3000")


def test_the_page_is_marked_as_a_test_in_both_languages(client):
    page = _page()
    ru = client.get(_path(page))
    assert ru.status_code == 200
    assert '<html lang="ru">' in ru.text
    assert "Тестовый платёж — настоящие деньги не списываются" in ru.text
    assert "500,00" in ru.text and 'id="card_number"' in ru.text
    en = client.get(_path(page) + "?lang=en")
    assert '<html lang="en">' in en.text and "Test payment — no real money" in en.text
    assert "500.00" in en.text
    assert client.get("/api/sandbox/checkout/cs_sb_nothing").status_code == 404


def test_a_paid_page_sends_the_payer_back(client, sandbox_webhooks):
    page = _page()
    answer = client.post(
        _path(page),
        data={
            "action": "pay",
            "card_number": "4242 4242 4242 4242",
            "card_expiry": "12/34",
            "card_cvc": "123",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "http://localhost:3000/cabinet/topup/result?payment=1"
    assert len(sandbox_webhooks) == 2  # payment_intent.succeeded, checkout.session.completed
    # the page of a paid session sends the payer on, too
    assert client.get(_path(page), follow_redirects=False).status_code == 303


def test_a_bad_or_declined_card_stays_on_the_page(client):
    page = _page()
    form = {"action": "pay", "card_number": "4242 4242 4242 4241", "card_expiry": "12/34"}
    bad = client.post(_path(page), data={**form, "card_cvc": "123"})
    assert bad.status_code == 200 and 'id="sandbox-error"' in bad.text
    assert 'id="card_number" name="card_number"' in bad.text and 'aria-invalid="true"' in bad.text
    declined = client.post(
        _path(page), data={**form, "card_number": "4000000000000002", "card_cvc": "123"}
    )
    assert "Банк отклонил платёж." in declined.text
    odd = client.post(_path(page), data={"action": "nonsense"})
    assert odd.status_code == 200 and "Неизвестное действие." in odd.text


def test_the_3ds_step_confirmed(client):
    page = _page()
    form = {
        "action": "pay",
        "card_number": "4000002760003184",
        "card_expiry": "12/34",
        "card_cvc": "123",
    }
    step = client.post(_path(page), data=form)
    assert 'id="sandbox-confirm"' in step.text and "3184" in step.text
    done = client.post(_path(page), data={"action": "confirm"}, follow_redirects=False)
    assert done.status_code == 303


def test_no_test_page_with_the_stripe_gateway(client, monkeypatch):
    page = _page()
    monkeypatch.setenv("PAYSIM_GATEWAY", "stripe")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    get_settings.cache_clear()
    get_gateway.cache_clear()
    try:
        assert client.get(_path(page)).status_code == 404
        assert client.post(_path(page), data={"action": "confirm"}).status_code == 404
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        get_gateway.cache_clear()
