"""The Admins, Audit and Quality lists (overview/staff_lists.py) over the one list
machinery: filters, search, sorts, refusals, export, and the audit row's change line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paysim_app.accounts import admins
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, export_rows, fetch_page
from paysim_app.core.permissions import ROLE_SUPERADMIN, ROLE_SUPPORT
from paysim_app.models import AuditLog, QualityRating, SpeedTest, Ticket
from paysim_app.overview import list_export
from paysim_app.overview.staff_lists import (
    ADMIN_LIST,
    AUDIT_LIST,
    RATING_LIST,
    audit_change,
    pretty_json,
    rating_choices,
    role_choices,
)


def page(session, actor, spec, **kw):
    return fetch_page(session, actor, spec, ListQuery(**kw))


def ids(session, actor, spec, **kw):
    return [r["id"] for r in page(session, actor, spec, **kw).rows]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def role_id(session, actor, name):
    return next(c.value for c in role_choices(session, actor) if c.label == name)


# -- admins -----------------------------------------------------------------------------------
@pytest.fixture
def staff(session, factory):
    boss = factory.admin(ROLE_SUPERADMIN, email="boss@example.ru")
    helper = factory.admin(ROLE_SUPPORT, email="helper@example.ru")
    gone = factory.admin_user(ROLE_SUPPORT, email="gone@example.ru")
    gone.is_active, gone.full_name = False, "Ольга Уволенная"
    session.add(gone)
    session.commit()
    return {"boss": boss, "helper": helper, "gone": gone.id}


def test_admin_list_filters_by_role_and_active_and_searches(session, staff):
    boss = staff["boss"]
    everyone = ids(session, boss, ADMIN_LIST)
    assert {boss.user_id, staff["helper"].user_id, staff["gone"]} <= set(everyone)
    support_role = role_id(session, boss, ROLE_SUPPORT)
    assert set(ids(session, boss, ADMIN_LIST, filters={"role": support_role})) == {
        staff["helper"].user_id,
        staff["gone"],
    }
    assert ids(session, boss, ADMIN_LIST, filters={"active": "no"}) == [staff["gone"]]
    assert staff["gone"] not in ids(session, boss, ADMIN_LIST, filters={"active": "yes"})
    assert ids(session, boss, ADMIN_LIST, search="HELPER@") == [staff["helper"].user_id]
    assert ids(session, boss, ADMIN_LIST, search="уволен") == [staff["gone"]]
    row = page(session, boss, ADMIN_LIST, search="boss").rows[0]
    assert (row["role_name"], row["is_active"]) == (ROLE_SUPERADMIN, True)


def test_admin_list_sorts_and_refuses_bad_filters(session, staff):
    boss = staff["boss"]
    emails = [
        r["email"]
        for r in page(session, boss, ADMIN_LIST, sort="email", descending=False).rows
        if r["email"].endswith("@example.ru")
    ]
    assert emails == sorted(emails)
    for bad in ({"role": "abc"}, {"role": "-1"}, {"active": "maybe"}, {"nope": "1"}):
        with pytest.raises(ValidationError):
            page(session, boss, ADMIN_LIST, filters=bad)


def test_admin_list_and_role_choices_need_admins_view(session, staff):
    with pytest.raises(PermissionDenied):
        page(session, staff["helper"], ADMIN_LIST)
    with pytest.raises(PermissionDenied):
        role_choices(session, staff["helper"])
    with pytest.raises(PermissionDenied):
        page(session, None, ADMIN_LIST)
    names = [c.label for c in role_choices(session, staff["boss"])]
    assert names == sorted(names) and ROLE_SUPPORT in names


# -- audit ------------------------------------------------------------------------------------
@pytest.fixture
def log(session, staff):
    boss = staff["boss"]
    admins.set_admin_active(session, boss, staff["helper"].user_id, False)
    session.commit()
    admins.create_role(session, boss, "Кассир", "", ["payments.view"])
    session.commit()
    session.add(AuditLog(actor_user_id=None, action="run_billing", entity="job", entity_id="1"))
    session.add(
        AuditLog(
            actor_user_id=boss.user_id,
            action="old_thing",
            entity="sim",
            entity_id="7",
            created_at=at(2024, 1, 15, 12),
        )
    )
    session.commit()
    return staff


def test_audit_list_is_newest_first_with_who_did_it(session, log):
    rows = page(session, log["boss"], AUDIT_LIST).rows
    times = [r["created_at"] for r in rows]
    assert times == sorted(times, reverse=True)
    assert rows[-1]["action"] == "old_thing"
    by_action = {r["action"]: r for r in rows}
    assert by_action["disable_admin"]["actor_login"] == "boss@example.ru"
    assert by_action["run_billing"]["actor_login"] is None  # the system


def test_audit_list_filters_by_admin_action_entity_and_period(session, log):
    boss = log["boss"]
    actions = lambda **kw: {r["action"] for r in page(session, boss, AUDIT_LIST, **kw).rows}  # noqa: E731
    assert actions(filters={"action": "create_role"}) == {"create_role"}
    assert actions(filters={"entity": "admin_role"}) == {"create_role"}
    assert actions(filters={"entity": "sim", "entity_id": "7"}) == {"old_thing"}
    assert "run_billing" not in actions(filters={"admin": str(boss.user_id)})
    assert actions(filters={"from": "2024-01-15", "to": "2024-01-15"}) == {"old_thing"}
    assert actions(filters={"to": "2024-12-31"}) == {"old_thing"}
    assert "old_thing" not in actions(filters={"from": "2025-01-01"})
    assert actions(search="disable") == {"disable_admin"}
    for bad in ({"admin": "x"}, {"from": "15.01.2024"}, {"action": "a" * 80}):
        with pytest.raises(ValidationError):
            page(session, boss, AUDIT_LIST, filters=bad)


def test_audit_list_needs_audit_view(session, log):
    with pytest.raises(PermissionDenied):
        page(session, log["helper"], AUDIT_LIST)
    with pytest.raises(PermissionDenied):
        list(export_rows(session, log["helper"], AUDIT_LIST, ListQuery()))


def test_audit_change_line_and_pretty_json():
    assert audit_change('{"is_active": true}', '{"is_active": false}') == "is_active: true → false"
    line = audit_change(
        '{"name": "A", "permissions": ["a.view", "b.view"]}',
        '{"name": "A", "permissions": ["a.view", "c.view"]}',
    )
    assert line == "permissions: +c.view −b.view"
    assert audit_change("", '{"email": "x@y.ru"}') == "email: x@y.ru"
    assert audit_change('{"role": "A"}', "") == "role: A → ∅"
    assert audit_change("", "") == ""
    assert audit_change("{}", '{"reason": ""}') == 'reason: ""'
    assert audit_change("not json", "") == "not json → ∅"
    assert len(audit_change("", '{"k": "' + "x" * 900 + '"}', limit=50)) == 50
    assert pretty_json('{"b": 1, "a": [1]}') == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}'
    assert pretty_json("") == ""


# -- ratings ----------------------------------------------------------------------------------
@pytest.fixture
def ratings(session, factory):
    alpha = factory.tariff("Alpha")
    north = factory.partner("Дилер Север").partner
    alice = factory.subscriber(full_name="Алиса Иванова")
    bob = factory.subscriber(full_name="Борис Смирнов")
    s1 = factory.sim(alice, tariff=alpha, partner=north)
    s2 = factory.sim(bob)
    speed = SpeedTest(
        sim_id=s1.id,
        user_id=alice.user_id,
        ping_ms=20,
        jitter_ms=1,
        download_kbps=12000,
        upload_kbps=3000,
    )
    ticket = Ticket(
        author_user_id=alice.user_id,
        subscriber_id=alice.subscriber_id,
        sim_id=s1.id,
        category="speed",
        subject="Медленно",
    )
    session.add_all([speed, ticket])
    session.flush()

    def rate(sim, user, when, aspect, stars, **kw):
        row = QualityRating(
            sim_id=sim.id, user_id=user.user_id, aspect=aspect, stars=stars, created_at=when, **kw
        )
        session.add(row)
        session.flush()
        return row.id

    out = {
        "five": rate(s1, alice, at(2025, 1, 10, 10), "voice", 5),
        "one": rate(
            s1, alice, at(2025, 2, 1, 10), "speed", 1, ticket_id=ticket.id, speed_test_id=speed.id
        ),
        "three": rate(s2, bob, at(2025, 3, 1, 10), "coverage", 3),
        "two": rate(s2, bob, at(2025, 3, 2, 10), "voice", 2),
    }
    session.commit()
    out.update(
        alice=alice.user_id,
        alpha=alpha.id,
        north=north.id,
        s1=s1,
        ticket=ticket.id,
        admin=factory.superadmin(),
    )
    out["support"] = factory.support()
    return out


def test_ratings_default_to_the_low_ones_first(session, ratings):
    admin = ratings["admin"]
    assert RATING_LIST.default_sort == "stars"
    low_first = ids(session, admin, RATING_LIST, descending=False)
    assert low_first == [ratings[k] for k in ("one", "two", "three", "five")]
    row = page(session, admin, RATING_LIST, descending=False).rows[0]
    assert (row["ticket_id"], row["download_kbps"], row["tariff_name"]) == (
        ratings["ticket"],
        12000,
        "Alpha",
    )
    newest = ids(session, admin, RATING_LIST, sort="created_at", descending=True)
    assert newest[0] == ratings["two"]


def test_ratings_filter_by_aspect_stars_tariff_partner_ticket_and_period(session, ratings):
    admin = ratings["admin"]

    def got(**filters):
        return set(ids(session, admin, RATING_LIST, filters=filters))

    r = ratings
    assert got(aspect="voice") == {r["five"], r["two"]}
    assert got(max_stars="2") == {r["one"], r["two"]}
    assert got(tariff=str(r["alpha"])) == {r["five"], r["one"]}
    assert got(partner=str(r["north"])) == {r["five"], r["one"]}
    assert got(has_ticket="yes") == {r["one"]}
    assert got(has_ticket="no") == {r["five"], r["three"], r["two"]}
    assert got(**{"from": "2025-02-01", "to": "2025-03-01"}) == {r["one"], r["three"]}
    assert got(aspect="voice", max_stars="3") == {r["two"]}
    for bad in ({"aspect": "tea"}, {"max_stars": "9"}, {"tariff": "x"}, {"has_ticket": "1"}):
        with pytest.raises(ValidationError):
            page(session, admin, RATING_LIST, filters=bad)


def test_ratings_search_by_number_or_name(session, ratings):
    admin = ratings["admin"]
    tail = ratings["s1"].msisdn[-6:]
    assert set(ids(session, admin, RATING_LIST, search=tail)) == {ratings["five"], ratings["one"]}
    assert set(ids(session, admin, RATING_LIST, search="борис")) == {
        ratings["three"],
        ratings["two"],
    }


def test_ratings_and_their_choices_need_quality_view(session, ratings):
    with pytest.raises(PermissionDenied):
        page(session, ratings["support"], RATING_LIST)
    with pytest.raises(PermissionDenied):
        rating_choices(session, ratings["support"])
    c = rating_choices(session, ratings["admin"])
    assert ("Alpha" in [t.label for t in c.tariffs]) and (
        "Дилер Север" in [p.label for p in c.partners]
    )


def test_the_three_lists_export_as_csv(session, ratings, staff):
    specs = list_export.lists()
    assert {"admins", "audit", "ratings"} <= set(specs)
    text = "".join(
        list_export.csv_chunks(
            session, ratings["admin"], specs["ratings"], ListQuery(descending=False), "en"
        )
    )
    lines = text.strip().splitlines()
    assert lines[0].startswith("Date,Rating,What")
    assert ",1,Internet speed," in lines[1]
    admins_csv = "".join(
        list_export.csv_chunks(session, staff["boss"], specs["admins"], ListQuery(), "en")
    )
    assert "gone@example.ru" in admins_csv and "Disabled" in admins_csv
    with pytest.raises(PermissionDenied):
        "".join(
            list_export.csv_chunks(session, ratings["support"], specs["audit"], ListQuery(), "en")
        )


def test_ratings_period_filter_uses_moscow_days(session, ratings):
    """23:30 UTC on 31 Jan is already 1 Feb in Moscow."""
    admin = ratings["admin"]
    late = QualityRating(
        sim_id=ratings["s1"].id,
        user_id=ratings["alice"],
        aspect="voice",
        stars=4,
        created_at=at(2025, 1, 31, 23, 30),
    )
    session.add(late)
    session.commit()
    got = ids(session, admin, RATING_LIST, filters={"from": "2025-02-01", "to": "2025-02-01"})
    assert late.id in got and ratings["five"] not in got
