"""A verb of the domain owns its transaction.

Every public function of a context takes the unit of work (a `Session`) as its first
parameter. Decorated with `@verb`, it can be called two ways:

- without a session, as the pages, the API and the jobs do: the verb opens its own unit of work,
  resolves the payment gateway itself if it takes one, commits once on success and rolls back on
  any error (`sims.block_sim(actor, sim_id, reason, comment)`);
- with a session first, as a composing verb (the billing cycle) or a test does: it joins that
  unit of work and leaves the commit to its owner (`sims.block_sim(session, actor, ...)`).

A verb that only reads, for a list page, is declared `@verb(read_only=True)` (or with a
predicate of its arguments, `@verb(read_only=lambda args: ...)`): its own unit of work is then
`session_scope(read_only=True)`, on the PostgreSQL replica when DATABASE_REPLICA_URL is set
(see paysim_app/db.py). Composed into a caller's session, it reads where the caller does.

Objects a verb returns stay readable after its commit (sessions do not expire on commit), but
relationships that were not loaded inside the verb cannot be loaded afterwards: a verb returns
what its caller shows.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.orm import Session  # sqlmodel's Session is one too

from paysim_app.db import session_scope

P = ParamSpec("P")
R = TypeVar("R")

# parameters the verb's own unit of work supplies when the caller does not
_SUPPLIED = ("session", "gateway")


def _gateway():
    from paysim_app.payments import get_gateway  # settings decide; resolved per call

    return get_gateway()


def verb(
    fn: Callable[P, R] | None = None,
    *,
    read_only: bool | Callable[[Mapping[str, Any]], bool] = False,
) -> Callable[..., R]:
    """Mark `fn(session, ...)` as a verb that opens its own unit of work when called without one.

    read_only: that unit of work only reads and may run on the replica (True, or a predicate
    given the call's arguments by name, e.g. the list a page asks for)."""
    if fn is None:
        return functools.partial(verb, read_only=read_only)  # type: ignore[return-value]
    reads = read_only if callable(read_only) else (lambda _arguments: read_only)
    signature = inspect.signature(fn)
    names = list(signature.parameters)
    if not names or names[0] != "session":
        raise TypeError(f"{fn.__qualname__}: a verb takes the session first")
    wants_gateway = "gateway" in signature.parameters
    # what a caller without a unit of work passes: everything but the session and the gateway
    own = signature.replace(
        parameters=[p for n, p in signature.parameters.items() if n not in _SUPPLIED]
    )

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if (args and isinstance(args[0], Session)) or "session" in kwargs:
            return fn(*args, **kwargs)  # composed into the caller's unit of work
        gateway = kwargs.pop("gateway", None)
        bound = own.bind(*args, **kwargs)
        with session_scope(read_only=bool(reads(bound.arguments))) as session:
            arguments = {"session": session, **bound.arguments}
            if wants_gateway:
                arguments["gateway"] = gateway or _gateway()
            full = inspect.BoundArguments(
                signature, {n: arguments[n] for n in names if n in arguments}
            )
            return fn(*full.args, **full.kwargs)

    call.__verb__ = True  # type: ignore[attr-defined]
    return call
