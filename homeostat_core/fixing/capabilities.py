"""A file's capability surface, and the rule that a fix may not add to it.

The surface of a JS/TS (or CSS) file is every fact of what it can reach: network destinations
(`fetch`, XHR, WebSocket, beacons, `<img src>`, form actions… with the origin), dynamic code
(`eval`, `Function`, string timers, script markup), sensitive reads flowing into a call, and the
browser APIs it uses that reach beyond the extension's own state: messaging with an explicit
extension or native-app id, `webRequest`/`declarativeNetRequest`, `proxy`, `cookies`, `history`,
`identity`, `debugger`, clipboard, tabs, `document.cookie`, password fields, and more (the table
below). Both versions of an edited file are parsed with tree-sitter, reduced to a surface, and the
difference is the verdict: anything the edited file reaches that the original did not is refused
with a named reason (`network_sink`, `dynamic_code`, `sensitive_data_flow`, `new_capability`).

API paths are resolved by js_values.Resolver (aliases, destructuring, bracket access, string
building, `browser.` = `chrome.`, `globalThis`/`window`/`self`, optional chaining, parameters,
local functions). What cannot be resolved is reported, never trusted: a computed member of a
browser-API object (`chrome.runtime[k]`) is an "unresolvable dynamic access", and an API object
handed to code the analysis does not follow (`lib(chrome)`, `export default chrome.runtime`) is
"passed on as a value". Both count as new capabilities when the original file did not have them.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from typing import Any

from homeostat_core.fixing.capability_table import DISTINCTIVE, bearing, classify, covers
from homeostat_core.fixing.js_resolver import Resolver
from homeostat_core.fixing.js_values import Val, call_arguments, ident, parser_for, unwrap
from homeostat_core.fixing.sinks import (
    DYNAMIC_CODE,
    NETWORK_SINK,
    SENSITIVE_DATA_FLOW,
    Fact,
    SinkScanner,
    css_facts,
)

NEW_CAPABILITY = "new_capability"

# calls that only read or print what they are given
SAFE_CALLEES = {
    "String",
    "Boolean",
    "Number",
    "JSON.stringify",
    "Object.keys",
    "Object.getOwnPropertyNames",
    "Object.is",
    "Object.hasOwn",
    "Reflect.has",
    "Reflect.ownKeys",
    "Reflect.get",
    "Array.isArray",
    "isNaN",
}
PASSWORD_SELECTOR = re.compile(
    r"(?i)type\s*[~|^$*]?=\s*[\"']?password|:password\b|autocomplete\s*[~|^$*]?=\s*[\"']?(?:current|new)-password"
)
PASSWORD_NAME = re.compile(r"(?i)^(?:password|passwd|pwd|passphrase|pass|current-password|new-password)$")
DOM_LOOKUPS = {"getElementById", "getElementsByName", "namedItem", "querySelector", "querySelectorAll"}
DOM_LOOKUPS |= {"closest", "matches"}
API_IN_TEXT = re.compile(
    r"\b(?:chrome|browser|messenger)(?:\.[A-Za-z_$][\w$]*)+|\b(?:runtime|extension)\.(?:sendMessage|connect|sendRequest)\b"
    r"|\b[A-Za-z]{9,}\b"
)
_COMPARISONS = {"==", "===", "!=", "!=="}
_STEP_THROUGH = {"parenthesized_expression", "await_expression", "as_expression", "non_null_expression"}
_STEP_THROUGH |= {"satisfies_expression", "type_assertion"}
_SAFE_PARENTS = {"expression_statement", "unary_expression", "template_substitution", "if_statement"}
_SAFE_PARENTS |= {"while_statement", "do_statement", "switch_statement", "switch_case", "for_statement"}
_PATTERNS = {"object_pattern", "array_pattern", "pair_pattern", "assignment_pattern", "rest_pattern"}
_PATTERNS |= {"object_assignment_pattern", "required_parameter", "optional_parameter"}
_DECLARES = {
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "class_declaration",
    "class",
    "import_specifier",
    "import_clause",
    "namespace_import",
    "import_require_clause",
    "formal_parameters",
    "catch_clause",
    "labeled_statement",
}


def _shown(path: str) -> str:
    return "the global object" if path == "" else path.replace(".*", "[…]").replace("*", "[…]")


def _short(node: Any) -> str:
    return " ".join(node.text.decode("utf-8", "replace").split())[:60] if node is not None else "?"


def _leading_reference(node: Any) -> str:
    """A computed value's identity: the first name or member chain in it."""
    node = unwrap(node)
    while node is not None and node.type not in ("identifier", "member_expression", "this"):
        named = [c for c in node.named_children if c.type != "comment"]
        node = unwrap(named[0]) if named else None
    return _short(node)


class ApiScanner:
    """Browser-API capability facts (NEW_CAPABILITY), node by node."""

    def __init__(self, resolver: Resolver, facts: Counter[Fact]):
        self.r = resolver
        self.facts = facts

    def add(self, what: str, detail: str = "") -> None:
        self.facts[(NEW_CAPABILITY, what, detail)] += 1

    def visit(self, node: Any) -> None:
        kind = node.type
        if kind in (
            "identifier",
            "member_expression",
            "subscript_expression",
            "shorthand_property_identifier",
        ):
            if self._is_reference(node):
                self._reference(node)
        elif kind in ("call_expression", "new_expression"):
            self._call(node)
        elif kind in ("string", "template_string") or kind == "binary_expression" and _concat_top(node):
            self._text(node)
        if kind == "binary_expression":
            self._comparison(node)
        elif kind == "switch_case":
            value = node.child_by_field_name("value")
            if value is not None and any(PASSWORD_NAME.match(t) for t, full in self.r.texts(value) if full):
                self.add("password fields (compares with 'password')")
        elif kind == "with_statement":
            target = node.child_by_field_name("object")
            if any(bearing(p) for p in self.r.paths(target)):
                self.add(f"with ({_short(target)}), which hides the members it uses")

    # --- references -----------------------------------------------------------------------

    def _is_reference(self, node: Any) -> bool:
        parent = node.parent
        if parent is None:
            return False
        if (
            parent.type in ("member_expression", "subscript_expression")
            and parent.child_by_field_name("object") == node
        ):
            return False  # the longer access is judged instead
        if node.type != "identifier":
            return True
        child = node
        while parent is not None and parent.type in _PATTERNS:
            child, parent = parent, parent.parent
        if parent is None or parent.type in _DECLARES:
            return False
        if parent.type == "variable_declarator":
            return parent.child_by_field_name("name") != child
        if parent.type in ("assignment_expression", "augmented_assignment_expression", "for_in_statement"):
            return parent.child_by_field_name("left") != child
        if parent.type == "arrow_function":
            return parent.child_by_field_name("parameter") != child
        return parent.type not in _DECLARES

    def _reference(self, node: Any) -> None:
        role, context = self._role(node)
        for path in sorted(self.r.paths(node)):
            found = classify(path)
            kind = found[0] if found else None
            if kind == "api":
                self.add(f"{_shown(path)} ({found[1]})")
            elif kind == "dynamic":
                self.add(f"an unresolvable dynamic access to {_shown(path)} (it may reach {found[1]})")
            elif kind == "messaging" and role not in ("call", "bind", "safe"):
                self.add(f"{_shown(path)} passed on as a value (it can message any extension)", context)
            elif role == "escape" and bearing(path):
                self.add(f"{_shown(path)} passed on as a value", context)
            if self._password_member(path):
                self.add("password fields (reads a password field's value)")
        if role == "escape":  # an array or object holding an API object, handed on
            for path in sorted(self._held(self.r.values(node), 3)):
                self.add(f"{_shown(path)} passed on inside an object", context)

    def _held(self, values: frozenset[Val], depth: int) -> set[str]:
        """API paths held in the array and object literals among `values` (a few levels deep)."""
        found: set[str] = set()
        for value in values:
            if value.kind in ("arr", "obj") and depth:
                for child in value.data.named_children:
                    inner = child.child_by_field_name("value") if child.type == "pair" else child
                    if inner is not None and inner.type not in ("comment", "method_definition"):
                        inner_values = self.r.values(inner)
                        found |= {v.data for v in inner_values if v.kind == "path" and bearing(v.data)}
                        found |= self._held(inner_values, depth - 1)
        return found

    def _password_member(self, path: str) -> bool:
        members = path.split(".")
        return any(
            PASSWORD_NAME.match(a) and b == "value" for a, b in zip(members, members[1:], strict=False)
        )

    def _role(self, node: Any) -> tuple[str, str]:
        """How the value of `node` is used: "call", "bind" (stored where the analysis follows it),
        "safe" (tested, printed, compared) or "escape" (handed on), with where it went."""
        child, parent = node, node.parent
        while parent is not None:
            kind = parent.type
            if (
                kind in _STEP_THROUGH
                or kind == "sequence_expression"
                and parent.named_children[-1] == child
                or kind == "ternary_expression"
                and parent.child_by_field_name("condition") != child
                or kind == "binary_expression"
                and parent.child_by_field_name("operator").type in ("||", "??", "&&")
            ):
                pass
            else:
                break
            child, parent = parent, parent.parent
        if parent is None:
            return "safe", ""
        kind = parent.type
        if (
            kind in ("member_expression", "subscript_expression")
            and parent.child_by_field_name("object") == child
        ):
            return "safe", ""
        if kind in ("call_expression", "new_expression") and child in (
            parent.child_by_field_name("function"),
            parent.child_by_field_name("constructor"),
        ):
            return "call", ""
        if kind == "arguments" and parent.parent is not None:
            return self._argument_role(child, parent.parent)
        if kind in ("variable_declarator", "field_definition"):
            declaration = parent.parent
            exported = declaration is not None and declaration.parent is not None
            if exported and declaration.parent.type == "export_statement":
                return "escape", "exported"
            return "bind", ""
        if kind in ("assignment_expression", "augmented_assignment_expression"):
            left = parent.child_by_field_name("left")
            return ("bind", "") if left == child else self._assignment_role(left)
        if kind in ("pair", "array", "object", "spread_element") or kind == "shorthand_property_identifier":
            outer = parent
            while outer.parent is not None and outer.parent.type in (
                "pair",
                "array",
                "object",
                "spread_element",
            ):
                outer = outer.parent
            role, context = self._role(outer)
            return ("bind", "") if role in ("bind", "call") else (role, context or "put in an object")
        if kind in _SAFE_PARENTS or kind == "binary_expression":
            return "safe", ""
        if kind in ("return_statement", "arrow_function"):
            function = parent if kind == "arrow_function" else _enclosing_function(parent)
            name = function.child_by_field_name("name") if function is not None else None
            return "escape", f"returned from {_short(name) if name is not None else 'a function'}"
        if kind in ("export_statement", "export_specifier", "export_clause"):
            return "escape", "exported"
        return "escape", f"used in {kind.replace('_', ' ')}"

    def _argument_role(self, child: Any, call: Any) -> tuple[str, str]:
        callee = unwrap(
            call.child_by_field_name("function" if call.type == "call_expression" else "constructor")
        )
        callee_paths = self.r.paths(callee)
        args = call_arguments(call)
        if (
            callee_paths
            and callee_paths <= SAFE_CALLEES
            or any(p.startswith("console.") for p in callee_paths)
        ):
            return "safe", ""
        if callee_paths == {"Reflect.apply"} and child in args[:2]:
            return "safe", ""  # the function and its receiver: the call is judged as a call
        if callee is not None and callee.type == "member_expression" and args and args[0] == child:
            method = ident(callee.child_by_field_name("property"))
            receiver = self.r.paths(callee.child_by_field_name("object"))
            if method in ("call", "apply", "bind") and any(classify(p) for p in receiver):
                return "safe", ""  # `sendMessage.call(chrome.runtime, …)`: the receiver, not data
        targets = self.r.call_targets(call)
        if targets and all(target.kind == "fn" for target, _args in targets):
            return "bind", ""  # a local function: its parameter is followed
        return "escape", f"passed to {_short(callee)}()"

    def _assignment_role(self, left: Any) -> tuple[str, str]:
        key = self.r.static_key(left) if left is not None else None
        if (
            left is not None
            and left.type == "identifier"
            or left is not None
            and left.type.endswith("pattern")
        ):
            return "bind", ""
        if key is None:
            return "escape", f"stored in {_short(left)}"
        root = key[1].split(".", 1)[0]
        owner = unwrap(left.child_by_field_name("object"))
        if root in ("module", "exports") or (owner is not None and "" in self.r.paths(owner)):
            return "escape", f"stored in {_short(left)}"
        return "bind", ""

    # --- calls: messaging ids, native apps, proxies, postMessage, password lookups ---------

    def _call(self, node: Any) -> None:
        for target, args in self.r.call_targets(node):
            if target.kind != "path":
                continue
            path = target.data
            found = classify(path)
            if found and found[0] == "messaging":
                destination = self._explicit_id(found[1], args)
                if destination is not None:
                    what = (
                        _shown(path)
                        if not path.startswith("?")
                        else f"{found[1]} (on an object not followed)"
                    )
                    self.add(f"{what} with an explicit extension id", destination)
            elif found and path.rsplit(".", 1)[-1] in ("sendNativeMessage", "connectNative") and args:
                self.add(f"{_shown(path)} to a native application", self._constants(args[:1]))
            elif found and covers(path, "chrome.proxy") and args is not None:
                self.add(f"{_shown(path)} to a proxy", self._hosts(args))
            name = path.rsplit(".", 1)[-1]
            if name == "postMessage" and args is not None and len(args) >= 2:
                second = unwrap(args[1])
                if second is not None and second.type != "array":
                    self.add("postMessage to another window", self._constants(args[1:2]))
            elif (
                name in DOM_LOOKUPS
                and args
                and any(
                    PASSWORD_SELECTOR.search(t) or "passw" in t.lower() or PASSWORD_NAME.match(t.lstrip("#"))
                    for t, _full in self.r.texts(args[0])
                )
            ):
                self.add("password fields (looks one up)")

    def _explicit_id(self, kind: str, args: list[Any] | None) -> str | None:
        """The extension id a `sendMessage`/`connect` call passes ("" … none), as a destination."""
        if args is None:
            return "<computed: arguments>"
        rest = list(args)
        while rest and self._is_function(rest[-1]):
            rest.pop()
        if any(a.type == "spread_element" for a in rest):
            return "<computed: spread>"
        if len(rest) < (2 if kind == "sendMessage" else 1):
            return None
        values = self.r.values(rest[0])
        own = {Val("str", "null"), Val("str", "undefined"), Val("path", "chrome.runtime.id")}
        if all(v.kind in ("obj", "arr", "num") or v in own for v in values):
            return None
        return self._constants(rest[:1])

    def _is_function(self, node: Any) -> bool:
        values = self.r.values(node)
        return bool(values) and all(v.kind == "fn" for v in values)

    def _constants(self, args: list[Any]) -> str:
        texts = self.r.texts(args[0]) if args else []
        if texts and all(full for _t, full in texts):
            return ", ".join(sorted(t[:80] for t, _full in texts))
        return f"<computed: {_leading_reference(args[0]) if args else '?'}>"

    def _hosts(self, args: list[Any]) -> str:
        """Every constant string in a proxy call's arguments (host names, PAC scripts)."""
        found: set[str] = set()
        stack = list(args)
        while stack:
            node = stack.pop()
            if node.type in ("arrow_function", "function_expression", "function"):
                continue
            if node.type in ("string", "template_string", "identifier", "member_expression"):
                found |= {t[:80] if full else "<computed>" for t, full in self.r.texts(node)}
            else:
                stack.extend(node.named_children)
        return ", ".join(sorted(found))

    # --- texts and comparisons ------------------------------------------------------------

    def _text(self, node: Any) -> None:
        for text, _full in self.r.texts(node):
            if PASSWORD_SELECTOR.search(text):
                self.add("password fields (selects them)")
            for found in API_IN_TEXT.finditer(text):
                word = found.group(0)
                if "." not in word:
                    named = word in DISTINCTIVE
                elif word.startswith(("runtime.", "extension.")):
                    named = True
                else:
                    named = classify(".".join(["chrome", *word.split(".")[1:]])) is not None
                if named:
                    self.add(f"a string naming {word}")

    def _comparison(self, node: Any) -> None:
        if node.child_by_field_name("operator").type not in _COMPARISONS:
            return
        for side in ("left", "right"):
            texts = self.r.texts(node.child_by_field_name(side))
            if any(full and PASSWORD_NAME.match(t) for t, full in texts):
                self.add("password fields (compares with 'password')")


def _concat_top(node: Any) -> bool:
    operator = node.child_by_field_name("operator")
    if operator is None or operator.type != "+":
        return False
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    return not (
        parent is not None
        and parent.type == "binary_expression"
        and parent.child_by_field_name("operator").type == "+"
    )


def _enclosing_function(node: Any) -> Any:
    while node is not None and node.type not in (
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
    ):
        node = node.parent
    return node


def _walk(root: Any) -> list[tuple[Any, bool]]:
    """Every node in source order, with whether it sits inside some call's arguments."""
    nodes = []
    stack = [(root, False)]
    while stack:
        node, in_args = stack.pop()
        nodes.append((node, in_args))
        inside = in_args or node.type == "arguments"
        stack.extend((child, inside) for child in reversed(node.children))
    return nodes


def capability_surface(path: str, source: str) -> Counter[Fact] | None:
    """Everything the file at `path` can reach, as counted facts; None when no grammar covers it."""
    suffix = posixpath.splitext(path)[1].lower()
    if suffix == ".css":
        return css_facts(source)
    parser = parser_for(suffix)
    if parser is None:
        return None
    root = parser.parse(source.encode("utf-8")).root_node
    resolver = Resolver(root, relevant=lambda path: not path.startswith("?") and bearing(path))
    facts: Counter[Fact] = Counter()
    sinks, apis = SinkScanner(resolver, facts), ApiScanner(resolver, facts)
    for node, in_args in _walk(root):
        sinks.visit(node, in_args)
        apis.visit(node)
    sinks.finish()
    return facts


_PRIORITY = {NETWORK_SINK: 0, DYNAMIC_CODE: 1, SENSITIVE_DATA_FLOW: 2, NEW_CAPABILITY: 3}
# which of several new capabilities the rejection names: the most specific first
_GENERAL = ("unresolvable", "passed on", "a string naming")


def _order(item: tuple[Fact, int]) -> tuple[int, int, Fact]:
    (code, what, _detail), _count = item
    rank = 0 if "extension id" in what else next((2 + i for i, w in enumerate(_GENERAL) if w in what), 1)
    return _PRIORITY[code], rank if code == NEW_CAPABILITY else 0, item[0]


def added_reach(old: Counter[Fact], new: Counter[Fact]) -> tuple[str, str] | None:
    """The first thing `new` reaches that `old` did not, as (reason code, description), or None.

    Network sinks are judged by destination (a sink to an origin the file already used is not
    new), API capabilities by capability and destination, dynamic code and sensitive flows by count.
    """
    old_origins = {origin for (code, _what, origin) in old if code == NETWORK_SINK}
    old_capabilities = {(what, detail) for (code, what, detail) in old if code == NEW_CAPABILITY}
    for fact, count in sorted(new.items(), key=_order):
        code, what, detail = fact
        if code == NEW_CAPABILITY:
            if (what, detail) in old_capabilities:
                continue
            where = f" ({detail})" if detail else ""
            return NEW_CAPABILITY, f"adds {what}{where}, which this file did not use before"
        if count <= old.get(fact, 0):
            continue
        if code == NETWORK_SINK:
            # a sink to the extension itself, or to an origin (or kind of computed target) the file
            # already talks to, is not new
            if detail == "<relative>" or detail in old_origins:
                continue
            where = f"a computed URL ({detail[10:-1]})" if detail.startswith("<computed:") else detail
            return NETWORK_SINK, f"adds {what} to {where}, which this file did not reach before"
        if code == DYNAMIC_CODE:
            return DYNAMIC_CODE, f"adds dynamic code ({what})"
        return SENSITIVE_DATA_FLOW, f"passes {what} {detail + ' ' if detail else ''}into a call"
    return None


def surface_change(path: str, old: str, new: str) -> tuple[str, str] | None:
    """What an edit adds to the file's capability surface, or None (also for files no grammar
    covers). Raises RecursionError/ValueError/… on input the analysis cannot handle."""
    old_facts = capability_surface(path, old)
    new_facts = capability_surface(path, new)
    if old_facts is None or new_facts is None:
        return None
    return added_reach(old_facts, new_facts)


__all__ = [
    "DYNAMIC_CODE",
    "NETWORK_SINK",
    "NEW_CAPABILITY",
    "SENSITIVE_DATA_FLOW",
    "added_reach",
    "capability_surface",
    "surface_change",
]
