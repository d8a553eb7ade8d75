"""Static values of JavaScript/TypeScript expressions: the value model and constant folding.

A value is one possibility of what an expression is (`Val`): constant text, text known only by
its start, a number, a dotted API path, a list of constant strings, or a literal's node. Paths are
dotted: `""` is the global object, `*` a member (or a whole path) nothing could name, and `?` the
root of an object nothing is known about (`data.items` is `?.items`). js_resolver.py evaluates
expressions to sets of these; this module folds constants (`'a' + 'b'`, `atob`, `.split('')`,
`.join('')`, `String.fromCharCode`) and holds the parsing helpers both use.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import tree_sitter

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx"})
TS_SUFFIXES = frozenset({".ts", ".mts", ".cts"})
TSX_SUFFIXES = frozenset({".tsx"})


@cache
def parser_for(suffix: str) -> tree_sitter.Parser | None:
    """A tree-sitter parser for a file suffix (JS/TS/TSX), or None when no grammar covers it."""
    # Imported on the first syntax check: a worker run that makes no fix never loads the grammars.
    import tree_sitter
    import tree_sitter_javascript

    if suffix in JS_SUFFIXES:
        return tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
    if suffix in TS_SUFFIXES | TSX_SUFFIXES:
        try:
            import tree_sitter_typescript
        except ImportError:  # optional grammar: TypeScript files then skip the syntax check
            return None
        grammar = (
            tree_sitter_typescript.language_tsx()
            if suffix in TSX_SUFFIXES
            else tree_sitter_typescript.language_typescript()
        )
        return tree_sitter.Parser(tree_sitter.Language(grammar))
    return None


_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def unescape(text: str) -> str:
    """A JS string literal's escapes (`\\x65`, `\\u{65}`, `\\145`, `\\n`) resolved."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            return chr(min(int(code[2:-1], 16), 0x10FFFF))
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code.isdigit() and code != "0":
            return chr(int(code, 8))
        return _SIMPLE_ESCAPES.get(code, code if code != "\n" else "")

    return _ESCAPE.sub(one, text)


def ident(node: Any) -> str:
    """An identifier's name, its unicode escapes resolved (`send\\u004dessage` is `sendMessage`)."""
    text = node.text.decode("utf-8", "replace")
    return unescape(text) if "\\" in text else text


_TRANSPARENT = {
    "as_expression",
    "non_null_expression",
    "satisfies_expression",
    "type_assertion",
    "await_expression",
}


def unwrap(node: Any) -> Any:
    """`(x)` → x, `(0, x)` → x, `x as T` / `x!` / `await x` → x."""
    while node is not None:
        if node.type == "parenthesized_expression":
            inner = [c for c in node.named_children if c.type != "comment"]
            node = inner[-1] if inner else None
        elif node.type == "sequence_expression":
            node = node.named_children[-1] if node.named_children else None
        elif node.type in _TRANSPARENT:
            node = node.named_children[0] if node.named_children else None
        else:
            return node
    return None


def call_arguments(call: Any) -> list[Any]:
    args = call.child_by_field_name("arguments")
    return (
        []
        if args is None or args.type != "arguments"
        else [a for a in args.named_children if a.type != "comment"]
    )


class Val(NamedTuple):
    """One possible value: `str` (constant text), `prefix` (text it starts with), `num`,
    `path` (a dotted API path), `list` (constant strings), `obj`/`arr`/`fn` (the literal's node)."""

    kind: str
    data: Any


UNKNOWN = Val("path", "?")
ANYTHING = Val("path", "*")
GLOBAL = Val("path", "")
GLOBAL_NAMES = frozenset({"window", "self", "globalThis", "top", "parent", "frames", "global", "content"})
# names under which the extension API is reachable; all are reported as `chrome.`
API_ROOTS = {"chrome": "chrome", "browser": "chrome", "messenger": "chrome"}
# modules whose default / namespace export is the extension API
API_MODULES = frozenset({"webextension-polyfill", "webextension-polyfill-ts", "wxt/browser"})
# members that lead to the global object or the document from any object (DOM nodes, events)
_TO_GLOBAL = frozenset({"defaultView", "contentWindow", "globalThis"})
_TO_DOCUMENT = frozenset({"ownerDocument", "contentDocument"})
MAX_VALUES = 24  # possibilities kept per expression; beyond, strings become unknown
MAX_DEPTH = 100  # nested evaluations; beyond, the value is "anything" (reported, never trusted)
MAX_STEPS = 2_000_000  # evaluations per file; beyond, the file is refused as too complex to check
MAX_ROUNDS = 6
FUNCTIONS = {"function_declaration", "generator_function_declaration", "function_expression"}
FUNCTIONS |= {"function", "arrow_function", "generator_function", "method_definition"}


def join_path(path: str, member: str) -> str:
    """`path.member`, with the global object's own names and DOM back-references folded."""
    if member in _TO_GLOBAL:
        return ""
    if member in _TO_DOCUMENT:
        return "document"
    if path == "*" or path.endswith(".*") and path.startswith("?"):
        return path
    if path == "":
        return "" if member in GLOBAL_NAMES else API_ROOTS.get(member, member)
    if path == "document" and member == "defaultView":
        return ""
    return f"{path}.{member}"


def number_value(text: str) -> Val:
    try:
        value = (
            float(int(text.replace("_", ""), 0)) if text[:2].lower() in ("0x", "0o", "0b") else float(text)
        )
    except ValueError:
        return UNKNOWN
    return Val("num", value)


def as_text(value: Val) -> tuple[str, bool] | None:
    """A value as string text: (text, whether it is the whole string), or None when unknown."""
    if value.kind == "str":
        return value.data, True
    if value.kind == "num":
        number = value.data
        return (str(int(number)) if number == int(number) else repr(number)), True
    if value.kind == "prefix":
        return value.data, False
    if value.kind == "list":
        return ",".join(value.data), True
    return None


def concat(left: Val, right: Val) -> Val:
    if left.kind == "num" and right.kind == "num":
        return Val("num", left.data + right.data)
    head = as_text(left)
    if head is None or not head[1]:
        return Val("prefix", head[0] if head else "")
    tail = as_text(right)
    if tail is None:
        return Val("prefix", head[0])
    return Val("str" if tail[1] else "prefix", head[0] + tail[0])


def decode(name: str, text: str) -> str | None:
    try:
        if name == "atob":
            raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
            return raw.decode("latin-1")
        if name == "btoa":
            return base64.b64encode(text.encode("latin-1")).decode()
        if name in ("decodeURIComponent", "decodeURI", "unescape"):
            return urllib.parse.unquote(text)
    except (binascii.Error, ValueError, UnicodeError):
        return None
    return text if name in ("String", "encodeURIComponent", "encodeURI") else None


ARRAY_METHODS = frozenset({"join", "reverse", "toReversed", "concat", "slice", "toString"})
STRING_METHODS = frozenset(
    {"concat", "split", "toLowerCase", "toLocaleLowerCase", "toUpperCase", "toLocaleUpperCase", "trim"}
    | {"trimStart", "trimEnd", "trimLeft", "trimRight", "toString", "valueOf", "normalize", "replace"}
    | {"replaceAll", "repeat", "slice", "substring", "substr", "charAt", "at"}
)


def apply_string_method(kind: str, data: Any, method: str, params: list[str]) -> Val | None:
    numbers = []
    for p in params:
        try:
            numbers.append(int(float(p)))
        except ValueError:
            numbers.append(None)
    if kind != "str":  # an array of constant strings
        if method == "join":
            return Val("str", (params[0] if params else ",").join(data))
        if method in ("reverse", "toReversed"):
            return Val("list", tuple(reversed(data)))
        if method == "concat":
            return Val("list", tuple(data) + tuple(params))
        if method == "slice" and all(n is not None for n in numbers):
            return Val("list", tuple(data[slice(*numbers[:2])]))
        if method == "toString":
            return Val("str", ",".join(data))
        return None
    text: str = data
    if method == "concat":
        return Val("str", text + "".join(params))
    if method == "split":
        if not params:
            return Val("list", (text,))
        return Val("list", tuple(text) if params[0] == "" else tuple(text.split(params[0])))
    if method in ("toLowerCase", "toLocaleLowerCase"):
        return Val("str", text.lower())
    if method in ("toUpperCase", "toLocaleUpperCase"):
        return Val("str", text.upper())
    if method in (
        "trim",
        "trimStart",
        "trimEnd",
        "trimLeft",
        "trimRight",
        "toString",
        "valueOf",
        "normalize",
    ):
        return Val("str", text.strip() if method.startswith("trim") else text)
    if method in ("replace", "replaceAll") and len(params) == 2:
        return Val("str", text.replace(params[0], params[1], -1 if method == "replaceAll" else 1))
    if method == "repeat" and numbers and numbers[0] is not None and 0 <= numbers[0] <= 64:
        return Val("str", text * numbers[0])
    if any(n is None for n in numbers):
        return None
    if method in ("slice", "substring") and numbers:
        start, end = numbers[0], numbers[1] if len(numbers) > 1 else len(text)
        if method == "substring":
            start, end = sorted((max(start, 0), max(end, 0)))
        return Val("str", text[start:end])
    if method == "substr" and numbers:
        start = numbers[0] if numbers[0] >= 0 else max(len(text) + numbers[0], 0)
        return Val("str", text[start : start + numbers[1]] if len(numbers) > 1 else text[start:])
    if method in ("charAt", "at") and numbers:
        return Val("str", text[numbers[0] : numbers[0] + 1 or None])
    return None


def parameters_of(params: Any) -> list[Any]:
    return [] if params is None else [p for p in params.named_children if p.type != "comment"]


def first_named(node: Any) -> Any:
    children = [c for c in node.named_children if c.type != "comment"] if node is not None else []
    return children[0] if children else None


def descendants(node: Any) -> list[Any]:
    found, stack = [], list(node.children)
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(child.children)
    return found


__all__ = [
    "ANYTHING",
    "GLOBAL",
    "JS_SUFFIXES",
    "TSX_SUFFIXES",
    "TS_SUFFIXES",
    "UNKNOWN",
    "Val",
    "apply_string_method",
    "as_text",
    "call_arguments",
    "concat",
    "decode",
    "ident",
    "join_path",
    "parser_for",
    "unescape",
    "unwrap",
]
