"""core.unit_of_work.verb: a verb called without a session owns its transaction (commit once,
roll back on a refusal, the gateway resolved for it); called with one, it joins it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from paysim_app.core.errors import DomainError
from paysim_app.core.unit_of_work import verb
from paysim_app.models import AuditLog
from paysim_app.payments.sandbox import SandboxGateway

CONTEXTS = (
    "accounts",
    "billing",
    "catalogue",
    "coverage",
    "overview",
    "partners",
    "sims",
    "subscribers",
    "support",
)
# run inside a unit of work someone else opened, never on their own
HOOKS = {"paysim_app.billing.autopay.on_settled"}


def _write(session: Session, action: str, fail: bool = False) -> str:
    session.add(AuditLog(actor_user_id=None, action=action, entity="test", entity_id=""))
    session.flush()
    if fail:
        raise DomainError("error.generic")
    return action


write = verb(_write)


@verb
def which_gateway(session: Session, gateway, label: str = "") -> tuple:
    return type(gateway).__name__, label


def _actions(engine) -> list[str]:
    with Session(engine) as s:
        return list(s.exec(select(AuditLog.action).order_by(AuditLog.id)))


def test_without_a_session_the_verb_commits_its_own_unit_of_work(engine, db_url):
    assert write("one") == "one"
    assert _actions(engine) == ["one"]


def test_a_refusal_rolls_the_verbs_unit_of_work_back(engine, db_url):
    with pytest.raises(DomainError):
        write("two", fail=True)
    assert _actions(engine) == []


def test_with_a_session_the_verb_joins_it_and_leaves_the_commit_to_its_owner(engine, session):
    write(session, "three")
    assert _actions(engine) == []  # not committed by the verb
    session.commit()
    assert _actions(engine) == ["three"]
    write(session=session, action="four")
    session.rollback()
    assert _actions(engine) == ["three"]


def test_the_verb_resolves_the_gateway_unless_one_is_given(db_url):
    assert which_gateway(label="x") == ("SandboxGateway", "x")
    given = SandboxGateway()
    assert which_gateway("y", gateway=given) == ("SandboxGateway", "y")


def test_a_verb_takes_the_session_first():
    with pytest.raises(TypeError):
        verb(lambda actor, session: None)


def _context_modules():
    for context in CONTEXTS:
        package = importlib.import_module(f"paysim_app.{context}")
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            yield importlib.import_module(info.name)


def test_every_public_function_of_a_context_taking_a_session_is_a_verb():
    """So a page, a job or the API can call any of them without opening a transaction."""
    missing = []
    for module in _context_modules():
        tree = ast.parse(Path(module.__file__).read_text())
        for node in tree.body:
            if (
                isinstance(node, ast.FunctionDef)
                and not node.name.startswith("_")
                and node.args.args
                and node.args.args[0].arg == "session"
                and not any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(node))
            ):
                name = f"{module.__name__}.{node.name}"
                if name not in HOOKS and not getattr(getattr(module, node.name), "__verb__", False):
                    missing.append(name)
    assert missing == [], missing
