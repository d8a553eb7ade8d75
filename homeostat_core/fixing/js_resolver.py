"""What a JavaScript or TypeScript expression is, as far as the text says without running it.

The content policy (capabilities.py) asks two questions of an expression: which constant text it
is (`'send' + 'Message'`, a template, `atob('…')`, `['se', 'nd'].join('')`, a variable holding
one), and which browser-API path it refers to (`chrome.runtime` through `const rt =
chrome.runtime`, `const {runtime} = chrome`, `globalThis['chrome']`, `browser.`, optional
chaining, a parameter, a local function returning it, `this.rt`, an object or array literal).

Names resolve to the scope that declares them (`let`/`const`/`class` a block, `var` and parameters
a function, imports the module; anything undeclared is a property of the global object). Every
answer is a set of possibilities and over-approximates: all assignments to a variable count,
wherever they are, and a parameter is every argument this file passes to it plus "unknown", so
what could be reached is reported as reached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from homeostat_core.fixing.js_bindings import Bindings, Key
from homeostat_core.fixing.js_values import (
    ANYTHING,
    API_MODULES,
    API_ROOTS,
    ARRAY_METHODS,
    FUNCTIONS,
    GLOBAL,
    MAX_DEPTH,
    MAX_ROUNDS,
    MAX_STEPS,
    MAX_VALUES,
    STRING_METHODS,
    UNKNOWN,
    Val,
    apply_string_method,
    as_text,
    call_arguments,
    concat,
    decode,
    first_named,
    ident,
    join_path,
    number_value,
    unescape,
    unwrap,
)


class Resolver:
    """Bindings of one file's syntax tree, and memoized evaluation of its expressions."""

    def __init__(self, root: Any, relevant: Callable[[str], bool] = lambda path: True):
        self.root = root
        self.relevant = relevant  # which paths survive when an expression has too many values
        self.bindings = Bindings(root)
        self.calls = self.bindings.calls
        self._memo: dict[Any, frozenset[Val]] = {}
        self._previous: dict[Any, frozenset[Val]] = {}  # the last round's values (for cycles)
        self._active: set[Any] = set()
        self._cycles = False
        self._index: dict[int, list[list[Any] | None]] | None = None  # function → its calls' arguments
        self._previous_index: dict[int, list[list[Any] | None]] = {}
        self._depth = 0
        self._steps = 0
        self._settle()

    def static_key(self, node: Any) -> Key | None:
        return self.bindings.static_key(node, self.constant)

    # --- evaluation -----------------------------------------------------------------------

    def values(self, node: Any) -> frozenset[Val]:
        """Every value `node` may have."""
        node = unwrap(node)
        if node is None:
            return frozenset({UNKNOWN})
        return self._cached(node.id, lambda: self._evaluate(node))

    def paths(self, node: Any) -> set[str]:
        return {v.data for v in self.values(node) if v.kind == "path"}

    def texts(self, node: Any) -> list[tuple[str, bool]]:
        """The string values `node` may have, as (text, whole string?); ("", False) for unknown."""
        found = []
        for value in self.values(node):
            text = as_text(value)
            found.append(text if text is not None else ("", False))
        return sorted(set(found)) or [("", False)]

    def constant(self, node: Any) -> str | None:
        """The one constant string `node` is, or None."""
        texts = self.texts(node)
        return texts[0][0] if len(texts) == 1 and texts[0][1] else None

    def _settle(self) -> None:
        """Evaluate every binding in rounds until none changes. Within a round everything is
        memoized and a cycle (`k = 'se'; k += 'nd'`, a function passing its parameter back to
        itself) reads the previous round's value; values only grow, so a few rounds settle it."""
        for _round in range(MAX_ROUNDS):
            self._memo, self._index, self._cycles = {}, None, False
            for key in list(self.bindings.sources):
                self._binding(key)
            if not self._cycles or self._memo == self._previous:
                return
            self._previous, self._previous_index = self._memo, self._index or {}

    def _cached(self, key: Any, compute: Callable[[], frozenset[Val]]) -> frozenset[Val]:
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            self._cycles = True
            return self._previous.get(key, frozenset())
        if self._depth > MAX_DEPTH:
            return frozenset({ANYTHING})
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise ValueError("the file is too complex to check")
        self._active.add(key)
        self._depth += 1
        try:
            found = self._bounded(compute())
        finally:
            self._depth -= 1
            self._active.discard(key)
        self._memo[key] = found
        return found

    def _bounded(self, found: frozenset[Val]) -> frozenset[Val]:
        """At most MAX_VALUES possibilities: strings become unknown text, paths that do not matter
        (`relevant`) one unknown object, the others are kept."""
        if len(found) <= MAX_VALUES:
            return found
        paths = {v for v in found if v.kind == "path" and self.relevant(v.data)}
        kept = paths if len(paths) <= 4 * MAX_VALUES else {ANYTHING}
        return frozenset(kept | {UNKNOWN, Val("prefix", "")})

    def _evaluate(self, node: Any) -> frozenset[Val]:
        kind = node.type
        if kind == "string":
            return frozenset({Val("str", unescape(node.text.decode("utf-8", "replace")[1:-1]))})
        if kind == "template_string":
            return self._template(node)
        if kind == "number":
            return frozenset({number_value(node.text.decode())})
        if kind in ("identifier", "shorthand_property_identifier", "this"):
            return self.name_at(node)
        if kind in ("member_expression", "subscript_expression"):
            return self._member(node)
        if kind == "binary_expression":
            return self._binary(node)
        if kind == "ternary_expression":
            consequence, alternative = (
                node.child_by_field_name("consequence"),
                node.child_by_field_name("alternative"),
            )
            return self.values(consequence) | self.values(alternative)
        if kind in ("assignment_expression", "augmented_assignment_expression"):
            return self.values(node.child_by_field_name("right"))
        if kind in ("call_expression", "new_expression"):
            return self._call(node)
        if kind == "array":
            return frozenset({Val("arr", node)})
        if kind == "object":
            return frozenset({Val("obj", node)})
        if kind in FUNCTIONS:
            return frozenset({Val("fn", node)})
        if kind in ("null", "undefined", "true", "false"):
            return frozenset({Val("str", node.text.decode())})
        return frozenset({UNKNOWN})

    def name_at(self, node: Any) -> frozenset[Val]:
        """The values of the name at `node` (an identifier, `this`, a shorthand property)."""
        name = "this" if node.type == "this" else ident(node)
        return self._binding((self.bindings.scope_of(node, name), name))

    def _binding(self, key: Key) -> frozenset[Val]:
        def compute() -> frozenset[Val]:
            found: set[Val] = set()
            for source in self.bindings.sources.get(key, ()):
                found |= self._source(source)
            scope, name = key
            if name in API_ROOTS:  # a local of the same name still counts as the API
                found.add(Val("path", "chrome"))
            elif name in ("window", "globalThis") or scope == self.root.id and not found:
                # declared nowhere: the global object, or a property of it
                found.add(UNKNOWN if name == "this" else Val("path", join_path("", name)))
            return frozenset(found) or frozenset({UNKNOWN})

        return self._cached(("binding", key), compute)

    def _source(self, source: tuple) -> frozenset[Val]:
        kind = source[0]
        if kind == "value":
            return frozenset({source[1]})
        if kind == "node":
            return self.values(source[1])
        return self._cached(id(source), lambda: self._derived(source))

    def _derived(self, source: tuple) -> frozenset[Val]:
        kind = source[0]
        if kind == "member":
            key = source[2]
            keys = [(key, True)] if isinstance(key, str) else self._keys(key)
            return self._members(self._source(source[1]), keys)
        if kind == "index":
            return self._element(self._source(source[1]), source[2])
        if kind == "elements":
            inner = source[1]
            return self._element(
                self._source(inner) if isinstance(inner, tuple) else self.values(inner), None
            )
        if kind == "default":
            return self._source(source[1]) | self.values(source[2])
        if kind == "concat":
            return self._product(self.values(source[1]), self.values(source[2]))
        if kind == "param":
            return self._parameter(source[1], source[2])
        return frozenset({UNKNOWN})

    def _keys(self, key_node: Any) -> list[tuple[str, bool]]:
        if key_node.type in ("property_identifier", "identifier"):
            return [(ident(key_node), True)]
        if key_node.type == "computed_property_name":
            return self.texts(first_named(key_node))
        return self.texts(key_node)

    def _template(self, node: Any) -> frozenset[Val]:
        found = frozenset({Val("str", "")})
        for child in node.named_children:
            if child.type == "template_substitution":
                part = self.values(first_named(child))
            elif child.type in ("string_fragment", "escape_sequence"):
                part = frozenset({Val("str", unescape(child.text.decode("utf-8", "replace")))})
            else:
                continue
            found = self._product(found, part)
        return found

    def _product(self, left: frozenset[Val], right: frozenset[Val]) -> frozenset[Val]:
        if len(left) * len(right) > MAX_VALUES:
            return frozenset({Val("prefix", "")})
        return frozenset(concat(a, b) for a in left for b in right)

    def _binary(self, node: Any) -> frozenset[Val]:
        operator = node.child_by_field_name("operator").type
        if operator in ("||", "??", "&&"):
            return self.values(node.child_by_field_name("left")) | self.values(
                node.child_by_field_name("right")
            )
        if operator != "+":
            return frozenset({UNKNOWN})
        # a + b + c nests to the left; walk the spine without recursion (long concatenations)
        rights = []
        while node.type == "binary_expression" and node.child_by_field_name("operator").type == "+":
            rights.append(node.child_by_field_name("right"))
            node = unwrap(node.child_by_field_name("left"))
        found = self.values(node)
        for right in reversed(rights):
            found = self._product(found, self.values(right))
        return found

    def _member(self, node: Any) -> frozenset[Val]:
        obj = node.child_by_field_name("object")
        if node.type == "member_expression":
            keys = [(ident(node.child_by_field_name("property")), True)]
        else:
            keys = self.texts(node.child_by_field_name("index"))
        found = set(self._members(self.values(obj), keys))
        key = self.static_key(node)
        if key and key in self.bindings.sources:  # `this.rt = chrome.runtime` … `this.rt.sendMessage`
            found |= self._binding(key)
        return frozenset(found)

    def _members(self, objects: frozenset[Val], keys: list[tuple[str, bool]]) -> frozenset[Val]:
        found: set[Val] = set()
        for value in objects:
            for key, whole in keys:
                if value.kind == "path":
                    if whole:
                        found.add(Val("path", join_path(value.data, key)))
                    elif value.data.startswith("?"):  # a computed member nobody can name
                        found.add(UNKNOWN)
                    else:
                        found.add(Val("path", f"{value.data}.*" if value.data else "*"))
                elif value.kind == "obj" and whole:
                    found |= self._property(value.data, key)
                elif value.kind in ("arr", "list") and whole and key.isdigit():
                    found |= self._element(frozenset({value}), int(key))
                else:
                    found.add(Val("path", "?." + key if whole else "?"))
        return frozenset(found)

    def _property(self, obj: Any, key: str) -> frozenset[Val]:
        return self._cached(("property", obj.id, key), lambda: self._find_property(obj, key))

    def _find_property(self, obj: Any, key: str) -> frozenset[Val]:
        found: set[Val] = set()
        for child in obj.named_children:
            if child.type == "pair":
                names = self._keys(child.child_by_field_name("key"))
                if any(text == key or not whole for text, whole in names):
                    found |= self.values(child.child_by_field_name("value"))
            elif child.type == "shorthand_property_identifier" and ident(child) == key:
                found |= self.name_at(child)
            elif child.type == "method_definition" and ident(child.child_by_field_name("name")) == key:
                found.add(Val("fn", child))
            elif child.type == "spread_element":
                found |= self._members(self.values(first_named(child)), [(key, True)])
        return frozenset(found) or frozenset({Val("path", "?." + key)})

    def _element(self, arrays: frozenset[Val], index: int | None) -> frozenset[Val]:
        found: set[Val] = set()
        for value in arrays:
            if value.kind == "list":
                items = value.data if index is None else value.data[index : index + 1]
                found |= {Val("str", item) for item in items}
            elif value.kind == "arr":
                elements = [e for e in value.data.named_children if e.type != "comment"]
                at = None if any(e.type == "spread_element" for e in elements) else index  # positions shift
                for element in elements if at is None else elements[at : at + 1]:
                    found |= self.values(
                        first_named(element) if element.type == "spread_element" else element
                    )
            elif value.kind == "str":
                found |= {
                    Val("str", c) for c in (value.data if index is None else value.data[index : index + 1])
                }
            else:
                found.add(ANYTHING if value == ANYTHING else UNKNOWN)
        return frozenset(found) or frozenset({UNKNOWN})

    def _parameter(self, function: Any, index: int) -> frozenset[Val]:
        """A parameter's values: the arguments of this file's calls of the function, and unknown
        (it may be called from elsewhere)."""
        found: set[Val] = {UNKNOWN}
        for args in self._calls_of(function):
            for position, arg in enumerate((args or [])[: index + 1]):
                if arg.type == "spread_element":  # f(...list): any element of the list, from here on
                    found |= self._element(self.values(first_named(arg)), None)
                elif position == index:
                    found |= self.values(arg)
        return frozenset(found)

    def _calls_of(self, function: Any) -> list[list[Any] | None]:
        if self._index is None:
            if ("index",) in self._active:  # a callee that depends on a parameter
                self._cycles = True
                return self._previous_index.get(function.id, [])
            self._active.add(("index",))
            index: defaultdict[int, list[list[Any] | None]] = defaultdict(list)
            try:
                for call in self.calls:
                    for target, args in self.call_targets(call):
                        if target.kind == "fn":
                            index[target.data.id].append(args)
            finally:
                self._active.discard(("index",))
            self._index = index
        return self._index.get(function.id, [])

    def call_targets(self, call: Any) -> list[tuple[Val, list[Any] | None]]:
        """What a call calls, with the arguments it passes (None: not known), seeing through
        `f.call(t, …)`, `f.apply(t, [...])` and `Reflect.apply(f, t, [...])`."""
        field = "function" if call.type == "call_expression" else "constructor"
        callee = unwrap(call.child_by_field_name(field))
        args = call_arguments(call)
        if callee is None:
            return []
        if callee.type == "member_expression":
            method = ident(callee.child_by_field_name("property"))
            receiver = callee.child_by_field_name("object")
            if method in ("call", "apply") and not self.paths(receiver) & {"Function.prototype", "Reflect"}:
                shifted: list[Any] | None = args[1:]
                if method == "apply":
                    shifted = self._array_items(args[1]) if len(args) > 1 else []
                return [(v, shifted) for v in self.values(receiver)]
        targets = self.values(callee)
        if Val("path", "Reflect.apply") in targets and args:
            return [(v, self._array_items(args[2]) if len(args) > 2 else []) for v in self.values(args[0])]
        return [(v, args) for v in targets]

    def _array_items(self, node: Any) -> list[Any] | None:
        node = unwrap(node)
        if node is not None and node.type == "array":
            items = [c for c in node.named_children if c.type != "comment"]
            return None if any(c.type == "spread_element" for c in items) else items
        return None

    def _call(self, node: Any) -> frozenset[Val]:
        args = call_arguments(node)
        field = "function" if node.type == "call_expression" else "constructor"
        callee = unwrap(node.child_by_field_name(field))
        if callee is not None and callee.type == "member_expression":
            method = ident(callee.child_by_field_name("property"))
            receiver = self.values(callee.child_by_field_name("object"))
            if method == "bind":
                return receiver
            constant = self._string_method(receiver, method, args)
            if constant is not None:
                return constant
        found: set[Val] = set()
        for target, target_args in self.call_targets(node):
            found |= self._call_result(target, target_args, node)
        return frozenset(found) or frozenset({UNKNOWN})

    def _call_result(self, target: Val, args: list[Any] | None, node: Any) -> frozenset[Val]:
        if target.kind == "fn":
            return self._returns(target.data)
        if target.kind != "path":
            return frozenset({UNKNOWN})
        name = target.data
        if name == "Reflect.get" and args and len(args) > 1:
            return self._members(self.values(args[0]), self.texts(args[1]))
        if name in ("String.fromCharCode", "String.fromCodePoint") and args is not None:
            codes = [self.values(a) for a in args]
            if all(len(c) == 1 and next(iter(c)).kind == "num" for c in codes):
                try:
                    return frozenset({Val("str", "".join(chr(int(next(iter(c)).data)) for c in codes))})
                except (ValueError, OverflowError):
                    return frozenset({UNKNOWN})
        if name in ("atob", "btoa", "decodeURIComponent", "decodeURI", "unescape", "String"):
            if args:
                decoded = {decode(name, t) if whole else None for t, whole in self.texts(args[0])}
                if None not in decoded:
                    return frozenset(Val("str", d) for d in decoded)
            return frozenset({Val("prefix", "")})
        if name == "Array.from" and args and len(args) == 1:
            items = [self._list_of(v) for v in self.values(args[0]) if v.kind in ("str", "list", "arr")]
            if items and None not in items:
                return frozenset(Val("list", tuple(i)) for i in items)
        if name == "require" and args and self.constant(args[0]) in API_MODULES:
            return frozenset({Val("path", "chrome")})
        if name == "Proxy" and node.type == "new_expression" and args:
            return self.values(args[0])
        return frozenset({UNKNOWN})

    def _returns(self, function: Any) -> frozenset[Val]:
        def compute() -> frozenset[Val]:
            body = function.child_by_field_name("body")
            if body is None:
                return frozenset({UNKNOWN})
            if body.type != "statement_block":  # `() => chrome`
                return self.values(body)
            found: set[Val] = set()
            stack = list(body.children)
            while stack:
                node = stack.pop()
                if node.type == "return_statement":
                    found |= self.values(first_named(node))
                elif node.type not in FUNCTIONS:
                    stack.extend(node.children)
            return frozenset(found) or frozenset({Val("str", "undefined")})

        return self._cached(("returns", function.id), compute)

    def _string_method(self, receiver: frozenset[Val], method: str, args: list[Any]) -> frozenset[Val] | None:
        """`'…'.concat/split/slice/replace/…`, `[…].join/reverse`: constant in, constant out; None
        when the receiver is not a constant string or array or the method is another one."""
        if not receiver or not all(v.kind in ("str", "list", "arr") for v in receiver):
            return None
        if method not in (ARRAY_METHODS if all(v.kind != "str" for v in receiver) else STRING_METHODS):
            return None
        arg_texts = [self.texts(a) for a in args]
        if any(len(t) != 1 or not t[0][1] for t in arg_texts):
            return frozenset({Val("prefix", "")})
        params = [t[0][0] for t in arg_texts]
        found: set[Val] = set()
        for value in receiver:
            items = self._list_of(value)
            result = (
                None
                if items is None
                else apply_string_method(
                    value.kind, value.data if value.kind == "str" else items, method, params
                )
            )
            if result is None:
                return frozenset({Val("prefix", "")})
            found.add(result)
        return frozenset(found)

    def _list_of(self, value: Val) -> tuple[str, ...] | None:
        if value.kind == "str":
            return tuple(value.data)
        if value.kind == "list":
            return value.data
        items: list[str] = []
        for element in value.data.named_children:
            if element.type == "comment":
                continue
            if element.type == "spread_element":
                spread = self.values(first_named(element))
                inner = [self._list_of(v) for v in spread if v.kind in ("str", "list", "arr")]
                if len(inner) != 1 or len(spread) != 1 or inner[0] is None:
                    return None
                items.extend(inner[0])
                continue
            text = self.constant(element)
            if text is None:
                return None
            items.append(text)
        return tuple(items)


__all__ = ["GLOBAL", "Resolver"]
