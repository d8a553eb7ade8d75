"""Names a stack frame and an error message give: what to look up in the source.

A frame's function (`async MessageRouter.handleMessage`, `Foo.prototype.bar`, `init/</<`,
`e.<computed> [as next]`) becomes an owner (class or object) and a name. Names a minifier made
(`e`, `Xt`, `_0x3fa2`), engine and transpiler helpers (`Array.forEach`, `__awaiter`, `step`) and
built-in owners (`Object`, `HTMLButtonElement`) never match anything.

An error message gives the identifiers the fix is about: `X is not defined` (a definition to
find), `a.b.c is not a function` (a callee), `Cannot read properties of undefined (reading 'x')`
and its Firefox and Safari forms (a property, and the expression that was undefined).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")
_MINIFIED = re.compile(
    r"^(?:[A-Za-z_$][\w$]?|_?[A-Za-z]{1,2}\d+|_0x[0-9a-fA-F]+|[a-z][A-Z][a-z]?|[A-Z][a-z][A-Z])$"
)
_BUILTIN_OWNER = re.compile(
    r"^(?:HTML\w*Element|SVG\w*Element|[A-Z]\w*Event|[A-Z]\w*EventTarget|[A-Z]\w*GlobalScope|IDB[A-Z]\w*|"
    r"[A-Z]\w*Observer|[A-Z]\w*Error|Object|Array|Promise|Function|Module|exports|module|window|self|"
    r"globalThis|global|this|Generator|AsyncGenerator|AsyncFunction|Reflect|Proxy|Map|Set|WeakMap|"
    r"WeakSet|String|Number|Boolean|Symbol|JSON|Math|Date|RegExp|console|document|Window|Node|Element|"
    r"Document|XMLHttpRequest|MessagePort|Worker|chrome|browser|navigator|location|Response|Request|"
    r"Headers|URL|URLSearchParams|FileReader|WebSocket|Storage|localStorage|sessionStorage)$"
)
# Built-ins whose own methods a trace shows (`Promise.all`, `Array.from`): no app function.
_BUILTIN_NAMESPACES = frozenset(
    {"Promise", "Array", "JSON", "Math", "Reflect", "Date", "Number", "String", "Symbol", "Atomics"}
    | {"Intl", "console", "Generator", "AsyncGenerator", "Iterator"}
)
# Transpiler, bundler and engine helpers: a frame through them names no function of the app.
_HELPERS = frozenset(
    {
        "step",
        "next",
        "throw",
        "return",
        "fulfilled",
        "rejected",
        "__awaiter",
        "__generator",
        "_asyncToGenerator",
        "asyncGeneratorStep",
        "_next",
        "_throw",
        "tryCatch",
        "invoke",
        "anonymous",
        "eval",
        "forEach",
        "map",
        "filter",
        "reduce",
        "then",
        "catch",
        "finally",
        "call",
        "apply",
        "bind",
        "constructor",
        "default",
        "__webpack_require__",
        "__require",
        "__esm",
        "__commonJS",
        "processTicksAndRejections",
        "runMicrotasks",
        "dispatchEvent",
        "setTimeout",
        "setInterval",
    }
)


def usable(name: str | None) -> bool:
    """A name a person wrote: long enough, not a minifier's, not a helper's, not a built-in."""
    return bool(
        name
        and _IDENT.match(name)
        and not _MINIFIED.match(name)
        and name not in _HELPERS
        and not _BUILTIN_OWNER.match(name)
    )


@dataclass(frozen=True, slots=True)
class FrameName:
    name: str  # the function or method
    owner: str | None = None  # its class or object, when the trace names one
    alias: str | None = None  # V8's "[as x]": the property it was called through

    def label(self) -> str:
        return f"{self.owner}.{self.name}" if self.owner else self.name


def frame_name(function: str | None) -> FrameName | None:
    """The usable name in a frame's function text, or None (anonymous, minified, a helper)."""
    if not function:
        return None
    text = function.strip()
    alias = None
    match = re.search(r"\s*\[as ([\w$]+)\]$", text)
    if match:
        alias = match.group(1) if usable(match.group(1)) else None
        text = text[: match.start()]
    for prefix in ("async ", "new ", "async*", "get ", "set "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    # Gecko names an anonymous function inside `outer` as "outer/<" or "outer</inner"
    text = re.sub(r"(?:/<|<)+$", "", text)
    parts = [
        p for p in re.split(r"[./<]+", text) if p and p not in ("prototype", "<anonymous>", "<computed>")
    ]
    if not parts:
        return FrameName(alias) if alias else None
    name, owner = parts[-1], (parts[-2] if len(parts) > 1 else None)
    # Babel's _createClass defines every method as `value`: `t.value` names no function
    babel_method = name == "value" and not (owner and usable(owner))
    if not usable(name) or owner in _BUILTIN_NAMESPACES or babel_method:
        return FrameName(alias) if alias else None
    return FrameName(name, owner if owner and usable(owner) else None, alias)


@dataclass(frozen=True, slots=True)
class MessageNames:
    """Identifiers an error message is about (each may be None)."""

    undefined: str | None = None  # `X is not defined`: X has no definition in scope
    callee: str | None = None  # `a.b.c is not a function`: "a.b.c"
    base: str | None = None  # the expression that was undefined or null: "a.b"
    prop: str | None = None  # the property read or set on it: "c"

    def names(self) -> list[str]:
        """Every identifier worth looking up, the most specific first."""
        found = [
            self.undefined,
            last_name(self.callee),
            self.prop,
            last_name(self.base),
            root_name(self.base),
        ]
        return [n for n in dict.fromkeys(found) if usable(n)]


_MESSAGE_PATTERNS = (
    ("undefined", re.compile(r"^([\w$]+) is not defined\b")),
    ("undefined", re.compile(r"^Can't find variable: ([\w$]+)")),
    ("undefined", re.compile(r"^assignment to undeclared variable ([\w$]+)")),
    ("undefined", re.compile(r"^Cannot access '([\w$]+)' before initialization")),
    ("undefined", re.compile(r"^can't access lexical declaration '([\w$]+)' before initialization")),
    ("base_prop", re.compile(r"^can't access property \"([\w$]+)\", (.+?) is (?:undefined|null)")),
    (
        "prop",
        re.compile(
            r"^Cannot (?:read|set) propert(?:ies|y) of (?:undefined|null) \((?:reading|setting) '([^']+)'\)"
        ),
    ),
    ("prop", re.compile(r"^Cannot (?:read|set) property '([^']+)' of (?:undefined|null)")),
    ("evaluating", re.compile(r"^(?:undefined|null) is not an object \(evaluating '([^']+)'\)")),
    ("callee", re.compile(r"^(.+?) is not a (?:function|constructor)\b")),
    ("base", re.compile(r"^(.+?) is (?:undefined|null)$")),
    ("base", re.compile(r"^(.+?) (?:has no properties|is not iterable)")),
)


def message_names(message: str) -> MessageNames:
    text = message.strip()
    for kind, pattern in _MESSAGE_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        if kind == "undefined":
            return MessageNames(undefined=match.group(1))
        if kind == "base_prop":
            return MessageNames(base=_expression(match.group(2)), prop=match.group(1))
        if kind == "prop":
            return MessageNames(prop=match.group(1))
        if kind == "evaluating":
            expression = _expression(match.group(1))
            base, _, prop = (expression or "").rpartition(".")
            return MessageNames(base=base or None, prop=prop or None)
        if kind == "callee":
            return MessageNames(callee=_expression(match.group(1)))
        return MessageNames(base=_expression(match.group(1)))
    return MessageNames()


def _expression(text: str) -> str | None:
    """`(intermediate value).foo` → `foo`; `this.store.load` kept; anything else → None."""
    text = re.sub(r"^\(intermediate value\)\.?", "", text.strip())
    text = re.sub(r"\?\.", ".", text)
    return text if re.fullmatch(r"[\w$]+(?:\.[\w$]+)*", text) else None


def last_name(expression: str | None) -> str | None:
    return expression.rsplit(".", 1)[-1] if expression else None


def root_name(expression: str | None) -> str | None:
    if not expression:
        return None
    root = expression.split(".", 1)[0]
    return None if root == "this" else root


def name_tokens(name: str) -> set[str]:
    """`MessageRouter` → {message, router}; `tab-groups` → {tab, groups}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {t.lower() for t in re.split(r"[^A-Za-z0-9]+", spaced) if len(t) > 2}
