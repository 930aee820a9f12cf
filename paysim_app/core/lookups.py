"""Matches looked up once for several statements: a search's groups, or a list's count and page.

Within `looked_up_once(session)`, on PostgreSQL, core.text_search carries the ids a costly index
lookup finds (the SIMs whose numbers hold a typed part, the contracts of a name: at most
LOOKUP_CAP) into each statement built meanwhile, instead of each asking the index again.
Elsewhere, and on SQLite, every statement asks for itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Select, select

LOOKUP_CAP = 1000  # ids kept from one lookup; more and each statement asks the index itself


class _Lookups:
    def __init__(self, session) -> None:
        self.session = session
        self.found: dict[tuple, list[int] | None] = {}


_LOOKUPS: ContextVar[_Lookups | None] = ContextVar("paysim_text_lookups", default=None)


@contextmanager
def looked_up_once(session) -> Iterator[None]:
    """Within it, on PostgreSQL, a part of a SIM's number (six digits or more) and a name in
    Latin letters (`text_search.among`) are each looked up in their index once, and the
    statements built meanwhile carry the ids found (at most LOOKUP_CAP) instead of asking the
    index again. For the header's search, whose groups (SIMs, payments, the queues) each ask for
    the same number or name: at 10M SIMs a digit's trigram lookup costs 50-60 ms a statement,
    and a Latin word nobody has, asked under a group's LIMIT, was planned as a scan of every
    contract (bench/README.md, "One lookup per search"); and for a list's page, whose count and
    rows are two statements (core.listing.fetch_page). A Cyrillic name is left to each
    statement but the tickets' (`text_search.among_holders`): a common surname is in more
    contracts than a list carries, so its lookup would be one more."""
    outer = _LOOKUPS.get()
    if outer is not None and outer.session is session:  # nested (a list inside a search)
        yield
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    token = _LOOKUPS.set(_Lookups(session) if postgres else None)
    try:
        yield
    finally:
        _LOOKUPS.reset(token)


def sharing() -> bool:
    """Inside looked_up_once, on PostgreSQL."""
    return _LOOKUPS.get() is not None


def looked_up(key: tuple, ids: Select) -> list[int] | None:
    """The ids `ids` selects when inside looked_up_once and they are at most LOOKUP_CAP (read
    once per key); None otherwise. The lookup is a MATERIALIZED CTE: planned for all its rows
    (the index), not for the first few under the LIMIT (a scan hoping to meet them early)."""
    lookups = _LOOKUPS.get()
    if lookups is None:
        return None
    if key not in lookups.found:
        cte = ids.cte("looked_up").prefix_with("MATERIALIZED")
        found = list(lookups.session.execute(select(cte.c[0]).limit(LOOKUP_CAP + 1)).scalars())
        lookups.found[key] = found if len(found) <= LOOKUP_CAP else None
    return lookups.found[key]
