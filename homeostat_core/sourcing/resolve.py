"""From a path as the browser serves it to a file of the repository, using only the tree.

In order (the first that names an existing file wins):
1. repos.yml `path_map` (served prefix → source prefix, for files a build copies);
2. the extension roots (roots.py): `source_roots`, then each `manifest.json` folder, then the
   repository root — `<root>/<served path>`; a served `.js` whose `.ts`/`.tsx`/`.jsx` source sits
   at the same place counts too (a compiler that keeps the folder layout);
3. a unique suffix: the files with the served file's name (or its script stem) that share the
   most trailing folders with it — outside tests, vendored code and build output when possible.

Two suffix candidates with different content are ambiguous: no guess is made (the caller may
still choose by the frame's function name), unless exactly one of them is inside the project
(package) of an extension root — a monorepo's extension beside a web app with the same paths. The same relative path under other extension roots
is a per-browser twin of the match.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from homeostat_core.config import RepoConfig
from homeostat_core.sourcing.roots import (
    BUILD_SEGMENTS,
    NOT_ROOT_SEGMENTS,
    Root,
    extension_roots,
    folder_browsers,
)
from homeostat_core.sourcing.tree import SCRIPT_SUFFIXES, RepoTree, stem_key
from homeostat_core.sourcing.vendored import VENDOR_SEGMENTS

SERVED_SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs")
_INNER_SOURCE = re.compile(r"^(.+\.(?:ts|tsx|mts|jsx|vue|svelte))\.m?js$", re.IGNORECASE)
SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".jsx")


@dataclass(frozen=True, slots=True)
class PathMatch:
    path: str
    rule: str  # path_map | source_roots | manifest_root | repository_root | suffix
    root: str | None  # the root or prefix it was found under ("" = repository root)
    confidence: float
    twins: tuple[str, ...] = ()
    note: str = ""

    @property
    def built(self) -> bool:
        """The file sits in build output (dist/, build/…): its source may be elsewhere."""
        return bool(set(self.path.lower().split("/")[:-1]) & BUILD_SEGMENTS)


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Nothing resolved; `candidates` holds an ambiguous suffix match's files (maybe empty)."""

    tried: tuple[str, ...]
    candidates: tuple[str, ...] = ()
    reason: str = ""


@dataclass
class PathResolver:
    """Resolves served paths of one trace (one browser) against one tree."""

    tree: RepoTree
    repo: RepoConfig
    browser: str | None
    roots: list[Root] = field(init=False)
    _cache: dict[str, PathMatch | Unresolved] = field(default_factory=dict, init=False)
    _project_folders: list[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.roots = extension_roots(self.tree, self.repo, self.browser)

    def root_labels(self) -> list[str]:
        return [root.label() for root in self.roots]

    def resolve(self, served: str) -> PathMatch | Unresolved:
        if served not in self._cache:
            self._cache[served] = self._resolve(served)
        return self._cache[served]

    def _resolve(self, served: str) -> PathMatch | Unresolved:
        tried: list[str] = []
        for prefix, source in self.repo.path_map:
            if prefix and served != prefix and not served.startswith(prefix + "/"):
                continue
            rest = served[len(prefix) :].lstrip("/") if prefix else served
            candidate = posixpath.join(source, rest) if source else rest
            tried.append(candidate)
            if self.tree.has_file(candidate):
                return PathMatch(candidate, "path_map", f"{prefix or '.'}/ → {source or '.'}/", 1.0)
        served = unquote(served) if "%" in served else served  # `My%20Notes/x.js` names `My Notes/`
        for swap in (False, True):
            for variant in _source_variants(served) if swap else (served,):
                found = self._under_roots(variant, tried, swapped=swap)
                if found is not None:
                    return found
        return self._by_suffix(served, tried)

    def _under_roots(self, served: str, tried: list[str], swapped: bool) -> PathMatch | None:
        hits = []
        for root in self.roots:
            candidate = root.join(served)
            if candidate not in tried:
                tried.append(candidate)
            if self.tree.has_file(candidate):
                hits.append((root, candidate))
        if not hits:
            return None
        root, path = hits[0]
        twins = tuple(p for r, p in hits[1:] if r.rule != "repository_root" and p != path)
        note = "the source of the served .js, same folders" if swapped else ""
        confidence = 0.85 if swapped else 1.0
        return PathMatch(path, root.rule, root.folder, confidence, twins, note)

    def _by_suffix(self, served: str, tried: list[str]) -> PathMatch | Unresolved:
        parts = served.split("/")
        inner = _INNER_SOURCE.match(parts[-1])  # vite's `background.ts.js` (its hash already cut)
        if inner:
            parts[-1] = inner.group(1)
        name = parts[-1]
        stem = stem_key(name) if name.lower().endswith(SERVED_SCRIPT_SUFFIXES) else None
        pool = set(self.tree.named(name)) | (set(self.tree.with_stem(stem)) if stem else set())
        pool = {p for p in pool if _stem_matches(p, name)}
        if stem and not pool:  # a bundler entry: `background.js` built from `background/index.ts`
            entries = self.tree.with_stem("index") + self.tree.with_stem("main")
            pool = {p for p in entries if p.split("/")[-2:-1] == [stem]}
        if not pool:
            return Unresolved(tuple(tried), reason="no file of that name in the repository")
        scored = [(_shared_tail(parts, p.split("/")), p) for p in pool]
        preferred = [(s, p) for s, p in scored if not _set_aside(p)] or scored
        best = max(s for s, _ in preferred)
        top = sorted(p for s, p in preferred if s == best)
        confidence = 0.9 if best >= 1.9 else 0.7 if best >= 0.9 else 0.6
        copies: dict[str, list[str]] = {}
        for path in top:  # files with identical content are one candidate, edited together
            copies.setdefault(self.tree.blob(path) or path, []).append(path)
        if len(copies) == 1:
            chosen = self._for_browser(top) or top[0]
            twins = tuple(p for p in top if p != chosen)
            return PathMatch(chosen, "suffix", None, confidence, twins, _tail_note(served, chosen))
        chosen = self._for_browser(top)
        if chosen and all(folder_browsers(posixpath.dirname(p)) for p in top):
            twins = tuple(p for p in top if p != chosen)
            return PathMatch(chosen, "suffix", None, confidence, twins, "per-browser copies")
        inside = self._in_extension_projects(top)
        if inside and len({self.tree.blob(p) or p for p in inside}) == 1:
            chosen, project = inside[0], self._project_of(inside[0])
            note = (
                f"{len(copies)} files end in {served}; only {chosen} is in the extension's project {project}/"
            )
            return PathMatch(chosen, "suffix", None, confidence, tuple(inside[1:]), note)
        firsts = tuple(group[0] for group in copies.values())
        return Unresolved(tuple(tried), firsts, reason=f"{len(firsts)} different files match as well")

    def _in_extension_projects(self, paths: list[str]) -> list[str]:
        """The paths inside the project of an extension root (a monorepo's extension package
        beside a web app or a server with the same relative paths)."""
        return [p for p in paths if self._project_of(p)]

    def _project_of(self, path: str) -> str | None:
        for project in self._projects():
            if path.startswith(project + "/"):
                return project
        return None

    def _projects(self) -> list[str]:
        """Each extension root's project: the nearest folder at or above it with a package.json
        below the repository root (else the root's own folder). A root at the repository's top
        holds everything, so it tells nothing apart and is left out."""
        if self._project_folders is None:
            found = []
            for root in self.roots:
                if root.rule == "repository_root" or not root.folder:
                    continue
                folder, project = root.folder, root.folder
                while folder:
                    if self.tree.has_file(posixpath.join(folder, "package.json")):
                        project = folder
                        break
                    folder = posixpath.dirname(folder)
                found.append(project)
            self._project_folders = found
        return self._project_folders

    def _for_browser(self, paths: list[str]) -> str | None:
        """The one path in a folder named for the trace's browser, if exactly one is."""
        mine = [p for p in paths if self.browser and self.browser in folder_browsers(posixpath.dirname(p))]
        return mine[0] if len(mine) == 1 else None


def _source_variants(served: str) -> list[str]:
    root, ext = posixpath.splitext(served)
    if ext.lower() not in SERVED_SCRIPT_SUFFIXES:
        return []
    return [root + suffix for suffix in SOURCE_SUFFIXES]


def _stem_matches(path: str, served_name: str) -> bool:
    """Same name, or the same script stem (a served .js built from a .ts/.tsx/.jsx)."""
    name = posixpath.basename(path)
    if name.lower() == served_name.lower():
        return True
    return name.lower().endswith(SCRIPT_SUFFIXES) and stem_key(name) == stem_key(served_name)


def _shared_tail(served: list[str], candidate: list[str]) -> float:
    """Trailing segments in common (the file name counts 1, its stem alone 0.9, a folder of that
    name holding an index file 0.8)."""
    if served[-1].lower() == candidate[-1].lower():
        score = 1.0
    elif stem_key(candidate[-1]) in ("index", "main") and stem_key(served[-1]) != stem_key(candidate[-1]):
        score, candidate = 0.8, candidate[:-1]
    else:
        score = 0.9
    for a, b in zip(reversed(served[:-1]), reversed(candidate[:-1]), strict=False):
        if a.lower() != b.lower():
            break
        score += 1
    return score


def _set_aside(path: str) -> bool:
    """Tests, samples, vendored code and build output: chosen only when nothing else matches."""
    folders = set(path.lower().split("/")[:-1])
    return bool(folders & (NOT_ROOT_SEGMENTS | VENDOR_SEGMENTS | BUILD_SEGMENTS))


def _tail_note(served: str, path: str) -> str:
    name = served.split("/")[-1]
    return f"the only file named {name}" if "/" not in served and path.endswith("/" + name) else ""
