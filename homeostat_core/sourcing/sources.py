"""One repository at its base branch, for one run: the tree (one listing), the files read (each
once, only regular files the tree lists) and the symbol index (built on first need).

Cost in forge calls per run: one tree listing (plus one per folder when GitHub truncates it, at
most MAX_FOLDER_LISTINGS), one read per file shown or checked, and — only when a frame points at
a file the repository does not have (a bundle without a map) — at most `max_symbol_files` reads
for the symbol index, likeliest files first.
"""

from __future__ import annotations

from homeostat_core.config import RepoConfig
from homeostat_core.ports import Forge
from homeostat_core.sourcing.resolve import PathResolver
from homeostat_core.sourcing.symbols import MAX_BYTES, MAX_FILES, SymbolIndex
from homeostat_core.sourcing.tree import RepoTree, safe_path


class RepoSources:
    def __init__(
        self,
        forge: Forge,
        repo: RepoConfig,
        *,
        max_symbol_files: int = MAX_FILES,
        max_symbol_bytes: int = MAX_BYTES,
    ):
        self._forge = forge
        self.repo = repo
        self._tree: RepoTree | None = None
        self._symbols: SymbolIndex | None = None
        self._resolvers: dict[str | None, PathResolver] = {}
        self._limits = (max_symbol_files, max_symbol_bytes)
        # path → text (None: not a readable file); shared with the engine's reader for validation
        self.texts: dict[str, str | None] = {}

    @property
    def tree(self) -> RepoTree:
        if self._tree is None:
            self._tree = RepoTree(
                self._forge.list_tree(self.repo), lambda folder: self._forge.list_tree(self.repo, folder)
            )
        return self._tree

    def read(self, path: str) -> str | None:
        """A regular file's text; None for anything else (missing, symlink, binary, outside)."""
        if path in self.texts:
            return self.texts[path]
        text = None
        if safe_path(path) is not None and self.tree.has_file(path):
            text = self._forge.read_file(self.repo, path)
            if text is not None and "\x00" in text:
                text = None
        self.texts[path] = text
        return text

    @property
    def symbols(self) -> SymbolIndex:
        if self._symbols is None:
            allows = self.repo.path_filters.allows  # a file a fix may not touch is never shown
            files = {path: self.tree.size(path) for path in self.tree.script_files() if allows(path)}
            self._symbols = SymbolIndex(
                files, self.read, max_files=self._limits[0], max_bytes=self._limits[1]
            )
        return self._symbols

    def resolver(self, browser: str | None) -> PathResolver:
        if browser not in self._resolvers:
            self._resolvers[browser] = PathResolver(self.tree, self.repo, browser)
        return self._resolvers[browser]
