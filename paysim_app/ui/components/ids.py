"""Ids that came from the browser (event arguments, route and query parameters), and the
element ids of a component shown twice on one page."""

from __future__ import annotations


def browser_id(value: object) -> int:
    """An id that came from the browser; anything odd (not ASCII digits -- "²" and "٣" are
    digits to str.isdigit, and int() fails on the one and reads the other --, or outside the id
    columns' range, which PostgreSQL would refuse with an error) becomes -1, which no service
    will find."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return -1
    number = int(text)
    return number if 0 < number < 2**31 else -1


def optional_id(value: object) -> int | None:
    """browser_id, with None for anything that is not an id."""
    number = browser_id(value)
    return number if number > 0 else None


def scoped(scope: str, name: str) -> str:
    """The element id `name` of a component that a page may show twice (a list's filters and
    advanced search, when a page has two lists): `name` itself without a scope (the page's
    main list: the ids the tests and the links know), `{scope}-{name}` with one, so that no two
    elements of the page share an id."""
    return f"{scope}-{name}" if scope else name
