"""Forge.list_tree, the same on both adapters: one call for the whole tree, one per folder after."""

from __future__ import annotations

import os

from homeostat_core.ports import TreeEntry
from tests.contract.conftest import FILES, SLUG, Harness


def _add_symlink(h: Harness, path: str, target: str) -> None:
    if h.fake is not None:
        h.fake.add_symlink(SLUG, path, target)
        return
    work = h.forge.root / "acme" / "widget" / "repo"
    os.symlink(target, work / path)
    h.forge._git(h.repo, "add", path)
    h.forge._git(h.repo, "commit", "--quiet", "-m", "link")


def test_the_whole_tree_is_one_call_with_files_folders_and_sizes(forge_harness: Harness):
    # Given the seeded repository
    h = forge_harness
    before = h.forge.api_calls

    # When the tree is listed
    listing = h.forge.list_tree(h.repo)

    # Then one call lists every file with its size, and every folder as a tree entry
    assert h.forge.api_calls - before == 1
    files = {e.path: e for e in listing.entries if e.type == "blob"}
    assert set(files) == set(FILES)
    assert all(files[p].size == len(FILES[p].encode()) and files[p].is_file for p in FILES)
    assert {e.path for e in listing.entries if e.type == "tree"} == {"src", "src/vendor"}
    assert not listing.truncated and len(listing.sha) == 40


def test_a_folder_is_listed_one_level_from_its_tree_entry(forge_harness: Harness):
    h = forge_harness
    root = h.forge.list_tree(h.repo)
    src = next(e for e in root.entries if e.path == "src")

    # When one folder is listed
    children = h.forge.list_tree(h.repo, src)

    # Then its direct children come back with full paths (the subfolder as a tree)
    assert {(e.path, e.type) for e in children.entries} == {("src/app.js", "blob"), ("src/vendor", "tree")}
    # and the root listed one level from its own sha
    top = h.forge.list_tree(h.repo, TreeEntry("", "tree", "040000", root.sha))
    assert {e.path for e in top.entries} >= {"README.md"}


def test_a_symlink_is_listed_as_mode_120000_and_is_not_a_file(forge_harness: Harness):
    # Given a symlink pointing outside the repository
    h = forge_harness
    _add_symlink(h, "src/escape.js", "../../../etc/passwd")

    # When the tree is listed
    entry = next(e for e in h.forge.list_tree(h.repo).entries if e.path == "src/escape.js")

    # Then it is a symlink, never a file to read
    assert entry.mode == "120000" and not entry.is_file


def test_github_says_when_a_recursive_listing_is_truncated(github_harness: Harness):
    # Given GitHub's limit on a recursive listing (100,000 entries; here 2)
    h = github_harness
    h.fake.tree_entry_limit = 2

    # When the tree is listed
    listing = h.forge.list_tree(h.repo)

    # Then the listing is cut and says so
    assert listing.truncated and len(listing.entries) == 2
