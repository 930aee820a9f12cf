"""POST /api/usage: the mediation system's records in, per sender token, JSON or CSV, with the
caps on the body and the records and a reason for each rejected record."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest

from paysim_app.api.routes import api
from paysim_app.settings import get_settings
from paysim_app.sims import usage

AUTH = {"Authorization": "Bearer tok-pgw"}
START = (datetime.now(UTC) - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def client(session, monkeypatch):  # `session` first: the database the routes will use
    from starlette.exceptions import StarletteDeprecationWarning

    monkeypatch.setenv("PAYSIM_USAGE_TOKENS", "pgw=tok-pgw;sgw=tok-sgw")
    monkeypatch.setenv("PAYSIM_USAGE_MAX_RECORDS", "5")
    monkeypatch.setenv("PAYSIM_USAGE_MAX_BODY", "4096")
    get_settings.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c
    get_settings.cache_clear()


def rec(rid, sim, up=10, down=20, minutes=30):
    return {
        "record_id": rid,
        "iccid": sim.iccid,
        "start": START.isoformat(),
        "end": (START + timedelta(minutes=minutes)).isoformat(),
        "bytes_up": up,
        "bytes_down": down,
    }


def totals(session, sim):
    hours = usage.hours_of(session, sim.id)
    return sum(h[1] for h in hours), sum(h[2] for h in hours)


def test_json_batch_is_counted_once_and_bad_records_reported(client, session, factory):
    sim = factory.sim()
    session.commit()
    body = [rec("1", sim), rec("2", sim, up=-5), rec("1", sim)]
    response = client.post("/api/usage", json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 1,
        "duplicates": 1,
        "rejected": [{"index": 1, "record_id": "2", "reason": "negative_bytes"}],
    }
    again = client.post("/api/usage", json={"records": body}, headers=AUTH)
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 2
    session.expire_all()
    assert totals(session, sim) == (10, 20)


def test_csv_body(client, session, factory):
    sim = factory.sim()
    session.commit()
    end = (START + timedelta(minutes=90)).isoformat()
    csv = (
        "record_id,imsi,start,end,bytes_up,bytes_down\n"
        f"c1,{sim.imsi},{START.isoformat()},{end},300,600\n"
        f"c2,{sim.imsi},{START.isoformat()},{end},1,\n"
    )
    response = client.post(
        "/api/usage", content=csv, headers={**AUTH, "Content-Type": "text/csv; charset=utf-8"}
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert response.json()["rejected"] == [
        {"index": 1, "record_id": "c2", "reason": "missing_fields"}
    ]
    session.expire_all()
    hours = usage.hours_of(session, sim.id)
    assert [(h[1], h[2]) for h in hours] == [(200, 400), (100, 200)]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic tok-pgw"},
        {"Authorization": "Bearer "},
    ],
)
def test_without_the_right_token_401_and_nothing_counted(client, session, factory, headers):
    sim = factory.sim()
    session.commit()
    response = client.post("/api/usage", json=[rec("1", sim)], headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    session.expire_all()
    assert usage.hours_of(session, sim.id) == []


def test_closed_when_no_tokens_are_set(client, monkeypatch):
    monkeypatch.setenv("PAYSIM_USAGE_TOKENS", "")
    get_settings.cache_clear()
    assert client.post("/api/usage", json=[], headers=AUTH).status_code == 401


def test_senders_are_told_apart(client, session, factory):
    sim = factory.sim()
    session.commit()
    assert client.post("/api/usage", json=[rec("1", sim)], headers=AUTH).json()["accepted"] == 1
    other = {"Authorization": "Bearer tok-sgw"}
    assert client.post("/api/usage", json=[rec("1", sim)], headers=other).json()["accepted"] == 1


def test_caps_and_bad_bodies(client, session, factory):
    sim = factory.sim()
    session.commit()
    big = b"[" + b" " * 5000 + b"]"
    assert (
        client.post(
            "/api/usage", content=big, headers={**AUTH, "Content-Type": "application/json"}
        ).status_code
        == 413
    )

    def chunks():  # no Content-Length: the cap stops the stream
        for _ in range(100):
            yield b" " * 1024

    streamed = client.post(
        "/api/usage", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    many = [rec(str(i), sim) for i in range(6)]
    too_many = client.post("/api/usage", json=many, headers=AUTH)
    assert (too_many.status_code, too_many.json()) == (413, {"error": "usage.too_many_records"})
    for content, kind in (
        (b"{nope", "application/json"),
        (b'{"rows": 1}', "application/json"),
        (b"a,b\n1,2\n", "text/csv"),
        (b"\xff\xfe", "text/csv"),
    ):
        response = client.post(
            "/api/usage", content=content, headers={**AUTH, "Content-Type": kind}
        )
        assert response.status_code == 400, content
    xml = client.post("/api/usage", content=b"<a/>", headers={**AUTH, "Content-Type": "text/xml"})
    assert xml.status_code == 415
    session.expire_all()
    assert usage.hours_of(session, sim.id) == []
