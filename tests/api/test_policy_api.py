"""GET /api/policy: the packet core reads the SIMs' policy with a sender's token, page by page
with the cursor; a bad token, cursor or limit gets a clear error."""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime, timedelta

import pytest

from paysim_app.api.routes import api
from paysim_app.settings import get_settings
from paysim_app.sims import blocks, policy, usage

AUTH = {"Authorization": "Bearer tok-pgw"}


@pytest.fixture
def client(session, monkeypatch):  # `session` first: the database the routes will use
    from starlette.exceptions import StarletteDeprecationWarning

    monkeypatch.setenv("PAYSIM_USAGE_TOKENS", "pgw=tok-pgw;sgw=tok-sgw")
    get_settings.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c
    get_settings.cache_clear()


def everything(client, since=None, limit=None, expect=0, headers=AUTH) -> tuple[list, str]:
    """Every page from `since`; on PostgreSQL a change shows once no older transaction runs in
    the cluster: wait for `expect` items, up to 20 s."""
    for _ in range(200):
        items, cursor, pages = [], since, 0
        while True:
            params = {k: v for k, v in (("since", cursor), ("limit", limit)) if v is not None}
            response = client.get("/api/policy", params=params, headers=headers)
            assert response.status_code == 200, response.text
            assert response.headers["cache-control"] == "no-store"
            body = response.json()
            items.extend(body["items"])
            cursor, pages = body["next"], pages + 1
            if not body["more"]:
                break
        if len(items) >= expect:
            return items, cursor
        time.sleep(0.1)
    raise AssertionError(f"{len(items)} of {expect} items after 20 s")


def sims_with_policy(session, factory, n: int):
    sub = factory.subscriber()
    tariff = factory.tariff(data_gb=10, speed_mbps=40, limited_speed_kbps=128)
    sims = [factory.sim(sub, tariff=tariff, status="active", balance_kop=1000) for _ in range(n)]
    policy.refresh(session, [s.id for s in sims])
    session.commit()
    return sims


def test_snapshot_in_pages_then_only_the_changes(client, session, factory):
    sims = sims_with_policy(session, factory, 5)
    items, cursor = everything(client, limit=2, expect=5)
    assert sorted(i["iccid"] for i in items) == sorted(s.iccid for s in sims)
    first = next(i for i in items if i["iccid"] == sims[0].iccid)
    assert first == {
        "iccid": sims[0].iccid,
        "imsi": sims[0].imsi,
        "msisdn": sims[0].msisdn,
        "state": "normal",
        "speed_kbps": 40_000,
        "static_ip": None,
        "changed_at": first["changed_at"],
    }
    assert datetime.fromisoformat(first["changed_at"]).tzinfo is not None
    assert everything(client, cursor)[0] == []  # nothing new

    blocks.block_sim(session, factory.admin(), sims[3].id, "stolen")
    session.commit()
    items, cursor = everything(client, cursor, limit=1, expect=1)
    assert [(i["iccid"], i["state"], i["speed_kbps"]) for i in items] == [
        (sims[3].iccid, "blocked", 0)
    ]
    assert everything(client, cursor)[0] == []


def test_usage_that_runs_out_limits_the_speed_in_the_feed(client, session, factory):
    (sim,) = sims_with_policy(session, factory, 1)
    _, cursor = everything(client, expect=1)
    end = datetime.now(UTC) - timedelta(minutes=5)
    record = {
        "record_id": "x1",
        "iccid": sim.iccid,
        "start": (end - timedelta(minutes=50)).isoformat(),
        "end": end.isoformat(),
        "bytes_up": 10**9,
        "bytes_down": 10 * 10**9,
    }
    report = client.post("/api/usage", json=[record], headers=AUTH).json()
    assert report["accepted"] == 1
    items, _ = everything(client, cursor, expect=1)
    assert [(i["state"], i["speed_kbps"]) for i in items] == [("limited", 128)]
    assert usage.sender_for("tok-sgw") == "sgw"  # the other sender reads the same feed
    assert everything(client, headers={"Authorization": "Bearer tok-sgw"}, expect=1)[0]


def test_a_wrong_token_is_refused(client, session, factory):
    sims_with_policy(session, factory, 1)
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic tok-pgw"}):
        response = client.get("/api/policy", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "auth.required"}
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "params, code",
    [
        ({"since": "nonsense"}, "policy.error.cursor"),
        ({"since": ""}, "policy.error.cursor"),
        ({"since": "p1.%%%"}, "policy.error.cursor"),
        ({"since": policy.encode_cursor(1, 2) + "A"}, "policy.error.cursor"),
        ({"limit": "0"}, "policy.error.limit"),
        ({"limit": "10001"}, "policy.error.limit"),
        ({"limit": "-5"}, "policy.error.limit"),
        ({"limit": "ten"}, "policy.error.limit"),
        ({"limit": "9" * 40}, "policy.error.limit"),
        ({"limit": "1.5"}, "policy.error.limit"),
    ],
)
def test_a_bad_cursor_or_limit_is_400(client, params, code):
    response = client.get("/api/policy", params=params, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {"error": code}


def test_limits_at_the_edges(client, session, factory):
    sims_with_policy(session, factory, 2)
    for limit in ("1", "10000"):
        response = client.get("/api/policy", params={"limit": limit}, headers=AUTH)
        assert response.status_code == 200
