"""The one list machinery (core/listing.py) through its two first declarations: the SIM
stock and the payments. Filters, search, sort, pages, the capped count, refusals, export."""

from __future__ import annotations

import pytest
from sqlalchemy import func, text
from sqlmodel import select
from stdnum import luhn

from paysim_app.billing import payment_lists
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, count_capped, fetch_page, filtered
from paysim_app.models import AuditLog, Sim
from paysim_app.overview import list_export
from paysim_app.sims import inventory
from tests.money_helpers import card_topup


def page(session, actor, spec=inventory.SIM_LIST, **kw):
    return fetch_page(session, actor, spec, ListQuery(**kw))


def test_pages_walk_every_row_once_in_order(session, factory):
    admin = factory.superadmin()
    ids = {factory.sim().id for _ in range(7)}
    seen, p = [], 1
    while True:
        result = page(session, admin, page=p, page_size=3, sort="msisdn", descending=False)
        seen += [r["id"] for r in result.rows]
        if not result.has_next:
            break
        p += 1
    assert set(seen) == ids and len(seen) == 7
    msisdns = [session.get(Sim, i).msisdn for i in seen]
    assert msisdns == sorted(msisdns)


def test_count_is_capped_and_computed_only_when_asked(session, factory):
    admin = factory.superadmin()
    for _ in range(5):
        factory.sim()
    stmt = filtered(inventory.SIM_LIST, admin, ListQuery())
    assert count_capped(session, stmt, cap=3) == (3, True)
    assert count_capped(session, stmt, cap=10) == (5, False)
    assert page(session, admin, page_size=2).total == 5
    assert page(session, admin, page=2, page_size=2).total == 5
    no_count = fetch_page(
        session, admin, inventory.SIM_LIST, ListQuery(page=2, page_size=2), count=False
    )
    assert no_count.total is None and len(no_count.rows) == 2


def test_filters_by_status_partner_and_balance(session, factory):
    admin = factory.superadmin()
    dealer = factory.partner()
    sub = factory.subscriber()
    in_debt = factory.sim(sub, partner=dealer, balance_kop=-500)
    factory.sim(partner=dealer)
    factory.sim()
    rows = page(
        session, admin, filters={"status": "active", "partner": str(dealer.partner.id)}
    ).rows
    assert [r["id"] for r in rows] == [in_debt.id]
    assert [r["id"] for r in page(session, admin, filters={"balance": "negative"}).rows] == [
        in_debt.id
    ]
    assert len(page(session, admin, filters={"partner": "none"}).rows) == 1


@pytest.mark.parametrize(
    "how",
    ["full", "plus7", "eight", "spaced", "tail", "iccid", "iccid_part", "imsi"],
)
def test_search_finds_a_sim_by_any_of_its_numbers(session, factory, how):
    admin = factory.superadmin()
    sim = factory.sim()
    factory.sim()
    ten = sim.msisdn[2:]
    text = {
        "full": sim.msisdn,
        "plus7": "+7 " + ten[:3] + " " + ten[3:6] + "-" + ten[6:8] + "-" + ten[8:],
        "eight": "8" + ten,
        "spaced": f"({ten[:3]}) {ten[3:]}",
        "tail": ten[-5:],
        "iccid": sim.iccid,
        "iccid_part": sim.iccid[-9:],
        "imsi": sim.imsi,
    }[how]
    assert [r["id"] for r in page(session, admin, search=text).rows] == [sim.id]


def test_search_by_subscriber_name_and_like_wildcards_are_literal(session, factory):
    admin = factory.superadmin()
    anna = factory.subscriber(full_name="Анна Смирнова")
    sim = factory.sim(anna)
    factory.sim(factory.subscriber(full_name="Пётр Иванов"))
    assert [r["id"] for r in page(session, admin, search="смирнов").rows] == [sim.id]
    assert page(session, admin, search="%").rows == []
    assert page(session, admin, search="_").rows == []


@pytest.mark.parametrize(
    "filters",
    [{"status": "lost"}, {"nope": "1"}, {"created_from": "26.11.2026"}, {"partner": "abc"}],
)
def test_bad_filters_get_a_clear_error(session, factory, filters):
    admin = factory.superadmin()
    with pytest.raises(ValidationError):
        page(session, admin, filters=filters)


def test_the_support_operator_and_a_subscriber_cannot_list_sims_or_payments(session, factory):
    for actor in (factory.support(), factory.subscriber(), None):
        for spec in (inventory.SIM_LIST, payment_lists.PAYMENT_LIST):
            with pytest.raises(PermissionDenied):
                page(session, actor, spec)


def test_payments_filters_totals_and_search(session, factory):
    admin = factory.superadmin()
    sub = factory.subscriber(full_name="Ольга Кузнецова")
    sim = factory.sim(sub)
    other = factory.sim(factory.subscriber())
    big = card_topup(session, sim, 150_000)
    card_topup(session, sim, 20_000, status="failed")
    card_topup(session, other, 30_000)
    session.commit()
    spec = payment_lists.PAYMENT_LIST
    rows = page(session, admin, spec, filters={"amount_min": "1 000,50"}).rows
    assert [r["id"] for r in rows] == [big]
    assert len(page(session, admin, spec, filters={"sim": str(sim.id)}).rows) == 2
    assert len(page(session, admin, spec, filters={"status": "failed"}).rows) == 1
    assert [r["id"] for r in page(session, admin, spec, search=f"#{big}").rows] == [big]
    assert len(page(session, admin, spec, search="кузнецова").rows) == 2
    tot = payment_lists.totals(session, admin, ListQuery(filters={"sim": str(sim.id)}))
    assert (tot.count, tot.amount_kop, tot.succeeded_kop) == (2, 170_000, 150_000)
    card = payment_lists.payment_card(session, admin, big)
    assert card.refundable and card.msisdn == sim.msisdn
    with pytest.raises(PermissionDenied):
        payment_lists.payment_card(session, factory.support(), big)


def test_create_edit_delete_a_sim_with_audit(session, factory):
    admin = factory.superadmin()
    dealer = factory.partner()
    body = "897019900000000001"
    form = inventory.SimForm(
        iccid=body + luhn.calc_check_digit(body),
        msisdn="8 (903) 111-22-33",
        imsi="250991234567890",
        partner_id=str(dealer.partner.id),
        activation_code="AB12-CD34",
    )
    sim_id = inventory.create_sim(session, admin, form)
    session.commit()
    sim = session.get(Sim, sim_id)
    assert sim.msisdn == "+79031112233" and sim.partner_id == dealer.partner.id
    assert sim.activation_code_hash and len(sim.puk) == 8
    inventory.edit_sim(
        session,
        admin,
        sim_id,
        inventory.SimForm(**{**form.__dict__, "msisdn": "+79031112244", "partner_id": ""}),
    )
    session.commit()
    assert session.get(Sim, sim_id).partner_id is None
    card = inventory.sim_card(session, admin, sim_id)
    assert [h.what for h in card.history if h.kind == "audit"] == ["sim.edit", "sim.create"]
    inventory.delete_sim(session, admin, sim_id)
    session.commit()
    assert session.get(Sim, sim_id) is None
    actions = session.exec(
        select(AuditLog.action).where(AuditLog.entity == "sim", AuditLog.entity_id == str(sim_id))
    ).all()
    assert sorted(actions) == ["sim.create", "sim.delete", "sim.edit"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"iccid": "8970199000000000002"}, "iccid"),  # bad Luhn digit
        ({"msisdn": "+1 202 555 0100"}, "msisdn"),
        ({"imsi": "25099123"}, "imsi"),
        ({"status": "active"}, "status"),
        ({"partner_id": "999999"}, "partner_id"),
        ({"activation_code": "x"}, "activation_code"),
    ],
)
def test_a_bad_sim_form_names_the_field_and_changes_nothing(session, factory, change, field):
    admin = factory.superadmin()
    taken = factory.sim()
    base = {"iccid": taken.iccid, "msisdn": "+79035550000", "imsi": "250990000000001"}
    fresh = "897019900000000009" + luhn.calc_check_digit("897019900000000009")
    n = session.exec(select(func.count()).select_from(Sim)).one()
    with pytest.raises(ValidationError) as err:
        inventory.create_sim(
            session, admin, inventory.SimForm(**{**base, "iccid": fresh, **change})
        )
    assert err.value.field == field
    with pytest.raises(ValidationError) as err:
        inventory.create_sim(session, admin, inventory.SimForm(**base))
    assert err.value.field == "iccid"  # taken by another SIM
    session.rollback()
    assert session.exec(select(func.count()).select_from(Sim)).one() == n


def test_a_sim_that_had_a_subscriber_cannot_be_deleted_and_support_cannot_edit(session, factory):
    admin = factory.superadmin()
    sim = factory.sim(factory.subscriber())
    with pytest.raises(DomainError):
        inventory.delete_sim(session, admin, sim.id)
    with pytest.raises(PermissionDenied):
        inventory.delete_sim(session, factory.support(), sim.id)
    with pytest.raises(PermissionDenied):
        inventory.bulk(session, factory.support(), "deactivate", [sim.id])


def test_bulk_actions_change_what_fits_and_skip_the_rest(session, factory):
    admin = factory.superadmin()
    dealer = factory.partner()
    stock = [factory.sim() for _ in range(3)]
    active = factory.sim(factory.subscriber())
    ids = [s.id for s in stock] + [active.id]
    result = inventory.bulk(session, admin, "assign_partner", ids, str(dealer.partner.id))
    session.commit()
    assert (result.changed, result.skipped) == (4, 0)
    result = inventory.bulk(session, admin, "set_status", ids, "deactivated")
    session.commit()
    assert (result.changed, result.skipped) == (4, 0)
    # a SIM that belongs to a contract never goes back to the shelf
    result = inventory.bulk(session, admin, "set_status", ids, "in_stock")
    session.commit()
    assert (result.changed, result.skipped) == (3, 1)
    session.refresh(active)
    assert active.status == "deactivated"
    with pytest.raises(ValidationError):
        inventory.bulk(session, admin, "set_status", ids, "active")
    with pytest.raises(ValidationError):
        inventory.bulk(session, admin, "explode", ids)
    with pytest.raises(ValidationError):
        inventory.bulk(session, admin, "deactivate", [])


def test_export_streams_every_matching_row_with_formulas_neutralised(session, factory):
    admin = factory.superadmin()
    for _ in range(3):
        factory.sim(label="=HYPERLINK()")
    spec = list_export.lists()["sims"]
    text = "".join(list_export.csv_chunks(session, admin, spec, ListQuery(), "ru"))
    lines = text.lstrip("\ufeff").strip().split("\r\n")
    assert len(lines) == 4 and ";" in lines[0]
    with pytest.raises(PermissionDenied):
        "".join(list_export.csv_chunks(session, factory.support(), spec, ListQuery(), "ru"))


def test_past_the_cap_postgresql_gives_an_estimate(session, factory, backend):
    from dataclasses import replace

    from paysim_app.core.listing import estimate_rows

    admin = factory.superadmin()
    for _ in range(4):
        factory.sim()
    if backend == "postgres":
        session.execute(text("ANALYZE sim"))
    tiny = replace(inventory.SIM_LIST, count_cap=2)
    result = fetch_page(
        session, admin, tiny, ListQuery(page=2, page_size=1, filters={"status": "in_stock"})
    )
    guess = estimate_rows(session, filtered(tiny, admin, ListQuery()))
    # with parameters, a LIKE pattern and a quote in the user's text
    narrowed = ListQuery(filters={"status": "in_stock"}, search="O'Brien %")
    guess_filtered = estimate_rows(session, filtered(tiny, admin, narrowed))
    if backend == "postgres":
        assert isinstance(guess, int) and isinstance(guess_filtered, int)
        assert result.estimated or result.capped
    else:
        assert guess is None and guess_filtered is None
        assert (result.total, result.capped, result.estimated) == (2, True, False)


@pytest.mark.parametrize("cap", [2, 1000], ids=["many_matches", "few_matches"])
def test_a_narrowed_list_pages_the_same_rows_whichever_plan_it_asks_for(session, factory, cap):
    """Past the cap the status filter is read through its (status, id) index; under the cap the
    matches are sorted as they are. Both give every matching row once, in the list's order."""
    from dataclasses import replace

    from sqlalchemy import event

    admin = factory.superadmin()
    sub = factory.subscriber()
    sims = [factory.sim(sub if i % 3 == 0 else None) for i in range(9)]
    stock = sorted((s.id for s in sims if s.status == "in_stock"), reverse=True)
    spec = replace(inventory.SIM_LIST, count_cap=cap)
    statements: list[str] = []
    engine = session.get_bind()
    listen = lambda *a: statements.append(a[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        seen, p = [], 1
        while True:
            result = fetch_page(
                session, admin, spec, ListQuery(filters={"status": "in_stock"}, page=p, page_size=2)
            )
            seen += [r["id"] for r in result.rows]
            if not result.has_next:
                break
            p += 1
        by_number = fetch_page(
            session,
            admin,
            spec,
            ListQuery(filters={"status": "in_stock"}, sort="msisdn", descending=False),
        )
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert seen == stock
    numbers = [r["msisdn"] for r in by_number.rows]
    assert numbers == sorted(numbers) and len(numbers) == len(stock)
    pages = [s for s in statements if "ORDER BY" in s]
    if cap == 2:
        assert "BETWEEN" in pages[0] and "ORDER BY sim.status DESC, sim.id DESC" in pages[0]
    else:
        assert "ORDER BY coalesce(sim.id, sim.id) DESC" in pages[0]


def test_a_search_with_few_matches_is_counted_once_and_sorted_from_its_matches(session, factory):
    admin = factory.superadmin()
    sims = [factory.sim() for _ in range(4)]
    result = page(session, admin, search=sims[1].msisdn[-7:], page_size=1)
    assert [r["id"] for r in result.rows] == [sims[1].id]
    assert (result.total, result.capped, result.estimated) == (1, False, False)
    assert page(session, admin, search="   ").total == 4  # blank: not a search


def test_list_statements_are_planned_for_their_own_values(session, factory, backend):
    """No server-side prepared statements: PostgreSQL never swaps a list's per-value plan for
    one generic plan after a few runs (see db.make_engine)."""
    if backend != "postgres":
        pytest.skip("prepared statements are PostgreSQL's")
    admin = factory.superadmin()
    factory.sim()
    for n in range(8):  # psycopg's default would prepare from the 5th run
        page(session, admin, filters={"status": "in_stock"}, search=f"{n}{n}{n}")
    prepared = session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
    assert prepared == 0


@pytest.mark.parametrize(
    "matches, counted, order",
    [
        (None, True, "coalesce(sim.id, sim.id) DESC"),  # no earlier count: count to choose
        (3, False, "coalesce(sim.id, sim.id) DESC"),  # few: sort the matches
        (1001, False, "sim.status DESC, sim.id DESC"),  # many: read the (status, id) index
    ],
)
def test_a_page_turn_uses_the_last_count_to_choose_its_plan(
    session, factory, matches, counted, order
):
    from sqlalchemy import event

    admin = factory.superadmin()
    ids = sorted((factory.sim().id for _ in range(3)), reverse=True)
    statements: list[str] = []
    engine = session.get_bind()
    listen = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        query = ListQuery(filters={"status": "in_stock"}, page=2, page_size=2)
        result = fetch_page(session, admin, inventory.SIM_LIST, query, count=False, matches=matches)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert [r["id"] for r in result.rows] == ids[2:] and result.total is None
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # the count reads the keys of at most cap + 1 matches, in no order; the page then asks for
    # those keys (the match is looked up once)
    assert any("ORDER BY" not in s for s in selects) is counted
    page_statement = next(s for s in selects if "ORDER BY" in s)
    assert order in page_statement
    assert ("sim.id IN (" in page_statement) is counted


def test_the_sim_list_is_planned_without_merge_joins_and_the_setting_ends_with_it(
    session, factory, backend
):
    """core.listing.planned: the SIMs join their balances 1:1, and a capped count planned as a
    merge join of the two keys read the old SIMs first (bench/README.md). The setting holds for
    the list's statements only; a list without the flag never sets it."""
    from sqlalchemy import event

    admin = factory.superadmin()
    factory.sim(factory.subscriber(), balance_kop=-500)
    seen: list[tuple[str, str]] = []

    def record(conn, cursor, statement, *_):
        if statement.startswith("SELECT"):
            setting = "on"
            if backend == "postgres":
                setting = cursor.connection.execute("SHOW enable_mergejoin").fetchone()[0]
            seen.append((statement.split()[1], setting))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = page(session, admin, filters={"balance": "negative"}, sort="balance")
        during, seen[:] = list(seen), []
        page(session, admin, spec=payment_lists.PAYMENT_LIST)
        payments, seen[:] = list(seen), []
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(result.rows) == 1 and result.rows[0]["balance_kop"] == -500
    assert during and payments
    want = "off" if backend == "postgres" else "on"
    assert {s for _, s in during} == {want}
    assert {s for _, s in payments} == {"on"}  # reset after the SIM list, never set for payments
    if backend == "postgres":
        assert session.execute(text("SHOW enable_mergejoin")).scalar() == "on"
