"""A part of a SIM's number, ICCID or IMSI, found through one search structure for the three
(core.text_search.sim_number_part; on PostgreSQL the trigram index ix_sim_numbers_trgm of
migration 0037), by every search that looks for one: the SIM list, the queues, the payments,
the header's search over everything."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from stdnum import luhn

from paysim_app.billing import payment_lists
from paysim_app.core.listing import Condition, ListQuery, fetch_page, filtered
from paysim_app.core.text_search import sim_number_part
from paysim_app.models import Sim
from paysim_app.overview import search
from paysim_app.sims import inventory
from tests.money_helpers import card_topup


def _iccid(body: str) -> str:
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def sims(session, factory):
    """Two SIMs with numbers chosen so that a part can be told from one spanning two numbers:
    the first's MSISDN ends in 4567 and its ICCID starts 8970."""
    first = Sim(
        msisdn="+79031234567",
        iccid=_iccid("897019900000000123"),
        imsi="250990000000777",
        subscriber_id=factory.subscriber(full_name="Олег Ветров").subscriber_id,
        status="active",
    )
    second = Sim(msisdn="+79161112233", iccid=_iccid("897019900000000456"), imsi="250990000000888")
    session.add_all([first, second])
    session.commit()
    return first, second


def _found(session, admin, typed: str) -> list[int]:
    rows = fetch_page(session, admin, inventory.SIM_LIST, ListQuery(search=typed)).rows
    return sorted(r["id"] for r in rows)


@pytest.mark.parametrize(
    ("typed", "which"),
    [
        ("4567", "first"),  # a number's last digits
        ("903 123", "first"),  # the start of a number after +7
        ("8 903 123-45-67", "first"),  # the whole number, as typed
        ("0123", "first"),  # an ICCID's tail (without its check digit)
        ("000000777", "first"),  # a part of an IMSI
        ("250990000000888", "second"),  # a whole IMSI
        ("2233", "second"),
        ("89701990000000", "both"),  # a part every ICCID shares
        ("4567897", "none"),  # the end of the number and the start of the ICCID: no number
        ("9031234567 8970", "none"),
    ],
)
def test_the_sim_list_finds_a_part_of_any_number_and_never_across_two(
    session, factory, sims, typed, which
):
    admin = factory.superadmin()
    first, second = sims
    expected = {
        "first": [first.id],
        "second": [second.id],
        "both": sorted([first.id, second.id]),
        "none": [],
    }[which]
    assert _found(session, admin, typed) == expected


def test_payments_queues_and_the_header_search_find_the_sim_by_a_part(session, factory, sims):
    admin = factory.superadmin()
    first, second = sims
    paid = card_topup(session, first, 10_000)
    card_topup(session, second, 20_000)
    session.commit()
    rows = fetch_page(session, admin, payment_lists.PAYMENT_LIST, ListQuery(search="1234567")).rows
    assert [r["id"] for r in rows] == [paid]
    groups = {g.kind: g for g in search.search(session, admin, "1234567")}
    assert groups["sim"].count == 1 and groups["sim"].hits[0].title == first.msisdn
    assert groups["payment"].count == 1
    assert "sim" not in {g.kind for g in search.search(session, admin, "4567897")}


@pytest.mark.parametrize(
    ("field", "op", "value", "which"),
    [
        ("msisdn", "contains", "1234", "first"),
        ("msisdn", "starts", "+7916", "second"),
        ("iccid", "contains", "0456", "second"),
        ("imsi", "contains", "777", "first"),
        ("msisdn", "contains", "8970", "none"),  # in an ICCID, not in a number
        ("imsi", "starts", "0000", "none"),
    ],
)
def test_the_advanced_search_on_a_number_column_matches_that_column_only(
    session, factory, sims, field, op, value, which
):
    admin = factory.superadmin()
    first, second = sims
    query = ListQuery(conditions=(Condition(field, op, value),))
    rows = fetch_page(session, admin, inventory.SIM_LIST, query).rows
    expected = {"first": [first.id], "second": [second.id], "none": []}[which]
    assert [r["id"] for r in rows] == expected


def test_a_part_is_matched_literally(session, factory, sims):
    admin = factory.superadmin()
    assert _found(session, admin, "%") == []
    first, _second = sims

    def found(part: str) -> list[int]:
        match = Sim.msisdn.contains(part, autoescape=True)
        return list(
            session.execute(select(Sim.id).where(sim_number_part(Sim, part, match))).scalars()
        )

    # "_" and "%" are no wildcards in the part, on either database
    assert found("9_3") == [] and found("9%3") == []
    assert found("903") == [first.id]


def _plan(session, stmt) -> str:
    """The plan with scans of a whole table or index off: with two SIMs (and the statistics
    earlier tests left) the planner would otherwise walk the primary key and filter."""
    sql = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_indexscan = off"))
    return "\n".join(session.execute(text(f"EXPLAIN {sql}")).scalars())


def test_postgresql_answers_every_part_search_from_the_one_trigram_index(
    session, factory, backend, sims
):
    if backend != "postgres":
        pytest.skip("the trigram index is PostgreSQL's (SQLite scans with LIKE)")
    names = set(
        session.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'sim'")).scalars()
    )
    assert "ix_sim_numbers_trgm" in names
    assert not names & {"ix_sim_msisdn_trgm", "ix_sim_iccid_trgm", "ix_sim_imsi_trgm"}
    admin = factory.superadmin()
    for spec, typed in (
        (inventory.SIM_LIST, "123456"),
        (inventory.SIM_LIST, "8 903 123-45-67"),  # the ICCID half of "a whole number"
        (payment_lists.PAYMENT_LIST, "1234567"),
        (inventory.SIM_LIST, Condition("msisdn", "contains", "4567")),  # the advanced search
        (payment_lists.PAYMENT_LIST, Condition("msisdn", "starts", "+7903")),
    ):
        query = (
            ListQuery(conditions=(typed,))
            if isinstance(typed, Condition)
            else ListQuery(search=typed)
        )
        stmt = filtered(spec, admin, query)
        assert "ix_sim_numbers_trgm" in _plan(session, stmt), (spec.name, typed)
        session.rollback()


@pytest.mark.parametrize("cap", [1000, 1])
def test_a_list_page_looks_a_number_up_once_for_its_count_and_its_rows(
    session, factory, backend, sims, monkeypatch, cap
):
    """fetch_page runs inside core.lookups.looked_up_once: on PostgreSQL the SIMs holding a
    typed part (six digits or more) are looked up once, and the count and the page carry their
    ids; past the cap (1 here: the part every ICCID shares) each statement asks the index. The
    rows are those found without any sharing (filtered alone)."""
    from sqlalchemy import event

    from paysim_app.core import lookups

    monkeypatch.setattr(lookups, "LOOKUP_CAP", cap)
    admin = factory.superadmin()
    seen: list[str] = []

    def hook(conn, cursor, statement, *args):
        seen.append(statement)

    for typed, expected in (
        ("1234567", [sims[0].id]),
        ("89701990000000", sorted(s.id for s in sims)),
    ):
        seen.clear()
        event.listen(session.get_bind(), "before_cursor_execute", hook)
        try:
            page = fetch_page(session, admin, inventory.SIM_LIST, ListQuery(search=typed))
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", hook)
        assert sorted(r["id"] for r in page.rows) == expected and page.total == len(expected)
        alone = session.execute(filtered(inventory.SIM_LIST, admin, ListQuery(search=typed)))
        assert sorted(r.id for r in alone) == expected
        lookups_run = [s for s in seen if "looked_up" in s]
        asking = [s for s in seen if "looked_up" not in s and " || " in s]
        if backend != "postgres":
            assert lookups_run == [], typed
        elif cap > 1 or len(expected) == 1:  # carried: the index asked once, by the lookup
            assert len(lookups_run) == 1 and asking == [], typed
        else:  # two SIMs, more than the cap: each statement asks the index itself
            assert len(lookups_run) == 1 and asking, typed
