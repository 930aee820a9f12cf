"""An import-linter contract type (see .importlinter): outside a package, only the submodules its
`__init__` names in `__all__` are imported; the others are its internals.

`lint-imports` puts the current directory on sys.path, so running it from the repository's root
finds this module. The `__all__` lists are read from the source with ast: nothing of the app is
imported.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


def public_names(package: str) -> set[str]:
    """The names in `__all__ = [...]` of the package's __init__.py."""
    top, *rest = package.split(".")
    spec = importlib.util.find_spec(top)  # a top-level package is located, not imported
    if spec is None or spec.origin is None:
        raise ValueError(f"{package}: package not found")
    init = Path(spec.origin).parent.joinpath(*rest, "__init__.py")
    for node in ast.parse(init.read_text(encoding="utf-8"), filename=str(init)).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise ValueError(f"{init} has no __all__ = [...]: its public surface is undeclared")


class PublicSurfaceContract(Contract):
    """For each of `packages`: an import from outside the package of one of its submodules (at
    any depth) is illegal unless the package's `__all__` names the submodule's first part. A
    sub-package listed too (sims.importing) checks its own surface in turn."""

    type_name = "public_surface"

    packages = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        illegal = []  # (importer, imported, line numbers)
        for package in sorted(p.name for p in self.packages):
            public = public_names(package)
            inside = package + "."
            for module in sorted(graph.find_descendants(package)):
                if module.removeprefix(inside).split(".")[0] in public:
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(module)):
                    if importer == package or importer.startswith(inside):
                        continue  # the package's own modules use its internals freely
                    details = graph.get_import_details(importer=importer, imported=module)
                    lines = tuple(sorted({d["line_number"] for d in details}))
                    illegal.append((importer, module, lines))
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["illegal"]:
            where = ", ".join(f"l.{n}" for n in lines)
            output.print_error(f"{importer} -> {imported} ({where})", bold=False)
        output.new_line()
        output.print(
            "An internal module: import the package's public surface instead, or name the "
            "module in the package's __all__ (and say why in its docstring)."
        )
