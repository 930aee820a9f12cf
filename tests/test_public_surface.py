"""The public_surface contract of .importlinter (surface_contract.py): outside a context package,
only the submodules its __init__ names in `__all__` are imported."""

from __future__ import annotations

import configparser
from pathlib import Path

import grimp
import pytest

from surface_contract import PublicSurfaceContract, public_names

ROOT = Path(__file__).resolve().parent.parent
# the packages of paysim_app that are not bounded contexts (core, the shared kernel, is public)
NOT_CONTEXTS = {"core", "ui", "api", "jobs", "i18n", "models", "payments", "fiscal"}


def contract(*packages: str) -> PublicSurfaceContract:
    return PublicSurfaceContract(
        name="public surfaces", session_options={}, contract_options={"packages": list(packages)}
    )


def configured_packages() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    section = config["importlinter:contract:public-surfaces"]
    assert section["type"] == "public_surface"
    return section["packages"].split()


@pytest.fixture
def shop(tmp_path, monkeypatch) -> None:
    """A package on disk (the contract reads its __all__ there): shop's surface is `orders` and
    the sub-package `inner`, whose own surface names no module."""
    pkg = tmp_path / "surface_shop"
    (pkg / "inner").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Shop."""\n\n__all__ = ["orders", "inner", "PRICE"]\n')
    (pkg / "inner" / "__init__.py").write_text('__all__ = ["helper_value"]\n')
    for name in ("orders.py", "secret.py", "inner/staging.py"):
        (pkg / name).write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))


def shop_graph() -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    graph.add_module("surface_shop.inner")  # a package is in the graph as grimp builds it
    for importer, imported, line in [
        ("web.page", "surface_shop.orders", 1),  # public: fine
        ("web.page", "surface_shop", 2),  # the package itself: fine
        ("web.page", "surface_shop.secret", 3),  # internal
        ("web.page", "surface_shop.inner.staging", 4),  # internal to inner
        ("surface_shop.orders", "surface_shop.secret", 5),  # inside shop: fine
        ("surface_shop.orders", "surface_shop.inner.staging", 6),  # outside inner
        ("surface_shop.inner.staging", "surface_shop.secret", 7),  # inside shop: fine
    ]:
        graph.add_import(importer=importer, imported=imported, line_number=line, line_contents="")
    return graph


def test_public_names_read_from_the_source(shop):
    assert public_names("surface_shop") == {"orders", "inner", "PRICE"}
    assert public_names("surface_shop.inner") == {"helper_value"}


def test_an_import_of_an_internal_module_breaks_the_contract(shop):
    graph = shop_graph()
    graph.add_import(
        importer="other.page", imported="surface_shop.secret", line_number=9, line_contents=""
    )
    check = contract("surface_shop", "surface_shop.inner").check(graph, verbose=False)
    assert not check.kept
    assert sorted(check.metadata["illegal"]) == [
        ("other.page", "surface_shop.secret", (9,)),
        ("surface_shop.orders", "surface_shop.inner.staging", (6,)),
        ("web.page", "surface_shop.inner.staging", (4,)),
        ("web.page", "surface_shop.secret", (3,)),
    ]


def test_a_sub_package_not_listed_is_judged_by_its_parent_alone(shop):
    # inner is in shop's surface: without its own entry its modules are reachable
    check = contract("surface_shop").check(shop_graph(), verbose=False)
    assert check.metadata["illegal"] == [("web.page", "surface_shop.secret", (3,))]


def test_a_package_without_all_is_refused(tmp_path, monkeypatch):
    (tmp_path / "surface_bare").mkdir()
    (tmp_path / "surface_bare" / "__init__.py").write_text('"""No surface."""\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="no __all__"):
        public_names("surface_bare")


def test_every_context_is_checked_and_the_real_tree_keeps_the_contract():
    packages = configured_packages()
    contexts = {
        f"paysim_app.{p.name}"
        for p in (ROOT / "paysim_app").iterdir()
        if (p / "__init__.py").exists() and p.name not in NOT_CONTEXTS
    }
    assert contexts | {"paysim_app.sims.importing"} == set(packages)
    check = contract(*packages).check(grimp.build_graph("paysim_app"), verbose=False)
    assert check.kept, check.metadata["illegal"]
