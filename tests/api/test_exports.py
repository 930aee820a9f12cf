"""GET /api/export/{list}: a signed link streams the filtered list as CSV; a forged, expired
or foreign link, a revoked session or a missing permission gets nothing."""

from __future__ import annotations

import warnings

import pytest

from paysim_app.api.exports import export_link
from paysim_app.api.routes import api
from paysim_app.services import accounts, signing
from paysim_app.services.listing import ListQuery


@pytest.fixture
def client(session):
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    with TestClient(api) as c:
        yield c


def _login(session, factory, role):
    user = factory.admin_user(role)
    token, _actor = accounts.sign_in(session, user.email, factory.password)
    session.commit()
    return accounts.session_id_of(session, token), token


def test_a_signed_link_downloads_the_filtered_csv(session, factory, client):
    sid, _ = _login(session, factory, "Superadmin")
    keep = factory.sim(status="deactivated")
    factory.sim()
    url = export_link(sid, "sims", ListQuery(filters={"status": "deactivated"}), "ru")
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.lstrip("\ufeff").strip().split("\r\n")
    assert len(lines) == 2 and keep.iccid in lines[1]


def test_forged_expired_revoked_and_unpermitted_links_are_refused(session, factory, client):
    sid, token = _login(session, factory, "Superadmin")
    url = export_link(sid, "sims", ListQuery(), "ru")
    assert client.get(url[:-3] + "abc").status_code == 403
    assert client.get(url.replace("/sims?", "/payments?")).status_code == 404  # signed for sims
    expired = signing.sign({"sid": sid, "list": "sims"}, "export", ttl_seconds=-1)
    assert client.get(f"/api/export/sims?t={expired}").status_code == 403
    support_sid, _ = _login(session, factory, "Support operator")
    assert client.get(export_link(support_sid, "sims", ListQuery(), "ru")).status_code == 403
    accounts.sign_out(session, token)
    session.commit()
    assert client.get(url).status_code == 403
