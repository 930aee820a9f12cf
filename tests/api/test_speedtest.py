"""/api/speedtest/*: LibreSpeed's backend protocol (garbage, empty, getIP) and the result
endpoint that stores a browser's measurement for the caller's own SIM."""

from __future__ import annotations

import warnings
import zlib

import pytest
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.api.routes import api
from paysim_app.api.speedtest import CHUNK, MAX_UPLOAD
from paysim_app.core import signing
from paysim_app.core.errors import PermissionDenied
from paysim_app.core.rate_limits import TooManyAttempts
from paysim_app.models import SpeedTest
from paysim_app.support import quality

MIB = 1024 * 1024


@pytest.fixture
def client(session):  # `session` first: the database the routes will use
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


# --------------------------------------------------------------------------- LibreSpeed protocol


@pytest.fixture
def pass_(session) -> str:
    """`t=<pass>`: what the speed-test page adds to each byte request."""
    return "t=" + signing.sign({"u": 1, "s": 1}, quality.PASS_PURPOSE, quality.PASS_SECONDS)


@pytest.mark.parametrize(
    ("query", "mib"),
    [("?ckSize=2&", 2), ("?", 4), ("?ckSize=1&", 1), ("?ckSize=0&", 1), ("?ckSize=abc&", 4)],
)
def test_garbage_streams_ck_size_mib_of_incompressible_bytes(client, pass_, query, mib):
    response = client.get(f"/api/speedtest/garbage{query}{pass_}")
    assert response.status_code == 200
    body = response.content
    assert len(body) == mib * MIB == int(response.headers["content-length"])
    assert response.headers["content-type"] == "application/octet-stream"
    assert "no-cache" in response.headers["cache-control"]
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["content-description"] == "File Transfer"
    assert response.headers["content-disposition"].startswith("attachment")
    sample = body[:MIB]
    assert len(zlib.compress(sample, 9)) / len(sample) > 0.99
    assert len(set(sample[:4096])) > 200  # every byte value shows up


def test_garbage_is_capped_at_100_mib(client, pass_):
    with client.stream("GET", f"/api/speedtest/garbage?ckSize=999999&{pass_}") as response:
        assert int(response.headers["content-length"]) == 100 * MIB
        first = next(response.iter_bytes())
        assert first


def test_garbage_chunks_are_one_mib():
    assert CHUNK == MIB


def test_empty_accepts_a_large_post_and_answers_empty(client, pass_):
    body = b"\x00" * (20 * MIB)
    response = client.post(f"/api/speedtest/empty?{pass_}", content=body)
    assert response.status_code == 200
    assert response.content == b""
    assert "no-cache" in response.headers["cache-control"]
    assert response.headers["connection"].lower() == "keep-alive"


def test_empty_answers_a_get_for_ping(client, pass_):
    response = client.get(f"/api/speedtest/empty?r=0.5&{pass_}")
    assert response.status_code == 200 and response.content == b""


def test_empty_takes_a_browser_that_stops_its_upload_in_its_stride(session, pass_):
    """The speed test cuts its upload when its time is up: no exception reaches the server."""
    import asyncio

    from starlette.requests import Request

    from paysim_app.api.speedtest import empty

    messages = iter(
        [
            {"type": "http.request", "body": b"\x00" * 1024, "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive():
        return next(messages)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/speedtest/empty",
        "query_string": pass_.encode(),
        "headers": [],
        "client": ("127.0.0.1", 50000),
    }
    response = asyncio.run(empty(Request(scope, receive)))
    assert response.status_code == 499


def test_empty_refuses_more_than_its_cap(client, pass_):
    def chunks():
        sent = 0
        while sent <= MAX_UPLOAD:
            yield b"\x00" * MIB
            sent += MIB

    assert client.post(f"/api/speedtest/empty?{pass_}", content=chunks()).status_code == 413


def _passes() -> dict[str, str]:
    return {
        "none": "",
        "empty": "t=",
        "forged": "t=forged.pass",
        "huge": "t=" + "x" * 5000,
        # a pass for another purpose (an export link) does not open the byte endpoints
        "other purpose": "t=" + signing.sign({"u": 1}, "export", 300),
        "expired": "t=" + signing.sign({"u": 1, "s": 1}, quality.PASS_PURPOSE, -1),
    }


@pytest.mark.parametrize("kind", list(_passes()))
def test_the_byte_endpoints_serve_nothing_without_a_valid_pass(client, kind):
    query = _passes()[kind]
    for method, path in (("GET", "garbage"), ("GET", "empty"), ("POST", "empty")):
        response = client.request(method, f"/api/speedtest/{path}?ckSize=100&{query}")
        assert response.status_code == 403, (method, path, query)
        assert len(response.content) < 100


def test_a_pass_is_for_ones_own_sim_and_limited_per_address(session, factory, limits_of):
    limits_of("speedtest.ip=2/hour")
    alice, bob = factory.subscriber(), factory.subscriber()
    sim, bobs = factory.sim(alice), factory.sim(bob)
    with pytest.raises(PermissionDenied):
        quality.speed_test_pass(session, alice, bobs.id, ip="192.0.2.5")
    for _ in range(2):
        quality.check_speed_test_pass(
            quality.speed_test_pass(session, alice, sim.id, ip="192.0.2.5")
        )
    with pytest.raises(TooManyAttempts):
        quality.speed_test_pass(session, alice, sim.id, ip="192.0.2.5")
    assert quality.speed_test_pass(session, alice, sim.id, ip="192.0.2.6")


def test_get_ip_answers_the_peer_address_like_librespeed(client):
    response = client.get("/api/speedtest/getIP", headers={"X-Forwarded-For": "6.6.6.6"})
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"processedString", "rawIspInfo"}
    assert data["processedString"] == "testclient"  # the TestClient's peer, not the header
    assert data["rawIspInfo"] == ""


def test_only_the_protocol_methods_are_routed(client):
    assert client.post("/api/speedtest/garbage").status_code == 405
    assert client.post("/api/speedtest/getIP").status_code == 405
    assert client.get("/api/speedtest/result").status_code == 405


# --------------------------------------------------------------------------- POST result

GOOD = {"ping_ms": 23.4, "jitter_ms": 3.1, "download_mbps": 41.27, "upload_mbps": 12.5}


@pytest.fixture
def alice(session, factory):
    actor = factory.subscriber("alice@example.ru")
    sim = factory.sim(actor)
    token, _ = identity.sign_in(session, "alice@example.ru", factory.password, "pytest")
    session.commit()
    return {"actor": actor, "sim": sim.id, "token": token}


@pytest.fixture
def bob_sim(factory):
    return factory.sim(factory.subscriber("bob@example.ru")).id


def post_result(client, token: str | None, payload, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/api/speedtest/result", json=payload, headers=headers)


def stored(session) -> list[SpeedTest]:
    session.expire_all()
    return list(session.exec(select(SpeedTest)).all())


def test_a_result_is_stored_with_sim_user_and_user_agent(client, session, alice):
    response = post_result(
        client,
        alice["token"],
        {"sim_id": alice["sim"], **GOOD},
        **{"User-Agent": "Mozilla/5.0 test"},
    )
    assert response.status_code == 200
    new_id = response.json()["id"]
    [row] = stored(session)
    assert row.id == new_id
    assert (row.sim_id, row.user_id) == (alice["sim"], alice["actor"].user_id)
    assert (row.ping_ms, row.jitter_ms, row.download_kbps, row.upload_kbps) == (23, 3, 41270, 12500)
    assert row.user_agent == "Mozilla/5.0 test"
    assert row.created_at is not None


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 300])
def test_no_valid_session_is_401_and_stores_nothing(client, session, alice, token):
    response = post_result(client, token, {"sim_id": alice["sim"], **GOOD})
    assert response.status_code == 401
    assert stored(session) == []


def test_a_revoked_session_is_401(client, session, alice):
    identity.sign_out(session, alice["token"])
    session.commit()
    assert post_result(client, alice["token"], {"sim_id": alice["sim"], **GOOD}).status_code == 401


def test_someone_elses_or_a_missing_sim_is_403(client, session, alice, bob_sim):
    for sim_id in (bob_sim, 999_999):
        response = post_result(client, alice["token"], {"sim_id": sim_id, **GOOD})
        assert response.status_code == 403, sim_id
    assert stored(session) == []


@pytest.mark.parametrize(
    "change",
    [
        {"ping_ms": -1},
        {"jitter_ms": -0.5},
        {"download_mbps": 10_000.1},
        {"upload_mbps": 1e9},
        {"download_mbps": "12"},
        {"upload_mbps": None},
        {"ping_ms": True},
        {"sim_id": "1"},
    ],
)
def test_bad_figures_are_400_and_store_nothing(client, session, alice, change):
    response = post_result(client, alice["token"], {"sim_id": alice["sim"], **GOOD, **change})
    assert response.status_code == 400
    assert stored(session) == []


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_400(client, session, alice, literal):
    body = (
        f'{{"sim_id": {alice["sim"]}, "ping_ms": 1, "jitter_ms": 1, '
        f'"download_mbps": {literal}, "upload_mbps": 1}}'
    )
    response = client.post(
        "/api/speedtest/result",
        content=body,
        headers={"Authorization": f"Bearer {alice['token']}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert stored(session) == []


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b'{"sim_id": 1}', b"x" * 5000])
def test_malformed_bodies_are_refused(client, session, alice, body):
    response = client.post(
        "/api/speedtest/result", content=body, headers={"Authorization": f"Bearer {alice['token']}"}
    )
    assert response.status_code in (400, 403, 413)
    assert stored(session) == []


def test_a_partner_token_cannot_store_a_result(client, session, factory):
    bundle = factory.partner()
    sim = factory.sim(factory.subscriber(), partner=bundle)
    token, _ = identity.sign_in(session, bundle.login, bundle.password)
    session.commit()
    assert post_result(client, token, {"sim_id": sim.id, **GOOD}).status_code == 403
    assert stored(session) == []
