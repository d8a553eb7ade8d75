"""Every check a set of edits must pass before it may become a pull request.

The rules come only from the repo config and the fixed lists below; nothing from the issue or the
model can widen them. Each rejection carries a stable `reason_code` for logs and metrics.
"""

from __future__ import annotations

import difflib
import json
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from homeostat_core.config import RepoConfig, never_fix_file_type, normalize_repo_path
from homeostat_core.models import FileChange, FileEdit

if TYPE_CHECKING:
    import tree_sitter

ReadFile = Callable[[str], str | None]

# Stable reason codes (docs/FIX-ENGINE.md lists what each means).
EDIT_NOT_FOUND = "edit_not_found"
EDIT_AMBIGUOUS = "edit_ambiguous"
FILE_NOT_FOUND = "file_not_found"
PATH_FILTERED = "path_filtered"
FORBIDDEN_PATH = "forbidden_path"
MANIFEST_PERMISSIONS = "manifest_permissions"
PACKAGE_SCRIPTS = "package_scripts"
TOO_MANY_FILES = "too_many_files"
TOO_MANY_LINES = "too_many_lines"
SYNTAX_ERROR = "syntax_error"
BINARY_FILE = "binary_file"
NO_EDITS = "no_edits"
NO_CHANGE = "no_change"
PARSE_ERROR = "parse_error"
# Content policy (what an edit may add, not only where)
FILE_TYPE = "file_type"
NETWORK_SINK = "network_sink"
DYNAMIC_CODE = "dynamic_code"
SENSITIVE_DATA_FLOW = "sensitive_data_flow"
GUARDED_FILE_UNPARSEABLE = "guarded_file_unparseable"
EDIT_TOO_LARGE = "edit_too_large"
LINE_TOO_LONG = "line_too_long"

REASON_CODES = (
    EDIT_NOT_FOUND,
    EDIT_AMBIGUOUS,
    FILE_NOT_FOUND,
    PATH_FILTERED,
    FORBIDDEN_PATH,
    MANIFEST_PERMISSIONS,
    PACKAGE_SCRIPTS,
    TOO_MANY_FILES,
    TOO_MANY_LINES,
    SYNTAX_ERROR,
    BINARY_FILE,
    NO_EDITS,
    NO_CHANGE,
    PARSE_ERROR,
    FILE_TYPE,
    NETWORK_SINK,
    DYNAMIC_CODE,
    SENSITIVE_DATA_FLOW,
    GUARDED_FILE_UNPARSEABLE,
    EDIT_TOO_LARGE,
    LINE_TOO_LONG,
)
# The reasons the content policy adds (each gets the homeostat-rejected label and comment).
CONTENT_POLICY_CODES = (
    FILE_TYPE,
    NETWORK_SINK,
    DYNAMIC_CODE,
    SENSITIVE_DATA_FLOW,
    GUARDED_FILE_UNPARSEABLE,
    EDIT_TOO_LARGE,
    LINE_TOO_LONG,
)
# Caps on one edit's replacement text: bytes, and characters in any line it adds.
MAX_EDIT_BYTES = 4000
MAX_LINE_CHARS = 400

# Any path component named like these is off limits (CI, VCS and Homeostat's own config).
FORBIDDEN_DIRS = frozenset({".github", ".circleci", ".git", ".homeostat", ".husky", ".buildkite"})
FORBIDDEN_FILES = frozenset(
    {
        ".gitlab-ci.yml",
        ".travis.yml",
        "azure-pipelines.yml",
        "azure-pipelines.yaml",
        "jenkinsfile",
        "bitbucket-pipelines.yml",
        ".gitmodules",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        ".npmrc",
        ".yarnrc",
        ".yarnrc.yml",
    }
)
FORBIDDEN_SUFFIXES = (".lock",)
MANIFEST_GUARDED_KEYS = (
    "permissions",
    "host_permissions",
    "optional_permissions",
    "optional_host_permissions",
    "content_security_policy",
    "externally_connectable",
    "content_scripts",
    "web_accessible_resources",
    "background",
    "sandbox",
    "key",
    "update_url",
    "oauth2",
    "declarative_net_request",
    "chrome_url_overrides",
)
PACKAGE_GUARDED_KEYS = (
    "scripts",
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
    "bundleDependencies",
    "bundledDependencies",
    "overrides",
    "resolutions",
)
BINARY_SUFFIXES = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".ico",
        ".bmp",
        ".tiff",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".zip",
        ".gz",
        ".tgz",
        ".crx",
        ".xpi",
        ".pdf",
        ".wasm",
        ".exe",
        ".dll",
        ".so",
        ".dylib",
        ".jar",
        ".class",
        ".mp3",
        ".mp4",
        ".ogg",
        ".wav",
        ".webm",
        ".mov",
        ".db",
        ".sqlite",
        ".bin",
        ".node",
    ]
)
JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx"})
TS_SUFFIXES = frozenset({".ts", ".mts", ".cts"})
TSX_SUFFIXES = frozenset({".tsx"})


@dataclass(frozen=True, slots=True)
class ValidatedChange:
    edits: tuple[FileEdit, ...]
    changes: tuple[FileChange, ...]
    diff: str
    lines_changed: int


@dataclass(frozen=True, slots=True)
class Rejection:
    reason_code: str
    detail: str
    path: str | None = None

    def describe(self) -> str:
        return f"{self.reason_code}: {self.detail}"


def forbidden_reason(path: str) -> str | None:
    """Why `path` may never be changed by Homeostat, or None."""
    parts = path.lower().split("/")
    name = parts[-1]
    if any(part in FORBIDDEN_DIRS for part in parts[:-1]) or name in FORBIDDEN_DIRS:
        return "CI, VCS and Homeostat configuration folders are never changed"
    if name in FORBIDDEN_FILES:
        return "CI configuration and lock files are never changed"
    if name.endswith(FORBIDDEN_SUFFIXES):
        return "lock files are never changed"
    return None


def _check_path(raw_path: str, repo_config: RepoConfig) -> Rejection | str:
    path = normalize_repo_path(raw_path)
    if path is None:
        return Rejection(PATH_FILTERED, f"{raw_path!r} is not a path inside the repository", raw_path)
    reason = forbidden_reason(path)
    if reason:
        return Rejection(FORBIDDEN_PATH, f"{path}: {reason}", path)
    if not repo_config.path_filters.allows(path):
        return Rejection(PATH_FILTERED, f"{path} is outside the repo's path filters", path)
    if posixpath.splitext(path)[1].lower() in BINARY_SUFFIXES:
        return Rejection(BINARY_FILE, f"{path} is a binary file", path)
    if never_fix_file_type(path):
        return Rejection(FILE_TYPE, f"{path}: HTML, shell, env and lock files are never changed", path)
    if not repo_config.allows_file_type(path):
        allowed = ", ".join(repo_config.fix_file_types)
        return Rejection(FILE_TYPE, f"{path}: not a file type fixes may change ({allowed})", path)
    return path


def _size_guard(edit: FileEdit, path: str) -> Rejection | None:
    size = len(edit.replace.encode("utf-8"))
    if size > MAX_EDIT_BYTES:
        return Rejection(
            EDIT_TOO_LARGE, f"{path}: one edit replaces with {size} bytes; at most {MAX_EDIT_BYTES}", path
        )
    kept = set(edit.search.splitlines())
    longest = max((len(line) for line in edit.replace.splitlines() if line not in kept), default=0)
    if longest > MAX_LINE_CHARS:
        return Rejection(
            LINE_TOO_LONG, f"{path}: an added line has {longest} characters; at most {MAX_LINE_CHARS}", path
        )
    return None


def _apply(content: str, edit: FileEdit, path: str) -> str | Rejection:
    count = content.count(edit.search)
    if count == 0:
        hint = ""
        if content.count(edit.search.strip()) == 1:
            hint = " (it matches only after trimming whitespace: copy indentation and line breaks exactly)"
        return Rejection(EDIT_NOT_FOUND, f"{path}: search text not found in the current file{hint}", path)
    if count > 1:
        return Rejection(
            EDIT_AMBIGUOUS, f"{path}: search text occurs {count} times; include more surrounding lines", path
        )
    return content.replace(edit.search, edit.replace, 1)


# One token at a time: a string, a comment, a comma that only a closing bracket follows, or other.
_CHROME_JSON_TOKEN = re.compile(
    r'"(?:[^"\\]++|\\.)*+"|//[^\n]*+|/\*.*?\*/|(?P<trailing>,(?=\s*+[}\]]))|[^"/,]++|.', re.S
)


def _strip_json_comments(text: str) -> str:
    """JSON as Chrome reads manifest.json: `//` and `/* */` comments and trailing commas dropped
    outside strings (one linear pass)."""
    parts = []
    for match in _CHROME_JSON_TOKEN.finditer(text):
        token = match.group(0)
        if token.startswith(("//", "/*")):
            parts.append(" ")
        elif match.group("trailing") is None:
            parts.append(token)
    return "".join(parts)


def _load_json(name: str, text: str) -> Any:
    """Parse a guarded JSON file as its consumer does: Chrome (comments, trailing commas) for
    manifest.json, npm (strict JSON) for the rest. Raises ValueError."""
    text = text.lstrip("\ufeff")
    if name == "manifest.json":
        text = _strip_json_comments(text)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        duplicated = {k for k in keys if keys.count(k) > 1}
        if duplicated:
            raise ValueError(f"duplicate keys: {', '.join(sorted(duplicated))}")
        return dict(pairs)

    return json.loads(text, object_pairs_hook=no_duplicates)


GUARDED_JSON = {
    "manifest.json": (MANIFEST_GUARDED_KEYS, MANIFEST_PERMISSIONS),
    "package.json": (PACKAGE_GUARDED_KEYS, PACKAGE_SCRIPTS),
}


def _json_guard(path: str, old: str, new: str) -> Rejection | None:
    name = posixpath.basename(path).lower()
    guarded = name in GUARDED_JSON
    try:
        old_data = _load_json(name, old)
    except (ValueError, RecursionError) as exc:
        if guarded:  # an unusual file is never a reason to skip the guard
            return Rejection(
                GUARDED_FILE_UNPARSEABLE,
                f"{path}: the current file cannot be parsed ({str(exc)[:120]}), so edits are not checked and not made",
                path,
            )
        return None  # not JSON before: nothing to compare
    try:
        new_data = _load_json(name, new)
    except (ValueError, RecursionError) as exc:
        return Rejection(SYNTAX_ERROR, f"{path}: no longer valid JSON: {str(exc)[:160]}", path)
    if not guarded:
        return None
    keys, code = GUARDED_JSON[name]
    if not isinstance(old_data, dict) or not isinstance(new_data, dict):
        return Rejection(GUARDED_FILE_UNPARSEABLE, f"{path}: not a JSON object", path)
    changed = [k for k in keys if old_data.get(k) != new_data.get(k)]
    if changed:
        return Rejection(code, f"{path}: changes to {', '.join(changed)} are never made automatically", path)
    return None


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


def syntax_problems(path: str, source: str) -> list[int] | None:
    """1-based lines of ERROR/MISSING nodes, or None when no grammar covers the file."""
    parser = parser_for(posixpath.splitext(path)[1].lower())
    if parser is None:
        return None
    tree = parser.parse(source.encode("utf-8"))
    lines: list[int] = []
    stack: list[Any] = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            lines.append(node.start_point[0] + 1)
            continue
        if node.has_error:
            stack.extend(node.children)
    return sorted(lines)


def _syntax_guard(path: str, old: str, new: str) -> Rejection | None:
    new_problems = syntax_problems(path, new)
    if not new_problems:
        return None
    old_problems = syntax_problems(path, old) or []
    if len(new_problems) > len(old_problems):
        lines = ", ".join(str(n) for n in new_problems[:5])
        return Rejection(
            SYNTAX_ERROR, f"{path}: the changed file no longer parses (errors near line {lines})", path
        )
    return None


# --- content policy: what an edit adds to a JS/TS/CSS file -------------------------------------
#
# Both versions of the file are parsed with tree-sitter and reduced to facts: network sinks with
# the origin they reach, dynamic code, sensitive reads that flow into a call, URL origins in
# strings. A fact the new file has more often than the old one is what the edit added. Working on
# the syntax tree (with constant folding of string concatenation, templates and escapes) is what
# keeps `window['ev'+'al']`, `self["fetch"]`, `document['cookie']` or a comment saying "fetch" from
# fooling it.

Fact = tuple[str, str, str]  # (rule code, what, origin or detail)

NETWORK_CALLS = {"fetch": 0, "sendbeacon": 0, "importscripts": -1}
NETWORK_CONSTRUCTORS = {"websocket", "eventsource", "worker", "sharedworker", "audio", "image"}
NETWORK_NAMES = {"fetch", "sendbeacon", "importscripts", "websocket", "eventsource", "xmlhttprequest"}
HTTP_METHODS = {"get", "post", "put", "delete", "head", "patch", "options"}
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "location"}
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
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(text: str) -> str:
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


_TRANSPARENT = {
    "as_expression",
    "non_null_expression",
    "satisfies_expression",
    "type_assertion",
    "await_expression",
}


def _unwrap(node: Any) -> Any:
    """`(x)` → x, `(0, x)` → x, `x as T` / `x!` → x."""
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


def _fold(node: Any) -> tuple[str, bool]:
    """The constant text an expression starts with, and whether it is all constant."""
    node = _unwrap(node)
    if node is None:
        return "", False
    kind = node.type
    if kind == "string":
        return _unescape(node.text.decode("utf-8", "replace")[1:-1]), True
    if kind == "template_string":
        parts: list[str] = []
        for child in node.named_children:
            if child.type == "template_substitution":
                return "".join(parts), False
            parts.append(_unescape(child.text.decode("utf-8", "replace")))
        return "".join(parts), True
    if kind == "number":
        return node.text.decode(), True
    if kind == "binary_expression" and node.child_by_field_name("operator").type == "+":
        # a + b + c nests to the left; walk the spine without recursion (long concatenations)
        rights = []
        while (
            node is not None
            and node.type == "binary_expression"
            and node.child_by_field_name("operator").type == "+"
        ):
            rights.append(node.child_by_field_name("right"))
            node = _unwrap(node.child_by_field_name("left"))
        text, full = _fold(node)
        for right in reversed(rights):
            if not full:
                break
            more, full = _fold(right)
            text += more
        return text, full
    if kind == "call_expression":  # 'ev'.concat('al'), ['ev','al'].join('')
        callee = _unwrap(node.child_by_field_name("function"))
        if callee is not None and callee.type == "member_expression":
            method = callee.child_by_field_name("property").text.decode()
            if method == "concat":
                base, full = _fold(callee.child_by_field_name("object"))
                for arg in node.child_by_field_name("arguments").named_children:
                    if not full:
                        break
                    text, full = _fold(arg)
                    base += text
                return base, full
    return "", False


def _name(node: Any) -> str | None:
    """The (lower-case) name an expression refers to: `fetch`, `x.fetch`, `x['fe'+'tch']`."""
    node = _unwrap(node)
    if node is None:
        return None
    if node.type in ("identifier", "property_identifier", "shorthand_property_identifier"):
        return node.text.decode().lower()
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return prop.text.decode().lower() if prop is not None else None
    if node.type == "subscript_expression":
        text, full = _fold(node.child_by_field_name("index"))
        return text.lower() if full else None
    return None


def _object(node: Any) -> Any:
    node = _unwrap(node)
    if node is not None and node.type in ("member_expression", "subscript_expression"):
        return node.child_by_field_name("object")
    return None


def _computed_identity(node: Any) -> str:
    """A computed URL's identity: its leading non-constant part (`API` in `${API}/notes` and in
    `API + '/x'`), whitespace-normalized, so the same endpoint reached again is not new."""
    node = _unwrap(node)
    while node is not None:
        if node.type == "template_string":
            first = next((c for c in node.named_children if c.type == "template_substitution"), None)
            node = _unwrap(first.named_children[0]) if first is not None and first.named_children else None
        elif node.type == "binary_expression" and node.child_by_field_name("operator").type == "+":
            node = _unwrap(node.child_by_field_name("left"))
        else:
            return " ".join(node.text.decode("utf-8", "replace").split())[:120]
    return "?"


def _origin(target: Any, kind: str) -> str:
    """Where a sink sends to: a URL origin, `<relative>` (the extension itself), `<scheme:…>` or
    `<computed:…>` (a target Homeostat cannot fold, identified by its leading expression)."""
    if target is None:
        return f"<computed:{kind}>"
    unwrapped = _unwrap(target)
    # chrome.runtime.getURL('x') / browser.runtime.getURL: the extension's own files
    if (
        unwrapped is not None
        and unwrapped.type == "call_expression"
        and _name(unwrapped.child_by_field_name("function")) == "geturl"
    ):
        return "<relative>"
    text, full = _fold(target)
    found = URL_ORIGIN.match(text)
    if found:
        return (found.group(1) or found.group(2)).lower()
    scheme = re.match(r"(?i)([a-z][a-z0-9+.-]*):", text)
    if scheme:
        return f"<scheme:{scheme.group(1).lower()}>"
    if text.startswith(("/", "./", "../", "?", "#")) and not text.startswith("//") or (full and text):
        return "<relative>"
    return f"<computed:{_computed_identity(target)}>"


def _args(call: Any) -> list[Any]:
    args = call.child_by_field_name("arguments")
    return (
        []
        if args is None or args.type != "arguments"
        else [a for a in args.named_children if a.type != "comment"]
    )


def _sensitive_read(node: Any) -> str | None:
    """A read of cookies, process.env or credential storage at `node`, named, or None."""
    kind = node.type
    if kind in ("member_expression", "subscript_expression"):
        name = _name(node)
        owner = _name(_object(node))
        if name == "cookie" and owner == "document":
            return "document.cookie"
        if name == "cookies" and owner in ("chrome", "browser"):
            return f"{owner}.cookies"
        if name == "env" and owner == "process":
            return "process.env"
        if owner in ("localstorage", "sessionstorage") and name and SENSITIVE_STORAGE_KEY.search(name):
            return f"{owner}.{name}"
    if kind == "call_expression":
        callee = _unwrap(node.child_by_field_name("function"))
        method = _name(callee)
        owner = _name(_object(callee))
        args = _args(node)
        if method == "getitem" and owner in ("localstorage", "sessionstorage") and args:
            key, _full = _fold(args[0])
            if SENSITIVE_STORAGE_KEY.search(key) or not key:
                return f"{owner}.getItem"
        if method == "get" and owner in ("local", "sync", "session", "managed"):
            storage = _object(_unwrap(callee.child_by_field_name("object")) if callee else None)
            if _name(storage) == "storage":
                keys = " ".join(_fold(s)[0] for s in _strings_in(args[0])) if args else ""
                if not args or not keys or SENSITIVE_STORAGE_KEY.search(keys):
                    return "chrome.storage"
    return None


def _strings_in(node: Any) -> list[Any]:
    return [n for n, _in_args in _walk(node) if n.type in ("string", "template_string")]


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
        return name.text.decode() if name is not None else None
    if parent.type in ("assignment_expression", "augmented_assignment_expression"):
        left = parent.child_by_field_name("left")
        return left.text.decode() if left is not None else None
    return None


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


def js_facts(source: str, parser: tree_sitter.Parser) -> Counter[Fact]:
    """The content-policy facts of one JS/TS file (see the section comment)."""
    facts: Counter[Fact] = Counter()
    nodes = _walk(parser.parse(source.encode("utf-8")).root_node)
    stored: dict[str, str] = {}  # variable name → the sensitive read stored in it
    call_argument_identifiers: set[str] = set()
    for node, in_args in nodes:
        kind = node.type
        if in_args and kind == "identifier":
            call_argument_identifiers.add(node.text.decode())
        if kind in ("string", "template_string") or (
            kind == "binary_expression" and _concatenation_top(node)
        ):
            # every literal piece of a template, and whole concatenations ('ht' + 'tps://…')
            text = (
                " ".join(
                    _unescape(c.text.decode("utf-8", "replace"))
                    for c in node.named_children
                    if c.type == "string_fragment"
                )
                if kind == "template_string"
                else _fold(node)[0]
            )
            for found in URL_ORIGIN.finditer(text):
                facts[(NETWORK_SINK, "origin", (found.group(1) or found.group(2)).lower())] += 1
            for found in SCRIPT_SRC.finditer(text):
                facts[
                    (
                        NETWORK_SINK,
                        "script src",
                        _origin(None, "script") if not found.group(1) else found.group(1)[:60],
                    )
                ] += 1
            for found in SCRIPT_MARKUP.finditer(text):
                facts[(DYNAMIC_CODE, "script markup in a string", found.group(0).lower())] += 1
        elif kind in ("call_expression", "new_expression"):
            callee = node.child_by_field_name("function" if kind == "call_expression" else "constructor")
            _call_facts(node, kind, callee, facts)
        elif kind == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type in ("member_expression", "subscript_expression"):
                attr = _name(left)
                if attr in URL_ATTRIBUTES:
                    facts[(NETWORK_SINK, f".{attr} =", _origin(node.child_by_field_name("right"), attr))] += 1
                if attr in ("innerhtml", "outerhtml"):
                    text, full = _fold(node.child_by_field_name("right"))
                    if SCRIPT_MARKUP.search(text):
                        facts[(DYNAMIC_CODE, f".{attr} with script", "")] += 1
        if kind in _REFERENCE_NODES:
            # a dangerous function taken as a value (aliased, destructured, passed, bound) counts
            # like a use; calls are handled above with their arguments
            name = (
                _name(node)
                if kind in ("member_expression", "subscript_expression")
                else node.text.decode().lower()
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
                facts[(DYNAMIC_CODE, f"reference to {name}", "")] += 1
            elif not callee_position and name in NETWORK_NAMES:
                facts[(NETWORK_SINK, f"reference to {name}", f"<computed:{name}>")] += 1
        if kind == "variable_declarator":
            _destructured_reads(node, stored)
        read = (
            _sensitive_read(node)
            if kind in ("member_expression", "subscript_expression", "call_expression")
            else None
        )
        if read:
            hands_to_callback = kind == "call_expression" and any(
                a.type in ("arrow_function", "function_expression", "function") for a in _args(node)
            )
            if (
                read in ("chrome.cookies", "browser.cookies")
                or hands_to_callback
                or _inside_call_arguments(node)
            ):
                facts[(SENSITIVE_DATA_FLOW, read, "")] += 1
            else:
                bound = _bound_name(node)
                if bound:
                    stored[bound] = read
    for name, read in stored.items():
        if name in call_argument_identifiers:
            facts[(SENSITIVE_DATA_FLOW, read, f"via {name}")] += 1
    return facts


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


_REFERENCE_NODES = {
    "identifier",
    "shorthand_property_identifier_pattern",
    "property_identifier",
    "member_expression",
    "subscript_expression",
}
_DESTRUCTURED_SENSITIVE = {("document", "cookie"): "document.cookie", ("process", "env"): "process.env"}


def _destructured_reads(declarator: Any, stored: dict[str, str]) -> None:
    """`const {cookie} = document`, `const {env: e} = process`: the bound names hold the read."""
    pattern, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
    if pattern is None or value is None or pattern.type != "object_pattern":
        return
    source = _name(value)
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern":
            key, bound = child.text.decode(), child.text.decode()
        elif child.type == "pair_pattern":
            key_node, value_node = child.child_by_field_name("key"), child.child_by_field_name("value")
            key = (
                _fold(key_node)[0]
                if key_node is not None and key_node.type == "string"
                else key_node.text.decode()
            )
            bound = value_node.text.decode() if value_node is not None else ""
        else:
            continue
        read = _DESTRUCTURED_SENSITIVE.get((source or "", key.lower()))
        if read and bound:
            stored[bound] = read


def _call_facts(node: Any, kind: str, callee: Any, facts: Counter[Fact]) -> None:
    target = _unwrap(callee)
    args = _args(node)
    if target is not None and target.type == "import":
        facts[(NETWORK_SINK, "import()", _origin(args[0] if args else None, "import"))] += 1
        return
    name = _name(target)
    if name in ("call", "apply", "bind") and target is not None:
        # f.call(this, a, b) / f.apply(this, [a, b]) / f.bind(this, a): judge f with a, b
        spread = args[1] if name == "apply" and len(args) > 1 else None
        args = (
            [a for a in spread.named_children] if spread is not None and spread.type == "array" else args[1:]
        )
        name = _name(_object(target))
        target = _unwrap(_object(target))
    owner = _name(_object(target))
    if name is None:
        if (
            target is not None
            and target.type == "subscript_expression"
            and owner in GLOBAL_OBJECTS | {"document"}
        ):
            facts[(DYNAMIC_CODE, f"{owner}[computed name] call", "")] += 1
        return
    if kind == "new_expression":
        if name == "function":
            facts[(DYNAMIC_CODE, "new Function", "")] += 1
        elif name in NETWORK_CONSTRUCTORS:
            facts[(NETWORK_SINK, f"new {name}", _origin(args[0] if args else None, name))] += 1
        return
    if name == "eval" or name == "function" or (name == "constructor" and args):
        facts[(DYNAMIC_CODE, name, "")] += 1
    elif name in STRING_TIMERS and args:
        text, full = _fold(args[0])
        if full or text or _unwrap(args[0]).type in ("string", "template_string", "binary_expression"):
            facts[(DYNAMIC_CODE, f"{name} with a string", "")] += 1
    elif name in ("write", "writeln") and owner == "document":
        text, full = _fold(args[0]) if args else ("", True)
        if not full or SCRIPT_MARKUP.search(text):
            facts[(DYNAMIC_CODE, "document.write", "")] += 1
    elif name in ("insertadjacenthtml", "createcontextualfragment") and args:
        text, full = _fold(args[-1])
        if not full or SCRIPT_MARKUP.search(text):
            facts[(DYNAMIC_CODE, name, "")] += 1
    elif name in NETWORK_CALLS:
        index = NETWORK_CALLS[name]
        for arg in args if index < 0 else args[index : index + 1] or [None]:
            facts[(NETWORK_SINK, name, _origin(arg, name))] += 1
    elif name == "open":
        method, full = _fold(args[0]) if args else ("", False)
        if len(args) >= 2 and (not full or method.lower() in HTTP_METHODS):
            facts[(NETWORK_SINK, "XMLHttpRequest.open", _origin(args[1], "xhr"))] += 1
        elif owner in GLOBAL_OBJECTS and args:
            facts[(NETWORK_SINK, "window.open", _origin(args[0], "window.open"))] += 1
    elif name in ("assign", "replace") and owner == "location" and args:
        facts[(NETWORK_SINK, f"location.{name}", _origin(args[0], "location"))] += 1
    elif name == "setattribute" and len(args) >= 2:
        attr, _full = _fold(args[0])
        if attr.lower() in URL_ATTRIBUTES:
            facts[(NETWORK_SINK, f"setAttribute({attr})", _origin(args[1], attr.lower()))] += 1
        elif attr.lower().startswith("on"):
            facts[(DYNAMIC_CODE, f"setAttribute({attr})", "")] += 1
    elif name == "createelement" and args:
        tag, _full = _fold(args[0])
        if tag.lower() in ("script", "iframe"):
            facts[(NETWORK_SINK, f"createElement({tag.lower()})", f"<computed:{tag.lower()} element>")] += 1


CSS_ORIGIN = re.compile(r"(?i)(?:url\(\s*['\"]?|@import\s+['\"])\s*((?:https?:)?//[^/'\")\s]+)")
CSS_DYNAMIC = re.compile(r"(?i)expression\s*\(|behavior\s*:|-moz-binding|javascript:")


def css_facts(source: str) -> Counter[Fact]:
    facts: Counter[Fact] = Counter()
    for found in CSS_ORIGIN.finditer(source):
        facts[(NETWORK_SINK, "url()", found.group(1).lower())] += 1
    for found in CSS_DYNAMIC.finditer(source):
        facts[(DYNAMIC_CODE, found.group(0).lower(), "")] += 1
    return facts


def _added_violation(old: Counter[Fact], new: Counter[Fact]) -> tuple[str, str] | None:
    """The first fact the edit added that the policy forbids, as (reason code, description)."""
    old_origins = {origin for (code, _what, origin) in old if code == NETWORK_SINK}
    priority = {NETWORK_SINK: 0, DYNAMIC_CODE: 1, SENSITIVE_DATA_FLOW: 2}
    for fact, count in sorted(new.items(), key=lambda item: (priority[item[0][0]], item[0])):
        if count <= old.get(fact, 0):
            continue
        code, what, detail = fact
        if code == NETWORK_SINK:
            # a sink to the extension itself, or to an origin (or kind of computed target) the file
            # already talks to, is not new
            if detail == "<relative>" or detail in old_origins:
                continue
            where = f"a computed URL ({detail[10:-1]})" if detail.startswith("<computed:") else detail
            return NETWORK_SINK, f"adds {what} to {where}, which this file did not reach before"
        if code == DYNAMIC_CODE:
            return DYNAMIC_CODE, f"adds dynamic code ({what})"
        if code == SENSITIVE_DATA_FLOW:
            return SENSITIVE_DATA_FLOW, f"passes {what} {detail + ' ' if detail else ''}into a call"
    return None


def content_guard(path: str, old: str, new: str) -> Rejection | None:
    """Reject an edit that adds a network sink or origin, dynamic code or a sensitive data flow."""
    suffix = posixpath.splitext(path)[1].lower()
    if suffix == ".css":
        old_facts, new_facts = css_facts(old), css_facts(new)
    else:
        parser = parser_for(suffix)
        if parser is None:
            return None
        try:
            old_facts, new_facts = js_facts(old, parser), js_facts(new, parser)
        except (RecursionError, ValueError, TypeError, AttributeError, IndexError) as exc:
            # fail closed: an edit the policy cannot check is not made
            return Rejection(SYNTAX_ERROR, f"{path}: the content check failed ({type(exc).__name__})", path)
    found = _added_violation(old_facts, new_facts)
    if found is None:
        return None
    code, description = found
    return Rejection(code, f"{path}: the edit {description}", path)


def unified_diff(path: str, old: str, new: str) -> tuple[str, int]:
    """A unified diff of one file's change and its count of changed lines (the one diff helper)."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
    text = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    changed = sum(
        1 for line in lines if line[:1] in "+-" and not line.startswith("+++") and not line.startswith("---")
    )
    return text, changed


def validate_edits(
    edits: Sequence[FileEdit],
    repo_config: RepoConfig,
    read_file: ReadFile,
    *,
    twin_sets: Sequence[frozenset[str]] = (),
) -> ValidatedChange | Rejection:
    """Apply `edits` in order to the current files and run every check.

    `read_file(path)` returns the file's current text (None when it does not exist).
    `twin_sets`: per-browser copies of one file; each set counts as one file for the file cap.
    """
    if not edits:
        return Rejection(NO_EDITS, "no edits were proposed")
    originals: dict[str, str] = {}
    current: dict[str, str] = {}
    normalized_edits: list[FileEdit] = []
    for edit in edits:
        checked = _check_path(edit.path, repo_config)
        if isinstance(checked, Rejection):
            return checked
        path = checked
        if "\x00" in edit.replace:
            return Rejection(BINARY_FILE, f"{path}: the replacement contains NUL bytes", path)
        too_big = _size_guard(edit, path)
        if too_big:
            return too_big
        if path not in current:
            text = read_file(path)
            if text is None:
                return Rejection(
                    FILE_NOT_FOUND, f"{path} does not exist; only existing files can be edited", path
                )
            if "\x00" in text:
                return Rejection(BINARY_FILE, f"{path} is a binary file", path)
            originals[path] = current[path] = text
        applied = _apply(current[path], edit, path)
        if isinstance(applied, Rejection):
            return applied
        current[path] = applied
        normalized_edits.append(FileEdit(path=path, search=edit.search, replace=edit.replace))

    changed_paths = [p for p in current if current[p] != originals[p]]
    if not changed_paths:
        return Rejection(NO_CHANGE, "the edits leave every file unchanged")
    files = len({next((min(t) for t in twin_sets if p in t), p) for p in changed_paths})
    if files > repo_config.max_files_changed:
        return Rejection(
            TOO_MANY_FILES,
            f"{files} files changed; at most {repo_config.max_files_changed} allowed",
        )
    diffs: list[str] = []
    total_lines = 0
    for path in changed_paths:
        for guard in (_json_guard, _syntax_guard, content_guard):
            rejection = guard(path, originals[path], current[path])
            if rejection:
                return rejection
        diff, lines = unified_diff(path, originals[path], current[path])
        diffs.append(diff)
        total_lines += lines
    if total_lines > repo_config.max_lines_changed:
        return Rejection(
            TOO_MANY_LINES, f"{total_lines} lines changed; at most {repo_config.max_lines_changed} allowed"
        )
    return ValidatedChange(
        edits=tuple(normalized_edits),
        changes=tuple(FileChange(path=p, content=current[p]) for p in changed_paths),
        diff="".join(diffs),
        lines_changed=total_lines,
    )


__all__ = [
    "CONTENT_POLICY_CODES",
    "REASON_CODES",
    "ReadFile",
    "Rejection",
    "ValidatedChange",
    "content_guard",
    "forbidden_reason",
    "syntax_problems",
    "validate_edits",
]
