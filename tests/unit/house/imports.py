"""The import graph of homeostat_core (and the handlers), imports inside functions included."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("homeostat_core", "functions")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported homeostat module
    line: int
    in_function: bool
    reason: str  # the comment on the import line (why it is inside a function)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def imports() -> list[Import]:
    known = modules()
    found = []
    for name, path in known.items():
        source = path.read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        inside = {id(node) for fn in functions for node in ast.walk(fn)}
        type_checking = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in type_checking or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level or not node.module:
                    continue
                targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
                # `from pkg import submodule` depends on the submodule; otherwise on the module
                target = next((t for t in targets[:-1] if t in known), node.module)
            else:
                target = node.names[0].name
            if target.split(".")[0] not in PACKAGES or target not in known:
                continue
            found.append(Import(name, target, node.lineno, id(node) in inside, _reason(lines, node.lineno)))
    return found


def _reason(lines: list[str], lineno: int) -> str:
    """Why an import is inside a function: a comment on its line, or above its block of imports."""
    text = lines[lineno - 1]
    if "#" in text:
        return text.split("#", 1)[1].strip()
    row = lineno - 2
    while row >= 0 and lines[row].strip().startswith(("from ", "import ", ")")):
        row -= 1
    above = lines[row].strip() if row >= 0 else ""
    return above[1:].strip() if above.startswith("#") else ""


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
