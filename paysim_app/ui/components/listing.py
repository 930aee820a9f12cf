"""The one list state every back-office list mixes in.

A section state is `class XState(ListMixin, SessionState)` plus three small methods:
`_spec()` (the core.listing.ListSpec), `_format(row, locale)` (one raw row -> the display
strings of the table's columns) and, if it needs them, `_prepare(actor)` (choices for filters).
Everything else -- filters, search, sort, page turns, the capped count, selection, CSV and
Excel export --
lives here once. The state holds one page of rows, never more; the services do the SQL.

The advanced search: a section whose ListSpec declares `fields` (core.listing.SearchField) gets
the generic panel of ui/components/advanced_search.py; its rows are edited here (`adv_rows`)
and, once applied, become the query's conditions (`_applied`).

The list in the address: after every fetch the state writes its query into the URL
(core.listing.to_params: `?status=active&balance.gte=100&q=ivan&sort=balance&asc=1&page=2`)
with history.replaceState, keeping keys that are not the list's (a page's ?tab=). Applying
filters (the search button, a filter select, the advanced panel, a saved set, the reset) pushes
a new history entry instead, after putting the previous entry back to the last applied
filters (keystrokes replace the entry's URL as one types); two lists on one page (tabs) keep
to their keys by the ListSpec's address_prefix (`?blk_status=active&unb_status=pending`). Opening a URL, a reload and the
back button run on_load, which reads the address back through core.listing.parse_params: the
same checks as the page's own events, what does not pass is left out and named above the list.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

import reflex as rx

from paysim_app.accounts import identity
from paysim_app.api.exports import export_link
from paysim_app.core import saved_filters
from paysim_app.core.listing import (
    ASC_KEY,
    MAX_CONDITIONS,
    NO_VALUE,
    PAGE_KEY,
    SEARCH_KEY,
    SORT_KEY,
    Condition,
    ListQuery,
    ListSpec,
    check_condition,
    fetch_page,
    narrowing,
    parse_params,
    to_query_string,
)
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.overview import ref_lookup
from paysim_app.ui.access import LIST, access
from paysim_app.ui.auth.session import LocaleView, Outcome

PAGE_SIZE = 25
ALL = "all"  # a filter select's "no filter" (the lists' native selects keep Radix's value)
ROW_KEYS = ("field", "op", "value", "value2")  # what adv_set may change in a condition row

# the address bar: the list's own keys are rewritten, any other key of the page stays; with
# push, the current entry goes back to the last applied filters before the new entry is added;
# nothing is written once the browser shows another page (a link followed during a fetch)
_URL_JS = """((own, qs, prev, push, pre, path) => {
  const u = new URL(window.location.href);
  if (path && u.pathname !== path) return;  // the user has moved on to another page
  const build = (q) => {
    const p = new URLSearchParams();
    for (const [k, v] of u.searchParams) {
      if (!own.includes(k) && !(k.startsWith(pre) && k.includes('.'))) p.append(k, v);
    }
    for (const [k, v] of new URLSearchParams(q)) p.append(k, v);
    const s = p.toString();
    return u.pathname + (s ? '?' + s : '');
  };
  const next = build(qs);
  const st = window.history.state;
  if (push) {
    if (next === u.pathname + u.search) return;
    window.history.replaceState(st, '', build(prev));
    window.history.pushState(st, '', next);
  } else if (next !== u.pathname + u.search) {
    window.history.replaceState(st, '', next);
  }
})(%s, %s, %s, %s, %s, %s)"""


class ListMixin(LocaleView, mixin=True):
    """A list page's state, mixed into each section's (LocaleView: the computed vars below
    render in `view_locale`)."""

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
    # the advanced search: the panel's rows as edited ({field, op, value, value2, label})
    adv_rows: list[dict[str, str]] = []
    adv_open: bool = False
    adv_hits: list[dict[str, str]] = []  # the picker's matches for row adv_hit_row
    adv_hit_row: int = -1
    url_note: str = ""  # what the address asked for that could not be applied
    saved_sets: list[dict[str, str]] = []  # the user's own saved filter sets of this list
    save_name: str = ""
    saved_note: str = ""
    _applied: list[list[str]] = []  # the conditions in force: [field, op, value]
    _url_applied: str = ""  # the query string of the last applied filters
    _push: bool = False  # the next address update adds a history entry
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
            conditions=tuple(Condition(*c) for c in self._applied),
        )

    # -- the address ------------------------------------------------------------------------
    def _asked(self, name: str) -> bool:
        """The page's address names this key of the list (after the list's address prefix)."""
        params = self.router.page.params
        return isinstance(params, dict) and self._spec().address_prefix + name in params

    def _address(self) -> str:
        """The list's state as the URL's query (the default order and the first page left out)."""
        spec, q = self._spec(), self._query()
        sort = "" if q.sort in ("", spec.default_sort) else q.sort
        return to_query_string(
            ListQuery(
                filters=q.filters,
                search=q.search,
                sort=sort,
                descending=q.descending,
                page=q.page,
                conditions=q.conditions,
            ),
            spec.address_prefix,
        )

    def _url_event(self, *, typing: bool = False):
        """The script that writes the list's state into the address bar."""
        spec, qs = self._spec(), self._address()
        push, self._push = self._push and not typing, False
        previous = self._url_applied
        if not typing:
            self._url_applied = qs
        pre = spec.address_prefix  # a tab's lists keep to their own keys (core.listing)
        own = [pre + f.name for f in spec.filters]
        own += [pre + k for k in (SEARCH_KEY, SORT_KEY, ASC_KEY, PAGE_KEY)]
        path = self.router.url.path if isinstance(self.router.url.path, str) else ""
        flag = "true" if push else "false"
        args = (json.dumps(own), json.dumps(qs), json.dumps(previous), flag, json.dumps(pre))
        args += (json.dumps(path),)
        return rx.call_script(_URL_JS % args)

    def _with_url(self, events):
        """A fetch's own events followed by the address update."""
        if events is None:
            return self._url_event()
        return [*(events if isinstance(events, list) else [events]), self._url_event()]

    def _load_query(self, spec: ListSpec, query: ListQuery) -> None:
        """Put a checked query (from the address or a saved set) into the state."""
        self.filters = {**dict.fromkeys((f.name for f in spec.filters), ""), **query.filters}
        self.search = query.search
        self.sort = query.sort or spec.default_sort
        self.descending, self.page = query.descending, query.page
        self._applied = [[c.field, c.op, c.value] for c in query.conditions]
        self.adv_rows = [_row_of(c) for c in query.conditions]
        self.adv_open = self.adv_open or bool(query.conditions)
        self.adv_hits, self.adv_hit_row = [], -1

    def _fetch(self, count: bool = True):
        """Load the page (and the count) now: after a handler's own write (so from the
        primary, never a replica that may not have the write yet)."""
        self._before_fetch()
        query = self._query()
        res = self._call(
            fetch_page, self._spec(), query, count=count, matches=self._matches(query), fresh=True
        )
        return res.redirect or self._with_url(self._show(res, count, query))

    async def _fetch_async(self, count: bool = True):
        """The same with the SQL in a thread: a page turn or a filter waits for the database
        without holding the worker's event loop, which serves every other tab of the worker
        (a slow query there used to delay them all, even a no-op event)."""
        self._before_fetch()
        spec, query = self._spec(), self._query()
        matches = self._matches(query)
        res = await self._call_async(fetch_page, spec, query, count=count, matches=matches)
        return res.redirect or self._with_url(self._show(res, count, query))

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
        query, refused = parse_params(spec, params if isinstance(params, dict) else {})
        self.adv_open = False
        self._load_query(spec, query)
        self.url_note = t("list.error.address", self.locale, keys=", ".join(refused))
        self.url_note = self.url_note if refused else ""
        self._url_applied, self._push = self._address(), False
        self.saved_note, self.save_name = "", ""
        await asyncio.to_thread(self._prepare, actor)
        await asyncio.to_thread(self._load_saved, actor)
        await asyncio.to_thread(self._name_refs, actor)
        return await self._fetch_async()

    def _name_refs(self, actor: Actor) -> None:
        """The panel's picker rows from an address show the record's name, not just its id
        (looked up as the picker would; a record the actor may not see keeps "#id")."""
        spec, rows = self._spec(), list(self.adv_rows)
        for n, row in enumerate(rows):
            f = spec.field_named(row["field"])
            if f is None or f.kind != "ref" or not row["value"].isdigit():
                continue
            res = self._outcome(lambda f=f, v=row["value"]: ref_lookup.lookup(actor, f.ref, v))
            hit = next((c for c in res.value if c.value == row["value"]), None) if res else None
            if hit is not None:
                rows[n] = {**row, "label": hit.label}
        self.adv_rows = rows

    def _load_saved(self, actor: Actor) -> None:
        res = self._outcome(lambda: saved_filters.list_saved(actor, self._spec().name))
        rows = res.value if res else []
        self.saved_sets = [{"id": str(s.id), "name": s.name, "query": s.query} for s in rows]

    # -- events (copied onto every section state by Reflex's mixin machinery) ----------------
    @access(LIST)
    @rx.event
    async def set_filter(self, name: str, value: str):
        """A select or a date: applies at once."""
        if isinstance(name, str) and name in self.filters:
            self.filters = {**self.filters, name: str(value)[:100]}
            self.page, self._push = 1, True
            return await self._fetch_async()
        return None

    @access(LIST)
    @rx.event
    def type_filter(self, name: str, value: str):
        """A text box: remembered as typed, applied by the search button."""
        if isinstance(name, str) and name in self.filters:
            self.filters = {**self.filters, name: str(value)[:100]}
            return self._url_event(typing=True)
        return None

    @access(LIST)
    @rx.event
    def set_search(self, value: str):
        self.search = str(value)[:100]
        return self._url_event(typing=True)

    @access(LIST)
    @rx.event
    async def apply(self, _form: dict | None = None):
        self.page, self._push = 1, True
        return await self._fetch_async()

    @access(LIST)
    @rx.event
    async def clear(self):
        self.filters = dict.fromkeys(self.filters, "")
        self.search, self.page, self._push = "", 1, True
        self._applied, self.adv_rows, self.adv_hits, self.adv_hit_row = [], [], [], -1
        return await self._fetch_async()

    # -- the advanced search's panel ---------------------------------------------------------
    def _kind(self, name: str) -> str:
        f = self._spec().field_named(name)
        return f.kind if f is not None else ""

    def _row(self, index: object) -> dict[str, str] | None:
        if (
            isinstance(index, int)
            and not isinstance(index, bool)
            and 0 <= index < len(self.adv_rows)
        ):
            return self.adv_rows[index]
        return None

    def _put_row(self, index: int, row: dict[str, str]) -> None:
        rows = list(self.adv_rows)
        rows[index] = row
        self.adv_rows = rows

    @access(LIST)
    @rx.event
    def toggle_advanced(self):
        self.adv_open = not self.adv_open
        if self.adv_open and not self.adv_rows:
            self._add_row()

    def _add_row(self) -> None:
        spec = self._spec()
        if spec.fields and len(self.adv_rows) < MAX_CONDITIONS:
            first = spec.fields[0]
            row = {"field": first.name, "op": first.operators[0], "value": "", "value2": ""}
            self.adv_rows = [*self.adv_rows, {**row, "label": ""}]

    @access(LIST)
    @rx.event
    def adv_add(self):
        self._add_row()

    @access(LIST)
    @rx.event
    def adv_remove(self, index: int):
        if self._row(index) is not None:
            self.adv_rows = [r for i, r in enumerate(self.adv_rows) if i != index]
            self.adv_hits, self.adv_hit_row = [], -1

    @access(LIST)
    @rx.event
    def adv_set(self, index: int, key: str, value: str):
        """A row's field, operator or value as chosen or typed (applied by adv_apply)."""
        row = self._row(index)
        if row is None or key not in ROW_KEYS or not isinstance(value, str):
            return
        value = value[:200]
        if key == "field":
            f = self._spec().field_named(value)
            if f is None:
                return
            row = {"field": f.name, "op": f.operators[0], "value": "", "value2": "", "label": ""}
        elif key == "op":
            f = self._spec().field_named(row["field"])
            if f is None or value not in f.operators:
                return
            row = {**row, "op": value}
        else:
            row = {**row, key: value}
        self._put_row(index, row)

    @access(LIST)
    @rx.event
    def adv_toggle(self, index: int, choice: str):
        """A value of a "one of" row ticked or unticked."""
        row = self._row(index)
        f = self._spec().field_named(row["field"]) if row is not None else None
        if f is None or f.kind != "choice" or choice not in f.choices:
            return
        picked = [v for v in row["value"].split(",") if v in f.choices]
        picked = [v for v in picked if v != choice] if choice in picked else [*picked, choice]
        self._put_row(index, {**row, "value": ",".join(v for v in f.choices if v in picked)})

    @access(LIST)
    @rx.event
    def adv_lookup(self, index: int, text: str):
        """The picker of a related record: the matches of what is typed so far."""
        row = self._row(index)
        f = self._spec().field_named(row["field"]) if row is not None else None
        if f is None or f.kind != "ref" or not isinstance(text, str):
            return None
        self._put_row(index, {**row, "label": text[:60], "value": ""})
        res = self._call(ref_lookup.lookup, f.ref, text[:60])
        if res.redirect is not None:
            return res.redirect
        self.adv_hits = [{"value": c.value, "label": c.label} for c in res.value] if res else []
        self.adv_hit_row = index
        return None

    @access(LIST)
    @rx.event
    def adv_pick(self, index: int, value: str):
        row = self._row(index)
        hit = next((h for h in self.adv_hits if h["value"] == value), None)
        if row is None or hit is None or index != self.adv_hit_row:
            return
        self._put_row(index, {**row, "value": hit["value"], "label": hit["label"]})
        self.adv_hits, self.adv_hit_row = [], -1

    @access(LIST)
    @rx.event
    async def adv_apply(self, _form: dict | None = None):
        """The panel's complete rows become the list's conditions (AND), each checked first."""
        spec, conditions = self._spec(), []
        for row in self.adv_rows:
            value = row["value"].strip()
            if row["op"] == "between":
                if not value and not row["value2"].strip():
                    continue
                value = f"{value}..{row['value2'].strip()}"
            elif row["op"] not in NO_VALUE and not value:
                continue  # a row not filled in yet
            cond = Condition(row["field"], row["op"], "" if row["op"] in NO_VALUE else value)
            res = self._outcome(lambda c=cond: check_condition(spec, c))
            if not res:
                self.list_error = res.error
                return None
            conditions.append([cond.field, cond.op, cond.value])
        self._applied, self.page, self._push = conditions, 1, True
        self.adv_hits, self.adv_hit_row = [], -1
        return await self._fetch_async()

    # -- saved filter sets --------------------------------------------------------------------
    @access(LIST)
    @rx.event
    def set_save_name(self, value: str):
        self.save_name = str(value)[:80]

    @access(LIST)
    @rx.event
    def save_filters(self, _form: dict | None = None):
        spec = self._spec()
        res = self._call(saved_filters.save_filter, spec.name, self.save_name, self._address())
        return self._saved_changed(res, "saved_filter.saved")

    def _own_saved(self, filter_id: str) -> dict | None:
        """A saved set of the user's own: looked up in the list loaded for them, never by a
        client's id alone."""
        return next((s for s in self.saved_sets if s["id"] == str(filter_id)), None)

    def _saved_changed(self, res, done_key: str | None):
        """After a save, rename or delete: its message (or the refusal) and the menu reloaded."""
        if res.redirect is not None:
            return res.redirect
        if not res:
            self.saved_note = res.error
        elif done_key is None:
            self.saved_note = ""
        else:
            self.saved_note = t(done_key, self.locale, name=res.value.name)
            self.save_name = ""
        actor = self._actor()  # reloaded even after a refusal: the set may be gone
        if actor is not None:
            self._load_saved(actor)
        return None

    @access(LIST)
    @rx.event
    async def open_saved(self, filter_id: str):
        """A saved set of the user's own (looked up in the list loaded for them) applied."""
        saved = self._own_saved(filter_id)
        if saved is None:
            return None
        spec = self._spec()
        query, refused = parse_params(spec, dict(parse_qsl(saved["query"])))
        self._load_query(spec, query)
        self.url_note = t("list.error.address", self.locale, keys=", ".join(refused))
        self.url_note = self.url_note if refused else ""
        self._push = True
        return await self._fetch_async()

    @access(LIST)
    @rx.event
    def rename_saved(self, filter_id: str):
        """A saved set of the user's own renamed to the name typed in the panel."""
        saved = self._own_saved(filter_id)
        if saved is None:
            return None
        res = self._call(saved_filters.rename_filter, int(saved["id"]), self.save_name)
        return self._saved_changed(res, "saved_filter.renamed")

    @access(LIST)
    @rx.event
    def delete_saved(self, filter_id: str):
        saved = self._own_saved(filter_id)
        if saved is None:
            return None
        res = self._call(saved_filters.delete_filter, int(saved["id"]))
        return self._saved_changed(res, None)

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
    def adv_fields(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [{"value": f.name, "label": t(f.label_key, loc)} for f in self._spec().fields]

    @rx.var
    def adv_ops(self) -> dict[str, list[dict[str, str]]]:
        """Each field's operators, as the form offers them."""
        loc = self.view_locale
        return {
            f.name: [{"value": op, "label": t(f"adv.op.{op}", loc)} for op in f.operators]
            for f in self._spec().fields
        }

    @rx.var
    def adv_kinds(self) -> dict[str, str]:
        return {f.name: f.kind for f in self._spec().fields}

    @rx.var
    def adv_choices(self) -> dict[str, list[dict[str, str]]]:
        loc = self.view_locale
        return {
            f.name: [{"value": c, "label": t(f"{f.label_prefix}{c}", loc)} for c in f.choices]
            for f in self._spec().fields
            if f.kind == "choice"
        }

    @rx.var
    def rows(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [{**self._format(r, loc), "id": str(r.get("id", ""))} for r in self._raw]

    @rx.var
    def summary(self) -> str:
        n = ("≈\u00a0" if self.estimated else "") + f"{self.total:,}".replace(",", "\u00a0")
        n += "+" if self.capped else ""
        return t("list.found", self.view_locale, n=n)

    @rx.var
    def page_label(self) -> str:
        return t("list.page", self.view_locale, page=self.page)

    @rx.var
    def all_selected(self) -> bool:
        ids = [str(r.get("id")) for r in self._raw]
        return bool(ids) and set(ids) <= set(self.selected)


def _row_of(cond: Condition) -> dict[str, str]:
    """A panel row showing an applied condition (a range split into its two ends)."""
    value, value2 = cond.value, ""
    if cond.op == "between":
        value, _, value2 = cond.value.partition("..")
    label = f"#{cond.value}" if cond.op == "eq" and cond.value.isdigit() else ""
    return {"field": cond.field, "op": cond.op, "value": value, "value2": value2, "label": label}
