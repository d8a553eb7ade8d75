"""The files a module pulls in, followed through the repository: what a bundle built from an
entry file can contain.

A bundle named after its entry (`content-scripts/content.js` ← `entrypoints/content/index.ts`,
`assets/index.ts-<hash>.js` ← `src/background/index.ts`) holds the entry and everything it
imports; when a frame's function is defined in several files, the one the entry reaches is the
one that ran. Specifiers are read with a pattern (static and dynamic `import`, `export … from`,
`require`), relative ones resolved against the importing file, path aliases (`@/x`, `~/x`, `#x`,
`src/x`) by the one file of the repository ending in that path; bare package names are skipped.
Only files of the tree are read, and at most MAX_FILES of them.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from homeostat_core.sourcing.sources import RepoSources
from homeostat_core.sourcing.tree import safe_path

MAX_FILES = 60
_SPECIFIER = re.compile(
    r"""(?:\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?|\bexport\s*[\w$*{}\s,]*?\s*from\s*|"""
    r"""\brequire\s*\(\s*|\bimport\s*\(\s*)["']([^"'\n]+)["']"""
)
_EXTENSIONS = ("", ".ts", ".tsx", ".js", ".jsx", ".mts", ".mjs", ".cjs", ".vue", ".svelte")
_ALIAS = re.compile(r"^(?:@|~|@@|~~|#)/?")


def reachable(entries: Iterable[str], sources: RepoSources, *, max_files: int = MAX_FILES) -> set[str]:
    """The entries and every repository file they import, directly or not (breadth first)."""
    seen: set[str] = set()
    queue = [path for path in entries if sources.tree.has_file(path)]
    while queue and len(seen) < max_files:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        for specifier in specifiers(sources.read(path) or ""):
            target = resolve_specifier(path, specifier, sources)
            if target is not None and target not in seen:
                queue.append(target)
    return seen


def specifiers(text: str) -> list[str]:
    return list(dict.fromkeys(match.group(1) for match in _SPECIFIER.finditer(text)))


def resolve_specifier(importer: str, specifier: str, sources: RepoSources) -> str | None:
    """The repository file an import names, or None (a package, or nothing that exists)."""
    tree = sources.tree
    if specifier.startswith(("./", "../")):
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
        return _with_extension(base, tree.has_file) if safe_path(base) else None
    alias = _ALIAS.match(specifier)
    if not alias and not specifier.startswith("src/"):
        return None  # a package (`react`, `@scope/pkg`)
    rest = specifier[alias.end() :] if alias else specifier
    if not rest or safe_path(rest) is None:
        return None
    name = posixpath.basename(rest)
    ends = ["/" + rest + ext for ext in _EXTENSIONS] + [
        "/" + rest + "/index" + ext for ext in _EXTENSIONS[1:]
    ]
    pool = {*tree.named(name), *(tree.with_stem(name.lower()) or ()), *tree.with_stem("index")}
    found = sorted(p for p in pool if any(("/" + p).endswith(end) for end in ends))
    return found[0] if len(found) == 1 else None


def _with_extension(base: str, exists) -> str | None:
    for candidate in [base + ext for ext in _EXTENSIONS] + [f"{base}/index{ext}" for ext in _EXTENSIONS[1:]]:
        if exists(candidate):
            return candidate
    return None
