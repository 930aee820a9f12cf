"""The subscriber's and the partner's admin cards link to their SIMs, payments and tickets as the
lists filtered by them (ui/components/advanced_search.related_links): each link's address is
read by its list without a refused key and shows that record's rows only."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlparse

import pytest
import reflex as rx

import paysim_app.paysim_app  # noqa: F401
from paysim_app.billing import payment_lists
from paysim_app.core.listing import fetch_page, parse_params
from paysim_app.overview import people_lists
from paysim_app.sims import inventory
from paysim_app.support import ticketing
from paysim_app.ui.components.advanced_search import related_links
from tests.billing.test_receipts import pay

SPECS = {
    "/admin/sims": inventory.SIM_LIST,
    "/admin/payments": payment_lists.PAYMENT_LIST,
    "/admin/support": people_lists.TICKET_LIST,
}


@pytest.fixture
def world(session, factory):
    dealer, other_dealer = factory.partner("Связь-Плюс"), factory.partner("Другой")
    anna = factory.subscriber("anna@example.ru", full_name="Анна Кузнецова")
    oleg = factory.subscriber("oleg@example.ru", full_name="Олег Петров")
    anna_sim = factory.sim(anna, partner=dealer)
    oleg_sim = factory.sim(oleg, partner=other_dealer)
    pay(session, anna_sim, 10000)
    pay(session, oleg_sim, 20000)
    ticketing.open_ticket(session, anna, "other", "Вопрос Анны", "текст", anna_sim.id)
    ticketing.open_ticket(session, oleg, "other", "Вопрос Олега", "текст", oleg_sim.id)
    ticketing.open_ticket(session, dealer.actor, "other", "Вопрос дилера", "текст")
    session.commit()
    return {
        "admin": factory.superadmin(),
        "subscriber": (anna.subscriber_id, oleg.subscriber_id),
        "partner": (dealer.partner.id, other_dealer.partner.id),
    }


def _hrefs(kind: str, record_id: int) -> list[str]:
    """The links the card renders, with the record's id in place of its state var."""
    rendered = str(related_links(kind, rx.Var.create(str(record_id))).render())
    links = re.findall(r'"(/admin/[a-z]+\?[a-z]+\.eq=)"\+"(\d+)"', rendered)
    return sorted({start + ident for start, ident in links})


@pytest.mark.parametrize("kind", ["subscriber", "partner"])
def test_each_card_links_to_its_three_lists_filtered_by_it(session, world, kind):
    mine, theirs = world[kind]
    hrefs = _hrefs(kind, mine)
    assert [urlparse(h).path for h in hrefs] == sorted(SPECS)
    for href in hrefs:
        url = urlparse(href)
        spec = SPECS[url.path]
        query, refused = parse_params(spec, dict(parse_qsl(url.query)))
        assert refused == [] and query.conditions[0].value == str(mine)
        rows = fetch_page(session, world["admin"], spec, query).rows
        assert rows, href
        key = "subscriber_id" if kind == "subscriber" else "partner_id"
        if key in rows[0]:
            assert {r[key] for r in rows} == {mine}
        # the other record's link shows other rows
        other, _ = parse_params(spec, {f"{kind}.eq": str(theirs)})
        assert {r["id"] for r in fetch_page(session, world["admin"], spec, other).rows} != {
            r["id"] for r in rows
        }
