"""The admin header's search box and /admin/search?q=...: the matches in every section the admin's
role may see (overview.search), grouped by kind, each group with its count, a few hits linking
to their cards and "show all" opening the section's list with the same search applied."""

from __future__ import annotations

import re
from urllib.parse import quote

import reflex as rx

from paysim_app.i18n import t
from paysim_app.overview import search
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.format import moment, phone
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import header_slot, shell

_PHONE = re.compile(r"\+7\d{10}\b")  # a number in a hit's detail, written as the pages write it


class AdminSearchState(SessionState):
    query: str = ""
    groups: list[dict[str, str]] = []  # kind, label, count, all_href
    found: str = ""  # "Found in sections: 3"
    hits: list[dict[str, str]] = []  # kind (its group), title, detail, href, status, at
    searched: bool = False

    @access("admin:any")
    @rx.event
    async def load(self):
        _actor, redirect = await self._gate_async("admin")
        if redirect:
            return redirect
        self.query = search.clean(self.router.page.params.get("q", ""))
        self.groups, self.hits, self.found = [], [], ""
        self.searched = len(self.query) >= search.MIN_LENGTH
        if not self.searched:
            return None
        # the dozen counted queries run in a thread: the worker's event loop serves other tabs
        res = await self._call_async(search.search, self.query)
        if not res:
            return res.redirect
        loc = self.locale
        self.found = t("search.found", loc, n=len(res.value))
        for g in res.value:
            self.groups.append(
                {
                    "kind": g.kind,
                    "label": t(f"search.kind.{g.kind}", loc)
                    + (" · " + t("search.similar", loc) if g.similar else ""),
                    "count": f"{g.count}+" if g.more else str(g.count),
                    "all_href": g.all_href,
                }
            )
            for h in g.hits:
                self.hits.append(
                    {
                        "kind": g.kind,
                        "title": phone(h.title) if h.phone_title else h.title,
                        "detail": _PHONE.sub(lambda m: phone(m.group(0)), h.detail),
                        "href": h.href,
                        "status": t(h.status_key, loc) if h.status_key else "",
                        "at": moment(h.at, loc) if h.at else "",
                    }
                )
        return None

    @access("admin:any")
    @rx.event
    def submit(self, form: dict):
        text = search.clean((form or {}).get("q", "") if isinstance(form, dict) else "")
        # the previous search's groups must not show under the new text while it runs
        self.groups, self.hits, self.found, self.searched = [], [], "", False
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
                aria_label=tr("search.title"),
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
        rx.hstack(
            rx.vstack(
                rx.text(h["title"], weight="medium", overflow_wrap="anywhere"),
                rx.text(
                    h["detail"],
                    size="1",
                    color=rx.color("gray", 11),
                    overflow_wrap="anywhere",
                ),
                spacing="0",
                min_width="0",
                flex="1",
            ),
            rx.vstack(
                rx.text(h["status"], size="1", color=rx.color("gray", 11)),
                rx.text(h["at"], size="1", color=rx.color("gray", 11)),
                spacing="0",
                align="end",
                flex_shrink="0",
            ),
            align="center",
            width="100%",
            padding_y="6px",
        ),
        href=h["href"],
        underline="none",
        color="inherit",
        width="100%",
        class_name="search-hit",
    )


def _group(g) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(g["label"], size="3", as_="h2"),
                rx.badge(g["count"], variant="soft", radius="full", class_name="search-count"),
                rx.spacer(),
                rx.link(
                    tr("search.show_all"),
                    rx.icon("arrow-right", size=14),
                    href=g["all_href"],
                    size="2",
                    class_name="search-show-all",
                    display="inline-flex",
                    align_items="center",
                    gap="4px",
                ),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.separator(size="4"),
            rx.foreach(
                AdminSearchState.hits,
                lambda h: rx.cond(h["kind"] == g["kind"], _hit(h), rx.fragment()),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        id="search-group-" + g["kind"],
        class_name="search-group",
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
                        key=s.query,
                        placeholder=tr("search.placeholder"),
                        type="search",
                        size="3",
                        flex="1",
                        min_width="0",
                        id="search-page-input",
                        aria_label=tr("search.title"),
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
                s.groups.length() > 0,
                rx.vstack(
                    rx.text(s.found, size="2", color=rx.color("gray", 11)),
                    rx.foreach(s.groups, _group),
                    spacing="3",
                    width="100%",
                    id="search-hits",
                ),
                rx.cond(
                    s.searched,
                    rx.text(tr("search.nothing"), color=rx.color("gray", 11), id="search-empty"),
                    rx.text(tr("search.hint"), size="2", color=rx.color("gray", 11)),
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
