"""The append-only ledger: the only code that changes a SIM's balance.

Each posting writes a ledger entry and moves the SIM's cached balance (`sim_balance`, read as
`sim.balance_kop`) in the same transaction. The SIM rows are locked first (in id order, so two
writers cannot deadlock), which makes `balance_after_kop` exact and keeps balance ==
sum(entries) under any concurrency. A debit that takes an active SIM below zero suspends it for
debt; a credit that brings a suspended SIM back to zero or above restores it (also when the SIM
was suspended and then blocked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, text, update
from sqlmodel import Session

from paysim_app.core import bulk, notify, policy_marks
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.unit_of_work import verb
from paysim_app.models import LedgerEntry, Sim, SimBalance
from paysim_app.models.base import utcnow

# session.info key: SIMs whose balance went down in this transaction, for threshold autopay
DEBITED = "paysim.debited_sims"


class _Locked(NamedTuple):
    balance: int
    status: str
    status_before_block: str | None
    billed_period: str | None


@dataclass(frozen=True)
class Entry:
    """A written ledger entry, as the caller needs it back."""

    id: int
    sim_id: int
    kind: str
    amount_kop: int
    balance_after_kop: int
    payment_id: int | None
    fee_period: str | None


@dataclass(frozen=True)
class Posting:
    sim_id: int
    kind: str  # topup | monthly_fee | refund | adjustment | addon
    amount_kop: int  # positive credits the SIM, negative debits it
    payment_id: int | None = None
    fee_period: str | None = None
    actor_user_id: int | None = None
    comment: str = ""
    form_key: str | None = None  # the posting form's key (core.form_keys), unique


@verb
def lock_for_write(session: Session) -> None:
    """Take SQLite's write lock now, so reads that follow see what the write will change.
    (PostgreSQL locks rows instead; see `post_many`.)"""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Sim).where(Sim.id == -1).values(label=Sim.label))


@verb
def lock_sims(session: Session, sim_ids: Iterable[int]) -> dict[int, _Locked]:
    """Lock the SIM rows (in id order, so two writers cannot deadlock) and read what moves.
    The lock is on `sim`: every writer of a SIM's status takes it, so a posting's suspension and
    a block or an unblock beside it see each other's balance and status. The balances are read
    by a statement of their own after it: PostgreSQL re-reads a row it waited for, but not the
    rows of a table joined to it without a lock, which would be the other writer's old balance."""
    ids = sorted(set(sim_ids))
    if not ids:
        return {}
    lock_for_write(session)
    rows = session.execute(
        select(Sim.id, Sim.status, Sim.status_before_block)
        .where(bulk.id_in(session, Sim.id, ids))
        .order_by(Sim.id)
        .with_for_update()
    ).all()
    cached = {
        r.sim_id: r
        for r in session.execute(
            select(SimBalance.sim_id, SimBalance.balance_kop, SimBalance.billed_period).where(
                bulk.id_in(session, SimBalance.sim_id, ids)
            )
        )
    }
    missing = [r.id for r in rows if r.id not in cached]
    if missing:  # the trigger gives every SIM its row; a SIM written around it gets one now
        session.execute(
            bulk.dialect_insert(session, SimBalance.__table__)
            .values([{"sim_id": i, "balance_kop": 0} for i in missing])
            .on_conflict_do_nothing()
        )
    locked = {}
    for r in rows:
        b = cached.get(r.id)
        balance, billed = (b.balance_kop, b.billed_period) if b else (0, None)
        locked[r.id] = _Locked(balance, r.status, r.status_before_block, billed)
    return locked


def entry_row(posting: Posting, balance_after_kop: int, at: datetime) -> dict:
    """The ledger row a posting writes, after which the SIM holds `balance_after_kop` (post_many;
    the demo's history, so it cannot write entries of another shape)."""
    return {
        "sim_id": posting.sim_id,
        "kind": posting.kind,
        "amount_kop": posting.amount_kop,
        "balance_after_kop": balance_after_kop,
        "payment_id": posting.payment_id,
        "fee_period": posting.fee_period,
        "actor_user_id": posting.actor_user_id,
        "comment": posting.comment,
        "form_key": posting.form_key,
        "created_at": at,
    }


@verb
def post(session: Session, posting: Posting) -> Entry:
    return post_many(session, [posting])[0]


@verb
def post_many(session: Session, postings: list[Posting]) -> list[Entry]:
    """Write entries and move balances in the caller's transaction; entries come back in order."""
    if not postings:
        return []
    for p in postings:
        if not isinstance(p.amount_kop, int) or p.amount_kop == 0:
            raise ValueError(f"a ledger entry moves a non-zero whole number of kopecks: {p}")
    state = lock_sims(session, (p.sim_id for p in postings))
    missing = {p.sim_id for p in postings} - state.keys()
    if missing:
        raise LookupError(f"no SIM {sorted(missing)}")
    balances = {sim_id: s.balance for sim_id, s in state.items()}
    billed = {sim_id: s.billed_period for sim_id, s in state.items()}
    deltas: dict[int, int] = {}
    now = utcnow()
    rows = []
    for p in postings:
        balances[p.sim_id] += p.amount_kop
        deltas[p.sim_id] = deltas.get(p.sim_id, 0) + p.amount_kop
        if p.fee_period and (billed[p.sim_id] or "") < p.fee_period:
            billed[p.sim_id] = p.fee_period
        rows.append(entry_row(p, balances[p.sim_id], now))
    statuses = _debt_transitions(session, state, balances, deltas)
    # The rows are locked, so the new values are exact: one statement sets them all, and only
    # the SIMs whose status (or status under a block) moved are written in `sim` itself.
    bulk.update_by_id(
        session,
        SimBalance.__table__,
        [
            {"sim_id": sim_id, "balance_kop": balances[sim_id], "billed_period": billed[sim_id]}
            for sim_id in state
        ],
        key="sim_id",
    )
    bulk.update_by_id(
        session,
        Sim.__table__,
        [
            {"id": sim_id, **statuses[sim_id], "updated_at": now}
            for sim_id, s in state.items()
            if (statuses[sim_id]["status"], statuses[sim_id]["status_before_block"])
            != (s.status, s.status_before_block)
        ],
    )
    ids = bulk.insert_rows(session, LedgerEntry.__table__, rows)
    # ORM objects already loaded in this session must not keep the old balance or status
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Sim) and obj.id in state) or (
            isinstance(obj, SimBalance) and obj.sim_id in state
        ):
            session.expire(obj)
    debited = session.info.setdefault(DEBITED, set())
    debited.update(sid for sid, d in deltas.items() if d < 0)
    return [
        Entry(
            i,
            r["sim_id"],
            r["kind"],
            r["amount_kop"],
            r["balance_after_kop"],
            r["payment_id"],
            r["fee_period"],
        )
        for i, r in zip(ids, rows, strict=True)
    ]


def _debt_transitions(session, state, balances, deltas) -> dict[int, dict[str, str | None]]:
    """Suspend SIMs that a debit put in debt; restore those a credit brought back (also under a
    block: the SIM returns to active when unblocked), by the lifecycle's rule. Returns
    {id: {"status": ..., "status_before_block": ...}}, the row's columns after."""
    result, suspend, restore = {}, [], []
    for sim_id, s in state.items():
        after = lifecycle.after_posting(
            s.status, s.status_before_block, balances[sim_id], deltas.get(sim_id, 0)
        )
        if after["status"] != s.status:
            (suspend if after["status"] == "suspended" else restore).append(sim_id)
        result[sim_id] = after
    policy_marks.mark(session, suspend + restore)  # the network learns it (sims.policy)
    if suspend:
        notify.notify_sim_owners(
            session,
            [(sid, "sim_suspended", {"debt_kop": -balances[sid]}) for sid in suspend],
        )
    if restore:
        notify.notify_sim_owners(session, [(sid, "sim_restored", {}) for sid in restore])
    return result


@verb
def set_balances(session: Session) -> None:
    """Derive the balance and billed period of every SIM with entries from them, for history
    written around the ledger in bulk (the demo seed, the billing bench) onto SIMs whose cache
    is still new (0, never billed), so the cache cannot drift from the entries."""
    session.execute(
        text(
            "UPDATE sim_balance SET balance_kop = l.total, billed_period = l.period"
            " FROM (SELECT sim_id, sum(amount_kop) AS total, max(fee_period) AS period"
            " FROM ledger_entry GROUP BY sim_id) AS l WHERE l.sim_id = sim_balance.sim_id"
        )
    )


@verb
def entries_total(session: Session, sim_id: int) -> int:
    return session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount_kop), 0)).where(
            LedgerEntry.sim_id == sim_id
        )
    ).scalar_one()


@verb
def pop_debited(session: Session) -> set[int]:
    return session.info.pop(DEBITED, set())
