"""SIMs whose network policy may have changed in this unit of work.

The policy (speed, block, suspension, static IP: sims.policy) is kept by a context above most of
the writers that change it: the status machine and the ledger (core, billing), the add-ons and
the billing cycle (catalogue, billing). They only `mark(session, sim_ids)`; right before the
unit of work commits, the handler the policy context registered (`handles_marks`) recomputes
those SIMs' policy in the same transaction, so the change and its policy commit together.
A rolled-back transaction forgets its marks.

Marking costs a set update: the ledger's hot path marks only SIMs whose status moved.
The handler is registered when `paysim_app.sims` is imported, which every entry point does
(the app, the API, the jobs and the command line); without it marks are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

KEY = "paysim.policy_marks"
MAX_ROUNDS = 5  # a handler's own writes may mark again; never more than a few rounds

_HANDLERS: list[Callable[[Session, set[int]], None]] = []


def mark(session: Session | None, sim_ids: Iterable[int | None]) -> None:
    """Remember SIMs whose policy the coming commit must recompute."""
    if session is None:
        return
    ids = {i for i in sim_ids if isinstance(i, int)}
    if ids:
        session.info.setdefault(KEY, set()).update(ids)


def pending(session: Session) -> set[int]:
    return set(session.info.get(KEY, ()))


def handles_marks(
    handler: Callable[[Session, set[int]], None],
) -> Callable[[Session, set[int]], None]:
    """Register the policy context's handler: (session, sim ids) -> None."""
    if handler not in _HANDLERS:
        _HANDLERS.append(handler)
    return handler


def apply_marks(session: Session) -> None:
    """Run the handler over the marked SIMs now (before_commit does; a test or a verb that
    reads the policy before its commit may too)."""
    for _ in range(MAX_ROUNDS):
        ids = session.info.pop(KEY, None)
        if not ids:
            return
        for handler in _HANDLERS:
            handler(session, ids)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(KEY) and _HANDLERS:
        apply_marks(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(KEY, None)
