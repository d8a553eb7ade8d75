"""What the docs may name in backticks, and whether it exists: the docs test's name checker.

The repository's code is indexed from its source (Python AST, nothing imported, so it is fast and
needs no AWS or CDK): every module with its top-level names (definitions, assignments and
imports, so a package re-exporting a name counts), every class with its attributes (methods,
fields, enum members, `self.x` assignments, inherited from indexed bases), and every word the
code spells (names, parameters, keywords and the words of its string constants, docstrings left
out so a stale docstring cannot vouch for a stale name).

A backticked text is resolved by its shape:
- `a.b.c` whose first parts name one of our modules (full dotted path or a suffix of it, such
  as `pipeline` or `patterns.matcher`): the rest must exist in that module (a class's
  attributes after a class); whose first part names one of our classes: the attribute must
  exist on it. Other dotted names (JavaScript, CDK, variables) must only spell code words.
- `name` (snake_case, camelCase, CONSTANT, or Class): a word the code spells;
  `name(...)`: the same for the callee, and a snake_case callee must be a function or class the
  code defines (a parameter or variable of that name does not vouch for a call);
- a path under a top-level entry of the repository (`homeostat_core/x.py`, `tests/...`), or a
  bare `something.py`: the file exists;
- `homeostat-...` (labels, tables): a word of the shipped code (not of its tests);
- `NAME=value`, `key: value`: the name/key as above.
Commands (`homeostat ...`, `make ...`, `python -m ...`) are the docs test's own business.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

CODE_ROOTS = ("homeostat_core", "functions", "infra", "tests", "bench", "scripts", "app.py")
# Non-Python files whose words the docs quote as examples (sample extensions, the shipped config)
TEXT_ROOTS = ("examples", ".homeostat", "pyproject.toml", "package.json", "cdk.json", "Makefile")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WORD = re.compile(r"homeostat(?:-[A-Za-z0-9_]+)+|[A-Za-z_][A-Za-z0-9_]*")
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
CALL = re.compile(r"([A-Za-z_][\w.]*)\((.*)\)")
ASSIGNMENT = re.compile(r"([A-Za-z_]\w*)(?:=|: )\S.*")
LABEL = re.compile(r"homeostat(?:-[a-z0-9]+)+")
PY_FILE = re.compile(r"[A-Za-z_]\w*\.py")
# A file name, not a dotted code name (`app.js`, `library.json`)
DATA_FILE = re.compile(
    r"[\w.-]+\.(?:js|mjs|cjs|ts|tsx|jsx|json|map|md|ya?ml|toml|txt|html|css|lock|sh|zip|crx|xpi)"
)
# Top-level entries that hold no repository content of their own (tools, caches, outputs)
NOT_CONTENT = {"..", ".", "node_modules", ".venv", "cdk.out", ".work", ".git", ".lambda-build"}


@dataclass
class ClassInfo:
    bases: list[str]
    attrs: set[str] = field(default_factory=set)


@dataclass
class CodeIndex:
    root: Path
    modules: dict[str, set[str]] = field(default_factory=dict)
    classes: dict[str, list[ClassInfo]] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    callables: set[str] = field(default_factory=set)  # every function, method and class defined
    product_words: set[str] = field(default_factory=set)  # the words of the shipped code only
    files: set[str] = field(default_factory=set)  # repository-relative paths of every indexed file

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def build(cls, root: Path, *, leave_out: tuple[str, ...] = ()) -> CodeIndex:
        """The index of `root`'s code; `leave_out`: files that must not vouch for names (a test
        that lists stale names on purpose)."""
        index = cls(root)
        for path in _files(root, CODE_ROOTS, "*.py"):
            if path.relative_to(root).as_posix() not in leave_out:
                index._add_python(path)
        for path in _files(root, TEXT_ROOTS, "*"):
            index.files.add(path.relative_to(root).as_posix())
            try:
                index.words.update(WORD.findall(path.read_text(encoding="utf-8")))
            except (UnicodeDecodeError, OSError):
                continue
        index.words |= index.product_words
        for dotted in list(index.modules):
            index.words.update(dotted.split("."))
            parent = dotted.rpartition(".")[0]
            if parent:
                index.modules.setdefault(parent, set()).add(dotted.rpartition(".")[2])
        return index

    def _add_python(self, path: Path) -> None:
        relative = path.relative_to(self.root)
        self.files.add(relative.as_posix())
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        module = ".".join(parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        self.modules.setdefault(module, set()).update(_top_level_names(tree))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree) if _has_docstring(node)}
        words = self.words if parts[0] in ("tests", "bench") else self.product_words
        for node in ast.walk(tree):
            self._add_words(node, docstrings, words)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.callables.add(node.name)
            if isinstance(node, ast.ClassDef):
                info = ClassInfo([_base_name(b) for b in node.bases], _class_attrs(node))
                self.classes.setdefault(node.name, []).append(info)

    def _add_words(self, node: ast.AST, docstrings: set[int], words: set[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            words.add(node.name)
        elif isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, ast.arg) or isinstance(node, ast.keyword) and node.arg:
            words.add(node.arg)
        elif isinstance(node, ast.alias):
            words.update((node.asname or node.name).split("."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            words.update(WORD.findall(node.value))

    # --- resolving ----------------------------------------------------------------------------

    def class_attrs(self, name: str) -> list[set[str]]:
        """The attributes of every class called `name`, inherited ones included."""
        return [self._attrs_with_bases(info, set()) for info in self.classes.get(name, ())]

    def _attrs_with_bases(self, info: ClassInfo, seen: set[str]) -> set[str]:
        attrs = set(info.attrs)
        for base in info.bases:
            if base in seen:
                continue
            for base_info in self.classes.get(base, ()):
                attrs |= self._attrs_with_bases(base_info, seen | {base})
        return attrs

    @cached_property
    def _module_suffixes(self) -> dict[str, list[str]]:
        suffixes: dict[str, list[str]] = {}
        for dotted in self.modules:
            parts = dotted.split(".")
            for i in range(len(parts)):
                suffixes.setdefault(".".join(parts[i:]), []).append(dotted)
        return suffixes

    def _resolve_in_module(self, module: str, rest: list[str]) -> bool:
        if not rest:
            return True
        head, tail = rest[0], rest[1:]
        if head not in self.modules[module]:
            return False
        submodule = f"{module}.{head}"
        if submodule in self.modules:
            return self._resolve_in_module(submodule, tail)
        if not tail:
            return True
        # a class of this module (or imported into it): its attribute; anything else: unknown type
        attrs = self.class_attrs(head)
        return not attrs or any(tail[0] in a for a in attrs)

    def dotted_problem(self, dotted: str) -> str | None:
        """Why `dotted` does not exist in the code, or None when it does (or is not ours)."""
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            modules = self._module_suffixes.get(".".join(parts[:i]), [])
            if modules:
                if any(self._resolve_in_module(m, parts[i:]) for m in modules):
                    return None
                return f"no `{parts[i]}` in {' or '.join(sorted(modules))}"
        if parts[0] in self.classes:
            if any(parts[1] in attrs for attrs in self.class_attrs(parts[0])):
                return None
            return f"class {parts[0]} has no attribute `{parts[1]}`"
        missing = [p for p in parts if _code_like(p) and p not in self.words]
        return f"the code never spells {', '.join(missing)}" if missing else None

    def path_problem(self, path: str) -> str | None:
        path = path.rstrip("/")
        if PY_FILE.fullmatch(path):
            if any(f == path or f.endswith("/" + path) for f in self.files):
                return None
            return "no such file in the repository"
        if (self.root / path).exists():
            return None
        return "no such file or folder in the repository"


def _files(root: Path, roots: tuple[str, ...], pattern: str) -> Iterator[Path]:
    for name in roots:
        top = root / name
        if top.is_file():
            yield top
        elif top.is_dir():
            for path in sorted(top.rglob(pattern)):
                if path.is_file() and not {"node_modules", "__pycache__", ".git"} & set(path.parts):
                    yield path


def _has_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and bool(node.body)
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    )


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.If | ast.Try):  # `if TYPE_CHECKING:` / `try: import` blocks
            names |= _top_level_names(ast.Module(body=[*ast.iter_child_nodes(node)], type_ignores=[]))
    return names


def _class_attrs(node: ast.ClassDef) -> set[str]:
    attrs: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            attrs.add(item.name)
        elif isinstance(item, ast.Assign):
            attrs.update(n.id for t in item.targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            attrs.add(item.target.id)
    for sub in ast.walk(node):  # self.x = ... in its methods
        if (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.ctx, ast.Store)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == "self"
        ):
            attrs.add(sub.attr)
    return attrs


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _code_like(word: str) -> bool:
    """snake_case, camelCase, CONSTANT_CASE or CamelCase: a name, not an English word."""
    return "_" in word.strip("_") or bool(re.search(r"[a-z][A-Z]|[A-Z]{2}", word))


# --- backticked text --------------------------------------------------------------------------


def name_problem(text: str, index: CodeIndex) -> str | None:
    """Why the backticked `text` names nothing in the code, or None (exists, or not a name)."""
    text = text.strip()
    if not text or " " in text.split("(")[0].split("=")[0].split(": ")[0]:
        return None  # prose, an expression or a command line
    if LABEL.fullmatch(text):
        return (
            None
            if text in index.product_words
            else "no string in homeostat_core, functions or infra spells it"
        )
    first = text.split("/")[0]
    if (
        "/" in text
        and first
        and first not in NOT_CONTENT
        and (index.root / first).exists()
        and not re.search(r"[<>*{]", text)
    ):
        return index.path_problem(text.split()[0].split(":")[0])
    if PY_FILE.fullmatch(text):
        return index.path_problem(text)
    if DATA_FILE.fullmatch(text):
        return None  # an example file name
    call = CALL.fullmatch(text)
    if call:
        text = call.group(1)
        if IDENTIFIER.fullmatch(text) and "_" in text.strip("_") and text not in index.callables:
            return "no function or class of that name (a call must name one the code defines)"
    else:
        assignment = ASSIGNMENT.fullmatch(text)
        if assignment:
            text = assignment.group(1)
    if DOTTED.fullmatch(text):
        return index.dotted_problem(text)
    if IDENTIFIER.fullmatch(text) and _code_like(text) and text not in index.words:
        return "the code never spells it"
    return None
