"""/api/unsubscribe: the signed link of a notification e-mail turns off that kind's e-mail copy
for that user only. GET asks (a mail scanner opening the link changes nothing), POST does it
(the button, or a mail client's one-click POST); a forged, altered or expired link, a kind that
cannot be switched off or one the user does not get changes nothing."""

from __future__ import annotations

import time
import warnings

import pytest
from sqlmodel import select

from paysim_app.api.routes import api
from paysim_app.core import signing
from paysim_app.messaging import compose
from paysim_app.models import NotificationPreference


@pytest.fixture
def client(session):
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


def _prefs(session, user_id: int) -> dict[str, str]:
    session.expire_all()
    rows = session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    ).all()
    return {p.kind: p.channel for p in rows}


def _path(url: str) -> str:
    return url.split("localhost:3000", 1)[1]


def test_get_asks_post_turns_the_kind_off_for_that_user_only(session, factory, client):
    anna, boris = factory.subscriber("anna@example.ru"), factory.subscriber("boris@example.ru")
    link = _path(compose.unsubscribe_url(anna.user_id, "low_balance", "en"))

    page = client.get(link)
    assert page.status_code == 200 and '<form method="post"' in page.text
    assert 'lang="en"' in page.text and "Unsubscribe" in page.text
    assert _prefs(session, anna.user_id) == {}  # opening the link changes nothing

    done = client.post(link)
    assert done.status_code == 200 and "Done" in done.text
    assert _prefs(session, anna.user_id) == {"low_balance": "app"}
    assert _prefs(session, boris.user_id) == {}
    # one-click (RFC 8058) posts the same URL again: still off, still fine
    assert client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _prefs(session, anna.user_id) == {"low_balance": "app"}


@pytest.mark.parametrize("how", ["tampered", "other purpose", "expired", "garbage", "missing"])
def test_a_bad_link_changes_nothing(session, factory, client, how):
    anna = factory.subscriber("anna@example.ru")
    token = compose.unsubscribe_token(anna.user_id, "low_balance", "ru")
    body, mac = token.split(".")
    if how == "tampered":  # another user's id under the old signature
        other = signing.sign({"u": anna.user_id + 1, "k": "low_balance", "l": "ru"}, "x")
        token = f"{other.split('.')[0]}.{mac}"
    elif how == "other purpose":  # a signed link of another kind (an export's)
        token = signing.sign({"u": anna.user_id, "k": "low_balance", "l": "ru"}, "export")
    elif how == "expired":
        token = signing.sign(
            {"u": anna.user_id, "k": "low_balance", "l": "ru"},
            compose.UNSUBSCRIBE_PURPOSE,
            ttl_seconds=-1,
        )
    elif how == "garbage":
        token = "x" * 5000
    url = "/api/unsubscribe" + ("" if how == "missing" else f"?token={token}")
    assert client.get(url).status_code == 400
    res = client.post(url)
    assert res.status_code == 400 and "недействительна" in res.text
    assert _prefs(session, anna.user_id) == {}
    assert time.time()  # (the clock is real: "expired" is a past expiry, not a frozen one)


def test_a_security_notice_or_a_kind_the_user_does_not_get_cannot_be_turned_off(
    session, factory, client
):
    anna = factory.subscriber("anna@example.ru")
    for kind in ("new_sign_in", "ticket_new", "password_reset"):
        link = _path(compose.unsubscribe_url(anna.user_id, kind, "ru"))
        if kind != "ticket_new":  # (an admin's kind: the page asks; doing it is refused)
            assert "<form" not in client.get(link).text
        assert client.post(link).status_code == 400
    assert _prefs(session, anna.user_id) == {}


def test_a_link_for_a_user_that_no_longer_exists(session, client):
    link = _path(compose.unsubscribe_url(987654, "low_balance", "ru"))
    assert client.post(link).status_code == 400
