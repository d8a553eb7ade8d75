"""The tree index: one listing, regular files only, truncated listings walked folder by folder."""

from __future__ import annotations

import time

from homeostat_core.ports import TreeEntry, TreeListing
from homeostat_core.sourcing.sources import RepoSources
from homeostat_core.sourcing.tree import RepoTree
from tests.unit.fixing.fakes import repo_config


def _blob(path: str, mode: str = "100644") -> TreeEntry:
    return TreeEntry(path, "blob", mode, f"sha-{path}", 10)


def _tree(path: str) -> TreeEntry:
    return TreeEntry(path, "tree", "040000", f"tree-{path}")


class CountingForge:
    """A forge holding a full tree; the recursive listing can be truncated like GitHub's."""

    def __init__(self, entries: list[TreeEntry], truncate_at: int | None = None, texts=None):
        self.entries = entries
        self.truncate_at = truncate_at
        self.texts = texts or {}
        self.listings: list[str | None] = []
        self.reads: list[str] = []
        self.api_calls = 0

    def list_tree(self, repo, folder=None):
        self.api_calls += 1
        self.listings.append(folder.path if folder else None)
        if folder is None:
            cut = self.entries[: self.truncate_at] if self.truncate_at else self.entries
            return TreeListing("root-sha", tuple(cut), truncated=self.truncate_at is not None)
        prefix = f"{folder.path}/" if folder.path else ""
        children = [e for e in self.entries if e.path.startswith(prefix) and "/" not in e.path[len(prefix) :]]
        return TreeListing(folder.sha, tuple(children))

    def read_file(self, repo, path, ref=None):
        self.api_calls += 1
        self.reads.append(path)
        return self.texts.get(path)


def test_symlinks_submodules_and_escaping_paths_are_never_files():
    listing = TreeListing(
        "root",
        (
            _blob("src/app.js"),
            _blob("src/link.js", "120000"),
            TreeEntry("vendor/sub", "commit", "160000", "c0ffee"),
            _blob("../outside.js"),
            _blob("/abs.js"),
            _blob(".git/config"),
            _blob("src/../../x.js"),
        ),
    )
    tree = RepoTree(listing)
    assert set(tree.files) == {"src/app.js"}
    assert tree.links == {"src/link.js", "vendor/sub"}
    assert not tree.has_file("src/link.js")


def test_a_symlink_in_a_trace_is_never_read():
    # Given a symlink pointing outside the repository, named by a frame
    forge = CountingForge([_tree("src"), _blob("src/app.js"), _blob("src/secrets.js", "120000")])
    forge.texts = {"src/secrets.js": "/etc/passwd"}
    sources = RepoSources(forge, repo_config())
    # Then it is not a file: no read is made through it
    assert sources.read("src/secrets.js") is None
    assert sources.read("../etc/passwd") is None
    assert forge.reads == []


def test_a_truncated_listing_lists_only_the_folders_on_the_way_to_a_candidate():
    # Given GitHub cut the recursive listing short (only the first entries came back)
    entries = [_blob("README.md"), _tree("docs")]
    entries += [_blob(f"docs/page{i}.md") for i in range(50)]
    entries += [_tree("extension"), _blob("extension/manifest.json"), _tree("extension/js")]
    entries += [_blob("extension/js/popup.js"), _tree("website"), _blob("website/index.html")]
    forge = CountingForge(entries, truncate_at=20)
    repo = repo_config(source_roots=(("all", "extension"),))
    sources = RepoSources(forge, repo)

    # When a served path is resolved
    match = sources.resolver("chrome").resolve("js/popup.js")

    # Then the file is found by listing the root, extension/ and extension/js/ one level each
    assert match.path == "extension/js/popup.js"
    assert forge.listings[0] is None
    assert forge.listings[1:] == ["", "extension", "extension/js"]
    assert sources.tree.folder_listings == 3


def test_a_truncated_listing_stops_listing_folders_after_its_budget():
    entries = [_tree(f"d{i}") for i in range(100)] + [_blob(f"d{i}/x.js") for i in range(100)]
    forge = CountingForge(entries, truncate_at=1)
    tree = RepoTree(
        forge.list_tree(None), lambda folder: forge.list_tree(None, folder), max_folder_listings=3
    )
    for i in range(100):
        tree.has_file(f"d{i}/x.js")
    assert tree.folder_listings == 3 and len(forge.listings) == 4


def test_a_100000_file_tree_is_one_call_and_an_in_memory_index():
    # Given a monorepo of 100,000 files with the extension somewhere inside
    entries = [_blob(f"packages/p{i // 1000}/src/module{i}.js") for i in range(100_000)]
    entries += [_blob("apps/extension/manifest.json"), _blob("apps/extension/src/background.js")]
    forge = CountingForge(entries)
    sources = RepoSources(forge, repo_config())
    started = time.process_time()

    # When several served paths are resolved
    background = sources.resolver("chrome").resolve("src/background.js")
    module = sources.resolver("chrome").resolve("module99999.js")

    # Then one tree call served them all, from memory, quickly
    assert background.path == "apps/extension/src/background.js"
    assert module.path == "packages/p99/src/module99999.js"
    assert forge.api_calls == 1 and forge.reads == []
    assert time.process_time() - started < 5
