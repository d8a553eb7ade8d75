"""The read side of a Forge over a folder on this machine, for `homeostat context`.

A git checkout (the folder is its top) is read at its HEAD commit — what GitHub would serve, so
uncommitted changes are not seen — through `git ls-tree` and one `git cat-file --batch` process.
Any other folder is read as it is on disk (without `.git/` and `node_modules/`, which a
repository does not serve). Either way symlinks are listed (mode 120000) and never
followed, only regular files listed in the tree are read, and nothing outside the folder is.
No network, no credentials.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from homeostat_core.adapters.local_forge import ls_tree_entries
from homeostat_core.config import RepoConfig
from homeostat_core.ports import ForgeError, TreeEntry, TreeListing
from homeostat_core.sourcing.tree import safe_path

MAX_FILE_BYTES = 5 * 1024 * 1024  # a larger file is not source worth reading
# Folders of a plain folder that no repository serves: git's own, and installed packages.
_NOT_WALKED = frozenset({".git", "node_modules"})


class CheckoutForge:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ForgeError(f"{root} is not a folder")
        self.api_calls = 0
        self.git = _is_git_top(self.root)
        self._files: dict[str, TreeEntry] | None = None
        self._batch: subprocess.Popen[bytes] | None = None

    # --- Forge (read side) ---------------------------------------------------------------

    def list_tree(self, repo: RepoConfig, folder: TreeEntry | None = None) -> TreeListing:
        self.api_calls += 1
        if folder is not None:  # only GitHub truncates: the whole tree is always listed here
            prefix = f"{folder.path}/" if folder.path else ""
            entries = tuple(e for e in self._listing().entries if _child_of(e.path, prefix))
            return TreeListing(folder.sha, entries)
        return self._listing()

    def read_file(self, repo: RepoConfig, path: str, ref: str | None = None) -> str | None:
        self.api_calls += 1
        entry = self._entries().get(path) if safe_path(path) else None
        if entry is None or not entry.is_file or (entry.size or 0) > MAX_FILE_BYTES:
            return None
        data = self._blob(entry.sha) if self.git else self._disk(path)
        return data.decode("utf-8", errors="replace") if data is not None else None

    def close(self) -> None:
        if self._batch is not None:
            self._batch.stdin.close()  # type: ignore[union-attr]
            self._batch.wait(timeout=5)
            self._batch = None

    # --- listing -------------------------------------------------------------------------

    def _listing(self) -> TreeListing:
        if self.git:
            out = _git(self.root, "ls-tree", "-r", "-t", "-l", "-z", "HEAD")
            return TreeListing(_git(self.root, "rev-parse", "HEAD^{tree}").strip(), ls_tree_entries(out))
        return TreeListing("", tuple(self._walk()))

    def _entries(self) -> dict[str, TreeEntry]:
        if self._files is None:
            self._files = {e.path: e for e in self._listing().entries}
        return self._files

    def _walk(self):
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            base = Path(folder).relative_to(self.root).as_posix()
            prefix = "" if base == "." else f"{base}/"
            dirs[:] = [d for d in dirs if d not in _NOT_WALKED]
            for name in sorted(dirs):
                kind = "120000" if (Path(folder) / name).is_symlink() else "040000"
                yield TreeEntry(prefix + name, "blob" if kind == "120000" else "tree", kind, "")
            for name in sorted(files):
                full = Path(folder) / name
                stat = full.lstat()
                mode = "120000" if full.is_symlink() else "100644"
                yield TreeEntry(prefix + name, "blob", mode, "", stat.st_size)

    # --- reading -------------------------------------------------------------------------

    def _disk(self, path: str) -> bytes | None:
        target = self.root / path
        # every folder on the way is a real folder inside the checkout: no link is followed
        if target.is_symlink() or Path(os.path.realpath(target)) != target:
            return None
        try:
            return target.read_bytes()
        except OSError:
            return None

    def _blob(self, sha: str) -> bytes | None:
        if self._batch is None:
            self._batch = subprocess.Popen(
                ["git", "-C", str(self.root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            )
        assert self._batch.stdin is not None and self._batch.stdout is not None
        self._batch.stdin.write(sha.encode() + b"\n")
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            return None
        data = self._batch.stdout.read(int(header[2]))
        self._batch.stdout.read(1)  # the newline after each object
        return data


def _child_of(path: str, prefix: str) -> bool:
    return path.startswith(prefix) and "/" not in path[len(prefix) :]


def _is_git_top(root: Path) -> bool:
    try:
        top = _git(root, "rev-parse", "--show-toplevel").strip()
        _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except ForgeError:
        return False
    return Path(top).resolve() == root


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        check=False,
    )
    if result.returncode != 0:
        raise ForgeError(f"git {args[0]} failed in {root}: {result.stderr.strip()[:200]}")
    return result.stdout
