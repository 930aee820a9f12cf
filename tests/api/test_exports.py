"""GET /api/export/{list}: a signed link streams the filtered list as CSV; a forged, expired
or foreign link, a revoked session or a missing permission gets nothing. Each export is audited
(who, which list, filters, search, sort, rows) before its first row; a refused one is not."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import pytest
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.api.exports import export_link
from paysim_app.api.routes import api
from paysim_app.core import signing
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.models import AuditLog
from paysim_app.overview import list_export
from paysim_app.overview.staff_lists import AUDIT_LIST


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
    token, _actor = identity.sign_in(session, user.email, factory.password)
    session.commit()
    return identity.session_id_of(session, token), token


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
    identity.sign_out(session, token)
    session.commit()
    assert client.get(url).status_code == 403


def _exports(session) -> list[AuditLog]:
    session.expire_all()
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.action == "list.export").order_by(AuditLog.id)
        ).all()
    )


def test_an_export_is_audited_with_its_list_filters_sort_and_rows(session, factory, client):
    sid, _ = _login(session, factory, "Superadmin")
    admin_id = identity.actor_of_session_id(session, sid).user_id
    for _ in range(3):
        factory.sim(status="deactivated")
    factory.sim()
    query = ListQuery(
        filters={"status": "deactivated", "tariff": ""}, search="", sort="iccid", descending=False
    )
    assert client.get(export_link(sid, "sims", query, "ru")).status_code == 200
    [row] = _exports(session)
    assert (row.actor_user_id, row.entity, row.entity_id) == (admin_id, "list", "sims")
    assert json.loads(row.after) == {
        "format": "csv",
        "filters": {"status": "deactivated"},  # only the filters that were set
        "search": "",
        "sort": "iccid",
        "descending": False,
        "rows": 3,
    }
    # the admin's audit list shows it
    page = fetch_page(session, identity.actor_of_session_id(session, sid), AUDIT_LIST, ListQuery())
    assert any(r["action"] == "list.export" and r["entity_id"] == "sims" for r in page.rows)


def test_an_export_past_the_count_cap_says_more_than(session, factory):
    """The rows are counted up to the list's cap only (an export of a million SIMs does not
    count them first)."""
    sid, _ = _login(session, factory, "Superadmin")
    actor = identity.actor_of_session_id(session, sid)
    for _ in range(3):
        factory.sim()
    spec = replace(list_export.lists()["sims"], count_cap=2)
    list_export.start_export(session, actor, spec, ListQuery(search="8970"))
    session.commit()
    after = json.loads(_exports(session)[0].after)
    assert after["rows_more_than"] == 2 and "rows" not in after
    assert after["search"] == "8970"


def test_a_refused_export_writes_no_audit_entry(session, factory, client):
    sid, token = _login(session, factory, "Superadmin")
    url = export_link(sid, "sims", ListQuery(), "ru")
    assert client.get(url[:-3] + "abc").status_code == 403
    assert client.get(url.replace("/sims?", "/payments?")).status_code == 404
    support_sid, _ = _login(session, factory, "Support operator")
    assert client.get(export_link(support_sid, "sims", ListQuery(), "ru")).status_code == 403
    # a filter the list does not have, or a bad value: refused before the first byte
    for filters in ({"no_such_filter": "1"}, {"status": "on_the_moon"}):
        bad = export_link(sid, "sims", ListQuery(filters=filters), "ru")
        assert client.get(bad).status_code == 400
    identity.sign_out(session, token)
    session.commit()
    assert client.get(url).status_code == 403
    assert _exports(session) == []


def test_a_partners_export_is_audited_too(session, factory, client):
    dealer = factory.partner()
    token, _ = identity.sign_in(session, dealer.login, dealer.password)
    session.commit()
    sid = identity.session_id_of(session, token)
    factory.sim(factory.subscriber(), partner=dealer)
    assert client.get(export_link(sid, "partner_sims", ListQuery(), "en")).status_code == 200
    [row] = _exports(session)
    assert (row.actor_user_id, row.entity_id) == (dealer.user.id, "partner_sims")
    assert json.loads(row.after)["rows"] == 1
