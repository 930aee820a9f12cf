"""Architecture rules from DESIGN.md, checked on the source text (nothing is imported):

- only paysim_app/ui/ and paysim_app/paysim_app.py import reflex;
- paysim_app/ui/ never runs queries itself (it calls services);
- money is never annotated as float;
- no import cycles in the package (grimp's graph).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "paysim_app"
UI = PACKAGE / "ui"
APP_MODULE = PACKAGE / "paysim_app.py"

DB_MODULES = ("sqlalchemy", "sqlmodel")
QUERY_BUILDERS = {"select", "update", "delete", "insert", "text"}
QUERY_METHODS = {"exec", "execute"}
MONEY_NAME = re.compile(r"amount|_kop$|^kop|price|balance|(^|_)fee($|_)|money|(^|_)sum($|_)")


def modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_reflex(module: str | None) -> bool:
    top = (module or "").split(".")[0]
    return top == "reflex" or top.startswith("reflex_")  # reflex_base, reflex_components_...


def reflex_imports(tree: ast.AST) -> list[str]:
    """Every way of importing reflex (reflex, reflex.*, reflex_base, ...) with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if _is_reflex(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_reflex(node.module):
            found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0]
            if (
                name in ("__import__", "import_module")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and _is_reflex(arg.value)
            ):
                found.append(f"{node.lineno}: {name}({arg.value!r})")
    return found


def queries(tree: ast.AST) -> list[str]:
    """Calls that build or run SQL: select()/update()/... from sqlalchemy or sqlmodel (also as
    sa.select()), and any .exec()/.execute(). rx.select() (a dropdown) is fine."""
    db_aliases: set[str] = set()  # `import sqlalchemy as sa` -> sa
    db_names: set[str] = set()  # `from sqlmodel import select as q` -> q
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in DB_MODULES:
                    db_aliases.add((a.asname or a.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in DB_MODULES:
            for a in node.names:
                if a.name in QUERY_BUILDERS:
                    db_names.add(a.asname or a.name)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in db_names:
            found.append(f"{node.lineno}: {func.id}(")
        elif isinstance(func, ast.Attribute):
            if func.attr in QUERY_METHODS:
                found.append(f"{node.lineno}: .{func.attr}(")
            elif (
                func.attr in QUERY_BUILDERS
                and isinstance(func.value, ast.Name)
                and func.value.id in db_aliases
            ):
                found.append(f"{node.lineno}: {func.value.id}.{func.attr}(")
    return found


def _mentions_float(annotation: ast.AST | None) -> bool:
    if annotation is None:
        return False
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id == "float":
            return True
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.search(r"\bfloat\b", node.value)
        ):
            return True
    return False


def float_money(tree: ast.AST) -> list[str]:
    """Annotated names that look like money (amount..., ..._kop, price, balance, fee, sum)
    declared as float: class fields, variables, function arguments and -> of money getters."""
    found = []
    for node in ast.walk(tree):
        pairs: list[tuple[str, ast.AST | None, int]] = []
        if isinstance(node, ast.AnnAssign):
            target = node.target
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
            pairs.append((name, node.annotation, node.lineno))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            for a in args.posonlyargs + args.args + args.kwonlyargs:
                pairs.append((a.arg, a.annotation, a.lineno))
            pairs.append((node.name, node.returns, node.lineno))
        for name, annotation, line in pairs:
            if MONEY_NAME.search(name.lower()) and _mentions_float(annotation):
                found.append(f"{line}: {name}: float")
    return found


# --------------------------------------------------------------------------- the rules


def test_the_package_is_there():
    assert (PACKAGE / "accounts" / "identity.py").is_file()
    assert len(modules(PACKAGE)) > 10


@pytest.mark.parametrize(
    "path",
    [p for p in modules(PACKAGE) if UI not in p.parents and p != APP_MODULE],
    ids=rel,
)
def test_only_the_ui_imports_reflex(path):
    assert reflex_imports(parse(path)) == [], f"{rel(path)} imports reflex"


def test_ui_modules_run_no_queries():
    offenders = {rel(p): found for p in modules(UI) if (found := queries(parse(p)))}
    assert offenders == {}, "states call services; they never build or run SQL"


def test_money_is_never_a_float():
    offenders = {rel(p): found for p in modules(PACKAGE) if (found := float_money(parse(p)))}
    assert offenders == {}, "money is integer kopecks (amount_kop: int)"


# --------------------------------------------------------------------------- the checkers work


def test_reflex_import_checker_catches_every_form():
    source = """
import reflex as rx
import reflex.constants
from reflex import State
from reflex.vars import Var
from reflex_base import x
import importlib
importlib.import_module("reflex")
__import__("reflex.app")
import reflexive_stuff
from paysim_app.services import reflex_free
"""
    found = reflex_imports(ast.parse(source))
    assert sorted(int(line.split(":")[0]) for line in found) == [2, 3, 4, 5, 6, 8, 9]
    assert reflex_imports(ast.parse("import sqlmodel\nfrom paysim_app import reflexes")) == []


def test_query_checker_catches_queries_but_not_components():
    source = """
import sqlalchemy as sa
import reflex as rx
from sqlmodel import select, Session
from sqlalchemy import update as upd

def handler(session):
    session.exec(select(Sim))
    session.execute(sa.text("DELETE FROM sim"))
    upd(Sim)
    rx.select(["a", "b"])
    rx.el.select()
"""
    found = queries(ast.parse(source))
    assert sorted(found) == ["10: upd(", "8: .exec(", "8: select(", "9: .execute(", "9: sa.text("]
    assert queries(ast.parse("import reflex as rx\nrx.select(['a'])\nservices.sims.list(s)")) == []


def test_float_money_checker():
    source = """
from dataclasses import dataclass

@dataclass
class Row:
    amount_kop: float
    amount: float | None = None
    balance_kop: int = 0
    price_rub: "float"
    speed_mbps: float = 0.0

def pay(amount_rub: float, ratio: float) -> None: ...
def total_fee(x: int) -> float: ...
"""
    found = float_money(ast.parse(source))
    assert sorted(found, key=lambda f: int(f.split(":")[0])) == [
        "6: amount_kop: float",
        "7: amount: float",
        "9: price_rub: float",
        "12: amount_rub: float",
        "13: total_fee: float",
    ]


def test_no_import_cycles_in_the_package():
    """No two modules import each other, directly or through others, not even inside a
    function (grimp reads those too): an import cycle hides a layering mistake."""
    import grimp

    graph = grimp.build_graph("paysim_app")
    ours = sorted(m for m in graph.modules if m.startswith("paysim_app."))
    edges = {m: [n for n in graph.find_modules_directly_imported_by(m) if n in ours] for m in ours}
    # Tarjan's strongly connected components, iteratively
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in ours:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        cycles.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    assert cycles == []
