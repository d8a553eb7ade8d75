"""Every check a set of edits must pass before it may become a pull request.

The rules come only from the repo config and the fixed lists below; nothing from the issue or the
model can widen them. Each rejection carries a stable `reason_code` for logs and metrics.
"""

from __future__ import annotations

import difflib
import json
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from homeostat_core.config import RepoConfig, normalize_repo_path
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
)

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
    return path


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


def _json_guard(path: str, old: str, new: str) -> Rejection | None:
    name = posixpath.basename(path).lower()
    try:
        old_data = json.loads(old)
    except ValueError:
        return None  # not JSON before (or JSON with comments): nothing to compare
    try:
        new_data = json.loads(new)
    except ValueError as exc:
        return Rejection(SYNTAX_ERROR, f"{path}: no longer valid JSON: {exc}", path)
    guarded = {
        "manifest.json": (MANIFEST_GUARDED_KEYS, MANIFEST_PERMISSIONS),
        "package.json": (PACKAGE_GUARDED_KEYS, PACKAGE_SCRIPTS),
    }
    if name not in guarded or not isinstance(old_data, dict) or not isinstance(new_data, dict):
        return None
    keys, code = guarded[name]
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


def _diff(path: str, old: str, new: str) -> tuple[str, int]:
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
    edits: Sequence[FileEdit], repo_config: RepoConfig, read_file: ReadFile
) -> ValidatedChange | Rejection:
    """Apply `edits` in order to the current files and run every check.

    `read_file(path)` returns the file's current text (None when it does not exist).
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
    if len(changed_paths) > repo_config.max_files_changed:
        return Rejection(
            TOO_MANY_FILES,
            f"{len(changed_paths)} files changed; at most {repo_config.max_files_changed} allowed",
        )
    diffs: list[str] = []
    total_lines = 0
    for path in changed_paths:
        for guard in (_json_guard, _syntax_guard):
            rejection = guard(path, originals[path], current[path])
            if rejection:
                return rejection
        diff, lines = _diff(path, originals[path], current[path])
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
    "REASON_CODES",
    "ReadFile",
    "Rejection",
    "ValidatedChange",
    "forbidden_reason",
    "syntax_problems",
    "validate_edits",
]
