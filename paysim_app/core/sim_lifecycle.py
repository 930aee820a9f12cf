"""The SIM status machine: the one writer of `Sim.status` and `Sim.status_before_block`.

Every change of a SIM's status is an event of the table below, applied by one of this module's
writers: a verb_noun function on a loaded (locked) Sim row (`activate(sim)`, `block_lost(sim)`,
...), `statement(event, ...)` for the set-based paths (an UPDATE whose WHERE and SET come from
the same table, so the SQL cannot disagree with it) and `after_posting(...)` for the ledger,
which sets the columns of many rows in one statement. Rows created with a status (the admin's
new SIM, the CSV import, the demo seed) are not transitions and do not come here.

It sits in core because the ledger (billing, below sims in the layers) suspends for debt;
paysim_app.sims re-exports it as `sims.lifecycle`.

`status_before_block` is what a lifted block gives back. Each event says how it moves:
KEEP (untouched), CLEAR (None), SAVE (the status the SIM had before the event: a block) and
PAID (a payment that ends a debt under a block: "suspended" becomes "active").

Every writer marks the SIMs it moved for the network policy (core.policy_marks; sims.policy
recomputes them before the commit): the row writers mark their row, `statement(...)` marks the
rows of its WHERE (a follow-up SELECT of their ids, without the status condition the UPDATE
has just made false), and the ledger marks the SIMs `after_posting` moved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import case, event, select, update
from sqlalchemy.orm import Session, object_session

from paysim_app.core import policy_marks
from paysim_app.core.errors import DomainError
from paysim_app.models import Sim
from paysim_app.models.base import utcnow
from paysim_app.models.sims import SIM_STATUSES

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.sql.dml import Update

# the to-status of `unblock`: the status before the block, by the balance (see return_status)
RETURN = "<before block>"

# how an event moves status_before_block
KEEP, CLEAR, SAVE, PAID = "keep", "clear", "save", "paid"

WORKING = ("active", "suspended")

# (status, event) -> status after. A pair that is not here is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    # a partner sells a SIM from its stock to a new customer: the request waits for an admin
    ("in_stock", "sell"): "awaiting_activation",
    # a subscriber claims a SIM bought in a shop (ICCID + activation code)
    ("in_stock", "claim"): "awaiting_activation",
    # an admin approves the activation request: the SIM goes live on the contract
    ("in_stock", "activate"): "active",
    ("awaiting_activation", "activate"): "active",
    # the request was rejected, withdrawn or its contract closed: the SIM is back on the shelf
    ("awaiting_activation", "cancel_sale"): "in_stock",
    # the ledger: a debit took the balance below zero / a credit paid the debt
    ("active", "suspend_for_debt"): "suspended",
    ("suspended", "resume_after_payment"): "active",
    # blocked stays blocked, but returns to active when unblocked (PAID)
    ("blocked", "resume_after_payment"): "blocked",
    # an admin blocks: besides working SIMs, stock (a stolen box) and SIMs awaiting activation
    ("in_stock", "block"): "blocked",
    ("awaiting_activation", "block"): "blocked",
    ("active", "block"): "blocked",
    ("suspended", "block"): "blocked",
    # the owner blocks a lost or stolen SIM
    ("active", "block_lost"): "blocked",
    ("suspended", "block_lost"): "blocked",
    ("awaiting_activation", "block_lost"): "blocked",
    # a lifted block gives the status before it back (a working SIM: by its balance)
    ("blocked", "unblock"): RETURN,
    # the contract ends: each of its SIMs
    ("in_stock", "deactivate"): "deactivated",
    ("awaiting_activation", "deactivate"): "deactivated",
    ("active", "deactivate"): "deactivated",
    ("suspended", "deactivate"): "deactivated",
    ("blocked", "deactivate"): "deactivated",
    # an admin takes a SIM out of service by hand (the admin list's bulk actions)
    ("in_stock", "retire"): "deactivated",
    ("awaiting_activation", "retire"): "deactivated",
    ("active", "retire"): "deactivated",
    ("suspended", "retire"): "deactivated",
    ("blocked", "retire"): "deactivated",
    # an admin puts a SIM back on the shelf by hand (never one on a contract: see sims.inventory)
    ("deactivated", "restock"): "in_stock",
    ("awaiting_activation", "restock"): "in_stock",
}

BEFORE_BLOCK: dict[str, str] = {
    "sell": KEEP,
    "claim": KEEP,
    "activate": CLEAR,
    "cancel_sale": KEEP,
    "suspend_for_debt": KEEP,
    "resume_after_payment": PAID,
    "block": SAVE,
    "block_lost": SAVE,
    "unblock": CLEAR,
    "deactivate": CLEAR,
    "retire": KEEP,
    "restock": KEEP,
}

EVENTS: tuple[str, ...] = tuple(BEFORE_BLOCK)

# the refusal of an event the SIM's status does not allow (existing error codes)
ERRORS: dict[str, str] = {
    "sell": "partner_cabinet.error.not_in_stock",
    "claim": "sims.error.claim_refused",
    "activate": "admin_queues.error.sim_not_available",
    "block": "admin_queues.error.not_blockable",
    "block_lost": "sims.error.not_blockable",
    "unblock": "sims.error.not_blocked",
    "retire": "admin_sims.error.status_manual",
    "restock": "admin_sims.error.status_manual",
}


# --------------------------------------------------------------------------- pure decisions


def sources(event: str) -> tuple[str, ...]:
    """The statuses `event` may leave, in the table's order."""
    if event not in BEFORE_BLOCK:
        raise ValueError(f"no SIM event {event!r}")
    return tuple(s for (s, e) in TRANSITIONS if e == event)


def allows(status: str, event: str) -> bool:
    if event not in BEFORE_BLOCK:
        raise ValueError(f"no SIM event {event!r}")
    return (status, event) in TRANSITIONS


def return_status(previous: str | None, balance_kop: int) -> str:
    """The status a lifted block gives back: the one before the block, except that a working
    SIM is suspended exactly when its balance is below zero."""
    previous = previous or "active"
    if previous in WORKING:
        return "suspended" if balance_kop < 0 else "active"
    return previous


def _before_block(rule: str, status: str, before_block: str | None) -> str | None:
    if rule == KEEP:
        return before_block
    if rule == CLEAR:
        return None
    if rule == SAVE:
        return status
    return "active" if before_block == "suspended" else before_block  # PAID


def decide(
    status: str, event: str, before_block: str | None = None, *, balance_kop: int = 0
) -> tuple[str, str | None]:
    """(status, status_before_block) after `event`; a DomainError (the event's code, with the
    status as `status`) when the status does not allow it."""
    if not allows(status, event):
        raise DomainError(ERRORS.get(event, "error.generic"), status=status)
    after = TRANSITIONS[(status, event)]
    if after == RETURN:
        after = return_status(before_block, balance_kop)
    return after, _before_block(BEFORE_BLOCK[event], status, before_block)


def check(status: str, event: str) -> None:
    """Refuse (DomainError) an event the status does not allow; nothing is written."""
    decide(status, event)


def after_posting(
    status: str, before_block: str | None, balance_kop: int, delta_kop: int
) -> dict[str, str | None]:
    """The ledger's transitions, as the SIM row's columns after a posting moved its balance by
    `delta_kop` to `balance_kop`: a debit into debt suspends an active SIM, a credit that pays
    the debt resumes a suspended one (under a block: it returns active when unblocked)."""
    if delta_kop < 0 and balance_kop < 0 and allows(status, "suspend_for_debt"):
        status, before_block = decide(status, "suspend_for_debt", before_block)
    elif delta_kop > 0 and balance_kop >= 0 and allows(status, "resume_after_payment"):
        status, before_block = decide(status, "resume_after_payment", before_block)
    return {"status": status, "status_before_block": before_block}


# --------------------------------------------------------------------------- writers: one row


def _apply(
    sim: Sim, event: str, *, fallback_before: str | None = None, now: datetime | None = None
) -> str:
    status, before = decide(
        sim.status,
        event,
        sim.status_before_block or fallback_before,
        balance_kop=sim.balance_kop or 0,
    )
    if BEFORE_BLOCK[event] == KEEP:
        before = sim.status_before_block  # never the fallback
    sim.status, sim.status_before_block, sim.updated_at = status, before, now or utcnow()
    policy_marks.mark(object_session(sim), [sim.id])
    return status


def sell(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "sell", now=now)


def claim(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "claim", now=now)


def activate(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "activate", now=now)


def cancel_sale(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "cancel_sale", now=now)


def suspend_for_debt(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "suspend_for_debt", now=now)


def resume_after_payment(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "resume_after_payment", now=now)


def block(sim: Sim, now: datetime | None = None) -> str:
    """An admin's block; status_before_block keeps what a lift gives back."""
    return _apply(sim, "block", now=now)


def block_lost(sim: Sim, now: datetime | None = None) -> str:
    """The owner's block of a lost or stolen SIM."""
    return _apply(sim, "block_lost", now=now)


def unblock(sim: Sim, previous_status: str | None = None, now: datetime | None = None) -> str:
    """Lift: the status before the block (`previous_status`, the block's record of it, when the
    row has none), a working SIM by its balance."""
    return _apply(sim, "unblock", fallback_before=previous_status, now=now)


def deactivate(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "deactivate", now=now)


def retire(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "retire", now=now)


def restock(sim: Sim, now: datetime | None = None) -> str:
    return _apply(sim, "restock", now=now)


WRITERS = {
    "sell": sell,
    "claim": claim,
    "activate": activate,
    "cancel_sale": cancel_sale,
    "suspend_for_debt": suspend_for_debt,
    "resume_after_payment": resume_after_payment,
    "block": block,
    "block_lost": block_lost,
    "unblock": unblock,
    "deactivate": deactivate,
    "retire": retire,
    "restock": restock,
}


# --------------------------------------------------------------------------- writers: a set


def _status_value(event: str):
    targets = {s: to for (s, e), to in TRANSITIONS.items() if e == event}
    if RETURN in targets.values():
        raise ValueError(f"{event!r} depends on the row's block: apply it to the row")
    if len(set(targets.values())) == 1:
        return next(iter(targets.values()))
    return case(targets, value=Sim.status, else_=Sim.status)


def _before_value(event: str):
    rule = BEFORE_BLOCK[event]
    if rule == CLEAR:
        return None
    if rule == SAVE:
        return Sim.status  # SET sees the row as it was before the statement
    # PAID
    return case((Sim.status_before_block == "suspended", "active"), else_=Sim.status_before_block)


def statement(event: str, *where, **values) -> Update:
    """UPDATE sim SET (the event's status and status_before_block, `values`, updated_at unless
    given) WHERE the status allows the event AND `where`. Rows whose status does not allow it
    are left alone: compare the rowcount when that matters."""
    cols: dict = {"status": _status_value(event)}
    if BEFORE_BLOCK[event] != KEEP:
        cols["status_before_block"] = _before_value(event)
    values.setdefault("updated_at", utcnow())
    return (
        update(Sim)
        .where(Sim.status.in_(sources(event)), *where)
        .values(**cols, **values)
        .execution_options(**{_MARKS_WHERE: tuple(where)})
    )


# the execution option a lifecycle statement carries: its WHERE without the status condition
_MARKS_WHERE = "paysim_policy_where"


@event.listens_for(Session, "do_orm_execute")
def _mark_statement_rows(state) -> object:
    """After a lifecycle statement, mark the rows its WHERE names (a status that did not allow
    the event left its row alone: recomputing that row's policy changes nothing)."""
    where = state.execution_options.get(_MARKS_WHERE)
    if where is None or not state.is_update:
        return None
    result = state.invoke_statement()
    ids = state.session.execute(select(Sim.id).where(*where)).scalars().all() if where else []
    policy_marks.mark(state.session, ids)
    return result


__all__ = [
    "BEFORE_BLOCK",
    "ERRORS",
    "EVENTS",
    "SIM_STATUSES",
    "TRANSITIONS",
    "WORKING",
    "activate",
    "after_posting",
    "allows",
    "block",
    "block_lost",
    "cancel_sale",
    "check",
    "claim",
    "deactivate",
    "decide",
    "restock",
    "resume_after_payment",
    "retire",
    "return_status",
    "sell",
    "sources",
    "statement",
    "suspend_for_debt",
    "unblock",
]
