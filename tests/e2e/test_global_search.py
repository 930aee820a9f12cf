"""The header's search over everything in a browser: typed in the header (desktop) or on the
search page (phone), results grouped by kind with counts, "show all" opening the section's list
with the search applied; a support operator sees tickets but never payments."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from paysim_app.accounts import identity
from paysim_app.db import make_engine
from paysim_app.models import Sim, Tariff, Ticket, TicketMessage
from paysim_app.models.base import utcnow
from tests.e2e.conftest import (
    PASSWORD,
    WIDTHS,
    _iccid,
    enter,
    paid_by_card,
    ready,
    shot,
    unique_number,
)


@pytest.fixture
def kvasnikova(app_env):
    """A subscriber with a rare name, one SIM, a card payment and a ticket whose message has a
    rare word; returns what the test looks for."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    with Session(engine, expire_on_commit=False) as session:
        actor = identity.register_subscriber(
            session,
            f"kvas{n}-{app_env['port']}@example.ru",
            PASSWORD,
            full_name="Квасникова Ксения Олеговна",
            consent=True,
        )
        tariff = session.exec(select(Tariff).where(Tariff.is_archived == False)).first()  # noqa: E712
        serial = 9_800_000 + n
        sim = Sim(
            iccid=_iccid(serial),
            msisdn=f"+7999{serial:07d}",
            imsi=f"25099{serial:010d}",
            status="active",
            subscriber_id=actor.subscriber_id,
            tariff_id=tariff.id,
            billing_day=28,
            activated_at=utcnow(),
        )
        session.add(sim)
        session.flush()
        ticket = Ticket(
            author_user_id=actor.user_id,
            subscriber_id=actor.subscriber_id,
            sim_id=sim.id,
            subject=f"Модем не ловит сеть {n}",
        )
        session.add(ticket)
        session.flush()
        session.add(
            TicketMessage(
                ticket_id=ticket.id,
                author_user_id=actor.user_id,
                body="После замены термоусадки на антенне пропал сигнал",
            )
        )
        session.commit()
        ids = {"subscriber": actor.subscriber_id, "sim": sim.id, "ticket": ticket.id}
    engine.dispose()
    ids["payment"] = paid_by_card(app_env, ids["sim"], 30_000)
    return ids


def test_admin_searches_everything_from_the_header_and_opens_a_section(new_page, kvasnikova):
    page = new_page(WIDTHS["desktop"])
    enter(page, "admin@paysim.demo", "/admin")
    ready(page)
    # Latin letters find the Cyrillic name; the groups: the contract, its SIM, payment, ticket
    page.locator("#global-search").fill("Kvasnikova")
    page.locator("#global-search").press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/search\?q=Kvasnikova$"))
    subscribers = page.locator("#search-group-subscriber")
    expect(subscribers).to_contain_text("Квасникова Ксения Олеговна")
    expect(subscribers.locator(".search-count")).to_have_text(re.compile(r"^\d+\+?$"))
    expect(
        subscribers.locator(f"a[href='/admin/subscribers/{kvasnikova['subscriber']}']")
    ).to_be_visible()
    expect(
        page.locator(f"#search-group-sim a[href='/admin/sims/{kvasnikova['sim']}']")
    ).to_be_visible()
    expect(
        page.locator(f"#search-group-payment a[href='/admin/payments/{kvasnikova['payment']}']")
    ).to_be_visible()
    expect(
        page.locator(f"#search-group-ticket a[href='/admin/support/{kvasnikova['ticket']}']")
    ).to_be_visible()
    shot(page, "global-search-name-1280")
    # "show all": the section's list with the same search
    subscribers.locator(".search-show-all").click()
    expect(page).to_have_url(re.compile(r"/admin/subscribers\?q=Kvasnikova$"))
    expect(page.locator("#list-search")).to_have_value("Kvasnikova")
    expect(page.locator("#admin-subscribers")).to_contain_text("Квасникова Ксения Олеговна")
    shot(page, "global-search-show-all-subscribers-1280")
    # a word of a ticket's message (another form of it), then the support list filtered
    page.goto("/admin/search?q=термоусадка")
    # the page's search has run when its box holds the text (the same update brings the groups)
    expect(page.locator("#search-page-input")).to_have_value("термоусадка")
    tickets = page.locator("#search-group-ticket")
    expect(tickets).to_contain_text(f"#{kvasnikova['ticket']}")
    tickets.locator(".search-show-all").click()
    expect(page).to_have_url(re.compile(r"/admin/support\?q="))
    expect(page.locator("#list-search")).to_have_value("термоусадка")
    expect(page.locator("#admin-support")).to_contain_text("Модем не ловит сеть")
    shot(page, "global-search-show-all-tickets-1280")


def test_on_a_phone_the_search_page_groups_and_a_support_operator_sees_no_payments(
    new_page, kvasnikova
):
    page = new_page(WIDTHS["phone"])
    enter(page, "support@paysim.demo", "/admin")
    ready(page)
    page.get_by_role("link", name=re.compile("Номер, ICCID")).click()  # the header's icon
    expect(page).to_have_url(re.compile(r"/admin/search$"))
    page.locator("#search-page-input").fill("Квасникова")
    page.locator("#search-page-input").press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/search\?q="))
    expect(page.locator("#search-group-subscriber")).to_contain_text("Квасникова")
    expect(page.locator("#search-group-ticket")).to_contain_text(f"#{kvasnikova['ticket']}")
    # the support role has no payments.view or sims.view: those kinds are not there at all
    expect(page.locator("#search-group-payment")).to_have_count(0)
    expect(page.locator("#search-group-sim")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"]
    shot(page, "global-search-support-390")
    page.locator("#search-group-ticket .search-show-all").click()
    expect(page).to_have_url(re.compile(r"/admin/support\?q="))
    expect(page.locator("#admin-support")).to_contain_text("Модем не ловит сеть")
    shot(page, "global-search-show-all-tickets-390")
