"""Every name a JavaScript/TypeScript file declares or assigns, keyed by the scope that declares
it, with where its values come from (js_resolver.py evaluates them).

`let`/`const`/`class` bind in their block, `var`, parameters and a function expression's name in
their function, imports in the module; an assignment binds where its name is declared (the module,
for a name declared nowhere), and `o.k = …` / `this.k = …` bind the static key `o.k` / `this.k`.
A value source is a tuple: ("node", expression), ("value", Val), ("member", source, key),
("index", source, i), ("elements", source), ("default", source, expression), ("concat", name,
expression) for `+=`, ("param", function, i).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from homeostat_core.fixing.js_values import (
    API_MODULES,
    FUNCTIONS,
    UNKNOWN,
    Val,
    descendants,
    first_named,
    ident,
    parameters_of,
    unescape,
    unwrap,
)

# nodes that open a scope for `let`/`const`/`class` (functions also scope `var` and parameters)
_BLOCKS = {"statement_block", "for_statement", "for_in_statement", "catch_clause", "switch_body"}
_BLOCKS |= {"class_body", "program"}
_VAR_SCOPES = FUNCTIONS | {"program"}
Key = tuple[int, str]  # (scope node id, name or static member key such as `this.rt`)


def literal_text(node: Any) -> str | None:
    """A subscript key written as a literal (`o['k']`, `a[0]`), or None."""
    node = unwrap(node)
    if node is not None and node.type == "string":
        return unescape(node.text.decode("utf-8", "replace")[1:-1])
    if node is not None and node.type == "number":
        return node.text.decode()
    return None


class Bindings:
    """The declarations and assignments of one file's syntax tree."""

    def __init__(self, root: Any):
        self.root = root
        self.sources: defaultdict[Key, list[tuple]] = defaultdict(list)
        self.calls: list[Any] = []  # every call and `new`, for parameter values
        assignments = self._declarations(root)
        for node in assignments:
            self._assignment(node)

    # --- scopes ---------------------------------------------------------------------------

    def _declaring_scope(self, node: Any) -> Any:
        """Where a declaration at `node` binds: a block for let/const/class, a function for var."""
        var = False
        parent = node.parent
        while parent is not None:
            if parent.type == "variable_declaration":
                var = True
            if parent.type in (_VAR_SCOPES if var else _BLOCKS | FUNCTIONS):
                return parent
            parent = parent.parent
        return self.root

    def scope_of(self, node: Any, name: str) -> int:
        """The scope whose binding of `name` the reference at `node` sees (the module's when none)."""
        parent = node
        while parent is not None:
            if (parent.id, name) in self.sources:
                return parent.id
            parent = parent.parent
        return self.root.id

    # --- bindings -------------------------------------------------------------------------

    def _declarations(self, root: Any) -> list[Any]:
        """Bind every declaration; return the assignments (bound once all declarations are known)."""
        assignments = []
        stack = [root]
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            kind = node.type
            if kind == "variable_declarator":
                scope = self._declaring_scope(node).id
                value = node.child_by_field_name("value")
                source = ("node", value) if value is not None else ("value", Val("str", "undefined"))
                self._bind_pattern(node.child_by_field_name("name"), source, scope)
            elif kind in ("assignment_expression", "augmented_assignment_expression"):
                assignments.append(node)
            elif kind in FUNCTIONS:
                name = node.child_by_field_name("name")
                if name is not None and kind != "method_definition" and name.type == "identifier":
                    scope = self._declaring_scope(node) if kind != "function_expression" else node
                    self.sources[(scope.id, ident(name))].append(("value", Val("fn", node)))
                single = node.child_by_field_name("parameter")
                for index, param in enumerate(
                    [single] if single is not None else parameters_of(node.child_by_field_name("parameters"))
                ):
                    self._bind_pattern(param, ("param", node, index), node.id)
            elif kind in ("call_expression", "new_expression"):
                self.calls.append(node)
            elif kind == "for_in_statement":
                self._loop_variable(node)
            elif kind == "import_statement":
                self._bind_import(node)
            elif kind in ("field_definition", "public_field_definition"):
                name, value = node.child_by_field_name("property"), node.child_by_field_name("value")
                if name is not None and value is not None:
                    self.sources[(self.root.id, f"this.{ident(name)}")].append(("node", value))
            elif kind == "catch_clause":
                self._bind_pattern(node.child_by_field_name("parameter"), ("value", UNKNOWN), node.id)
            elif kind in ("class_declaration", "class"):
                scope = self._declaring_scope(node) if kind == "class_declaration" else node
                self._bind_pattern(node.child_by_field_name("name"), ("value", UNKNOWN), scope.id)
        return assignments

    def _loop_variable(self, node: Any) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        source = (
            ("elements", right)
            if operator is not None and operator.type == "of"
            else ("value", Val("prefix", ""))
        )
        declared = node.child_by_field_name("kind")
        if declared is None:  # `for (x of y)`: an assignment to an existing name
            self._bind_pattern(left, source, None)
        else:
            scope = node if declared.type in ("let", "const") else self._declaring_scope(node)
            self._bind_pattern(left, source, scope.id)

    def _assignment(self, node: Any) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if right is None or operator is not None and operator.type not in ("+=", "??=", "||=", "&&="):
            return
        source = (
            ("concat", left, right) if operator is not None and operator.type == "+=" else ("node", right)
        )
        self._bind_pattern(left, source, None)

    def _bind_import(self, node: Any) -> None:
        source = node.child_by_field_name("source")
        module = unescape(source.text.decode("utf-8", "replace")[1:-1]) if source is not None else ""
        api = module in API_MODULES
        for child in descendants(node):
            if child.type == "identifier" and child.parent is not None:
                parent = child.parent
                if parent.type == "import_specifier":
                    if parent.child_by_field_name("alias") not in (None, child):
                        continue  # `import {a as b}`: b is bound (to a)
                    member = ident(parent.child_by_field_name("name"))
                    value = Val("path", f"chrome.{member}") if api else UNKNOWN
                else:
                    value = Val("path", "chrome") if api else UNKNOWN
                self.sources[(self.root.id, ident(child))].append(("value", value))

    def _bind_pattern(self, pattern: Any, source: tuple, scope: int | None) -> None:
        """Bind the names in a declaration or assignment target; `scope` None: an assignment,
        bound where the name is declared (the module, for an undeclared name)."""
        if pattern is None:
            return
        kind = pattern.type
        if kind in ("identifier", "shorthand_property_identifier_pattern"):
            name = ident(pattern)
            self.sources[(scope if scope is not None else self.scope_of(pattern, name), name)].append(source)
        elif kind in ("member_expression", "subscript_expression"):
            key = self.static_key(pattern)
            if key:
                self.sources[key].append(source)
        elif kind == "object_pattern":
            for child in pattern.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    self._bind_pattern(child, ("member", source, ident(child)), scope)
                elif child.type == "pair_pattern":
                    key = child.child_by_field_name("key")
                    self._bind_pattern(child.child_by_field_name("value"), ("member", source, key), scope)
                elif child.type == "object_assignment_pattern":
                    left = child.child_by_field_name("left")
                    member = ("member", source, ident(left))
                    self._bind_pattern(left, ("default", member, child.child_by_field_name("right")), scope)
                elif child.type == "rest_pattern":  # the rest holds the other members: the object
                    self._bind_pattern(first_named(child), source, scope)
        elif kind == "array_pattern":
            for index, child in enumerate(pattern.named_children):
                if child.type == "rest_pattern":
                    self._bind_pattern(first_named(child), ("elements", source), scope)
                else:
                    self._bind_pattern(child, ("index", source, index), scope)
        elif kind in ("assignment_pattern", "object_assignment_pattern"):
            default = ("default", source, pattern.child_by_field_name("right"))
            self._bind_pattern(pattern.child_by_field_name("left"), default, scope)
        elif kind in ("required_parameter", "optional_parameter"):
            value = pattern.child_by_field_name("value")
            inner = ("default", source, value) if value is not None else source
            self._bind_pattern(pattern.child_by_field_name("pattern"), inner, scope)
        elif kind == "rest_pattern":
            self._bind_pattern(first_named(pattern), source, scope)
        elif kind == "parenthesized_expression":
            self._bind_pattern(unwrap(pattern), source, scope)

    def static_key(self, node: Any, key_text: Callable[[Any], str | None] = literal_text) -> Key | None:
        """`a.b.c` / `this.x` / `window['k']` as a binding key (in the scope of `a`; the global
        object's name dropped), or None when a part is computed (`key_text` folds a subscript)."""
        parts = []
        node = unwrap(node)
        while node is not None and node.type in ("member_expression", "subscript_expression"):
            if node.type == "member_expression":
                parts.append(ident(node.child_by_field_name("property")))
            else:
                text = key_text(node.child_by_field_name("index"))
                if text is None:
                    return None
                parts.append(text)
            node = unwrap(node.child_by_field_name("object"))
        if node is None or node.type not in ("identifier", "this"):
            return None
        root = ident(node)
        scope = self.root.id if root in ("this", "window", "globalThis") else self.scope_of(node, root)
        if root in ("window", "globalThis") and parts:
            root = parts.pop()
        return scope, ".".join([root, *reversed(parts)])


__all__ = ["Bindings", "Key", "literal_text"]
