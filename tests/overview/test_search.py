"""The admin header's search over everything (overview.search): every kind found by its fields,
grouped with counts, "show all" giving the section's own list the same rows, only the kinds the
role may see, names typo-tolerant and transliterated, ticket messages by their text."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from paysim_app.catalogue import catalogue_lists
from paysim_app.core import audit
from paysim_app.core.errors import PermissionDenied
from paysim_app.core.listing import (
    ListQuery,
    count_capped,
    fetch_page,
    filtered,
    parse_params,
)
from paysim_app.models import (
    ActivationRequest,
    AddonService,
    Payment,
    Subscriber,
    Ticket,
    TicketMessage,
)
from paysim_app.overview import search
from paysim_app.sims import blocks, own_sims, tariff_changes
from tests.money_helpers import card_topup
from tests.sims.test_activations import admin_with


def groups(session, actor, text) -> dict[str, search.Group]:
    return {g.kind: g for g in search.search(session, actor, text)}


def hrefs(session, actor, text, kind) -> list[str]:
    found = groups(session, actor, text).get(kind)
    return [h.href for h in found.hits] if found else []


@pytest.fixture
def world(session, factory):
    """One of everything, each with identifiers no other row shares."""
    admin = factory.superadmin()
    tariff = factory.tariff("Безлимит Турбо", fee_kop=90000)
    other = factory.tariff("Минимум", fee_kop=30000)
    addon = AddonService(code="NIGHT_OWL", name="Ночная сова", price_kop=9900, period_days=30)
    session.add(addon)
    dealer = factory.partner("Связь-Плюс")
    dealer.partner.inn = "7707083893"
    dealer.partner.contact_email = "sales@svyaz-plus.ru"
    petrov = factory.subscriber("petrov@example.ru", full_name="Петров Иван Сергеевич")
    petrova = factory.subscriber("anna@example.ru", full_name="Петрова Анна Петровна")
    fedorov = factory.subscriber("fed@example.ru", full_name="Фёдоров Олег")
    record = session.get(Subscriber, petrov.subscriber_id)
    record.document_no = "4510 123456"
    record.phone = "+79161234567"
    sim = factory.sim(petrov, tariff=tariff)
    sim_b = factory.sim(petrova, tariff=tariff)
    session.commit()
    payment_id = card_topup(session, sim, 50_000)
    payment = session.get(Payment, payment_id)
    payment.card_last4 = "4077"
    ticket = Ticket(
        author_user_id=petrova.user_id,
        subscriber_id=petrova.subscriber_id,
        sim_id=sim_b.id,
        subject="Нет связи на даче",
    )
    session.add(ticket)
    session.flush()
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            author_user_id=petrova.user_id,
            body="Роутер Huawei не видит сим-карту после грозы",
        )
    )
    stock = factory.sim(None, partner=dealer, tariff=tariff, status="awaiting_activation")
    request = ActivationRequest(
        sim_id=stock.id,
        requester_user_id=dealer.user.id,
        partner_id=dealer.partner.id,
        tariff_id=tariff.id,
        customer_name="Зайцев Михаил",
        customer_phone="+79165550102",
    )
    session.add(request)
    session.commit()
    change = tariff_changes.request_change(session, petrova, sim_b.id, other.id, "next_period")
    block = blocks.block_sim(session, admin, sim.id, "fraud", "проверка")
    session.commit()
    fed_sim = factory.sim(fedorov)
    own_block = own_sims.block_sim(session, fedorov, fed_sim.id, "lost")
    unblock = own_sims.request_unblock(session, fedorov, fed_sim.id, "нашёл")
    audit.record(session, admin, "tariff.archive", "tariff", other.id, {}, {})
    session.commit()
    return {
        "admin": admin,
        "tariff": tariff,
        "addon": addon,
        "dealer": dealer,
        "petrov": petrov,
        "petrova": petrova,
        "fedorov": fedorov,
        "contract": record.contract_no,
        "sim": sim,
        "sim_b": sim_b,
        "payment": payment_id,
        "ticket": ticket.id,
        "stock": stock,
        "request": request.id,
        "change": change,
        "block": block,
        "own_block": own_block,
        "unblock": unblock,
        "fed_sim": fed_sim,
        "other": other,
    }


def test_every_kind_is_found_by_its_fields(session, world):
    admin, sim = world["admin"], world["sim"]
    # SIMs: any part of the number (+7 / 8 or not), of the ICCID, of the IMSI
    assert f"/admin/sims/{sim.id}" in hrefs(session, admin, sim.msisdn[-6:], "sim")
    assert f"/admin/sims/{sim.id}" in hrefs(session, admin, "8" + sim.msisdn[2:], "sim")
    assert f"/admin/sims/{sim.id}" in hrefs(session, admin, sim.iccid[-9:], "sim")
    assert f"/admin/sims/{sim.id}" in hrefs(session, admin, sim.imsi[-9:], "sim")
    # subscribers: contract, phone, e-mail, passport (as typed, or its ten digits), name
    me = f"/admin/subscribers/{world['petrov'].subscriber_id}"
    for text in (world["contract"], "916 123-45", "petrov@exam", "4510 123456", "4510123456"):
        assert hrefs(session, admin, text, "subscriber") == [me], text
    # partners: name, INN part, contact e-mail
    dealer = f"/admin/partners/{world['dealer'].partner.id}"
    for text in ("связь-плюс", "07083", "sales@svyaz"):
        assert hrefs(session, admin, text, "partner") == [dealer], text
    # payments: id, the card's last four, the provider's reference
    paid = f"/admin/payments/{world['payment']}"
    assert paid in hrefs(session, admin, f"#{world['payment']}", "payment")
    assert hrefs(session, admin, "4077", "payment") == [paid]
    assert hrefs(session, admin, "•••• 4077", "payment") == [paid]
    ref = session.get(Payment, world["payment"]).gateway_ref
    assert hrefs(session, admin, ref, "payment") == [paid]
    # tickets: number, subject, the text of a message
    ticket = f"/admin/support/{world['ticket']}"
    # (another form of a word: PostgreSQL's stemming, SQLite's trimmed endings)
    for text in (f"#{world['ticket']}", "на даче", "роутер huawei", "грозы", "гроза", "роутера"):
        assert hrefs(session, admin, text, "ticket") == [ticket], text
    # tariffs and add-ons: name or code
    assert hrefs(session, admin, "турбо", "tariff") == [f"/admin/tariffs/{world['tariff'].id}"]
    assert hrefs(session, admin, "night_owl", "addon") == [f"/admin/addons/{world['addon'].id}"]
    assert hrefs(session, admin, "сова", "addon") == [f"/admin/addons/{world['addon'].id}"]
    # requests: activation by the SIM's number or the customer; tariff change; unblock
    stock = world["stock"]
    assert hrefs(session, admin, stock.msisdn[-7:], "activation") == [
        f"/admin/activations/{world['request']}"
    ]
    # requests and blocks are searched for a number only; their own lists find names too
    assert "activation" not in groups(session, admin, "Zaitsev")
    spec = next(k for k in search.KINDS if k.name == "activation").spec
    assert [
        r["id"] for r in fetch_page(session, admin, spec, ListQuery(search="Zaitsev")).rows
    ] == [world["request"]]
    assert hrefs(session, admin, world["sim_b"].iccid, "tariff_change") == [
        f"/admin/activations/tariffs/{world['change']}"
    ]
    assert hrefs(session, admin, world["fed_sim"].msisdn[-6:], "unblock") == [
        f"/admin/blocks/{world['own_block']}"
    ]
    assert hrefs(session, admin, "Федоров", "unblock") == []  # a name: not searched here
    spec = next(k for k in search.KINDS if k.name == "unblock").spec
    found = fetch_page(session, admin, spec, ListQuery(search="Федоров")).rows  # е for ё
    assert [r["block_id"] for r in found] == [world["own_block"]]
    # blocks by the SIM's number
    assert hrefs(session, admin, sim.msisdn, "block") == [f"/admin/blocks/{world['block']}"]
    # admins by name or e-mail; audit entries by action and by the admin who acted
    assert groups(session, admin, "tariff.arch")["audit"].hits[0].title.startswith("tariff.archive")
    assert "audit" in groups(session, admin, "Админ")
    assert "admin" in groups(session, admin, "Админ")
    assert search.search(session, admin, "x") == []
    assert search.search(session, admin, "   ") == []


def test_names_are_typo_tolerant_and_transliterated(session, world):
    admin = world["admin"]
    petrov = f"/admin/subscribers/{world['petrov'].subscriber_id}"
    petrova = f"/admin/subscribers/{world['petrova'].subscriber_id}"
    # "Петров" is a part of "Петрова"; "Петрова" finds "Петров" without its ending
    assert sorted(hrefs(session, admin, "Петров", "subscriber")) == sorted([petrov, petrova])
    assert sorted(hrefs(session, admin, "Петрова", "subscriber")) == sorted([petrov, petrova])
    # Latin letters are transliterated; words in any order
    assert sorted(hrefs(session, admin, "Petrov", "subscriber")) == sorted([petrov, petrova])
    assert hrefs(session, admin, "ivan petrov", "subscriber") == [petrov]
    assert hrefs(session, admin, "Анна Петрова", "subscriber") == [petrova]
    # е and ё are one letter
    assert hrefs(session, admin, "федоров", "subscriber") == [
        f"/admin/subscribers/{world['fedorov'].subscriber_id}"
    ]
    # the SIMs and payments of those people are found by the name too
    assert f"/admin/sims/{world['sim'].id}" in hrefs(session, admin, "Petrov Ivan", "sim")
    assert f"/admin/payments/{world['payment']}" in hrefs(session, admin, "Petrov", "payment")
    # a letter missing or doubled: no name matches, so the names like it are offered
    # (PostgreSQL's trigram word similarity), "show all" searching the closest one's name
    if session.get_bind().dialect.name == "postgresql":
        similar = groups(session, admin, "Сергевич")["subscriber"]
        assert similar.similar and [h.href for h in similar.hits] == [petrov]
        assert similar.all_href == "/admin/subscribers?" + urlencode({"q": "Петров Иван Сергеевич"})
        assert petrov in hrefs(session, admin, "Петровв", "subscriber")
        assert not groups(session, admin, "Петров")["subscriber"].similar
    else:
        assert "subscriber" not in groups(session, admin, "Сергевич")


def test_groups_count_and_show_all_opens_the_section_with_the_same_rows(
    session, world, monkeypatch
):
    admin = world["admin"]
    found = groups(session, admin, "Петров")
    sub = found["subscriber"]
    assert (sub.count, sub.more) == (2, False)
    assert sub.all_href == "/admin/subscribers?q=%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2"
    for g in found.values():
        kind = next(k for k in search.KINDS if k.name == g.kind)
        url = urlparse(g.all_href)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert url.path == kind.path and params.get("tab", "") == kind.tab
        # the section's list with ?q= (under the list's address prefix, if it shares its page)
        # is the same search: the same count, the hits its first rows
        query, refused = parse_params(kind.spec, params)
        assert refused == [] and query.search == params[kind.spec.address_prefix + "q"]
        page = fetch_page(session, admin, kind.spec, query)
        assert page.total == g.count
        assert [h.href for h in g.hits] == [kind.hit(r).href for r in page.rows[: len(g.hits)]]
    # tabs of sections with two lists
    assert groups(session, admin, "сова")["addon"].all_href.startswith("/admin/tariffs?tab=addons")
    # past the cap: "N+" and only N counted
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    capped = groups(session, admin, "Петров")["subscriber"]
    assert (capped.count, capped.more) == (1, True)
    assert len(capped.hits) == 2  # the hits are still the first rows


def test_each_kind_needs_its_sections_permission(session, world, factory):
    support = factory.support()  # tickets + viewing subscribers
    found = groups(session, support, "Петров")
    assert set(found) == {"subscriber", "ticket"}  # Петрова's ticket, by its author's name
    assert "ticket" in groups(session, support, "грозы")
    # no payments.view: no payments, not even a count, for an identifier only a payment has
    assert "payment" not in groups(session, support, "4077")
    assert groups(session, support, "4077") == {}
    payments_only = admin_with(session, "payments.view")
    assert set(groups(session, payments_only, "Петров")) == {"payment"}
    assert groups(session, payments_only, "грозы") == {}
    nothing = admin_with(session)
    assert search.search(session, nothing, "Петров") == []
    with pytest.raises(PermissionDenied):
        search.search(session, world["petrov"], "Петров")


def test_every_kind_has_a_section_with_its_permission():
    """The kinds are the sections' own lists: each one's permission is its section's."""
    assert search.KIND_NAMES == (
        "sim",
        "subscriber",
        "partner",
        "payment",
        "ticket",
        "tariff",
        "addon",
        "activation",
        "tariff_change",
        "block",
        "unblock",
        "admin",
        "audit",
    )
    assert {k.name: k.spec.permission for k in search.KINDS}["addon"] == "tariffs.view"
    assert next(k for k in search.KINDS if k.name == "addon").spec is catalogue_lists.ADDON_LIST


def test_count_is_capped_in_sql(session, world):
    """The count behind a group stops at the cap (the list machinery's capped count)."""
    admin = world["admin"]
    spec = next(k for k in search.KINDS if k.name == "subscriber").spec
    stmt = filtered(spec, admin, ListQuery(search="Петров"))
    assert count_capped(session, stmt, 1) == (1, True)


def test_a_part_of_a_name_finds_the_sims_with_е_as_ё_and_the_users_signs_literal(
    session, world, factory
):
    """The SIM and payment kinds match a name's part (core.text_search.name_part): on
    PostgreSQL a regular expression with е/ё as [её], which the trigram index answers, where the
    LIKE pattern's `_` for е/ё broke a transliterated word into pieces it could not use."""
    admin = world["admin"]
    fed_sim = f"/admin/sims/{world['fed_sim'].id}"
    for text in ("федоров", "Фёдоров", "Fedorov", "ФЕДОРОВ олег"):
        assert hrefs(session, admin, text, "sim") == [fed_sim], text
    odd = factory.subscriber("ob@example.ru", full_name="О'Брайен-Смит Пётр")
    odd_sim = factory.sim(odd)
    assert hrefs(session, admin, "о'брайен-смит", "sim") == [f"/admin/sims/{odd_sim.id}"]
    assert f"/admin/sims/{odd_sim.id}" in hrefs(session, admin, "петр", "sim")  # Пётр
    # the signs a word may hold are looked for as they are ("_" is no wildcard, "-" no range)
    assert "sim" not in groups(session, admin, "брайен_смит")
    assert "sim" not in groups(session, admin, "speedtest")


def test_name_part_regex_escapes_everything_but_letters():
    from paysim_app.core.text_search import _regex

    assert _regex("федоров") == "ф[её]доров"
    assert _regex("o'bri-en.*") == "o\\'bri\\-en\\.\\*"


def _statements(session):
    """The SQL the session's engine runs meanwhile (a list filled by a cursor hook)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def watching():
        seen: list[str] = []

        def hook(conn, cursor, statement, *args):
            seen.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", hook)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", hook)

    return watching()


def _each_kind_alone(session, admin, text) -> dict:
    """The groups as each kind finds them with no lookup shared (outside looked_up_once)."""
    found = {}
    for kind in search.KINDS:
        if kind.numbers_only and not text.isdigit():
            continue
        group = search._group(session, admin, kind, text)
        if group is not None:
            found[kind.name] = group
    return found


@pytest.mark.parametrize("cap", [1000, 1])
def test_the_groups_share_one_lookup_of_a_number_and_find_what_each_finds_alone(
    session, world, factory, monkeypatch, cap
):
    """PostgreSQL: the SIMs holding a typed part of a number are looked up once for all the
    groups (SIMs, payments, the queues), as are the contracts of a name in Latin letters (SIMs,
    payments; a Cyrillic one is left to each group), the contracts it finds in a name, number
    or e-mail for the subscribers (text_search.among_or_itself) and, by the words of their
    names, for the tickets (text_search.among_holders); with more than LOOKUP_CAP of them (cap
    1 here) each group asks the index itself. Either way every group finds what it finds
    alone. SQLite has no index to spare: nothing changes there."""
    from paysim_app.core import lookups

    monkeypatch.setattr(lookups, "LOOKUP_CAP", cap)
    admin, sim = world["admin"], world["sim"]
    twin = factory.sim(world["petrova"])  # a second SIM holding the same last seven digits
    session.commit()
    tail = sim.msisdn[-7:]  # six digits would also be a payment id
    twin.msisdn = "+7998" + sim.msisdn[5:]
    session.commit()
    postgres = session.get_bind().dialect.name == "postgresql"
    for text, looked_up in ((tail, "LIKE"), ("Petrov", "full_name")):
        with _statements(session) as seen:
            together = groups(session, admin, text)
        alone = _each_kind_alone(session, admin, text)
        assert together.keys() == alone.keys(), text
        # the number's SIM has a payment and a block; the name's contracts have SIMs, payments
        assert {"sim", "payment", "block" if text == tail else "subscriber"} <= together.keys()
        for kind, group in together.items():
            assert (group.count, group.hits) == (alone[kind].count, alone[kind].hits), kind
        lookups = [s for s in seen if "looked_up" in s]
        # a Latin name: its parts (SIMs, payments), the contracts it finds anywhere
        # (subscribers), the words of their names (tickets)
        once = 1 if text == tail else 3
        if postgres:
            assert len(lookups) == len(set(lookups)) == once, text
        if postgres and cap > 1:
            assert looked_up in lookups[0], text
            # no statement of a group asks the index again
            asked = [s for s in seen if "looked_up" not in s and " || " in s]
            assert asked == [], text
        elif postgres:  # two SIMs (two contracts) found, one more than the cap: not carried
            assert any("looked_up" not in s and (" || " in s or "full_name" in s) for s in seen)
        else:
            assert lookups == [], text
