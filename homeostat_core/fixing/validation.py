"""Every check a set of edits must pass before it may become a pull request.

The rules come only from the repo config and the fixed lists below; nothing from the issue or the
model can widen them. Each rejection carries a stable `reason_code` for logs and metrics.
"""

from __future__ import annotations

import difflib
import json
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeostat_core.config import RepoConfig
from homeostat_core.config_paths import never_fix_file_type, normalize_repo_path
from homeostat_core.fixing.capabilities import (
    DYNAMIC_CODE,
    NETWORK_SINK,
    NEW_CAPABILITY,
    SENSITIVE_DATA_FLOW,
    surface_change,
)
from homeostat_core.fixing.js_values import parser_for
from homeostat_core.models import FileChange, FileEdit

if TYPE_CHECKING:
    pass

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
# Content policy (what an edit may add, not only where); network_sink, dynamic_code,
# sensitive_data_flow and new_capability come from the capability surface (capabilities.py)
FILE_TYPE = "file_type"
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
    NEW_CAPABILITY,
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
    NEW_CAPABILITY,
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


def content_guard(path: str, old: str, new: str) -> Rejection | None:
    """Reject an edit that adds to the file's capability surface (capabilities.py): a network
    destination, dynamic code, a sensitive data flow or a browser-API capability."""
    try:
        found = surface_change(path, old, new)
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError) as exc:
        # fail closed: an edit the policy cannot check is not made
        return Rejection(SYNTAX_ERROR, f"{path}: the content check failed ({type(exc).__name__})", path)
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
    "parser_for",
    "syntax_problems",
    "validate_edits",
]
