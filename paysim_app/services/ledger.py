"""The append-only ledger: the only code that changes a SIM's balance.

Each posting writes a ledger entry and moves the cached `sim.balance_kop` in the same
transaction. The SIM rows are locked first (in id order, so two writers cannot deadlock), which
makes `balance_after_kop` exact and keeps balance == sum(entries) under any concurrency. A debit
that takes an active SIM below zero suspends it for debt; a credit that brings a suspended SIM
back to zero or above restores it (also when the SIM was suspended and then blocked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from paysim_app.models import LedgerEntry, Sim
from paysim_app.models.base import utcnow
from paysim_app.services import notify

# session.info key: SIMs whose balance went down in this transaction, for threshold autopay
DEBITED = "paysim.debited_sims"


@dataclass(frozen=True)
class Posting:
    sim_id: int
    kind: str  # topup | monthly_fee | refund | adjustment | addon
    amount_kop: int  # positive credits the SIM, negative debits it
    payment_id: int | None = None
    fee_period: str | None = None
    actor_user_id: int | None = None
    comment: str = ""


def lock_for_write(session: Session) -> None:
    """Take SQLite's write lock now, so reads that follow see what the write will change.
    (PostgreSQL locks rows instead; see `post_many`.)"""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Sim).where(Sim.id == -1).values(label=Sim.label))


def lock_sims(session: Session, sim_ids: Iterable[int]) -> dict[int, tuple[int, str, str | None]]:
    """Lock the SIM rows and read {id: (balance, status, status_before_block)}."""
    ids = sorted(set(sim_ids))
    if not ids:
        return {}
    lock_for_write(session)
    rows = session.execute(
        select(Sim.id, Sim.balance_kop, Sim.status, Sim.status_before_block)
        .where(Sim.id.in_(ids))
        .order_by(Sim.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {r.id: (r.balance_kop, r.status, r.status_before_block) for r in rows}


def post(session: Session, posting: Posting) -> LedgerEntry:
    return post_many(session, [posting])[0]


def post_many(session: Session, postings: list[Posting]) -> list[LedgerEntry]:
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
    balances = {sim_id: s[0] for sim_id, s in state.items()}
    now = utcnow()
    entries = []
    for p in postings:
        balances[p.sim_id] += p.amount_kop
        entries.append(
            LedgerEntry(
                sim_id=p.sim_id,
                kind=p.kind,
                amount_kop=p.amount_kop,
                balance_after_kop=balances[p.sim_id],
                payment_id=p.payment_id,
                fee_period=p.fee_period,
                actor_user_id=p.actor_user_id,
                comment=p.comment,
                created_at=now,
            )
        )
    deltas: dict[int, int] = {}
    for p in postings:
        deltas[p.sim_id] = deltas.get(p.sim_id, 0) + p.amount_kop
    moved = [{"sid": sid, "delta": d} for sid, d in deltas.items() if d]
    if moved:
        # relative increments: even a writer that skipped the lock could not lose an update
        table = Sim.__table__
        session.execute(
            update(table)
            .where(table.c.id == bindparam("sid"))
            .values(balance_kop=table.c.balance_kop + bindparam("delta"), updated_at=now),
            moved,
        )
    session.add_all(entries)
    _debt_transitions(session, state, balances, deltas)
    # ORM objects already loaded in this session must not keep the old balance or status
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Sim) and obj.id in state:
            session.expire(obj)
    session.flush()
    debited = session.info.setdefault(DEBITED, set())
    debited.update(sid for sid, d in deltas.items() if d < 0)
    return entries


def _debt_transitions(session, state, balances, deltas) -> None:
    """Suspend SIMs that a debit put in debt; restore those a credit brought back."""
    suspend, restore, restore_under_block = [], [], []
    for sim_id, (_, status, before_block) in state.items():
        bal, delta = balances[sim_id], deltas.get(sim_id, 0)
        if delta < 0 and bal < 0 and status == "active":
            suspend.append(sim_id)
        elif delta > 0 and bal >= 0 and status == "suspended":
            restore.append(sim_id)
        elif delta > 0 and bal >= 0 and status == "blocked" and before_block == "suspended":
            restore_under_block.append(sim_id)
    table = Sim.__table__
    if suspend:
        session.execute(update(table).where(table.c.id.in_(suspend)).values(status="suspended"))
    if restore:
        session.execute(update(table).where(table.c.id.in_(restore)).values(status="active"))
    if restore_under_block:
        session.execute(
            update(table)
            .where(table.c.id.in_(restore_under_block))
            .values(status_before_block="active")
        )
    if suspend:
        notify.notify_sim_owners(
            session,
            [(sid, "sim_suspended", {"debt_kop": -balances[sid]}) for sid in suspend],
        )
    if restore:
        notify.notify_sim_owners(session, [(sid, "sim_restored", {}) for sid in restore])


def entries_total(session: Session, sim_id: int) -> int:
    return session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount_kop), 0)).where(
            LedgerEntry.sim_id == sim_id
        )
    ).scalar_one()


def pop_debited(session: Session) -> set[int]:
    return session.info.pop(DEBITED, set())
