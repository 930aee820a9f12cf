"""Build-time pruning of Radix Themes' `components.css` to the components the app renders.

`@radix-ui/themes/components.css` (432 KB) styles every Radix Themes component; PaySim renders
about twenty of them. Each component's rules name it by a capitalised class (`.rt-Button`,
`.rt-TableCell`, `.rt-BaseMenuContent`), and Radix's components set those classes from string
literals in their ES modules (`dist/esm/components/<name>.js` and the modules it imports). So:

- the classes the app can ever produce are the `rt-<Capitalised>` literals of the Radix modules
  it imports, followed through their relative imports, plus any written in the app's own source
  (`class_name="rt-TableCell"`);
- a selector that requires (outside any `:not()`/`:where()`/`:is()`/`:has()`) a capitalised
  `rt-` class that is not among them can never match, and is dropped; a rule loses only such
  selectors, an at-rule only rules that lost all of theirs, and a `@keyframes` only when no
  rule left names it.

Everything else is copied byte for byte in its original order, so the cascade is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "@radix-ui/themes"
COMPONENT_CLASS = re.compile(r"rt-[A-Z][A-Za-z0-9]*")
_SELECTOR_CLASS = re.compile(r"\.(rt-[A-Z][A-Za-z0-9]*)")
_RELATIVE_IMPORT = re.compile(r"""(?:from|import)\s*["'](\.{1,2}/[^"']+)["']""")
_INDEX_IMPORT = re.compile(
    r"""import\s*(?:\*\s*as\s+(?P<ns>[\w$]+)|\{(?P<named>[^}]*)\})\s*from\s*"(?P<file>\./[^"]+)\""""
)
_INDEX_EXPORT = re.compile(r"export\s*\{(?P<names>[^}]*)\}")


@dataclass
class Block:
    """One statement of a stylesheet: `prelude { body }` (body None for `@import ...;`)."""

    prelude: str
    body: str | None
    children: list[Block] | None = None  # parsed body of a grouping at-rule


def parse(css: str) -> list[Block]:
    """Top-level statements of `css` (comments dropped; strings and nesting respected)."""
    blocks: list[Block] = []
    i, n, start = 0, len(css), 0
    prelude_end = -1
    depth = 0
    while i < n:
        c = css[i]
        if c == "/" and css.startswith("/*", i):
            end = css.find("*/", i + 2)
            end = n if end < 0 else end + 2
            if depth == 0 and prelude_end < 0:
                # keep the prelude clean of comments
                css = css[:i] + " " * (end - i) + css[end:]
            i = end
            continue
        if c in "\"'":
            end = i + 1
            while end < n and css[end] != c:
                end += 2 if css[end] == "\\" else 1
            i = end + 1
            continue
        if c == "{":
            if depth == 0:
                prelude_end = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                prelude = css[start:prelude_end].strip()
                body = css[prelude_end + 1 : i]
                children = parse(body) if _is_grouping(prelude) else None
                blocks.append(Block(prelude, body, children))
                start, prelude_end = i + 1, -1
        elif c == ";" and depth == 0:
            statement = css[start:i].strip()
            if statement:
                blocks.append(Block(statement, None))
            start = i + 1
        i += 1
    if depth != 0:
        msg = "unbalanced braces in stylesheet"
        raise ValueError(msg)
    return blocks


def _is_grouping(prelude: str) -> bool:
    return prelude.startswith(("@media", "@supports", "@layer", "@container", "@scope"))


def split_selectors(selector_list: str) -> list[str]:
    """The comma-separated selectors of a rule, commas inside parentheses left alone."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(selector_list):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(selector_list[start:i])
            start = i + 1
    parts.append(selector_list[start:])
    return [p.strip() for p in parts if p.strip()]


def required_classes(selector: str) -> set[str]:
    """Capitalised `rt-` classes an element must carry for `selector` to match.

    Classes inside any parenthesised pseudo-class (`:not`, `:where`, `:is`, `:has`) are left
    out: they are negated, alternatives or optional, so they never make a selector impossible.
    """
    outside, depth = [], 0
    for c in selector:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0:
            outside.append(c)
    return set(_SELECTOR_CLASS.findall("".join(outside)))


def _prune(blocks: list[Block], used: frozenset[str]) -> list[Block]:
    kept: list[Block] = []
    for block in blocks:
        if block.children is not None:
            children = _prune(block.children, used)
            if children:
                kept.append(Block(block.prelude, None, children))
        elif block.body is None or block.prelude.startswith("@"):
            kept.append(block)
        else:
            selectors = [s for s in split_selectors(block.prelude) if required_classes(s) <= used]
            if selectors:
                kept.append(Block(",\n".join(selectors), block.body))
    return kept


def _keyframes_name(prelude: str) -> str | None:
    m = re.match(r"@(?:-webkit-)?keyframes\s+(\S+)", prelude)
    return m.group(1) if m else None


def _drop_unused_keyframes(blocks: list[Block]) -> list[Block]:
    text = render(blocks, keyframes=False)
    out = []
    for block in blocks:
        name = _keyframes_name(block.prelude)
        if name is not None and not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            continue
        if block.children is not None:
            block = Block(block.prelude, None, _drop_unused_keyframes(block.children))
        out.append(block)
    return out


def render(blocks: Iterable[Block], *, keyframes: bool = True) -> str:
    """Stylesheet text of `blocks` (`keyframes=False`: without any @keyframes)."""
    out = []
    for block in blocks:
        if not keyframes and _keyframes_name(block.prelude):
            continue
        if block.children is not None:
            out.append(f"{block.prelude} {{\n{render(block.children, keyframes=keyframes)}}}\n")
        elif block.body is None:
            out.append(f"{block.prelude};\n")
        else:
            out.append(f"{block.prelude} {{{block.body}}}\n")
    return "".join(out)


def prune_components_css(css: str, used: Iterable[str]) -> str:
    """`components.css` without the rules that need a component class outside `used`."""
    return render(_drop_unused_keyframes(_prune(parse(css), frozenset(used))))


def export_modules(package_dir: Path) -> dict[str, Path]:
    """Radix Themes' exported names -> the ES module that defines each (from its index.js)."""
    components = package_dir / "dist" / "esm" / "components"
    index = (components / "index.js").read_text(encoding="utf-8")
    local: dict[str, Path] = {}
    for m in _INDEX_IMPORT.finditer(index):
        file = (components / m.group("file")).resolve()
        if m.group("ns"):
            local[m.group("ns")] = file
        else:
            for item in m.group("named").split(","):
                alias = item.split(" as ")[-1].strip()
                if alias:
                    local[alias] = file
    exported: dict[str, Path] = {}
    for m in _INDEX_EXPORT.finditer(index):
        for item in m.group("names").split(","):
            name_parts = [p.strip() for p in item.split(" as ")]
            if name_parts[0] in local:
                exported[name_parts[-1]] = local[name_parts[0]]
    return exported


def classes_of_modules(modules: Iterable[Path]) -> frozenset[str]:
    """`rt-<Capitalised>` literals of these modules and every module they import relatively."""
    found: set[str] = set()
    seen: set[Path] = set()
    todo = [m.resolve() for m in modules]
    while todo:
        module = todo.pop()
        if module in seen or not module.is_file():
            continue
        seen.add(module)
        text = module.read_text(encoding="utf-8")
        found.update(COMPONENT_CLASS.findall(text))
        todo.extend((module.parent / rel).resolve() for rel in _RELATIVE_IMPORT.findall(text))
    return frozenset(found)


def classes_in_source(root: Path) -> frozenset[str]:
    """`rt-<Capitalised>` classes written in the app's Python source (`class_name=...`)."""
    found: set[str] = set()
    for path in root.rglob("*.py"):
        found.update(COMPONENT_CLASS.findall(path.read_text(encoding="utf-8")))
    return frozenset(found)


def used_classes(names: Iterable[str], package_dir: Path, app_dir: Path) -> frozenset[str] | None:
    """Component classes the app can produce; None when an imported name is unknown."""
    modules = export_modules(package_dir)
    wanted = []
    for name in names:
        if name not in modules:
            return None
        wanted.append(modules[name])
    return classes_of_modules(wanted) | classes_in_source(app_dir)
