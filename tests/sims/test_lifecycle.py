"""core.sim_lifecycle (sims.lifecycle): the SIM status machine. Every status x event pair is
walked: the allowed ones give the table's status and status_before_block, the others are refused
and change nothing; the row writers and the set-based statement agree with the table on both
databases; and nothing else in paysim_app writes Sim.status."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

from paysim_app.core.errors import DomainError
from paysim_app.models import Sim
from paysim_app.sims import SIM_STATUSES, lifecycle

PAIRS = list(itertools.product(SIM_STATUSES, lifecycle.EVENTS))

# what each event does, written out by hand (not derived from the module's table)
EXPECTED = {
    "sell": {"in_stock": "awaiting_activation"},
    "claim": {"in_stock": "awaiting_activation"},
    "activate": {"in_stock": "active", "awaiting_activation": "active"},
    "cancel_sale": {"awaiting_activation": "in_stock"},
    "suspend_for_debt": {"active": "suspended"},
    "resume_after_payment": {"suspended": "active", "blocked": "blocked"},
    "block": {s: "blocked" for s in ("in_stock", "awaiting_activation", "active", "suspended")},
    "block_lost": {s: "blocked" for s in ("active", "suspended", "awaiting_activation")},
    "unblock": {"blocked": "<by the status before the block>"},
    "deactivate": {s: "deactivated" for s in SIM_STATUSES if s != "deactivated"},
    "retire": {s: "deactivated" for s in SIM_STATUSES if s != "deactivated"},
    "restock": {"deactivated": "in_stock", "awaiting_activation": "in_stock"},
}


def expected(status: str, event: str, before: str | None, balance: int):
    """(status, status_before_block) after the event, or None when it is refused."""
    to = EXPECTED[event].get(status)
    if to is None:
        return None
    if event == "unblock":
        back = before or "active"
        to = ("suspended" if balance < 0 else "active") if back in ("active", "suspended") else back
    before_after = {
        "activate": None,
        "unblock": None,
        "deactivate": None,
        "block": status,
        "block_lost": status,
        "resume_after_payment": "active" if before == "suspended" else before,
    }.get(event, before)
    return to, before_after


def test_every_event_is_in_the_table_and_the_statuses_are_the_models():
    assert set(lifecycle.EVENTS) == set(EXPECTED) == set(lifecycle.WRITERS)
    assert {s for s, _ in lifecycle.TRANSITIONS} <= set(SIM_STATUSES)
    assert {(s, e) for e, by in EXPECTED.items() for s in by} == set(lifecycle.TRANSITIONS)


@pytest.mark.parametrize(("status", "event"), PAIRS)
@pytest.mark.parametrize(("before", "balance"), [(None, 0), ("suspended", -100), ("in_stock", 5)])
def test_decide_walks_every_status_and_event(status, event, before, balance):
    want = expected(status, event, before, balance)
    assert lifecycle.allows(status, event) is (want is not None)
    if want is None:
        with pytest.raises(DomainError) as refused:
            lifecycle.decide(status, event, before, balance_kop=balance)
        assert refused.value.code == lifecycle.ERRORS.get(event, "error.generic")
        assert refused.value.params["status"] == status
        with pytest.raises(DomainError):
            lifecycle.check(status, event)
    else:
        assert lifecycle.decide(status, event, before, balance_kop=balance) == want
        lifecycle.check(status, event)


def test_the_callers_sets_are_the_tables():
    assert lifecycle.sources("activate") == ("in_stock", "awaiting_activation")
    assert lifecycle.sources("block") == ("in_stock", "awaiting_activation", "active", "suspended")
    assert lifecycle.sources("block_lost") == ("active", "suspended", "awaiting_activation")
    with pytest.raises(ValueError):
        lifecycle.sources("explode")
    with pytest.raises(ValueError):
        lifecycle.allows("active", "explode")


@pytest.mark.parametrize(
    ("status", "before", "balance", "delta", "after"),
    [
        ("active", None, -1, -100, ("suspended", None)),  # a debit into debt
        ("active", None, 0, -100, ("active", None)),  # down to zero is not debt
        ("active", None, -50, 10, ("active", None)),  # a credit changes nothing when active
        ("suspended", None, 0, 100, ("active", None)),  # the debt is paid
        ("suspended", None, -1, 100, ("suspended", None)),  # not quite
        ("suspended", None, -200, -100, ("suspended", None)),  # deeper in debt
        ("blocked", "suspended", 0, 100, ("blocked", "active")),  # paid under a block
        ("blocked", "suspended", -1, 100, ("blocked", "suspended")),
        ("blocked", "active", -100, -100, ("blocked", "active")),  # no suspension under a block
        ("blocked", "in_stock", 10, 10, ("blocked", "in_stock")),
        ("awaiting_activation", None, -100, -100, ("awaiting_activation", None)),
        ("in_stock", None, 100, 100, ("in_stock", None)),
        ("deactivated", None, -100, -100, ("deactivated", None)),
        ("deactivated", None, 100, 100, ("deactivated", None)),
    ],
)
def test_after_posting_is_the_ledgers_debt_rule(status, before, balance, delta, after):
    assert lifecycle.after_posting(status, before, balance, delta) == {
        "status": after[0],
        "status_before_block": after[1],
    }


# --------------------------------------------------------------------------- on the database


def _sims(factory, session, statuses, before, balance) -> dict[str, int]:
    ids = {}
    for status in statuses:
        sim = factory.sim(status=status, balance_kop=balance)
        sim.status_before_block = before
        session.add(sim)
        ids[status] = sim.id
    session.commit()
    return ids


def _row(session, sim_id) -> tuple[str, str | None]:
    session.expire_all()
    sim = session.get(Sim, sim_id)
    return sim.status, sim.status_before_block


@pytest.mark.parametrize("event", lifecycle.EVENTS)
@pytest.mark.parametrize(("before", "balance"), [(None, 0), ("suspended", -100)])
def test_the_row_writers_walk_every_status(session, factory, event, before, balance):
    ids = _sims(factory, session, SIM_STATUSES, before, balance)
    for status, sim_id in ids.items():
        sim = session.get(Sim, sim_id)
        stamp = sim.updated_at
        want = expected(status, event, before, balance)
        if want is None:
            with pytest.raises(DomainError):
                lifecycle.WRITERS[event](sim)
            session.rollback()
            assert _row(session, sim_id) == (status, before)
            continue
        assert lifecycle.WRITERS[event](sim) == want[0]
        assert sim.updated_at >= stamp
        session.commit()
        assert _row(session, sim_id) == want, (status, event)


def test_unblock_falls_back_to_the_blocks_record_of_the_status(session, factory):
    sim = factory.sim(status="blocked", balance_kop=-100)
    assert lifecycle.unblock(sim, "in_stock") == "in_stock"
    sim.status, sim.status_before_block = "blocked", None
    assert lifecycle.unblock(sim, "active") == "suspended"  # in debt
    sim.status, sim.status_before_block = "blocked", "awaiting_activation"
    assert lifecycle.unblock(sim, "active") == "awaiting_activation"  # the row's own wins
    assert sim.status_before_block is None


@pytest.mark.parametrize("event", [e for e in lifecycle.EVENTS if e != "unblock"])
@pytest.mark.parametrize(("before", "balance"), [(None, 0), ("suspended", -100)])
def test_the_statement_agrees_with_the_table(session, factory, event, before, balance):
    ids = _sims(factory, session, SIM_STATUSES, before, balance)
    done = session.execute(lifecycle.statement(event, Sim.id.in_(list(ids.values()))))
    session.commit()
    assert done.rowcount == len(EXPECTED[event])
    for status, sim_id in ids.items():
        want = expected(status, event, before, balance) or (status, before)
        assert _row(session, sim_id) == want, (status, event)


def test_the_statement_only_touches_the_rows_it_is_given(session, factory):
    first, second = factory.sim(status="active").id, factory.sim(status="active").id
    session.execute(lifecycle.statement("suspend_for_debt", Sim.id == first))
    session.commit()
    assert _row(session, first)[0] == "suspended"
    assert _row(session, second)[0] == "active"


def test_unblock_has_no_statement():
    with pytest.raises(ValueError):
        lifecycle.statement("unblock")


# --------------------------------------------------------------------------- the only writer

PACKAGE = Path(__file__).resolve().parents[2] / "paysim_app"
COLUMNS = {"status", "status_before_block"}
# rows created with a status are not transitions: these modules may write the column
CREATORS = {
    "core/sim_lifecycle.py": "the status machine itself",
    "demo.py": "the demo seed inserts SIM rows with the status of their story",
    "sims/importing/": "the CSV import inserts (or overwrites) stock rows as the file says",
}
RAW_SQL = re.compile(r"\bupdate\s+sim\b.*\bset\b.*\bstatus", re.I | re.S)


def _is_sim(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "Sim"


def _is_sim_table(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "__table__" and _is_sim(node.value)


def _updates_sim(chain: ast.AST) -> bool:
    """The receiver chain of a `.values(...)` holds update(Sim) / Sim.__table__.update()."""
    for node in ast.walk(chain):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name == "update" and any(_is_sim(a) or _is_sim_table(a) for a in node.args):
                return True
            if isinstance(f, ast.Attribute) and f.attr == "update" and _is_sim_table(f.value):
                return True
    return False


def _dict_writes(node: ast.AST) -> bool:
    return any(
        isinstance(d, ast.Dict)
        and any(isinstance(k, ast.Constant) and k.value in COLUMNS for k in d.keys)
        for d in ast.walk(node)
    )


def _assigned(scope: ast.AST, name: str) -> list[ast.AST]:
    out = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                out.append(node.value)
    return out


def _sim_attr(target: ast.AST) -> bool:
    if not isinstance(target, ast.Attribute) or target.attr not in COLUMNS:
        return False
    if target.attr == "status_before_block":
        return True
    base = target.value
    name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
    return "sim" in name.lower()


def status_writes(source: str) -> list[int]:
    """Lines that write Sim.status / Sim.status_before_block: an attribute assignment on a sim,
    update(Sim).values(status=...), a row dict with those keys for a statement on Sim.__table__,
    raw UPDATE sim SET status."""
    tree = ast.parse(source)
    scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]

    def scope_of(node):
        inner = [s for s in scopes if s.lineno <= node.lineno <= (s.end_lineno or s.lineno)]
        return max(inner, key=lambda s: s.lineno) if inner else tree

    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                elts = t.elts if isinstance(t, ast.Tuple | ast.List) else [t]
                if any(_sim_attr(e) for e in elts):
                    lines.add(node.lineno)
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "values" and _updates_sim(f.value):
                for kw in node.keywords:
                    if kw.arg in COLUMNS:
                        lines.add(node.lineno)
                    elif kw.arg is None and isinstance(kw.value, ast.Name):
                        if any(_dict_writes(v) for v in _assigned(scope_of(node), kw.value.id)):
                            lines.add(node.lineno)
                    elif kw.arg is None and _dict_writes(kw.value):
                        lines.add(node.lineno)
                if any(_dict_writes(a) for a in node.args):
                    lines.add(node.lineno)
            elif any(_is_sim_table(a) for a in node.args):
                for a in node.args:
                    if _dict_writes(a) or (
                        isinstance(a, ast.Name)
                        and any(_dict_writes(v) for v in _assigned(scope_of(node), a.id))
                    ):
                        lines.add(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if RAW_SQL.search(node.value):
                lines.add(node.lineno)
    return sorted(lines)


def test_the_checker_sees_each_way_of_writing_the_status():
    cases = [
        "sim.status = 'active'",
        "s.sim.status_before_block = None",
        "sim.status_before_block, sim.status = 'a', 'blocked'",
        "session.execute(update(Sim).where(Sim.id == 1).values(status='in_stock'))",
        "session.execute(update(Sim).values({'status_before_block': None}))",
        "def f():\n    v = {'status': x}\n    update(Sim).where(Sim.id.in_(ids)).values(**v)",
        "session.execute(Sim.__table__.update().values(status='x'))",
        "bulk.update_by_id(session, Sim.__table__, [{'id': 1, 'status': 'x'} for _ in y])",
        "def f():\n    rows = [{'id': 1, 'status': 'x'}]\n    bulk.update_by_id(s, Sim.__table__, rows)",
        "session.execute(text('UPDATE sim SET balance_kop = 0, status = :s'))",
    ]
    for code in cases:
        assert status_writes(code), code
    fine = [
        "ticket.status = 'open'",
        "audit.record(s, a, 'sim.block', 'sim', 1, {'status': 'active'}, {'status': 'x'})",
        "update(Sim).values(label='x')",
        "Sim(status='in_stock')",
        "session.execute(lifecycle.statement('sell', Sim.id == 1))",
        "bulk.update_by_id(s, Sim.__table__, [{'id': 1, **lifecycle.after_posting(*a)}])",
    ]
    for code in fine:
        assert not status_writes(code), code


def test_nothing_but_the_lifecycle_writes_the_sims_status():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if any(rel == c or (c.endswith("/") and rel.startswith(c)) for c in CREATORS):
            continue
        found += [f"{rel}:{n}" for n in status_writes(path.read_text(encoding="utf-8"))]
    assert found == [], "write the SIM's status through paysim_app.core.sim_lifecycle"
