"""The admin header's search box and /admin/search?q=...: hits from every section the admin's
role may see, grouped by kind, each a link to its card."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from paysim_app.i18n import t
from paysim_app.overview import search
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.format import phone
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import header_slot, shell

STATUS_WORDS = {"sim": "sim.status.", "payment": "statement.status."}


class AdminSearchState(SessionState):
    query: str = ""
    hits: list[dict[str, str]] = []
    searched: bool = False

    @access("admin:any")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin")
        if redirect:
            return redirect
        raw = self.router.page.params.get("q", "")
        self.query = raw[:100] if isinstance(raw, str) else ""
        res = self._call(search.search, self.query)
        if not res:
            return res.redirect
        found = res.value
        loc = self.locale
        self.hits = [
            {
                "kind": t(f"search.kind.{h.kind}", loc),
                "title": phone(h.title) if h.kind == "sim" else h.title,
                "detail": phone(h.detail) if h.kind == "payment" else h.detail,
                "href": h.href,
                "status": t(STATUS_WORDS[h.kind] + h.status, loc)
                if h.kind in STATUS_WORDS
                else h.status,
            }
            for h in found
        ]
        self.searched = len(self.query.strip()) >= 2
        return None

    @access("admin:any")
    @rx.event
    def submit(self, form: dict):
        text = str((form or {}).get("q", ""))[:100].strip()
        return rx.redirect(f"/admin/search?q={quote(text)}")


def header_search() -> rx.Component:
    """The box in the admin header (a search icon linking to the page on a phone)."""
    return rx.fragment(
        rx.form(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                name="q",
                placeholder=tr("search.placeholder"),
                type="search",
                size="2",
                width="260px",
                id="global-search",
            ),
            on_submit=AdminSearchState.submit,
            reset_on_submit=True,
            display=rx.breakpoints(initial="none", md="block"),
        ),
        rx.link(
            rx.icon_button(
                rx.icon("search", size=16), variant="soft", aria_label=tr("search.placeholder")
            ),
            href="/admin/search",
            display=rx.breakpoints(initial="block", md="none"),
        ),
    )


def _hit(h) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.badge(h["kind"], variant="soft"),
                rx.vstack(
                    rx.text(h["title"], weight="medium"),
                    rx.text(h["detail"], size="1", color=rx.color("gray", 11)),
                    spacing="0",
                    min_width="0",
                ),
                rx.spacer(),
                rx.text(h["status"], size="1", color=rx.color("gray", 11)),
                align="center",
                width="100%",
            ),
            width="100%",
        ),
        href=h["href"],
        underline="none",
        color="inherit",
        width="100%",
    )


def search_page() -> rx.Component:
    s = AdminSearchState
    return shell(
        "admin",
        rx.vstack(
            rx.form(
                rx.hstack(
                    rx.input(
                        name="q",
                        default_value=s.query,
                        placeholder=tr("search.placeholder"),
                        type="search",
                        size="3",
                        flex="1",
                        id="search-page-input",
                    ),
                    rx.button(
                        rx.icon("search", size=16), tr("list.apply"), size="3", type="submit"
                    ),
                    width="100%",
                ),
                on_submit=s.submit,
                width="100%",
            ),
            rx.cond(
                s.hits.length() > 0,
                rx.vstack(rx.foreach(s.hits, _hit), spacing="2", width="100%", id="search-hits"),
                rx.cond(
                    s.searched,
                    rx.text(tr("search.nothing"), color=rx.color("gray", 11), id="search-empty"),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="search.title",
    )


@header_slot("admin")
def _header(place: str) -> rx.Component:
    """The search box in the header bar (the phone's menu has none)."""
    return header_search() if place == "header" else rx.fragment()
