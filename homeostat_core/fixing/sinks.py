"""Web-platform facts of a JS/TS file for the capability surface (capabilities.py): network sinks
with the origin they reach, dynamic code, and sensitive reads that flow into a call.

A `SinkScanner` sees every node of the file once (capabilities.py walks the tree) and adds facts
to the surface. Names and strings go through the file's `Resolver`, so `window['ev'+'al']`,
`self["fetch"]`, `const go = fetch`, `document['coo'+'kie']` or `atob('…')` are seen for what they
are, and a comment saying "fetch" is not a call.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from homeostat_core.fixing.js_resolver import Resolver
from homeostat_core.fixing.js_values import call_arguments, ident, unescape, unwrap

NETWORK_SINK = "network_sink"
DYNAMIC_CODE = "dynamic_code"
SENSITIVE_DATA_FLOW = "sensitive_data_flow"

Fact = tuple[str, str, str]  # (reason code, what, destination or detail)

NETWORK_CALLS = {"fetch": 0, "sendbeacon": 0, "importscripts": -1}
NETWORK_CONSTRUCTORS = {"websocket", "eventsource", "worker", "sharedworker", "audio", "image", "request"}
NETWORK_NAMES = {"fetch", "sendbeacon", "importscripts", "websocket", "eventsource", "xmlhttprequest"}
HTTP_METHODS = {"get", "post", "put", "delete", "head", "patch", "options"}
# HTTP client libraries: `axios.post(url)`, `$.getJSON(url)` reach the URL of their first argument
HTTP_CLIENTS = {"axios", "$", "jquery", "ky", "superagent", "got", "ofetch", "wretch"}
HTTP_CLIENT_METHODS = HTTP_METHODS | {"request", "ajax", "getjson", "getscript", "load"}
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "location", "ping"}
GLOBAL_OBJECTS = {"window", "self", "globalthis", "top", "parent", "frames", "global"}
STRING_TIMERS = {"settimeout", "setinterval", "setimmediate", "execscript"}
SENSITIVE_STORAGE_KEY = re.compile(
    r"token|secret|passw|session|credential|auth|cookie|jwt|api.?key|bearer", re.I
)
URL_ORIGIN = re.compile(
    r"(?i)\b((?:https?|wss?|ftp)://[^/\s'\"`?#\\\\<>]+)|(?<![:\w])(//[a-z0-9.-]+\.[a-z]{2,})"
)
SCRIPT_SRC = re.compile(r"(?i)<script\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]*)")
SCRIPT_MARKUP = re.compile(r"(?i)<script\b|javascript:|<iframe\b|\bon[a-z]+\s*=")
CSS_ORIGIN = re.compile(r"(?i)(?:url\(\s*['\"]?|@import\s+['\"])\s*((?:https?:)?//[^/'\")\s]+)")
CSS_DYNAMIC = re.compile(r"(?i)expression\s*\(|behavior\s*:|-moz-binding|javascript:")
_REFERENCE_NODES = {
    "identifier",
    "shorthand_property_identifier_pattern",
    "property_identifier",
    "member_expression",
    "subscript_expression",
}
_DESTRUCTURED_SENSITIVE = {("document", "cookie"): "document.cookie", ("process", "env"): "process.env"}


def css_facts(source: str) -> Counter[Fact]:
    facts: Counter[Fact] = Counter()
    for found in CSS_ORIGIN.finditer(source):
        facts[(NETWORK_SINK, "url()", found.group(1).lower())] += 1
    for found in CSS_DYNAMIC.finditer(source):
        facts[(DYNAMIC_CODE, found.group(0).lower(), "")] += 1
    return facts


def url_origins(text: str) -> list[str]:
    return [(found.group(1) or found.group(2)).lower() for found in URL_ORIGIN.finditer(text)]


class SinkScanner:
    """Network, dynamic-code and sensitive-flow facts, node by node."""

    def __init__(self, resolver: Resolver, facts: Counter[Fact]):
        self.r = resolver
        self.facts = facts
        self.stored: dict[str, str] = {}  # variable name → the sensitive read stored in it
        self.argument_identifiers: set[str] = set()

    # --- names and destinations -----------------------------------------------------------

    def name(self, node: Any) -> str | None:
        """The (lower-case) name an expression refers to: `fetch`, `x.fetch`, `x['fe'+'tch']`."""
        node = unwrap(node)
        if node is None:
            return None
        if node.type in ("identifier", "property_identifier", "shorthand_property_identifier"):
            return ident(node).lower()
        if node.type == "member_expression":
            return ident(node.child_by_field_name("property")).lower()
        if node.type == "subscript_expression":
            key = self.r.constant(node.child_by_field_name("index"))
            return key.lower() if key is not None else None
        return None

    def names(self, node: Any) -> list[str | None]:
        """The syntactic name first, then the last member of every API path it resolves to
        (`const go = fetch; go(u)` calls fetch)."""
        found = [self.name(node)]
        for path in sorted(self.r.paths(node)):
            last = path.rsplit(".", 1)[-1].lower()
            if path and not path.startswith("?") and last not in found and last != "*":
                found.append(last)
        return found

    def fold(self, node: Any) -> tuple[str, bool]:
        """The one text `node` is (whole or its constant start), ("", False) when it may be several."""
        texts = self.r.texts(node)
        return texts[0] if len(texts) == 1 else ("", False)

    def origins(self, target: Any, kind: str) -> list[str]:
        """Where a sink sends to, one entry per possible value: a URL origin, `<relative>` (the
        extension itself), `<scheme:…>` or `<computed:…>` (a target nobody can fold, identified by
        its leading expression)."""
        if target is None:
            return [f"<computed:{kind}>"]
        unwrapped = unwrap(target)
        # chrome.runtime.getURL('x') / browser.runtime.getURL: the extension's own files
        if (
            unwrapped is not None
            and unwrapped.type == "call_expression"
            and self.name(unwrapped.child_by_field_name("function")) == "geturl"
        ):
            return ["<relative>"]
        found = []
        for text, full in self.r.texts(target):
            origin = URL_ORIGIN.match(text)
            scheme = re.match(r"(?i)([a-z][a-z0-9+.-]*):", text)
            if origin:
                found.append((origin.group(1) or origin.group(2)).lower())
            elif scheme:
                found.append(f"<scheme:{scheme.group(1).lower()}>")
            elif (
                text.startswith(("/", "./", "../", "?", "#")) and not text.startswith("//") or (full and text)
            ):
                found.append("<relative>")
            else:
                found.append(f"<computed:{_computed_identity(target)}>")
        return found

    def sink(self, what: str, target: Any, kind: str) -> None:
        for origin in self.origins(target, kind):
            self.facts[(NETWORK_SINK, what, origin)] += 1

    # --- per node -------------------------------------------------------------------------

    def visit(self, node: Any, in_args: bool) -> None:
        kind = node.type
        if in_args and kind == "identifier":
            self.argument_identifiers.add(ident(node))
        if kind in ("string", "template_string") or (
            kind == "binary_expression" and _concatenation_top(node)
        ):
            self._strings(node)
        elif kind in ("call_expression", "new_expression"):
            self._call(node)
        elif kind == "assignment_expression":
            self._assignment(node)
        if kind in _REFERENCE_NODES:
            self._reference(node)
        if kind == "variable_declarator":
            self._destructured_reads(node)
        if kind in ("member_expression", "subscript_expression", "call_expression"):
            self._sensitive(node, kind)

    def finish(self) -> None:
        for name, read in self.stored.items():
            if name in self.argument_identifiers:
                self.facts[(SENSITIVE_DATA_FLOW, read, f"via {name}")] += 1

    def _strings(self, node: Any) -> None:
        # every literal piece of a template, and each value a string or concatenation may have
        texts = [t for t, _full in self.r.texts(node)]
        if node.type == "template_string":
            texts.append(
                " ".join(
                    unescape(c.text.decode("utf-8", "replace"))
                    for c in node.named_children
                    if c.type == "string_fragment"
                )
            )
        for text in texts:
            for origin in url_origins(text):
                self.facts[(NETWORK_SINK, "origin", origin)] += 1
            for found in SCRIPT_SRC.finditer(text):
                src = found.group(1)[:60] or "<computed:script>"
                self.facts[(NETWORK_SINK, "script src", src)] += 1
            for found in SCRIPT_MARKUP.finditer(text):
                self.facts[(DYNAMIC_CODE, "script markup in a string", found.group(0).lower())] += 1

    def _assignment(self, node: Any) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or left.type not in ("member_expression", "subscript_expression"):
            return
        attr = self.name(left)
        if attr in URL_ATTRIBUTES:
            self.sink(f".{attr} =", right, attr)
        if attr in ("innerhtml", "outerhtml") and any(
            SCRIPT_MARKUP.search(text) for text, _full in self.r.texts(right)
        ):
            self.facts[(DYNAMIC_CODE, f".{attr} with script", "")] += 1

    def _reference(self, node: Any) -> None:
        # a dangerous function taken as a value (aliased, destructured, passed, bound) counts like
        # a use; calls are handled with their arguments
        kind = node.type
        name = (
            self.name(node) if kind in ("member_expression", "subscript_expression") else ident(node).lower()
        )
        parent = node.parent
        callee_position = parent is not None and (
            parent.child_by_field_name("function") == node
            or parent.child_by_field_name("constructor") == node
            or (parent.type == "assignment_expression" and parent.child_by_field_name("left") == node)
        )
        if kind == "property_identifier" and (parent is None or parent.type != "pair_pattern"):
            callee_position = True  # a plain property name (`x.fetch`), judged with its member
        if not callee_position and name in ("eval", "function"):
            self.facts[(DYNAMIC_CODE, f"reference to {name}", "")] += 1
        elif not callee_position and name in NETWORK_NAMES:
            self.facts[(NETWORK_SINK, f"reference to {name}", f"<computed:{name}>")] += 1

    def _call(self, node: Any) -> None:
        kind = node.type
        callee = node.child_by_field_name("function" if kind == "call_expression" else "constructor")
        target = unwrap(callee)
        args = call_arguments(node)
        if target is not None and target.type == "import":
            self.sink("import()", args[0] if args else None, "import")
            return
        if self.name(target) in ("call", "apply", "bind") and target is not None:
            # f.call(this, a, b) / f.apply(this, [a, b]) / f.bind(this, a): judge f with a, b
            spread = args[1] if self.name(target) == "apply" and len(args) > 1 else None
            args = list(spread.named_children) if spread is not None and spread.type == "array" else args[1:]
            target = unwrap(_object(target))
        owner = self.name(_object(target))
        names = self.names(target)
        if names == [None]:
            if (
                target is not None
                and target.type == "subscript_expression"
                and owner in GLOBAL_OBJECTS | {"document"}
            ):
                self.facts[(DYNAMIC_CODE, f"{owner}[computed name] call", "")] += 1
            return
        for name in dict.fromkeys(n for n in names if n is not None):
            self._named_call(kind, name, owner, args)

    def _named_call(self, kind: str, name: str, owner: str | None, args: list[Any]) -> None:
        facts = self.facts
        if kind == "new_expression":
            if name == "function":
                facts[(DYNAMIC_CODE, "new Function", "")] += 1
            elif name in NETWORK_CONSTRUCTORS:
                self.sink(f"new {name}", args[0] if args else None, name)
            return
        if name == "eval" or name == "function" or (name == "constructor" and args):
            facts[(DYNAMIC_CODE, name, "")] += 1
        elif name in STRING_TIMERS and args:
            text, full = self.fold(args[0])
            first = unwrap(args[0])
            if (
                full
                or text
                or (first is not None and first.type in ("string", "template_string", "binary_expression"))
            ):
                facts[(DYNAMIC_CODE, f"{name} with a string", "")] += 1
        elif name in ("write", "writeln") and owner == "document":
            texts = self.r.texts(args[0]) if args else [("", True)]
            if any(not full or SCRIPT_MARKUP.search(text) for text, full in texts):
                facts[(DYNAMIC_CODE, "document.write", "")] += 1
        elif name in ("insertadjacenthtml", "createcontextualfragment") and args:
            if any(not full or SCRIPT_MARKUP.search(text) for text, full in self.r.texts(args[-1])):
                facts[(DYNAMIC_CODE, name, "")] += 1
        elif name in NETWORK_CALLS:
            index = NETWORK_CALLS[name]
            for arg in args if index < 0 else args[index : index + 1] or [None]:
                self.sink(name, arg, name)
        elif name in HTTP_CLIENT_METHODS and owner in HTTP_CLIENTS:
            self.sink(f"{owner}.{name}", args[0] if args else None, name)
        elif name == "open":
            method, full = self.fold(args[0]) if args else ("", False)
            if len(args) >= 2 and (not full or method.lower() in HTTP_METHODS):
                self.sink("XMLHttpRequest.open", args[1], "xhr")
            elif owner in GLOBAL_OBJECTS and args:
                self.sink("window.open", args[0], "window.open")
        elif name in ("assign", "replace") and owner == "location" and args:
            self.sink(f"location.{name}", args[0], "location")
        elif name == "setattribute" and len(args) >= 2:
            for attr, _full in self.r.texts(args[0]):
                if attr.lower() in URL_ATTRIBUTES:
                    self.sink(f"setAttribute({attr})", args[1], attr.lower())
                elif attr.lower().startswith("on"):
                    facts[(DYNAMIC_CODE, f"setAttribute({attr})", "")] += 1
        elif name == "createelement" and args:
            for tag, _full in self.r.texts(args[0]):
                if tag.lower() in ("script", "iframe"):
                    facts[
                        (NETWORK_SINK, f"createElement({tag.lower()})", f"<computed:{tag.lower()} element>")
                    ] += 1

    # --- sensitive reads ------------------------------------------------------------------

    def _sensitive(self, node: Any, kind: str) -> None:
        read = self._sensitive_read(node)
        if not read:
            return
        hands_to_callback = kind == "call_expression" and any(
            a.type in ("arrow_function", "function_expression", "function") for a in call_arguments(node)
        )
        if read in ("chrome.cookies", "browser.cookies") or hands_to_callback or _inside_call_arguments(node):
            self.facts[(SENSITIVE_DATA_FLOW, read, "")] += 1
        else:
            bound = _bound_name(node)
            if bound:
                self.stored[bound] = read

    def _sensitive_read(self, node: Any) -> str | None:
        """A read of cookies, process.env or credential storage at `node`, named, or None."""
        kind = node.type
        if kind in ("member_expression", "subscript_expression"):
            name = self.name(node)
            owner = self.name(_object(node))
            if name == "cookie" and owner == "document":
                return "document.cookie"
            if name == "cookies" and owner in ("chrome", "browser"):
                return f"{owner}.cookies"
            if name == "env" and owner == "process":
                return "process.env"
            if owner in ("localstorage", "sessionstorage") and name and SENSITIVE_STORAGE_KEY.search(name):
                return f"{owner}.{name}"
        if kind == "call_expression":
            callee = unwrap(node.child_by_field_name("function"))
            method = self.name(callee)
            owner = self.name(_object(callee))
            args = call_arguments(node)
            if method == "getitem" and owner in ("localstorage", "sessionstorage") and args:
                key, _full = self.fold(args[0])
                if SENSITIVE_STORAGE_KEY.search(key) or not key:
                    return f"{owner}.getItem"
            if method == "get" and owner in ("local", "sync", "session", "managed"):
                storage = _object(_unwrap_field(callee, "object"))
                if self.name(storage) == "storage":
                    keys = " ".join(self.fold(s)[0] for s in _strings_in(args[0])) if args else ""
                    if not args or not keys or SENSITIVE_STORAGE_KEY.search(keys):
                        return "chrome.storage"
        return None

    def _destructured_reads(self, declarator: Any) -> None:
        """`const {cookie} = document`, `const {env: e} = process`: the bound names hold the read."""
        pattern, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if pattern is None or value is None or pattern.type != "object_pattern":
            return
        source = self.name(value)
        for child in pattern.named_children:
            if child.type == "shorthand_property_identifier_pattern":
                key, bound = ident(child), ident(child)
            elif child.type == "pair_pattern":
                key_node, value_node = child.child_by_field_name("key"), child.child_by_field_name("value")
                key = self.fold(key_node)[0] if key_node.type == "string" else ident(key_node)
                bound = ident(value_node) if value_node is not None else ""
            else:
                continue
            read = _DESTRUCTURED_SENSITIVE.get((source or "", key.lower()))
            if read and bound:
                self.stored[bound] = read


def _object(node: Any) -> Any:
    node = unwrap(node)
    if node is not None and node.type in ("member_expression", "subscript_expression"):
        return node.child_by_field_name("object")
    return None


def _unwrap_field(node: Any, field: str) -> Any:
    return unwrap(node.child_by_field_name(field)) if node is not None else None


def _computed_identity(node: Any) -> str:
    """A computed URL's identity: its leading non-constant part (`API` in `${API}/notes` and in
    `API + '/x'`), whitespace-normalized, so the same endpoint reached again is not new."""
    node = unwrap(node)
    while node is not None:
        if node.type == "template_string":
            first = next((c for c in node.named_children if c.type == "template_substitution"), None)
            node = unwrap(first.named_children[0]) if first is not None and first.named_children else None
        elif node.type == "binary_expression" and node.child_by_field_name("operator").type == "+":
            node = unwrap(node.child_by_field_name("left"))
        else:
            return " ".join(node.text.decode("utf-8", "replace").split())[:120]
    return "?"


def _concatenation_top(node: Any) -> bool:
    """A `+` expression that is not itself the left or right side of another `+`."""
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


def _strings_in(node: Any) -> list[Any]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type in ("string", "template_string"):
            found.append(current)
        stack.extend(current.children)
    return found


def _inside_call_arguments(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "arguments" or parent.type == "template_substitution":
            return True
        if parent.type in ("statement_block", "program", "class_body"):
            return False
        parent = parent.parent
    return False


def _bound_name(node: Any) -> str | None:
    """`x` when the read's value is stored: `const x = read`, `x = read`, `const {a} = read`."""
    parent = node.parent
    while parent is not None and parent.type in (
        "parenthesized_expression",
        "await_expression",
        "member_expression",
    ):
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return ident(name) if name is not None else None
    if parent.type in ("assignment_expression", "augmented_assignment_expression"):
        left = parent.child_by_field_name("left")
        return ident(left) if left is not None else None
    return None


__all__ = [
    "DYNAMIC_CODE",
    "NETWORK_SINK",
    "SENSITIVE_DATA_FLOW",
    "Fact",
    "SinkScanner",
    "css_facts",
    "url_origins",
]
