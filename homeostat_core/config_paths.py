"""Paths and file types in repos.yml: directory prefixes a fix may change, the globs of
sensitive paths, and the file types a fix may (and never may) edit."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from fnmatch import fnmatchcase

DEFAULT_SENSITIVE_PATHS: tuple[str, ...] = (
    "**/auth/**",
    "**/*auth*",
    "**/*login*",
    "**/*password*",
    "**/payment*/**",
    "**/*payment*",
    "**/*billing*",
    "**/*stripe*",
    "**/crypto/**",
    "**/*crypto*",
    "**/*token*",
    "**/*secret*",
    "**/*credential*",
    "**/*keychain*",
    "**/*keystore*",
    "**/*.pem",
    "**/*.key",
)
# What a fix may edit unless repos.yml says otherwise: JavaScript/TypeScript sources and CSS, plus
# the two JSON files whose guards (permissions, scripts, dependencies) validation enforces.
# An entry starting with "." is an extension; one without "/" matches the file name; one with "/"
# matches the whole path (globs as in sensitive_paths).
DEFAULT_FIX_FILE_TYPES: tuple[str, ...] = (
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".ts",
    ".tsx",
    ".mts",
    ".cts",
    ".css",
    "manifest.json",
    "package.json",
)
# Never edited, whatever fix_file_types says: markup that loads scripts, shell, env and lock files.
NEVER_FIX_FILE_GLOBS: tuple[str, ...] = (
    "*.html",
    "*.htm",
    "*.xhtml",
    "*.shtml",
    "*.svg",
    "*.sh",
    "*.bash",
    "*.zsh",
    "*.fish",
    "*.ps1",
    "*.bat",
    "*.cmd",
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.lock",
    "*-lock.json",
    "*-lock.yaml",
    "npm-shrinkwrap.json",
    "bun.lockb",
)


@dataclass(frozen=True, slots=True)
class PathFilters:
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def allows(self, path: str) -> bool:
        """A path is allowed when it is under some include prefix and under no exclude prefix.

        Paths are normalized first; absolute paths and any `..` escape are never allowed.
        """
        normalized = normalize_repo_path(path)
        if normalized is None:
            return False
        return any(_under(normalized, p) for p in self.include) and not any(
            _under(normalized, p) for p in self.exclude
        )


def normalize_repo_path(path: str) -> str | None:
    """Repository-relative POSIX path, or None when it escapes the repository."""
    if not path or "\x00" in path or "\\" in path:
        return None
    if path.startswith("/"):
        return None
    normalized = posixpath.normpath(path)
    if normalized in (".", "..") or normalized.startswith("../"):
        return None
    return normalized


def _under(path: str, prefix: str) -> bool:
    # "./src", "src/../lib/" and "src/" name the directories "src" and "lib"
    prefix = posixpath.normpath(prefix.strip("/") or ".")
    if prefix == ".":
        return True
    return path == prefix or path.startswith(prefix + "/")


def valid_prefix(prefix: str) -> bool:
    """A relative directory prefix; "." / "./" (the whole repository) included."""
    if prefix.startswith("/"):
        return False
    stripped = prefix.rstrip("/")
    return stripped in ("", ".") or normalize_repo_path(stripped) is not None


def never_fix_file_type(path: str) -> bool:
    """True for file types Homeostat never edits (HTML, shell, env and lock files)."""
    name = posixpath.basename(path).lower()
    return any(fnmatchcase(name, glob) for glob in NEVER_FIX_FILE_GLOBS)


def matches_file_type(path: str, file_types: tuple[str, ...]) -> bool:
    """`path` matches one fix_file_types entry (an extension, a file-name glob or a path glob)."""
    name = posixpath.basename(path).lower()
    for entry in file_types:
        e = entry.lower()
        if e.startswith(".") and "/" not in e and "*" not in e and e.count(".") == 1:
            if name.endswith(e) and name != e:
                return True
        elif "/" in e:
            if matches_any_glob(path, (e,)):
                return True
        elif fnmatchcase(name, e):
            return True
    return False


def matches_any_glob(path: str, globs: tuple[str, ...]) -> bool:
    """Glob match where `**/` also matches the top level (`**/auth/**` matches `auth/x.js`)."""
    lowered = path.lower()
    for glob in globs:
        g = glob.lower()
        if fnmatchcase(lowered, g) or (g.startswith("**/") and fnmatchcase(lowered, g[3:])):
            return True
    return False
