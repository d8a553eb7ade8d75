"""Where names are defined in the repository's own JavaScript and TypeScript (tree-sitter).

One `Definitions` per file: functions, classes, methods (with their class or object), variables
and `window.X = …` globals, with their line ranges. The `SymbolIndex` holds them for the files of
one run, read through the forge on first need and ranked so the likeliest files come first
(names in the file's name, the served path's folders); it reads at most `max_files` files and
`max_bytes` in a run, one forge read each. Tests, vendored code, build output, declaration files
and files over `MAX_FILE_BYTES` (bundles) are not indexed.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from homeostat_core.fixing.validation import parser_for
from homeostat_core.sourcing.names import name_tokens
from homeostat_core.sourcing.roots import BUILD_SEGMENTS
from homeostat_core.sourcing.vendored import VENDOR_SEGMENTS

MAX_FILES = 200
MAX_BYTES = 6 * 1024 * 1024
MAX_FILE_BYTES = 300 * 1024
COMPONENT_SUFFIXES = (".vue", ".svelte")
PARSED_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", *COMPONENT_SUFFIXES)
_SCRIPT_BLOCK = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL)
_TEST_SEGMENTS = frozenset({"test", "tests", "__tests__", "spec", "specs", "e2e", "__mocks__", "fixtures"})
_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function", "class", "class_expression"}
)
_CLASS_NODES = frozenset({"class_declaration", "class", "abstract_class_declaration"})
_GLOBAL_OBJECTS = frozenset({"window", "self", "globalThis", "global"})

_QUERY_COMMON = """
(function_declaration name: (_) @name) @def
(generator_function_declaration name: (_) @name) @def
(function_expression name: (_) @name) @def
(class_declaration name: (_) @name) @def
(method_definition name: (_) @name) @def
(variable_declarator name: (identifier) @name) @def
(assignment_expression left: (_) @name) @def
(pair key: (_) @name value: [(arrow_function) (function_expression)]) @def
"""
_QUERY_JS = _QUERY_COMMON + "(field_definition property: (_) @name value: (_)) @def\n"
_QUERY_TS = (
    _QUERY_COMMON
    + """
(abstract_class_declaration name: (_) @name) @def
(public_field_definition name: (_) @name value: [(arrow_function) (function_expression)]) @def
(interface_declaration name: (_) @name) @def
(type_alias_declaration name: (_) @name) @def
(enum_declaration name: (_) @name) @def
"""
)


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    owner: str | None  # class or object literal it belongs to
    kind: str  # function | method | class | variable | global | type
    path: str
    start: int  # 1-based, inclusive
    end: int
    top_level: bool  # declared at the file's top level (a script's globals)

    def label(self) -> str:
        return f"{self.owner}.{self.name}" if self.owner else self.name


@cache
def _language(suffix: str) -> tuple[Any, Any] | None:
    """(parser, query) for a suffix; None without a grammar."""
    # lazy: the grammars load only when a definition is looked up
    import tree_sitter

    parser = parser_for(suffix)
    if parser is None:
        return None
    query = _QUERY_JS if suffix in (".js", ".mjs", ".cjs", ".jsx") else _QUERY_TS
    return parser, tree_sitter.Query(parser.language, query)


def definitions_in(path: str, text: str) -> list[Definition]:
    """Every definition in one file (empty when no grammar covers it); a `.vue` or `.svelte`
    file's `<script>` block is read as the JavaScript or TypeScript it holds."""
    suffix = posixpath.splitext(path)[1].lower()
    offset = 0
    if suffix in COMPONENT_SUFFIXES:
        block = _SCRIPT_BLOCK.search(text)
        if block is None:
            return []
        suffix = ".ts" if re.search(r"""lang=["']ts""", block.group(1)) else ".js"
        offset, text = text.count("\n", 0, block.start(2)), block.group(2)
    language = _language(suffix)
    if language is None:
        return []
    import tree_sitter  # lazy: loaded by _language already, only where definitions are read

    parser, query = language
    source = text.encode("utf-8")
    root = parser.parse(source).root_node
    found: list[Definition] = []
    for _pattern, captures in tree_sitter.QueryCursor(query).matches(root):
        node, name_node = captures["def"][0], captures["name"][0]
        definition = _definition(path, source, node, name_node)
        if definition is not None:
            found.append(replace(definition, start=definition.start + offset, end=definition.end + offset))
    return found


def _text(source: bytes, node: Any) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _definition(path: str, source: bytes, node: Any, name_node: Any) -> Definition | None:
    kind, owner, span = "function", None, node
    name = _text(source, name_node).strip("'\"#")
    if node.type == "assignment_expression":
        right = node.child_by_field_name("right")
        left = name_node
        if left.type == "identifier":
            return None  # `x = …` re-assigns; the declaration is elsewhere
        if left.type != "member_expression":
            return None
        target = left.child_by_field_name("object")
        prop = left.child_by_field_name("property")
        if prop is None or target is None:
            return None
        name = _text(source, prop)
        target_text = _text(source, target)
        if target_text in _GLOBAL_OBJECTS:
            kind = "global"
        elif right is not None and right.type in _FUNCTION_VALUES:
            owner = target_text.removesuffix(".prototype").rsplit(".", 1)[-1]
            kind = "method"
            if owner == "this":
                owner = _enclosing_class(source, node)
        else:
            return None
        span = node.parent if node.parent is not None and node.parent.type == "expression_statement" else node
    elif node.type == "variable_declarator":
        value = node.child_by_field_name("value")
        kind = "function" if value is not None and value.type in _FUNCTION_VALUES else "variable"
        if value is not None and value.type in ("class", "class_expression"):
            kind = "class"
        span = node.parent if node.parent is not None else node
        if span.parent is not None and span.parent.type == "export_statement":
            span = span.parent
    elif node.type in _CLASS_NODES:
        kind = "class"
    elif node.type in ("interface_declaration", "type_alias_declaration", "enum_declaration"):
        kind = "type"
    elif node.type in ("method_definition", "field_definition", "public_field_definition", "pair"):
        kind = "method"
        owner = _enclosing_class(source, node) or _enclosing_object(source, node)
    top_level = _top_level(span)
    return Definition(name, owner, kind, path, span.start_point[0] + 1, span.end_point[0] + 1, top_level)


def _enclosing_class(source: bytes, node: Any) -> str | None:
    parent = node.parent
    while parent is not None:
        if parent.type in _CLASS_NODES:
            name = parent.child_by_field_name("name")
            if name is not None:
                return _text(source, name)
            holder = parent.parent  # const Foo = class { … }
            if holder is not None and holder.type == "variable_declarator":
                return _text(source, holder.child_by_field_name("name"))
            return None
        parent = parent.parent
    return None


def _enclosing_object(source: bytes, node: Any) -> str | None:
    """`const api = { load() {} }` → api; `Foo.handlers = { … }` → handlers."""
    obj = node.parent
    holder = obj.parent if obj is not None else None
    if holder is None:
        return None
    if holder.type == "variable_declarator":
        return _text(source, holder.child_by_field_name("name"))
    if holder.type == "assignment_expression":
        left = holder.child_by_field_name("left")
        return _text(source, left).rsplit(".", 1)[-1] if left is not None else None
    if holder.type == "pair":
        key = holder.child_by_field_name("key")
        return _text(source, key).strip("'\"") if key is not None else None
    return None


def _top_level(node: Any) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("export_statement", "expression_statement"):
        parent = parent.parent
    return parent is None or parent.type == "program"


def indexable(path: str, size: int) -> bool:
    """A file of the extension's own source worth indexing."""
    lowered = path.lower()
    if (
        not lowered.endswith(PARSED_SUFFIXES)
        or lowered.endswith((".d.ts", ".min.js"))
        or size > MAX_FILE_BYTES
    ):
        return False
    name = posixpath.basename(lowered)
    if ".test." in name or ".spec." in name:
        return False
    folders = set(lowered.split("/")[:-1])
    return not folders & (VENDOR_SEGMENTS | BUILD_SEGMENTS | _TEST_SEGMENTS)


class SymbolIndex:
    """Definitions of the repository's own source, filled on demand within a read budget."""

    def __init__(
        self,
        files: dict[str, int],
        read: Callable[[str], str | None],
        *,
        max_files: int = MAX_FILES,
        max_bytes: int = MAX_BYTES,
    ):
        self._pending = {path: size for path, size in files.items() if indexable(path, size)}
        self._read = read
        self._files_left = max_files
        self._bytes_left = max_bytes
        self._by_name: dict[str, list[Definition]] = defaultdict(list)
        self._by_path: dict[str, list[Definition]] = {}
        self.files_read = 0

    @property
    def complete(self) -> bool:
        """Every indexable file has been read (nothing was left out by the budget)."""
        return not self._pending

    def lookup(self, names: Iterable[str], hints: Iterable[str] = ()) -> dict[str, list[Definition]]:
        """Definitions of each name, reading the likeliest unread files first within the budget."""
        wanted = [n for n in dict.fromkeys(names) if n]
        self._fill(wanted, set(hints))
        return {name: list(self._by_name.get(name, ())) for name in wanted}

    def in_file(self, path: str, text: str) -> list[Definition]:
        """Definitions of one file already read (cached)."""
        if path not in self._by_path:
            self._pending.pop(path, None)
            self._add(path, text)
        return self._by_path[path]

    def _add(self, path: str, text: str) -> None:
        found = definitions_in(path, text)
        self._by_path[path] = found
        for definition in found:
            self._by_name[definition.name].append(definition)

    def _fill(self, names: list[str], hints: set[str]) -> None:
        if not self._pending or self._files_left <= 0:
            return
        tokens = set().union(*(name_tokens(n) for n in names)) if names else set()
        ranked = sorted(self._pending, key=lambda path: (-_rank(path, tokens, hints), path))
        for path in ranked:
            size = self._pending[path]
            if self._files_left <= 0 or size > self._bytes_left:
                continue
            del self._pending[path]
            self._files_left -= 1
            self._bytes_left -= size
            text = self._read(path)
            self.files_read += 1
            if text is not None and "\x00" not in text:
                self._add(path, text)


def _rank(path: str, tokens: set[str], hints: set[str]) -> float:
    """How likely `path` defines the names: its name shares their words (`tab-groups.ts` for
    `groupByDomain`: a word's first 4 letters are enough), its folders the hints."""
    folders = path.lower().split("/")[:-1]
    stem = posixpath.splitext(posixpath.basename(path))[0]
    words = {word[:4] for word in name_tokens(stem)}
    score = 3.0 * len(words & {token[:4] for token in tokens}) + 2.0 * len(set(folders) & hints)
    return score - 0.1 * len(folders)
