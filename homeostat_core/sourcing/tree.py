"""The repository's files at the base commit as one in-memory index, from one tree listing.

Only regular files are files here: symlinks and submodules are kept apart and never read, and
an entry whose path could leave the repository (absolute, `..`, `.git/`) is dropped. When GitHub
truncates the recursive listing (over 100,000 entries or 7 MB), a folder the resolver needs is
listed on its own (one call each, at most `max_folder_listings` per run); suffix matches and the
symbol index then see only the folders listed so far.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from homeostat_core.ports import TreeEntry, TreeListing

MAX_FOLDER_LISTINGS = 40
_MANIFEST = re.compile(r"^manifest(?:[._-][\w-]+)?\.json$")
ListFolder = Callable[[TreeEntry], TreeListing]
# Extensions a build turns into a served .js (and the served ones themselves), source first.
SCRIPT_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".jsx", ".js", ".mjs", ".cjs", ".vue", ".svelte")


def safe_path(path: str) -> str | None:
    """`path` when it names something inside the repository, else None."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..", ".git") for part in parts):
        return None
    return path


def stem_key(path: str) -> str | None:
    """`src/a/index.ts` → `index` for script files (a served .js may come from a .ts), else None."""
    name = posixpath.basename(path).lower()
    root, ext = posixpath.splitext(name)
    return root if ext in SCRIPT_SUFFIXES and root else None


class RepoTree:
    """Files by path, by lower-cased name and by script stem; folders and manifests."""

    def __init__(
        self,
        listing: TreeListing,
        list_folder: ListFolder | None = None,
        *,
        max_folder_listings: int = MAX_FOLDER_LISTINGS,
    ):
        self.truncated = listing.truncated
        self.files: dict[str, TreeEntry] = {}
        self.folders: dict[str, TreeEntry] = {"": TreeEntry("", "tree", "040000", listing.sha)}
        self.links: set[str] = set()  # symlinks and submodules: listed, never read
        self._by_name: dict[str, list[str]] = defaultdict(list)
        self._by_stem: dict[str, list[str]] = defaultdict(list)
        self._list_folder = list_folder
        self._listings_left = max_folder_listings if listing.truncated else 0
        self._listed: set[str] = set()
        self.folder_listings = 0
        self._add(listing.entries)

    def _add(self, entries: Iterable[TreeEntry]) -> None:
        for entry in entries:
            path = safe_path(entry.path)
            if path is None:
                continue
            if entry.type == "tree":
                self.folders.setdefault(path, entry)
            elif entry.is_file:
                if path not in self.files:
                    self.files[path] = entry
                    self._by_name[posixpath.basename(path).lower()].append(path)
                    stem = stem_key(path)
                    if stem:
                        self._by_stem[stem].append(path)
            else:
                self.links.add(path)

    # --- lookups --------------------------------------------------------------------------

    def has_file(self, path: str) -> bool:
        if path in self.files:
            return True
        if path in self.links or not self.truncated:
            return False
        self._list_towards(path)
        return path in self.files

    def size(self, path: str) -> int:
        entry = self.files.get(path)
        return entry.size or 0 if entry else 0

    def blob(self, path: str) -> str | None:
        entry = self.files.get(path)
        return entry.sha if entry else None

    def named(self, name: str) -> list[str]:
        """Files whose name is `name` (case-insensitive)."""
        return list(self._by_name.get(name.lower(), ()))

    def with_stem(self, stem: str) -> list[str]:
        """Script files whose name without extension is `stem` (case-insensitive)."""
        return list(self._by_stem.get(stem.lower(), ()))

    def folder_exists(self, folder: str) -> bool:
        return folder in self.folders

    def manifests(self) -> list[str]:
        """Folders holding a manifest.json, or a per-browser or template one (manifest.chrome.json,
        manifest.v3.json): "" for the repository root."""
        found = {
            posixpath.dirname(path)
            for name, paths in self._by_name.items()
            if _MANIFEST.match(name)
            for path in paths
        }
        return sorted(found)

    def script_files(self) -> Iterator[str]:
        return (path for path in self.files if posixpath.splitext(path)[1].lower() in SCRIPT_SUFFIXES)

    # --- truncated listings ---------------------------------------------------------------

    def list_top_folders(self) -> None:
        """On a truncated listing, list the root and its folders one level each (within the
        budget), so a `manifest.json` one folder down is known."""
        if not self.truncated:
            return
        self._list_towards("")
        for folder in sorted(f for f in self.folders if f and "/" not in f):
            if self._listings_left <= MAX_FOLDER_LISTINGS // 2:
                return  # keep half the budget for the frames' own paths
            self._list_towards(f"{folder}/")

    def _list_towards(self, path: str) -> None:
        """List each not-yet-listed folder on the way to `path` (a truncated listing)."""
        parts = path.split("/")
        folder = ""
        for depth in range(len(parts)):
            if folder not in self._listed:
                entry = self.folders.get(folder)
                if entry is None or self._list_folder is None or self._listings_left <= 0:
                    return
                self._listings_left -= 1
                self.folder_listings += 1
                self._add(self._list_folder(entry).entries)
                self._listed.add(folder)
            if depth == len(parts) - 1 or not parts[depth]:
                return
            folder = posixpath.join(folder, parts[depth]) if folder else parts[depth]
