"""The checkout `homeostat context` reads: a git checkout at HEAD, a plain folder as it is; never
a symlink, never a path outside the folder."""

from __future__ import annotations

import os
import subprocess

from homeostat_core.adapters.checkout import CheckoutForge
from tests.unit.fixing.fakes import repo_config

REPO = repo_config()


def _git(folder, *args):
    subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=a", "-c", "user.email=a@b.c", *args], check=True
    )


def test_a_git_checkout_is_read_at_its_head_commit(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.js").write_text("committed\n")
    os.symlink("/etc/passwd", tmp_path / "src" / "link.js")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "x")
    (tmp_path / "src" / "app.js").write_text("edited, not committed\n")
    forge = CheckoutForge(tmp_path)
    try:
        entries = {e.path: e for e in forge.list_tree(REPO).entries}
        assert forge.git and entries["src/app.js"].is_file and entries["src/link.js"].mode == "120000"
        assert forge.read_file(REPO, "src/app.js") == "committed\n"
        assert forge.read_file(REPO, "src/link.js") is None
        assert forge.read_file(REPO, "../outside.js") is None
    finally:
        forge.close()


def test_a_plain_folder_never_follows_a_link_or_leaves_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.js").write_text("secret\n")
    root = tmp_path / "ext"
    (root / "js").mkdir(parents=True)
    (root / "js" / "app.js").write_text("own\n")
    (root / "node_modules" / "dep").mkdir(parents=True)
    (root / "node_modules" / "dep" / "index.js").write_text("dep\n")
    os.symlink(outside / "secret.js", root / "js" / "secret.js")
    os.symlink(outside, root / "linked")
    forge = CheckoutForge(root)
    paths = {e.path: e for e in forge.list_tree(REPO).entries}
    assert not forge.git
    assert paths["js/app.js"].is_file and not paths["js/secret.js"].is_file and not paths["linked"].is_file
    assert not any(p.startswith(("node_modules", "linked/")) for p in paths)
    assert forge.read_file(REPO, "js/app.js") == "own\n"
    for path in ("js/secret.js", "linked/secret.js", "../outside/secret.js", "/etc/passwd"):
        assert forge.read_file(REPO, path) is None
