"""The one list state every back-office list mixes in.

A section state is `class XState(ListMixin, SessionState)` plus three small methods:
`_spec()` (the core.listing.ListSpec), `_format(row, locale)` (one raw row -> the display
strings of the table's columns) and, if it needs them, `_prepare(actor)` (choices for filters).
Everything else -- filters, search, sort, page turns, the capped count, selection, CSV and
Excel export --
lives here once. The state holds one page of rows, never more; the services do the SQL.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from paysim_app.accounts import identity
from paysim_app.api.exports import export_link
from paysim_app.core.listing import ListQuery, ListSpec, fetch_page, narrowing
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.ui.access import LIST, access
from paysim_app.ui.auth.session import Outcome

PAGE_SIZE = 25
ALL = "all"  # a filter select's "no filter" (the lists' native selects keep Radix's value)


class ListMixin(rx.State, mixin=True):
    filters: dict[str, str] = {}
    search: str = ""
    sort: str = ""
    descending: bool = True
    page: int = 1
    has_next: bool = False
    total: int = 0
    capped: bool = False
    estimated: bool = False
    list_error: str = ""
    filters_open: bool = False
    selected: list[str] = []
    _raw: list[dict] = []
    _counted: tuple = ()  # (listing.narrowing of the counted query, rows; cap + 1: more)

    # -- what a section declares ----------------------------------------------------------
    def _spec(self) -> ListSpec:
        raise NotImplementedError

    def _format(self, row: dict, locale: str) -> dict[str, str]:
        raise NotImplementedError

    def _prepare(self, actor: Actor) -> None:
        """Load what the filters offer (partners, tariffs...), once per page load."""

    def _role(self) -> str:
        return "admin"

    # -- the machinery ----------------------------------------------------------------------
    def _query(self) -> ListQuery:
        return ListQuery(
            filters={k: v for k, v in self.filters.items() if v and v != ALL},
            search=self.search,
            sort=self.sort,
            descending=self.descending,
            page=self.page,
            page_size=PAGE_SIZE,
        )

    def _fetch(self, count: bool = True):
        """Load the page (and the count) now: after a handler's own write."""
        self._before_fetch()
        query = self._query()
        res = self._call(fetch_page, self._spec(), query, count=count, matches=self._matches(query))
        return res.redirect or self._show(res, count, query)

    async def _fetch_async(self, count: bool = True):
        """The same with the SQL in a thread: a page turn or a filter waits for the database
        without holding the worker's event loop, which serves every other tab of the worker
        (a slow query there used to delay them all, even a no-op event)."""
        self._before_fetch()
        spec, query = self._spec(), self._query()
        matches = self._matches(query)
        res = await self._call_async(fetch_page, spec, query, count=count, matches=matches)
        return res.redirect or self._show(res, count, query)

    def _matches(self, query: ListQuery) -> int | None:
        """The last count, if it was for these filters and this search (fetch_page's hint)."""
        if self._counted and self._counted[0] == narrowing(query):
            return self._counted[1]
        return None

    def _show(self, res: Outcome, count: bool, query: ListQuery):
        self.list_error = ""
        if not res:
            self.list_error = res.error
            self._raw, self.has_next, self.total, self.capped = [], False, 0, False
            self.estimated = False
            return self._after_fetch(count)
        result = res.value
        self._raw = result.rows  # backend-only: datetimes stay datetimes
        self.page, self.has_next = result.page, result.has_next
        if result.total is not None:
            self.total, self.capped = result.total, result.capped
            self.estimated = result.estimated
            many = result.capped or result.estimated
            self._counted = (narrowing(query), result.total + 1 if many else result.total)
        self.selected = []
        return self._after_fetch(count)

    def _before_fetch(self) -> None:
        """A section's step before every fetch (e.g. checking its dates)."""

    def _after_fetch(self, count: bool):
        """A section's step after every fetch (list_error says whether it failed); may return
        events."""
        return None

    async def _start(self):
        """on_load: gate, reset to the section's defaults (plus ?name=value links), fetch.
        The session lookup, the filters' choices and the first page are read in threads, as
        page turns are: opening a list never holds the worker's event loop."""
        spec = self._spec()
        actor, redirect = await self._gate_async(
            self._role(), spec.permission if self._role() == "admin" else None
        )
        if redirect:
            return redirect
        params = self.router.page.params
        names = {f.name for f in spec.filters}
        self.filters = {
            **dict.fromkeys(names, ""),
            **{k: str(v)[:100] for k, v in params.items() if k in names and isinstance(v, str)},
        }
        self.search = str(params.get("q", ""))[:100] if isinstance(params.get("q", ""), str) else ""
        self.sort, self.descending, self.page = spec.default_sort, True, 1
        await asyncio.to_thread(self._prepare, actor)
        return await self._fetch_async()

    # -- events (copied onto every section state by Reflex's mixin machinery) ----------------
    @access(LIST)
    @rx.event
    async def set_filter(self, name: str, value: str):
        """A select or a date: applies at once."""
        if isinstance(name, str) and name in self.filters:
            self.filters = {**self.filters, name: str(value)[:100]}
            self.page = 1
            return await self._fetch_async()
        return None

    @access(LIST)
    @rx.event
    def type_filter(self, name: str, value: str):
        """A text box: remembered as typed, applied by the search button."""
        if isinstance(name, str) and name in self.filters:
            self.filters = {**self.filters, name: str(value)[:100]}

    @access(LIST)
    @rx.event
    def set_search(self, value: str):
        self.search = str(value)[:100]

    @access(LIST)
    @rx.event
    async def apply(self, _form: dict | None = None):
        self.page = 1
        return await self._fetch_async()

    @access(LIST)
    @rx.event
    async def clear(self):
        self.filters = dict.fromkeys(self.filters, "")
        self.search, self.page = "", 1
        return await self._fetch_async()

    @access(LIST)
    @rx.event
    async def set_sort(self, key: str):
        if isinstance(key, str) and key in self._spec().sorts:
            self.sort, self.page = key, 1
            return await self._fetch_async(count=False)
        return None

    @access(LIST)
    @rx.event
    async def flip_order(self):
        self.descending, self.page = not self.descending, 1
        return await self._fetch_async(count=False)

    @access(LIST)
    @rx.event
    async def next_page(self):
        if self.has_next:
            self.page += 1
            return await self._fetch_async(count=False)
        return None

    @access(LIST)
    @rx.event
    async def prev_page(self):
        if self.page > 1:
            self.page -= 1
            return await self._fetch_async(count=False)
        return None

    @access(LIST)
    @rx.event
    def toggle_filters(self):
        self.filters_open = not self.filters_open

    @access(LIST)
    @rx.event
    def toggle_row(self, row_id: str):
        row_id = str(row_id)
        if row_id in self.selected:
            self.selected = [i for i in self.selected if i != row_id]
        elif any(str(r.get("id")) == row_id for r in self._raw):
            self.selected = [*self.selected, row_id]

    @access(LIST)
    @rx.event
    def toggle_page(self, _checked: bool = True):
        ids = [str(r.get("id")) for r in self._raw]
        self.selected = [] if set(ids) <= set(self.selected) and ids else ids

    @access(LIST)
    @rx.event
    def export(self, file_format: str = "csv"):
        """A signed link to the list as CSV or .xlsx (the format is signed with the filters)."""
        file_format = file_format if file_format in ("csv", "xlsx") else "csv"
        spec = self._spec()
        session_id = self._call(identity.session_id_of, self.auth_token, public=True).value
        res = self._call(spec.check)  # the signed-in actor may export this list
        if res.redirect is not None or session_id is None:
            return rx.redirect("/login")
        if not res:
            self.list_error = res.error
            return None
        link = export_link(session_id, spec.name, self._query(), self.locale, file_format)
        return rx.download(url=link, filename=f"paysim-{spec.name}.{file_format}")

    # -- what the page shows ---------------------------------------------------------------
    @rx.var
    def rows(self) -> list[dict[str, str]]:
        loc = self.locale
        return [{**self._format(r, loc), "id": str(r.get("id", ""))} for r in self._raw]

    @rx.var
    def summary(self) -> str:
        n = ("≈\u00a0" if self.estimated else "") + f"{self.total:,}".replace(",", "\u00a0")
        n += "+" if self.capped else ""
        return t("list.found", self.locale, n=n)

    @rx.var
    def page_label(self) -> str:
        return t("list.page", self.locale, page=self.page)

    @rx.var
    def all_selected(self) -> bool:
        ids = [str(r.get("id")) for r in self._raw]
        return bool(ids) and set(ids) <= set(self.selected)
